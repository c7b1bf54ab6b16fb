from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.channels import kinds
from followthrough.channels.rendering import (
    MERGE_FIELDS,
    SAMPLE_CONTEXT,
    TemplateProblem,
    render_subject,
    render_text,
)
from followthrough.playbooks import vocabulary as v
from followthrough.playbooks.forms import PreviewForm, StepForm
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.access import business_required, get_scoped_or_404
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


def sample_context(business) -> dict[str, str]:
    """A made-up customer with this business's real details: plain strings only."""
    context = dict(SAMPLE_CONTEXT)
    context.update({
        "business_name": business.name,
        "sender_name": business.sender_name or business.name,
        "business_phone": business.phone or SAMPLE_CONTEXT["business_phone"],
    })
    if business.website:
        for key in ("review_link", "social_link", "subscribe_link"):
            context[key] = business.website
    return context


def render_preview(business, subject: str, body: str) -> dict:
    context = sample_context(business)
    result = {"subject": "", "body": "", "problem": ""}
    try:
        result["subject"] = render_subject(subject, context) if subject else ""
        result["body"] = render_text(body, context) if body else ""
    except TemplateProblem as problem:
        result["problem"] = str(problem)
    return result


def describe_offset(step) -> str:
    parts = []
    if step.offset_days:
        n = abs(step.offset_days)
        parts.append(f"{n} day{'s' if n != 1 else ''}")
    if step.offset_hours:
        n = abs(step.offset_hours)
        parts.append(f"{n} hour{'s' if n != 1 else ''}")
    anchor = step.get_anchor_display().lower()
    if not parts:
        return f"on the day it's {anchor}"
    before = step.offset_days < 0 or (not step.offset_days and step.offset_hours < 0)
    return f"{' '.join(parts)} {'before' if before else 'after'} it's {anchor}"


@business_required
@require_http_methods(["GET", "HEAD"])
def playbook_list(request):
    playbooks = Playbook.objects.filter(business=request.business).annotate(
        step_count=Count("steps")
    )
    return render(request, "playbooks/playbook_list.html", {"playbooks": playbooks},
                  nav="playbooks")


@business_required
@require_http_methods(["GET", "HEAD"])
def playbook_detail(request, public_id):
    playbook = get_playbook_or_404(request, public_id)
    steps = [
        {"step": s, "offset": describe_offset(s), "automated": kinds.is_automated(s.channel)}
        for s in playbook.steps.all()
    ]
    context = {"playbook": playbook, "steps": steps, "stage_names": v.STAGE_NAMES}
    return render(request, "playbooks/playbook_detail.html", context, nav="playbooks")


@business_required
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


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD", "POST"])
def step_new(request, public_id):
    playbook = get_playbook_or_404(request, public_id)
    last = playbook.steps.aggregate(m=Max("position"))["m"]
    step = Step(playbook=playbook, position=(last or 0) + 1)
    form = StepForm(request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, f"Added “{step.name}” to {playbook.name}. "
                                  "New sales will include it.")
        return redirect("playbook_detail", playbook.public_id)
    return _step_page(request, form, playbook)


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD", "POST"])
def step_edit(request, public_id):
    step = get_step_or_404(request, public_id)
    form = StepForm(request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
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
    if request.method == "POST":
        form = PreviewForm(request.POST)
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
    context = {"step": step, "playbook": step.playbook,
               "preview": render_preview(request.business, subject, body)}
    template = "playbooks/_preview.html" if request.htmx else "playbooks/step_preview.html"
    return render(request, template, context, nav="playbooks")
