"""An empty outbox says what will land there, with a way back to work."""


def test_it_sends_an_empty_outbox_back_to_today(owner_client):
    text = owner_client.get("/outbox/").text
    assert "The outbox is empty." in text
    assert 'href="/today/">Back to Today' in text
