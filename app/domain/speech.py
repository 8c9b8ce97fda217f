"""Spoken licence plates and zone codes: what a speech recogniser heard, turned into a
plate or a zone.

Pure functions only. A caller says a plate letter by letter and digit by digit, in
Finnish, Swedish or English; the recogniser returns something like ``"A B C 1 2 3"``,
``"abc one two three"``, ``"aa bee see yksi kaksi kolme"`` or ``"ABC-123"``.
:func:`spoken_plate` turns any of these into the plate's display form, or None;
:func:`spoken_zone` picks the zone code (``"E V 1"``, ``"ee vee yksi"``) among the known
ones, and :func:`asks_for_zone_list` tells a caller asking which zones there are.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

from app.domain.plates import display_plate, looks_like_plate

__all__ = ["asks_for_zone_list", "spoken_plate", "spoken_zone"]

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

# Words a caller may say around a zone code.
_ZONE_FILLER = _FILLER | frozenset(
    {
        "zone",
        "zon",
        "zonen",
        "alue",
        "alueella",
        "alueelle",
        "alueen",
        "parkkialue",
        "numero",
        "nummer",
        "code",
        "koodi",
        "tunnus",
        "kod",
        "in",
        "at",
        "please",
        "kiitos",
        "tack",
    }
)
# Words of a caller asking which zones there are ("mitkä alueet", "vilka zoner finns",
# "list the zones").
_LIST_WORDS = frozenset(
    {
        "alueet",
        "alueita",
        "alueista",
        "lista",
        "listaa",
        "luettelo",
        "mitkä",
        "mitä",
        "zoner",
        "zonerna",
        "vilka",
        "list",
        "zones",
        "which",
        "what",
    }
)

_MULTIPLIERS = {"double": 2, "tupla": 2, "dubbel": 2, "triple": 3, "tripla": 3}

_TOKEN_RE = re.compile(r"[^\W_]+(?:\.)?", re.UNICODE)
_LETTERS_THEN_DIGITS = re.compile(r"([A-ZÅÄÖÜ]+)([0-9]+)")
_FINNISH_SHAPE = re.compile(r"[A-ZÅÄÖ]{1,3}[0-9]{1,3}")
_MAX_AMBIGUOUS = 10


def _candidates(word: str, filler: frozenset[str] = _FILLER) -> list[list[str]] | None:
    """The ways ``word`` can be read: each a list of characters. None: not a plate word."""
    lower = word.lower().rstrip(".")
    options: list[list[str]] = []
    if lower in _LETTER_NAMES:
        options.append([_LETTER_NAMES[lower]])
    if lower in _DIGIT_NAMES:
        options.append([_DIGIT_NAMES[lower]])
    if options:
        return options
    if lower in filler:
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


def _readings(text: str, filler: frozenset[str]) -> list[list[list[str]]] | None:
    """The characters each spoken word may stand for, word by word (filler words left
    out); None when a word is none of them, or the words are too ambiguous to try."""
    text = unicodedata.normalize("NFKC", text)
    groups: list[list[list[str]]] = []
    repeat = 1
    for match in _TOKEN_RE.finditer(text):
        word = match.group(0)
        if word.lower() in _MULTIPLIERS:
            repeat = _MULTIPLIERS[word.lower()]
            continue
        options = _candidates(word, filler)
        if options is None:
            return None
        if not options:
            continue
        if repeat > 1:
            options = [option * repeat for option in options]
            repeat = 1
        groups.append(options)
    if sum(1 for g in groups if len(g) > 1) > _MAX_AMBIGUOUS:
        return None
    return groups


def spoken_plate(text: str) -> str | None:
    """The plate a caller spoke, in display form (``"ABC-123"``), or None.

    Contract: reads letter and digit names in Finnish, Swedish and English, single
    characters and short runs of them (``"ABC 123"``), and ``double``/``tupla``/``dubbel``
    before a character; ignores filler words ("ja", "och", "and", "viiva", "dash").
    A word that is none of these makes the result None rather than a guess. Where a word
    can be a letter or a digit ("oh", "en"), the reading with the fewest switches between
    letters and digits wins, then one of the Finnish shape (1-3 letters, 1-3 digits), then
    the one with letters earliest. The result passes
    :func:`app.domain.plates.looks_like_plate`. Never raises.
    """
    if not text:
        return None
    groups = _readings(text, _FILLER)
    if not groups:
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


def spoken_zone(text: str, known: Iterable[str]) -> str | None:
    """The one of ``known`` (zone codes and phone codes, upper case) that a caller said,
    or None.

    Reads the code spelled in Finnish, Swedish or English (``"E V 1"``, ``"ee vee
    yksi"``, ``"e v one"``, ``"EV1"``, ``"zone 101"``, ``"alue sata yksi"`` is not read:
    recognisers write numbers as digits), ignoring words such as "zone", "alue", "zon".
    Where a word may be a letter or a digit, only readings that are a known code count;
    of several, the one with the fewest switches between letters and digits. Never raises.
    """
    codes = {code.upper() for code in known}
    if not text or not codes:
        return None
    groups = _readings(text, _ZONE_FILLER)
    if not groups:
        return None
    best: tuple[int, int, str] | None = None
    for order, choice in enumerate(itertools.product(*groups)):
        chars = [c for part in choice for c in part]
        key = "".join(chars)
        if key in codes:
            rank = (_transitions(chars), order, key)
            if best is None or rank < best:
                best = rank
    return best[2] if best else None


def asks_for_zone_list(text: str) -> bool:
    """Whether a caller asked which zones there are ("mitkä alueet", "vilka zoner",
    "list the zones")."""
    words = {m.group(0).lower().rstrip(".") for m in _TOKEN_RE.finditer(text or "")}
    return bool(words & _LIST_WORDS)
