import pytest
from django.core.exceptions import ValidationError

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.playbooks import fairness
from followthrough.playbooks.library import BUILTIN_PLAYBOOKS
from followthrough.playbooks.models import Playbook, Step

REFUSED = [
    (v.REVIEW, "{% if nps >= 9 %}Leave us a review: {{ review_link }}{% endif %}"),
    (v.REVIEW, "{% if score %}{{ review_link }}{% endif %}"),
    (v.TESTIMONIAL, "{% elif happy %}Quote us{% endif %}"),
    (v.REVIEW, "Leave a review and get a 10% off voucher: {{ review_link }}"),
    (v.REFERRAL, "Refer a friend and we'll send you a gift card"),
    (v.REVIEW, "Please leave us a 5-star review"),
    (v.OTHER, "{% if csat > 3 %}{{ review_link }}{% endif %}"),
]


@pytest.mark.parametrize(("element", "body"), REFUSED)
def test_it_refuses_gating_or_incentives_with_a_reason(element, body):
    problems = fairness.problems(element, "Hello", body)
    assert "16 CFR 465" in problems["body"]


def test_it_accepts_the_builtin_steps():
    for playbook in BUILTIN_PLAYBOOKS:
        for step in playbook["steps"]:
            assert fairness.problems(step["element"], step["subject"], step["body"]) == {}


def test_it_leaves_other_steps_alone():
    assert fairness.problems(v.THANK_YOU, "Thanks", "{% if score %}Great{% endif %}") == {}


def test_it_is_enforced_by_step_validation(business):
    playbook = Playbook.objects.create(business=business, slug="p", name="P")
    step = Step(playbook=playbook, name="Review", anchor=v.DELIVERED, channel=kinds.EMAIL,
                stage=4, element=v.REVIEW, subject="Review us?",
                body="{% if nps > 8 %}{{ review_link }}{% endif %}")
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "whatever they thought of us" in str(error.value)
