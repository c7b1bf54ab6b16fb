"""Empty key and webhook lists say what they are for and where to add the first one."""


def test_it_points_an_empty_key_list_at_the_new_key_form(owner_client):
    text = owner_client.get("/settings/api/").text
    assert "No keys yet." in text
    assert 'href="#new-key">Make your first key' in text and 'id="new-key"' in text


def test_it_says_what_a_first_webhook_is_for(owner_client):
    text = owner_client.get("/settings/integrations/").text
    assert "Nothing connected yet." in text
    assert text.index("Nothing connected yet.") < text.index("Add a webhook or notification")
