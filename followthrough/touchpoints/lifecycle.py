"""The touchpoint lifecycle: every creation and status change of a touchpoint goes through here.

The allowed moves between statuses are written down once, in ALLOWED. A move the table does
not allow raises IllegalTransition, never a silent no-op. Status changes are conditional
updates (the worker may claim a row between our read and our write), so each one names the
status it expects to find.

Who makes each move is in docs/architecture.md ("The touchpoint lifecycle").
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

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
