"""Business templates run within budgets that count work: loops, value length and message
length, and only attributes that cannot grow a value. A template that breaks one fails fast
with its line, in the worker and in previews, and is refused when it is saved.

Without these limits the attacks below run for hours (150^4 loop passes, or a value that
doubles 30 times), so a test that fails before the fix hangs rather than fails."""

import datetime as dt

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds, sandbox
from followthrough.channels.rendering import (
    SAMPLE_CONTEXT,
    WORST_CASE_CONTEXT,
    TemplateProblem,
    check_template,
    render_subject,
    render_text,
)
from followthrough.channels.transports import TransportError
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Touchpoint

NESTED = ("{% for a in customer_name %}{% for b in customer_name %}"
          "{% for c in customer_name %}{% for d in customer_name %}x"
          "{% endfor %}{% endfor %}{% endfor %}{% endfor %}")
DOUBLING = ("{% with a0=customer_name %}"
            + "".join(f"{{% with a{n + 1}=a{n}|add:a{n} %}}" for n in range(30))
            + "{{ a30 }}" + "{% endwith %}" * 31)


def test_it_refuses_four_nested_loops_over_a_name():
    with pytest.raises(sandbox.OverBudget) as problem:
        render_text("Hi\n" + NESTED, WORST_CASE_CONTEXT)
    assert "too many repetitions" in str(problem.value)
    assert problem.value.line == 2


def test_it_counts_loop_passes_across_the_whole_render():
    loop = "{% for a in score_links %}.{% endfor %}"
    assert render_text(loop, SAMPLE_CONTEXT)
    with pytest.raises(sandbox.OverBudget):
        render_text(loop * 20, SAMPLE_CONTEXT)


def test_it_keeps_a_small_loop_working():
    source = ("{% for line in score_links.splitlines %}{{ forloop.counter }}. {{ line }}\n"
              "{% endfor %}")
    assert render_text(source, SAMPLE_CONTEXT).startswith("1. 10 https://")


def test_it_refuses_a_value_that_doubles():
    with pytest.raises(sandbox.OverBudget):
        render_text(DOUBLING, WORST_CASE_CONTEXT)


@pytest.mark.parametrize("source", [
    "{{ customer_name|ljust:'100000000' }}", "{{ customer_name|center:'999' }}",
    "{{ customer_name|stringformat:'0100000000s' }}", "{{ 3|floatformat:'99999999' }}",
    "{% with s=engagement_description|add:engagement_description %}"
    "{{ customer_name|make_list|join:s }}{% endwith %}",
])
def test_it_refuses_filters_asked_to_make_huge_values(source):
    with pytest.raises(sandbox.OverBudget):
        render_text(source, WORST_CASE_CONTEXT)


def test_it_refuses_a_message_that_grows_too_long():
    source = ("{% with b=customer_name|make_list|join:'------------------------' %}"
              + "{{ b }}" * 500 + "{% endwith %}")
    with pytest.raises(sandbox.OverBudget) as problem:
        render_text(source, WORST_CASE_CONTEXT)
    assert "too long" in str(problem.value)


def test_it_refuses_escaping_again_and_again():
    with pytest.raises(sandbox.OverBudget):
        render_text("{{ customer_name" + "|force_escape" * 200 + " }}", WORST_CASE_CONTEXT)


def test_it_renders_attributes_that_grow_values_as_nothing():
    source = "{{ customer_name" + ".encode.hex" * 40 + " }}|{{ customer_name.upper }}"
    assert render_text(source, {"customer_name": "Jo"}) == "|JO"


def test_it_refuses_a_template_over_the_size_limit():
    with pytest.raises(TemplateProblem) as problem:
        check_template("x" * (sandbox.MAX_SOURCE_CHARS + 1))
    assert "20,000" in str(problem.value)


def test_it_refuses_tags_nested_too_deeply():
    with pytest.raises(TemplateProblem):
        check_template("{% if 1 %}" * 900 + "{% endif %}" * 900)


@pytest.mark.parametrize("tag", ["{% lorem 99999 %}", "{% regroup x by y as z %}"])
def test_it_leaves_out_tags_that_make_work(tag):
    with pytest.raises(TemplateProblem):
        check_template(tag)


def test_it_turns_a_failing_tag_into_a_problem_with_its_line():
    with pytest.raises(TemplateProblem) as problem:
        render_text("Hi\n\n{% for a, b in customer_name %}{% endfor %}", {"customer_name": "Jo"})
    assert problem.value.line == 3


def test_it_test_renders_when_checking_a_template():
    with pytest.raises(sandbox.OverBudget):
        check_template(NESTED)


def test_it_checks_against_the_longest_values_too():
    source = ("{% for a in engagement_description %}{% for b in customer_name %}"
              "{% endfor %}{% endfor %}")
    render_text(source, SAMPLE_CONTEXT)
    with pytest.raises(sandbox.OverBudget):
        check_template(source)


def test_it_gives_each_render_a_fresh_budget():
    source = "{% for a in customer_name %}{% for b in customer_name %}{% endfor %}{% endfor %}"
    for _ in range(50):
        render_subject(source, SAMPLE_CONTEXT)


def test_it_refuses_to_render_outside_a_budget():
    with pytest.raises(TemplateProblem):
        sandbox._spend()


def test_the_worker_fails_a_message_with_a_runaway_template(business):
    playbook = Playbook.objects.create(business=business, slug="p", name="P")
    step = Step.objects.create(playbook=playbook, name="Hello", channel=kinds.EMAIL,
                               subject="Hello", body=NESTED)
    customer = Customer.objects.create(business=business, name="J" * 150,
                                       email="j@example.com")
    due = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)
    engagement = Engagement.objects.create(business=business, customer=customer, won_at=due)
    row = Touchpoint.objects.create(
        business=business, engagement=engagement, customer=customer, step=step,
        idempotency_key="k", name="Hello", channel=kinds.EMAIL, stage=4,
        element=v.THANK_YOU, purpose=v.TRANSACTIONAL, due_at=due, local_date=due.date(),
        local_time=due.time())
    with pytest.raises(TransportError) as error:
        worker.compose(row)
    assert error.value.permanent and "too many repetitions" in str(error.value)


def test_it_refuses_even_when_an_if_swallows_the_refusal():
    # Django's {% if %} operators turn any exception into False; the budget stays broken.
    source = ("{% with a=engagement_description|add:engagement_description %}"
              "{% with b=a|add:a %}{% with c=b|lower %}{% for x in engagement_description %}"
              "{% if b == c %}{% endif %}{% endfor %}{% endwith %}{% endwith %}{% endwith %}")
    with pytest.raises(sandbox.OverBudget):
        render_text(source, WORST_CASE_CONTEXT)


def test_it_counts_the_work_of_long_tags_in_a_loop():
    source = ("{% for x in engagement_description %}{% if "
              + " and ".join(["x"] * 300) + " %}{% endif %}{% endfor %}")
    with pytest.raises(sandbox.OverBudget) as problem:
        render_text(source, WORST_CASE_CONTEXT)
    assert "too much work" in str(problem.value)


def test_it_counts_every_tag_even_empty_ones():
    source = "{% for x in engagement_description %}" + "{% if 1 %}{% endif %}" * 200 + \
             "{% endfor %}"
    with pytest.raises(sandbox.OverBudget):
        render_text(source, WORST_CASE_CONTEXT)


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ customer_name.0 }}", "J"), ("{{ customer_name.upper }}", "JO LEE"),
    ("{{ customer_name.split.1 }}", "Lee"), ("{{ customer_name.encode }}", ""),
    ("{{ customer_name.__len__ }}", None), ("{{ customer_name.count }}", ""),
    ("{% for w in customer_name.split %}{{ forloop.counter }}{{ w }}{% endfor %}", "1Jo2Lee"),
    ("{% for a in 'ab' %}{% for b in 'c' %}{{ forloop.parentloop.counter }}{% endfor %}"
     "{% endfor %}", "12"),
])
def test_it_looks_up_only_keys_indexes_and_a_few_string_methods(source, expected):
    if expected is None:
        with pytest.raises(TemplateProblem):
            render_text(source, {"customer_name": "Jo Lee"})
    else:
        assert render_text(source, {"customer_name": "Jo Lee"}) == expected


def test_it_names_a_missing_filter_argument_without_showing_the_context():
    with pytest.raises(TemplateProblem) as problem:
        render_text("{{ customer_name|default:nothing_here }}", {"customer_name": "Jo Lee"})
    assert "nothing_here" in str(problem.value) and "Jo Lee" not in str(problem.value)
