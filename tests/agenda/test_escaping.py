"""A buyer's name reaches the owner's pages as text: rendered scripts and drafts are escaped.

The attack (issue #12): a Stripe billing name that is an htmx element with hx-post and
hx-trigger="load" ran as the owner when Today showed the rendered script."""

from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.touchpoints.models import Status

ATTACK = '<div hx-post="/settings/team/invite" hx-trigger="load">Jo</div>'
SHOWN = "&lt;div hx-post=&quot;/settings/team/invite&quot;"


def hostile(touch, **fields):
    touchpoint = touch(**fields)
    Customer.objects.filter(pk=touchpoint.customer_id).update(name=ATTACK)
    return touchpoint


def test_it_escapes_the_script_on_today(owner_client, touch, call_step):
    call_step.body = "Call {{ customer_name }}."
    call_step.save()
    hostile(touch)
    text = owner_client.get("/today/").text
    assert "hx-post=\"/settings" not in text and SHOWN in text


def test_it_escapes_the_script_on_the_week(owner_client, touch, call_step):
    call_step.body = "Call {{ customer_name }}."
    call_step.save()
    hostile(touch, channel=kinds.CARD)
    text = owner_client.get("/week/").text
    assert "hx-post=\"/settings" not in text


def test_it_escapes_drafts_waiting_for_approval(owner_client, touch, call_step):
    call_step.body = "Hi {{ customer_name }}"
    call_step.save()
    hostile(touch, channel=kinds.EMAIL, status=Status.DRAFT)
    text = owner_client.get("/today/").text
    assert "hx-post=\"/settings" not in text and SHOWN in text


def test_it_escapes_the_draft_in_the_approve_form(owner_client, touch, call_step):
    call_step.body = "Hi {{ customer_name }}</textarea>"
    call_step.save()
    touchpoint = hostile(touch, channel=kinds.EMAIL, status=Status.DRAFT)
    text = owner_client.get(f"/touches/{touchpoint.public_id}/approve/").text
    assert "hx-post=\"/settings" not in text and "&lt;/textarea&gt;" in text


def test_it_escapes_the_touch_preview(owner_client, touch, call_step):
    call_step.body = "Call {{ customer_name }}."
    call_step.save()
    touchpoint = hostile(touch)
    text = owner_client.get(f"/touches/{touchpoint.public_id}/preview/").text
    assert "hx-post=\"/settings" not in text and SHOWN in text


def test_it_escapes_a_stored_draft(owner_client, touch):
    touchpoint = touch(channel=kinds.EMAIL, status=Status.DRAFT)
    touchpoint.rendered_body = ATTACK
    touchpoint.save()
    # Today lists a draft on one line; its text is shown where it is approved.
    assert "hx-post=\"/settings" not in owner_client.get("/today/").text
    text = owner_client.get(f"/touches/{touchpoint.public_id}/approve/").text
    assert "hx-post=\"/settings" not in text and SHOWN in text
