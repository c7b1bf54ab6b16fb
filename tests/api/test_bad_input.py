"""A battery of bad bodies thrown at every POST route. Each must get a 4xx (never a 500)
whose detail names the field at fault, and must save nothing."""

import datetime as dt

import pytest

from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback import services as feedback_services
from followthrough.feedback.models import Incident
from followthrough.touchpoints.models import Status, Touchpoint

from .conftest import engagement_body, iso, recently

HUGE = "x" * 3_000_000  # over Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE

# Bodies that are wrong before any field is read, for every POST route.
MALFORMED = [
    ("not json", "body"),
    ('{"name": ', "body"),
    ("", "body"),
    ("null", "body"),
    ("[]", "body"),
    ('"a string"', "body"),
    ("123", "body"),
    ('{"x": "' + HUGE + '"}', "body"),
]

CUSTOMER_CASES = [
    ({}, "name"),
    ({"name": None}, "name"),
    ({"name": 123}, "name"),
    ({"name": ["Ann"]}, "name"),
    ({"name": "x" * 151}, "name"),
    ({"name": "Ann\x00"}, "name"),
    ({"name": "Ann", "email": "not-an-email"}, "email"),
    ({"name": "Ann", "email": "x" * 250 + "@example.com"}, "email"),
    ({"name": "Ann", "phone": "call me maybe"}, "phone"),
    ({"name": "Ann", "phone": "1" * 33}, "phone"),
    ({"name": "Ann", "preferred_channel": "pigeon"}, "preferred_channel"),
    ({"name": "Ann", "external_id": ""}, "external_id"),
    ({"name": "Ann", "external_id": "x" * 101}, "external_id"),
    ({"name": "Ann", "notes": "x" * 5001}, "notes"),
    ({"name": "Ann", "defining_moment": "x" * 1001}, "defining_moment"),
    ({"name": "Ann", "tags": "x" * 301}, "tags"),
    ({"name": "Ann", "postal_address": "x" * 501}, "postal_address"),
    ({"name": "Ann", "nickname": "Annie"}, "nickname"),
    ({"name": "Ann", "id": "abc"}, "id"),
]


def _won():
    return recently()


ENGAGEMENT_CASES = [
    (lambda: engagement_body(won_at=None), "won_at"),
    (lambda: {k: v for k, v in engagement_body().items() if k != "won_at"}, "won_at"),
    (lambda: engagement_body(won_at="2025-03-01T10:00:00"), "won_at"),
    (lambda: engagement_body(won_at="yesterday"), "won_at"),
    (lambda: engagement_body(won_at="9999-12-31T23:59:59+00:00"), "won_at"),
    (lambda: engagement_body(won_at="0001-01-01T00:00:00+14:00"), "won_at"),
    (lambda: engagement_body(won_at=10**20), "won_at"),
    (lambda: engagement_body(started_at="soon"), "started_at"),
    (lambda: engagement_body(delivered_at=iso(_won() - dt.timedelta(days=2))), "delivered_at"),
    (lambda: engagement_body(started_at=iso(_won() + dt.timedelta(days=2)),
                             delivered_at=iso(_won() + dt.timedelta(days=1))), "delivered_at"),
    (lambda: engagement_body(playbook="juggling"), "playbook"),
    (lambda: engagement_body(playbook=""), "playbook"),
    (lambda: engagement_body(playbook=["service-job"]), "playbook"),
    (lambda: engagement_body(value="abc"), "value"),
    (lambda: engagement_body(value=-5), "value"),
    (lambda: engagement_body(value=1e20), "value"),
    (lambda: engagement_body(value="NaN"), "value"),
    (lambda: engagement_body(value="Infinity"), "value"),
    (lambda: engagement_body(value=1.234), "value"),
    (lambda: engagement_body(kind="x" * 61), "kind"),
    (lambda: engagement_body(description="x" * 301), "description"),
    (lambda: engagement_body(external_id="x" * 101), "external_id"),
    (lambda: engagement_body(external_id=""), "external_id"),
    (lambda: engagement_body(priority="high"), "priority"),
    (lambda: {k: v for k, v in engagement_body().items() if k != "customer"}, "customer"),
    (lambda: engagement_body(customer="Ada"), "customer"),
    (lambda: engagement_body(customer=None), "customer"),
    (lambda: engagement_body(customer={}), "customer.name"),
    (lambda: engagement_body(customer={"id": "nope"}), "customer.id"),
    (lambda: engagement_body(customer={"id": "nope", "name": "Ada"}), "customer.id"),
    (lambda: engagement_body(customer={"external_id": "unknown"}), "customer.external_id"),
    (lambda: engagement_body(customer={"name": "Ada", "email": "bad"}), "customer.email"),
    (lambda: engagement_body(customer={"name": "Ada", "phone": "abc"}), "customer.phone"),
    (lambda: engagement_body(customer={"name": "x" * 151}), "customer.name"),
    (lambda: engagement_body(customer={"name": "Ada", "shoe_size": 9}), "customer.shoe_size"),
]

EVENT_CASES = [
    ({"event": "exploded", "at": "NOW"}, "event"),
    ({"event": 5, "at": "NOW"}, "event"),
    ({"event": None, "at": "NOW"}, "event"),
    ({"at": "NOW"}, "event"),
    ({"event": "delivered"}, "at"),
    ({"event": "delivered", "at": "2025-03-01T10:00:00"}, "at"),
    ({"event": "delivered", "at": "tomorrow"}, "at"),
    ({"event": "delivered", "at": "9999-12-31T00:00:00Z"}, "at"),
    ({"event": "delivered", "at": "BEFORE_WON"}, {"at", "delivered_at"}),
    ({"event": "closed", "at": "BEFORE_WON"}, {"at", "closed_at"}),
    ({"event": "delivered", "at": "NOW", "note": "x"}, "note"),
]


def assert_names_field(response, expected):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    fields = {error["field"] for error in body["detail"]}
    assert all(error["message"] for error in body["detail"])
    expected = {expected} if isinstance(expected, str) else expected
    assert fields & expected, (expected, body)


@pytest.mark.parametrize(("raw", "field"), MALFORMED)
@pytest.mark.parametrize("path", ["/customers", "/engagements", "/engagements/{id}/events"])
def test_it_refuses_malformed_bodies(api, engagement, path, raw, field):
    response = api.post(path.replace("{id}", engagement["id"]), raw)

    assert_names_field(response, field)


@pytest.mark.parametrize(("body", "field"), CUSTOMER_CASES)
def test_it_refuses_bad_customers(api, business, body, field):
    response = api.post("/customers", body)

    assert_names_field(response, field)
    assert not Customer.objects.filter(business=business).exists()


@pytest.mark.parametrize(("make_body", "field"), ENGAGEMENT_CASES)
def test_it_refuses_bad_engagements(api, business, make_body, field):
    response = api.post("/engagements", make_body())

    assert_names_field(response, field)
    assert not Engagement.objects.filter(business=business).exists()
    assert not Customer.objects.filter(business=business).exists()


@pytest.mark.parametrize(("body", "field"), EVENT_CASES)
def test_it_refuses_bad_events(api, engagement, body, field):
    won = dt.datetime.fromisoformat(engagement["won_at"])
    stand_ins = {"NOW": iso(recently(0)), "BEFORE_WON": iso(won - dt.timedelta(days=1))}
    body = {k: stand_ins.get(v, v) if isinstance(v, str) else v for k, v in body.items()}

    response = api.post(f"/engagements/{engagement['id']}/events", body)

    assert_names_field(response, field)
    stored = Engagement.objects.get(public_id=engagement["id"])
    assert stored.delivered_at is None and stored.closed_at is None


def test_it_answers_404_naming_the_id_for_an_unknown_engagement(api):
    response = api.post("/engagements/nope/events", {"event": "delivered", "at": iso(recently())})

    assert response.status_code == 404
    assert response.json()["detail"][0]["field"] == "id"


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 10_000}, {"limit": "many"}, {"after": "nope"},
    {"engagement": "nope"}, {"customer": "x" * 500},
])
def test_it_refuses_bad_list_parameters(api, params):
    response = api.get("/touchpoints", params)

    assert_names_field(response, set(params))


# The actions on touchpoints, incidents and promises. `{id}` routes get a real object of
# the key's own business, so what is refused is the body.
ACTION_CASES = [
    ("/touchpoints/{touch}/done", {"note": "x" * 2001}, "note"),
    ("/touchpoints/{touch}/done", {"note": 5}, "note"),
    ("/touchpoints/{touch}/done", {"note": "ok\x00"}, "note"),
    ("/touchpoints/{touch}/done", {"outcome": "reached"}, "outcome"),
    ("/touchpoints/{touch}/skip", {"note": ["busy"]}, "note"),
    ("/touchpoints/{touch}/skip", {"note": "x" * 2001}, "note"),
    ("/incidents/{incident}/resolve", {}, "note"),
    ("/incidents/{incident}/resolve", {"note": ""}, "note"),
    ("/incidents/{incident}/resolve", {"note": "   "}, "note"),
    ("/incidents/{incident}/resolve", {"note": "x" * 2001}, "note"),
    ("/incidents/{incident}/resolve", {"note": "ok", "refund": 10}, "refund"),
    ("/promises/{promise}/kept", {"note": "done"}, "note"),
    ("/promises/{promise}/broken", {}, "note"),
    ("/promises/{promise}/broken", {"note": "  "}, "note"),
    ("/promises/{promise}/broken", {"note": "x" * 2001}, "note"),
    ("/promises/{promise}/broken", {"note": "ok", "make_good": "x" * 301}, "make_good"),
    ("/promises/{promise}/broken", {"note": "ok", "make_good": 3}, "make_good"),
]

PROMISE_CASES = [
    ({"what": "Call", "due_on": "2030-01-01"}, "customer"),
    ({"customer": "nope", "what": "Call", "due_on": "2030-01-01"}, "customer"),
    ({"customer": "CUSTOMER", "due_on": "2030-01-01"}, "what"),
    ({"customer": "CUSTOMER", "what": "", "due_on": "2030-01-01"}, "what"),
    ({"customer": "CUSTOMER", "what": "   ", "due_on": "2030-01-01"}, "what"),
    ({"customer": "CUSTOMER", "what": "x" * 301, "due_on": "2030-01-01"}, "what"),
    ({"customer": "CUSTOMER", "what": "Call"}, "due_on"),
    ({"customer": "CUSTOMER", "what": "Call", "due_on": "soon"}, "due_on"),
    ({"customer": "CUSTOMER", "what": "Call", "due_on": "2030-02-30"}, "due_on"),
    ({"customer": "CUSTOMER", "what": "Call", "due_on": "9999-01-01"}, "due_on"),
    ({"customer": "CUSTOMER", "what": "Call", "due_on": "2030-01-01T10:00:00Z"}, "due_on"),
    ({"customer": "CUSTOMER", "what": "Call", "due_on": "2030-01-01", "who": "me"}, "who"),
]


@pytest.fixture
def targets(api, engagement):
    touchpoint = Touchpoint.objects.get(public_id=engagement["touchpoints"][0]["id"])
    response = feedback_services.submit_response(touchpoint, {"nps": 1})
    promise = api.post("/promises", {"customer": engagement["customer"], "what": "Call back",
                                     "due_on": "2030-01-01"}).json()
    return {"touch": touchpoint.public_id, "promise": promise["id"],
            "incident": Incident.objects.get(response=response).public_id}


def assert_untouched(targets):
    assert Touchpoint.objects.get(public_id=targets["touch"]).status == Status.PLANNED
    assert Incident.objects.get(public_id=targets["incident"]).is_open
    assert Promise.objects.get(public_id=targets["promise"]).status == Promise.OPEN


ACTION_PATHS = sorted({path for path, _body, _field in ACTION_CASES})


@pytest.mark.parametrize(("raw", "field"), MALFORMED)
@pytest.mark.parametrize("path", [*ACTION_PATHS, "/promises"])
def test_it_refuses_malformed_action_bodies(api, targets, path, raw, field):
    response = api.post(path.format(**targets), raw)

    assert_names_field(response, field)
    assert_untouched(targets)


@pytest.mark.parametrize(("path", "body", "field"), ACTION_CASES)
def test_it_refuses_bad_actions(api, targets, path, body, field):
    response = api.post(path.format(**targets), body)

    assert_names_field(response, field)
    assert_untouched(targets)


@pytest.mark.parametrize(("body", "field"), PROMISE_CASES)
def test_it_refuses_bad_promises(api, engagement, body, field):
    body = {k: engagement["customer"] if v == "CUSTOMER" else v for k, v in body.items()}

    response = api.post("/promises", body)

    assert_names_field(response, field)
    assert not Promise.objects.exists()


@pytest.mark.parametrize("params", [
    {"nps_min": -1}, {"csat_max": 6}, {"received_after": "2025-01-01T00:00:00"},
    {"customer": "nope"}, {"after": "nope"},
])
def test_it_refuses_bad_feedback_filters(api, params):
    assert_names_field(api.get("/feedback", params), set(params))


@pytest.mark.parametrize("params", [
    {"status": "forgotten"}, {"due_after": "someday"}, {"overdue": "maybe"},
])
def test_it_refuses_bad_promise_filters(api, params):
    assert_names_field(api.get("/promises", params), set(params))


@pytest.mark.parametrize("path", ["/customers/a%00b", "/promises/a%00b", "/incidents/%00",
                                  "/feedback/" + "x" * 65])
def test_it_answers_404_for_an_id_no_object_could_have(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response.json()["detail"][0]["field"] == "id"


def test_it_answers_404_for_an_action_on_an_impossible_id(api):
    response = api.post("/promises/a%00b/broken", {"note": "Sorry"})

    assert response.status_code == 404
