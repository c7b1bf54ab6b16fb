"""playbooks.services: the changes the views make, without the views."""

import pytest

from followthrough.playbooks import services
from followthrough.playbooks.library import install_builtin_playbooks


@pytest.fixture
def playbook(business):
    return install_builtin_playbooks(business)[0]


def test_it_refuses_to_copy_a_playbook_across_businesses(business, other_business):
    theirs = install_builtin_playbooks(other_business)[0]
    with pytest.raises(ValueError):
        services.create_playbook(business, name="Copy", slug="copy", copy_from=theirs)
    assert not business.playbooks.filter(slug="copy").exists()


def test_it_says_when_a_step_cannot_move_further(playbook):
    last = playbook.steps.order_by("position", "id").last()
    assert services.move_step(last, services.DOWN) is False


def test_it_numbers_positions_from_one_after_a_move(playbook):
    playbook.steps.update(position=7)
    services.move_step(playbook.steps.order_by("id").last(), services.UP)
    positions = sorted(playbook.steps.values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
