"""Parser for incoming SMS messages (Finnish, Swedish, English).

Pure module: no I/O, no Flask, no database. :func:`parse_sms` never raises
for any ``str`` input and always returns a :class:`ParsedMessage`.

How a message is read
---------------------
1. *Cleaning*: NFKC, every dash-like character becomes ``-``, emoji and
   other symbols become spaces, quotes and brackets become spaces.
2. *Whole-message words*: an empty message is ``UNKNOWN/"empty"``; a message
   made only of ``?`` is ``HELP``; a message that is exactly one opt-out
   word (``STOP``, ``STOPALL``, ``UNSUBSCRIBE``, ``CANCEL``, ``END``,
   ``QUIT``) or opt-in word (``START``, ``UNSTOP``), ignoring case,
   surrounding whitespace, trailing punctuation and emoji, is ``OPT_OUT`` /
   ``OPT_IN``. Those words followed by anything else are *never* parsed as
   another intent: they give ``UNKNOWN`` with problem ``"opt_out_word"`` so
   the service can explain "send LOPETA to end parking, STOP alone to
   unsubscribe".
3. *Tokens*: whitespace, commas, semicolons, periods, colons, ``#``, ``/``
   and other punctuation separate tokens, except inside numeric forms that
   need them (``1:30``, ``1,5h``, ``24.12.2025``, ``10:00-12:00``).
   A token is compared in upper case.
4. Leading greetings (``hei``, ``hej``, ``hi`` ...) and courtesy words
   (``kiitos``, ``tack``, ``thanks``, ``please`` ...) at either end are
   dropped; a message of only such words is ``UNKNOWN/"courtesy"``.
5. A one-token message that is a yes/no word is ``YES``/``NO``; a single
   digit 1-9 is ``CHOICE``; a language name alone (``svenska``) is
   ``LANGUAGE``.
6. The first token (or a two-word phrase: ``end parking``, ``more time``,
   ``lisää aikaa``, ``mer tid``) selects a keyword intent (``LOPETA``,
   ``JATKA``, ...), also when glued to its number (``jatka30``); a greeting
   alone (``hei``, ``hej``, ``hello``) is ``HELP``;
   otherwise the message is read as a park message (``P``/``PARK``/...
   prefix optional).

Inside keyword and park messages, tokens are classified left to right by
small rules into plate, zone, duration (and for bookings date and time range).

The bare-number rule
--------------------
A number without a unit is a duration only where a duration is expected: in
a park message once the zone is already known (the *first* 1-5 digit number
is the zone, a later one the duration), and after ``JATKA``/``FÖRLÄNG``/
``EXTEND`` or ``for``. Then an integer 1..12 means hours and 13..1440 means
minutes; any other integer (0, or above 1440) is a ``"bad_duration"``. A
bare decimal (``1,5``) means hours, and ``H.MM`` with two fractional digits
below 60 (``1.30``) means hours and minutes, as does ``H:MM`` (``1:30``).

Durations spelled as words are read too: ``puoli tuntia``/``half an hour``/
``en halvtimme`` (30), ``vartti``/``kvart`` (15), ``an hour`` (60).

End times (clock times)
-----------------------
In park and extend messages an end may be given as a local clock time instead
of a duration; it fills ``until_time`` ("HH:MM") and never ``duration_minutes``:

* after a marker word: ``till``, ``tills``, ``fram till``, ``until``, ``klo``,
  ``kl``/``kl.``, an arrow (``->``, ``=>``, ``→``), or before ``asti``:
  ``till 18``, ``until 6pm``, ``klo 17 asti``, ``17 asti``, ``-> 18.30``.
  The hour is 0..24 (``24`` is midnight), or 1..12 with ``am``/``pm``;
* without a marker, ``H:MM`` or ``H.MM`` is a clock time when H is 5..24
  (``17:00``, ``17.30``, ``5:00``) and a duration when H is 0..4 (``1:30``,
  ``0:45``, ``4.30``): drivers write short stays as ``1:30``, and nobody writes
  "5 hours" as ``5:00``; a bare integer keeps the bare-number rule (``18`` is
  18 minutes); ``6pm`` is always a clock time.

An impossible clock time (``25:00``, ``till 25``, ``13pm``) or a duration and an
end time together is ``"bad_duration"``.

Every valid duration is 1 minute .. 7 days (:data:`MAX_DURATION_MINUTES`);
a duration-shaped token outside that range, a negative one or a second
duration gives problem ``"bad_duration"`` while the intent is kept.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeAlias

from app.services.plates import display_plate, is_dash, looks_like_plate

__all__ = [
    "MAX_DURATION_MINUTES",
    "Intent",
    "ParsedMessage",
    "parse_duration",
    "parse_sms",
]

#: Longest duration accepted anywhere (7 days).
MAX_DURATION_MINUTES = 7 * 24 * 60


class Intent(enum.StrEnum):
    """What the sender wants. Values are stable lowercase strings."""

    PARK = "park"
    STOP = "stop"
    EXTEND = "extend"
    STATUS = "status"
    HELP = "help"
    LANGUAGE = "language"
    RECEIPT = "receipt"
    BOOK = "book"
    UNBOOK = "unbook"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    YES = "yes"
    NO = "no"
    CHOICE = "choice"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ParsedMessage:
    """The result of :func:`parse_sms`.

    ``until_time`` ("HH:MM", 00:00-23:59) is an end given as a local clock time
    (``till 18``, ``klo 17 asti``, ``17:30``); it is never set together with
    ``duration_minutes``. Turning it into minutes needs the zone's time zone
    and the current time, so that is the caller's job.

    ``problem`` is None when the message was fully understood. Otherwise it
    is one of these machine codes (the intent is kept when it was clear):

    * ``"empty"`` (UNKNOWN): nothing but whitespace;
    * ``"unrecognised"`` (UNKNOWN): nothing recognisable;
    * ``"courtesy"`` (UNKNOWN): only greetings/thanks, e.g. ``kiitos!``;
    * ``"opt_out_word"`` (UNKNOWN): an opt-out/opt-in word followed by more
      text (``STOP parking``); never acted on as opt-out nor as stop;
    * ``"no_zone"`` (PARK, BOOK): no zone code found;
    * ``"bad_plate"`` (PARK): a zone but no plate and some unrecognised text;
    * ``"multiple_plates"`` (PARK, EXTEND, STOP, STATUS, RECEIPT, BOOK):
      more than one plate; ``plate`` is the first one;
    * ``"bad_duration"`` (PARK, EXTEND): a duration that is zero, negative,
      longer than 7 days, given twice, an impossible clock time (``till
      25``), both a duration and an end time, or (PARK with plate and zone)
      some unrecognised text where the duration goes;
    * ``"extra_text"`` (PARK): plate, zone and duration all found, plus
      unrecognised text;
    * ``"extend_no_duration"`` (EXTEND): no duration;
    * ``"bad_language"`` (LANGUAGE): missing or unknown language argument;
    * ``"no_date"``, ``"bad_time"`` (BOOK): missing date / missing or
      invalid time range;
    * ``"no_booking_ref"`` (UNBOOK): no reference given.
    """

    intent: Intent
    language: str | None = None
    plate: str | None = None
    zone: str | None = None
    duration_minutes: int | None = None
    until_time: str | None = None
    target_language: str | None = None
    choice: int | None = None
    booking_date: str | None = None
    booking_from: str | None = None
    booking_to: str | None = None
    booking_ref: str | None = None
    problem: str | None = None


# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

_OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
_OPT_IN_WORDS = frozenset({"START", "UNSTOP"})

#: word -> language revealed (None = ambiguous)
_YES_WORDS: dict[str, str | None] = {
    "KYLLÄ": "fi",
    "KYLLA": "fi",
    "JOO": "fi",
    "K": None,
    "JA": "sv",
    "YES": "en",
    "Y": None,
    "OK": None,
}
_NO_WORDS: dict[str, str | None] = {"EI": "fi", "NEJ": "sv", "NO": "en", "N": None}

_PARK_PREFIXES: dict[str, str | None] = {
    "P": None,
    "PARK": "en",
    "PYSÄKÖI": "fi",
    "PYSAKOI": "fi",
    "PARKERA": "sv",
}

#: first-token keyword -> (intent, language revealed)
_KEYWORDS: dict[str, tuple[Intent, str | None]] = {
    "LOPETA": (Intent.STOP, "fi"),
    "SLUTA": (Intent.STOP, "sv"),
    "DONE": (Intent.STOP, "en"),
    "LEAVE": (Intent.STOP, "en"),
    # typos and synonyms drivers really send ("stopp" is Swedish for stop; carriers
    # reserve only STOP/STOPALL/UNSUBSCRIBE/CANCEL/END/QUIT as whole messages)
    "LOPETTA": (Intent.STOP, "fi"),
    "LOPETAN": (Intent.STOP, "fi"),
    "LOPPU": (Intent.STOP, "fi"),
    "LOPETUS": (Intent.STOP, "fi"),
    "AVSLUTA": (Intent.STOP, "sv"),
    "STOPP": (Intent.STOP, "sv"),
    "SLUT": (Intent.STOP, "sv"),
    "FINISH": (Intent.STOP, "en"),
    "FINISHED": (Intent.STOP, "en"),
    "JATKA": (Intent.EXTEND, "fi"),
    "FÖRLÄNG": (Intent.EXTEND, "sv"),
    "FORLANG": (Intent.EXTEND, "sv"),
    "EXTEND": (Intent.EXTEND, "en"),
    "LISÄÄ": (Intent.EXTEND, "fi"),
    "LISAA": (Intent.EXTEND, "fi"),
    "TILA": (Intent.STATUS, "fi"),
    "STATUS": (Intent.STATUS, None),
    "OHJE": (Intent.HELP, "fi"),
    "APUA": (Intent.HELP, "fi"),
    "HJÄLP": (Intent.HELP, "sv"),
    "HJALP": (Intent.HELP, "sv"),
    "HELP": (Intent.HELP, "en"),
    "INFO": (Intent.HELP, None),
    "KIELI": (Intent.LANGUAGE, "fi"),
    "SPRÅK": (Intent.LANGUAGE, "sv"),
    "SPRAK": (Intent.LANGUAGE, "sv"),
    "LANG": (Intent.LANGUAGE, "en"),
    "LANGUAGE": (Intent.LANGUAGE, "en"),
    "KUITTI": (Intent.RECEIPT, "fi"),
    "KVITTO": (Intent.RECEIPT, "sv"),
    "RECEIPT": (Intent.RECEIPT, "en"),
    "VARAA": (Intent.BOOK, "fi"),
    "BOKA": (Intent.BOOK, "sv"),
    "BOOK": (Intent.BOOK, "en"),
    "PERU": (Intent.UNBOOK, "fi"),
    "AVBOKA": (Intent.UNBOOK, "sv"),
    "UNBOOK": (Intent.UNBOOK, "en"),
}

#: two-word keywords (checked before single ones) -> (intent, language revealed)
_KEYWORD_PHRASES: dict[tuple[str, str], tuple[Intent, str | None]] = {
    ("END", "PARKING"): (Intent.STOP, "en"),
    ("MORE", "TIME"): (Intent.EXTEND, "en"),
    ("LISÄÄ", "AIKAA"): (Intent.EXTEND, "fi"),
    ("LISAA", "AIKAA"): (Intent.EXTEND, "fi"),
    ("MER", "TID"): (Intent.EXTEND, "sv"),
}

#: language argument (code or name, in any of the three languages) -> code
_LANGUAGE_ARGS: dict[str, str] = {
    "FI": "fi",
    "FIN": "fi",
    "SUOMI": "fi",
    "SUOMEKSI": "fi",
    "FINSKA": "fi",
    "FINNISH": "fi",
    "SV": "sv",
    "SE": "sv",
    "SWE": "sv",
    "SVENSKA": "sv",
    "RUOTSI": "sv",
    "RUOTSIKSI": "sv",
    "SWEDISH": "sv",
    "EN": "en",
    "ENG": "en",
    "ENGLISH": "en",
    "ENGLANTI": "en",
    "ENGLANNIKSI": "en",
    "ENGELSKA": "en",
}
#: language names accepted as a whole message (codes alone are too ambiguous)
_LANGUAGE_NAMES = frozenset(k for k in _LANGUAGE_ARGS if len(k) > 3)

_ZONE_WORDS: dict[str, str | None] = {
    "ALUE": "fi",
    "ALUEELLE": "fi",
    "ALUEELLA": "fi",
    "ALUEEN": "fi",
    "ALUEESEEN": "fi",
    "ALUEELTA": "fi",
    "VYÖHYKE": "fi",
    "VYOHYKE": "fi",
    "VYÖHYKKEELLE": "fi",
    "VYÖHYKKEELLÄ": "fi",
    "ZON": "sv",
    "ZONEN": "sv",
    "ZONE": "en",
}

#: courtesy words ignored anywhere in keyword/park messages -> language hint
_COURTESY: dict[str, str | None] = {
    "KIITOS": "fi",
    "KIITTI": "fi",
    "KITOS": "fi",
    "PALJON": "fi",
    "TACK": "sv",
    "TACKAR": "sv",
    "MYCKET": "sv",
    "THANKS": "en",
    "THANK": "en",
    "YOU": "en",
    "THX": "en",
    "KTHX": "en",
    "TY": "en",
    "PLEASE": "en",
    "PLS": "en",
    "PLZ": "en",
}
#: greetings ignored at the start of a message -> language hint
_GREETINGS: dict[str, str | None] = {
    "HEI": "fi",
    "MOI": "fi",
    "MOIKKA": "fi",
    "TERVE": "fi",
    "HEJ": "sv",
    "HALLÅ": "sv",
    "HI": "en",
    "HELLO": "en",
    "HEY": "en",
}
#: small words ignored inside park/keyword messages ("i zon 101", "klo 10-12") and the
#: verbs of a polite sentence ("haluaisin pysäköidä ABC-123 alueelle 101")
_FILLERS = frozenset(
    {
        "IN",
        "AT",
        "I",
        "PÅ",
        "KLO",
        "KL",
        "FRAM",
        "HALUAISIN",
        "HALUAN",
        "PYSÄKÖIDÄ",
        "PYSAKOIDA",
        "PYSÄKÖIN",
        "PYSAKOIN",
        "JAG",
        "VILL",
        "SKULLE",
        "VILJA",
        "WANT",
        "WOULD",
        "LIKE",
    }
)
#: words announcing an end given as a clock time: "till 18", "klo 17", "-> 18"
#: ("->" is read as TILL); "asti" follows the time ("17 asti", "klo 17 asti").
_UNTIL_BEFORE: dict[str, str | None] = {
    "TILL": None,
    "TILLS": "sv",
    "UNTIL": "en",
    "UNTILL": "en",
    "KLO": "fi",
    "KL": "sv",
}
_UNTIL_AFTER: dict[str, str | None] = {"ASTI": "fi", "SAAKKA": "fi"}
#: durations spelled as words -> (minutes, tokens, language)
_WORD_DURATIONS: list[tuple[tuple[str, ...], int, str | None]] = [
    (("PUOLI", "TUNTIA"), 30, "fi"),
    (("PUOLI", "TUNTI"), 30, "fi"),
    (("PUOLEKSI", "TUNNIKSI"), 30, "fi"),
    (("PUOLITUNTIA",), 30, "fi"),
    (("PUOLITUNTI",), 30, "fi"),
    (("VARTTI",), 15, "fi"),
    (("VARTIKSI",), 15, "fi"),
    (("VARTIN",), 15, "fi"),
    (("EN", "HALVTIMME"), 30, "sv"),
    (("HALVTIMME",), 30, "sv"),
    (("EN", "HALV", "TIMME"), 30, "sv"),
    (("HALV", "TIMME"), 30, "sv"),
    (("EN", "KVART"), 15, "sv"),
    (("KVART",), 15, "sv"),
    (("HALF", "AN", "HOUR"), 30, "en"),
    (("HALF", "HOUR"), 30, "en"),
    (("A", "HALF", "HOUR"), 30, "en"),
    (("A", "QUARTER", "HOUR"), 15, "en"),
    (("QUARTER", "HOUR"), 15, "en"),
    (("AN", "HOUR"), 60, "en"),
]

#: duration unit -> (minutes per unit, language revealed)
_HOUR_UNITS: dict[str, str | None] = {
    "H": None,
    "HR": "en",
    "HRS": "en",
    "HOUR": "en",
    "HOURS": "en",
    "T": "fi",
    "TUNTI": "fi",
    "TUNTIA": "fi",
    "TUNNIN": "fi",
    "TUNNIKSI": "fi",
    "TIM": "sv",
    "TIMME": "sv",
    "TIMMAR": "sv",
    "TIMMEN": "sv",
}
_MINUTE_UNITS: dict[str, str | None] = {
    "M": None,
    "MIN": None,
    "MINS": "en",
    "MINUTE": "en",
    "MINUTES": "en",
    "MINUUTTI": "fi",
    "MINUUTTIA": "fi",
    "MINUUTIN": "fi",
    "MINUUTIKSI": "fi",
    "MINUT": "sv",
    "MINUTER": "sv",
}
_DAY_UNITS: dict[str, str | None] = {
    "D": None,
    "DAY": "en",
    "DAYS": "en",
    "PV": "fi",
    "VRK": "fi",
    "PÄIVÄ": "fi",
    "PÄIVÄÄ": "fi",
    "PÄIVÄKSI": "fi",
    "PAIVA": "fi",
    "PAIVAA": "fi",
    "DAG": "sv",
    "DAGAR": "sv",
    "DYGN": "sv",
}
_UNITS: dict[str, tuple[int, str | None]] = {
    **{w: (60, lang) for w, lang in _HOUR_UNITS.items()},
    **{w: (1, lang) for w, lang in _MINUTE_UNITS.items()},
    **{w: (24 * 60, lang) for w, lang in _DAY_UNITS.items()},
}

_DATE_WORDS = frozenset(
    {
        "TODAY",
        "TOMORROW",
        "TÄNÄÄN",
        "TANAAN",
        "HUOMENNA",
        "YLIHUOMENNA",
        "IDAG",
        "IMORGON",
        "ÖVERMORGON",
        "MAANANTAI",
        "TIISTAI",
        "KESKIVIIKKO",
        "TORSTAI",
        "PERJANTAI",
        "LAUANTAI",
        "SUNNUNTAI",
        "MÅNDAG",
        "TISDAG",
        "ONSDAG",
        "TORSDAG",
        "FREDAG",
        "LÖRDAG",
        "SÖNDAG",
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
        "SUNDAY",
    }
)

#: words that never start a spaced plate ("FOR 2 hours", "ALUE 101", ...)
_NOT_PLATE_START = frozenset(
    {
        "FOR",
        *_ZONE_WORDS,
        *_FILLERS,
        *_COURTESY,
        *_GREETINGS,
        *_PARK_PREFIXES,
        *_KEYWORDS,
        *_UNTIL_BEFORE,
        *_UNTIL_AFTER,
    }
)

# --------------------------------------------------------------------------
# Regular expressions (all applied to upper-case tokens)
# --------------------------------------------------------------------------

_L = "A-ZÅÄÖÜ"
_DIGITS_RE = re.compile(r"\d+")
_INT_RE = re.compile(r"-?\d+")
_LETTERS_RE = re.compile(rf"[{_L}]+")
_CHOICE_RE = re.compile(r"[1-9]")
_DIGITS_THEN_LETTERS_RE = re.compile(rf"\d+[{_L}]+")
_ZONE_DIGITS_RE = re.compile(r"\d{1,5}")
_ZONE_CODE_RE = re.compile(rf"[{_L}0-9]{{1,5}}")
#: second half of a plate typed with a space: "123", "12D" (Swedish)
_PLATE_TAIL_RE = re.compile(rf"\d{{1,3}}[{_L}]?")
#: tokens that keep inner '.', ',', ':', '/' (durations, dates, time ranges)
_NUMERIC_KEEP_RES = (
    re.compile(rf"-?\d{{1,3}}[.,:]\d{{1,2}}[{_L}]*"),
    re.compile(r"\d{1,2}(?:[:.]\d{2})?-\d{1,2}(?:[:.]\d{2})?"),
    re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}"),
    re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?"),
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}"),
)
_NUMBER_UNIT_RE = re.compile(rf"(-?\d+(?:[.,]\d+)?)([{_L}]+)")
_GLUED_HM_RE = re.compile(r"(-?\d+)(?:H|T|TIM)(\d{1,2})(?:M|MIN)?")
_COLON_RE = re.compile(r"(-?\d+):(\d{1,2})")
_DECIMAL_RE = re.compile(r"(-?\d+)[.,](\d+)")
_TIME_RANGE_RE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?-(\d{1,2})(?:[:.](\d{2}))?")
_DATE_RES = (
    re.compile(r"\d{1,2}\.\d{1,2}(?:\.(?:\d{2}|\d{4}))?"),
    re.compile(r"\d{1,2}/\d{1,2}(?:/(?:\d{2}|\d{4}))?"),
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}"),
)

# --------------------------------------------------------------------------
# Cleaning and tokenising
# --------------------------------------------------------------------------

#: Unicode categories turned into a token separator (emoji, symbols, quotes,
#: brackets, controls, unassigned/private).
_SEPARATOR_CATEGORIES = frozenset(
    {"So", "Sk", "Sm", "Sc", "Cc", "Co", "Cn", "Cs", "Pi", "Pf", "Ps", "Pe", "Zl", "Zp"}
)
#: Unicode categories dropped without a trace (variation selectors, joiners).
_DROP_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


#: markup some phone apps and copy-paste leave in a text: "<b>2h</b>"
_MARKUP_RE = re.compile(r"</?[A-Za-z][^<>]{0,20}>")
#: an arrow before an end time: "ABC-123 101 -> 18"
_ARROW_RE = re.compile(r"[-\u2010-\u2015\u2212=]+>|[\u2192\u21d2\u2794\u279c\u27f6]")


def _clean(body: str) -> str:
    """NFKC-normalise, drop markup, read arrows as TILL, map dashes to '-',
    symbols/emoji/quotes to spaces."""
    text = unicodedata.normalize("NFKC", body)
    text = _MARKUP_RE.sub(" ", text)
    text = _ARROW_RE.sub(" TILL ", text)
    out: list[str] = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
        elif is_dash(ch):
            out.append("-")
        else:
            category = unicodedata.category(ch)
            if category in _DROP_CATEGORIES:
                continue
            out.append(" " if category in _SEPARATOR_CATEGORIES else ch)
    return "".join(out)


@dataclass(frozen=True)
class _Tok:
    """One token: as typed (after cleaning) and in upper case."""

    raw: str
    up: str


def _is_token_char(ch: str) -> bool:
    return ch.isalnum() or ch == "-"


def _split_word(word: str) -> list[str]:
    """Split one whitespace-delimited word into tokens (see module docstring)."""
    # Strip surrounding punctuation, but keep a leading '-' before a digit
    # (negative durations must be seen to be rejected).
    start, end = 0, len(word)
    while start < end and not word[start].isalnum():
        if word[start] == "-" and start + 1 < end and word[start + 1].isdigit():
            break
        start += 1
    while end > start and not word[end - 1].isalnum():
        end -= 1
    core = word[start:end]
    if not core:
        return []
    upper = core.upper()
    if any(pattern.fullmatch(upper) for pattern in _NUMERIC_KEEP_RES):
        return [core]
    parts: list[str] = []
    current: list[str] = []
    for ch in core:
        if _is_token_char(ch):
            current.append(ch)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return [p for p in parts if p.strip("-")]


def _is_clock(text: str) -> bool:
    return re.fullmatch(r"\d{1,2}(?:[:.]\d{2})?", text) is not None


def _strip_punct(word: str) -> str:
    return word.strip("".join(ch for ch in set(word) if not _is_token_char(ch)))


def _dash_joinable(left: str, right: str) -> bool:
    """True when ``left - right`` is a plate (1-3 letters, then a digit) or a clock range."""
    left, right = _strip_punct(left), _strip_punct(right)
    if not left or not right:
        return False
    if _LETTERS_RE.fullmatch(left.upper()) and len(left) <= 3 and right[0].isdigit():
        return True
    return _is_clock(left) and _is_clock(right)


def _merge_dashes(words: list[str]) -> list[str]:
    """Re-join whitespace-separated words around a dash.

    ``ABC - 123`` / ``ABC- 123`` / ``ABC -123`` -> ``ABC-123`` (1-3 letters
    then a digit), ``10 - 12`` / ``10:00 - 12:00`` -> one time-range word.
    Any other spacing around dashes is left alone (``101 -2h`` stays a
    negative duration).
    """
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        word = words[i]
        nxt = words[i + 1] if i + 1 < n else None
        after = words[i + 2] if i + 2 < n else None
        if (
            nxt is not None
            and after is not None
            and not nxt.strip("-")
            and _dash_joinable(word, after)
        ):
            words[i + 2] = f"{word}-{after}"
            i += 2
            continue
        if (
            nxt is not None
            and word.endswith("-")
            and word.strip("-")
            and _dash_joinable(word.rstrip("-"), nxt)
        ):
            words[i + 1] = word + nxt
            i += 1
            continue
        if (
            nxt is not None
            and nxt.startswith("-")
            and nxt.strip("-")
            and _dash_joinable(word, nxt.lstrip("-"))
        ):
            words[i + 1] = word + nxt
            i += 1
            continue
        out.append(word)
        i += 1
    return out


_GLUED_WORD_NUMBER_RE = re.compile(rf"([{_L}]{{3,}})(\d[{_L}0-9.,:]*)")


def _unglue(raw: str) -> list[str]:
    """Split a keyword or zone word glued to its number: ``jatka30``, ``alue101``.

    A token that starts with a keyword and goes on with a number (``JATKA30``,
    ``jatka1h``) is the keyword, never a plate: plates have at most three letters
    before the digits, so only words of four letters or more are split (``ZON12`` may be
    a Swedish plate and stays whole).
    """
    glued = _GLUED_WORD_NUMBER_RE.fullmatch(raw.upper())
    if glued is None or len(raw) != len(raw.upper()):
        return [raw]
    word = glued.group(1)
    if len(word) >= 4 and (word in _KEYWORDS or word in _ZONE_WORDS):
        return [raw[: len(word)], raw[len(word) :]]
    return [raw]


def _tokenize(cleaned: str) -> list[_Tok]:
    """Split a cleaned message into tokens (see module docstring, step 3)."""
    raw_tokens: list[str] = []
    for word in _merge_dashes(cleaned.split()):
        for part in _split_word(word):
            raw_tokens.extend(_unglue(part))
    return [_Tok(raw, raw.upper()) for raw in raw_tokens]


# --------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------


class _Bad(enum.Enum):
    """Marker for a duration-shaped text whose value is not acceptable."""

    BAD = "bad"


_BAD = _Bad.BAD
_DurationValue: TypeAlias = int | _Bad


def _checked(minutes: float) -> _DurationValue:
    value = round(minutes)
    if value <= 0 or value > MAX_DURATION_MINUTES:
        return _BAD
    return value


def _bare_number_minutes(text: str) -> _DurationValue | None:
    """Apply the bare-number rule to one token; None when it is not a number."""
    if _INT_RE.fullmatch(text):
        n = int(text)
        if 1 <= n <= 12:
            return n * 60
        if 13 <= n <= 1440:
            return n
        return _BAD
    colon = _COLON_RE.fullmatch(text)
    if colon:
        return _hours_minutes(colon.group(1), colon.group(2))
    decimal = _DECIMAL_RE.fullmatch(text)
    if decimal:
        whole, frac = decimal.groups()
        if len(frac) == 2 and int(frac) < 60:
            return _hours_minutes(whole, frac)
        return _checked(float(f"{whole}.{frac}") * 60)
    return None


def _hours_minutes(hours: str, minutes: str) -> _DurationValue:
    if int(minutes) >= 60 or hours.startswith("-"):
        return _BAD
    return _checked(int(hours) * 60 + int(minutes))


def _number(text: str) -> float | None:
    if re.fullmatch(r"-?\d+(?:[.,]\d+)?", text) is None:
        return None
    return float(text.replace(",", "."))


@dataclass
class _DurationMatch:
    value: _DurationValue
    consumed: int
    language: str | None


def _match_unit_component(
    toks: Sequence[_Tok], i: int
) -> tuple[float, int, int, str | None] | None:
    """Match ``<number><unit>`` or ``<number> <unit>`` at ``i``.

    Returns (amount, minutes per unit, tokens consumed, language) or None.
    """
    if i >= len(toks):
        return None
    up = toks[i].up
    glued = _NUMBER_UNIT_RE.fullmatch(up)
    if glued and glued.group(2) in _UNITS:
        per_unit, lang = _UNITS[glued.group(2)]
        return float(glued.group(1).replace(",", ".")), per_unit, 1, lang
    amount = _number(up)
    if amount is not None and i + 1 < len(toks) and toks[i + 1].up in _UNITS:
        per_unit, lang = _UNITS[toks[i + 1].up]
        return amount, per_unit, 2, lang
    return None


def _match_duration(toks: Sequence[_Tok], i: int, *, bare: bool) -> _DurationMatch | None:
    """Try to read one duration starting at token ``i``.

    Forms: ``2h``, ``2 h``, ``1.5h``, ``1,5 h``, ``90min``, ``1h30``,
    ``1h 30min``, ``1 tunti 30 minuuttia``, ``1:30``, ``1.30``/``1,5`` (bare
    decimals), an optional ``for`` in front; with ``bare=True`` also a bare
    integer (see the bare-number rule). Returns None when the tokens at ``i``
    are not a duration.
    """
    n = len(toks)
    if i >= n:
        return None
    if toks[i].up == "FOR":
        inner = _match_duration(toks, i + 1, bare=True)
        if inner is None:
            return None
        return _DurationMatch(inner.value, inner.consumed + 1, inner.language or "en")

    for words, minutes, language in _WORD_DURATIONS:
        if tuple(t.up for t in toks[i : i + len(words)]) == words:
            return _DurationMatch(minutes, len(words), language)

    up = toks[i].up
    glued_hm = _GLUED_HM_RE.fullmatch(up)
    if glued_hm:
        return _DurationMatch(_hours_minutes(glued_hm.group(1), glued_hm.group(2)), 1, None)

    first = _match_unit_component(toks, i)
    if first is not None:
        amount, per_unit, consumed, lang = first
        total = amount * per_unit
        # "1h 30min", "1 tunti 30 minuuttia": a minutes part after whole hours
        if per_unit == 60 and amount == int(amount) and amount >= 0:
            second = _match_unit_component(toks, i + consumed)
            if second is not None and second[1] == 1 and second[0] >= 0:
                total += second[0]
                consumed += second[2]
                lang = lang or second[3]
        if amount < 0:
            return _DurationMatch(_BAD, consumed, lang)
        return _DurationMatch(_checked(total), consumed, lang)

    # Bare colon/decimal forms are unambiguous durations anywhere.
    if _COLON_RE.fullmatch(up) or _DECIMAL_RE.fullmatch(up):
        value = _bare_number_minutes(up)
        if value is not None:
            return _DurationMatch(value, 1, None)
    if bare and _INT_RE.fullmatch(up):
        value = _bare_number_minutes(up)
        if value is not None:
            return _DurationMatch(value, 1, None)
    return None


def parse_duration(text: str) -> int | None:
    """Parse a whole text as a duration; return minutes, or None.

    Accepts every form :func:`parse_sms` accepts (``2h``, ``2 t``,
    ``90 min``, ``1h30``, ``1 h 30 min``, ``1:30``, ``1,5 h``, ``for 2
    hours``, ``2 tuntia``, ``2 timmar``, ``1 day`` ...), case-insensitively,
    including a bare number under the bare-number rule (1..12 -> hours,
    13..1440 -> minutes). Returns None when the text is not a duration or
    when its value is not within 1 minute .. 7 days, so a returned value is
    always valid. Never raises.
    """
    toks = _tokenize(_clean(text))
    if not toks:
        return None
    match = _match_duration(toks, 0, bare=True)
    if match is None or match.consumed != len(toks) or isinstance(match.value, _Bad):
        return None
    return match.value


# --------------------------------------------------------------------------
# Slot scanning (plate / zone / duration / date / time range)
# --------------------------------------------------------------------------


_CLOCK_TOKEN_RE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(AM|PM)?")
#: below this hour an unmarked ``H:MM`` is a duration (``1:30``), from it a clock time
CLOCK_FROM_HOUR = 5


def _clock_at(toks: Sequence[_Tok], i: int, *, marked: bool) -> tuple[str | _Bad, int] | None:
    """Read a clock time at ``i``; return ("HH:MM" or _BAD, tokens consumed) or None.

    Forms: ``18``, ``18:00``, ``18.30``, ``6pm``, ``6 pm``, ``6:30pm``. Without a
    marker word (``marked=False``) only ``H:MM``/``H.MM`` with H >= 5 and the am/pm
    forms are clock times (see the module docstring).
    """
    if i >= len(toks):
        return None
    m = _CLOCK_TOKEN_RE.fullmatch(toks[i].up)
    if m is None:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    consumed = 1
    if half is None and i + 1 < len(toks) and toks[i + 1].up in ("AM", "PM"):
        half, consumed = toks[i + 1].up, 2
    if half is None and not marked and (m.group(2) is None or hour < CLOCK_FROM_HOUR):
        return None
    if half is not None:
        if not 1 <= hour <= 12 or minute > 59:
            return _BAD, consumed
        hour = hour % 12 + (12 if half == "PM" else 0)
    elif hour > 24 or minute > 59 or (hour == 24 and minute):
        return _BAD, consumed
    return f"{hour % 24:02d}:{minute:02d}", consumed


def _match_until(toks: Sequence[_Tok], i: int) -> tuple[str | _Bad, int, str | None] | None:
    """Read an end clock time at ``i``: ``till 18``, ``klo 17 asti``, ``17 asti``, ``17:30``.

    Returns (value, tokens consumed, language revealed) or None.
    """
    up = toks[i].up
    language: str | None = None
    start = i
    if up in _UNTIL_BEFORE:
        language = _UNTIL_BEFORE[up]
        start = i + 1
        found = _clock_at(toks, start, marked=True)
    else:
        plain = _clock_at(toks, i, marked=True)
        after = i + plain[1] if plain is not None else i
        if plain is not None and after < len(toks) and toks[after].up in _UNTIL_AFTER:
            found = plain
        else:
            found = _clock_at(toks, i, marked=False)
    if found is None:
        return None
    value, consumed = found
    end = start + consumed
    if end < len(toks) and toks[end].up in _UNTIL_AFTER:
        language = language or _UNTIL_AFTER[toks[end].up]
        end += 1
    return value, end - i, language


class _Mode(enum.Enum):
    PARK = "park"  # first 1-5 digit number = zone, later ones = duration
    EXTEND = "extend"  # every bare number = duration
    BOOK = "book"  # first 1-5 digit number = zone; dates and time ranges


@dataclass
class _Scan:
    plates: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    durations: list[_DurationValue] = field(default_factory=list)
    untils: list[str | _Bad] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    ranges: list[tuple[str, str] | None] = field(default_factory=list)
    zone_word_without_code: bool = False
    leftovers: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)

    def hint(self, language: str | None) -> None:
        if language is not None:
            self.languages.append(language)

    @property
    def found_anything(self) -> bool:
        return bool(
            self.plates
            or self.zones
            or self.durations
            or self.untils
            or self.zone_word_without_code
        )


def _is_date(up: str) -> bool:
    return up in _DATE_WORDS or any(p.fullmatch(up) for p in _DATE_RES)


def _time_range(up: str) -> tuple[str, str] | _Bad | None:
    """Return (from, to) as zero-padded HH:MM, _BAD for an invalid range, None if no range."""
    m = _TIME_RANGE_RE.fullmatch(up)
    if m is None:
        return None
    h1, m1, h2, m2 = int(m.group(1)), int(m.group(2) or 0), int(m.group(3)), int(m.group(4) or 0)
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        return _BAD
    if (h1 == 24 and m1) or (h2 == 24 and m2) or (h1, m1) >= (h2, m2):
        return _BAD
    return f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"


def _is_zone_like(tok: _Tok | None, known: frozenset[str]) -> bool:
    if tok is None:
        return False
    return bool(_ZONE_DIGITS_RE.fullmatch(tok.up)) or tok.up in known or tok.up in _ZONE_WORDS


def _spaced_plate(toks: Sequence[_Tok], i: int, known: frozenset[str], scan: _Scan) -> str | None:
    """Return the display form of a plate typed as two tokens (``ABC 123``) at ``i``.

    The first token must be 1-3 letters that are not a reserved word, the
    second 1-3 digits optionally followed by one letter (``ABC 12D``). If
    the first token is a known zone, it is taken as a plate only when it is
    followed by another zone-like token and no zone has been seen yet.
    """
    if i + 1 >= len(toks):
        return None
    head, tail = toks[i], toks[i + 1]
    if not (_LETTERS_RE.fullmatch(head.up) and len(head.up) <= 3):
        return None
    if head.up in _NOT_PLATE_START or not _PLATE_TAIL_RE.fullmatch(tail.up):
        return None
    # "2 h" is a duration even if a spaced plate could start before it.
    if i + 2 < len(toks) and toks[i + 2].up in _UNITS and _DIGITS_RE.fullmatch(tail.up):
        return None
    if head.up in known:
        following = toks[i + 2] if i + 2 < len(toks) else None
        if scan.zones or not _is_zone_like(following, known):
            return None
    candidate = f"{head.raw} {tail.raw}"
    return display_plate(candidate) if looks_like_plate(candidate) else None


def _scan(toks: Sequence[_Tok], known: frozenset[str], mode: _Mode) -> _Scan:
    """Classify tokens left to right into slots (see module docstring)."""
    scan = _Scan()
    i = 0
    n = len(toks)
    while i < n:
        tok = toks[i]
        up = tok.up
        nxt = toks[i + 1] if i + 1 < n else None

        if up in _COURTESY:
            scan.hint(_COURTESY[up])
            i += 1
            continue
        if up in _ZONE_WORDS:
            scan.hint(_ZONE_WORDS[up])
            if nxt is not None and (
                nxt.up in known or (_ZONE_CODE_RE.fullmatch(nxt.up) and nxt.up not in _UNITS)
            ):
                scan.zones.append(nxt.up)
                i += 2
            else:
                scan.zone_word_without_code = True
                i += 1
            continue
        if mode is not _Mode.BOOK:
            until = _match_until(toks, i)
            if until is not None:
                scan.untils.append(until[0])
                scan.hint(until[2])
                i += until[1]
                continue
            if up in _UNTIL_BEFORE or up in _UNTIL_AFTER:
                i += 1  # "till" without a time: "parkera ABC-123 till zon 101"
                continue
        if mode is _Mode.BOOK:
            if _is_date(up):
                scan.dates.append(tok.raw)
                i += 1
                continue
            rng = _time_range(up)
            if rng is not None:
                scan.ranges.append(None if isinstance(rng, _Bad) else rng)
                i += 1
                continue
        plate = _spaced_plate(toks, i, known, scan)
        if plate is not None:
            scan.plates.append(plate)
            i += 2
            continue
        if up in known:
            scan.zones.append(up)
            i += 1
            continue
        # A duration with a unit or in H:MM form wins over a zone: "2 h 101".
        match = None if mode is _Mode.BOOK else _match_duration(toks, i, bare=False)
        if match is None:
            digits_only = _DIGITS_RE.fullmatch(up) is not None
            if digits_only and mode is not _Mode.EXTEND and not scan.zones and len(up) <= 5:
                scan.zones.append(up)
                i += 1
                continue
            if mode is not _Mode.BOOK:
                match = _match_duration(toks, i, bare=True)
        if match is not None:
            scan.durations.append(match.value)
            scan.hint(match.language)
            i += match.consumed
            continue
        if looks_like_plate(up) and not (scan.plates and _DIGITS_THEN_LETTERS_RE.fullmatch(up)):
            # (a digits-then-letters token after a plate, like "2x", is a
            # mistyped duration rather than a second, digit-first plate)
            scan.plates.append(display_plate(tok.raw))
            i += 1
            continue
        if up in _FILLERS:
            i += 1
            continue
        scan.leftovers.append(tok.raw)
        i += 1
    return scan


# --------------------------------------------------------------------------
# Intent builders
# --------------------------------------------------------------------------


def _first(items: Sequence[str]) -> str | None:
    return items[0] if items else None


def _language(*hints: str | None, scan: _Scan | None = None) -> str | None:
    for hint in hints:
        if hint is not None:
            return hint
    if scan is not None and scan.languages:
        return scan.languages[0]
    return None


def _duration_slot(scan: _Scan) -> tuple[int | None, str | None, bool]:
    """Return (minutes or None, until "HH:MM" or None, is_bad) for the duration slot."""
    if len(scan.durations) + len(scan.untils) > 1:
        return None, None, True
    if scan.durations:
        value = scan.durations[0]
        return (None, None, True) if isinstance(value, _Bad) else (value, None, False)
    if scan.untils:
        until = scan.untils[0]
        return (None, None, True) if isinstance(until, _Bad) else (None, until, False)
    return None, None, False


def _parse_park(
    toks: Sequence[_Tok], known: frozenset[str], prefix_language: str | None, has_prefix: bool
) -> ParsedMessage:
    scan = _scan(toks, known, _Mode.PARK)
    if not has_prefix and not scan.found_anything:
        return ParsedMessage(Intent.UNKNOWN, language=_language(scan=scan), problem="unrecognised")
    minutes, until, bad_duration = _duration_slot(scan)
    plate = _first(scan.plates)
    zone = _first(scan.zones)
    problem: str | None = None
    if len(scan.plates) > 1:
        problem = "multiple_plates"
    elif bad_duration:
        problem = "bad_duration"
    elif zone is None:
        problem = "no_zone"
    elif scan.leftovers:
        if plate is None:
            problem = "bad_plate"
        elif not scan.durations and not scan.untils:
            problem = "bad_duration"
        else:
            problem = "extra_text"
    return ParsedMessage(
        Intent.PARK,
        language=_language(prefix_language, scan=scan),
        plate=plate,
        zone=zone,
        duration_minutes=minutes,
        until_time=until,
        problem=problem,
    )


def _parse_extend(
    toks: Sequence[_Tok], known: frozenset[str], language: str | None
) -> ParsedMessage:
    scan = _scan(toks, known, _Mode.EXTEND)
    minutes, until, bad = _duration_slot(scan)
    problem: str | None = None
    if bad:
        problem = "bad_duration"
    elif minutes is None and until is None:
        problem = "extend_no_duration"
    elif len(scan.plates) > 1:
        problem = "multiple_plates"
    return ParsedMessage(
        Intent.EXTEND,
        language=_language(language, scan=scan),
        plate=_first(scan.plates),
        zone=_first(scan.zones),
        duration_minutes=minutes,
        until_time=until,
        problem=problem,
    )


def _parse_simple(
    intent: Intent, toks: Sequence[_Tok], known: frozenset[str], language: str | None
) -> ParsedMessage:
    """STOP, STATUS, RECEIPT, HELP: an optional plate (and zone); other words ignored."""
    if intent is Intent.HELP:
        return ParsedMessage(intent, language=language)
    scan = _scan(toks, known, _Mode.PARK)
    return ParsedMessage(
        intent,
        language=_language(language, scan=scan),
        plate=_first(scan.plates),
        zone=_first(scan.zones),
        problem="multiple_plates" if len(scan.plates) > 1 else None,
    )


def _parse_language(toks: Sequence[_Tok], language: str | None) -> ParsedMessage:
    for tok in toks:
        if tok.up in _LANGUAGE_ARGS:
            return ParsedMessage(
                Intent.LANGUAGE, language=language, target_language=_LANGUAGE_ARGS[tok.up]
            )
    return ParsedMessage(Intent.LANGUAGE, language=language, problem="bad_language")


def _parse_book(toks: Sequence[_Tok], known: frozenset[str], language: str | None) -> ParsedMessage:
    scan = _scan(toks, known, _Mode.BOOK)
    rng = scan.ranges[0] if scan.ranges else None
    problem: str | None = None
    if not scan.zones:
        problem = "no_zone"
    elif not scan.dates:
        problem = "no_date"
    elif rng is None:
        problem = "bad_time"
    elif len(scan.plates) > 1:
        problem = "multiple_plates"
    return ParsedMessage(
        Intent.BOOK,
        language=_language(language, scan=scan),
        plate=_first(scan.plates),
        zone=_first(scan.zones),
        booking_date=_first(scan.dates),
        booking_from=rng[0] if rng else None,
        booking_to=rng[1] if rng else None,
        problem=problem,
    )


def _parse_unbook(toks: Sequence[_Tok], language: str | None) -> ParsedMessage:
    for tok in toks:
        if tok.up not in _COURTESY and tok.up not in _FILLERS:
            return ParsedMessage(Intent.UNBOOK, language=language, booking_ref=tok.up)
    return ParsedMessage(Intent.UNBOOK, language=language, problem="no_booking_ref")


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def _whole_word(cleaned: str) -> str | None:
    """The message as one upper-case word without trailing punctuation, or None."""
    stripped = cleaned.strip()
    while stripped and not stripped[-1].isalnum():
        stripped = stripped[:-1].rstrip()
    while stripped and not stripped[0].isalnum():
        stripped = stripped[1:].lstrip()
    if not stripped or any(ch.isspace() for ch in stripped):
        return None
    return stripped.upper()


def _strip_courtesy(toks: list[_Tok]) -> tuple[list[_Tok], str | None]:
    """Drop greetings/courtesy words at both ends; return (tokens, language hint)."""
    hint: str | None = None
    start, end = 0, len(toks)
    while start < end and (toks[start].up in _GREETINGS or toks[start].up in _COURTESY):
        up = toks[start].up
        hint = hint or _GREETINGS.get(up) or _COURTESY.get(up)
        start += 1
    while end > start and toks[end - 1].up in _COURTESY:
        hint = hint or _COURTESY[toks[end - 1].up]
        end -= 1
    return toks[start:end], hint


def parse_sms(body: str, known_zones: Collection[str] = ()) -> ParsedMessage:
    """Parse one incoming SMS body into a :class:`ParsedMessage`.

    ``known_zones`` holds zone codes (any case); they let letter or
    letter+digit zone codes (``KT``, ``A1``) be recognised, and a token in
    it is a zone, never a plate. 1-5 digit tokens are zones without it.

    Contract highlights (the full list of accepted forms is in the module
    docstring and the test table):

    * ``STOP``/``END``/``CANCEL``/``QUIT``/``STOPALL``/``UNSUBSCRIBE`` are
      opt-out only as the whole message, and never stop a parking (the one
      exception: the phrase ``end parking``); ``LOPETA``/``SLUTA``/``DONE``/
      ``LEAVE`` and their synonyms (``AVSLUTA``, ``STOPP``, ``LOPPU`` ...) stop
      a parking.
    * ``until_time`` is "HH:MM" when the end was given as a clock time.
    * ``plate`` is always the display form (:func:`display_plate`) of what was
      typed; ``zone`` is upper case; ``duration_minutes`` is within
      1..10080 or None.
    * ``language`` is "fi"/"sv"/"en" when a word revealed it (the first such
      word wins), else None.

    Never raises; runs in well under a millisecond for SMS-sized input.
    """
    known = frozenset(z.strip().upper() for z in known_zones if z.strip())
    cleaned = _clean(body)
    if not cleaned.strip():
        invisible = all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in body)
        return ParsedMessage(Intent.UNKNOWN, problem="empty" if invisible else "unrecognised")
    if set(cleaned.strip()) <= {"?", " "}:
        return ParsedMessage(Intent.HELP)

    word = _whole_word(cleaned)
    if word in _OPT_OUT_WORDS:
        return ParsedMessage(Intent.OPT_OUT)
    if word in _OPT_IN_WORDS:
        return ParsedMessage(Intent.OPT_IN)

    all_toks = _tokenize(cleaned)
    if not all_toks:
        return ParsedMessage(Intent.UNKNOWN, problem="unrecognised")
    toks, courtesy_language = _strip_courtesy(all_toks)
    if not toks:
        if all(tok.up in _GREETINGS for tok in all_toks):
            # "Hei" alone: someone new to the service, answer with the help text.
            return ParsedMessage(Intent.HELP, language=courtesy_language)
        return ParsedMessage(Intent.UNKNOWN, language=courtesy_language, problem="courtesy")
    result = _parse_tokens(toks, known)
    if result.language is None and courtesy_language is not None:
        result = replace(result, language=courtesy_language)
    return result


def _parse_tokens(toks: list[_Tok], known: frozenset[str]) -> ParsedMessage:
    """Parse a non-empty token list without edge courtesy words."""

    head = toks[0].up
    phrase = (head, toks[1].up) if len(toks) > 1 else None
    if phrase in _KEYWORD_PHRASES:
        intent, language = _KEYWORD_PHRASES[phrase]
        return _parse_keyword(intent, language, toks[2:], known)
    if head in _OPT_OUT_WORDS or head in _OPT_IN_WORDS:
        return ParsedMessage(Intent.UNKNOWN, problem="opt_out_word")

    if len(toks) == 1:
        if head in _YES_WORDS:
            return ParsedMessage(Intent.YES, language=_YES_WORDS[head])
        if head in _NO_WORDS:
            return ParsedMessage(Intent.NO, language=_NO_WORDS[head])
        if _CHOICE_RE.fullmatch(head):
            return ParsedMessage(Intent.CHOICE, choice=int(head))
        if head in _LANGUAGE_NAMES:
            return ParsedMessage(Intent.LANGUAGE, target_language=_LANGUAGE_ARGS[head])

    rest = toks[1:]
    if head in _KEYWORDS:
        intent, language = _KEYWORDS[head]
        return _parse_keyword(intent, language, rest, known)

    if head in _PARK_PREFIXES and head not in known:
        return _parse_park(rest, known, _PARK_PREFIXES[head], has_prefix=True)
    return _parse_park(toks, known, None, has_prefix=False)


def _parse_keyword(
    intent: Intent, language: str | None, rest: Sequence[_Tok], known: frozenset[str]
) -> ParsedMessage:
    """Parse the words after a keyword (or two-word keyword phrase)."""
    if intent is Intent.EXTEND:
        return _parse_extend(rest, known, language)
    if intent is Intent.LANGUAGE:
        return _parse_language(rest, language)
    if intent is Intent.BOOK:
        return _parse_book(rest, known, language)
    if intent is Intent.UNBOOK:
        return _parse_unbook(rest, language)
    return _parse_simple(intent, rest, known, language)
