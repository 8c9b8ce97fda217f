"""Spoken plates: what a recogniser heard in Finnish, Swedish or English becomes a plate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.plates import looks_like_plate
from app.services.speech import spoken_plate


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
