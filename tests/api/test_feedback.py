import datetime as dt

import pytest
from django.utils import timezone

from followthrough.feedback import services as feedback_services
from followthrough.touchpoints.models import Touchpoint

from .conftest import engagement_body


def answer(engagement, n=0, **answers):
    touchpoint = Touchpoint.objects.get(public_id=engagement["touchpoints"][n]["id"])
    return feedback_services.submit_response(touchpoint, answers)


@pytest.fixture
def second(api):
    response = api.post("/engagements", engagement_body(
        external_id="job-2", customer={"name": "Grace", "email": "grace@example.com"}))
    return response.json()


def test_it_lists_survey_responses_newest_first(api, engagement, second):
    older = answer(engagement, nps=9, went_well="Tidy work")
    newer = answer(second, nps=10)

    items = api.get("/feedback").json()["items"]

    assert [i["id"] for i in items] == [newer.public_id, older.public_id]
    assert items[1]["went_well"] == "Tidy work"
    assert items[1]["customer"] == engagement["customer"]


@pytest.mark.parametrize(("params", "expected"), [
    ({"nps_min": 9}, {"happy"}),
    ({"nps_max": 6}, {"unhappy"}),
    ({"csat_min": 4}, {"happy"}),
    ({"csat_max": 2}, {"unhappy"}),
])
def test_it_filters_by_score(api, engagement, second, params, expected):
    made = {"happy": answer(engagement, nps=10, csat=5),
            "unhappy": answer(second, nps=3, csat=1)}

    items = api.get("/feedback", params).json()["items"]

    assert {i["id"] for i in items} == {made[name].public_id for name in expected}


def test_it_filters_by_customer(api, engagement, second):
    answer(engagement, nps=8)
    theirs = answer(second, nps=8)

    items = api.get("/feedback", {"customer": second["customer"]}).json()["items"]

    assert [i["id"] for i in items] == [theirs.public_id]


def test_it_filters_by_period(api, engagement):
    response = answer(engagement, nps=8)
    now = timezone.now()

    inside = api.get("/feedback", {"received_after": (now - dt.timedelta(hours=1)).isoformat(),
                                   "received_before": (now + dt.timedelta(hours=1)).isoformat()})
    before = api.get("/feedback", {"received_before": (now - dt.timedelta(hours=1)).isoformat()})

    assert [i["id"] for i in inside.json()["items"]] == [response.public_id]
    assert before.json()["items"] == []


def test_it_pages_through_feedback(api, engagement, second):
    made = [answer(engagement, nps=7).public_id, answer(second, nps=8).public_id]

    first = api.get("/feedback", {"limit": 1}).json()
    rest = api.get("/feedback", {"limit": 1, "after": first["next"]}).json()

    assert [first["items"][0]["id"], rest["items"][0]["id"]] == made[::-1]
    assert rest["next"] is None


def test_it_gets_one_response(api, engagement):
    response = answer(engagement, nps=4, improve="Came late")

    body = api.get(f"/feedback/{response.public_id}").json()

    assert (body["nps"], body["improve"], body["engagement"]) == (4, "Came late",
                                                                  engagement["id"])


def test_it_refuses_a_score_out_of_range(api):
    response = api.get("/feedback", {"nps_min": 11})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "nps_min"
