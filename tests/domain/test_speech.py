"""Spoken plates: what a recogniser heard in Finnish, Swedish or English becomes a plate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.plates import looks_like_plate
from app.domain.speech import asks_for_zone_list, spoken_plate, spoken_zone


@pytest.mark.parametrize(
    ("heard", "plate"),
    [
        ("ABC-123", "ABC-123"),
        ("abc 123", "ABC-123"),
        ("A B C 1 2 3", "ABC-123"),
        ("A, B, C, 1, 2, 3.", "ABC-123"),
        ("abc one two three", "ABC-123"),
        ("ay bee sea one two three", "ABC-123"),
        ("aa bee see yksi kaksi kolme", "ABC-123"),
        ("äs tee oo nolla nolla viis", "STO-005"),
        ("a b c ett två tre", "ABC-123"),
        ("a b c en två tre", "ABC-123"),  # "en" after letters is the digit one
        ("ay bee sea oh oh one", "ABC-001"),  # "oh" before a digit is zero
        ("x y z double one", "XYZ-11"),
        ("rekisterinumero on ABC viiva 123", "ABC-123"),
        ("my plate is B C D dash 4 5 6", "BCD-456"),
        ("kaks", None),
        ("", None),
        ("hello world", None),
        ("park in zone one hundred and one", None),
        ("A B C", None),  # no digit: not a plate
        ("1 2 3", None),
    ],
)
def test_spoken_plate_reads_letters_and_digits_in_three_languages(
    heard: str, plate: str | None
) -> None:
    assert spoken_plate(heard) == plate


@given(st.text(max_size=60))
def test_spoken_plate_never_raises_and_only_returns_plates(text: str) -> None:
    result = spoken_plate(text)
    assert result is None or looks_like_plate(result)


KNOWN_ZONES = ["101", "102", "201", "EV1", "381", "EN2"]


@pytest.mark.parametrize(
    ("heard", "zone"),
    [
        ("E V 1", "EV1"),
        ("ee vee yksi", "EV1"),
        ("e v one", "EV1"),
        ("e ve ett", "EV1"),
        ("EV1", "EV1"),
        ("Ev-1.", "EV1"),
        ("zone E V one", "EV1"),
        ("alue ee vee yks", "EV1"),
        ("101", "101"),
        ("1 0 1", "101"),
        ("one oh one", "101"),  # "oh" is a zero here: no zone 1O1
        ("yksi nolla kaksi", "102"),
        ("zon två noll ett", "201"),
        ("kolme kahdeksan yksi", "381"),
        ("e en two", "EN2"),  # "en" is the letter N here: no zone E12
        ("E V 2", None),
        ("hello", None),
        ("", None),
    ],
)
def test_spoken_zone_picks_the_known_code_a_caller_spelled(heard: str, zone: str | None) -> None:
    assert spoken_zone(heard, KNOWN_ZONES) == zone


@pytest.mark.parametrize(
    ("heard", "asks"),
    [
        ("mitkä alueet on", True),
        ("vilka zoner finns", True),
        ("list the zones", True),
        ("E V 1", False),
        ("zone 101", False),
    ],
)
def test_a_caller_asking_which_zones_there_are_is_recognised(heard: str, asks: bool) -> None:
    assert asks_for_zone_list(heard) is asks


@given(st.text(max_size=40))
def test_spoken_zone_never_raises_and_only_returns_known_codes(text: str) -> None:
    assert spoken_zone(text, KNOWN_ZONES) in (None, *KNOWN_ZONES)
