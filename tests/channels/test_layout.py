"""The email layout: the business's brand around escaped text, every style inline, and a
row of 0–10 buttons for one-tap scores."""

import re

import pytest

from followthrough.channels.layout import Brand, email_html, list_id, real_domain
from followthrough.channels.rendering import text_to_html
from followthrough.tenants.models import DEFAULT_BRAND_COLOUR

SURVEY = "https://follow.example/s/tok"
SCORES = "\n".join(f"{n} {SURVEY}?nps={n}" for n in range(10, -1, -1))
BRAND = Brand(name="Riverside Plumbing", colour="#0b5d3b", website="https://riverside.example",
              domain="riverside.example", slug="riverside-plumbing")


def test_it_makes_the_eleven_score_links_a_row_of_buttons_in_order():
    html = text_to_html(f"How likely?\n{SCORES}\n\nThanks")
    buttons = re.findall(r'class="score-link" href="([^"]+)"[^>]*>(\d+)</a>', html)
    assert [label for _, label in buttons] == [str(n) for n in range(11)]
    assert all(href == f"{SURVEY}?nps={label}" for href, label in buttons)
    assert "<p>How likely?</p>" in html and "<p>Thanks</p>" in html


def test_it_accepts_the_older_colon_form_of_score_lines():
    lines = "\n".join(f"{n}: {SURVEY}?nps={n}" for n in range(11))
    assert text_to_html(lines).count('class="score-link"') == 11


def test_it_leaves_a_partial_or_mismatched_score_list_as_text():
    partial = "\n".join(f"{n} {SURVEY}?nps={n}" for n in range(5))
    mismatched = SCORES.replace("3 https", "4 https", 1)
    for text in (partial, mismatched):
        assert "score-link" not in text_to_html(text)


def test_it_escapes_a_score_link_and_keeps_only_web_addresses():
    hostile = SCORES.replace(f"{SURVEY}?nps=5", f'{SURVEY}/"><script>?nps=5')
    html = text_to_html(hostile)
    assert "<script" not in html
    assert 'href="javascript' not in text_to_html(SCORES.replace("https://", "javascript://"))


def test_it_inlines_every_style_and_loads_no_stylesheet():
    html = email_html(text_to_html(f"Hi\n{SCORES}"), BRAND, subject="Hi")
    assert "<link" not in html
    assert 'class="container"' in html and "max-width: 600px" in html
    assert re.search(r'class="score-link"[^>]*style="[^"]*background: #0b5d3b', html)
    # Only the phone-width media query stays in <style>; everything else is on the elements.
    [sheet] = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert sheet.strip().startswith("@media")


def test_it_is_a_table_layout_with_an_outlook_fixed_width():
    html = email_html("<p>Hi</p>", BRAND)
    assert '<table class="container" role="presentation"' in html
    assert '<!--[if mso]><table role="presentation" width="600"' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_it_lets_a_long_link_wrap_instead_of_widening_the_email_on_a_phone():
    html = email_html(text_to_html("Join here: https://follow.example/invite/" + "x" * 120),
                      BRAND)
    for cell in ("content", "footer"):
        assert re.search(rf'class="{cell}"[^>]*style="[^"]*overflow-wrap: anywhere', html)


def test_it_shows_the_logo_or_else_the_business_name():
    with_logo = Brand(name="Riverside", logo_url="https://cdn.example/logo.png")
    assert re.search(r'<img class="logo"[^>]* src="https://cdn.example/logo.png"',
                     email_html("<p>Hi</p>", with_logo))
    assert ">Riverside Plumbing</a>" in email_html("<p>Hi</p>", BRAND)


@pytest.mark.parametrize("field", ["name", "website", "logo_url"])
def test_it_escapes_hostile_brand_text(field):
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    values = {"name": "Riverside", field: ("https://x.example/" if field != "name" else "")
              + hostile}
    html = email_html("<p>Hi</p>", Brand(**values), subject=hostile, text=hostile)
    assert "<script" not in html and "<img src=x" not in html


def test_it_puts_the_postal_address_and_unsubscribe_link_in_the_footer():
    html = email_html("<p>Hi</p>", BRAND, postal_address="12 Mill Lane\nHudson <NY>",
                      unsubscribe_url="https://follow.example/u/abc")
    assert "12 Mill Lane<br>Hudson &lt;NY&gt;" in html
    assert 'href="https://follow.example/u/abc"' in html
    assert ">riverside.example</a>" in html  # the business's own site, not the install


def test_it_uses_the_first_words_without_links_as_the_preheader():
    html = email_html("<p>Hi</p>", BRAND, text=f"Hi Jamie, how did we do?\n{SCORES}")
    assert re.search(r'class="preheader"[^>]*>Hi Jamie, how did we do\? \d', html) is None
    assert re.search(r'class="preheader"[^>]*>Hi Jamie, how did we do\?[^<]*</div>', html)


def test_it_falls_back_to_the_default_colour_for_an_unreadable_one(business):
    business.brand_colour = "#ffff00"  # saved around the form: white text can't be read
    assert Brand.of(business).colour == DEFAULT_BRAND_COLOUR
    business.brand_colour = "red; background:url(x)"
    assert Brand.of(business).colour == DEFAULT_BRAND_COLOUR


def test_it_drops_a_logo_that_is_not_https(business):
    business.logo_url = "http://riverside.example/logo.png"
    assert Brand.of(business).logo_url == ""


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "mail.local", "testserver",
                                  "box.localdomain", "::1", "bad_domain.example", ""])
def test_it_refuses_local_names_as_mail_domains(name):
    assert real_domain(name) == ""


def test_it_names_the_list_by_slug_and_domain():
    assert list_id(BRAND) == '"Riverside Plumbing" <riverside-plumbing.riverside.example>'
