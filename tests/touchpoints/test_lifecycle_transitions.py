"""The allowed transitions are written down once (lifecycle.ALLOWED) and enforced: an illegal
one is a clear error, never a silent no-op."""

import pytest
from django.core.exceptions import ValidationError

from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint

ILLEGAL = [
    (Status.SENT, Status.PLANNED), (Status.DONE, Status.PLANNED), (Status.FAILED, Status.SENDING),
    (Status.MISSED, Status.PLANNED), (Status.DRAFT, Status.SENDING), (Status.DONE, Status.SKIPPED),
    (Status.PAUSED, Status.SENDING), (Status.SENT, Status.CANCELLED),
]


def test_it_lists_every_status():
    assert set(lifecycle.ALLOWED) == {code for code, _ in Status.CHOICES}
    for targets in lifecycle.ALLOWED.values():
        assert targets <= set(lifecycle.ALLOWED)


@pytest.mark.parametrize(("current", "to"), ILLEGAL)
def test_it_refuses_an_illegal_transition_of_a_row(make_touchpoint, current, to):
    row = make_touchpoint(status=current)
    with pytest.raises(lifecycle.IllegalTransition) as caught:
        lifecycle.transition(row, to)
    assert "cannot become" in caught.value.message_dict["status"][0]
    row.refresh_from_db()
    assert row.status == current


def test_it_is_a_validation_error_naming_the_status():
    error = lifecycle.IllegalTransition(Status.SENT, Status.PLANNED)
    assert isinstance(error, ValidationError)
    assert error.message_dict == {"status": ["A sent touchpoint cannot become planned."]}


def test_it_refuses_an_illegal_transition_of_a_queryset_before_writing(make_touchpoint):
    planned, sent = make_touchpoint(), make_touchpoint(status=Status.SENT)
    rows = Touchpoint.objects.filter(pk__in=[planned.pk, sent.pk])
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.transition(rows, Status.CANCELLED, from_=(Status.PLANNED, Status.DONE))
    planned.refresh_from_db()
    assert planned.status == Status.PLANNED


def test_it_needs_the_expected_status_for_a_queryset(make_touchpoint):
    with pytest.raises(TypeError):
        lifecycle.transition(Touchpoint.objects.all(), Status.CANCELLED)


def test_it_moves_only_rows_still_in_the_expected_status(make_touchpoint):
    planned, done = make_touchpoint(), make_touchpoint(status=Status.DONE)
    rows = Touchpoint.objects.filter(pk__in=[planned.pk, done.pk])
    moved = lifecycle.transition(rows, Status.CANCELLED, from_=Status.PLANNED,
                                 reason_code=Reason.BY_PERSON)
    assert moved == 1
    planned.refresh_from_db()
    assert (planned.status, planned.reason_code) == (Status.CANCELLED, Reason.BY_PERSON)


def test_it_reports_a_race_as_zero_and_change_as_an_error(make_touchpoint):
    row = make_touchpoint()
    Touchpoint.objects.filter(pk=row.pk).update(status=Status.SENDING)
    assert lifecycle.transition(row, Status.SKIPPED) == 0  # row still says planned
    with pytest.raises(ValidationError) as caught:
        lifecycle.change(row, Status.DONE)
    assert "sending" in caught.value.messages[0]


def test_it_refuses_an_unknown_reason_code(make_touchpoint):
    with pytest.raises(ValueError, match="reason code"):
        lifecycle.transition(make_touchpoint(), Status.SKIPPED, reason_code="because")


def test_it_refuses_an_unknown_origin(make_touchpoint):
    with pytest.raises(ValueError, match="origin"):
        lifecycle.build(origin="import")


def test_it_refuses_to_create_a_row_that_already_happened():
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.build(origin=Origin.MANUAL, status=Status.SENT)


def test_it_gives_back_the_first_row_for_a_key(make_touchpoint):
    first = make_touchpoint()
    again, created = lifecycle.get_or_create(first.idempotency_key, origin=Origin.MANUAL)
    assert (again.pk, created) == (first.pk, False)


def test_it_draws_the_same_table_in_the_architecture_docs():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text()
    drawn = docs.split("stateDiagram-v2", 1)[1].split("```", 1)[0]
    for current, targets in lifecycle.ALLOWED.items():
        for to in targets - {current}:
            assert f"{current} --> {to}" in drawn
