from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.channels.layout import Brand, email_html
from followthrough.channels.rendering import (
    MERGE_FIELDS,
    SAMPLE_CONTEXT,
    TemplateProblem,
    render_subject,
    render_text,
    text_to_html,
)
from followthrough.channels.views import EMAIL_CSP, send_test
from followthrough.playbooks import services
from followthrough.playbooks.forms import PlaybookDetailsForm, PlaybookForm, PreviewForm, StepForm
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.access import business_required, get_scoped_or_404, owner_required
from followthrough.tenants.views import in_business_zone, render


def get_playbook_or_404(request, public_id):
    return get_scoped_or_404(Playbook.objects.all(), request.business, public_id=public_id)


def get_step_or_404(request, public_id):
    # A step belongs to its business through its playbook.
    if request.business is None:
        raise Http404("No business")
    try:
        return Step.objects.select_related("playbook").get(
            playbook__business=request.business, public_id=public_id
        )
    except Step.DoesNotExist:
        raise Http404("No step here") from None


# The customer's links in a preview or a test: the shape a customer gets (this install's
# tracked links, e.g. /r/… for reviews, which counts the click and then goes on to the
# business's review pages), with a sample token in place of the customer's own.
SAMPLE_LINK_ID = "sample-link"


def sample_links() -> dict[str, str]:
    site, token = settings.SITE_URL, SAMPLE_LINK_ID
    survey = f"{site}/s/{token}"
    return {
        "review_link": f"{site}/r/{token}",
        "feedback_link": survey,
        "social_link": f"{site}/social/{token}",
        "subscribe_link": f"{site}/n/{token}",
        "score_links": "\n".join(f"{n} {survey}?nps={n}" for n in range(10, -1, -1)),
        "referral_link": f"{site}/ref/SAMPLE23",
        "unsubscribe_link": f"{site}/u/{token}",
        "preferences_link": f"{site}/u/{token}",
        "site_url": site,
    }


def sample_context(business) -> dict[str, str]:
    """A made-up customer with this business's real details: plain strings only."""
    context = dict(SAMPLE_CONTEXT)
    context.update(sample_links())
    context.update({
        "business_name": business.name,
        "sender_name": business.sender_name or business.name,
        "business_phone": business.phone or SAMPLE_CONTEXT["business_phone"],
    })
    return context


def render_preview(business, subject: str, body: str) -> dict:
    """Never raises: a template that fails (a mistake, or a broken limit while rendering)
    is shown as its problem, with its line."""
    context = sample_context(business)
    result = {"subject": "", "body": "", "problem": ""}
    try:
        result["subject"] = render_subject(subject, context) if subject else ""
        result["body"] = render_text(body, context) if body else ""
    except TemplateProblem as problem:
        result["problem"] = str(problem)
    return result


def describe_offset(step) -> str:
    """'the day after it's won', '2 days before it's delivered', 'on the day it's started'."""
    anchor = step.get_anchor_display().lower()
    days, hours = step.offset_days, step.offset_hours
    if not days and not hours:
        return f"on the day it's {anchor}"
    if days in (1, -1) and not hours:
        return f"the day {'after' if days > 0 else 'before'} it's {anchor}"
    parts = []
    if days:
        parts.append(f"{abs(days)} day{'s' if abs(days) != 1 else ''}")
    if hours:
        parts.append(f"{abs(hours)} hour{'s' if abs(hours) != 1 else ''}")
    before = days < 0 or (not days and hours < 0)
    return f"{' '.join(parts)} {'before' if before else 'after'} it's {anchor}"


def describe_when(step) -> str:
    """The step's timing in one sentence, e.g. "The day after it's won, at 10:00"."""
    text = f"{describe_offset(step)}, at {step.local_time:%H:%M}"
    if step.repeat_every_days:
        text += (f", then every {step.repeat_every_days} days until it's "
                 f"{step.get_repeat_until_display().lower()}")
    return text[0].upper() + text[1:]


def _owner_of(request) -> bool:
    return bool(request.membership and request.membership.is_owner)


@business_required
@require_http_methods(["GET", "HEAD"])
def playbook_list(request):
    playbooks = Playbook.objects.filter(business=request.business).annotate(
        step_count=Count("steps")
    )
    return render(request, "playbooks/playbook_list.html", {"playbooks": playbooks},
                  nav="playbooks")


@owner_required
@require_POST
def playbook_install(request):
    installed = install_builtin_playbooks(request.business)
    names = " and ".join(p.name for p in installed)
    messages.success(request, f"Added the built-in playbooks: {names}. "
                              "Open one to make it your own.")
    return redirect("playbook_list")


@owner_required
@require_http_methods(["GET", "HEAD", "POST"])
def playbook_new(request):
    initial = {}
    source = request.GET.get("from")
    if source:
        original = get_playbook_or_404(request, source)
        initial = {"copy_from": original.public_id, "name": f"{original.name} (copy)",
                   "description": original.description}
    form = PlaybookForm(request.POST or None, business=request.business, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            playbook = services.create_playbook(
                request.business, name=data["name"], slug=data["slug"],
                description=data["description"], copy_from=data["copy_from"],
            )
        except IntegrityError:
            # Someone took the slug between the form's check and our insert.
            form.add_error("slug", f"Another of your playbooks already uses “{data['slug']}”. "
                                   "Choose a different short name.")
        else:
            if data["copy_from"]:
                messages.success(request, f"Made “{playbook.name}”, a copy of "
                                          f"{data['copy_from'].name}. Changes here don't "
                                          "touch the original.")
            else:
                messages.success(request, f"Made “{playbook.name}”. Add its first step.")
            return redirect("playbook_detail", playbook.public_id)
    return render(request, "playbooks/playbook_form.html", {"form": form}, nav="playbooks")


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def playbook_detail(request, public_id):
    playbook = get_playbook_or_404(request, public_id)
    steps = list(playbook.steps.order_by("position", "id"))
    items = [
        {"step": s, "when": describe_when(s), "automated": kinds.is_automated(s.channel),
         "first": i == 0, "last": i == len(steps) - 1}
        for i, s in enumerate(steps)
    ]
    context = {"playbook": playbook, "steps": items, "stage_names": v.STAGE_NAMES,
               "can_change": _owner_of(request)}
    return render(request, "playbooks/playbook_detail.html", context, nav="playbooks")


@owner_required
@require_http_methods(["GET", "HEAD", "POST"])
def playbook_edit(request, public_id):
    playbook = get_playbook_or_404(request, public_id)
    form = PlaybookDetailsForm(request.POST or None, instance=playbook)
    if request.method == "POST" and form.is_valid():
        services.update_playbook(playbook, name=form.cleaned_data["name"],
                                 description=form.cleaned_data["description"])
        messages.success(request, f"Saved “{playbook.name}”.")
        return redirect("playbook_detail", playbook.public_id)
    if request.method == "POST":
        playbook.refresh_from_db()
    return render(request, "playbooks/playbook_edit.html",
                  {"form": form, "playbook": playbook}, nav="playbooks")


@owner_required
@require_POST
def playbook_toggle(request, public_id):
    playbook = get_playbook_or_404(request, public_id)
    playbook.is_active = not playbook.is_active
    playbook.save(update_fields=["is_active"])
    if playbook.is_active:
        messages.success(request, f"{playbook.name} is on: new sales can use it.")
    else:
        messages.success(
            request,
            f"{playbook.name} is off: new sales can't choose it. Plans already made keep going.",
        )
    return redirect("playbook_detail", playbook.public_id)


def _step_page(request, form, playbook, step=None):
    context = {
        "form": form, "playbook": playbook, "step": step, "merge_fields": MERGE_FIELDS,
        "preview": render_preview(request.business, step.subject, step.body) if step else None,
    }
    return render(request, "playbooks/step_form.html", context, nav="playbooks")


@owner_required
@in_business_zone
@require_http_methods(["GET", "HEAD", "POST"])
def step_new(request, public_id):
    playbook = get_playbook_or_404(request, public_id)
    step = Step(playbook=playbook, position=services.next_position(playbook))
    form = StepForm(request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        services.save_step(form.instance)
        messages.success(request, f"Added “{step.name}” to {playbook.name}. "
                                  "New sales will include it.")
        return redirect("playbook_detail", playbook.public_id)
    return _step_page(request, form, playbook)


@owner_required
@in_business_zone
@require_http_methods(["GET", "HEAD", "POST"])
def step_edit(request, public_id):
    step = get_step_or_404(request, public_id)
    form = StepForm(request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        services.save_step(form.instance)
        messages.success(request, f"Saved “{step.name}”. Sales from now on use the new version.")
        return redirect("playbook_detail", step.playbook.public_id)
    if request.method == "POST":
        step.refresh_from_db()
    return _step_page(request, form, step.playbook, step)


@business_required
@require_http_methods(["GET", "HEAD", "POST"])
def step_preview(request, public_id):
    """GET previews the saved step; POST previews unsaved text from the form, saving nothing."""
    step = get_step_or_404(request, public_id)
    subject, body = step.subject, step.body
    problem = ""
    if request.method == "POST":
        form = PreviewForm(request.POST)
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
        else:
            problem = " ".join(f"{form.fields[name].label or name.title()}: {' '.join(errors)}"
                               for name, errors in form.errors.items())
    preview = ({"subject": "", "body": "", "problem": problem} if problem
               else render_preview(request.business, subject, body))
    context = {"step": step, "playbook": step.playbook, "preview": preview,
               "can_send_test": step.channel == kinds.EMAIL}
    template = "playbooks/_preview.html" if request.htmx else "playbooks/step_preview.html"
    return render(request, template, context, nav="playbooks")


def _step_email(business, step) -> tuple[dict, str]:
    """The saved step for the sample customer: its preview, and its email's HTML ("" when
    it cannot be rendered)."""
    preview = render_preview(business, step.subject, step.body)
    html = "" if preview["problem"] else step_email_html(business, step, preview)
    return preview, html


@business_required
@require_http_methods(["GET", "HEAD"])
@xframe_options_sameorigin
def step_preview_email(request, public_id):
    """The saved step as an email, as the customer's mail client shows it, for the
    preview's sandboxed frame (with the Outbox's own CSP for email HTML). The page frames
    it for email steps only."""
    step = get_step_or_404(request, public_id)
    _, html = _step_email(request.business, step)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_CSP
    response["Referrer-Policy"] = "no-referrer"
    return response


@business_required
@require_POST
def step_send_test(request, public_id):
    """Send the saved step, as the sample customer would get it, to my own address now
    (through the mail queue, as all mail from a page goes), marked as a test."""
    step = get_step_or_404(request, public_id)
    if step.channel != kinds.EMAIL:
        messages.error(request, "Only email steps can be sent as a test.")
    else:
        preview, html = _step_email(request.business, step)
        if preview["problem"]:
            messages.error(request, f"This step can't be sent yet: {preview['problem']}")
        else:
            send_test(request, preview["subject"] or step.name, preview["body"], html)
    return redirect("step_preview", step.public_id)


def step_email_html(business, step, preview: dict) -> str:
    """The email's HTML as the customer would get it: the layout, the brand, and for
    relationship and marketing mail the postal address and an (sample) unsubscribe link."""
    listed = step.purpose in (v.RELATIONSHIP, v.MARKETING)
    return email_html(
        text_to_html(preview["body"]), Brand.of(business), subject=preview["subject"],
        text=preview["body"], postal_address=business.postal_address if listed else "",
        unsubscribe_url=sample_links()["unsubscribe_link"] if listed else "",
    )


@owner_required
@require_POST
def step_delete(request, public_id):
    step = get_step_or_404(request, public_id)
    services.delete_step(step)
    messages.success(request, f"Deleted “{step.name}”. Its planned follow-ups are cancelled; "
                              "what was already sent or done stays in the history.")
    return redirect("playbook_detail", step.playbook.public_id)


def _move(request, public_id, direction):
    step = get_step_or_404(request, public_id)
    services.move_step(step, direction)
    return redirect(f"{reverse('playbook_detail', args=[step.playbook.public_id])}"
                    f"#step-{step.public_id}")


@owner_required
@require_POST
def step_move_up(request, public_id):
    return _move(request, public_id, services.UP)


@owner_required
@require_POST
def step_move_down(request, public_id):
    return _move(request, public_id, services.DOWN)
