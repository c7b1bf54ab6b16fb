"""The actions on one touch (done, skip, snooze, cancel, preview) and the helpers that show
a touch with its context. The Today and week pages themselves live in agenda, which can
also show promises and feedback."""

import datetime as dt
import functools
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.shortcuts import redirect
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from followthrough.channels import kinds
from followthrough.channels.rendering import TemplateProblem, plain, render_subject, render_text
from followthrough.customers.templatetags.customer_tags import phone_display
from followthrough.prepared import Prepared
from followthrough.tenants.access import business_required, get_scoped_or_404
from followthrough.tenants.views import in_business_zone, render
from followthrough.touchpoints import lifecycle, services
from followthrough.touchpoints.merge import merge_context
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.planning import replan_after

log = logging.getLogger(__name__)

UPCOMING_DAYS = 7
HISTORY_LENGTH = 3


def get_touchpoint_or_404(request, public_id):
    queryset = Touchpoint.objects.select_related("customer", "engagement", "step")
    return get_scoped_or_404(queryset, request.business, public_id=public_id)


def end_of_today(business, now=None):
    now = now or timezone.now()
    zone = business.zone
    tomorrow = now.astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0, 0), tzinfo=zone).astimezone(dt.UTC)


TEMPLATE_SHOWN = "We couldn't fill in the details, so this is the template."


def render_touch(touchpoint):
    """The step's subject and body rendered for this customer; never raises.

    Returns (subject, body, problem): problem is a plain sentence when rendering failed.
    All three are plain text (never marked safe), for the page to escape."""
    subject, body, problem = _render_touch(touchpoint)
    return plain(subject), plain(body), plain(problem)


def _render_touch(touchpoint):
    if touchpoint.rendered_body:
        return touchpoint.rendered_subject, touchpoint.rendered_body, ""
    step = touchpoint.step
    if step is None or not (step.body.strip() or step.subject.strip()):
        return "", "", ""
    try:
        context = merge_context(touchpoint)
        subject = render_subject(step.subject, context) if step.subject else ""
        body = render_text(step.body, context) if step.body else ""
        return subject, body, ""
    except TemplateProblem as problem:
        return step.subject, step.body, f"{TEMPLATE_SHOWN} {problem}"
    except Exception:  # a broken template must never break the agenda
        log.warning("Could not render touchpoint %s", touchpoint.public_id, exc_info=True)
        return step.subject, step.body, TEMPLATE_SHOWN


def _history_query(customers, limit=HISTORY_LENGTH):
    return (
        Touchpoint.objects.filter(customer_id__in=customers, status__in=Status.FINISHED)
        .annotate(rank=Window(RowNumber(), partition_by=[F("customer_id")],
                              order_by=[F("due_at").desc(), F("id").desc()]))
        .filter(rank__lte=limit)
        .only("customer_id", "due_at", "name", "status", "outcome_note")
        .order_by("customer_id", "rank")
    )


_HISTORY = Prepared(_history_query, customers=[int])


def histories(customer_ids) -> dict[int, list]:
    """The last HISTORY_LENGTH finished touches of each customer, newest first: one query
    however many customers (a window function ranks each customer's rows)."""
    found: dict[int, list] = {}
    for row in _HISTORY(customers=sorted(set(customer_ids))):
        found.setdefault(row.customer_id, []).append(row)
    return found


# The routes a touch's card posts to. Reversed once per page, not once per card: reversing
# was the largest cost of a long Today.
CARD_ROUTES = ("touch_done", "touch_outcome", "touch_snooze", "touch_skip", "touch_else",
               "touch_assign", "touch_book", "touch_approve", "touch_cancel", "touch_preview",
               "customer_detail", "engagement_detail")
_SLOT = "PUBLICIDSLOT"


# A line of "Going out soon" needs fewer (and no engagement).
ROW_ROUTES = ("touch_preview", "touch_cancel", "customer_detail")


def card_urls(routes=CARD_ROUTES) -> dict[str, str]:
    """Each route's path with a slot for the public id; see `urls_for`. Reversed once per
    process (and script prefix and URLconf), not once per page."""
    return _card_urls(routes, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=64)
def _card_urls(routes, prefix, urlconf) -> dict[str, str]:
    return {name: reverse(name, args=[_SLOT], urlconf=urlconf) for name in routes}


def urls_for(patterns: dict[str, str], touchpoint) -> dict[str, str]:
    """The touch's links, keyed by route without its "touch_" prefix or "_detail" suffix
    (done, outcome, …, customer, engagement)."""
    def public_id(name: str) -> str:
        if name == "customer_detail":
            return touchpoint.customer.public_id
        if name == "engagement_detail":
            return touchpoint.engagement.public_id if touchpoint.engagement_id else ""
        return touchpoint.public_id

    links = {}
    for name, path in patterns.items():
        value = public_id(name)  # "" for the job of a touch that has none
        links[name.removeprefix("touch_").removesuffix("_detail")] = (
            path.replace(_SLOT, value) if value else "")
    return links


@functools.lru_cache(maxsize=4096)
def shown_phone(e164: str) -> str:
    """The phone number as people read it; parsing is slow enough to remember."""
    return phone_display(e164)


def _card(touchpoint, now, history=None, urls=None):
    subject, script, problem = render_touch(touchpoint)
    if history is None:
        history = histories([touchpoint.customer_id]).get(touchpoint.customer_id, [])
    return {
        "touch": touchpoint,
        "script": script,
        "script_problem": problem,
        "history": history,
        "overdue": touchpoint.due_at < now,
        "due_today": timezone.localdate(touchpoint.due_at) == timezone.localdate(now),
        "channel_label": kinds.LABELS.get(touchpoint.channel, touchpoint.channel),
        "urls": urls_for(urls or card_urls(), touchpoint),
        "phone": shown_phone(touchpoint.customer.phone) if touchpoint.customer.phone else "",
    }


def _after_action(request, touchpoint, done_text, undo=None):
    """The answer to an action: on Today (htmx) the card becomes a line saying what
    happened, with Undo while `undo` (the recorded change) may still be taken back."""
    if request.htmx:
        return render(request, "touchpoints/_touch_result.html", result_context(
            touchpoint, done_text, undo=undo))
    messages.success(request, done_text)
    return redirect("today")


def result_context(touchpoint, text, problem=False, undo=None) -> dict:
    return {"touch": touchpoint, "text": text, "problem": problem,
            "undo_url": reverse("touch_undo", args=[touchpoint.public_id]) if undo else "",
            "undo_seconds": int(lifecycle.undo_window().total_seconds())}


def _refuse(request, touchpoint, text):
    if request.htmx:
        return render(
            request, "touchpoints/_touch_result.html",
            {"touch": touchpoint, "text": text, "problem": True},
        )
    messages.error(request, text)
    return redirect("today")


def _problem_text(exc):
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


ALREADY_DONE = "That one was already taken care of."


def _act(request, touchpoint, action, done_text, closed_text=ALREADY_DONE, undoable=False,
         **fields):
    """Runs `action()` on an open touch and answers with `done_text`, filled in with the
    touch's {name}, the customer's name ({who}) and `fields`; or refuses, saying why not.
    An `undoable` action is recorded so the person can take it back for a few seconds."""
    if not touchpoint.is_open:
        return _refuse(request, touchpoint, closed_text)
    before = lifecycle.snapshot(touchpoint)
    try:
        action()
    except (ValidationError, ValueError) as exc:
        return _refuse(request, touchpoint, _problem_text(exc))
    undo = lifecycle.remember(request.user, before, touchpoint) if undoable else None
    text = done_text.format(name=touchpoint.name, who=touchpoint.customer.name, **fields)
    return _after_action(request, touchpoint, text, undo)


def _close_touch(request, public_id, action, done_text):
    """Done or skip: `action(touchpoint, user, note)` with the note from the form."""
    touchpoint = get_touchpoint_or_404(request, public_id)
    note = request.POST.get("outcome_note", "").strip()
    return _act(request, touchpoint, lambda: action(touchpoint, request.user, note), done_text,
                undoable=True)


WHEN_MAX = 40


def when_from_form(request) -> dt.datetime | None:
    """The optional "when it happened" of a late log: a local date and time in the
    business's zone ("2026-06-10T14:30"); blank means now."""
    text = request.POST.get("when", "").strip()
    if not text:
        return None
    try:
        if len(text) > WHEN_MAX:
            raise ValueError(text)
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError({"when": "Give the date and time it happened, like "
                                       "2026-06-10 14:30."}) from None
    if timezone.is_aware(when):
        return when
    return when.replace(tzinfo=request.business.zone, fold=0)


def late_loggable(touchpoint) -> bool:
    """A personal touch marked missed can still be logged as done."""
    return touchpoint.status == Status.MISSED and not touchpoint.is_automated


@business_required
@in_business_zone
@require_POST
def touch_done(request, public_id):
    touchpoint = get_touchpoint_or_404(request, public_id)
    if not late_loggable(touchpoint):
        return _close_touch(request, public_id, services.complete_touch,
                            "Nice work: {name} with {who} is done.")
    before = lifecycle.snapshot(touchpoint)
    try:
        when = when_from_form(request)
        services.complete_touch(touchpoint, request.user,
                                request.POST.get("outcome_note", ""), when)
    except ValidationError as exc:
        return _refuse(request, touchpoint, _problem_text(exc))
    text = f"Logged late: {touchpoint.name} with {touchpoint.customer.name} is done."
    return _after_action(request, touchpoint, text,
                         lifecycle.remember(request.user, before, touchpoint))


@business_required
@in_business_zone
@require_POST
def touch_skip(request, public_id):
    return _close_touch(request, public_id, services.skip_touch, "Skipped {name} with {who}.")


SNOOZE_CHOICES = {"tomorrow": 1, "next_week": 7}


def snooze_until(business, days, now=None):
    """The start of business hours, `days` business-local days from now."""
    now = now or timezone.now()
    zone = business.zone
    day = now.astimezone(zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, business.business_hours_start, tzinfo=zone).astimezone(dt.UTC)


@business_required
@in_business_zone
@require_POST
def touch_snooze(request, public_id):
    touchpoint = get_touchpoint_or_404(request, public_id)
    days = SNOOZE_CHOICES.get(request.POST.get("until", ""))
    if days is None:
        return _refuse(request, touchpoint, "Choose when to snooze until: tomorrow or next week.")
    until = snooze_until(request.business, days)
    when = "tomorrow" if days == 1 else "next week"
    return _act(request, touchpoint, lambda: services.snooze_touch(touchpoint, until),
                "Snoozed {name} with {who} until {when}.", when=when)


@business_required
@in_business_zone
@require_POST
def touch_cancel(request, public_id):
    touchpoint = get_touchpoint_or_404(request, public_id)
    reason = request.POST.get("outcome_note", "")  # needed to stop an unhappy customer's review ask
    return _act(request, touchpoint,
                lambda: services.cancel_touch(touchpoint, request.user, reason),
                "Cancelled: {name} won't be sent to {who}.",
                closed_text="That message isn't waiting to go out any more.")


@business_required
@in_business_zone
@require_POST
def touch_undo(request, public_id):
    """Take back your own Done, Skip or Approve, within a few seconds of it."""
    touchpoint = get_touchpoint_or_404(request, public_id)
    try:
        with transaction.atomic():
            lifecycle.undo(touchpoint, request.user)
            # A repeat's next occurrence, made when this one ended, goes again; what the
            # contact budget moved because of it moves back.
            transaction.on_commit(lambda: replan_after(touchpoint))
    except ValidationError as exc:
        return _refuse(request, touchpoint, _problem_text(exc))
    text = f"Undone: {touchpoint.name} with {touchpoint.customer.name} is " + (
        "waiting for your approval again." if touchpoint.status == Status.DRAFT
        else "back on your list.")
    if request.htmx and touchpoint.status in (Status.PLANNED, Status.MISSED) \
            and not touchpoint.is_automated:
        touchpoint.business = request.business
        return render(request, "touchpoints/_touch_card.html",
                      {"card": _card(touchpoint, timezone.now()), "undone": text})
    if request.htmx:
        return render(request, "touchpoints/_touch_result.html",
                      result_context(touchpoint, text))
    messages.success(request, text)
    return redirect(request.POST.get("next") if request.POST.get("next") in NEXT_PAGES
                    else "today")


# Where a full-page form may send the person back to.
NEXT_PAGES = ("/today/", "/week/", "/")


@business_required
@in_business_zone
@require_GET
def touch_preview(request, public_id):
    touchpoint = get_touchpoint_or_404(request, public_id)
    subject, body, problem = render_touch(touchpoint)
    context = {"touch": touchpoint, "subject": subject, "body": body, "problem": problem}
    template = "touchpoints/_preview.html" if request.htmx else "touchpoints/preview.html"
    return render(request, template, context, nav="today")
