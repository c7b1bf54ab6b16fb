"""Merge fields can't reach models, settings or secrets; HTML email is sanitised; what
customers write is escaped when shown."""

import pytest

from followthrough.channels.rendering import TemplateProblem, render_text, text_to_html
from followthrough.customers.models import Customer


@pytest.mark.parametrize("source", [
    "{{ settings.SECRET_KEY }}", "{{ request.user }}", "{{ customer.email }}",
    "{{ customer_name.upper }}x",
])
def test_it_renders_nothing_for_names_outside_the_context(source):
    assert render_text(source, {"customer_name": "Jamie"}) in {"", "x", "JAMIEx"}
    assert "test-secret-key" not in render_text(source, {"customer_name": "Jamie"})


@pytest.mark.parametrize("source", [
    "{{ customer.__class__ }}", "{{ customer_name.__class__ }}",
    "{{ customer_name.__init__.__globals__ }}",
])
def test_it_refuses_dunder_attributes(source):
    with pytest.raises(TemplateProblem):
        render_text(source, {"customer_name": "Jamie"})


@pytest.mark.parametrize("source", [
    "{% load static %}", "{% debug %}", "{% url 'settings' %}", "{% csrf_token %}",
    "{% include 'base.html' %}", "{% extends 'base.html' %}", "{% ssi '/etc/passwd' %}",
])
def test_it_refuses_tags_that_reach_outside(source):
    with pytest.raises(TemplateProblem):
        render_text(source, {})


@pytest.mark.parametrize("text", [
    '<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
    'javascript:alert(1)', '<a href="javascript:alert(1)">x</a>',
])
def test_it_sanitises_the_html_email(text):
    html = text_to_html(text)
    assert "<script" not in html and "<img" not in html and '<a href="javascript' not in html


def test_it_keeps_links_and_paragraphs_in_the_html_email():
    html = text_to_html("Hi Jamie,\n\nSee https://example.com/x?a=1&b=2 today.")
    assert '<a href="https://example.com/x?a=1&amp;b=2">' in html
    assert html.count("<p>") == 2


def test_it_escapes_what_customers_wrote_on_their_page(owner_client, business):
    customer = Customer.objects.create(business=business, name="<script>alert(1)</script>",
                                       notes='<img src=x onerror="alert(2)">')
    text = owner_client.get(f"/customers/{customer.public_id}/").text
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)" in text
