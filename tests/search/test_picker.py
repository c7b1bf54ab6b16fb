"""The customer pickers on New sale and Promises: an id, or typed text without JavaScript,
always looked up inside the business."""

import datetime as dt

from followthrough.agenda.forms import PromiseForm
from followthrough.agenda.models import Promise
from followthrough.customers.forms import SaleForm
from followthrough.customers.models import Customer


def promise_data(**extra):
    return {"what": "Bring the spare key", "due_on": str(dt.date.today()), **extra}


def test_it_takes_the_chosen_id(business, maria):
    form = PromiseForm(business, promise_data(customer=maria.public_id,
                                              customer_q="Maria Lopez"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["customer"] == maria


def test_it_refuses_an_id_from_another_business(business, elsewhere):
    form = PromiseForm(business, promise_data(customer=elsewhere.public_id))
    assert not form.is_valid()
    assert form.errors["customer"] == ["Choose a customer of this business."]


def test_it_looks_up_typed_text_without_javascript(business, maria):
    form = PromiseForm(business, promise_data(customer="", customer_q="020 7946 0958"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["customer"] == maria


def test_it_offers_a_choice_when_several_match(business, maria):
    other = Customer.objects.create(business=business, name="Maria Santos")
    form = PromiseForm(business, promise_data(customer="", customer_q="maria"))
    assert not form.is_valid()
    assert "Several customers match" in form.errors["customer"][0]
    html = str(form["customer"])
    assert f'type="radio" name="customer" value="{other.public_id}"' in html
    assert f'value="{maria.public_id}"' in html


def test_it_takes_the_radio_button_chosen_after_a_search(business, maria):
    # The hidden input comes first (empty), then the radio button chosen.
    data = _multi({**promise_data(customer_q="maria"), "customer": ["", maria.public_id]})
    form = PromiseForm(business, data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["customer"] == maria


def test_it_searches_again_when_the_name_was_typed_over(business, maria):
    sam = Customer.objects.create(business=business, name="Sam Okafor")
    form = PromiseForm(business, promise_data(customer=maria.public_id, customer_q="okafor"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["customer"] == sam


def test_it_says_when_nothing_matches(business, maria):
    form = PromiseForm(business, promise_data(customer="", customer_q="nobody"))
    assert not form.is_valid()
    assert form.errors["customer"][0].startswith("No customer matches “nobody”")


def test_it_asks_for_a_customer_on_a_promise(business):
    form = PromiseForm(business, promise_data())
    assert form.errors["customer"] == ["Choose the customer you made the promise to."]


def test_it_leaves_the_sale_s_customer_empty_for_a_new_one(business):
    form = SaleForm(business, {"customer": "", "customer_q": "", "new_name": "Ada"})
    form.is_valid()
    assert "customer" not in form.errors and form.cleaned_data["customer"] is None


def test_it_refuses_a_sale_for_another_business_s_customer(business, elsewhere):
    form = SaleForm(business, {"customer": elsewhere.public_id})
    assert not form.is_valid()
    assert form.errors["customer"] == ["Choose a customer of this business."]


def test_it_shows_the_chosen_customer_when_the_page_opens(business, maria):
    html = str(SaleForm(business, initial={"customer": maria.public_id})["customer"])
    assert f'value="{maria.public_id}"' in html and 'value="Maria Lopez"' in html


def test_it_saves_a_promise_through_the_page_without_javascript(owner_client, business,
                                                                 maria):
    response = owner_client.post("/promises/", promise_data(customer="",
                                                            customer_q="maria.lopez@"))
    assert response.status_code == 302
    assert Promise.objects.get(business=business).customer == maria


def test_it_does_not_list_every_customer_on_the_page(owner_client, business, maria):
    Customer.objects.bulk_create(Customer(business=business, name=f"Person {n}")
                                 for n in range(50))
    text = owner_client.get("/customers/sales/new/").text
    assert "Person 7" not in text and "<select name=\"customer\"" not in text
    assert 'hx-get="/search/customers/"' in text


def _multi(data):
    from django.utils.datastructures import MultiValueDict

    return MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in data.items()})
