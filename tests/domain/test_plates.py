"""Tests for app.domain.plates."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.plates import (
    display_plate,
    is_dash,
    is_probable_typo,
    looks_like_plate,
    normalize_plate,
)

DASHES = [
    "-",  # hyphen-minus
    "\u2010",  # hyphen
    "\u2011",  # non-breaking hyphen
    "\u2012",  # figure dash
    "\u2013",  # en dash
    "\u2014",  # em dash
    "\u2015",  # horizontal bar
    "\u2212",  # minus sign
    "\ufe63",  # small hyphen-minus
    "\uff0d",  # fullwidth hyphen-minus
    "\u00ad",  # soft hyphen
]


@pytest.mark.parametrize(
    "typed",
    [
        "ABC-123",
        "abc-123",
        "ABC 123",
        "abc123",
        "ABC123",
        " ABC  -  123 ",
        "ABC\t123",
        "ABC\u00a0123",  # no-break space
        "A.B.C.123",
        "ＡＢＣ－１２３",  # fullwidth
        *(f"ABC{dash}123" for dash in DASHES),
    ],
)
def test_normalize_equivalences(typed: str) -> None:
    assert normalize_plate(typed) == "ABC123"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("åäö-12", "ÅÄÖ12"),
        ("A\u030aBC-1", "ÅBC1"),  # decomposed Å is composed by NFKC
        ("übc-12", "ÜBC12"),
        ("B-AB-1234", "BAB1234"),
        ("cd-1234", "CD1234"),
        ("", ""),
        ("   ", ""),
        ("AB/12", "AB/12"),  # other characters are kept (and then not a plate)
    ],
)
def test_normalize_keeps_letters(typed: str, key: str) -> None:
    assert normalize_plate(typed) == key


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        # the common Finnish shape, 2-3 letters and 1-3 digits: written ABC-123
        ("abc–123", "ABC-123"),
        ("abc-123", "ABC-123"),
        ("abc 123", "ABC-123"),
        ("ABC 126", "ABC-126"),
        ("abc126", "ABC-126"),
        ("  abc   123  ", "ABC-123"),
        ("abc\t\n123", "ABC-123"),
        ("ABC\u2212123", "ABC-123"),
        ("ABC\u2011123", "ABC-123"),
        ("A B C - 1 2 3", "ABC-123"),
        ("abc.123", "ABC-123"),
        ("åäö-12", "ÅÄÖ-12"),
        ("zz9", "ZZ-9"),
        ("ＡＢＣ－１２３", "ABC-123"),
        # any other plate: the driver's spelling, upper case, trimmed
        ("b-ab-1234", "B-AB-1234"),
        (" cd-1234 ", "CD-1234"),  # diplomatic
        ("cd 1234", "CD 1234"),
        ("abc 12d", "ABC 12D"),  # Swedish
        ("123 abc", "123 ABC"),  # Estonian
        ("ab 12345", "AB 12345"),  # Norwegian
        ("abcd 123", "ABCD 123"),  # four letters: not the Finnish shape
        ("a 123", "A 123"),
        ("", ""),
    ],
)
def test_display_plate(typed: str, shown: str) -> None:
    assert display_plate(typed) == shown


@pytest.mark.parametrize(
    "token",
    [
        "ABC-123",
        "abc-123",
        "ABC 12D",
        "CD-1234",
        "ZZ-9",
        "B-AB-1234",
        "BAB1234",
        "ÅÄÖ-12",
        "ÜB-12",
        "A1",
        "AB123456",
        "123ABC",  # Estonian order
    ],
)
def test_looks_like_plate_yes(token: str) -> None:
    assert looks_like_plate(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "A",
        "1",
        "101",  # pure digits: a zone
        "12345",
        "LOPETA",  # pure letters: a keyword
        "ABC",
        "ABCD12345",  # 9 characters
        "AB/12",
        "AB_12",
        "AB@12",
        "ÆØ-12",  # only Å, Ä, Ö, Ü beyond A-Z
        "AB!12",
    ],
)
def test_looks_like_plate_no(token: str) -> None:
    assert not looks_like_plate(token)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ABC-123", "ABC-132"),  # adjacent transposition
        ("ABC-123", "ACB-123"),
        ("ABO-123", "ABC-123"),  # one substitution
        ("ABC-123", "ABC-124"),
        ("ABC-123", "ABC-12"),  # deletion
        ("ABC-12", "ABC-123"),  # insertion
        ("AB-123", "ABC-123"),
        ("ABC-1O3", "ABC-103"),  # O <-> 0
        ("OBI-100", "0B1-1OO"),  # several confusions at once
        ("SBB-555", "5B8-S5S"),
        ("ISO-150", "1S0-I5O"),
        ("abc-123", "ABC 132"),  # spelling differences do not matter
    ],
)
def test_probable_typo_yes(a: str, b: str) -> None:
    assert is_probable_typo(a, b)
    assert is_probable_typo(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ABC-123", "ABC-123"),  # the same plate is not a typo
        ("ABC-123", "abc 123"),  # same key
        ("ABC-123", "ABC–123"),
        ("ABC-123", "XYZ-789"),
        ("ABC-123", "ABC-321"),  # two edits
        ("ABC-123", "CBA-123"),  # transposition of non-adjacent letters
        ("ABC-123", "AB-12"),
        ("ABC-123", "ABD-124"),
        ("ABC-1O3", "ABC-1Q4"),  # confusion plus another difference
        ("", "A"),
        ("", ""),
    ],
)
def test_probable_typo_no(a: str, b: str) -> None:
    assert not is_probable_typo(a, b)
    assert not is_probable_typo(b, a)


def test_is_dash() -> None:
    for dash in DASHES:
        assert is_dash(dash), repr(dash)
    for other in ("a", "1", " ", ".", "_", "", "--", "~"):
        assert not is_dash(other), repr(other)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

PLATE_CHARS = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÜ0123456789")


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_plate(text)
    assert normalize_plate(once) == once


@given(st.text())
def test_normalize_has_no_separators(text: str) -> None:
    key = normalize_plate(text)
    assert not any(ch.isspace() or ch == "." or is_dash(ch) for ch in key)


@given(st.text())
def test_display_then_normalize_equals_normalize(text: str) -> None:
    assert normalize_plate(display_plate(text)) == normalize_plate(text)


@given(st.text())
def test_display_is_idempotent(text: str) -> None:
    once = display_plate(text)
    assert display_plate(once) == once


@given(
    st.text(alphabet="ABCDEFGHJKLMNPRTUVXYZÅÄÖ", min_size=1, max_size=3),
    st.text(alphabet="0123456789", min_size=1, max_size=3),
    st.sampled_from(["-", " ", "", "–", "—", "\u2212", " - "]),
    st.booleans(),
)
def test_all_spellings_share_one_key(letters: str, digits: str, sep: str, lower: bool) -> None:
    typed = f"{letters}{sep}{digits}"
    if lower:
        typed = typed.lower()
    assert normalize_plate(typed) == letters + digits
    assert looks_like_plate(typed) == (2 <= len(letters + digits) <= 8)


@given(
    st.text(alphabet="ABCDEFGHJKLMNPRTUVXYZÅÄÖ", min_size=2, max_size=3),
    st.text(alphabet="0123456789", min_size=1, max_size=3),
    st.sampled_from(["-", " ", "", "–", "—", "\u2212", " - ", ".", "\t", "  "]),
    st.booleans(),
    st.sampled_from(["", " ", "  \n"]),
)
def test_a_finnish_shaped_plate_is_shown_the_finnish_way(
    letters: str, digits: str, sep: str, lower: bool, around: str
) -> None:
    typed = f"{around}{letters}{sep}{digits}{around}"
    if lower:
        typed = typed.lower()
    assert display_plate(typed) == f"{letters}-{digits}"


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 -]{0,9}", fullmatch=True))
def test_another_plate_is_shown_upper_case_and_trimmed(typed: str) -> None:
    key = normalize_plate(typed)
    if re.fullmatch(r"[A-Z]{2,3}[0-9]{1,3}", key):
        return  # the Finnish shape: written ABC-123 (above)
    shown = display_plate(typed)
    assert shown == shown.strip()
    assert shown == shown.upper()
    assert normalize_plate(shown) == key
    # its letters and digits, in the order typed
    assert [c for c in shown if c.isalnum()] == [c for c in typed.upper() if c.isalnum()]


@given(st.text(), st.text())
def test_typo_is_symmetric(a: str, b: str) -> None:
    assert is_probable_typo(a, b) == is_probable_typo(b, a)


@given(st.text())
def test_a_plate_is_not_a_typo_of_itself(text: str) -> None:
    assert not is_probable_typo(text, text)
    assert not is_probable_typo(text, display_plate(text))


@given(st.lists(PLATE_CHARS, min_size=2, max_size=8), st.data())
def test_one_substitution_is_a_typo(chars: list[str], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(chars) - 1))
    replacement = data.draw(PLATE_CHARS.filter(lambda c: c != chars[i]))
    changed = chars.copy()
    changed[i] = replacement
    assert is_probable_typo("".join(chars), "".join(changed))


@given(st.lists(PLATE_CHARS, min_size=3, max_size=8), st.data())
def test_one_deletion_is_a_typo(chars: list[str], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(chars) - 1))
    shorter = chars[:i] + chars[i + 1 :]
    assert is_probable_typo("".join(chars), "".join(shorter))


# --------------------------------------------------------------------------
# Plates of the neighbouring countries (issue 12)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key", "shown"),
    [
        ("А123ВС 77", "A123BC77", "A123BC 77"),  # Cyrillic, as a Russian phone types it
        ("а123вс777", "A123BC777", "A123BC777"),
        ("Х777ХХ 199", "X777XX199", "X777XX 199"),
        ("A123BC 77", "A123BC77", "A123BC 77"),  # the same plate typed in Latin
    ],
)
def test_cyrillic_look_alikes_read_as_latin(typed: str, key: str, shown: str) -> None:
    assert normalize_plate(typed) == key
    assert display_plate(typed) == shown
    assert looks_like_plate(typed)


@pytest.mark.parametrize(
    "token",
    [
        "123 ABC",  # Estonia
        "AB 12345",  # Norway
        "AB 12 345",  # Denmark
        "AB-1234",  # Latvia
        "WA 12345",  # Poland
        "KR 1AB23",
        "WPR 1234A",
        "A123BC 77",  # Russia, two-digit region
        "A123BC 777",  # three-digit region: the one nine-character plate
    ],
)
def test_neighbouring_countries_plates(token: str) -> None:
    assert looks_like_plate(token)


def test_nine_characters_are_a_plate_only_in_the_russian_shape() -> None:
    assert looks_like_plate("A123BC777")
    assert not looks_like_plate("AB1234567")
    assert not looks_like_plate("ABC123456")


def test_cyrillic_words_are_not_plates() -> None:
    assert not looks_like_plate("Привет")
    assert normalize_plate("Привет") == "ПPИBET"  # only the look-alikes change
