"""Undo of Done, Skip and Approve: the person who did it can take it back for a few
seconds (settings.UNDO_SECONDS, checked by the server from the recorded transition time).
Tests set the window large and test expiry by moving the recorded time back: no sleeping."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.channels import kinds
from followthrough.tenants.models import AuditEntry
from followthrough.touchpoints import lifecycle, worker
from followthrough.touchpoints.models import Reason, Status, Touchpoint
from tests.touchpoints.conftest import NOON

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def long_window(settings):
    settings.UNDO_SECONDS = 3600


@pytest.fixture
def call(make_touchpoint):
    return make_touchpoint(channel=kinds.CALL)


def _undo(client, touchpoint, **extra):
    return client.post(f"/touches/{touchpoint.public_id}/undo/", **extra)


def _age(touchpoint, seconds):
    """Move the recorded transition back in time, as if it happened `seconds` ago."""
    touchpoint.refresh_from_db()
    at = touchpoint.updated_at - dt.timedelta(seconds=seconds)
    entry = AuditEntry.objects.filter(target_id=touchpoint.public_id).latest("at")
    entry.changes["at"] = at.isoformat()
    entry.save()
    Touchpoint.objects.filter(pk=touchpoint.pk).update(updated_at=at)


def test_it_offers_undo_right_after_done(owner_client, call):
    response = owner_client.post(f"/touches/{call.public_id}/done/", **HTMX)
    text = response.content.decode()
    assert "Done</span> ·" in text
    assert f'hx-post="/touches/{call.public_id}/undo/"' in text and ">Undo</button>" in text


def test_it_undoes_done_back_to_planned(owner_client, call):
    owner_client.post(f"/touches/{call.public_id}/done/", {"outcome_note": "Reached"}, **HTMX)
    response = _undo(owner_client, call, **HTMX)
    assert "Undone:" in response.content.decode()
    call.refresh_from_db()
    assert (call.status, call.completed_at) == (Status.PLANNED, None)


def test_it_records_the_undo_in_the_audit_log(owner_client, call, owner):
    owner_client.post(f"/touches/{call.public_id}/done/", **HTMX)
    _undo(owner_client, call, **HTMX)
    entry = AuditEntry.objects.filter(target_id=call.public_id).latest("at")
    assert (entry.action, entry.actor, entry.changes["status"]) == (
        lifecycle.UNDONE, owner, [Status.DONE, Status.PLANNED])


def test_it_undoes_skip_and_puts_the_reason_back(owner_client, call):
    Touchpoint.objects.filter(pk=call.pk).update(reason_code=Reason.SNOOZED)
    owner_client.post(f"/touches/{call.public_id}/skip/", {"outcome_note": "Moved away"}, **HTMX)
    _undo(owner_client, call, **HTMX)
    call.refresh_from_db()
    assert (call.status, call.reason_code) == (Status.PLANNED, Reason.SNOOZED)


def test_it_undoes_not_possible(owner_client, call):
    owner_client.post(f"/touches/{call.public_id}/outcome/",
                      {"outcome": "not_possible", "outcome_note": "Number gone"}, **HTMX)
    _undo(owner_client, call, **HTMX)
    call.refresh_from_db()
    assert call.status == Status.PLANNED


def test_it_undoes_a_late_log_back_to_missed_at_its_old_time(owner_client, call):
    Touchpoint.objects.filter(pk=call.pk).update(status=Status.MISSED)
    owner_client.post(f"/touches/{call.public_id}/outcome/",
                      {"outcome": "reached", "when": "2026-06-11T09:30"}, **HTMX)
    _undo(owner_client, call, **HTMX)
    call.refresh_from_db()
    assert (call.status, call.due_at) == (Status.MISSED, NOON - dt.timedelta(minutes=5))


def test_it_refuses_an_undo_after_the_window(owner_client, call, settings):
    settings.UNDO_SECONDS = 10
    owner_client.post(f"/touches/{call.public_id}/done/", **HTMX)
    _age(call, 11)
    response = _undo(owner_client, call, **HTMX)
    assert "Too late to undo" in response.content.decode()
    call.refresh_from_db()
    assert call.status == Status.DONE


def test_it_still_undoes_inside_the_window(owner_client, call, settings):
    settings.UNDO_SECONDS = 10
    owner_client.post(f"/touches/{call.public_id}/done/", **HTMX)
    _age(call, 8)
    _undo(owner_client, call, **HTMX)
    call.refresh_from_db()
    assert call.status == Status.PLANNED


def test_it_refuses_someone_elses_undo(owner_client, client, call, staff):
    owner_client.post(f"/touches/{call.public_id}/done/", **HTMX)
    client.force_login(staff)
    response = _undo(client, call, **HTMX)
    assert "Only the person who made this change" in response.content.decode()
    call.refresh_from_db()
    assert call.status == Status.DONE


def test_it_undoes_only_the_latest_change(owner_client, call):
    owner_client.post(f"/touches/{call.public_id}/done/", **HTMX)
    _undo(owner_client, call, **HTMX)
    response = _undo(owner_client, call, **HTMX)
    assert "nothing to undo" in response.content.decode()
    call.refresh_from_db()
    assert call.status == Status.PLANNED


def test_it_refuses_an_undo_once_the_row_changed_again(owner_client, call):
    owner_client.post(f"/touches/{call.public_id}/done/", **HTMX)
    Touchpoint.objects.filter(pk=call.pk).update(updated_at=timezone.now())
    response = _undo(owner_client, call, **HTMX)
    assert "changed meanwhile" in response.content.decode()


def test_it_keeps_other_businesses_out(outsider_client, call):
    assert _undo(outsider_client, call).status_code == 404


# Approve -----------------------------------------------------------------------------------

@pytest.fixture
def draft(make_touchpoint):
    return make_touchpoint(status=Status.DRAFT)


def test_it_undoes_an_approval_back_to_a_draft(owner_client, draft):
    owner_client.post(f"/touches/{draft.public_id}/approve/", {"action": "approve"})
    draft.refresh_from_db()
    assert draft.status == Status.PLANNED
    response = _undo(owner_client, draft, data={"next": "/today/"}, follow=True)
    assert "waiting for your approval again" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_it_withdraws_an_undone_approval_from_the_worker(owner_client, draft, sink):
    owner_client.post(f"/touches/{draft.public_id}/approve/", {"action": "approve"})
    _undo(owner_client, draft)
    report = worker.run_once(now=NOON)
    assert (report.claimed, sink.messages) == (0, [])


def test_it_cannot_undo_an_approval_the_worker_already_claimed(owner_client, draft, sink):
    owner_client.post(f"/touches/{draft.public_id}/approve/", {"action": "approve"})
    worker.run_once(now=NOON)
    response = _undo(owner_client, draft, follow=True)
    assert "It is already sent" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.SENT


def test_it_offers_the_undo_on_today_after_an_approval(owner_client, draft):
    owner_client.post(f"/touches/{draft.public_id}/approve/", {"action": "approve"})
    text = owner_client.get("/today/").text
    assert 'id="undo-bar"' in text and f"/touches/{draft.public_id}/undo/" in text


def test_it_stops_offering_it_on_today_once_the_window_is_over(owner_client, draft, settings):
    owner_client.post(f"/touches/{draft.public_id}/approve/", {"action": "approve"})
    settings.UNDO_SECONDS = 10
    _age(draft, 11)
    assert 'id="undo-bar"' not in owner_client.get("/today/").text
