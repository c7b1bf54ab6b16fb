from .conftest import engagement_body, iso, recently


def test_it_lists_engagements_newest_first_with_cursor_pages(api):
    for n in range(3):
        api.post("/engagements", engagement_body(external_id=f"job-{n}", won_at=iso(recently(n))))

    first = api.get("/engagements", {"limit": 2}).json()
    second = api.get("/engagements", {"limit": 2, "after": first["next"]}).json()

    assert [e["external_id"] for e in first["items"]] == ["job-0", "job-1"]
    assert [e["external_id"] for e in second["items"]] == ["job-2"]
    assert second["next"] is None
    assert first["items"][0]["touchpoints"]


def test_it_filters_engagements(api, engagement):
    api.post(f"/engagements/{engagement['id']}/events",
             {"event": "delivered", "at": iso(recently(0))})
    api.post("/engagements", engagement_body(external_id="job-2"))

    delivered = api.get("/engagements", {"status": "delivered"}).json()["items"]
    by_customer = api.get("/engagements", {"customer": engagement["customer"]}).json()["items"]

    assert [e["id"] for e in delivered] == [engagement["id"]]
    assert len(by_customer) == 2


def test_it_filters_touchpoints_by_channel_and_time(api, engagement):
    emails = api.get("/touchpoints", {"channel": "email"}).json()["items"]
    assert emails and all(t["channel"] == "email" for t in emails)
    later = api.get("/touchpoints", {"due_after": "2199-01-01T00:00:00Z"}).json()["items"]
    assert later == []


def test_it_filters_customers_by_tag(api):
    api.post("/customers", {"name": "Ada", "tags": "vip, boiler"})
    api.post("/customers", {"name": "Bob", "tags": "vipper"})

    names = [c["name"] for c in api.get("/customers", {"tag": "vip"}).json()["items"]]
    assert names == ["Ada"]
