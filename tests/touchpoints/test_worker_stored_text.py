"""Rows that carry their own text (reminders, notes outside a playbook, edited drafts) are
sent as stored, not re-rendered from a step."""

from followthrough.playbooks.models import Step
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status, Touchpoint
from tests.touchpoints.conftest import NOON


def refreshed(touchpoint):
    touchpoint.refresh_from_db()
    return touchpoint


def stepless(make_touchpoint, **fields):
    """A row outside any playbook, like a maintenance reminder."""
    tp = make_touchpoint(**fields)
    Touchpoint.objects.filter(pk=tp.pk).update(step=None)
    return refreshed(tp)


def text_part(message) -> str:
    return message.get_payload()[0].get_payload(decode=True).decode()


def test_it_sends_a_row_without_a_step_from_its_stored_text(sink, make_touchpoint):
    tp = stepless(make_touchpoint, rendered_subject="Time for your boiler service, Jamie",
                         rendered_body="Hi Jamie,\n\nYour boiler service is due next week.")
    report = worker.run_once(now=NOON)
    [message] = sink.messages
    assert (report.sent, refreshed(tp).status) == (1, Status.SENT)
    assert message["Subject"] == "Time for your boiler service, Jamie"
    assert "Your boiler service is due next week." in text_part(message)


def test_it_sends_an_edited_draft_as_the_owner_wrote_it(sink, make_touchpoint):
    tp = make_touchpoint(rendered_subject="A note from Sam",
                         rendered_body="Hi Jamie, I rewrote this one myself.")
    worker.run_once(now=NOON)
    [message] = sink.messages
    assert message["Subject"] == "A note from Sam"
    assert "I rewrote this one myself." in text_part(message)
    assert "Thanks for choosing" not in text_part(message)
    assert refreshed(tp).rendered_body == "Hi Jamie, I rewrote this one myself."


def test_it_still_renders_the_step_when_nothing_is_stored(sink, make_touchpoint):
    make_touchpoint()
    worker.run_once(now=NOON)
    assert "Thanks for choosing Riverside Plumbing" in text_part(sink.messages[0])


def test_it_uses_the_touch_name_when_a_stored_email_has_no_subject(sink, make_touchpoint):
    stepless(make_touchpoint, rendered_body="Some industry news you may like.")
    worker.run_once(now=NOON)
    assert sink.messages[0]["Subject"] == "Thank you"


def test_it_keeps_the_relationship_footer_on_stored_text(sink, make_touchpoint):
    stepless(make_touchpoint, rendered_subject="News", rendered_body="Some news.")
    worker.run_once(now=NOON)
    [message] = sink.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "12 Mill Lane" in text_part(message)


def test_it_fails_a_row_whose_step_was_deleted_and_has_no_text(sink, make_touchpoint):
    tp = make_touchpoint()
    Step.objects.filter(pk=tp.step_id).delete()
    worker.run_once(now=NOON)
    tp = refreshed(tp)
    assert (tp.status, tp.last_error) == (Status.FAILED, "The playbook step was deleted.")
    assert sink.messages == []


def test_it_sends_the_same_stored_text_on_a_retry(sink, make_touchpoint, settings):
    settings.WORKER_BACKOFF_SECONDS = 1
    tp = make_touchpoint()
    sink.answer("451 4.7.1 Try later")
    worker.run_once(now=NOON)
    Step.objects.filter(pk=tp.step_id).update(body="A different text now.")
    worker.run_once(now=NOON + worker.backoff(1))
    assert "Thanks for choosing" in text_part(sink.messages[0])
    assert Touchpoint.objects.get(pk=tp.pk).status == Status.SENT
