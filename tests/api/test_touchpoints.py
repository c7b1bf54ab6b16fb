from .conftest import engagement_body


def test_it_lists_the_touchpoints_of_an_engagement(api, engagement):
    api.post("/engagements", engagement_body(external_id="job-2"))

    response = api.get("/touchpoints", {"engagement": engagement["id"]})

    assert response.status_code == 200
    items = response.json()["items"]
    assert [t["id"] for t in items] == [t["id"] for t in engagement["touchpoints"]]


def test_it_filters_touchpoints_by_status(api, engagement):
    api.post(f"/engagements/{engagement['id']}/events",
             {"event": "cancelled", "at": engagement["won_at"]})

    planned = api.get("/touchpoints", {"engagement": engagement["id"], "status": "planned"})
    cancelled = api.get("/touchpoints", {"engagement": engagement["id"], "status": "cancelled"})

    assert planned.json()["items"] == []
    assert cancelled.json()["items"]
    assert {t["status"] for t in cancelled.json()["items"]} == {"cancelled"}


def test_it_refuses_an_unknown_status(api):
    response = api.get("/touchpoints", {"status": "exploded"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "status"


def test_it_pages_through_touchpoints(api, engagement):
    seen, after = [], None
    while True:
        params = {"engagement": engagement["id"], "limit": 1}
        if after:
            params["after"] = after
        page = api.get("/touchpoints", params).json()
        seen += [t["id"] for t in page["items"]]
        after = page["next"]
        if after is None:
            break

    assert seen == [t["id"] for t in engagement["touchpoints"]]


def test_it_gets_a_touchpoint(api, engagement):
    first = engagement["touchpoints"][0]

    response = api.get(f"/touchpoints/{first['id']}")

    assert response.status_code == 200
    assert response.json() == first


def test_it_says_what_made_a_touchpoint_and_why_it_was_cancelled(api, engagement):
    api.post(f"/engagements/{engagement['id']}/events",
             {"event": "cancelled", "at": engagement["won_at"]})

    items = api.get("/touchpoints", {"engagement": engagement["id"]}).json()["items"]

    assert {t["origin"] for t in items} == {"playbook_step"}
    assert all(t["reason_code"] and t["moved_reason"] for t in items)
