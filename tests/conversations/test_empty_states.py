"""With no unmatched messages, the owner is pointed at the mailbox the replies come from."""

from django.urls import reverse


def test_it_offers_the_owner_the_mailbox_when_nothing_is_unmatched(owner_client):
    text = owner_client.get(reverse("unmatched")).text
    assert "Nothing waiting." in text
    assert f'href="{reverse("mailbox_settings")}">Your mailbox for replies' in text


def test_it_offers_staff_no_owner_only_button(client, staff):
    client.force_login(staff)
    text = client.get(reverse("unmatched")).text
    assert "Nothing waiting." in text and reverse("mailbox_settings") not in text
