"""The archive policy: old finished rows lose their text, or go; planned rows never do."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from followthrough.touchpoints import archive, worker
from followthrough.touchpoints.models import Lease, Status, Touchpoint


@pytest.fixture
def history(make_touchpoint):
    now = timezone.now()
    old = now - dt.timedelta(days=400)
    return {
        "old_sent": make_touchpoint(status=Status.SENT, due_at=old, completed_at=old,
                                    rendered_subject="Hi", rendered_body="Old words"),
        "old_failed": make_touchpoint(status=Status.FAILED, due_at=old, last_error="550 gone",
                                      rendered_body="Never went"),
        "new_sent": make_touchpoint(status=Status.SENT, due_at=now, completed_at=now,
                                    rendered_body="New words"),
        "old_planned": make_touchpoint(status=Status.PLANNED, due_at=old,
                                       rendered_body="An edited draft"),
    }


def reload(rows):
    return {name: Touchpoint.objects.filter(pk=row.pk).first() for name, row in rows.items()}


def test_it_clears_the_text_of_old_finished_rows_only(history):
    assert archive.clear_text(dt.timedelta(days=365)) == 2
    rows = reload(history)
    assert (rows["old_sent"].rendered_body, rows["old_sent"].rendered_subject) == ("", "")
    assert rows["old_failed"].last_error == ""
    assert rows["old_sent"].status == Status.SENT
    assert rows["new_sent"].rendered_body == "New words"
    assert rows["old_planned"].rendered_body == "An edited draft"


def test_it_deletes_old_finished_rows_only(history):
    assert archive.delete_finished(dt.timedelta(days=365)) == 2
    rows = reload(history)
    assert rows["old_sent"] is None and rows["old_failed"] is None
    assert rows["new_sent"] and rows["old_planned"]


def test_it_archives_from_the_command(history, capsys):
    call_command("archive", "--older-than", "365")
    assert "cleared the text of 2 touchpoint(s)" in capsys.readouterr().out
    assert reload(history)["old_sent"].rendered_body == ""


def test_it_counts_without_changing_on_a_dry_run(history, capsys):
    call_command("archive", "--older-than", "365", "--delete", "--dry-run")
    assert "Would have deleted 2" in capsys.readouterr().out
    assert Touchpoint.objects.count() == 4


def test_it_refuses_an_age_below_one_day(db):
    with pytest.raises(CommandError, match="--older-than"):
        call_command("archive", "--older-than", "0")


def test_it_archives_once_a_day_from_the_worker_when_set(history, settings):
    settings.ARCHIVE_AFTER_DAYS = 365
    now = timezone.now()
    worker.apply_archive_policy("w1", now)
    assert reload(history)["old_sent"].rendered_body == ""
    assert Lease.objects.get(name="touchpoints.archive").until == now + dt.timedelta(days=1)


def test_it_leaves_history_alone_by_default(history):
    worker.apply_archive_policy("w1", timezone.now())
    assert reload(history)["old_sent"].rendered_body == "Old words"
