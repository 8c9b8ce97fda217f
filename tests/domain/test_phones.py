"""Phone numbers as people type them, and the language a driver is answered in."""

from __future__ import annotations

import pytest

from app.backend.customers import (
    InvalidPhoneNumber,
    choose_language,
    language_for_number,
    normalize_phone,
)
from app.domain.parsing import parse_sms
from app.models import Customer


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("040 123 4567", "+358401234567"),
        ("0401234567", "+358401234567"),
        ("040-123 45 67", "+358401234567"),
        ("+358 40 123 4567", "+358401234567"),
        ("00358401234567", "+358401234567"),
        ("+358401234567", "+358401234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("+44 7911 123456", "+447911123456"),
        ("+358 18 12345", "+3581812345"),
    ],
)
def test_phone_number_is_normalised_to_e164(typed: str, e164: str) -> None:
    assert normalize_phone(typed) == e164


def test_normalising_an_e164_number_again_changes_nothing() -> None:
    once = normalize_phone("040 123 4567")

    assert normalize_phone(once) == once


def test_a_number_without_country_code_is_read_in_the_given_region() -> None:
    assert normalize_phone("070 123 45 67", default_region="SE") == "+46701234567"


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "hello", "123", "+358 00", "ABC-123 101", "040-123-45678901234", "+999 1234567"],
)
def test_garbage_is_not_a_phone_number(garbage: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(garbage)


def test_invalid_phone_number_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalize_phone("not a number")


@pytest.mark.parametrize(
    ("number", "language"),
    [
        ("+358401234567", "fi"),
        ("+35891234567", "fi"),
        ("+358181234567", "sv"),  # Åland
        ("+3581812345", "sv"),
        ("+46701234567", "sv"),
        ("+447911123456", "en"),
        ("+4915112345678", "en"),
        ("+14155552671", "en"),
    ],
)
def test_number_suggests_the_language_of_its_country(number: str, language: str) -> None:
    assert language_for_number(number) == language


@pytest.mark.parametrize("number", ["", "garbage", "0401234567"])
def test_a_number_that_cannot_be_read_suggests_no_language(number: str) -> None:
    assert language_for_number(number) is None


def _customer(
    phone: str = "+46701234567", language: str | None = None, last: str | None = None
) -> Customer:
    return Customer(phone=phone, language=language, last_language=last)


def test_a_command_words_language_beats_everything() -> None:
    assert choose_language(parse_sms("LOPETA"), _customer(language="en", last="sv"), "sv") == "fi"


def test_a_chosen_language_beats_a_lesser_word_the_last_message_the_number_and_the_default() -> (
    None
):
    parsed = parse_sms("ABC-123 101 2 t")  # "t": a Finnish unit, and a Swedish abbreviation
    assert parsed.language == "fi" and parsed.command_language is None

    assert choose_language(parsed, _customer(language="en", last="fi"), "fi") == "en"


def test_a_lesser_word_of_an_understood_message_beats_the_last_message() -> None:
    assert choose_language(parse_sms("ABC-123 101 two hours"), _customer(last="fi"), "fi") == "en"


@pytest.mark.parametrize("body", ["blah tunti", "xyzzy kiitos", "onko tämä sakko oikein?", ""])
def test_a_message_not_understood_keeps_the_last_messages_language(body: str) -> None:
    assert choose_language(parse_sms(body), _customer(phone="+358401234567", last="sv"), "en") == (
        "sv"
    )


def test_a_message_not_understood_from_a_new_number_gets_its_words_else_the_numbers_language() -> (
    None
):
    assert choose_language(parse_sms("blah"), _customer(), "fi") == "sv"
    assert choose_language(parse_sms("blah tunti"), _customer(), "fi") == "fi"
    assert choose_language(parse_sms("blah tunti"), _customer(last="sv"), "fi") == "sv"


def test_stored_language_beats_the_number_and_the_default() -> None:
    assert choose_language(None, _customer(language="en"), "fi") == "en"


def test_number_language_is_used_when_nothing_is_stored() -> None:
    assert choose_language(None, _customer(), "fi") == "sv"


def test_default_is_used_for_an_unknown_sender() -> None:
    assert choose_language(None, None, "en") == "en"


def test_default_is_used_when_the_number_suggests_nothing() -> None:
    assert choose_language(None, _customer(phone="garbage"), "fi") == "fi"


def test_an_unsupported_stored_language_is_skipped() -> None:
    assert choose_language(None, _customer(language="xx", last="de"), "fi") == "sv"


def test_a_command_words_language_applies_to_an_unknown_sender() -> None:
    assert choose_language(parse_sms("SLUTA"), None, "fi") == "sv"


def test_the_number_given_stands_for_an_unknown_sender() -> None:
    assert choose_language(parse_sms("blah"), None, "fi", phone="+447911123456") == "en"


@pytest.mark.parametrize(
    ("number", "language"),
    [("+447700900123", "en"), ("+15555550123", "en"), ("+46700000000", "sv")],
)
def test_a_number_outside_the_known_ranges_still_gets_its_countrys_language(
    number: str, language: str
) -> None:
    assert language_for_number(number) == language
