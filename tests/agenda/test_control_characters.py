"""Agenda forms refuse control characters in one-line fields, naming the field, and save
nothing (issue 12: a line break in a name once stopped email for every business)."""

from followthrough.agenda.models import Promise


def test_it_refuses_a_line_break_in_a_promise(owner_client, customer):
    response = owner_client.post("/promises/", {"customer": customer.public_id,
                                                "what": "Send photos\r\nBcc: x@example.com",
                                                "due_on": "2030-05-01"})
    assert response.status_code == 200
    assert "What you promised" in response.text and "one line" in response.text
    assert not Promise.objects.exists()


def test_it_strips_control_characters_from_a_promise_saved_another_way(business, customer):
    promise = Promise.objects.create(business=business, customer=customer,
                                     what="Send\x00 photos\nBcc: x", due_on="2030-05-01")
    promise.refresh_from_db()
    assert promise.what == "Send photos Bcc: x"
