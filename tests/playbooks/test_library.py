"""The built-in playbooks: coverage of the stages and the post-service delta, templates that
render, and an installer that is safe to run twice."""

import re

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.channels.rendering import (
    MERGE_FIELDS,
    SAMPLE_CONTEXT,
    check_template,
    render_text,
)
from followthrough.playbooks.library import (
    BUILTIN_PLAYBOOKS,
    PRODUCT_ORDER,
    SERVICE_JOB,
    install_builtin_playbooks,
)
from followthrough.playbooks.models import Playbook, Step

ALL_STEPS = [s for p in BUILTIN_PLAYBOOKS for s in p["steps"]]
TEMPLATES = [(s["name"], part, s[part]) for s in ALL_STEPS for part in ("subject", "body")]


def test_it_covers_all_four_stages_between_the_builtins():
    assert {s["stage"] for s in ALL_STEPS} >= {1, 2, 3, 4}


def test_it_covers_all_five_post_service_elements_between_the_builtins():
    assert {s["element"] for s in ALL_STEPS} >= set(v.POST_SERVICE_ELEMENTS)


def test_it_has_the_service_job_and_product_order_slugs():
    assert [p["slug"] for p in BUILTIN_PLAYBOOKS] == ["service-job", "product-order"]


@pytest.mark.parametrize(("name", "part", "source"), TEMPLATES)
def test_it_has_templates_that_compile_and_render(name, part, source):
    check_template(source)
    assert "{{" not in render_text(source, SAMPLE_CONTEXT)


def test_it_uses_only_known_merge_fields():
    used = set()
    for _, _, source in TEMPLATES:
        used |= set(re.findall(r"{{\s*(\w+)", source))
        used |= set(re.findall(r"{%\s*if\s+(\w+)", source))
    assert used <= set(MERGE_FIELDS)


def test_it_never_says_dear_valued_customer():
    assert not any("valued customer" in source.lower() for _, _, source in TEMPLATES)


def test_it_gives_every_email_a_subject_and_every_step_a_body():
    assert all(s["subject"] for s in ALL_STEPS if s["channel"] == kinds.EMAIL)
    assert all(s["body"] for s in ALL_STEPS)


def test_it_asks_every_service_customer_for_a_review_and_a_referral():
    elements = {s["element"] for s in SERVICE_JOB["steps"]}
    assert {v.REVIEW, v.REFERRAL} <= elements


def test_it_writes_a_card_on_the_day_of_an_order():
    [card] = [s for s in PRODUCT_ORDER["steps"] if s["channel"] == kinds.CARD]
    assert (card["anchor"], card["offset_days"]) == (v.WON, 0)


def test_it_calls_to_walk_through_an_order_once_it_has_arrived():
    calls = [s for s in PRODUCT_ORDER["steps"] if s["channel"] == kinds.CALL]
    assert any(s["anchor"] == v.DELIVERED and s["element"] == v.ONBOARDING for s in calls)


def test_it_installs_steps_that_pass_model_validation(business):
    install_builtin_playbooks(business)
    steps = Step.objects.filter(playbook__business=business)
    assert steps.count() == len(ALL_STEPS)
    for step in steps:
        step.full_clean()


def test_it_installs_the_builtins_only_once(business):
    first = install_builtin_playbooks(business)
    second = install_builtin_playbooks(business)
    assert [p.pk for p in first] == [p.pk for p in second]
    assert Playbook.objects.filter(business=business).count() == 2
    assert Step.objects.filter(playbook__business=business).count() == len(ALL_STEPS)


def test_it_keeps_a_playbook_the_business_already_has_with_a_builtin_slug(business):
    mine = Playbook.objects.create(business=business, slug="service-job", name="My way")
    install_builtin_playbooks(business)
    mine.refresh_from_db()
    assert mine.name == "My way"
    assert not mine.steps.exists()


def test_it_installs_into_one_business_only(business, other_business):
    install_builtin_playbooks(business)
    assert not Playbook.objects.filter(business=other_business).exists()


def _service_step(name):
    return next(s for s in SERVICE_JOB["steps"] if s["name"] == name)


def test_it_drafts_a_weekly_progress_update_while_a_service_job_is_under_way():
    update = _service_step("Progress update")
    assert (update["anchor"], update["repeat_every_days"], update["repeat_until"]) == (
        v.STARTED, 7, v.DELIVERED)
    assert (update["stage"], update["element"], update["channel"]) == (
        3, v.PROGRESS_UPDATE, kinds.EMAIL)


def test_it_holds_every_progress_update_for_the_owner_to_finish_and_approve():
    assert _service_step("Progress update")["requires_approval"] is True
    assert [s["name"] for s in ALL_STEPS if s["requires_approval"]] == ["Progress update"]


def test_it_asks_mid_delivery_whether_the_job_is_what_they_expected():
    check_in = _service_step("How is it going?")
    assert check_in["stage"] == 3
    assert "Is it what you expected?" in check_in["body"]
