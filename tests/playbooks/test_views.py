"""Playbooks: list, steps, editing and adding steps, previews and switching on and off."""

import pytest

from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.playbooks.models import Step


@pytest.fixture
def playbook(business):
    return install_builtin_playbooks(business)[0]


@pytest.fixture
def email_step(playbook):
    return playbook.steps.filter(channel="email").first()


def step_data(step, **overrides):
    data = {
        "name": step.name, "position": step.position, "anchor": step.anchor,
        "offset_days": step.offset_days, "offset_hours": step.offset_hours,
        "local_time": step.local_time.strftime("%H:%M"),
        "repeat_every_days": step.repeat_every_days or "", "repeat_until": step.repeat_until,
        "channel": step.channel, "stage": step.stage, "element": step.element,
        "purpose": step.purpose, "subject": step.subject, "body": step.body,
    }
    data.update(overrides)
    return data


def test_it_lists_playbooks(owner_client, playbook):
    response = owner_client.get("/playbooks/")
    assert response.status_code == 200
    assert playbook.name in response.text


def test_it_shows_a_playbook_with_its_steps(owner_client, playbook):
    response = owner_client.get(f"/playbooks/{playbook.public_id}/")
    assert response.status_code == 200
    for step in playbook.steps.all():
        assert step.public_id in response.text


def test_it_describes_when_a_step_happens(owner_client, playbook):
    text = owner_client.get(f"/playbooks/{playbook.public_id}/").text
    assert "The day after it&#x27;s won, at 10:00 · " in text
    assert "Phone call" in text


def test_it_renders_the_step_edit_form(owner_client, email_step):
    response = owner_client.get(f"/playbooks/steps/{email_step.public_id}/edit/")
    assert response.status_code == 200
    assert 'name="subject"' in response.text


def test_it_edits_a_step(owner_client, email_step):
    response = owner_client.post(f"/playbooks/steps/{email_step.public_id}/edit/",
                                 step_data(email_step, subject="Hello {{ customer_first_name }}"))
    assert response.status_code == 302
    email_step.refresh_from_db()
    assert email_step.subject == "Hello {{ customer_first_name }}"


def test_it_shows_a_template_error_with_its_line(owner_client, email_step):
    body = "Hi {{ customer_first_name }},\n\n{% if %}oops"
    response = owner_client.post(f"/playbooks/steps/{email_step.public_id}/edit/",
                                 step_data(email_step, body=body))
    errors = response.context["form"].errors
    assert list(errors) == ["body"]
    assert "line 3" in errors["body"][0]
    email_step.refresh_from_db()
    assert "oops" not in email_step.body


def test_it_shows_a_subject_template_error_on_the_subject(owner_client, email_step):
    response = owner_client.post(f"/playbooks/steps/{email_step.public_id}/edit/",
                                 step_data(email_step, subject="Hi {{ name|nosuchfilter }}"))
    assert list(response.context["form"].errors) == ["subject"]


def test_it_shows_step_rules_on_the_right_field(owner_client, email_step):
    response = owner_client.post(f"/playbooks/steps/{email_step.public_id}/edit/",
                                 step_data(email_step, subject="", repeat_every_days="3"))
    errors = response.context["form"].errors
    assert "An email needs a subject." in errors["subject"]
    assert "repeat_until" in errors


def test_it_adds_a_step(owner_client, playbook):
    count = playbook.steps.count()
    response = owner_client.post(f"/playbooks/{playbook.public_id}/steps/new/", {
        "name": "Birthday card", "position": "", "anchor": "won", "offset_days": "300",
        "offset_hours": "0", "local_time": "09:00", "repeat_every_days": "",
        "repeat_until": "", "channel": "card", "stage": "2", "element": "other",
        "purpose": "relationship", "subject": "", "body": "Write a warm card.",
    })
    assert response.status_code == 302
    assert playbook.steps.count() == count + 1
    assert playbook.steps.get(name="Birthday card").position == count + 1


def test_it_adds_nothing_with_a_bad_step(owner_client, playbook):
    count = playbook.steps.count()
    response = owner_client.post(f"/playbooks/{playbook.public_id}/steps/new/", {
        "name": "", "anchor": "won", "offset_days": "9999", "offset_hours": "0",
        "local_time": "25:00", "channel": "email", "stage": "2", "element": "other",
        "purpose": "relationship", "subject": "", "body": "",
    })
    errors = response.context["form"].errors
    assert {"name", "offset_days", "local_time"} <= set(errors)
    assert playbook.steps.count() == count


def test_it_previews_a_step_for_a_sample_customer(owner_client, email_step, business):
    response = owner_client.get(f"/playbooks/steps/{email_step.public_id}/preview/")
    assert response.status_code == 200
    assert "Hi Jamie," in response.text
    assert business.sender_name in response.text


def test_it_previews_unsaved_text_without_saving_it(owner_client, email_step):
    body_before = email_step.body
    response = owner_client.post(
        f"/playbooks/steps/{email_step.public_id}/preview/",
        {"subject": "Yo {{ customer_first_name }}", "body": "From {{ business_name }}"},
        headers={"HX-Request": "true"},
    )
    assert "Yo Jamie" in response.text
    assert "From Riverside Plumbing" in response.text
    email_step.refresh_from_db()
    assert email_step.body == body_before


def test_it_shows_a_preview_problem_instead_of_failing(owner_client, email_step):
    response = owner_client.post(f"/playbooks/steps/{email_step.public_id}/preview/",
                                 {"subject": "", "body": "{% for %}"})
    assert response.status_code == 200
    assert "Line 1" in response.text


def test_it_switches_a_playbook_off_and_on(owner_client, playbook):
    owner_client.post(f"/playbooks/{playbook.public_id}/toggle/")
    playbook.refresh_from_db()
    assert playbook.is_active is False
    owner_client.post(f"/playbooks/{playbook.public_id}/toggle/")
    playbook.refresh_from_db()
    assert playbook.is_active is True


def test_it_refuses_get_on_toggle(owner_client, playbook):
    response = owner_client.get(f"/playbooks/{playbook.public_id}/toggle/")
    playbook.refresh_from_db()
    assert response.status_code == 405
    assert playbook.is_active is True


def test_it_scopes_steps_through_their_playbook(outsider_client, email_step):
    assert Step.objects.filter(pk=email_step.pk).exists()
    response = outsider_client.get(f"/playbooks/steps/{email_step.public_id}/edit/")
    assert response.status_code == 404
