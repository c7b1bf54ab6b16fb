"""Each resource loaded by public id, scoped to the calling business: another business's
id is a 404, exactly like an id that does not exist."""

from followthrough.agenda.models import Promise
from followthrough.api.lists import scoped_loader
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.playbooks.models import Playbook
from followthrough.touchpoints.models import Touchpoint

load_customer = scoped_loader(Customer, "customer", "business")
load_engagement = scoped_loader(Engagement, "engagement", "business", "customer", "playbook")
load_touchpoint = scoped_loader(Touchpoint, "touchpoint", "engagement", "customer")
load_feedback = scoped_loader(SurveyResponse, "survey response", "customer", "engagement",
                              "touchpoint")
load_incident = scoped_loader(Incident, "incident", "customer__business", "response")
load_promise = scoped_loader(Promise, "promise", "customer")
load_playbook = scoped_loader(Playbook, "playbook")


def of_customer(rows, business, public_id: str | None):
    """The rows of the business's customer with this id (all rows when None); someone
    else's customer is a 404 on the `customer` parameter."""
    if public_id is None:
        return rows
    return rows.filter(customer=load_customer(business, public_id, "customer"))
