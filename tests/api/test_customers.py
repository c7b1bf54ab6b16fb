from followthrough.customers.models import Customer


def test_it_creates_a_customer(api, business):
    response = api.post("/customers", {"name": "Grace Hopper", "email": "grace@example.com"})

    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(business=business)
    assert body["id"] == customer.public_id
    assert body["name"] == "Grace Hopper"
    assert body["email"] == "grace@example.com"


def test_it_never_shows_integer_keys(api):
    body = api.post("/customers", {"name": "Grace Hopper"}).json()

    assert isinstance(body["id"], str)
    assert not body["id"].isdigit()
    assert "pk" not in body and "business" not in body


def test_it_upserts_by_external_id(api, business):
    first = api.post("/customers", {"name": "Grace", "external_id": "crm-7", "tags": "vip"})
    second = api.post("/customers", {"name": "Grace Hopper", "external_id": "crm-7"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    customer = Customer.objects.get(business=business)
    assert customer.name == "Grace Hopper"
    assert customer.tags == "vip"  # fields not sent are left alone


def test_it_gets_a_customer(api):
    created = api.post("/customers", {"name": "Grace Hopper"}).json()

    response = api.get(f"/customers/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_it_answers_404_for_an_unknown_customer(api):
    response = api.get("/customers/nope")

    assert response.status_code == 404
    assert response.json()["detail"][0]["field"] == "id"


def test_it_filters_customers_by_email(api):
    api.post("/customers", {"name": "Grace", "email": "grace@example.com"})
    api.post("/customers", {"name": "Alan", "email": "alan@example.com"})

    items = api.get("/customers", {"email": "GRACE@example.com"}).json()["items"]

    assert [c["name"] for c in items] == ["Grace"]


def test_it_filters_customers_by_external_id(api):
    api.post("/customers", {"name": "Grace", "external_id": "g"})
    api.post("/customers", {"name": "Alan", "external_id": "a"})

    items = api.get("/customers", {"external_id": "a"}).json()["items"]

    assert [c["name"] for c in items] == ["Alan"]


def test_it_pages_through_customers(api):
    for name in ["A", "B", "C"]:
        api.post("/customers", {"name": name})

    first = api.get("/customers", {"limit": 2}).json()
    second = api.get("/customers", {"limit": 2, "after": first["next"]}).json()

    assert [c["name"] for c in first["items"]] == ["A", "B"]
    assert [c["name"] for c in second["items"]] == ["C"]
    assert second["next"] is None


def _referrer(business):
    from django.utils import timezone

    from followthrough.customers.models import Engagement

    referrer = Customer.objects.create(business=business, name="Sam Okafor",
                                       referral_code="SAMK2345")
    Engagement.objects.create(business=business, customer=referrer, kind="Job",
                              won_at=timezone.now())
    return referrer


def test_it_credits_the_referrer_given_by_code(api, business):
    referrer = _referrer(business)
    response = api.post("/customers", {"name": "Grace Hopper", "referral_code": "samk2345"})

    assert response.status_code == 201
    assert response.json()["referred_by"] == referrer.public_id
    grace = Customer.objects.get(business=business, name="Grace Hopper")
    assert grace.referred_by == referrer


def test_it_plans_a_thank_you_for_the_referrer(api, business):
    from followthrough.touchpoints.models import Touchpoint

    referrer = _referrer(business)
    body = api.post("/customers", {"name": "Grace Hopper", "referral_code": "SAMK2345"}).json()

    card = Touchpoint.objects.get(idempotency_key=f"referral:{body['id']}")
    assert (card.customer, card.channel) == (referrer, "card")


def test_it_refuses_an_unknown_referral_code_and_saves_nothing(api, business):
    response = api.post("/customers", {"name": "Grace Hopper", "referral_code": "NOPE2345"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "referral_code"
    assert not Customer.objects.filter(business=business).exists()


def test_it_keeps_the_first_referrer_on_upsert(api, business):
    first = _referrer(business)
    Customer.objects.create(business=business, name="Lee", referral_code="LEEE2345")
    api.post("/customers", {"name": "Grace", "external_id": "g-1", "referral_code": "SAMK2345"})
    api.post("/customers", {"name": "Grace", "external_id": "g-1", "referral_code": "LEEE2345"})

    assert Customer.objects.get(business=business, external_id="g-1").referred_by == first
