"""An empty feedback list says what to do next, with the button that does it."""

import pytest

EMPTY_LISTS = [
    ("/feedback/", "No answers here yet.", 'href="/playbooks/">Check your playbooks'),
    ("/feedback/", "No answers here yet.", 'href="/customers/">See your customers'),
    ("/feedback/referrals/", "Make referral link", 'href="/customers/">Open Customers'),
    ("/feedback/testimonials/", "No testimonials yet.",
     'href="/playbooks/">Check your playbooks'),
    ("/feedback/subscribers/", "Subscribe invite", 'href="/playbooks/">Check your playbooks'),
]


@pytest.mark.parametrize("url,says,button", EMPTY_LISTS)
def test_it_says_what_to_do_next_on_an_empty_list(owner_client, url, says, button):
    text = owner_client.get(url).text
    assert says in text and button in text


def test_it_offers_staff_only_a_playbooks_button_they_can_open(client, staff):
    client.force_login(staff)
    text = client.get("/feedback/subscribers/").text
    assert 'href="/playbooks/">Check your playbooks' in text
    assert client.get("/playbooks/").status_code == 200


def test_it_says_what_each_empty_incident_section_will_hold(owner_client):
    text = owner_client.get("/feedback/incidents/").text
    assert "Nobody is waiting for a call back." in text
    assert 'href="/feedback/">Read your feedback' in text
    assert "Each one you mark resolved moves here" in text
