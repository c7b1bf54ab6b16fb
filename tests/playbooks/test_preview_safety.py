"""Step previews show the business's own details as text, and a template that breaks a
limit while rendering is shown as a problem with its line, never a 500."""

import pytest

from followthrough.playbooks.library import install_builtin_playbooks

ATTACK = '<div hx-post="/settings/team/invite" hx-trigger="load">Riverside</div>'


@pytest.fixture
def email_step(business):
    return install_builtin_playbooks(business)[0].steps.filter(channel="email").first()


def preview(client, step, body, subject=""):
    return client.post(f"/playbooks/steps/{step.public_id}/preview/",
                       {"subject": subject, "body": body})


def test_it_escapes_the_business_name_in_a_preview(owner_client, email_step, business):
    business.name = ATTACK
    business.save()
    response = preview(owner_client, email_step, "Thanks from {{ business_name }}",
                       subject="{{ business_name }}")
    assert 'hx-post="/settings' not in response.text
    assert "&lt;div hx-post=&quot;/settings/team/invite&quot;" in response.text


def test_it_escapes_the_saved_step_preview(owner_client, email_step, business):
    business.name = ATTACK
    business.save()
    email_step.body = "From {{ business_name }}"
    email_step.save()
    response = owner_client.get(f"/playbooks/steps/{email_step.public_id}/preview/")
    assert 'hx-post="/settings' not in response.text
