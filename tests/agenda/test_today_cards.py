"""Today's cards come from the fragment cache when nothing on them changed: a change shows
on the next visit, and the forms of a card served from the cache still work."""

import re

from django.test import Client

from followthrough import fragments
from followthrough.channels import kinds
from followthrough.touchpoints.models import Status


def _card(text, touch):
    start = text.index(f'id="touch-{touch.public_id}"')
    return text[start:text.index("</article>", start)]


def test_it_shows_a_renamed_customer_on_the_next_visit(owner_client, touch, customer):
    planned = touch()
    owner_client.get("/today/")
    customer.name = "Jamie Ortiz"
    customer.save()
    assert "Jamie Ortiz" in _card(owner_client.get("/today/").text, planned)


def test_it_shows_a_new_outcome_note_in_the_last_touches(owner_client, touch):
    planned, earlier = touch(), touch(channel=kinds.CARD, status=Status.DONE)
    owner_client.get("/today/")
    earlier.outcome_note = "Loved the card"
    earlier.save()
    assert "Loved the card" in _card(owner_client.get("/today/").text, planned)


def test_it_opens_the_script_of_only_the_first_card(owner_client, touch):
    first, second = touch(), touch()
    text = owner_client.get("/today/").text
    opened = [t for t in (first, second) if 'class="script-box" open' in _card(text, t)]
    assert len(opened) == 1


def test_it_accepts_done_from_a_card_served_from_the_cache(owner, touch):
    planned = touch()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.get("/today/")
    card = _card(browser.get("/today/").text, planned)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', card).group(1)
    response = browser.post(f"/touches/{planned.public_id}/done/",
                            {"csrfmiddlewaretoken": token, "outcome_note": "Went well"})
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.status == Status.DONE


def test_it_renders_each_unchanged_card_once(owner_client, touch, monkeypatch):
    touch(), touch()
    renders = []
    real = fragments.render_to_string
    monkeypatch.setattr(fragments, "render_to_string",
                        lambda *a, **k: renders.append(a[0]) or real(*a, **k))
    owner_client.get("/today/")
    owner_client.get("/today/")
    assert renders.count("touchpoints/_touch_card.html") == 2
