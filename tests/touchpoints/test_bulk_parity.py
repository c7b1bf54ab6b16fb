"""The bulk path (imports, the API's bulk planning) makes exactly the per-row decisions of
the one-by-one path: approval, consent, open incidents, caps and windows. It only batches
the writes. Random playbooks, events, time zones and consent histories give the same rows
both ways."""

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import suppress
from followthrough.customers.models import ConsentEvent, Customer, Engagement, Suppression
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import Touchpoint
from followthrough.touchpoints.planning import plan_engagement, plan_new_engagements

NOW = dt.datetime(2026, 3, 20, 15, 0, tzinfo=dt.UTC)
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC", "Asia/Kolkata"]
CHANNELS = [kinds.EMAIL, kinds.SMS, kinds.CALL, kinds.CARD]
PURPOSES = [v.TRANSACTIONAL, v.RELATIONSHIP, v.MARKETING]
ELEMENTS = [code for code, _ in v.ELEMENT_CHOICES]

steps_st = st.fixed_dictionaries({
    "anchor": st.sampled_from([v.WON, v.STARTED, v.DELIVERED]),
    "offset_days": st.integers(-3, 40),
    "offset_hours": st.integers(-3, 3),
    "local_time": st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 30])),
    "repeat": st.one_of(st.none(), st.tuples(st.integers(2, 14),
                                             st.sampled_from([v.DELIVERED, v.CLOSED]))),
    "channel": st.sampled_from(CHANNELS),
    "purpose": st.sampled_from(PURPOSES),
    "element": st.sampled_from(ELEMENTS),
    "stage": st.integers(1, 4),
    "requires_approval": st.booleans(),
    "window_days": st.one_of(st.none(), st.integers(0, 20)),
    "priority": st.one_of(st.none(), st.integers(0, 99)),
})
# Days from NOW of won, then the gaps to started and delivered (None: not yet).
events_st = st.tuples(st.integers(-30, 5), st.integers(0, 23),
                      st.one_of(st.none(), st.integers(0, 10)),
                      st.one_of(st.none(), st.integers(0, 10)))
consent_st = st.lists(st.tuples(st.sampled_from([kinds.EMAIL, kinds.SMS]),
                                st.sampled_from(PURPOSES), st.booleans()), max_size=4)
customer_st = st.fixed_dictionaries({
    "zone": st.sampled_from(["", *ZONES]), "consent": consent_st, "hold": st.booleans(),
    # On the suppression list: unsubscribed stops everything, a bounce only that address.
    "suppressed": st.sampled_from(["", Suppression.UNSUBSCRIBED, Suppression.BOUNCED]),
})
case_st = st.fixed_dictionaries({
    "zone": st.sampled_from(ZONES),
    "cap_days": st.integers(0, 3),
    "personal": st.booleans(),
    "steps": st.lists(steps_st, min_size=1, max_size=5),
    "customers": st.lists(customer_st, min_size=1, max_size=2),
    # (customer index, events) per engagement; several may share a customer.
    "jobs": st.lists(st.tuples(st.integers(0, 1), events_st), min_size=1, max_size=3),
})


def build(case) -> list[Engagement]:
    business = Business.objects.create(
        slug="parity", name="Parity", timezone=case["zone"],
        frequency_cap_days=case["cap_days"], cap_includes_personal=case["personal"],
    )
    playbook = Playbook.objects.create(business=business, slug="p", name="P")
    for position, data in enumerate(case["steps"]):
        data = dict(data)
        every, until = data.pop("repeat") or (None, "")
        Step.objects.create(playbook=playbook, position=position, name=f"s{position}",
                            repeat_every_days=every, repeat_until=until, subject="Hi",
                            body="Hello", **data)
    customers = [make_customer(business, n, data) for n, data in enumerate(case["customers"])]
    return [make_job(business, playbook, customers[index % len(customers)], events)
            for index, events in case["jobs"]]


def make_customer(business, number, data) -> Customer:
    customer = Customer.objects.create(
        business=business, name=f"C{number}", email=f"c{number}@example.com",
        phone="+15555550100", timezone=data["zone"], marketing_hold=data["hold"],
    )
    for minutes, (channel, purpose, granted) in enumerate(data["consent"]):
        ConsentEvent.objects.create(
            business=business, customer=customer, channel=channel, purpose=purpose,
            granted=granted, source="test", at=NOW - dt.timedelta(days=40, minutes=-minutes))
    if data["suppressed"]:
        suppress(customer, kinds.EMAIL, reason=data["suppressed"])
    return customer


def make_job(business, playbook, customer, events) -> Engagement:
    won_day, hour, to_start, to_deliver = events
    won = NOW + dt.timedelta(days=won_day) + dt.timedelta(hours=hour)
    started = won + dt.timedelta(days=to_start) if to_start is not None else None
    delivered = (started or won) + dt.timedelta(days=to_deliver) if to_deliver is not None \
        else None
    return Engagement.objects.create(business=business, customer=customer, playbook=playbook,
                                     won_at=won, started_at=started, delivered_at=delivered)


def rows() -> list[tuple]:
    return sorted(Touchpoint.objects.values_list(
        "engagement_id", "step__public_id", "occurrence", "status", "due_at", "local_date",
        "local_time", "moved_reason", "reason_code"))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=case_st)
def test_it_makes_the_same_rows_in_bulk_as_one_by_one(db, case):
    with transaction.atomic():
        engagements = build(case)
        plan_new_engagements(engagements, now=NOW)
        bulk = rows()
        Touchpoint.objects.all().delete()
        for engagement in engagements:
            plan_engagement(engagement, now=NOW)
        assert bulk == rows()
        transaction.set_rollback(True)


def bulk_job(business, *, approve=False, purpose=v.RELATIONSHIP, hold=False) -> Engagement:
    playbook = Playbook.objects.create(business=business, slug="bulk", name="Bulk")
    Step.objects.create(playbook=playbook, name="Update", anchor=v.WON, offset_days=1,
                        purpose=purpose, requires_approval=approve, element=v.REFERRAL,
                        subject="Update", body="Done: [one or two lines]")
    customer = Customer.objects.create(business=business, name="Ada", email="ada@example.com",
                                       marketing_hold=hold)
    return Engagement.objects.create(business=business, customer=customer, playbook=playbook,
                                     won_at=NOW)


def test_it_drafts_an_approval_step_in_bulk(business):
    plan_new_engagements([bulk_job(business, approve=True)], now=NOW)
    assert Touchpoint.objects.get().status == "draft"


def test_it_skips_a_marketing_email_without_a_grant_in_bulk(business):
    plan_new_engagements([bulk_job(business, purpose=v.MARKETING)], now=NOW)
    assert (Touchpoint.objects.get().status, Touchpoint.objects.get().reason_code) == (
        "skipped", "no_consent")


def test_it_holds_the_referral_ask_of_a_customer_with_an_open_incident_in_bulk(business):
    plan_new_engagements([bulk_job(business, hold=True)], now=NOW)
    assert Touchpoint.objects.get().reason_code == "incident_open"
