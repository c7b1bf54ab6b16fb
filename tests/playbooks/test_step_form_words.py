"""The step editor in plain words (issue #15): Stage, Element and Purpose each say what
they mean in a line, and the fields most steps never need are folded away."""

import re

import pytest

from followthrough.playbooks.library import install_builtin_playbooks
from tests.playbooks.test_views import step_data


@pytest.fixture
def email_step(business):
    playbook = install_builtin_playbooks(business)[0]
    return playbook.steps.filter(channel="email").first()


def edit_page(owner_client, step, data=None):
    url = f"/playbooks/steps/{step.public_id}/edit/"
    return owner_client.post(url, data) if data else owner_client.get(url)


def advanced_part(page: str) -> str:
    return page[page.index('<details class="advanced"'):].split("</details>")[0]


def test_it_names_stage_element_and_purpose_in_plain_words(owner_client, email_step):
    page = edit_page(owner_client, email_step).text
    for label, explanation in (
            ("When in the relationship", "Which of the four moments with a customer"),
            ("What it is for", "The job this step does."),
            ("Kind of message", "This decides whose permission you need")):
        assert f">{label}</label>" in page
        assert explanation in page
    assert "3 · While you do the work" in page
    assert "Offers and news" in page


def test_it_folds_the_advanced_fields_away_behind_a_visible_summary(owner_client, email_step):
    page = edit_page(owner_client, email_step).text
    folded = advanced_part(page)
    assert re.match(r'<details class="advanced">\s*<summary><span>More options', folded)
    for name in ("offset_hours", "position", "window_days", "priority"):
        assert f'name="{name}"' in folded
        assert page.count(f'name="{name}"') == 1
    assert 'name="offset_days"' not in folded


def test_it_opens_the_folded_fields_when_one_of_them_is_wrong(owner_client, email_step):
    response = edit_page(owner_client, email_step, step_data(email_step, priority="500"))
    assert response.status_code == 200
    assert advanced_part(response.text).startswith('<details class="advanced" open>')


def test_it_saves_a_step_with_the_folded_fields_left_as_they_were(owner_client, email_step):
    response = edit_page(owner_client, email_step,
                         step_data(email_step, name="Thanks <b>&</b>", purpose="transactional"))
    assert response.status_code == 302
    email_step.refresh_from_db()
    assert (email_step.name, email_step.purpose) == ("Thanks <b>&</b>", "transactional")
