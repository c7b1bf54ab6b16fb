import datetime as dt

import pytest

from followthrough.agenda.models import Promise


@pytest.fixture
def promise(api, engagement):
    response = api.post("/promises", {"customer": engagement["customer"],
                                      "what": "Send the warranty", "due_on": "2030-05-01"})
    assert response.status_code == 201, response.content
    return response.json()


def test_it_creates_a_promise(promise, engagement, business):
    stored = Promise.objects.get(public_id=promise["id"])

    assert (stored.business, stored.what, stored.due_on) == (business, "Send the warranty",
                                                             dt.date(2030, 5, 1))
    assert promise["status"] == "open" and promise["customer"] == engagement["customer"]


def test_it_lists_promises_by_due_date(api, engagement, promise):
    earlier = api.post("/promises", {"customer": engagement["customer"], "what": "Call back",
                                     "due_on": "2029-01-01"}).json()

    items = api.get("/promises").json()["items"]

    assert [p["id"] for p in items] == [earlier["id"], promise["id"]]


def test_it_lists_overdue_promises(api, engagement, promise):
    late = api.post("/promises", {"customer": engagement["customer"], "what": "Quote",
                                  "due_on": "2020-01-01"}).json()

    items = api.get("/promises", {"overdue": True}).json()["items"]

    assert [p["id"] for p in items] == [late["id"]]
    assert items[0]["is_overdue"] is True


def test_it_marks_a_promise_kept(api, promise):
    response = api.post(f"/promises/{promise['id']}/kept", {})

    assert response.status_code == 200
    assert response.json()["status"] == "kept"
    assert api.get("/promises", {"status": "kept"}).json()["items"][0]["id"] == promise["id"]


def test_it_marks_a_promise_broken_with_a_note_and_a_make_good(api, promise):
    response = api.post(f"/promises/{promise['id']}/broken",
                        {"note": "Told them the part is late.", "make_good": "Free filter"})

    body = response.json()
    assert (body["status"], body["honest_note"], body["make_good"]) == (
        "broken", "Told them the part is late.", "Free filter")


def test_it_refuses_to_settle_a_promise_twice(api, promise):
    api.post(f"/promises/{promise['id']}/kept", {})

    response = api.post(f"/promises/{promise['id']}/broken", {"note": "Oops"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "status"
    assert Promise.objects.get(public_id=promise["id"]).status == Promise.KEPT


def test_it_pages_through_promises(api, engagement, promise):
    api.post("/promises", {"customer": engagement["customer"], "what": "Later",
                           "due_on": "2031-01-01"})

    first = api.get("/promises", {"limit": 1}).json()
    rest = api.get("/promises", {"limit": 1, "after": first["next"]}).json()

    assert first["items"][0]["id"] == promise["id"]
    assert rest["items"][0]["what"] == "Later" and rest["next"] is None
