import re

import pytest

from followthrough.search.query import MAX_WORDS, terms
from tests.search.conftest import HOSTILE


def test_it_makes_each_word_a_prefix():
    assert terms("Maria Lo").fts5() == '"maria"* "lo"*'
    assert terms("Maria Lo").tsquery() == "'maria':* & 'lo':*"


def test_it_splits_an_email_into_its_parts():
    assert terms("maria.lopez@exa").words == ("maria", "lopez", "exa")


@pytest.mark.parametrize("typed", ["020 7946 0958", "(020) 7946-0958", "+44 20 7946 0958 ",
                                   "020.7946.0958"])
def test_it_reads_a_phone_number_as_one_run_of_digits_without_leading_zeros(typed):
    assert terms(typed).words[0].endswith("2079460958")
    assert len(terms(typed).words) == 1


def test_it_reads_two_digits_as_a_word_not_a_phone():
    assert terms("12").words == ("12",)


@pytest.mark.parametrize("typed", HOSTILE)
def test_it_never_passes_syntax_through(typed):
    found = terms(typed)
    assert len(found.words) <= MAX_WORDS
    for word in found.words:
        assert re.fullmatch(r"[^\W_]+", word), word


def test_it_has_nothing_to_search_for_punctuation_alone():
    assert not terms('"*-:()')
    assert not terms("   ")
