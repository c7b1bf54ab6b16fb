"""The owner's side: feedback, incidents, testimonials, referrals, subscribers, settings."""

import csv
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from followthrough import csvsafe
from followthrough.customers.models import Customer
from followthrough.feedback import newsletter, referrals, services
from followthrough.feedback.forms import ComplaintForm, FeedbackSettingsForm, ResolveForm
from followthrough.feedback.models import Incident, Quote, ReviewClick, SurveyResponse
from followthrough.playbooks.models import Playbook
from followthrough.tenants import audit
from followthrough.tenants.access import business_required, get_scoped_or_404, owner_required
from followthrough.tenants.models import AuditEntry
from followthrough.tenants.views import in_business_zone, render
from followthrough.touchpoints import lifecycle

SCORES = {"promoters": (9, 10), "passives": (7, 8), "detractors": (0, 6)}
PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}


def _filtered(request):
    business = request.business
    rows = SurveyResponse.objects.filter(business=business).select_related(
        "customer", "engagement__playbook")
    score, period, playbook = (request.GET.get(k, "") for k in ("score", "period", "playbook"))
    if score in SCORES:
        rows = rows.filter(nps__range=SCORES[score])
    if period in PERIODS:
        rows = rows.filter(created_at__gte=timezone.now() - dt.timedelta(days=PERIODS[period]))
    if playbook:
        rows = rows.filter(engagement__playbook__public_id=playbook)
    return rows, {"score": score, "period": period, "playbook": playbook}


@business_required
@in_business_zone
@require_GET
def feedback_list(request):
    rows, chosen = _filtered(request)
    scored = [r.nps for r in rows if r.nps is not None]
    nps = None
    if scored:
        nps = round(100 * (sum(s >= 9 for s in scored) - sum(s <= 6 for s in scored)) / len(scored))
    clicks = (ReviewClick.objects.filter(business=request.business).values("site")
              .annotate(n=Count("id")).order_by("site"))
    return render(request, "feedback/feedback_list.html", {
        "responses": rows[:200], "chosen": chosen, "nps": nps, "count": len(scored),
        "playbooks": Playbook.objects.filter(business=request.business),
        "open_incidents": Incident.objects.filter(business=request.business,
                                                  resolved_at=None).count(),
        "clicks": clicks,
    }, nav="feedback")


@business_required
@in_business_zone
@require_GET
def incident_list(request):
    incidents = Incident.objects.filter(business=request.business).select_related("customer")
    resolved = [i for i in incidents if i.resolved_at]
    average = (sum((i.time_to_resolve for i in resolved), dt.timedelta()) / len(resolved)
               if resolved else None)
    just_resolved = next((i for i in resolved[:20] if _undoable(request, i)), None)
    return render(request, "feedback/incident_list.html", {
        "open": [i for i in incidents if i.is_open], "resolved": resolved[:100],
        "average": average, "form": ResolveForm(), "just_resolved": just_resolved,
        "undo_seconds": int(lifecycle.undo_window().total_seconds()),
    }, nav="feedback")


def _incident(request, public_id):
    return get_scoped_or_404(Incident.objects.select_related("customer"),
                             request.business, public_id=public_id)


# Resolve can be taken back for a few seconds, like Done on Today: by the person who
# resolved it, within lifecycle.undo_window() of the resolve recorded in the audit log.
RESOLVED, REOPENED = "incident.resolve", "incident.reopen"


def _undoable(request, incident, now=None):
    """The audit record of this person's resolve of `incident`, while it may be undone."""
    if incident.resolved_at is None or \
            (now or timezone.now()) - incident.resolved_at > lifecycle.undo_window():
        return None
    entry = (AuditEntry.objects.filter(business=request.business, target_type="incident",
                                       target_id=incident.public_id,
                                       action__in=(RESOLVED, REOPENED))
             .order_by("-at", "-id").first())
    if entry is None or entry.action != RESOLVED or entry.actor_id != request.user.pk:
        return None
    return entry if entry.changes.get("at") == incident.resolved_at.isoformat() else None


@business_required
@in_business_zone
@require_POST
def incident_resolve(request, public_id):
    incident = _incident(request, public_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Resolution note: say in a line what you did to put it right.")
    elif not incident.is_open:
        messages.error(request, "That incident was already resolved.")
    else:
        services.resolve_incident(incident, form.cleaned_data["note"])
        audit.record(request, request.business, RESOLVED, target=incident,
                     changes={"at": incident.resolved_at.isoformat()},
                     summary="Resolved an incident")
        text = f"Resolved. {incident.customer.name}'s messages carry on."
        if request.htmx:
            return render(request, "feedback/_incident_resolved.html",
                          {"incident": incident, "text": text, "undo": True,
                           "undo_seconds": int(lifecycle.undo_window().total_seconds())})
        messages.success(request, text)
    if request.htmx:  # the message is for the whole page, not in place of the incident
        return HttpResponseClientRedirect(reverse("incident_list"))
    return redirect("incident_list")


@business_required
@in_business_zone
@require_POST
def incident_undo(request, public_id):
    """Undo a resolve: the incident opens again, through the feedback service."""
    incident = _incident(request, public_id)
    try:
        if _undoable(request, incident) is None:
            raise ValidationError({"incident": "Too late to undo, or not yours to undo: "
                                               "only the person who resolved it, right after."})
        services.reopen_incident(incident, incident.resolved_at)
    except ValidationError as exc:
        text, problem = " ".join(exc.messages), True
    else:
        audit.record(request, request.business, REOPENED, target=incident,
                     summary="Undid resolving an incident")
        text, problem = f"Undone: {incident.customer.name}'s incident is open again.", False
    if request.htmx:
        return render(request, "feedback/_incident_resolved.html",
                      {"incident": incident, "text": text, "problem": problem})
    (messages.error if problem else messages.success)(request, text)
    return redirect("incident_list")


@business_required
@require_POST
def customer_complaint(request, public_id):
    customer = get_scoped_or_404(Customer.objects.all(), request.business, public_id=public_id)
    form = ComplaintForm(request.POST)
    engagement = customer.engagements.order_by("-won_at").first()
    if not form.is_valid():
        messages.error(request, "What are they unhappy about: write a line so you can follow up.")
    elif engagement is None:
        messages.error(request, "Add their sale or job first: the recovery call belongs to it.")
    else:
        services.open_incident(customer, engagement, Incident.COMPLAINT,
                               form.cleaned_data["summary"])
        messages.success(request, "Incident opened. The recovery call is at the top of Today.")
    return redirect("customer_detail", public_id=customer.public_id)


def _quotable(business):
    return (SurveyResponse.objects.filter(business=business).exclude(quote_as=Quote.NO)
            .exclude(went_well="").select_related("customer"))


@business_required
@require_GET
def testimonial_list(request):
    return render(request, "feedback/testimonial_list.html",
                  {"responses": _quotable(request.business)[:200]}, nav="feedback")


@business_required
@require_POST
def testimonial_decide(request, public_id):
    response = get_scoped_or_404(_quotable(request.business), request.business,
                                 public_id=public_id)
    decision = request.POST.get("decision", "")
    if decision not in (SurveyResponse.APPROVED, SurveyResponse.DECLINED):
        messages.error(request, "Choose approve or don't use.")
    else:
        SurveyResponse.objects.filter(pk=response.pk).update(testimonial_status=decision)
        messages.success(request, "Saved.")
    return redirect("testimonial_list")


def _approved(business):
    return _quotable(business).filter(testimonial_status=SurveyResponse.APPROVED)


def _audit_export(request, kind: str, rows: int) -> None:
    """Exports are owner-only and logged, like every other export (docs/security.md)."""
    audit.record(request, request.business, "export.csv", target=("export", kind),
                 changes={"rows": rows})


@owner_required
@require_GET
def testimonial_export_html(request):
    approved = list(_approved(request.business))
    _audit_export(request, "testimonials.html", len(approved))
    snippet = render_to_string("feedback/testimonials_snippet.html",
                               {"responses": approved})
    response = HttpResponse(snippet, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="testimonials.html"'
    return response


def _csv(filename, header, rows):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(csvsafe.row(row))  # no cell can run as a formula
    return response


@owner_required
@require_GET
def testimonial_export_csv(request):
    rows = [(r.quote_text, r.quote_name, r.nps if r.nps is not None else "",
             r.created_at.date().isoformat()) for r in _approved(request.business)]
    _audit_export(request, "testimonials", len(rows))
    return _csv("testimonials.csv", ["quote", "by", "score", "date"], rows)


@business_required
@require_GET
def referral_list(request):
    customers = (Customer.objects.filter(business=request.business)
                 .annotate(referred=Count("referrals"))
                 .filter(Q(referred__gt=0) | Q(referral_code__isnull=False))
                 .order_by("-referred", "name")[:200])
    return render(request, "feedback/referral_list.html",
                  {"customers": customers, "site_url": settings.SITE_URL}, nav="feedback")


@business_required
@require_POST
def customer_referral_code(request, public_id):
    customer = get_scoped_or_404(Customer.objects.all(), request.business, public_id=public_id)
    referrals.ensure_code(customer)
    messages.success(request, f"{customer.name}'s referral code is {customer.referral_code}.")
    return redirect("customer_detail", public_id=customer.public_id)


@business_required
@require_GET
def subscriber_list(request):
    return render(request, "feedback/subscriber_list.html",
                  {"subscribers": newsletter.subscribers(request.business)}, nav="feedback")


@owner_required
@require_GET
def subscriber_export_csv(request):
    rows = [(c.name, c.email) for c in newsletter.subscribers(request.business)]
    _audit_export(request, "subscribers", len(rows))
    return _csv("subscribers.csv", ["name", "email"], rows)


@owner_required
def settings_reviews(request):
    current = services.settings_for(request.business)
    form = FeedbackSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved. New review asks and surveys use these.")
        return redirect("settings_reviews")
    return render(request, "feedback/settings_reviews.html", {"form": form},
                  status=400 if form.errors else None, nav="settings")
