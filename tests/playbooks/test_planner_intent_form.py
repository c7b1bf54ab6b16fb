"""A step's window and priority are set per step in the step form."""

import pytest

from followthrough.playbooks.library import install_builtin_playbooks
from tests.playbooks.test_views import step_data


@pytest.fixture
def step(business):
    return install_builtin_playbooks(business)[0].steps.filter(channel="email").first()


def test_it_shows_the_window_and_priority_fields(owner_client, step):
    response = owner_client.get(f"/playbooks/steps/{step.public_id}/edit/")
    assert "Still makes sense for (days)" in response.text
    assert 'name="priority"' in response.text


def test_it_saves_a_window_and_a_priority_for_one_step(owner_client, step):
    owner_client.post(f"/playbooks/steps/{step.public_id}/edit/",
                      step_data(step, window_days="10", priority="70"))
    step.refresh_from_db()
    assert (step.window_days, step.priority) == (10, 70)


def test_it_keeps_the_usual_window_when_the_fields_are_left_empty(owner_client, step):
    owner_client.post(f"/playbooks/steps/{step.public_id}/edit/",
                      step_data(step, window_days="", priority=""))
    step.refresh_from_db()
    assert (step.window_days, step.priority) == (None, None)


def test_it_refuses_a_priority_over_99_naming_the_field(owner_client, step):
    response = owner_client.post(f"/playbooks/steps/{step.public_id}/edit/",
                                 step_data(step, priority="500"))
    assert response.status_code == 200
    assert "priority" in response.context["form"].errors
    step.refresh_from_db()
    assert step.priority is None
