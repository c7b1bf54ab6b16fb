"""Today, the week, and the personal side of follow-up: outcomes, approvals, promises, card
batches, maintenance reminders and the calendar feed settings."""

import datetime as dt

from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followthrough.agenda import checklist, printables, services, team
from followthrough.agenda.forms import (
    ApproveForm,
    DigestForm,
    IntervalForm,
    PromiseForm,
    ServicePlanForm,
)
from followthrough.agenda.models import (
    CardBatch,
    Opportunity,
    Preference,
    Promise,
    ServiceInterval,
    ServicePlan,
)
from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.fragments import render_fragment
from followthrough.prepared import Prepared
from followthrough.tenants.access import business_required, get_scoped_or_404
from followthrough.tenants.context_processors import paths
from followthrough.tenants.views import in_business_zone, render
from followthrough.tokens import new_public_id
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint
from followthrough.touchpoints.views import (
    _SLOT,
    ROW_ROUTES,
    UPCOMING_DAYS,
    _card,
    _problem_text,
    card_urls,
    end_of_today,
    get_touchpoint_or_404,
    histories,
    late_loggable,
    render_touch,
    result_context,
    urls_for,
    when_from_form,
)

WEEK_DAYS = 7
CARD_DAYS = 7


def _who(request) -> str:
    return "everyone" if request.GET.get("who") == "everyone" else "mine"


# The columns a card shows or its script's merge fields read, and nothing more: the full
# rows of a touch, its customer, job and step cost more to build than the rest of Today.
CARD_FIELDS = (
    "business_id", "public_id", "name", "channel", "purpose", "status", "due_at", "origin",
    "reason_code", "priority", "link_token", "rendered_subject", "rendered_body",
    "assigned_to_id", "customer__public_id", "customer__name", "customer__email",
    "customer__phone", "customer__defining_moment", "customer__notes",
    "customer__referral_code", "customer__marketing_hold", "engagement__public_id",
    "engagement__description", "engagement__kind", "step__subject", "step__body",
)


def _mine(rows, request, who):
    if who == "mine":
        # Unassigned touches belong to everyone, so nothing falls between two chairs.
        rows = rows.filter(Q(assigned_to=request.user) | Q(assigned_to__isnull=True))
    return rows


# Missed personal touches stay on Today this long, so one made but not logged in time
# can still be logged late, with when it happened.
MISSED_SHOWN_DAYS = 14
MISSED_SHOWN = 20


def _cards_query(business, until, since, user=None):
    due = Q(status=Status.PLANNED, due_at__lt=until)
    missed = Q(status=Status.MISSED, due_at__gte=since)
    rows = (Touchpoint.objects.filter(due | missed, business_id=business,
                                      channel__in=kinds.PERSONAL)
            .select_related("customer", "engagement", "step").only(*CARD_FIELDS)
            .order_by("-priority", "due_at", "id"))
    if user is not None:
        # Unassigned touches belong to everyone, so nothing falls between two chairs.
        rows = rows.filter(Q(assigned_to_id=user) | Q(assigned_to__isnull=True))
    return rows


# Today's queries are compiled once per process (followthrough/prepared.py): writing their
# SQL cost more than running it.
_EVERYONES_CARDS = Prepared(_cards_query, business=int, until=dt.datetime, since=dt.datetime)
_MY_CARDS = Prepared(_cards_query, business=int, until=dt.datetime, since=dt.datetime,
                     user=int)


def _personal_and_missed(request, until, now, who):
    """Today's open personal touches and the recently missed ones, in one query: (open, missed)."""
    since = now - dt.timedelta(days=MISSED_SHOWN_DAYS)
    if who == "mine":
        rows = _MY_CARDS(business=request.business.pk, until=until, since=since,
                         user=request.user.pk)
    else:
        rows = _EVERYONES_CARDS(business=request.business.pk, until=until, since=since)
    late = sorted((t for t in rows if t.status == Status.MISSED),
                  key=lambda t: (t.due_at, t.id), reverse=True)
    return [t for t in rows if t.status == Status.PLANNED], late[:MISSED_SHOWN]


def _by_customer(rows, first_only=False) -> dict:
    found = {}
    for row in rows:
        if first_only:
            found.setdefault(row.customer_id, row)
        else:
            found.setdefault(row.customer_id, []).append(row)
    return found


_FEEDBACK = Prepared(
    lambda business, customers: SurveyResponse.objects.filter(
        business_id=business, customer_id__in=customers)
    .only("customer_id", "created_at", "nps", "went_well", "improve"),  # newest first
    business=int, customers=[int])


def _cards(request, touches, now, promises=None):
    """Each touch with what the person needs to know, in a fixed number of queries however
    many touches: one each for promises, members, feedback, incidents and history."""
    touches = list(touches)
    if not touches:
        return []
    business = request.business
    customer_ids = {t.customer_id for t in touches}
    if promises is None:
        promises = _by_customer(Promise.objects.filter(
            business=business, status=Promise.OPEN, customer_id__in=customer_ids))
    members = team.members(business)
    feedback = _by_customer(_FEEDBACK(business=business.pk, customers=sorted(customer_ids)),
                            first_only=True)
    # An open incident holds the customer's marketing (feedback.services), so only held
    # customers can have one: most days that is nobody, and no query.
    held = {t.customer_id for t in touches if t.customer.marketing_hold}
    incidents = _by_customer(Incident.objects.filter(
        business=business, customer_id__in=held, resolved_at__isnull=True)
        .only("customer_id", "response_id", "opened_at", "reason", "summary"),
        first_only=True) if held else {}
    history = histories(customer_ids)
    urls = card_urls()
    cards = []
    for touch in touches:
        touch.business = business  # the script's merge fields need it; no query per card
        card = _card(touch, now, history.get(touch.customer_id, []), urls)
        card["promises"] = promises.get(touch.customer_id, [])
        card["members"] = members
        card["feedback"] = feedback.get(touch.customer_id)
        card["incident"] = incidents.get(touch.customer_id)
        card["retried"] = touch.reason_code == Reason.NO_ANSWER
        card["is_reminder"] = touch.origin == Origin.MAINTENANCE
        cards.append(card)
    return cards


# Today, from the top: recovery calls, late promises, today's personal touches, a short
# queue of drafts to approve, then the rest, collapsed and paged (docs/agenda.md).
PERSONAL_PAGE = 6
APPROVE_DAYS = UPCOMING_DAYS  # one query counts the drafts and what goes out
APPROVALS_SHOWN = 10
REST_PAGE = 10


def _page(request, name: str) -> int:
    try:
        return max(1, min(int(request.GET.get(name, "1")), 10_000))
    except ValueError:
        return 1


def _pager(name: str, page: int, size: int, total: int, who: str) -> dict:
    """Links to the neighbouring pages of one list, keeping the person's other choices."""
    def link(number):
        return f"?{name}={number}" + ("&who=everyone" if who == "everyone" else "")

    last = max(1, -(-total // size))
    return {"page": page, "last": last, "total": total,
            "first_shown": min(total, (page - 1) * size + 1), "last_shown": min(total, page * size),
            "previous": link(page - 1) if page > 1 else "",
            "next": link(page + 1) if page < last else ""}


PROMISE_FIELDS = ("public_id", "customer_id", "what", "due_on", "customer__public_id",
                  "customer__name")


_PROMISES = Prepared(
    lambda business, until, customers: Promise.objects.filter(
        business_id=business, status=Promise.OPEN)
    .filter(Q(due_on__lte=until) | Q(customer_id__in=customers))
    .select_related("customer").only(*PROMISE_FIELDS),
    business=int, until=dt.date, customers=[int])


def _promises_for_today(business, local_today, customer_ids):
    """Open promises that are late, due by tomorrow, or about a customer on a card: one
    query, split three ways."""
    tomorrow = local_today + dt.timedelta(days=1)
    rows = _PROMISES(business=business.pk, until=tomorrow, customers=sorted(customer_ids))
    late = [p for p in rows if p.due_on < local_today]
    soon = [p for p in rows if local_today <= p.due_on <= tomorrow]
    return late, soon, _by_customer(p for p in rows if p.customer_id in customer_ids)


_COUNTS = Prepared(
    lambda business, until: Touchpoint.objects.filter(
        business_id=business, status__in=(Status.DRAFT, Status.PLANNED), due_at__lt=until)
    .values("business_id")
    .annotate(drafts=Count("id", filter=Q(status=Status.DRAFT)),
              upcoming=Count("id", filter=Q(status=Status.PLANNED,
                                            channel__in=kinds.AUTOMATED)))
    .values_list("drafts", "upcoming"),
    business=int, until=dt.datetime)


def _counts(business, now) -> dict[str, int]:
    """Drafts to approve and messages going out in the coming days: one query."""
    rows = _COUNTS(business=business.pk, until=now + dt.timedelta(days=APPROVE_DAYS))
    drafts, upcoming = rows[0] if rows else (0, 0)
    return {"drafts": drafts, "upcoming": upcoming}


_DRAFTS = Prepared(
    lambda business, until: Touchpoint.objects.filter(
        business_id=business, status=Status.DRAFT, due_at__lt=until)
    .select_related("customer").only("public_id", "name", "channel", "due_at",
                                     "customer__name", "customer__public_id")
    .order_by("due_at", "id")[:APPROVALS_SHOWN],
    business=int, until=dt.datetime)


def _drafts(business, now, count):
    """The approval queue: the first drafts due within APPROVE_DAYS, one line each."""
    if not count:
        return []
    return _DRAFTS(business=business.pk, until=now + dt.timedelta(days=APPROVE_DAYS))


def _upcoming(business, now, page, count):
    """What goes out by itself in the coming days, listed only when asked for."""
    if page is None or not count:
        return []
    rows = (Touchpoint.objects.filter(business=business, status=Status.PLANNED,
                                      channel__in=kinds.AUTOMATED,
                                      due_at__lt=now + dt.timedelta(days=UPCOMING_DAYS))
            .select_related("customer").order_by("due_at", "id"))
    return list(rows[(page - 1) * REST_PAGE:page * REST_PAGE])


CARD_TEMPLATE = "touchpoints/_touch_card.html"


def _touch_sections(request, now, who, local_today) -> dict:
    """Recovery calls, late promises and one page of today's personal touches, as cards."""
    business = request.business
    touches, missed = _personal_and_missed(request, end_of_today(business, now), now, who)
    recovery = [t for t in touches if t.origin == Origin.INCIDENT_RECOVERY]
    others = [t for t in touches if t.origin != Origin.INCIDENT_RECOVERY]
    page = _page(request, "page")
    shown = others[(page - 1) * PERSONAL_PAGE:page * PERSONAL_PAGE]
    late, soon, promises = _promises_for_today(
        business, local_today, {t.customer_id for t in recovery + shown})
    cards = _cards(request, recovery + shown, now, promises)
    for group in (cards[:len(recovery)], cards[len(recovery):]):
        for index, card in enumerate(group):
            # Rendered here, from the cache when nothing on the card changed: the cards
            # were most of Today's server time (followthrough/fragments.py).
            card["html"] = render_fragment(CARD_TEMPLATE, {"card": card, "first": index == 0},
                                           request)
    return {"recovery_cards": cards[:len(recovery)], "cards": cards[len(recovery):],
            "personal_count": len(others),
            "personal_pager": _pager("page", page, PERSONAL_PAGE, len(others), who),
            "overdue_promises": late, "soon_promises": soon, "missed": missed}


_OPPORTUNITIES = Prepared(
    lambda business: Opportunity.objects.filter(business_id=business, status=Opportunity.OPEN)
    .select_related("customer").only("text", "customer__public_id", "customer__name")[:20],
    business=int)


def _queue_and_rest(request, now, who) -> dict:
    """The approval queue and the rest: counts always, lists short or on request."""
    business = request.business
    counts = _counts(business, now)
    drafts = _drafts(business, now, counts["drafts"])
    approve_urls = card_urls(("touch_approve",))
    for touch in drafts:
        touch.approve_url = urls_for(approve_urls, touch)["approve"]
    rest_page = _page(request, "rest")
    upcoming = _upcoming(business, now, rest_page if "rest" in request.GET else None,
                         counts["upcoming"])
    row_urls = card_urls(ROW_ROUTES)
    for touch in upcoming:
        touch.urls = urls_for(row_urls, touch)
    return {
        "drafts": drafts, "draft_count": counts["drafts"], "approve_days": APPROVE_DAYS,
        "upcoming": upcoming, "upcoming_count": counts["upcoming"],
        "upcoming_pager": _pager("rest", rest_page, REST_PAGE, counts["upcoming"], who),
        "rest_open": "rest" in request.GET, "upcoming_days": UPCOMING_DAYS,
        "opportunities": _OPPORTUNITIES(business=business.pk),
    }


# Today's own links (tenants.context_processors.paths: reversed once per process).
TODAY_ROUTES = {name: name for name in (
    "sale_new", "week", "promise_list", "batch_list", "reminder_list", "news_share",
    "visit_plan", "settings_calendar")}


def _checklist(request) -> dict:
    """Getting started, rendered once per process while its answers stay the same."""
    found = checklist.checklist(request.business, request.user, request.membership)
    html = render_fragment("agenda/_checklist.html", {"checklist": found}, request) if found \
        else ""
    return {"checklist": found, "checklist_html": html}


def _recent_change(request, now):
    """After a full-page Done, Skip or Approve: Undo, for a few seconds. Every such action
    comes back here with a message saying what it did, so without one there is nothing to
    look up."""
    if not get_messages(request):
        return None
    return lifecycle.recent_change(request.user, request.business, now)


@business_required
@in_business_zone
@require_GET
def today(request):
    business = request.business
    now = timezone.now()
    who = _who(request)
    local_today = services.local_today(business, now)
    context = {
        "who": who, "now": now, "local_today": local_today,
        **_touch_sections(request, now, who, local_today),
        **_queue_and_rest(request, now, who),
        "recent": _recent_change(request, now),
        **_checklist(request),
        "undo_seconds": int(lifecycle.undo_window().total_seconds()),
        "today_links": paths(TODAY_ROUTES),
    }
    return render(request, "agenda/today.html", context, nav="today")


# A row of the week shows the time, the customer, what to do and how; acting on it is
# Today's work, so the week reads nothing else.
WEEK_FIELDS = ("public_id", "name", "channel", "due_at", "origin", "priority",
               "customer__public_id", "customer__name")


def _week_rows(request, start, end, who):
    """Open personal touches due before `end` (the earlier ones are still to do) and open
    promises due before it, each a row: (time or None, customer, what, channel label)."""
    business = request.business
    touches = _mine(Touchpoint.objects.filter(
        business=business, status=Status.PLANNED, channel__in=kinds.PERSONAL, due_at__lt=end)
        .select_related("customer").only(*WEEK_FIELDS).order_by("due_at", "-priority", "id"),
        request, who)
    promises = (Promise.objects.filter(business=business, status=Promise.OPEN,
                                       due_on__lt=start + dt.timedelta(days=WEEK_DAYS))
                .select_related("customer").only(*PROMISE_FIELDS))
    rows = [{"day": t.due_at.astimezone(business.zone).date(), "at": t.due_at, "touch": t,
             "customer": t.customer, "what": t.name,
             "channel": t.channel, "label": kinds.LABELS.get(t.channel, t.channel)}
            for t in touches]
    rows += [{"day": p.due_on, "at": None, "promise": p, "customer": p.customer,
              "what": p.what, "channel": "promise", "label": "Promise"} for p in promises]
    return rows


@business_required
@in_business_zone
@require_GET
def week(request):
    business = request.business
    who = _who(request)
    start = services.local_today(business)
    end = dt.datetime.combine(start + dt.timedelta(days=WEEK_DAYS), dt.time(0),
                              tzinfo=business.zone)
    days = [{"date": start + dt.timedelta(days=i), "rows": []} for i in range(WEEK_DAYS)]
    overdue = []
    rows = _week_rows(request, start, end, who)
    # Promises (no time) come first on their day, then touches by time.
    rows.sort(key=lambda row: (row["day"], row["at"] is not None, row["at"] or 0))
    for row in rows:
        if row["day"] < start:
            overdue.append(row)
        else:
            days[(row["day"] - start).days]["rows"].append(row)
    customer_url = card_urls(("customer_detail",))["customer_detail"]
    for row in rows:
        row["customer_url"] = customer_url.replace(_SLOT, row["customer"].public_id)
    context = {"who": who, "days": days, "overdue": overdue, "anything": bool(rows),
               "start": start,
               "total": sum(1 for row in rows if "touch" in row and row["day"] >= start)}
    return render(request, "agenda/week.html", context, nav="week")


@business_required
@require_POST
def checklist_dismiss(request):
    """The owner puts the getting-started list away; it does not come back."""
    checklist.dismiss(request.business, request.user)
    messages.success(request, "Hidden. Everything on it is still in Settings whenever you "
                              "need it.")
    return redirect("today")


# Actions on one touch. HTMX swaps the card; without HTMX we go back where we came from.

def _back(request):
    target = request.POST.get("next", "")
    return target if target in ("/week/", "/today/", "/") else "today"


def _do_then_back(request, action):
    """Run `action` (which returns the success message) and go back where the user was;
    a ValidationError becomes an error message instead."""
    try:
        text = action()
    except ValidationError as exc:
        messages.error(request, _problem_text(exc))
    else:
        messages.success(request, text)
    return redirect(_back(request))


def _answer(request, touchpoint, text, problem=False, undo=None):
    if request.htmx:
        return render(request, "touchpoints/_touch_result.html",
                      result_context(touchpoint, text, problem, undo))
    (messages.error if problem else messages.success)(request, text)
    return redirect(_back(request))


@business_required
@in_business_zone
@require_POST
def touch_outcome(request, public_id):
    touchpoint = get_touchpoint_or_404(request, public_id)
    if not (touchpoint.is_open or late_loggable(touchpoint)):
        return _answer(request, touchpoint, "That one was already taken care of.", True)
    before = lifecycle.snapshot(touchpoint)
    try:
        touchpoint, text = services.record_outcome(
            touchpoint, request.user, request.POST.get("outcome", ""),
            request.POST.get("outcome_note", ""), when=when_from_form(request),
        )
    except ValidationError as exc:
        return _answer(request, touchpoint, _problem_text(exc), True)
    # Reached and not possible end the touch, and can be taken back; no answer moves it.
    undo = lifecycle.remember(request.user, before, touchpoint)
    return _answer(request, touchpoint, text, undo=undo)


@business_required
@in_business_zone
@require_POST
def touch_assign(request, public_id):
    touchpoint = get_touchpoint_or_404(request, public_id)

    def assign():
        services.assign(touchpoint, request.POST.get("assigned_to", ""))
        who = touchpoint.assigned_to.get_username() if touchpoint.assigned_to else "nobody yet"
        return f"{touchpoint.name} with {touchpoint.customer.name}: {who}."

    return _do_then_back(request, assign)


@business_required
@in_business_zone
@require_POST
def touch_else(request, public_id):
    """The answer to "What else can we do for you?"."""
    touchpoint = get_touchpoint_or_404(request, public_id)

    def capture():
        services.capture_opportunity(touchpoint, request.user, request.POST.get("text", ""))
        return f"Saved as a follow-up opportunity for {touchpoint.customer.name}."

    return _do_then_back(request, capture)


@business_required
@in_business_zone
@require_POST
def touch_book(request, public_id):
    touchpoint = get_touchpoint_or_404(request, public_id)
    if not touchpoint.is_open or touchpoint.origin != Origin.MAINTENANCE:
        messages.error(request, "Only an open maintenance reminder can be booked as a new job.")
        return redirect("today")
    try:
        engagement = services.book_new_job(touchpoint, request.user)
    except ValidationError as exc:
        messages.error(request, _problem_text(exc))
        return redirect("today")
    messages.success(request, f"Booked: a new job for {touchpoint.customer.name} is planned.")
    return redirect("engagement_detail", engagement.public_id)


@business_required
@in_business_zone
@require_http_methods(["GET", "POST"])
def touch_approve(request, public_id):
    """Approve a draft as it is, or edit it first (the form), or skip it."""
    touchpoint = get_touchpoint_or_404(request, public_id)
    subject, body, problem = render_touch(touchpoint)
    action = request.POST.get("action") if request.method == "POST" else None
    before = lifecycle.snapshot(touchpoint)
    if action in ("skip", "approve"):
        try:
            if action == "skip":
                services.skip_draft(touchpoint, request.user,
                                    request.POST.get("outcome_note", ""))
            else:
                services.approve(touchpoint)
        except ValidationError as exc:
            messages.error(request, _problem_text(exc))
            return redirect("touch_approve", touchpoint.public_id)
        lifecycle.remember(request.user, before, touchpoint)
        messages.success(request, f"Skipped: {touchpoint.name} won't be sent." if action == "skip"
                         else f"Approved: {touchpoint.name} goes to {touchpoint.customer.name} "
                              "as planned.")
        return redirect("today")
    form = ApproveForm(request.POST or None, initial={"subject": subject, "body": body})
    if request.method == "POST" and form.is_valid():
        try:
            services.approve(touchpoint, form.cleaned_data["subject"], form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            lifecycle.remember(request.user, before, touchpoint)
            messages.success(request, f"Approved with your changes: {touchpoint.name} goes to "
                                      f"{touchpoint.customer.name} as planned.")
            return redirect("today")
    unfinished = services.placeholder_problem(subject, body) if request.method == "GET" else {}
    return render(request, "agenda/approve.html",
                  {"touch": touchpoint, "form": form, "problem": problem,
                   "unfinished": " ".join(unfinished.values())}, nav="today")


# Promises.

@business_required
@in_business_zone
@require_http_methods(["GET", "POST"])
def promise_list(request):
    business = request.business
    form = PromiseForm(business, request.POST or None,
                       initial={"customer": request.GET.get("customer", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.make_promise(business, form.cleaned_data["customer"], request.user,
                                  form.cleaned_data["what"], form.cleaned_data["due_on"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Promise noted. We'll remind you before the day.")
            return redirect("promise_list")
    kept, broken, rate = services.keeping_rate(business)
    promises = Promise.objects.filter(business=business).select_related("customer", "made_by")
    context = {
        "form": form, "kept": kept, "broken": broken, "rate": rate,
        "open": list(promises.filter(status=Promise.OPEN)),
        "settled": list(promises.exclude(status=Promise.OPEN).order_by("-resolved_at")[:50]),
        "local_today": services.local_today(business),
    }
    return render(request, "agenda/promises.html", context, nav="today")


def _promise(request, public_id):
    return get_scoped_or_404(Promise.objects.select_related("customer"), request.business,
                             public_id=public_id)


@business_required
@in_business_zone
@require_POST
def promise_kept(request, public_id):
    promise = _promise(request, public_id)
    try:
        services.keep_promise(promise)
    except ValidationError as exc:
        messages.error(request, _problem_text(exc))
    else:
        messages.success(request, f"Kept your word to {promise.customer.name}. Well done.")
    return redirect(request.POST.get("next") == "today" and "today" or "promise_list")


@business_required
@in_business_zone
@require_http_methods(["GET", "POST"])
def promise_broken(request, public_id):
    promise = _promise(request, public_id)
    error = None
    if request.method == "POST":
        try:
            services.break_promise(promise, request.POST.get("honest_note", ""),
                                   request.POST.get("make_good", ""))
        except ValidationError as exc:
            error = _problem_text(exc)
        else:
            messages.success(request, "Noted, honestly. Making good goes a long way.")
            return redirect("promise_list")
    return render(request, "agenda/promise_broken.html",
                  {"promise": promise, "error": error, "data": request.POST}, nav="today",
                  status=400 if error else None)


# Cards to write.

@business_required
@in_business_zone
@require_GET
def batch_list(request):
    business = request.business
    until = end_of_today(business) + dt.timedelta(days=CARD_DAYS - 1)
    context = {
        "waiting": list(services.cards_to_write(business, until)),
        "batches": list(CardBatch.objects.filter(business=business)[:20]),
        "card_days": CARD_DAYS,
    }
    return render(request, "agenda/batches.html", context, nav="today")


@business_required
@in_business_zone
@require_POST
def batch_new(request):
    until = end_of_today(request.business) + dt.timedelta(days=CARD_DAYS - 1)
    try:
        batch = services.create_batch(request.business, request.user, until)
    except ValidationError as exc:
        messages.error(request, _problem_text(exc))
        return redirect("batch_list")
    return redirect("batch_detail", batch.public_id)


def _batch(request, public_id):
    return get_scoped_or_404(CardBatch.objects.all(), request.business, public_id=public_id)


def _batch_cards(batch):
    return list(batch.touchpoints.select_related("customer", "engagement", "step")
                .order_by("customer__name", "id"))


def _is_reminder(card) -> bool:
    return card.origin == Origin.MAINTENANCE


@business_required
@in_business_zone
@require_GET
def batch_detail(request, public_id):
    batch = _batch(request, public_id)
    cards = _batch_cards(batch)
    reminders = sum(1 for c in cards if _is_reminder(c))
    return render(request, "agenda/batch_detail.html",
                  {"batch": batch, "cards": cards, "reminders": reminders}, nav="today")


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _printable(draw, filename, keep=None):
    """The view that draws a batch's cards (only those `keep` accepts, if given) as a PDF
    with `draw(business, cards)`."""

    @business_required
    @in_business_zone
    @require_GET
    def view(request, public_id):
        cards = _batch_cards(_batch(request, public_id))
        if keep is not None:
            cards = [c for c in cards if keep(c)]
        return _pdf(draw(request.business, cards), filename)

    return view


batch_pdf = _printable(printables.cards_pdf, "cards.pdf")
batch_labels = _printable(printables.labels_pdf, "labels.pdf")
batch_postcards = _printable(printables.postcards_pdf, "postcards.pdf", keep=_is_reminder)


@business_required
@in_business_zone
@require_POST
def batch_posted(request, public_id):
    batch = _batch(request, public_id)
    try:
        done = services.mark_posted(batch, request.user)
    except ValidationError as exc:
        messages.error(request, _problem_text(exc))
    else:
        messages.success(request, f"Posted: {done} card{'s' if done != 1 else ''} marked done. "
                                  "They'll be so pleased.")
    return redirect("batch_detail", batch.public_id)


# Maintenance and reorder reminders.

@business_required
@in_business_zone
@require_http_methods(["GET", "POST"])
def reminder_list(request):
    business = request.business
    interval_form = IntervalForm(request.POST if "save_interval" in request.POST else None)
    plan_form = ServicePlanForm(business, request.POST if "start_plan" in request.POST else None,
                                initial={"engagement": request.GET.get("engagement", "")})
    if "save_interval" in request.POST and interval_form.is_valid():
        interval = interval_form.save(commit=False)
        interval.business = business
        interval.save()
        messages.success(request, f"Saved {interval.name}. Now start it for a delivered job.")
        return redirect("reminder_list")
    if "start_plan" in request.POST and plan_form.is_valid():
        try:
            services.start_service_plan(plan_form.cleaned_data["engagement"],
                                        plan_form.cleaned_data["interval"])
        except ValidationError as exc:
            plan_form.add_error(None, exc)
        else:
            messages.success(request, "Reminders planned. We'll keep them coming.")
            return redirect("reminder_list")
    plans = (ServicePlan.objects.filter(business=business)
             .select_related("interval", "engagement__customer").order_by("-created_at")[:100])
    context = {
        "interval_form": interval_form, "plan_form": plan_form,
        "intervals": list(ServiceInterval.objects.filter(business=business)),
        # Without a delivered job there is nothing to start reminders for: say so instead.
        "has_delivered": plan_form.fields["engagement"].queryset.exists(),
        "plans": list(plans),
    }
    return render(request, "agenda/reminders.html", context, nav="today")


@business_required
@in_business_zone
@require_POST
def service_stop(request, public_id):
    plan = get_scoped_or_404(ServicePlan.objects.select_related("engagement__customer"),
                             request.business, public_id=public_id)
    services.stop_service_plan(plan, f"stopped by {request.user.get_username()}")
    messages.success(request, f"Stopped the reminders for {plan.engagement.customer.name}.")
    return redirect("reminder_list")


# Settings: calendar feed and digest, each person their own.

def preference_for(business, user) -> Preference:
    preference, _ = Preference.objects.get_or_create(business=business, user=user)
    return preference


@business_required
@in_business_zone
@require_http_methods(["GET", "POST"])
def settings_calendar(request):
    preference = preference_for(request.business, request.user)
    action = request.POST.get("action")
    form = DigestForm(request.POST if action == "digest" else None, instance=preference)
    if action in ("renew", "revoke"):
        with transaction.atomic():
            preference.feed_token = new_public_id() if action == "renew" else None
            preference.feed_fetched_at = None  # the new link has not been fetched yet
            preference.save(update_fields=["feed_token", "feed_fetched_at"])
        messages.success(request, "Your calendar link is new; the old one has stopped working."
                         if action == "renew" else "Your calendar link is switched off.")
        return redirect("settings_calendar")
    if action == "digest" and form.is_valid():
        form.save()
        messages.success(request, "Saved your morning digest settings.")
        return redirect("settings_calendar")
    feed_url = (request.build_absolute_uri(f"/cal/{preference.feed_token}.ics")
                if preference.feed_token else "")
    context = {"preference": preference, "form": form, "feed_url": feed_url,
               "webcal_url": feed_url.replace("https://", "webcal://").replace("http://",
                                                                                "webcal://")}
    return render(request, "agenda/settings_calendar.html", context, nav="settings")


def customer_choices(business):
    return Customer.objects.filter(business=business).order_by("name")
