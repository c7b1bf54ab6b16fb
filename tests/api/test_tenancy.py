"""A key of another business gets a 404 on every object route, whatever the object.

The routes come from the routers' registrations, so a new route is checked as soon as it
exists; a route with a parameter this file does not know fails until it is taught here."""

import re

import pytest

from followthrough.agenda.models import Promise
from followthrough.api.api import ROUTERS
from followthrough.customers.models import Engagement
from followthrough.feedback import services as feedback_services
from followthrough.feedback.models import Incident
from followthrough.touchpoints.models import Status, Touchpoint

from .conftest import iso, recently

# What a valid body looks like for each POST route with an id, so that the 404 we see
# comes from scoping rather than from validation.
BODIES = {
    "/engagements/{id}/events": lambda: {"event": "delivered", "at": iso(recently(0))},
    "/touchpoints/{id}/done": lambda: {"note": "Had a lovely chat."},
    "/touchpoints/{id}/skip": lambda: {"note": "They moved away."},
    "/incidents/{id}/resolve": lambda: {"note": "Called and fixed it."},
    "/promises/{id}/kept": lambda: {},
    "/promises/{id}/broken": lambda: {"note": "Sorry, the part is late.", "make_good": "10% off"},
}
# Query parameters that name an object, per list route.
ID_FILTERS = {
    "/customers": {"after": "customer"},
    "/touchpoints": {"engagement": "engagement", "customer": "customer", "after": "touchpoint"},
    "/engagements": {"customer": "customer", "after": "engagement"},
    "/playbooks": {"after": "playbook"},
    "/feedback": {"customer": "customer", "engagement": "engagement", "after": "feedback"},
    "/incidents": {"customer": "customer", "after": "incident"},
    "/promises": {"customer": "customer", "after": "promise"},
}
KIND_OF_PREFIX = {"customers": "customer", "engagements": "engagement",
                  "touchpoints": "touchpoint", "playbooks": "playbook",
                  "feedback": "feedback", "incidents": "incident", "promises": "promise"}


def routes():
    for prefix, router in ROUTERS.items():
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    yield method, f"/{prefix}{path}"


OBJECT_ROUTES = [(m, p) for m, p in routes() if "{" in p]
LIST_ROUTES = [(m, p) for m, p in routes() if "{" not in p and m == "GET"]


@pytest.fixture
def api_objects(api, engagement, playbooks):
    touchpoint = Touchpoint.objects.get(public_id=engagement["touchpoints"][0]["id"])
    response = feedback_services.submit_response(touchpoint, {"nps": 2, "improve": "Late."})
    promise = api.post("/promises", {"customer": engagement["customer"], "what": "Call back",
                                     "due_on": "2030-01-01"}).json()
    return {
        "playbook": playbooks[0].public_id,
        "engagement": engagement["id"],
        "customer": engagement["customer"],
        "touchpoint": touchpoint.public_id,
        "feedback": response.public_id,
        "incident": Incident.objects.get(response=response).public_id,
        "promise": promise["id"],
    }


def test_it_knows_every_object_route():
    assert OBJECT_ROUTES, "no object routes found; has the router layout changed?"
    for method, path in OBJECT_ROUTES:
        assert set(re.findall(r"{(\w+)}", path)) == {"id"}, path
        assert path.split("/")[1] in KIND_OF_PREFIX, path
        if method == "POST":
            assert path in BODIES, f"teach test_tenancy a valid body for POST {path}"


def test_it_knows_every_list_route():
    for _method, path in LIST_ROUTES:
        assert path in ID_FILTERS, f"teach test_tenancy the id filters of GET {path}"


@pytest.mark.parametrize(("method", "path"), OBJECT_ROUTES)
def test_it_hides_objects_from_another_business(method, path, api_objects, outsider_api):
    kind = KIND_OF_PREFIX[path.split("/")[1]]
    url = path.replace("{id}", api_objects[kind])

    if method == "GET":
        response = outsider_api.get(url)
    else:
        response = outsider_api.post(url, BODIES[path]())

    assert response.status_code == 404, (method, url, response.content)
    assert api_objects[kind] not in response.content.decode()


@pytest.mark.parametrize(("path", "param", "kind"), [
    (path, param, kind) for path, filters in ID_FILTERS.items() for param, kind in filters.items()
])
def test_it_refuses_filters_naming_another_business(path, param, kind, api_objects, outsider_api):
    response = outsider_api.get(path, {param: api_objects[kind]})

    assert response.status_code == 404
    assert response.json()["detail"][0]["field"] == param


def test_it_leaves_the_object_untouched(engagement, outsider_api):
    outsider_api.post(f"/engagements/{engagement['id']}/events",
                      {"event": "delivered", "at": iso(recently(0))})

    assert Engagement.objects.get(public_id=engagement["id"]).delivered_at is None


def test_it_leaves_other_businesses_actions_undone(api_objects, outsider_api):
    for method, path in OBJECT_ROUTES:
        if method == "POST":
            kind = KIND_OF_PREFIX[path.split("/")[1]]
            outsider_api.post(path.replace("{id}", api_objects[kind]), BODIES[path]())

    assert Touchpoint.objects.get(public_id=api_objects["touchpoint"]).status == Status.PLANNED
    assert Incident.objects.get(public_id=api_objects["incident"]).is_open
    assert Promise.objects.get(public_id=api_objects["promise"]).status == Promise.OPEN


def test_it_lists_only_the_keys_own_touchpoints(engagement, outsider_api):
    assert outsider_api.get("/touchpoints").json()["items"] == []
    assert outsider_api.get("/customers").json()["items"] == []
