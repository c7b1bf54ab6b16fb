"""The built-in texts read like a person wrote them, whatever the owner typed as the job's
description: a noun phrase, a verb phrase, a bare name, or nothing."""

import re

import pytest

from followthrough.channels.rendering import SAMPLE_CONTEXT, render_subject, render_text
from followthrough.playbooks.library import BUILTIN_PLAYBOOKS

DESCRIPTIONS = [
    "your new boiler",
    "the bathroom remodel",
    "Replaced the outdoor tap",
    "Kitchen water heater",
    "Fixed the leaking shower",
    "a new garden fence",
    "Annual boiler service",
    "Installed two ceiling fans",
    "the loft conversion",
    "Deep clean of the office",
    "Repairing the garage door",
    "Order #1042: two ceramic mugs",
    "Website redesign",
    "Painted the hallway and stairs",
    "your wedding cake",
    "Replace fuse box",
    "Smith & Co office fit-out",
    "an oak dining table",
    "Blocked drain",
    "O'Brien kitchen, phase 2",
]
STEPS = [(playbook["slug"], data) for playbook in BUILTIN_PLAYBOOKS for data in playbook["steps"]]
VERBISH = re.compile(r"^(?:[A-Z][a-z]+ed|Replace|Repairing|Fixed|Installed|Painted)\b")


def contexts():
    """Each description with a full sample context, and the first one with the optional
    fields empty (no phone, no referral link, no description)."""
    for description in DESCRIPTIONS:
        yield description, dict(SAMPLE_CONTEXT, engagement_description=description)
    yield "", dict(SAMPLE_CONTEXT, engagement_description="", business_phone="",
                   referral_link="")


def rendered(data, context) -> list[str]:
    texts = [render_text(data["body"], context)]
    if data["subject"]:
        texts.append(render_subject(data["subject"], context))
    return texts


def _ids(item):
    return f"{item[0]}:{item[1]['name']}"


@pytest.mark.parametrize("item", STEPS, ids=_ids)
def test_it_never_makes_the_description_the_subject_of_a_sentence(item):
    _, data = item
    for description, context in contexts():
        for text in rendered(data, context):
            if description:
                assert f"{description} is" not in text
                assert f"{description} are" not in text


@pytest.mark.parametrize("item", STEPS, ids=_ids)
def test_it_starts_every_sentence_and_line_with_a_capital(item):
    _, data = item
    for _, context in contexts():
        for text in rendered(data, context):
            assert not re.search(r"[.!?]\s+(?!https?://)[a-z]", text), text
            for line in text.splitlines():
                words = line.lstrip("- ")
                assert not re.match(r"[a-z]", words) or words.startswith("http"), line


@pytest.mark.parametrize("item", STEPS, ids=_ids)
def test_it_never_doubles_an_article(item):
    _, data = item
    doubled = re.compile(r"\b(the|a|an|your|our)\s+(the|a|an|your|our)\b", re.IGNORECASE)
    for _, context in contexts():
        for text in rendered(data, context):
            assert not doubled.search(text), text


@pytest.mark.parametrize("item", STEPS, ids=_ids)
def test_it_leaves_no_template_syntax_gaps_or_placeholders(item):
    _, data = item
    for _, context in contexts():
        for text in rendered(data, context):
            assert "{{" not in text and "{%" not in text and "}}" not in text
            assert not re.search(r"\S  +\S", text), text
            assert not re.search(r" [,.;:!?)]|\(\)|\( ", text), text
            # Only a draft the owner finishes before approving may hold [placeholders].
            if not data["requires_approval"]:
                assert "[" not in text and "]" not in text, text


@pytest.mark.parametrize("item", STEPS, ids=_ids)
def test_it_never_links_to_this_install_as_the_business_site(item):
    _, data = item
    assert "site_url" not in data["body"] + data["subject"]


def test_it_asks_for_referrals_with_the_customers_tracked_link():
    [ask] = [data for _, data in STEPS if data["name"] == "Referral ask"]
    text = render_text(ask["body"], dict(SAMPLE_CONTEXT))
    assert SAMPLE_CONTEXT["referral_link"] in text


def test_it_asks_for_the_score_with_the_one_tap_links():
    [survey] = [data for _, data in STEPS if data["name"] == "How did we do?"]
    text = render_text(survey["body"], dict(SAMPLE_CONTEXT))
    assert SAMPLE_CONTEXT["score_links"] in text


def test_it_has_verb_phrases_among_the_descriptions():
    # The grammar checks mean something only if some descriptions are verb phrases.
    assert sum(bool(VERBISH.match(d)) for d in DESCRIPTIONS) >= 5
