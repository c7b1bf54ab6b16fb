import pytest

from followthrough.channels import rendering
from followthrough.channels.rendering import (
    MERGE_FIELDS,
    SAMPLE_CONTEXT,
    TemplateProblem,
    check_template,
    render_subject,
    render_text,
    text_to_html,
)


def test_it_renders_merge_fields():
    text = render_text("Hi {{ customer_first_name }}!", {"customer_first_name": "Jamie"})
    assert text == "Hi Jamie!"


def test_it_keeps_plain_text_unescaped():
    text = render_text("Hi {{ customer_name }}", {"customer_name": "Jamie O'Brien & <Co>"})
    assert text == "Hi Jamie O'Brien & <Co>"


def test_it_renders_an_unknown_field_as_empty():
    assert render_text("Hi {{ nobody }}.", {}) == "Hi ."


def test_it_offers_the_default_filters_and_tags():
    source = "{% if review_link %}{{ business_name|upper }}{% endif %}"
    assert render_text(source, {"review_link": "x", "business_name": "bakery"}) == "BAKERY"


def test_it_escapes_values_and_text_in_the_html_alternative():
    text = render_text("Deals < 5%\n{{ customer_name }}", {"customer_name": "<b>Jo</b>"})
    html = text_to_html(text)
    assert html == "<p>Deals &lt; 5%<br>&lt;b&gt;Jo&lt;/b&gt;</p>"


def test_it_turns_paragraphs_and_links_into_html():
    html = text_to_html("Hello\n\nReview us: https://example.com/r?a=1&b=2")
    assert html.count("<p>") == 2
    assert '<a href="https://example.com/r?a=1&amp;b=2"' in html


def test_it_makes_the_subject_one_line():
    assert render_subject("Thanks,\n{{ customer_name }}", {"customer_name": "Jo\r\nBcc: x"}) == (
        "Thanks, Jo Bcc: x"
    )


def test_it_reports_the_line_of_a_syntax_error():
    with pytest.raises(TemplateProblem) as problem:
        check_template("Hello\n\n{% if %}\nbye")
    assert problem.value.line == 3


def test_it_reports_an_unclosed_block_on_its_line():
    with pytest.raises(TemplateProblem) as problem:
        check_template("Hello\n{% for x in y %}")
    assert problem.value.line == 2


@pytest.mark.parametrize(
    "source",
    ["{% debug %}", "{% load static %}", "{% url 'today' %}", "{% include 'base.html' %}",
     "{% csrf_token %}", "{% extends 'base.html' %}"],
)
def test_it_refuses_tags_that_reach_outside_the_context(source):
    with pytest.raises(TemplateProblem):
        check_template(source)


def test_it_refuses_underscore_attributes():
    with pytest.raises(TemplateProblem):
        check_template("{{ customer_name.__class__ }}")


def test_it_accepts_every_merge_field():
    source = " ".join(f"{{{{ {name} }}}}" for name in MERGE_FIELDS)
    check_template(source)
    assert render_text(source, SAMPLE_CONTEXT).split(" ")[0] == "Jamie"


def test_it_has_a_sample_value_for_every_merge_field():
    assert SAMPLE_CONTEXT.keys() == MERGE_FIELDS.keys()


def test_it_compiles_a_template_once():
    source = "Cached {{ customer_name }} template"
    render_text(source, {})
    hits = rendering._compile.cache_info().hits
    render_text(source, {"customer_name": "Jo"})
    assert rendering._compile.cache_info().hits == hits + 1
