"""The search pages: the header's answers (htmx), the full results page, and who sees what."""

import pytest

from tests.search.conftest import HOSTILE

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_it_answers_as_you_type_grouped_by_kind(owner_client, maria, boiler, promise):
    text = owner_client.get("/search/suggestions/", {"q": "mar"}, **HTMX).text
    assert "Customers" in text and f"/customers/{maria.public_id}/" in text
    text = owner_client.get("/search/suggestions/", {"q": "boiler"}, **HTMX).text
    assert "Jobs" in text and f"/customers/engagements/{boiler.public_id}/" in text
    text = owner_client.get("/search/suggestions/", {"q": "warranty"}, **HTMX).text
    assert "Promises" in text and f"#promise-{promise.public_id}" in text
    assert "/search/?q=warranty" in text


def test_it_answers_nothing_for_an_empty_box(owner_client, maria):
    assert owner_client.get("/search/suggestions/", {"q": ""}, **HTMX).text.strip() == ""


def test_it_says_so_when_nothing_matches(owner_client, maria):
    text = owner_client.get("/search/suggestions/", {"q": "zzz"}, **HTMX).text
    assert "Nothing matches" in text


def test_it_shows_every_kind_on_the_results_page_without_javascript(owner_client, maria,
                                                                     boiler, promise):
    response = owner_client.get("/search/", {"q": "maria"})
    assert response.status_code == 200
    assert "Maria Lopez" in response.text and '<form method="get" action="/search/"' in (
        response.text)
    text = owner_client.get("/search/", {"q": "warranty"}).text
    assert "Send the warranty papers" in text


def test_it_shows_an_outsider_nothing_of_the_business(outsider_client, maria, boiler, promise):
    for path in ("/search/", "/search/suggestions/"):
        text = outsider_client.get(path, {"q": "maria"}).text
        assert maria.public_id not in text and "Maria Lopez" not in text
    text = outsider_client.get("/search/customers/", {"customer_q": "maria"}).text
    assert maria.public_id not in text


def test_it_sends_anonymous_visitors_to_sign_in(client, maria):
    for path in ("/search/", "/search/suggestions/", "/search/customers/"):
        response = client.get(path, {"q": "maria"})
        assert response.status_code == 302 and response.url.startswith("/login/")


def test_it_refuses_to_change_anything_on_post(owner_client):
    assert owner_client.post("/search/", {"q": "maria"}).status_code == 405


def test_it_offers_the_picker_its_choices(owner_client, maria):
    text = owner_client.get("/search/customers/", {"customer_q": "7946"}, **HTMX).text
    assert f'data-pick="{maria.public_id}"' in text and 'data-name="Maria Lopez"' in text


@pytest.mark.parametrize("typed", HOSTILE)
def test_it_answers_hostile_text_with_a_page_not_an_error(owner_client, maria, typed):
    for path in ("/search/", "/search/suggestions/"):
        response = owner_client.get(path, {"q": typed}, **HTMX)
        assert response.status_code == 200
        assert "<script>alert(1)" not in response.text
    response = owner_client.get("/search/customers/", {"customer_q": typed}, **HTMX)
    assert response.status_code == 200 and "<script>alert(1)" not in response.text


def test_it_escapes_what_it_finds(owner_client, business):
    from followthrough.customers.models import Customer

    Customer.objects.create(business=business, name='Jo <script>alert(1)</script>"\'&')
    for path in ("/search/", "/search/suggestions/"):
        text = owner_client.get(path, {"q": "jo"}).text
        assert "<script>alert(1)" not in text and "Jo &lt;script&gt;" in text
    text = owner_client.get("/search/customers/", {"customer_q": "jo"}).text
    assert "<script>alert(1)" not in text and 'data-name="Jo &lt;script&gt;' in text

