"""Licence plate helpers: normalisation, display form, shape check and typo detection.

Pure functions only: no I/O, no Flask, no database. Every function accepts any
``str`` (including the empty string) and never raises.

Terminology:

* the *key* of a plate (``normalize_plate``) is what plates are compared and
  stored by: ``"abc-123"``, ``"ABC 123"`` and ``"ABC–123"`` all have the key
  ``"ABC123"``;
* the *display form* (``display_plate``) is what messages, receipts and the panel
  show: a plate of the common Finnish shape written as Finnish plates are
  (``"abc 123"``, ``"abc123"``, ``"abc–123"`` -> ``"ABC-123"``), any other plate the
  driver's own spelling, tidied (``"ab 12 345"`` -> ``"AB 12345"``).

Plates from the neighbouring countries have these shapes (as typed; the key drops
the spaces and dashes): Finland ``ABC-123``, ``AB-12``; Sweden ``ABC 123``,
``ABC 12A``; Norway ``AB 12345``; Denmark ``AB 12 345``; Estonia ``123 ABC``;
Latvia ``AB-1234``; Lithuania ``ABC 123``; Poland ``WA 12345``, ``KR 1AB23``,
``WPR 1234A``; Russia ``A123BC 77`` or ``A123BC 777`` (letter, three digits, two
letters, region), often typed in Cyrillic letters that look like Latin ones.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CYRILLIC_LOOKALIKES",
    "display_plate",
    "is_dash",
    "is_probable_typo",
    "looks_like_plate",
    "normalize_plate",
]

#: Dash-like characters that are not in Unicode category ``Pd`` but that
#: people (or their phones) put into plates: minus sign, soft hyphen, hyphen
#: bullet, small/fullwidth hyphen-minus (the latter two are also folded by NFKC).
_EXTRA_DASHES = frozenset("\u2212\u00ad\u2043\ufe63\uff0d\u02d7\u2796")

#: Letters allowed in a plate key besides A-Z.
_NORDIC_LETTERS = frozenset("ÅÄÖÜ")

_PLATE_KEY_RE = re.compile(r"[A-Z0-9ÅÄÖÜ]{2,8}")
#: The key of a plate of the common Finnish shape: 2-3 letters, then 1-3 digits.
_FINNISH_KEY_RE = re.compile(r"([A-ZÅÄÖ]{2,3})([0-9]{1,3})")
#: A Russian plate with a three-digit region is the one plate longer than 8: A123BC777.
_RUSSIAN_PLATE_KEY_RE = re.compile(r"[A-Z]\d{3}[A-Z]{2}\d{2,3}")

#: The Cyrillic letters used on Russian plates, and their Latin look-alikes. A Russian
#: driver's phone types ``А123ВС 77`` in Cyrillic; the plate on the car reads the same in
#: Latin letters, and that is what attendants type and what an SMS can carry in GSM-7.
CYRILLIC_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХавекмнорстух", "ABEKMHOPCTYXABEKMHOPCTYX")

#: Characters that are commonly confused on plates and keyboards, mapped to
#: one representative of their confusion class.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "B": "8", "S": "5"})

_WHITESPACE_RUN_RE = re.compile(r"\s+")

#: The ASCII characters a key drops: whitespace, the dot and the hyphen-minus (the only
#: ASCII dash).
_ASCII_SEPARATORS = str.maketrans(
    "", "", "".join(chr(c) for c in range(128) if chr(c).isspace()) + ".-"
)


def is_dash(char: str) -> bool:
    """Return True when the single character ``char`` is dash-like.

    Dash-like means: any Unicode dash punctuation (category ``Pd``: hyphen-minus,
    hyphen, non-breaking hyphen, figure dash, en dash, em dash, ...) plus the
    minus sign U+2212, the soft hyphen and a few look-alikes.
    """
    if len(char) != 1:
        return False
    return char in _EXTRA_DASHES or unicodedata.category(char) == "Pd"


def normalize_plate(text: str) -> str:
    """Return the canonical comparison key of a plate.

    Contract: NFKC-normalise, uppercase, replace the Cyrillic letters of Russian
    plates with their Latin look-alikes (``А123ВС`` -> ``A123BC``), then remove
    every whitespace character, every dash-like character (see :func:`is_dash`)
    and every dot. Nothing else is removed or changed, so Nordic letters (Å, Ä,
    Ö, Ü) are kept and any other character survives (which makes
    :func:`looks_like_plate` reject it). Idempotent:
    ``normalize_plate(normalize_plate(x)) == normalize_plate(x)``.

    >>> normalize_plate("abc–123")
    'ABC123'
    """
    if text.isascii():
        # The common case, and the same result: NFKC and upper case change nothing else
        # in ASCII, and nothing can compose once the separators are gone.
        return text.upper().translate(_ASCII_SEPARATORS)
    key = _key_pass(text)
    # Removing a space can let a combining mark compose with a new base
    # ("U ̈" -> "Ü"); repeat until stable so the function is idempotent.
    for _ in range(4):
        again = _key_pass(key)
        if again == key:
            break
        key = again
    return key


def _key_pass(text: str) -> str:
    upper = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).upper())
    upper = upper.translate(CYRILLIC_LOOKALIKES)
    return "".join(ch for ch in upper if not (ch.isspace() or ch == "." or is_dash(ch)))


def display_plate(text: str) -> str:
    """Return a plate as it is shown back: the Finnish form, or the driver's own
    spelling tidied.

    Contract: a plate whose key (:func:`normalize_plate`) is 2-3 letters (A-Z, Å,
    Ä, Ö) then 1-3 digits, typed with any separator or none and in any case, is
    written as Finnish plates are, upper case with one hyphen (``"abc 126"``,
    ``"abc126"``, ``"A B C - 1 2 6"`` -> ``"ABC-126"``). Any other plate (foreign,
    diplomatic, special) keeps the driver's spelling, tidied: NFKC-normalise, strip
    surrounding whitespace, uppercase, replace the Cyrillic look-alike letters with
    Latin ones, replace every dash-like character with ``-``; keep one space
    between a letter and a digit where the driver typed one, drop spaces inside a
    run of letters or digits and next to a dash (``"cd-1234"`` -> ``"CD-1234"``,
    ``"ab 12 345"`` -> ``"AB 12345"``, ``"а123вс 77"`` -> ``"A123BC 77"``).
    ``normalize_plate(display_plate(x)) == normalize_plate(x)`` always holds, and
    ``display_plate`` is idempotent.
    """
    finnish = _FINNISH_KEY_RE.fullmatch(normalize_plate(text))
    if finnish is not None:
        return f"{finnish[1]}-{finnish[2]}"
    if text.isascii():
        tidy = text.upper()  # (in ASCII, NFKC changes nothing and "-" is the only dash)
    else:
        tidy = unicodedata.normalize("NFKC", text).upper()
        tidy = unicodedata.normalize("NFKC", tidy).translate(CYRILLIC_LOOKALIKES)
        tidy = "".join("-" if is_dash(ch) else ch for ch in tidy)
    parts = tidy.split() if tidy.isascii() else _WHITESPACE_RUN_RE.split(tidy.strip())
    parts = [p for p in parts if p]
    # Spaces inside a run of letters or of digits, or next to a dash, are typing noise:
    # "A B C - 1 2 3" reads "ABC-123". A space between letters and digits is kept.
    out = parts[:1]
    for part in parts[1:]:
        before, after = out[-1][-1], part[0]
        same_kind = (before.isalpha() and after.isalpha()) or (before.isdigit() and after.isdigit())
        if same_kind or "-" in (before, after):
            out[-1] += part
        else:
            out.append(part)
    return " ".join(out)


def looks_like_plate(token: str) -> bool:
    """Return True when ``token`` has the shape of a licence plate.

    Contract, checked on ``normalize_plate(token)``: 2 to 8 characters, only
    A-Z, Å, Ä, Ö, Ü and 0-9, with at least one letter and at least one digit;
    or a Russian plate with its region (``A123BC777``, 9 characters).
    Pure digits (zone codes) and pure letters (keywords) are never plates.
    Examples that pass: ``ABC-123``, ``ABC 12D``, ``CD-1234``, ``ZZ-9``,
    ``B-AB-1234``, ``123 ABC``, ``AB 12345``, ``А123ВС 777``.
    """
    key = normalize_plate(token)
    if _RUSSIAN_PLATE_KEY_RE.fullmatch(key):
        return True
    if _PLATE_KEY_RE.fullmatch(key) is None:
        return False
    has_digit = any(ch.isdigit() for ch in key)
    has_letter = any(ch.isalpha() for ch in key)
    return has_digit and has_letter


def _within_one_edit(a: str, b: str) -> bool:
    """Return True when the optimal-string-alignment distance of a and b is <= 1."""
    if a == b:
        return True
    len_a, len_b = len(a), len(b)
    if abs(len_a - len_b) > 1:
        return False
    if len_a == len_b:
        diffs = [i for i in range(len_a) if a[i] != b[i]]
        if len(diffs) == 1:
            return True  # one substitution
        if len(diffs) == 2:
            i, j = diffs
            # one transposition of adjacent characters
            return j == i + 1 and a[i] == b[j] and a[j] == b[i]
        return False
    # one insertion/deletion: the shorter must be the longer minus one char
    shorter, longer = (a, b) if len_a < len_b else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def is_probable_typo(a: str, b: str) -> bool:
    """Return True when plate ``a`` is probably a mistyped plate ``b`` (or vice versa).

    Contract, on the keys ``ka = normalize_plate(a)`` and ``kb = normalize_plate(b)``:

    * False when ``ka == kb`` (the same plate is not a typo) or when either key
      is empty;
    * True when the Damerau-Levenshtein (optimal string alignment) distance
      is exactly 1: one substitution, insertion, deletion or transposition of
      two adjacent characters (``ABC-123`` vs ``ABC-132``, ``ABO-123`` vs
      ``ABC-123``);
    * True when the keys have the same length and differ only by the
      confusions O<->0, I<->1, B<->8, S<->5, in any number of positions
      (``OBI-100`` vs ``0B1-1OO``);
    * False otherwise. Symmetric in ``a`` and ``b``.
    """
    ka, kb = normalize_plate(a), normalize_plate(b)
    if not ka or not kb or ka == kb:
        return False
    if _within_one_edit(ka, kb):
        return True
    return ka.translate(_CONFUSABLE) == kb.translate(_CONFUSABLE)
