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


NESTED = ("{% for a in customer_name %}{% for b in customer_name %}"
          "{% for c in customer_name %}{% for d in customer_name %}x"
          "{% endfor %}{% endfor %}{% endfor %}{% endfor %}")


def step_data(step, **overrides):
    data = {
        "name": step.name, "position": step.position, "anchor": step.anchor,
        "offset_days": step.offset_days, "offset_hours": step.offset_hours,
        "local_time": step.local_time.strftime("%H:%M"),
        "repeat_every_days": step.repeat_every_days or "", "repeat_until": step.repeat_until,
        "channel": step.channel, "stage": step.stage, "element": step.element,
        "purpose": step.purpose, "subject": step.subject, "body": step.body,
    }
    return data | overrides


def test_it_refuses_to_save_a_runaway_template(owner_client, email_step):
    before = email_step.body
    response = owner_client.post(f"/playbooks/steps/{email_step.public_id}/edit/",
                                 step_data(email_step, body="Hi\n" + NESTED))
    assert response.status_code == 200
    assert "too much work (line 2): too many repetitions" in response.text
    email_step.refresh_from_db()
    assert email_step.body == before


def test_it_refuses_a_template_that_only_runs_away_for_long_names(owner_client, email_step):
    source = ("{% for a in customer_name %}{% for b in engagement_description %}"
              "{% endfor %}{% endfor %}")
    response = owner_client.post(f"/playbooks/steps/{email_step.public_id}/edit/",
                                 step_data(email_step, body=source))
    assert "too many repetitions" in response.text


def test_it_previews_a_runaway_template_as_a_problem(owner_client, email_step):
    response = preview(owner_client, email_step, "Hi\n" + NESTED)
    assert response.status_code == 200
    assert "Line 2: too many repetitions" in response.text


def test_it_previews_a_template_that_fails_while_rendering(owner_client, email_step):
    response = preview(owner_client, email_step,
                       "Hi\n\n{% for a, b in customer_name %}{% endfor %}")
    assert response.status_code == 200
    assert "Line 3: Need 2 values to unpack" in response.text


def test_it_previews_a_saved_runaway_step_as_a_problem(client, staff, email_step):
    type(email_step).objects.filter(pk=email_step.pk).update(body=NESTED)
    client.force_login(staff)
    response = client.get(f"/playbooks/steps/{email_step.public_id}/preview/")
    assert response.status_code == 200
    assert "too many repetitions" in response.text


def test_it_says_why_unsaved_text_is_too_long_to_preview(owner_client, email_step):
    response = preview(owner_client, email_step, "x" * 10001)
    assert response.status_code == 200
    assert "at most 10000 characters" in response.text
