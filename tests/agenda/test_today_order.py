"""Today's order, from the top: recovery calls, late promises, today's personal touches,
a short queue of drafts to approve (next 7 days), then the rest, collapsed and paged."""

import datetime as dt

from django.utils import timezone

from followthrough.agenda import views
from followthrough.agenda.models import Promise
from followthrough.channels import kinds
from followthrough.feedback.models import Incident
from followthrough.feedback.services import open_incident
from followthrough.touchpoints.models import Origin, Status, Touchpoint


def _positions(text, *needles):
    return [text.index(needle) for needle in needles]


def test_it_puts_recovery_calls_first_then_late_promises_then_touches_then_approvals(
        owner_client, touch, business, customer):
    card = touch(channel=kinds.CARD, name="Hand-written thank-you")
    draft = touch(channel=kinds.EMAIL, status=Status.DRAFT, name="Progress update",
                  due_at=timezone.now() + dt.timedelta(days=2))
    Promise.objects.create(business=business, customer=customer, what="Send the warranty",
                           due_on=timezone.localdate() - dt.timedelta(days=2))
    open_incident(customer, card.engagement, Incident.COMPLAINT, "The leak came back")
    recovery = Touchpoint.objects.get(origin=Origin.INCIDENT_RECOVERY)
    text = owner_client.get("/today/").text
    order = _positions(text, f'id="touch-{recovery.public_id}"', "Send the warranty",
                       f'id="touch-{card.public_id}"', "To approve (1)",
                       f'id="draft-{draft.public_id}"', "The rest")
    assert order == sorted(order)


def test_it_lists_drafts_in_one_line_with_a_link_to_approve(owner_client, touch, call_step):
    call_step.body = "A long body that Today should not show in full."
    call_step.save()
    draft = touch(channel=kinds.EMAIL, status=Status.DRAFT)
    text = owner_client.get("/today/").text
    assert f'href="/touches/{draft.public_id}/approve/"' in text
    assert "A long body that Today should not show" not in text


def test_it_queues_only_the_drafts_of_the_next_seven_days(owner_client, touch):
    soon = touch(channel=kinds.EMAIL, status=Status.DRAFT,
                 due_at=timezone.now() + dt.timedelta(days=6))
    later = touch(channel=kinds.EMAIL, status=Status.DRAFT,
                  due_at=timezone.now() + dt.timedelta(days=8))
    text = owner_client.get("/today/").text
    assert "To approve (1)" in text
    assert soon.public_id in text and later.public_id not in text


def test_it_counts_every_draft_but_lists_only_the_first_ones(owner_client, touch):
    drafts = [touch(channel=kinds.EMAIL, status=Status.DRAFT,
                    due_at=timezone.now() + dt.timedelta(hours=n + 1))
              for n in range(views.APPROVALS_SHOWN + 2)]
    text = owner_client.get("/today/").text
    assert f"To approve ({len(drafts)})" in text
    assert drafts[0].public_id in text and drafts[-1].public_id not in text


def test_it_pages_todays_personal_touches_and_counts_them(owner_client, touch):
    total = views.PERSONAL_PAGE + 3
    rows = [touch(due_at=timezone.now() - dt.timedelta(minutes=total - n)) for n in range(total)]
    first = owner_client.get("/today/").text
    assert f"{total} calls, cards or visits to do today" in first
    assert rows[0].public_id in first and rows[-1].public_id not in first
    second = owner_client.get("/today/?page=2").text
    assert rows[-1].public_id in second and rows[0].public_id not in second


def test_it_collapses_the_messages_going_out_and_lists_them_on_request(owner_client, touch):
    message = touch(channel=kinds.EMAIL, due_at=timezone.now() + dt.timedelta(days=2))
    text = owner_client.get("/today/").text
    assert "Going out in the next 7 days (1)" in text
    assert message.public_id not in text
    assert message.public_id in owner_client.get("/today/?rest=1").text


def test_it_ignores_a_page_number_that_is_not_a_number(owner_client, touch):
    row = touch()
    assert row.public_id in owner_client.get("/today/?page=x&rest=abc").text


def test_it_offers_who_does_it_only_to_a_team(owner_client, touch, staff):
    row = touch()
    assert f'id="assign-{row.public_id}"' in owner_client.get("/today/").text


def test_it_leaves_who_does_it_out_for_a_business_of_one(owner_client, touch):
    row = touch()
    assert f'id="assign-{row.public_id}"' not in owner_client.get("/today/").text


def test_it_marks_every_card_of_an_unhappy_customer_until_resolved(owner_client, touch,
                                                                     customer):
    from followthrough.feedback.services import resolve_incident

    card = touch(name="Thank-you call")
    incident = open_incident(customer, card.engagement, Incident.COMPLAINT, "The leak came back")
    text = owner_client.get("/today/").text
    other = text[text.index(f'id="touch-{card.public_id}"'):]
    assert "Unhappy</span> Open since" in other[:other.index("</article>")]
    resolve_incident(incident, "Fixed the seal, all good now")
    assert "Unhappy</span> Open since" not in owner_client.get("/today/").text
