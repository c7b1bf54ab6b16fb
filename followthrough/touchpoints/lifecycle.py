"""The touchpoint lifecycle: every creation and status change of a touchpoint goes through here.

The allowed moves between statuses are written down once, in ALLOWED. A move the table does
not allow raises IllegalTransition, never a silent no-op. Status changes are conditional
updates (the worker may claim a row between our read and our write), so each one names the
status it expects to find.

Who makes each move is in docs/architecture.md ("The touchpoint lifecycle"). A person's
own Done, Skip or Approve can be undone for a few seconds by the narrow UNDO table at the
end (docs/agenda.md, "Undo"), never by ALLOWED.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from followthrough.tenants import audit
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint

S = Status

# from → the statuses it may become. A status that maps to itself may be moved in time
# (a replan, a snooze) without changing state.
ALLOWED: dict[str, frozenset[str]] = {
    S.PLANNED: frozenset({S.PLANNED, S.DRAFT, S.SENDING, S.DONE, S.SKIPPED, S.MISSED,
                          S.CANCELLED, S.PAUSED}),
    S.DRAFT: frozenset({S.DRAFT, S.PLANNED, S.SKIPPED, S.MISSED, S.CANCELLED}),
    S.SENDING: frozenset({S.SENT, S.PLANNED, S.FAILED, S.SKIPPED, S.MISSED, S.CANCELLED,
                          S.PAUSED}),
    S.PAUSED: frozenset({S.PLANNED, S.SKIPPED, S.CANCELLED}),
    # A personal touch done late: the owner made the call after the catch-up window.
    S.MISSED: frozenset({S.DONE}),
    # Only the planner revives its own cancels and consent skips (see planning.py).
    S.CANCELLED: frozenset({S.PLANNED, S.DRAFT, S.SKIPPED, S.MISSED}),
    S.SKIPPED: frozenset({S.PLANNED, S.DRAFT, S.SKIPPED, S.MISSED}),
    S.SENT: frozenset(),
    S.DONE: frozenset(),
    S.FAILED: frozenset(),
}
# What a new row may start as.
INITIAL = frozenset({S.PLANNED, S.DRAFT, S.SKIPPED, S.MISSED})


class IllegalTransition(ValidationError):
    """A status change the lifecycle does not allow."""

    def __init__(self, current: str, to: str):
        self.current, self.to = current, to
        super().__init__({"status": f"A {_label(current)} touchpoint cannot become "
                                    f"{_label(to)}."})


def _label(status: str) -> str:
    return dict(S.CHOICES).get(status, status).lower()


def allowed(current: str, to: str) -> bool:
    return to in ALLOWED.get(current, frozenset())


def check(current: str, to: str) -> None:
    if not allowed(current, to):
        raise IllegalTransition(current, to)


def sources(to: str) -> frozenset[str]:
    """Every status that may become `to`."""
    return frozenset(current for current, targets in ALLOWED.items() if to in targets)


def transition(target: Touchpoint | QuerySet, to: str, *,
               from_: str | Iterable[str] | None = None,
               reason_code: str | None = None, **fields) -> int:
    """Move a row, or every row of a queryset, to status `to`; returns how many moved.

    Conditional on the current status: `from_` (default: the row's status as loaded; for a
    queryset it is required) names what each row must still be. A pair the table does not
    allow raises IllegalTransition before anything is written. Zero means the rows had
    already moved on (a race), which callers may report as they see fit.
    """
    if isinstance(target, Touchpoint):
        rows = Touchpoint.objects.filter(pk=target.pk)
        current = {target.status} if from_ is None else _statuses(from_)
    else:
        if from_ is None:
            raise TypeError("transition() on a queryset needs from_: the status(es) it expects.")
        rows, current = target, _statuses(from_)
    for status in current:
        check(status, to)
    if reason_code is not None:
        _check_reason(reason_code)
        fields["reason_code"] = reason_code
    fields.setdefault("updated_at", timezone.now())
    return rows.filter(status__in=current).update(status=to, **fields)


def change(touchpoint: Touchpoint, to: str, *, reason_code: str | None = None,
           **fields) -> Touchpoint:
    """One row, as a person asked: refused clearly when it is no longer in the state they saw.
    Returns the row reloaded."""
    expected = touchpoint.status
    if transition(touchpoint, to, reason_code=reason_code, **fields) != 1:
        touchpoint.refresh_from_db(fields=["status"])
        if touchpoint.status != expected:
            check(touchpoint.status, to)
        raise ValidationError({"status": f"This touchpoint is already "
                                         f"{_label(touchpoint.status)}; it can't change now."})
    touchpoint.refresh_from_db()
    return touchpoint


def _statuses(value: str | Iterable[str]) -> frozenset[str]:
    return frozenset({value} if isinstance(value, str) else value)


def _check_reason(code: str) -> None:
    if code not in Reason.ALL:
        raise ValueError(f"Unknown reason code {code!r}.")


# Creation -------------------------------------------------------------------------------

def build(*, origin: str, status: str = S.PLANNED, reason_code: str = Reason.NONE,
          **fields) -> Touchpoint:
    """An unsaved touchpoint, checked: a known origin, a status a row may start in."""
    if origin not in Origin.ALL:
        raise ValueError(f"Unknown touchpoint origin {origin!r}.")
    if status not in INITIAL:
        raise IllegalTransition("new", status)
    _check_reason(reason_code)
    return Touchpoint(origin=origin, status=status, reason_code=reason_code, **fields)


def create(**fields) -> Touchpoint:
    row = build(**fields)
    row.save(force_insert=True)
    return row


def get_or_create(idempotency_key: str, **fields) -> tuple[Touchpoint, bool]:
    """The row with this key, made once; a rerun (a second survey answer, a retried
    request) finds the first one. Returns (row, created)."""
    found = Touchpoint.objects.filter(idempotency_key=idempotency_key).first()
    if found is not None:
        return found, False
    row = build(idempotency_key=idempotency_key, **fields)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:  # made meanwhile by a concurrent request
        return Touchpoint.objects.get(idempotency_key=idempotency_key), False
    return row, True


def bulk_create(rows: list[Touchpoint]) -> list[Touchpoint]:
    """Rows made with build(); one INSERT per batch."""
    return Touchpoint.objects.bulk_create(rows)


# What ends with its engagement ------------------------------------------------------------

# Cancelling a job ends its playbook's rows (the replan drops them), the follow-ups of its
# survey and its own maintenance reminders. A recovery call, a visit, news and a referral
# thank-you are about the customer and only hang off the job, so they stay; rows of other
# engagements are never touched.
ENDS_WITH_ENGAGEMENT = frozenset({Origin.FOLLOW_UP, Origin.MAINTENANCE})
OPEN = (S.PLANNED, S.DRAFT, S.PAUSED)


def cancel_with_engagement(engagement) -> int:
    """The engagement was cancelled: end its open follow-ups and reminders."""
    rows = Touchpoint.objects.filter(engagement=engagement, origin__in=ENDS_WITH_ENGAGEMENT)
    return transition(rows, S.CANCELLED, from_=OPEN, reason_code=Reason.ENGAGEMENT_CANCELLED,
                      moved_reason=Reason.LABELS[Reason.ENGAGEMENT_CANCELLED])


# The planner's words, as codes ------------------------------------------------------------

# The pure planner (playbooks/planner.py) gives a code for what it decides (skips, the
# cap); a move by the hours rules it still explains only in words. These are the openings
# it uses, and the last rule that moved a row decides its code.
PLANNER_WORDS = (
    ("frequency cap", Reason.FREQUENCY_CAP),
    ("customer's call hours", Reason.CALL_HOURS),
    ("no time suits both", Reason.CALL_HOURS),
    ("quiet hours", Reason.QUIET_HOURS),
    ("outside business hours", Reason.BUSINESS_HOURS),
    ("not a business day", Reason.BUSINESS_HOURS),
    ("does not exist that day", Reason.CLOCK_CHANGE),
)


def words_reason(words: str) -> str:
    """The code for a move explained by the planner's hours rules (reminders use them too)."""
    for part in reversed(words.split("; ")):
        for opening, code in PLANNER_WORDS:
            if opening in part:
                return code
    return Reason.NONE


def planner_reason(item) -> str:
    """The code for one planner result (a planner.PlannedTouchpoint)."""
    if item.reason_code:
        return item.reason_code
    if item.status == S.MISSED:
        return Reason.CATCH_UP_MISSED
    return words_reason(item.moved_reason)


# Undo -------------------------------------------------------------------------------------

# A person may take back their own Done, Skip or Approve for a few seconds: the row returns
# to the status it had. These moves are NOT in ALLOWED, where done and a person's skip are
# final for everyone else (the planner, the worker); only undo() makes them, and only
#   - for the row's latest transition (its updated_at is still the one recorded),
#   - by the member who made it,
#   - within settings.UNDO_SECONDS of it (the server's clock decides, not the browser).
# after → the statuses it may return to.
UNDO: dict[str, frozenset[str]] = {
    S.DONE: frozenset({S.PLANNED, S.MISSED}),
    S.SKIPPED: frozenset({S.PLANNED, S.DRAFT}),
    S.PLANNED: frozenset({S.DRAFT}),  # an approval
}
# What a person's change sets and its undo puts back. Never text a customer or a person
# wrote: the record is in the audit log, which outlives an erasure.
UNDO_FIELDS = ("due_at", "completed_at", "reason_code", "moved_reason", "assigned_to_id")
UNDO_ACTIONS = {S.DONE: "touchpoint.done", S.SKIPPED: "touchpoint.skip",
                S.PLANNED: "touchpoint.approve"}
UNDONE = "touchpoint.undo"
SUMMARIES = {"touchpoint.done": "Marked a touch done", "touchpoint.skip": "Skipped a touch",
             "touchpoint.approve": "Approved a message", UNDONE: "Undid a change to a touch"}


def undo_window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.UNDO_SECONDS)


def snapshot(touchpoint: Touchpoint) -> dict:
    """The row as the person saw it, before their change: pass it to remember()."""
    return {"status": touchpoint.status,
            **{name: getattr(touchpoint, name) for name in UNDO_FIELDS}}


def remember(user, before: dict, touchpoint: Touchpoint):
    """Record a person's change (audit log), so they can undo it for a short while.
    `touchpoint` is the row as saved by the change."""
    after = touchpoint.status
    if before["status"] not in UNDO.get(after, ()):
        return None
    values = {name: _json(before[name]) for name in UNDO_FIELDS}
    action = UNDO_ACTIONS[after]
    return audit.record(user, touchpoint.business, action, target=touchpoint,
                        changes={"status": [before["status"], after], "undo": values,
                                 "at": touchpoint.updated_at.isoformat()},
                        summary=SUMMARIES[action])


def undoable(touchpoint: Touchpoint, user, now: dt.datetime | None = None):
    """The record of `user`'s latest change of this row, if it may still be undone."""
    entry = _latest_change(touchpoint)
    if entry is None or entry.action == UNDONE or entry.actor_id != getattr(user, "pk", None):
        return None
    before, after = entry.changes["status"]
    at = dt.datetime.fromisoformat(entry.changes["at"])
    fresh = (now or timezone.now()) - at <= undo_window()
    if not fresh or touchpoint.status != after or touchpoint.updated_at != at:
        return None
    return entry if before in UNDO.get(after, ()) else None


def undo(touchpoint: Touchpoint, user, now: dt.datetime | None = None) -> Touchpoint:
    """Put the row back as it was before `user`'s latest change, within the window.
    Refused (ValidationError on `undo`) when it is too late, not theirs, or the row has
    changed since (the worker claimed an approved message: it is on its way)."""
    now = now or timezone.now()
    touchpoint.refresh_from_db()
    entry = undoable(touchpoint, user, now)
    if entry is None:
        raise ValidationError({"undo": _why_not(touchpoint, user, now)})
    before, after = entry.changes["status"]
    at = dt.datetime.fromisoformat(entry.changes["at"])
    values = {name: _value(name, entry.changes["undo"][name]) for name in UNDO_FIELDS}
    with transaction.atomic():
        changed = Touchpoint.objects.filter(pk=touchpoint.pk, status=after, updated_at=at).update(
            status=before, updated_at=now, **values)
        if changed != 1:
            raise ValidationError({"undo": "It changed meanwhile, so it can't be undone."})
        audit.record(user, touchpoint.business, UNDONE, target=touchpoint,
                     changes={"status": [after, before]}, summary=SUMMARIES[UNDONE])
    touchpoint.refresh_from_db()
    return touchpoint


def recent_change(user, business, now: dt.datetime | None = None):
    """`user`'s latest change on this business's touches that may still be undone, as
    (touchpoint, audit entry), or None: Today offers it after a full-page action."""
    from followthrough.tenants.models import AuditEntry

    now = now or timezone.now()
    entry = (AuditEntry.objects.filter(business=business, actor=user,
                                       action__in=list(UNDO_ACTIONS.values()),
                                       at__gte=now - undo_window())
             .order_by("-at", "-id").first())
    if entry is None:
        return None
    row = (Touchpoint.objects.filter(business=business, public_id=entry.target_id)
           .select_related("customer").first())
    return (row, entry) if row is not None and undoable(row, user, now) else None


def _latest_change(touchpoint: Touchpoint):
    from followthrough.tenants.models import AuditEntry

    return (AuditEntry.objects.filter(business_id=touchpoint.business_id,
                                      target_type="touchpoint", target_id=touchpoint.public_id,
                                      action__in=[*UNDO_ACTIONS.values(), UNDONE])
            .order_by("-at", "-id").first())


def _why_not(touchpoint: Touchpoint, user, now: dt.datetime) -> str:
    entry = _latest_change(touchpoint)
    if entry is None or entry.action == UNDONE:
        return "There is nothing to undo here."
    if entry.actor_id != getattr(user, "pk", None):
        return "Only the person who made this change can undo it."
    if touchpoint.updated_at != dt.datetime.fromisoformat(entry.changes["at"]):
        return (f"It is already {_label(touchpoint.status)}, so it can't be undone."
                if touchpoint.status == S.SENDING or touchpoint.status == S.SENT
                else "It changed meanwhile, so it can't be undone.")
    return "Too late to undo: that was more than a few seconds ago."


def _json(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _value(name: str, value):
    if name in ("due_at", "completed_at") and value is not None:
        return dt.datetime.fromisoformat(value)
    return value
