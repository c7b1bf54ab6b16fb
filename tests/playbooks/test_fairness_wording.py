"""The review link is never offered conditionally or for a reward, on any step, however it
is worded (issue 12: money, "free", draws and "if you loved our work" got through)."""

import pytest
from django.core.exceptions import ValidationError

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.playbooks import fairness
from followthrough.playbooks.forms import StepForm
from followthrough.playbooks.library import BUILTIN_PLAYBOOKS
from followthrough.playbooks.models import Playbook, Step

# (element, body, words the owner is shown)
INCENTIVES = [
    (v.REVIEW, "Leave a review and we'll take $25 off your next visit", "$25"),
    (v.REVIEW, "Review us and your next drain clean is free: {{ review_link }}", "free"),
    (v.REVIEW, "A review gets you €10 credit towards your next order", "€10"),
    (v.REVIEW, "20 euros off when you review us", "euros"),
    (v.REVIEW, "Leave us a review and get 10% off", "10% off"),
    (v.REVIEW, "Review us and the next coffee is on us", "is on us"),
    (v.THANK_YOU, "Leave a review ({{ review_link }}) and enter our monthly draw",
     "monthly draw"),
    (v.OTHER, "Review us for a chance to win an iPad: {{ review_link }}", "chance to win"),
    (v.OTHER, "Leave us a Google review and get a voucher", "voucher"),
    (v.REVIEW, "Bewerten Sie uns und erhalten Sie einen Gutschein", "Gutschein"),
    (v.REVIEW, "Laissez-nous un avis et recevez un cadeau", "cadeau"),
    (v.REVIEW, "Déjanos una reseña y participa en el sorteo", "sorteo"),
]

CONDITIONS = [
    (v.OTHER, "If you loved our work, tell Google: {{ review_link }}", "If you loved"),
    (v.THANK_YOU, "If you were happy with the job, {{ review_link }}", "If you were happy"),
    (v.CHECK_IN, "If you had a great experience, {{ review_link }}", "If you had a great"),
    (v.REVIEW, "Happy customers, this one's for you: {{ review_link }}", "Happy customers"),
    (v.OTHER, "Happy? {{ review_link }} Not happy? Call us first.", "Not happy?"),
    (v.OTHER, "Only if it went well: {{ review_link }}", "Only if"),
    (v.OTHER, "{% if customer_first_name == 'Bob' %}{{ review_link }}{% endif %}",
     "{{ review_link }}"),
    (v.OTHER, "{{ review_link if nps > 8 }}", "{{ review_link if nps > 8 }}"),
    (v.THANK_YOU, "{% if rating > 4 %}Glad you liked it!{% endif %} {{ review_link }}",
     "{% if rating > 4 %}"),
    (v.REVIEW, "Wenn Sie zufrieden sind, bewerten Sie uns", "Wenn Sie zufrieden"),
]

FAIR = [
    (v.REVIEW, "Feel free to call {{ business_phone }} about anything. Whatever you "
               "thought, an honest review helps: {{ review_link }}"),
    (v.REVIEW, "We're 100% local. If you have a minute, tell others how it went, good or "
               "bad: {{ review_link }}"),
    (v.REVIEW, "You can always count on us. If you would like to, leave a review: "
               "{{ review_link }}"),
    (v.REVIEW, "Whether you loved it or not, tell others: {{ review_link }}"),
    (v.OTHER, "{% if review_link %}Tell others how it went: {{ review_link }}{% endif %}"),
    (v.THANK_YOU, "Thanks! Here's 10% off your next visit."),  # asks for nothing
]


@pytest.mark.parametrize(("element", "body", "words"), INCENTIVES)
def test_it_refuses_a_reward_however_it_is_written(element, body, words):
    problem = fairness.check_step(element, "Hello", body)["body"]
    assert "16 CFR 465" in problem
    assert f"“{words}”" in problem


@pytest.mark.parametrize(("element", "body", "words"), CONDITIONS)
def test_it_refuses_a_conditional_review_link_on_any_step(element, body, words):
    problem = fairness.check_step(element, "Hello", body)["body"]
    assert "only to some customers" in problem
    assert f"“{words}”" in problem


@pytest.mark.parametrize(("element", "body"), FAIR)
def test_it_accepts_an_honest_ask(element, body):
    assert fairness.check_step(element, "How did we do?", body) == {}


def test_it_checks_the_subject_too():
    found = fairness.check_step(v.REVIEW, "5-star review = 10% off", "{{ review_link }}")
    assert set(found) == {"subject"}


def test_it_keeps_the_old_name_working():
    assert fairness.problems is fairness.check_step


@pytest.mark.parametrize(
    "step", [s for p in BUILTIN_PLAYBOOKS for s in p["steps"]], ids=lambda s: s["name"])
def test_it_accepts_every_builtin_step(step):
    assert fairness.check_step(step["element"], step["subject"], step["body"]) == {}


def test_it_refuses_a_gated_thank_you_in_the_step_form(business):
    playbook = Playbook.objects.create(business=business, slug="p", name="P")
    form = StepForm(data={
        "name": "Thanks", "anchor": v.DELIVERED, "offset_days": 2, "offset_hours": 0,
        "local_time": "10:00", "channel": kinds.EMAIL, "stage": 4, "element": v.THANK_YOU,
        "purpose": v.RELATIONSHIP, "subject": "Thank you",
        "body": "If you loved our work, tell Google: {{ review_link }}",
    }, instance=Step(playbook=playbook))
    assert not form.is_valid()
    assert "“If you loved”" in form.errors["body"][0]


def test_it_refuses_a_reward_when_a_step_is_saved(business):
    playbook = Playbook.objects.create(business=business, slug="p", name="P")
    step = Step(playbook=playbook, name="Review", anchor=v.DELIVERED, channel=kinds.EMAIL,
                stage=4, element=v.REVIEW, subject="Review us?",
                body="Review us and your next drain clean is free: {{ review_link }}")
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "“free”" in str(error.value)
