import datetime as dt

from followthrough.customers.models import Customer, Engagement
from followthrough.touchpoints.models import Touchpoint

from .conftest import engagement_body, iso, recently


def test_it_creates_an_engagement_with_its_touchpoints(api, business):
    response = api.post("/engagements", engagement_body())

    assert response.status_code == 201
    body = response.json()
    engagement = Engagement.objects.get(business=business)
    assert body["id"] == engagement.public_id
    assert body["playbook"] == "service-job"
    assert body["status"] == "won"
    assert body["customer"] == engagement.customer.public_id
    assert body["touchpoints"]
    assert len(body["touchpoints"]) == Touchpoint.objects.filter(engagement=engagement).count()


def test_it_describes_each_touchpoint(api):
    body = api.post("/engagements", engagement_body()).json()

    touchpoint = body["touchpoints"][0]
    assert set(touchpoint) >= {"id", "step", "channel", "stage", "element", "purpose",
                               "status", "due_at", "engagement", "customer"}
    assert touchpoint["engagement"] == body["id"]
    assert touchpoint["customer"] == body["customer"]
    assert touchpoint["step"] == "Thank-you call"


def test_it_gives_due_times_with_an_offset(api):
    body = api.post("/engagements", engagement_body()).json()

    for touchpoint in body["touchpoints"]:
        due = dt.datetime.fromisoformat(touchpoint["due_at"])
        assert due.utcoffset() is not None
        # In the business's zone (America/New_York), so an owner reads the intended hour.
        assert due.utcoffset() in (dt.timedelta(hours=-5), dt.timedelta(hours=-4))


def test_it_gets_an_engagement(api, engagement):
    response = api.get(f"/engagements/{engagement['id']}")

    assert response.status_code == 200
    assert response.json() == engagement


def test_it_returns_the_existing_engagement_on_replay(api, business, engagement):
    response = api.post("/engagements", engagement_body(external_id="job-1"))

    assert response.status_code == 200
    assert response.json()["id"] == engagement["id"]
    assert Engagement.objects.filter(business=business).count() == 1


def test_it_upserts_an_inline_customer_by_external_id(api, business):
    api.post("/customers", {"name": "Ada", "external_id": "c-1"})

    body = engagement_body(customer={"name": "Ada Lovelace", "external_id": "c-1"})
    response = api.post("/engagements", body)

    assert response.status_code == 201
    customer = Customer.objects.get(business=business)
    assert customer.name == "Ada Lovelace"
    assert response.json()["customer"] == customer.public_id


def test_it_takes_a_customer_by_id(api, business):
    customer = api.post("/customers", {"name": "Ada"}).json()

    response = api.post("/engagements", engagement_body(customer={"id": customer["id"]}))

    assert response.status_code == 201
    assert response.json()["customer"] == customer["id"]
    assert Customer.objects.filter(business=business).count() == 1


def test_it_takes_a_customer_by_external_id_alone(api):
    customer = api.post("/customers", {"name": "Ada", "external_id": "c-9"}).json()

    response = api.post("/engagements", engagement_body(customer={"external_id": "c-9"}))

    assert response.status_code == 201
    assert response.json()["customer"] == customer["id"]


def test_it_refuses_an_unknown_playbook(api):
    response = api.post("/engagements", engagement_body(playbook="juggling"))

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "playbook"


def test_it_saves_nothing_when_the_engagement_is_invalid(api, business):
    won = recently()
    body = engagement_body(won_at=iso(won), delivered_at=iso(won - dt.timedelta(days=1)))

    response = api.post("/engagements", body)

    assert response.status_code == 422
    assert "delivered_at" in [e["field"] for e in response.json()["detail"]]
    assert not Customer.objects.filter(business=business).exists()
    assert not Engagement.objects.filter(business=business).exists()


def test_it_refuses_a_naive_datetime(api):
    response = api.post("/engagements", engagement_body(won_at="2025-03-01T10:00:00"))

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "won_at"


def test_it_credits_the_referrer_of_an_inline_customer(api, business):
    referrer = Customer.objects.create(business=business, name="Sam", referral_code="SAMK2345")
    body = engagement_body()
    body["customer"]["referral_code"] = "SAMK2345"

    assert api.post("/engagements", body).status_code == 201
    assert Customer.objects.get(business=business, external_id="c-1").referred_by == referrer


def test_it_names_the_inline_referral_code_and_saves_nothing(api, business):
    body = engagement_body()
    body["customer"]["referral_code"] = "NOPE2345"

    response = api.post("/engagements", body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "customer.referral_code"
    assert not Customer.objects.filter(business=business).exists()
    assert not Engagement.objects.filter(business=business).exists()
