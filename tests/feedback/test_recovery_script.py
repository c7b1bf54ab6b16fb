"""The recovery call's script reads like a person wrote it, whatever the owner typed as the
job's description: the description stands only as a label, never inside a sentence."""

import re

import pytest
from django.template.loader import render_to_string

from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import Incident
from followthrough.feedback.services import open_incident
from followthrough.touchpoints.models import Origin, Touchpoint
from tests.playbooks.test_library_texts import DESCRIPTIONS

HOSTILE = "<script>alert(1)</script>\"'&"


def _script(description, **customer):
    customer = Customer(name=customer.get("name", "Jamie O'Brien"),
                        phone=customer.get("phone", "+15185550100"))
    return render_to_string("feedback/recovery_script.txt", {
        "customer": customer, "engagement": Engagement(description=description),
        "incident": Incident(summary="The tap still drips."), "response": None})


@pytest.mark.parametrize("description", DESCRIPTIONS)
def test_it_names_the_job_only_as_a_label(description):
    script = _script(description)
    assert f"The job: {description}\n" in script
    assert script.count(description) == 1
    assert "not happy with how things went, and" in script


@pytest.mark.parametrize("description", DESCRIPTIONS)
def test_it_reads_as_sentences(description):
    script = _script(description)
    assert not re.search(r"\b(the|a|an|your)\s+(the|a|an|your)\b", script, re.IGNORECASE)
    assert not re.search(r"\S  +\S| [,.;:!?]", script), script
    assert not re.search(r"[.!?] +[a-z]", script), script


def test_it_leaves_the_job_line_out_without_a_description():
    script = _script("")
    assert "The job:" not in script
    assert script.startswith("Call Jamie today on +1 518-555-0100. They are not happy with "
                             "how things went, and a quick, honest call")


def test_it_writes_the_phone_number_as_people_read_it():
    assert "today on +44 20 7946 0038." in _script("", phone="+442079460038")


def test_it_keeps_a_hostile_description_as_plain_text_for_the_card_to_escape():
    # The script is plain text; the card escapes it (tests/agenda/test_escaping.py).
    assert f"The job: {HOSTILE}\n" in _script(HOSTILE)


def test_it_is_the_script_of_the_recovery_call(business, customer, engagement):
    engagement.description = "Water softener with installation kit"
    engagement.save()
    open_incident(customer, engagement, Incident.NPS, "The softener leaks.")
    call = Touchpoint.objects.get(origin=Origin.INCIDENT_RECOVERY)
    assert "They are not happy with how things went" in call.rendered_body
    assert "The job: Water softener with installation kit\n" in call.rendered_body
    assert "happy with Water softener" not in call.rendered_body


def test_it_shows_a_hostile_name_and_job_escaped_on_today(owner_client, customer, engagement):
    Customer.objects.filter(pk=customer.pk).update(name=HOSTILE)
    customer.refresh_from_db()
    engagement.description = HOSTILE
    engagement.save()
    open_incident(customer, engagement, Incident.NPS, HOSTILE)

    page = owner_client.get("/today/").content.decode()

    assert "Recovery call" in page and "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
