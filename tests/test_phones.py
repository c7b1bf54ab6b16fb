"""followthrough.phones: one parser for every form, the API and imports, reading a number
written without + as one of the business's own country."""

import pytest
from django.core.exceptions import ValidationError

from followthrough.phones import parse_phone, phone_hint, region_of


def test_it_reads_a_london_number_for_a_british_business():
    assert parse_phone("020 7946 0999", "GB") == "+442079460999"


def test_it_reads_a_us_number_for_an_american_business():
    assert parse_phone("(415) 555-0100", "US") == "+14155550100"


def test_it_reads_a_number_with_a_country_code_whatever_the_business_country():
    assert parse_phone("+1 415 555 0100", "GB") == "+14155550100"


def test_it_reads_the_international_dialling_prefix_of_the_country():
    assert parse_phone("00 1 415 555 0100", "GB") == "+14155550100"


def test_it_refuses_a_national_number_without_a_country():
    with pytest.raises(ValidationError, match="international format"):
        parse_phone("020 7946 0999", "")


def test_it_refuses_a_number_that_cannot_exist_and_shows_the_country_example():
    with pytest.raises(ValidationError) as caught:
        parse_phone("020 79", "GB")
    assert "not a valid phone number" in caught.value.messages[0]
    assert "0121 234 5678" in caught.value.messages[0]


def test_it_keeps_blank_blank():
    assert parse_phone("  ", "GB") == ""


def test_it_gives_the_country_example_as_the_hint():
    assert "0121 234 5678" in phone_hint("GB")
    assert "(201) 555-0123" in phone_hint("US")
    assert "+44 20 7946 0958" in phone_hint("")


def test_it_finds_the_country_of_an_international_number():
    assert (region_of("+442079460999"), region_of("020 7946 0999")) == ("GB", "")
