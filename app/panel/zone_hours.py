"""The zone editor's paid-hours lines as people write them, read into the zones file's form.

A line is days, then hours: ``ma-pe: 08:00-18:00``, ``ma-pe 8-18``, ``lauantaisin 9-15``,
``på lördagar 9-15``, ``on Saturdays 9-15``, ``arkisin klo 8-18``. Days may be inflected
or adverbial where the form names one day or one group unambiguously (``lauantaina``,
``lauantaisin``, ``lördagar``, ``Saturdays``, ``arkisin``, ``vardagar``, ``weekends``),
and ranges may be written out (``maanantaista perjantaihin``, ``måndag till fredag``,
``Monday to Friday``). Pure: the panel words the :class:`HoursProblem` it raises.
"""

from __future__ import annotations

import re
from datetime import time

from app.domain.pricing import END_OF_DAY, TariffError, parse_days, parse_paid_hours

# Base forms that pricing.parse_days reads, by weekday (0 = Monday).
_FI = ("maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai", "sunnuntai")
_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _inflected() -> dict[str, str]:
    words: dict[str, str] = {}
    for fi in _FI:
        # essive (lauantaina), adverbial (lauantaisin), elative (lauantaista), illative
        # (lauantaihin); keskiviikko's stem alternates (keskiviikosta, keskiviikkoon).
        stem = "keskiviiko" if fi == "keskiviikko" else fi
        words[fi + "na"] = fi
        words[fi + ("isin" if fi.endswith("o") else "sin")] = fi
        words[stem + "sta"] = fi
        words[fi + ("on" if fi.endswith("o") else "hin")] = fi
    for sv in _SV:
        # plural (lördagar, lördagarna), definite (lördagen), genitive (lördags)
        for ending in ("ar", "arna", "en", "s"):
            words[sv + ending] = sv
    for en in _EN:
        words[en + "s"] = en
    return words


_INFLECTED = _inflected()
_GROUPS = {
    "arkisin": "mon-fri",
    "arkipäivisin": "mon-fri",
    "arkipäivinä": "mon-fri",
    "arkipäivät": "mon-fri",
    "vardagar": "mon-fri",
    "vardagarna": "mon-fri",
    "weekdays": "mon-fri",
    "viikonloppuisin": "sat-sun",
    "viikonloppuna": "sat-sun",
    "helger": "sat-sun",
    "helgerna": "sat-sun",
    "helgen": "sat-sun",
    "weekends": "sat-sun",
    "weekend": "sat-sun",
}
# Words before the days that say nothing of which days: "på lördagar", "on Saturdays".
_LEADING = re.compile(r"^(?:på|on|every|från|from)\s+")
_LIST_WORDS = re.compile(r"\s+(?:ja|och|and|&)\s+")
# "till", "through" between two days make a range; so does "to" between two English
# days (in Finnish "to" is Thursday: "ti to pe" is no range).
_RANGE_WORDS = re.compile(r"\s+(?:till|through|thru|until)\s+")
_ENGLISH_TO = re.compile(r"([a-z]+)\s+to\s+([a-z]+)")
_ENGLISH_ABBREVIATIONS = ("mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun")
_ENGLISH_DAYS = frozenset((*_EN, *(d + "s" for d in _EN), *_ENGLISH_ABBREVIATIONS))
_CLOCK_WORD = re.compile(r"\s(?:klo|kl\.?|at)$")
_CLOCK = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?")
_DASHES = re.compile(r"\s*[-\u2013\u2014]\s*")


class HoursProblem(ValueError):
    """A paid-hours line the editor cannot read. ``code``: ``no_hours`` (no days, or no
    hours after them), ``bad_day`` (``day`` names no day), ``day_twice``, ``bad_time``
    (``time`` is no clock time), ``bad_window`` (``window`` is not from-to),
    ``overnight`` (``window`` ends before it starts), ``overlap``. ``line`` as typed."""

    def __init__(self, code: str, line: str, **details: str) -> None:
        super().__init__(code)
        self.code = code
        self.line = line
        self.details = details


def split_line(line: str) -> tuple[str, str]:
    """A line's days and hours: the hours start at the first digit, after an optional
    colon or "klo"/"kl."/"at". Raises :class:`HoursProblem` ``no_hours``."""
    text = line.strip()
    digit = re.search(r"[0-9]", text)
    if digit is None or digit.start() == 0:
        raise HoursProblem("no_hours", text)
    days = text[: digit.start()].strip()
    days = _CLOCK_WORD.sub("", days).strip().rstrip(":").strip()
    if not days:
        raise HoursProblem("no_hours", text)
    return days, text[digit.start() :].strip()


def _base_word(word: str) -> str:
    word = word.strip().rstrip(".")
    return _GROUPS.get(word) or _INFLECTED.get(word) or word


def _normalized_days(text: str) -> str:
    """``text`` with inflected day words and written-out ranges and lists in the form
    :func:`pricing.parse_days` reads (``på lördagar`` -> ``lördag``, ``maanantaista
    perjantaihin`` -> ``maanantai-perjantai``)."""
    t = " ".join(text.lower().split())
    t = _LEADING.sub("", t)
    t = _LIST_WORDS.sub(",", t)
    t = _RANGE_WORDS.sub("-", t)
    t = _ENGLISH_TO.sub(lambda m: f"{m[1]}-{m[2]}" if {m[1], m[2]} <= _ENGLISH_DAYS else m[0], t)
    parts = []
    for part in t.split(","):
        words = part.strip().split(" ")
        if len(words) == 2 and words[0].endswith("sta") and words[0] in _INFLECTED:
            # "maanantaista perjantaihin": from one day to another
            parts.append("-".join(_base_word(w) for w in words))
        else:
            parts.append("-".join(_base_word(w) for w in _DASHES.split(part.strip())))
    return ",".join(parts)


def line_days(days_text: str, line: str) -> list[int]:
    """Weekdays (0 = Monday) named by a line's days. Raises :class:`HoursProblem`
    ``bad_day`` or ``day_twice``."""
    try:
        return parse_days(_normalized_days(days_text))
    except TariffError as exc:
        day = getattr(exc, "day", None)
        if day is None:
            raise HoursProblem("day_twice", line) from exc
        raise HoursProblem("bad_day", line, day=days_text.strip()) from exc


def _clock(text: str, *, end: bool, line: str) -> time:
    match = _CLOCK.fullmatch(text)
    if not match:
        raise HoursProblem("bad_time", line, time=text)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if end and (hour, minute) == (24, 0):
        return END_OF_DAY
    if hour > 23 or minute > 59:
        raise HoursProblem("bad_time", line, time=text)
    return time(hour, minute)


def check_hours(hours: str, line: str) -> None:
    """Check a line's hours as the zones file reads them, naming what is wrong: a time
    that is no time, a window without its end, a window over midnight, an overlap.
    Raises :class:`HoursProblem`."""
    for part in hours.split(","):
        window = part.strip()
        ends = _DASHES.split(window)
        if len(ends) != 2:
            raise HoursProblem("bad_window", line, window=window)
        start = _clock(ends[0], end=False, line=line)
        finish = _clock(ends[1], end=True, line=line)
        if not start < finish:
            raise HoursProblem("overnight", line, window=window, start=ends[0], end=ends[1])
    try:
        parse_paid_hours({"mon": hours})
    except TariffError as exc:
        raise HoursProblem("overlap", line) from exc
