"""Booking messages: the grammar of ``VARAA``/``BOKA``/``BOOK`` and ``SIIRRÄ``/``FLYTTA``/
``MOVE``, and booking references.

Pure: no I/O, no Flask, no database; every function accepts any ``str`` and never raises.
The SMS dialogue calls :func:`parse_booking` or :func:`parse_move` once the message parser
has said the intent is to book or to move (the keyword may be left in the text).

What a booking message may hold, in any order, in Finnish, Swedish or English
------------------------------------------------------------------------------
* **zone**: a 1-5 digit code (``101``), a code from ``known_zones`` (``EV1``), or any code
  after a zone word (``alue 7``, ``zon KT``, ``zone 12``);
* **day**: ``2026-12-03``, ``3.12.``, ``3.12.2026``, ``3.12.26``, ``3/12``, ``3/12/2026``,
  ``3 dec``, ``3. joulukuuta``, ``december 3rd``; today/tomorrow/the day after
  (``tänään``, ``huomenna``, ``ylihuomenna``, ``idag``, ``i morgon``, ``i övermorgon``,
  ``today``, ``tomorrow``, ``day after tomorrow`` and common misspellings); a weekday, full,
  inflected or abbreviated (``maanantaina``, ``ti``, ``på måndag``, ``tis``, ``monday``,
  ``mon``), optionally after ``ensi``/``nästa``/``next``;
* **times**: a range (``10-12``, ``klo 10–12``, ``10:30-12``, ``10.30-12.00``, ``kl 10 - 12``,
  ``from 10 to 12``, ``från 10 till 12``, ``mellan 10 och 12``, ``between 10 and 12``,
  ``10:stä 12:een``, ``klo 10 alkaen 12 asti``, ``2-4pm``), or a start and a duration
  (``10 2h``, ``klo 10 2 tuntia``, ``kl 10 i 2 timmar``, ``at 10 for 90 min``,
  ``klo 10 alkaen kahdeksi tunniksi``), or a start alone (one slot: the caller's default);
* **plate**: anything :func:`~app.domain.plates.looks_like_plate` accepts, also typed with
  a space (``ABC 123``) or a Finnish case ending (``ABC-123:lle``).

Everything else without digits (greetings, ``please``, ``haluaisin varata``) is ignored
and listed in :attr:`BookingRequest.ignored`; unread text *with* digits is a problem.

Decisions
---------
* Days are relative to the ``today`` given (the local date in ``APP_TIMEZONE``). A weekday
  name means the nearest such day *including today* (``perjantaina`` sent on a Friday is
  today): the reply shows the date, and a driver who meant next week sees it at once, while
  one who meant today and got next week might not. ``ensi``/``nästa``/``next`` + weekday is
  the nearest such day after today.
* A day and month without a year is the next such date, unless it was at most 31 days ago:
  then it is that past date, and the answer is ``date_in_past`` (someone who writes
  ``1.12.`` on 3 December made a mistake; they are not booking for next December).
* The Finnish abbreviation ``to`` (Thursday) is a weekday only before a time or at the end,
  and never in a message whose keyword is English (``MOVE ref to friday``); between two
  times (``10 to 12``) it joins them.
* A bare number is a time when something says so (``klo``/``kl``/``at``/``from``, a dash or
  ``to`` towards another time, ``asti``/``alkaen``, ``am``/``pm``, a following duration),
  otherwise the first bare number is the zone (preferring one that cannot be an hour:
  ``huomenna 10 101`` is zone 101 at 10) and a later one the start.
* ``H.MM`` that is both a date and a time (``3.12``) is a time next to other time words,
  else a date when the message has no other day, else a time. Write dates with the final
  dot (``3.12.``) to be sure.
* An end before the start is, in a message that is not Finnish or Swedish, an afternoon
  hour when that makes sense (``9-5`` is 09-17, ``12-2`` is 12-14: English clocks run to
  12); otherwise it is the next morning if that makes at most 12 hours (``22-6``); anything
  else (``10-10``, ``varaa 12-10``) is ``bad_time``. ``24`` is midnight as an end.
* A number right after ``klo``/``kl``/``at`` is a time even before a unit (``klo 10
  tunniksi`` is at 10 for an hour); one that cannot be an hour there (``klo 25``) is
  ``bad_time``, not a zone; four digits there are ``HHMM`` (``klo 1030``).
* ``10 asti 12`` ("until 10, 12") is not read as 10-12: ``asti`` marks an end, so it is
  ``bad_time``; ``klo 10 alkaen 12 asti`` and ``10-12`` are the forms people use.
* Not read: number words other than in durations (``kymmeneltä``), ``now``/``nyt``/``nu``,
  ``all day``. Those messages get a problem or no times (then the reply lists free times).

Booking references
------------------
Six characters from :data:`REF_ALPHABET`: consonants and digits without 0/O, 1/I/L and
without vowels, so a reference is never misread and never spells a word in fi/sv/en
(27**6, about 387 million references). :func:`normalize_booking_ref` accepts lower case,
spaces and dashes (``k7m 2qx``).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Final

from app.domain.booking_policy import TimeRange
from app.domain.plates import display_plate, is_dash, looks_like_plate
from app.domain.pricing import END_OF_DAY

__all__ = [
    "BOOKING_PROBLEMS",
    "REF_ALPHABET",
    "REF_LENGTH",
    "BookingProblem",
    "BookingRequest",
    "MoveRequest",
    "new_booking_ref",
    "normalize_booking_ref",
    "parse_booking",
    "parse_move",
]

# ------------------------------------------------------------------------- references

REF_ALPHABET: Final = "BCDFGHJKMNPQRSTVWXZ23456789"
"""Characters of a booking reference: no 0/O, 1/I/L, and no vowels (no words)."""
REF_LENGTH: Final = 6
_REF_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def new_booking_ref(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A new booking reference: :data:`REF_LENGTH` characters of :data:`REF_ALPHABET`.

    ``randbelow(n)`` must return an int in ``0 .. n-1`` (default: :func:`secrets.randbelow`;
    tests pass their own). Uniqueness is the caller's: retry on a clash.
    """
    return "".join(REF_ALPHABET[randbelow(len(REF_ALPHABET))] for _ in range(REF_LENGTH))


def normalize_booking_ref(text: str) -> str | None:
    """The canonical reference written in ``text`` (upper case, no spaces or dashes), or
    None when ``text`` is not one. ``normalize_booking_ref(new_booking_ref()) ==`` itself."""
    compact = _REF_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if len(compact) == REF_LENGTH and all(ch in REF_ALPHABET for ch in compact):
        return compact
    return None


# ----------------------------------------------------------------------------- results

BOOKING_PROBLEMS: Final = (
    "bad_date",
    "bad_time",
    "unclear",
    "date_in_past",
    "conflicting_dates",
    "multiple_times",
    "multiple_zones",
    "multiple_plates",
    "zone_change",
    "no_ref",
    "no_zone",
    "no_date",
    "no_start_time",
    "no_new_time",
)
"""Every problem code, in the order of precedence of :attr:`BookingProblem.code`:

* ``bad_date``: a date that does not exist (``31.2.``, ``2026-13-01``); ``text``;
* ``bad_time``: an impossible time or range (``25-27``, ``10-10``, ``12 asti``... ); ``text``;
* ``unclear``: text with digits that is none of the parts (``text``);
* ``date_in_past``: a date before today (``day`` is it);
* ``conflicting_dates``: two different days (``tomorrow 24.12.``);
* ``multiple_times``: more than one time range or duration;
* ``multiple_zones``, ``multiple_plates``: more than one (the first one is kept);
* ``zone_change`` (move): a zone in a move; a move keeps its zone;
* ``no_ref`` (move): no booking reference;
* ``no_zone``, ``no_date`` (book): missing;
* ``no_start_time``: a duration or an end but no start (``huomenna 2h``);
* ``no_new_time`` (move): neither a new day nor new times.
"""


@dataclass(frozen=True)
class BookingRequest:
    """A booking message understood: book ``zone`` on the local date ``day``.

    ``times`` None means "the free times that day". ``plate`` is the display form, None for
    the customer's usual car. ``language`` is ``fi``/``sv``/``en`` when a word revealed it.
    ``ignored`` lists the words without digits that were not used.
    """

    zone: str
    day: date
    times: TimeRange | None = None
    plate: str | None = None
    language: str | None = None
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class MoveRequest:
    """A move understood: booking ``ref`` to ``day`` (None: its own day) at ``times``
    (None: its own times; a start alone keeps its length). At least one of them is set."""

    ref: str
    day: date | None = None
    times: TimeRange | None = None
    language: str | None = None
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class BookingProblem:
    """A booking or move message that cannot be acted on.

    ``code`` is the first of ``problems`` (all found, in the precedence of
    :data:`BOOKING_PROBLEMS`); the other fields are what *was* understood, so that a reply
    can say what is missing and echo the rest. ``text`` is the words not understood.
    """

    code: str
    problems: tuple[str, ...]
    zone: str | None = None
    day: date | None = None
    times: TimeRange | None = None
    duration_minutes: int | None = None
    plate: str | None = None
    ref: str | None = None
    language: str | None = None
    text: str | None = None


# -------------------------------------------------------------------------- vocabulary


def _by_language(**words: str) -> dict[str, str]:
    """``fi="a b", sv="c"`` -> ``{"a": "fi", "b": "fi", "c": "sv"}``."""
    return {word: language for language, text in words.items() for word in text.split()}


def _phrases(**phrases: str) -> dict[tuple[str, ...], str]:
    """``fi="a b|c"`` -> ``{("a", "b"): "fi", ("c",): "fi"}``."""
    return {
        tuple(phrase.split()): language
        for language, text in phrases.items()
        for phrase in text.split("|")
    }


#: today (0), tomorrow (1) and the day after (2), with common misspellings
_DAY_WORDS: Final[dict[tuple[str, ...], tuple[int, str]]] = {
    phrase: (offset, language)
    for offset, table in enumerate(
        (
            _phrases(fi="tänään|tanaan|tänää", sv="idag|i dag|ikväll|i kväll", en="today|tonight"),
            _phrases(
                fi="huomenna|huomena|huomen|huomenaamulla|huomiseksi|huomiselle",
                sv="imorgon|i morgon|imorron|imorrn|i morron",
                en="tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr",
            ),
            _phrases(
                fi="ylihuomenna|ylihuomena|ylihuomiseksi",
                sv="iövermorgon|i övermorgon|i overmorgon|övermorgon|overmorgon",
                en="day after tomorrow|the day after tomorrow|overmorrow",
            ),
        )
    )
    for phrase, language in table.items()
}
_DAY_PHRASE_LENGTHS: Final = sorted({len(k) for k in _DAY_WORDS}, reverse=True)

_WEEKDAY_NAMES: Final = (
    ("fi", "ma maanantai maanantaina maanantaiksi maanantaille"),
    ("fi", "ti tiistai tiistaina tiistaiksi tiistaille"),
    ("fi", "ke keskiviikko keskiviikkona keskiviikoksi keskiviikolle"),
    ("fi", "to torstai torstaina torstaiksi torstaille"),
    ("fi", "pe perjantai perjantaina perjantaiksi perjantaille"),
    ("fi", "la lauantai lauantaina lauantaiksi lauantaille"),
    ("fi", "su sunnuntai sunnuntaina sunnuntaiksi sunnuntaille"),
    ("sv", "mån måndag måndagen mandag"),
    ("sv", "tis tisdag tisdagen"),
    ("sv", "ons onsdag onsdagen"),
    ("sv", "tor tors torsdag torsdagen"),
    ("sv", "fre fredag fredagen"),
    ("sv", "lör lördag lördagen lordag"),
    ("sv", "sön söndag söndagen sondag"),
    ("en", "mon monday"),
    ("en", "tue tues tuesday"),
    ("en", "wed weds wednesday"),
    ("en", "thu thur thurs thursday"),
    ("en", "fri friday"),
    ("en", "sat saturday"),
    ("en", "sun sunday"),
)
#: weekday name -> (weekday, 0 = Monday; language)
_WEEKDAYS: Final[dict[str, tuple[int, str]]] = {
    name: (index % 7, language)
    for index, (language, names) in enumerate(_WEEKDAY_NAMES)
    for name in names.split()
}
_NEXT_WORDS: Final = _by_language(fi="ensi", sv="nästa nasta", en="next")

_MONTHS: Final[dict[str, int]] = {
    name: number
    for number, names in enumerate(
        (
            "jan january januari tammikuuta tammik",
            "feb february februari helmikuuta helmik",
            "mar march mars maaliskuuta maalisk",
            "apr april huhtikuuta huhtik",
            "may maj toukokuuta toukok",
            "jun june juni kesäkuuta kesäk",
            "jul july juli heinäkuuta heinäk",
            "aug august augusti elokuuta elok",
            "sep sept september syyskuuta syysk",
            "oct okt october oktober lokakuuta lokak",
            "nov november marraskuuta marrask",
            "dec december joulukuuta jouluk",
        ),
        start=1,
    )
    for name in names.split()
}

#: words before a start time ("klo 10", "from 10", "between 10 and 12")
_START_MARKERS: Final = _by_language(fi="klo kello", sv="kl från fran mellan", en="at from between")
_AT_SIGN: Final = "@"
_FROM_WORDS: Final = frozenset({"from", "från", "fran"})
#: words after a start time ("klo 10 alkaen") and after an end time ("12 asti")
_START_AFTER: Final = _by_language(fi="alkaen lähtien lahtien")
_END_AFTER: Final = _by_language(fi="asti saakka")
#: words joining a start and an end; "to" is also the Finnish Thursday (see the docstring)
_CONNECTORS: Final = frozenset({"-", "to", "till", "til", "tills", "until", "and", "och", "ja"})
_DURATION_MARKERS: Final = _by_language(sv="i för", en="for")
_AM_PM: Final = {"am": "am", "a.m": "am", "pm": "pm", "p.m": "pm"}
_CLOCK_SUFFIX_START: Final = frozenset({"stä", "sta", "ltä", "lta"})
_CLOCK_SUFFIX_END: Final = frozenset({"een", "ään", "aan", "teen", "iin", "lle", "ksi"})

#: duration unit -> (minutes, language; None when shared)
_UNITS: Final[dict[str, tuple[int, str | None]]] = {
    **{u: (60, None) for u in ("h", "t")},
    **{u: (1, None) for u in ("m", "min", "mins")},
    **{u: (1440, None) for u in ("d",)},
    **{
        unit: (minutes, language)
        for minutes, table in (
            (
                60,
                _by_language(
                    fi="tunti tuntia tunniksi tunnin tuntii tunt",
                    sv="tim timme timmar timmen timma",
                    en="hour hours hr hrs",
                ),
            ),
            (
                1,
                _by_language(
                    fi="minuutti minuuttia minuutiksi minuutin",
                    sv="minut minuter minuten",
                    en="minute minutes",
                ),
            ),
            (
                1440,
                _by_language(
                    fi="pv vrk päivä päivää päiväksi päivän", sv="dag dagar dygn", en="day days"
                ),
            ),
        )
        for unit, language in table.items()
    },
}
#: small numbers spelled out before a unit ("kahdeksi tunniksi", "två timmar")
_NUMBER_WORDS: Final[dict[str, tuple[int, str]]] = {
    word: (number, language)
    for number, table in enumerate(
        (
            _by_language(fi="yksi yhden yhdeksi", sv="en ett", en="one an a"),
            _by_language(fi="kaksi kahden kahdeksi", sv="två tva", en="two"),
            _by_language(fi="kolme kolmen kolmeksi", sv="tre", en="three"),
            _by_language(fi="neljä neljän neljäksi", sv="fyra", en="four"),
        ),
        start=1,
    )
    for word, language in table.items()
}
_WORD_DURATIONS: Final[dict[tuple[str, ...], tuple[int, str]]] = {
    **{p: (60, lang) for p, lang in _phrases(fi="tunniksi|tunnin ajaksi").items()},
    **{
        p: (30, lang)
        for p, lang in _phrases(
            fi="puoleksi tunniksi|puoli tuntia",
            sv="halvtimme|en halvtimme|en halv timme",
            en="half an hour|half hour",
        ).items()
    },
    **{p: (15, lang) for p, lang in _phrases(fi="vartiksi", sv="en kvart").items()},
}
_WORD_DURATION_LENGTHS: Final = sorted({len(k) for k in _WORD_DURATIONS}, reverse=True)

_ZONE_WORDS: Final = _by_language(
    fi="alue alueelle alueella alueen alueeseen vyöhyke vyöhykkeelle vyöhykkeellä p-alue",
    sv="zon zonen",
    en="zone",
)
#: words read only for the language they reveal (keywords, courtesy, small talk)
_KEYWORDS: Final = _by_language(
    fi="varaa varaan varata varaisin varaus siirrä siirra siirtää haluan haluaisin kiitos "
    "hei moi moikka paikka paikan autolle",
    sv="boka bokning flytta vill jag tack hej plats",
    en="book booking move please thanks hello want would like space",
)
#: words that never begin a plate typed with a space ("to 10", "kl 10", "ma 12")
_RESERVED: Final = frozenset(
    {
        *(w for phrase in _DAY_WORDS for w in phrase),
        *(w for phrase in _WORD_DURATIONS for w in phrase),
        *_WEEKDAYS,
        *_NEXT_WORDS,
        *_MONTHS,
        *_START_MARKERS,
        *_START_AFTER,
        *_END_AFTER,
        *_CONNECTORS,
        *_DURATION_MARKERS,
        *_AM_PM,
        *_UNITS,
        *_NUMBER_WORDS,
        *_ZONE_WORDS,
        *_KEYWORDS,
        *["på", "pa", "den", "of", "on", "the"],
    }
)

# ------------------------------------------------------------------------ patterns

_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?(am|pm|a\.m\.?|p\.m\.?)?"
_RANGE_RE: Final = re.compile(rf"{_CLOCK}-{_CLOCK}")
_CLOCK_RE: Final = re.compile(rf"{_CLOCK}(?::([a-zäö]{{1,4}}))?")
_HHMM_RE: Final = re.compile(r"(\d{2})(\d{2})")
_ISO_RE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED_RE: Final = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?")
_SLASHED_RE: Final = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?")
_DOT_PAIR_RE: Final = re.compile(r"(\d{1,2})\.(\d{1,2})")
_ORDINAL_RE: Final = re.compile(r"(\d{1,2})(?:\.|st|nd|rd|th|:e|e)?")
_YEAR_RE: Final = re.compile(r"20\d{2}")
_NUMBER_RE: Final = re.compile(r"\d{1,5}(?:[.,]\d{1,3})?")
_DIGITS_RE: Final = re.compile(r"\d{1,5}")
_GLUED_UNIT_RE: Final = re.compile(r"(\d{1,5}(?:[.,]\d{1,3})?)([a-zäöå]+)")
_GLUED_HM_RE: Final = re.compile(r"(\d{1,3})(?:h|t)(\d{1,2})(?:m|min)?")
_MARKER_GLUED_RE: Final = re.compile(r"(klo|kl\.?|kello|at|@)(\d.*)")
_CASE_ENDING_RE: Final = re.compile(r"(.+?):([a-zäö]{1,4})")
_PLATE_TAIL_RE: Final = re.compile(r"\d{1,3}[a-zåäö]?")
_LETTERS_RE: Final = re.compile(r"[a-zåäöü]{1,3}")
_ZONE_CODE_RE: Final = re.compile(r"[a-z0-9åäö]{1,5}")
_MAX_DURATION_MINUTES: Final = 7 * 24 * 60

# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Tok:
    raw: str
    low: str


def _clean(text: str) -> str:
    """NFKC; dashes to ``-``; keep letters, digits and ``.:/,@``; the rest are spaces."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", text):
        if is_dash(ch):
            out.append("-")
        elif ch.isalnum() or ch in ".:/,@":
            out.append(ch)
        else:
            out.append(" ")
    return "".join(out)


def _split_word(word: str) -> list[str]:
    """One whitespace-separated word as tokens: edge punctuation dropped (a final dot kept
    on ``3.12.``), ``-`` at either edge and a glued marker (``klo10``, ``@10``) split off."""
    word = word.strip(",:/")
    if re.fullmatch(r"\d{1,2}\.\d{1,2}\.", word) is None:
        word = word.rstrip(".,:")
    word = word.lstrip(".,:")
    if not word:
        return []
    head: list[str] = []
    tail: list[str] = []
    while word.startswith("-") and len(word) > 1:
        head.append("-")
        word = word[1:]
    while word.endswith("-") and len(word) > 1:
        tail.append("-")
        word = word[:-1]
    glued = _MARKER_GLUED_RE.fullmatch(word.lower())
    if glued is not None:
        head.append(word[: len(glued.group(1))].rstrip("."))
        word = word[len(glued.group(1)) :]
    return [*head, word, *tail]


def _tokenize(text: str) -> list[_Tok]:
    return [
        _Tok(part, part.lower())
        for word in _clean(text).split()
        for part in _split_word(word)
        if part
    ]


# ---------------------------------------------------------------------------- atoms


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    half: str | None = None  # "am" / "pm"
    role: str | None = None  # "start" / "end", from the words around it


@dataclass
class _Atom:
    """One part of the message: what a run of tokens was read as."""

    kind: str
    text: str
    language: str | None = None
    day: date | None = None
    weekday: int | None = None
    clock: _Clock | None = None
    end_clock: _Clock | None = None
    minutes: int | None = None
    code: str | None = None
    known_zone: bool = False


# Atom kinds
_DAY = "day"
_WEEKDAY = "weekday"
_CLOCK_K = "clock"
_RANGE = "range"
_DURATION = "duration"
_NUMBER = "number"
_AMBIGUOUS = "date_or_time"
_ZONE = "zone"
_PLATE = "plate"
_REF = "ref"
_START = "start_marker"
_START_POST = "start_after"
_END_POST = "end_after"
_CONNECT = "connector"
_FOR = "duration_marker"
_NEXT = "next"
_WORD = "word"
_BAD_DATE = "bad_date"
_BAD_TIME = "bad_time"
_UNCLEAR = "unclear"


def _clock_of(match: re.Match[str], offset: int = 0) -> _Clock:
    hour, minute = int(match.group(1 + offset)), int(match.group(2 + offset) or 0)
    half = match.group(3 + offset)
    return _Clock(hour, minute, None if half is None else ("am" if half[0] == "a" else "pm"))


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) + (2000 if len(text) == 2 else 0)


def _infer_year(month: int, day: int, today: date) -> date | None:
    """Day and month without a year: this year's unless it was more than 31 days ago."""
    this_year = _make_date(today.year, month, day)
    if this_year is not None and (this_year >= today or (today - this_year).days <= 31):
        return this_year
    return _make_date(today.year + 1, month, day) or this_year


def _explicit_date(text: str, today: date) -> _Atom | None:
    """A date token (ISO, dotted with the final dot or a year, slashed); None if no date
    shape; a ``bad_date`` atom for a shape that names no date."""
    iso = _ISO_RE.fullmatch(text)
    if iso is not None:
        found = _make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    else:
        match = _DOTTED_RE.fullmatch(text) or _SLASHED_RE.fullmatch(text)
        if match is None:
            return None
        day, month, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        if year is None:
            found = _infer_year(month, day, today) if 1 <= month <= 12 else None
        else:
            found = _make_date(year, month, day)
    return _Atom(_DAY, text, day=found) if found else _Atom(_BAD_DATE, text)


def _duration_at(toks: Sequence[_Tok], i: int) -> tuple[int, int, str | None] | None:
    """A duration at ``i``: (minutes, tokens used, language). Forms: ``2h``, ``2 h``,
    ``1,5h``, ``1h30``, ``1 h 30 min``, ``90min``, ``2 tuntia``, ``kahdeksi tunniksi``,
    ``puoleksi tunniksi``, ``en halvtimme``, ``half an hour``. Minutes may be out of range
    (the caller checks)."""
    low = toks[i].low
    for length in _WORD_DURATION_LENGTHS:
        phrase = tuple(t.low for t in toks[i : i + length])
        if phrase in _WORD_DURATIONS:
            minutes, phrase_language = _WORD_DURATIONS[phrase]
            return minutes, length, phrase_language
    glued_hm = _GLUED_HM_RE.fullmatch(low)
    if glued_hm is not None:
        return int(glued_hm.group(1)) * 60 + int(glued_hm.group(2)), 1, None
    amount: float | None = None
    used = 1
    unit: tuple[int, str | None] | None = None
    glued = _GLUED_UNIT_RE.fullmatch(low)
    if glued is not None and glued.group(2) in _UNITS:
        amount, unit = float(glued.group(1).replace(",", ".")), _UNITS[glued.group(2)]
    elif (
        i + 1 < len(toks) and toks[i + 1].low in _UNITS and _day_phrase_at(toks, i + 1) is None
    ):  # ("101 day after tomorrow" holds no duration)
        if _NUMBER_RE.fullmatch(low):
            amount = float(low.replace(",", "."))
        elif low in _NUMBER_WORDS:
            amount = _NUMBER_WORDS[low][0]
        if amount is not None:
            unit, used = _UNITS[toks[i + 1].low], 2
    if amount is None or unit is None:
        return None
    total = amount * unit[0]
    language = unit[1] or (_NUMBER_WORDS[low][1] if low in _NUMBER_WORDS else None)
    if unit[0] == 60 and amount == int(amount) and i + used < len(toks):
        # "1 h 30 min", "1h 30min"
        rest = _duration_at(toks, i + used)
        if rest is not None and rest[0] < 60 and _is_minutes_part(toks, i + used, rest[1]):
            total += rest[0]
            used += rest[1]
    return round(total), used, language


def _is_minutes_part(toks: Sequence[_Tok], i: int, used: int) -> bool:
    last = toks[i + used - 1].low
    unit = _GLUED_UNIT_RE.fullmatch(last)
    name = unit.group(2) if unit is not None else last
    return _UNITS.get(name, (0, None))[0] == 1


def _day_phrase_at(toks: Sequence[_Tok], i: int) -> tuple[int, int, str] | None:
    for length in _DAY_PHRASE_LENGTHS:
        phrase = tuple(t.low for t in toks[i : i + length])
        if phrase in _DAY_WORDS:
            offset, language = _DAY_WORDS[phrase]
            return offset, length, language
    return None


def _month_date_at(toks: Sequence[_Tok], i: int, today: date) -> tuple[_Atom, int] | None:
    """``3 dec``, ``3. joulukuuta``, ``3rd of december``, ``december 3rd`` (+ a year)."""
    low = toks[i].low
    nxt = toks[i + 1].low if i + 1 < len(toks) else ""
    day_text: str | None = None
    month: int | None = None
    used = 2
    if low in _MONTHS:
        match = _ORDINAL_RE.fullmatch(nxt)
        if match is not None:
            day_text, month = match.group(1), _MONTHS[low]
    else:
        match = _ORDINAL_RE.fullmatch(low)
        if match is not None:
            if nxt == "of" and i + 2 < len(toks) and toks[i + 2].low in _MONTHS:
                nxt, used = toks[i + 2].low, 3
            if nxt in _MONTHS:
                day_text, month = match.group(1), _MONTHS[nxt]
    if day_text is None or month is None:
        return None
    year: int | None = None
    if i + used < len(toks) and _YEAR_RE.fullmatch(toks[i + used].low):
        year, used = int(toks[i + used].low), used + 1
    text = " ".join(t.raw for t in toks[i : i + used])
    day = int(day_text)
    found = _infer_year(month, day, today) if year is None else _make_date(year, month, day)
    return (_Atom(_DAY, text, day=found) if found else _Atom(_BAD_DATE, text)), used


def _spaced_plate_at(toks: Sequence[_Tok], i: int) -> tuple[str, int] | None:
    """A plate typed with a space between letters and digits (``ABC 123``, ``ABC 12D``,
    ``ABC - 123``): its display form and the tokens used."""
    head = toks[i]
    if not _LETTERS_RE.fullmatch(head.low) or head.low in _RESERVED:
        return None
    used = 3 if i + 2 < len(toks) and toks[i + 1].low == "-" else 2
    if i + used > len(toks) or not _PLATE_TAIL_RE.fullmatch(toks[i + used - 1].low):
        return None
    if i + used < len(toks) and toks[i + used].low in _UNITS:
        return None  # "ab 2 h" is a duration
    candidate = " ".join(t.raw for t in toks[i : i + used])
    return (display_plate(candidate), used) if looks_like_plate(candidate) else None


@dataclass
class _Reader:
    """Reads tokens into atoms, left to right (first pass)."""

    toks: Sequence[_Tok]
    today: date
    known: frozenset[str]
    move: bool
    atoms: list[_Atom] = field(default_factory=list)

    def add(self, atom: _Atom, used: int) -> int:
        self.atoms.append(atom)
        return used

    def read(self) -> list[_Atom]:
        i = 0
        while i < len(self.toks):
            i += self.read_one(i)
        return self.atoms

    def read_one(self, i: int) -> int:
        """Read the part starting at token ``i``; return how many tokens it used. The
        order of the tests is the order of precedence (a day word before a duration:
        ``101 day after tomorrow`` holds no "101 days")."""
        toks, tok = self.toks, self.toks[i]
        low = tok.low
        if self.move:
            used = self.ref_at(i)
            if used:
                return used
        phrase = _day_phrase_at(toks, i)
        if phrase is not None:
            offset, used, day_language = phrase
            day = self.today + timedelta(days=offset)
            text = " ".join(t.raw for t in toks[i : i + used])
            return self.add(_Atom(_DAY, text, day_language, day=day), used)
        month_date = _month_date_at(toks, i, self.today)
        if month_date is not None:
            return self.add(*month_date)
        if low in _NEXT_WORDS:
            return self.add(_Atom(_NEXT, tok.raw, _NEXT_WORDS[low]), 1)
        explicit = _explicit_date(low, self.today)
        if explicit is not None:
            return self.add(explicit, 1)
        time_atom = self.time_at(i)
        if time_atom is not None:
            return self.add(*time_atom)
        duration = _duration_at(toks, i)
        if duration is not None:
            minutes, used, language = duration
            text = " ".join(t.raw for t in toks[i : i + used])
            kind = _DURATION if 1 <= minutes <= _MAX_DURATION_MINUTES else _BAD_TIME
            return self.add(_Atom(kind, text, language, minutes=minutes), used)
        return self.read_word(i)

    def ref_at(self, i: int) -> int:
        """A booking reference at ``i``, typed whole or in two halves (moves only)."""
        for used in (1, 2):
            if i + used > len(self.toks):
                break
            text = "".join(t.raw for t in self.toks[i : i + used])
            ref = normalize_booking_ref(text)
            if ref is not None:
                return self.add(_Atom(_REF, text, code=ref), used)
        return 0

    def time_at(self, i: int) -> tuple[_Atom, int] | None:
        """A range, a clock time (``10:30``, ``6pm``, ``10:stä``), an ``H.MM`` that may be a
        date, or a bare number (decided in the second pass)."""
        tok = self.toks[i]
        low = tok.low
        rng = _RANGE_RE.fullmatch(low)
        if rng is not None:
            return _Atom(_RANGE, tok.raw, clock=_clock_of(rng), end_clock=_clock_of(rng, 3)), 1
        pair = _DOT_PAIR_RE.fullmatch(low)
        if pair is not None:
            return self.dot_pair(tok, pair), 1
        match = _CLOCK_RE.fullmatch(low)
        if match is None or not (match.group(2) or match.group(3) or match.group(4)):
            return self.bare_number(i)
        clock = _clock_of(match)
        suffix = match.group(4)
        role = None
        if suffix in _CLOCK_SUFFIX_START:
            role = "start"
        elif suffix in _CLOCK_SUFFIX_END:
            role = "end"
        clock = _Clock(clock.hour, clock.minute, clock.half, role)
        return _Atom(_CLOCK_K, tok.raw, "fi" if suffix else None, clock=clock), 1

    def dot_pair(self, tok: _Tok, pair: re.Match[str]) -> _Atom:
        """``A.B``: a time (``10.30``), a date (``3.1``), both (``3.12``) or neither."""
        first, second = int(pair.group(1)), int(pair.group(2))
        as_clock = len(pair.group(2)) == 2 and first <= 24 and second <= 59
        as_date = _infer_year(second, first, self.today) if 1 <= second <= 12 else None
        clock = _Clock(first, second)
        if as_clock and as_date is not None:
            return _Atom(_AMBIGUOUS, tok.raw, day=as_date, clock=clock)
        if as_clock:
            return _Atom(_CLOCK_K, tok.raw, clock=clock)
        if as_date is not None:
            return _Atom(_DAY, tok.raw, day=as_date)
        return _Atom(_UNCLEAR, tok.raw)

    def bare_number(self, i: int) -> tuple[_Atom, int] | None:
        """Digits alone: ``10 am`` is a clock time, ``2 h`` is left to the duration reader,
        anything else a number for the second pass (zone or time)."""
        tok = self.toks[i]
        if not tok.low.isdigit():
            return None
        nxt = self.toks[i + 1].low if i + 1 < len(self.toks) else ""
        if nxt in _AM_PM and len(tok.low) <= 2:
            clock = _Clock(int(tok.low), 0, _AM_PM[nxt])
            return _Atom(_CLOCK_K, f"{tok.raw} {self.toks[i + 1].raw}", "en", clock=clock), 2
        after_marker = i > 0 and (
            self.toks[i - 1].low in _START_MARKERS or self.toks[i - 1].low == _AT_SIGN
        )
        if not after_marker and _duration_at(self.toks, i) is not None:
            return None  # "2 h"; but "klo 10 tunniksi" is at 10 for an hour
        if _DIGITS_RE.fullmatch(tok.low):
            known = tok.low.upper() in self.known
            return _Atom(_NUMBER, tok.raw, code=tok.raw, known_zone=known), 1
        return _Atom(_UNCLEAR, tok.raw), 1

    def read_word(self, i: int) -> int:
        """Zone codes and words, weekdays, time words, plates; text with digits that is
        none of them is unclear, other words are ignored (and reveal a language)."""
        toks, tok = self.toks, self.toks[i]
        low = tok.low
        if tok.raw.upper() in self.known:
            return self.add(_Atom(_ZONE, tok.raw, code=tok.raw.upper(), known_zone=True), 1)
        if low == _AT_SIGN:
            return self.add(_Atom(_START, tok.raw), 1)
        if low in _ZONE_WORDS:
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and (
                nxt.raw.upper() in self.known
                or (_ZONE_CODE_RE.fullmatch(nxt.low) and nxt.low not in _RESERVED)
            ):
                atom = _Atom(_ZONE, f"{tok.raw} {nxt.raw}", _ZONE_WORDS[low], code=nxt.raw.upper())
                return self.add(atom, 2)
            return self.add(_Atom(_WORD, tok.raw, _ZONE_WORDS[low]), 1)
        if low in _WEEKDAYS and (low != "to" or self.thursday_at(i)):
            weekday, language = _WEEKDAYS[low]
            return self.add(_Atom(_WEEKDAY, tok.raw, language, weekday=weekday), 1)
        for table, kind in (
            (_START_MARKERS, _START),
            (_START_AFTER, _START_POST),
            (_END_AFTER, _END_POST),
            (_DURATION_MARKERS, _FOR),
        ):
            if low in table:
                return self.add(_Atom(kind, tok.raw, table[low]), 1)
        if low in _CONNECTORS:
            return self.add(_Atom(_CONNECT, tok.raw), 1)
        spaced = _spaced_plate_at(toks, i)
        if spaced is not None:
            spaced_plate, used = spaced
            text = " ".join(t.raw for t in toks[i : i + used])
            return self.add(_Atom(_PLATE, text, code=spaced_plate), used)
        plate = self.plate(tok.raw)
        if plate is not None:
            return self.add(_Atom(_PLATE, tok.raw, code=plate), 1)
        if any(ch.isdigit() for ch in low):
            return self.add(_Atom(_UNCLEAR, tok.raw), 1)
        return self.add(_Atom(_WORD, tok.raw, _KEYWORDS.get(low)), 1)

    def plate(self, raw: str) -> str | None:
        if looks_like_plate(raw):
            return display_plate(raw)
        ending = _CASE_ENDING_RE.fullmatch(raw)
        if ending is not None and looks_like_plate(ending.group(1)):
            return display_plate(ending.group(1))
        return None

    def thursday_at(self, i: int) -> bool:
        """Whether ``to`` at ``i`` is the Finnish Thursday (see the module docstring)."""
        if self.english:
            return False
        if i + 1 >= len(self.toks):
            return True
        nxt = self.toks[i + 1].low
        before = self.toks[i - 1].low if i > 0 else ""
        if _CLOCK_RE.fullmatch(before) or before in _AM_PM:
            return False  # "10 to 12"
        return bool(
            nxt in _START_MARKERS
            or _RANGE_RE.fullmatch(nxt)
            or _CLOCK_RE.fullmatch(nxt)
            or _DOT_PAIR_RE.fullmatch(nxt)
        )

    @property
    def english(self) -> bool:
        """Whether the message's keyword is English (``BOOK``, ``MOVE``)."""
        return any(t.low in ("book", "booking", "move") for t in self.toks[:3])


# ------------------------------------------------------------------ second pass: roles


def _meaningful(atoms: list[_Atom]) -> list[_Atom]:
    return [a for a in atoms if a.kind != _WORD]


def _hourish(atom: _Atom | None) -> bool:
    """Whether an atom can be a clock time: a clock, a number 0..24, an ambiguous H.MM."""
    if atom is None:
        return False
    if atom.kind in (_CLOCK_K, _AMBIGUOUS):
        return True
    return atom.kind == _NUMBER and atom.code is not None and _is_hour(atom.code)


def _is_hour(text: str) -> bool:
    return text.isdigit() and len(text) <= 2 and int(text) <= 24


def _to_clock(atom: _Atom, role: str | None = None) -> None:
    if atom.kind == _NUMBER:
        assert atom.code is not None
        atom.clock = _Clock(int(atom.code), 0, role=role)
    elif atom.clock is not None and role is not None and atom.clock.role is None:
        atom.clock = _Clock(atom.clock.hour, atom.clock.minute, atom.clock.half, role)
    atom.kind = _CLOCK_K


def _marked_number_clock(atom: _Atom) -> bool:
    """``klo 1030``, ``at 0930``: four digits after a time marker (three could be a zone)."""
    if atom.kind != _NUMBER or atom.code is None:
        return False
    match = _HHMM_RE.fullmatch(atom.code)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return False
    atom.clock = _Clock(int(match.group(1)), int(match.group(2)))
    atom.kind = _CLOCK_K
    return True


def _kind_at(seq: list[_Atom], k: int) -> str | None:
    return seq[k].kind if 0 <= k < len(seq) else None


def _mark_time(atom: _Atom, seq: list[_Atom], k: int) -> None:
    """Make ``atom`` (``seq[k]``) a clock time when the words around it say it is one, with
    the role they give it: after ``klo``/``at``/``from``, before ``alkaen`` (start) or
    ``asti`` (end), after a time and a connector (end), before a connector and a time."""
    prev, nxt = _kind_at(seq, k - 1), _kind_at(seq, k + 1)
    role: str | None = None
    if nxt == _START_POST or (prev == _START and seq[k - 1].text.lower() in _FROM_WORDS):
        role = "start"
    elif nxt == _END_POST or (prev == _CONNECT and _kind_at(seq, k - 2) == _CLOCK_K):
        role = "end"
    marked = prev == _START or role is not None
    joined = nxt == _CONNECT and _hourish(seq[k + 2] if k + 2 < len(seq) else None)
    if not (marked or joined):
        return
    if _hourish(atom):
        _to_clock(atom, role)
    elif prev == _START and not _marked_number_clock(atom) and len(atom.code or "") <= 2:
        atom.kind = _BAD_TIME  # "klo 25"


def _resolve_times(atoms: list[_Atom]) -> None:
    """Decide which numbers and ``H.MM`` are clock times from the words around them."""
    seq = _meaningful(atoms)
    for k, atom in enumerate(seq):
        if atom.kind in (_NUMBER, _AMBIGUOUS, _CLOCK_K):
            _mark_time(atom, seq, k)
    for k, atom in enumerate(seq):
        nxt = seq[k + 1] if k + 1 < len(seq) else None
        if atom.kind == _AMBIGUOUS and nxt is not None and nxt.kind in (_DURATION, _FOR):
            _to_clock(atom)
    if not any(a.kind in (_CLOCK_K, _RANGE) for a in seq):
        # "10 2h": a number before a duration is its start, when no other start is given.
        for k, atom in enumerate(seq):
            nxt = seq[k + 1] if k + 1 < len(seq) else None
            if atom.kind == _NUMBER and nxt is not None and nxt.kind in (_DURATION, _FOR):
                if _hourish(atom):
                    _to_clock(atom)
                break
    has_day = any(a.kind in (_DAY, _WEEKDAY) for a in seq)
    for atom in seq:
        if atom.kind == _AMBIGUOUS:
            if has_day:
                _to_clock(atom)
            else:
                atom.kind, has_day = _DAY, True


def _resolve_numbers(atoms: list[_Atom], *, move: bool) -> None:
    """The numbers left: the zone (the first one, preferring a known zone, then one that
    cannot be an hour), then start times; a second zone-shaped number is a second zone. In
    a move every number is a time."""
    numbers = [a for a in atoms if a.kind == _NUMBER and a.code]
    if not move and numbers and not any(a.kind == _ZONE for a in atoms):
        chosen = next(
            (a for a in numbers if a.known_zone),
            next((a for a in numbers if not _is_hour(a.code or "")), numbers[0]),
        )
        chosen.kind = _ZONE
        numbers.remove(chosen)
    for atom in numbers:
        if _is_hour(atom.code or "") and not atom.known_zone:
            _to_clock(atom)
        else:
            atom.kind = _UNCLEAR if move else _ZONE


# ------------------------------------------------------------------------ third pass


def _resolve_days(atoms: list[_Atom], today: date) -> None:
    """Weekdays to dates (the nearest such day, today included; after ``next``: after
    today); a ``next`` without a weekday is ignored."""
    for k, atom in enumerate(atoms):
        if atom.kind != _WEEKDAY or atom.weekday is None:
            continue
        before = _meaningful(atoms[:k])
        after_next = bool(before) and before[-1].kind == _NEXT
        ahead = (atom.weekday - today.weekday()) % 7
        if after_next and ahead == 0:
            ahead = 7
        atom.day = today + timedelta(days=ahead)


def _minutes_of(clock: _Clock) -> int | None:
    """Minutes after midnight of a clock (24:00 -> 1440), None when impossible."""
    hour = clock.hour
    if clock.half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if clock.half == "pm" else 0)
    if clock.minute > 59 or hour > 24 or (hour == 24 and clock.minute):
        return None
    return hour * 60 + clock.minute


def _as_time(minutes: int) -> time:
    return END_OF_DAY if minutes == 1440 else time(minutes // 60, minutes % 60)


def _range_of(first: _Clock, second: _Clock, *, afternoon: bool) -> TimeRange | None:
    """A range from two clocks, or None when impossible (see the module docstring).

    With ``afternoon`` (a message not in Finnish or Swedish, where clocks run to 24), an
    end before the start that reads as an afternoon hour is one: ``9-5`` is 09-17."""
    if second.half is not None and first.half is None:
        borrowed = _minutes_of(_Clock(first.hour, first.minute, second.half))
        end = _minutes_of(second)
        if borrowed is not None and end is not None and borrowed < end:
            first = _Clock(first.hour, first.minute, second.half)
    start, end = _minutes_of(first), _minutes_of(second)
    if start is None or end is None or start >= 1440 or start == end:
        return None
    if end < start:
        if afternoon and second.half is None and end <= 720 and end + 720 > start:
            end += 720  # "9-5" is 09-17, "12-2" is 12-14
        elif end + 1440 - start > 720:
            return None  # not an overnight stay of at most 12 hours either
    return TimeRange(_as_time(start), _as_time(end))


@dataclass
class _Times:
    times: TimeRange | None = None
    duration: int | None = None
    problems: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


def _assemble_times(atoms: list[_Atom], *, afternoon: bool) -> _Times:
    """The times of the message from its clock, range and duration atoms; ``afternoon``
    allows the "9-5" reading of an end before the start (see :func:`_range_of`)."""
    ranges = [a for a in atoms if a.kind == _RANGE]
    clocks = [a for a in atoms if a.kind == _CLOCK_K]
    durations = [a for a in atoms if a.kind == _DURATION]
    result = _Times(duration=durations[0].minutes if len(durations) == 1 else None)
    if len(ranges) + (1 if clocks else 0) > 1 or len(durations) > 1 or len(clocks) > 2:
        result.problems.append("multiple_times")
        return result
    if (ranges and durations) or (len(clocks) == 2 and durations):
        result.problems.append("multiple_times")
        return result
    if ranges:
        rng = ranges[0]
        assert rng.clock is not None and rng.end_clock is not None
        result.times = _range_of(rng.clock, rng.end_clock, afternoon=afternoon)
        if result.times is None:
            result.problems.append("bad_time")
            result.text.append(rng.text)
        return result
    if not clocks:
        if durations:
            result.problems.append("no_start_time")
        return result
    if len(clocks) == 2:
        first, second = clocks
        assert first.clock is not None and second.clock is not None
        text = f"{first.text} {second.text}"
        if first.clock.role == "end" and second.clock.role == "start":
            first, second = second, first  # "12 asti 10 alkaen"
        assert first.clock is not None and second.clock is not None
        if first.clock.role != "end":  # "10 asti 12" does not say where it starts
            result.times = _range_of(first.clock, second.clock, afternoon=afternoon)
        if result.times is None:
            result.problems.append("bad_time")
            result.text.append(text)
        return result
    only = clocks[0]
    assert only.clock is not None
    if only.clock.role == "end":
        result.problems.append("no_start_time")
        return result
    start = _minutes_of(only.clock)
    if start is None or start >= 1440:
        result.problems.append("bad_time")
        result.text.append(only.text)
        return result
    result.times = TimeRange(_as_time(start), duration_minutes=result.duration)
    return result


@dataclass
class _Parts:
    """Everything read from one message, before it becomes a request or a problem."""

    zone: str | None = None
    day: date | None = None
    times: TimeRange | None = None
    duration: int | None = None
    plate: str | None = None
    ref: str | None = None
    language: str | None = None
    problems: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def problem(self) -> BookingProblem:
        ordered = tuple(p for p in BOOKING_PROBLEMS if p in self.problems)
        return BookingProblem(
            ordered[0],
            ordered,
            zone=self.zone,
            day=self.day,
            times=self.times,
            duration_minutes=self.duration if self.times is None else None,
            plate=self.plate,
            ref=self.ref,
            language=self.language,
            text=" ".join(self.unread) or None,
        )


def _read(text: str, today: date, known_zones: Collection[str], *, move: bool) -> _Parts:
    toks = _tokenize(text)
    known = frozenset(z.strip().upper() for z in known_zones if z.strip())
    atoms = _Reader(toks, today, known, move).read()
    _resolve_times(atoms)
    _resolve_numbers(atoms, move=move)
    _resolve_days(atoms, today)
    parts = _Parts()
    parts.language = next((a.language for a in atoms if a.language is not None), None)
    for atom in atoms:
        if atom.kind in (_BAD_DATE, _BAD_TIME, _UNCLEAR):
            parts.problems.append(atom.kind)
            parts.unread.append(atom.text)
        elif atom.kind == _WORD:
            parts.ignored.append(atom.text)
    days = sorted({a.day for a in atoms if a.kind in (_DAY, _WEEKDAY) and a.day is not None})
    if len(days) > 1:
        parts.problems.append("conflicting_dates")
    if days:
        parts.day = days[0]
        if parts.day < today:
            parts.problems.append("date_in_past")
    times = _assemble_times(atoms, afternoon=parts.language not in ("fi", "sv"))
    parts.times, parts.duration = times.times, times.duration
    parts.problems += times.problems
    parts.unread += times.text
    zones = list(dict.fromkeys(a.code for a in atoms if a.kind == _ZONE and a.code))
    plates = list(dict.fromkeys(a.code for a in atoms if a.kind == _PLATE and a.code))
    refs = list(dict.fromkeys(a.code for a in atoms if a.kind == _REF and a.code))
    parts.zone = zones[0] if zones else None
    parts.plate = plates[0] if plates else None
    parts.ref = refs[0] if refs else None
    if len(zones) > 1:
        parts.problems.append("multiple_zones")
    if len(plates) > 1:
        parts.problems.append("multiple_plates")
    return parts


# ----------------------------------------------------------------------- entry points


def parse_booking(
    text: str, *, today: date, known_zones: Collection[str] = ()
) -> BookingRequest | BookingProblem:
    """Read a booking message (with or without its ``VARAA``/``BOKA``/``BOOK`` keyword).

    ``today`` is the local date in ``APP_TIMEZONE``; ``known_zones`` are zone codes (any
    case) so that codes with letters are recognised. Returns a :class:`BookingRequest` when
    the zone and the day are known and nothing is wrong, else a :class:`BookingProblem`
    (codes: :data:`BOOKING_PROBLEMS`). Whether the window is bookable (hours, notice,
    capacity) is not decided here. Never raises.
    """
    parts = _read(text, today, known_zones, move=False)
    if parts.zone is None:
        parts.problems.append("no_zone")
    if parts.day is None:
        parts.problems.append("no_date")
    if parts.problems or parts.zone is None or parts.day is None:
        return parts.problem()
    return BookingRequest(
        zone=parts.zone,
        day=parts.day,
        times=parts.times,
        plate=parts.plate,
        language=parts.language,
        ignored=tuple(parts.ignored),
    )


def parse_move(
    text: str, *, today: date, known_zones: Collection[str] = ()
) -> MoveRequest | BookingProblem:
    """Read a move message, ``<ref> <new day and/or times>`` (keyword optional).

    Returns a :class:`MoveRequest`, or a :class:`BookingProblem` (``no_ref``,
    ``no_new_time``, ``zone_change`` and the day and time codes). Never raises.
    """
    parts = _read(text, today, known_zones, move=True)
    if parts.ref is None:
        parts.problems.append("no_ref")
    if parts.zone is not None:
        parts.problems.append("zone_change")
    if parts.day is None and parts.times is None and "no_start_time" not in parts.problems:
        parts.problems.append("no_new_time")
    if parts.problems or parts.ref is None:
        return parts.problem()
    return MoveRequest(
        ref=parts.ref,
        day=parts.day,
        times=parts.times,
        language=parts.language,
        ignored=tuple(parts.ignored),
    )
