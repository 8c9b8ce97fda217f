"""Spoken licence plates: what a speech recogniser heard, turned into a plate.

Pure functions only. A caller says a plate letter by letter and digit by digit, in
Finnish, Swedish or English; the recogniser returns something like ``"A B C 1 2 3"``,
``"abc one two three"``, ``"aa bee see yksi kaksi kolme"`` or ``"ABC-123"``.
:func:`spoken_plate` turns any of these into the plate's display form, or None.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from app.services.plates import display_plate, looks_like_plate

__all__ = ["spoken_plate"]

# Letter names as recognisers write them. Keys are lower case.
_LETTER_NAMES: dict[str, str] = {
    # Finnish
    "aa": "A",
    "bee": "B",
    "see": "C",
    "dee": "D",
    "ee": "E",
    "äf": "F",
    "äffä": "F",
    "gee": "G",
    "hoo": "H",
    "ii": "I",
    "jii": "J",
    "koo": "K",
    "äl": "L",
    "äm": "M",
    "än": "N",
    "oo": "O",
    "pee": "P",
    "kuu": "Q",
    "är": "R",
    "äs": "S",
    "tee": "T",
    "uu": "U",
    "vee": "V",
    "äks": "X",
    "yy": "Y",
    "tset": "Z",
    "zeta": "Z",
    "ää": "Ä",
    "öö": "Ö",
    # Swedish
    "be": "B",
    "ce": "C",
    "cé": "C",
    "de": "D",
    "eff": "F",
    "ge": "G",
    "hå": "H",
    "ji": "J",
    "kå": "K",
    "ell": "L",
    "em": "M",
    "pe": "P",
    "ku": "Q",
    "ärr": "R",
    "ess": "S",
    "te": "T",
    "ve": "V",
    "eks": "X",
    "säta": "Z",
    # English
    "en": "N",
    "ay": "A",
    "bea": "B",
    "cee": "C",
    "sea": "C",
    "ef": "F",
    "aitch": "H",
    "eye": "I",
    "jay": "J",
    "kay": "K",
    "el": "L",
    "oh": "O",
    "pea": "P",
    "cue": "Q",
    "queue": "Q",
    "ar": "R",
    "are": "R",
    "tea": "T",
    "you": "U",
    "ex": "X",
    "why": "Y",
    "zed": "Z",
    "zee": "Z",
}

_DIGIT_NAMES: dict[str, str] = {
    # Finnish, with the spoken short forms
    "nolla": "0",
    "yksi": "1",
    "yks": "1",
    "kaksi": "2",
    "kaks": "2",
    "kolme": "3",
    "neljä": "4",
    "nelj": "4",
    "viisi": "5",
    "viis": "5",
    "kuusi": "6",
    "kuus": "6",
    "seitsemän": "7",
    "seittemän": "7",
    "seitsemä": "7",
    "kahdeksan": "8",
    "kaheksan": "8",
    "yhdeksän": "9",
    "yheksän": "9",
    # Swedish
    "noll": "0",
    "ett": "1",
    "en": "1",
    "två": "2",
    "tre": "3",
    "fyra": "4",
    "fem": "5",
    "sex": "6",
    "sju": "7",
    "åtta": "8",
    "nio": "9",
    "nie": "9",
    # English
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "to": "2",
    "too": "2",
    "three": "3",
    "four": "4",
    "for": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}

# Words a caller may say around a plate that carry no character.
_FILLER = frozenset(
    {
        "ja",
        "och",
        "and",
        "viiva",
        "tavuviiva",
        "väliviiva",
        "streck",
        "bindestreck",
        "dash",
        "hyphen",
        "minus",
        "rekisterinumero",
        "rekkari",
        "auto",
        "autoni",
        "on",
        "se",
        "registreringsnummer",
        "registreringsnumret",
        "bilen",
        "min",
        "är",
        "det",
        "plate",
        "number",
        "registration",
        "my",
        "is",
        "it",
        "the",
        "car",
    }
)

_MULTIPLIERS = {"double": 2, "tupla": 2, "dubbel": 2, "triple": 3, "tripla": 3}

_TOKEN_RE = re.compile(r"[^\W_]+(?:\.)?", re.UNICODE)
_LETTERS_THEN_DIGITS = re.compile(r"([A-ZÅÄÖÜ]+)([0-9]+)")
_FINNISH_SHAPE = re.compile(r"[A-ZÅÄÖ]{1,3}[0-9]{1,3}")
_MAX_AMBIGUOUS = 10


def _candidates(word: str) -> list[list[str]] | None:
    """The ways ``word`` can be read: each a list of characters. None: not a plate word."""
    lower = word.lower().rstrip(".")
    options: list[list[str]] = []
    if lower in _LETTER_NAMES:
        options.append([_LETTER_NAMES[lower]])
    if lower in _DIGIT_NAMES:
        options.append([_DIGIT_NAMES[lower]])
    if options:
        return options
    if lower in _FILLER:
        return []
    upper = word.upper().rstrip(".")
    # Recognisers often write letters and digits as they are ("ABC", "123", "b").
    plain = upper.isalnum() and all(c.isascii() or c in "ÅÄÖÜ" for c in upper)
    if plain and (len(upper) <= 4 or (len(upper) <= 8 and any(c.isdigit() for c in upper))):
        return [list(upper)]
    return None


def _transitions(chars: list[str]) -> int:
    kinds = [c.isdigit() for c in chars]
    return sum(1 for a, b in itertools.pairwise(kinds) if a != b)


def _plate_display(key: str) -> str:
    match = _LETTERS_THEN_DIGITS.fullmatch(key)
    return f"{match.group(1)}-{match.group(2)}" if match else display_plate(key)


def spoken_plate(text: str) -> str | None:
    """The plate a caller spoke, in display form (``"ABC-123"``), or None.

    Contract: reads letter and digit names in Finnish, Swedish and English, single
    characters and short runs of them (``"ABC 123"``), and ``double``/``tupla``/``dubbel``
    before a character; ignores filler words ("ja", "och", "and", "viiva", "dash").
    A word that is none of these makes the result None rather than a guess. Where a word
    can be a letter or a digit ("oh", "en"), the reading with the fewest switches between
    letters and digits wins, then one of the Finnish shape (1-3 letters, 1-3 digits), then
    the one with letters earliest. The result passes
    :func:`app.services.plates.looks_like_plate`. Never raises.
    """
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    groups: list[list[list[str]]] = []
    repeat = 1
    for match in _TOKEN_RE.finditer(text):
        word = match.group(0)
        if word.lower() in _MULTIPLIERS:
            repeat = _MULTIPLIERS[word.lower()]
            continue
        options = _candidates(word)
        if options is None:
            return None
        if not options:
            continue
        if repeat > 1:
            options = [option * repeat for option in options]
            repeat = 1
        groups.append(options)
    if not groups:
        return None
    ambiguous = sum(1 for g in groups if len(g) > 1)
    if ambiguous > _MAX_AMBIGUOUS:
        return None
    best: tuple[int, bool, int, str] | None = None
    for order, choice in enumerate(itertools.product(*groups)):
        chars = [c for part in choice for c in part]
        key = "".join(chars)
        if not looks_like_plate(key):
            continue
        rank = (_transitions(chars), _FINNISH_SHAPE.fullmatch(key) is None, order, key)
        if best is None or rank < best:
            best = rank
    return _plate_display(best[3]) if best else None
