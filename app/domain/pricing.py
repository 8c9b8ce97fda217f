"""Tariff model and parking price calculation (pure functions, no I/O).

Conventions used throughout this module:

* Money is an ``int`` of minor units (cents). Nothing here uses floats for money.
* Instants are *aware* datetimes. Any time zone is accepted on input; all arithmetic
  and comparisons are done in UTC internally (Python compares and subtracts two
  datetimes sharing one ``tzinfo`` by wall clock, which is wrong across DST changes).
  Datetimes returned by this module are in UTC.
* Paid hours are wall-clock times in the zone's local time zone (``APP_TIMEZONE``,
  default :data:`DEFAULT_TIMEZONE`), passed in explicitly as ``tz``.
* A paid window is a pair ``(start, end)`` of naive :class:`datetime.time` values
  on whole minutes with ``start < end``. An end of :data:`END_OF_DAY`
  (``time.max``) means 24:00, i.e. the following midnight.
* On a given local date, the window ``(a, b)`` is the real-time interval
  ``[first instant the clock shows a, first instant the clock shows b)`` on that date.
  Therefore 00:00-24:00 is 23 hours on the spring-forward day and 25 hours on the
  fall-back day, and a boundary that falls in a DST gap starts at the jump itself.

Pricing rules (see :func:`price`):

1. The end is limited by ``max_minutes`` (:func:`capped_end`).
2. Minutes are counted from the start: minute *k* covers
   ``[start + k min, min(start + (k + 1) min, end))``; every started minute counts in
   full. A minute is paid when the part of it during which the vehicle is parked
   overlaps a paid window. A paid minute belongs to the local date on which it starts.
3. Per local date the exact amount ``paid_minutes * rate_per_hour_cents / 60`` (a
   fraction of a cent), limited by ``daily_cap_cents`` if set. The total is the sum over
   dates, rounded up once to the cent (so a stay across midnight costs what the same
   minutes cost within one day).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType

__all__ = [
    "DAY_ABBREVIATIONS",
    "DEFAULT_TIMEZONE",
    "END_OF_DAY",
    "DayCharge",
    "MoneyInput",
    "PaidHours",
    "Tariff",
    "TariffError",
    "UnknownDayError",
    "Window",
    "capped_end",
    "format_days",
    "format_money",
    "is_paid_time",
    "localized_paid_hours",
    "money_to_decimal_str",
    "next_paid_change",
    "paid_hours_to_spec",
    "paid_minutes",
    "parse_days",
    "parse_money",
    "parse_paid_hours",
    "price",
    "price_breakdown",
]

DEFAULT_TIMEZONE = "Europe/Helsinki"
"""Default value of ``APP_TIMEZONE`` (the zone in which paid hours are written)."""

END_OF_DAY = time.max
"""Sentinel window end meaning 24:00 (the next local midnight)."""

Window = tuple[time, time]
PaidHours = Mapping[int, tuple[Window, ...]]
MoneyInput = str | int | float | Decimal

_MINUTE = timedelta(minutes=1)
_MICROSECOND = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Weekday abbreviations as each language writes them on signs and in the panel; the
# zones file and the stored spec use the English ones.
DAY_ABBREVIATIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": _DAY_NAMES,
        "fi": ("ma", "ti", "ke", "to", "pe", "la", "su"),
        "sv": ("mån", "tis", "ons", "tor", "fre", "lör", "sön"),
    }
)
_FULL_DAY_NAMES = (
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    ("maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai", "sunnuntai"),
    ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    # Swedish typed without the ring and the dots, and common English variants.
    ("man", "tis", "ons", "tors", "fre", "lor", "son"),
    ("mo", "tues", "weds", "thur", "fr", "sa", "su"),
    ("mon", "tu", "we", "thurs", "fri", "sat", "sun"),
)
_DAY_ALIASES: dict[str, int] = {
    name: i
    for names in (*DAY_ABBREVIATIONS.values(), *_FULL_DAY_NAMES)
    for i, name in enumerate(names)
}
_ALL_DAYS = (
    "daily",
    "all",
    "every day",
    "päivittäin",
    "joka päivä",
    "kaikki päivät",
    "dagligen",
    "varje dag",
    "alla dagar",
)
_MONEY_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_CLOCK_RE = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?")
_DASHES = re.compile(r"\s*[-\u2013\u2014]\s*")


class TariffError(ValueError):
    """An invalid tariff definition; the message is meant for operators."""


class UnknownDayError(TariffError):
    """A ``paid_hours`` key names no weekday; ``day`` is the part that was not understood,
    so that a page can word the refusal in its reader's language."""

    def __init__(self, message: str, day: str) -> None:
        super().__init__(message)
        self.day = day


# --------------------------------------------------------------------------- money


def parse_money(text: MoneyInput) -> int:
    """Parse a non-negative amount of currency into integer minor units.

    Accepts ``"2.40"`` -> 240, ``"15"`` -> 1500, ``" 2.4 "`` -> 240, ``"2.400"`` -> 240,
    ints (whole currency units: ``15`` -> 1500), finite floats (via their shortest
    repr: ``2.4`` -> 240) and :class:`~decimal.Decimal`. Strings must be plain decimal
    notation with a dot: no sign, exponent, thousands separator or decimal comma.

    Raises :class:`TariffError` for negatives, amounts with a non-zero third decimal,
    non-finite numbers, booleans and anything unparseable.
    """
    amount: Decimal
    if isinstance(text, bool):
        raise TariffError(f"not an amount of money: {text!r}")
    if isinstance(text, str):
        stripped = text.strip()
        if not _MONEY_RE.fullmatch(stripped):
            hint = " (use a dot as the decimal separator)" if "," in stripped else ""
            raise TariffError(f'not an amount of money: {text!r}; expected e.g. "2.40"{hint}')
        amount = Decimal(stripped)
    elif isinstance(text, int):
        amount = Decimal(text)
    elif isinstance(text, float):
        try:
            amount = Decimal(repr(text))
        except InvalidOperation as exc:  # pragma: no cover - repr of a float parses
            raise TariffError(f"not an amount of money: {text!r}") from exc
    elif isinstance(text, Decimal):
        amount = text
    else:
        raise TariffError(f"not an amount of money: {text!r}")
    if not amount.is_finite():
        raise TariffError(f"not an amount of money: {text!r}")
    if amount < 0:
        raise TariffError(f"amount must not be negative: {text!r}")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise TariffError(f"amount has more than 2 decimals: {text!r}")
    return int(cents)


def money_to_decimal_str(cents: int) -> str:
    """Inverse of :func:`parse_money` for strings: ``240`` -> ``"2.40"``, ``-5`` -> ``"-0.05"``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_money(cents: int, currency: str = "EUR", locale: str = "fi") -> str:
    """Format cents for logs and tests, without Babel.

    Locales whose language is ``en`` give ``"€2.40"`` (or ``"SEK 2.40"`` for a currency
    without a known symbol); every other locale (meant for ``fi`` and ``sv``) gives
    ``"2,40 €"`` (or ``"2,40 SEK"``). Negative amounts get a leading ``-``. No digit
    grouping. User-facing text should use Babel instead.
    """
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    code = currency.upper()
    symbol = _CURRENCY_SYMBOLS.get(code)
    language = locale.replace("-", "_").split("_", 1)[0].lower()
    if language == "en":
        return f"{sign}{symbol}{whole}.{frac:02d}" if symbol else f"{sign}{code} {whole}.{frac:02d}"
    return f"{sign}{whole},{frac:02d} {symbol or code}"


# --------------------------------------------------------------------- paid hours


def _parse_days(key: object) -> list[int]:
    """Weekdays (0 = Monday) named by one ``paid_hours`` key, in the order given.

    Days may be written in English, Finnish or Swedish, abbreviated or in full
    (``mon-fri``, ``ma-pe``, ``mån-fre``, ``lauantai``), as ranges, comma lists, or a word
    for every day (``daily``, ``päivittäin``, ``dagligen``). Raises
    :class:`UnknownDayError` for a part that names no day, :class:`TariffError` for a day
    given twice.
    """
    if not isinstance(key, str) or not key.strip():
        raise TariffError(f"paid_hours: day key must be a non-empty string, got {key!r}")
    text = " ".join(key.strip().lower().split())
    if text in _ALL_DAYS:
        return list(range(7))
    days: list[int] = []
    for part in text.split(","):
        token = part.strip().rstrip(".")
        ends = [end.rstrip(".") for end in _DASHES.split(token)]
        if len(ends) == 1 and ends[0] in _DAY_ALIASES:
            days.append(_DAY_ALIASES[ends[0]])
        elif len(ends) == 2 and ends[0] in _DAY_ALIASES and ends[1] in _DAY_ALIASES:
            first, last = _DAY_ALIASES[ends[0]], _DAY_ALIASES[ends[1]]
            # A range may wrap past Sunday ("fri-mon"); "mon-sun" is every day.
            days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            raise UnknownDayError(
                f"paid_hours: unknown day(s) {part.strip()!r} in {key!r}; use mon..sun "
                f'(or ma..su, mån..sön), ranges like "mon-fri", lists like "mon,wed" or "daily"',
                day=part.strip(),
            )
    seen: set[int] = set()
    for day in days:
        if day in seen:
            raise TariffError(f"paid_hours: {_DAY_NAMES[day]} appears twice in {key!r}")
        seen.add(day)
    return days


def parse_days(key: str) -> list[int]:
    """Weekdays (0 = Monday) that one ``paid_hours`` key names, in any of the three
    languages (see :func:`_parse_days`). Raises :class:`UnknownDayError` or
    :class:`TariffError`."""
    return _parse_days(key)


def _parse_clock(text: str, *, is_end: bool, context: str) -> time:
    match = _CLOCK_RE.fullmatch(text)
    if not match:
        raise TariffError(f"paid_hours: bad time {text!r} in {context}; expected HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour == 24 and minute == 0:
        if not is_end:
            raise TariffError(f"paid_hours: a window cannot start at 24:00 in {context}")
        return END_OF_DAY
    if hour > 23 or minute > 59:
        raise TariffError(f"paid_hours: bad time {text!r} in {context}")
    return time(hour, minute)


def _parse_windows(value: object, key: str) -> tuple[Window, ...]:
    context = f"{key!r}: {value!r}"
    if not isinstance(value, str) or not value.strip():
        raise TariffError(f'paid_hours: {key!r} must be a string like "08:00-18:00", got {value!r}')
    windows: list[Window] = []
    for part in value.split(","):
        ends = _DASHES.split(part.strip())
        if len(ends) != 2:
            raise TariffError(
                f'paid_hours: bad window {part.strip()!r} in {context}; expected e.g. "08:00-18:00"'
            )
        start = _parse_clock(ends[0], is_end=False, context=context)
        end = _parse_clock(ends[1], is_end=True, context=context)
        if not start < end:
            raise TariffError(
                f"paid_hours: window {part.strip()!r} in {context} must end after it "
                f'starts on the same day; split overnight hours, e.g. "22:00-24:00" '
                f'and "00:00-06:00" on the next day'
            )
        windows.append((start, end))
    return _check_windows(windows, context)


def _check_windows(windows: Iterable[Window], context: str) -> tuple[Window, ...]:
    """Sort windows and reject overlaps (touching windows are allowed)."""
    ordered = tuple(sorted(windows))
    for (_, end), (start, _) in pairwise(ordered):
        if start < end:
            raise TariffError(f"paid_hours: overlapping windows in {context}")
    return ordered


def parse_paid_hours(spec: Mapping[str, str]) -> dict[int, tuple[Window, ...]]:
    """Parse the ``paid_hours`` mapping of the zones file.

    Keys name days: ``mon`` .. ``sun`` (full English names also work), ranges
    ``"mon-fri"`` (may wrap: ``"fri-mon"``), comma lists ``"mon,wed"`` (items may be
    ranges) or ``"daily"`` (also ``"all"``, ``"every day"``). Case and surrounding
    blanks are ignored.

    Values are one or more comma-separated windows: ``"08:00-18:00"``,
    ``"08:00-12:00, 13:00-18:00"``, ``"8-18"``, ``"8.30-17"``, ``"00:00-24:00"``.
    A window must start before it ends on the same day (overnight hours are written
    as two windows on consecutive days); ``24:00`` is only valid as an end and is
    returned as :data:`END_OF_DAY`. Touching windows are allowed.

    Returns weekday (0 = Monday) -> windows sorted by start; days not mentioned are
    absent (free all day). Raises :class:`TariffError` on unknown days, bad times,
    empty or reversed windows, overlapping windows or a day given more than once.
    """
    if not isinstance(spec, Mapping):
        raise TariffError(f"paid_hours must be a mapping of days to hours, got {spec!r}")
    result: dict[int, tuple[Window, ...]] = {}
    for key, value in spec.items():
        days = _parse_days(key)
        windows = _parse_windows(value, key)
        for day in days:
            if day in result:
                raise TariffError(f"paid_hours: {_DAY_NAMES[day]} is given more than once")
            result[day] = windows
    return dict(sorted(result.items()))


def _format_clock(t: time) -> str:
    return "24:00" if t == END_OF_DAY else f"{t.hour:02d}:{t.minute:02d}"


def _format_days(days: Sequence[int], language: str = "en") -> str:
    """A day key for ``days`` in ``language``'s abbreviations: runs of consecutive days
    as ranges (``ma-pe``), others listed (``mon,wed``). Every day is ``daily`` in English
    (the zones file's word) and the Monday-Sunday range in the other languages."""
    names = DAY_ABBREVIATIONS.get(language, _DAY_NAMES)
    if len(days) == 7:
        return "daily" if names is _DAY_NAMES else f"{names[0]}-{names[6]}"
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        names[run[0]] if len(run) == 1 else f"{names[run[0]]}-{names[run[-1]]}" for run in runs
    )


def format_days(days: Sequence[int], language: str) -> str:
    """Public face of :func:`_format_days`: ``[0, 1, 2, 3, 4]`` -> ``"ma-pe"`` in Finnish,
    ``"mån-fre"`` in Swedish, ``"mon-fri"`` in English; parses back with
    :func:`parse_days`."""
    return _format_days(days, language)


def localized_paid_hours(spec: Mapping[str, str], language: str) -> dict[str, str]:
    """A stored ``paid_hours`` spec with its day keys in ``language`` (``{"mon-fri": ...}``
    -> ``{"ma-pe": ...}``), hours unchanged, for people to read and edit. Keys that do not
    parse are passed through as they are."""
    result: dict[str, str] = {}
    for key, hours in spec.items():
        try:
            days = _parse_days(key)
        except TariffError:
            result[key] = hours
            continue
        result[_format_days(days, language)] = hours
    return result


def paid_hours_to_spec(hours: Mapping[int, Sequence[Window]]) -> dict[str, str]:
    """Compact textual form of paid hours, the inverse of :func:`parse_paid_hours`.

    Days with identical windows are grouped (``{"mon-fri": "08:00-18:00",
    "sat": "09:00-15:00"}``, ``{"daily": "00:00-24:00"}``, ``{"mon,wed": ...}``); keys
    are ordered by their first weekday and days without windows are omitted.
    ``parse_paid_hours(paid_hours_to_spec(h))`` equals ``h`` without its empty days.
    """
    groups: dict[tuple[Window, ...], list[int]] = {}
    for day in sorted(hours):
        windows = tuple(sorted(hours[day]))
        if windows:
            groups.setdefault(windows, []).append(day)
    return {
        _format_days(days): ", ".join(f"{_format_clock(a)}-{_format_clock(b)}" for a, b in w)
        for w, days in sorted(groups.items(), key=lambda item: item[1][0])
    }


# ------------------------------------------------------------------------ tariff


def _validate_paid_hours(hours: Mapping[int, Sequence[Window]]) -> PaidHours:
    normalized: dict[int, tuple[Window, ...]] = {}
    for day, windows in hours.items():
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise TariffError(f"paid_hours: weekday must be 0 (Monday) .. 6, got {day!r}")
        for window in windows:
            start, end = window
            for t in (start, end):
                if not isinstance(t, time) or t.tzinfo is not None:
                    raise TariffError(f"paid_hours: window times must be naive times: {window}")
                if t != END_OF_DAY and (t.second or t.microsecond):
                    raise TariffError(f"paid_hours: window times must be whole minutes: {window}")
            if start == END_OF_DAY or not start < end:
                raise TariffError(f"paid_hours: window must have start < end: {window}")
        checked = _check_windows(windows, _DAY_NAMES[day])
        if checked:
            normalized[day] = checked
    return MappingProxyType(dict(sorted(normalized.items())))


@dataclass(frozen=True)
class Tariff:
    """The price list of one parking zone.

    ``paid_hours`` maps weekday (0 = Monday) to sorted, non-overlapping windows (see
    the module docstring); missing days are free. It is validated, normalized (empty
    days dropped, windows sorted) and stored read-only. Construction raises
    :class:`TariffError` for invalid values. ``max_minutes`` must be positive,
    amounts non-negative.
    """

    rate_per_hour_cents: int
    paid_hours: PaidHours
    daily_cap_cents: int | None = None
    max_minutes: int | None = None

    def __post_init__(self) -> None:
        def check_int(name: str, value: object, minimum: int) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise TariffError(f"{name} must be an integer >= {minimum}, got {value!r}")

        check_int("rate_per_hour_cents", self.rate_per_hour_cents, 0)
        if self.daily_cap_cents is not None:
            check_int("daily_cap_cents", self.daily_cap_cents, 0)
        if self.max_minutes is not None:
            check_int("max_minutes", self.max_minutes, 1)
        object.__setattr__(self, "paid_hours", _validate_paid_hours(self.paid_hours))

    def __hash__(self) -> int:
        return hash(
            (
                self.rate_per_hour_cents,
                tuple(self.paid_hours.items()),
                self.daily_cap_cents,
                self.max_minutes,
            )
        )

    @classmethod
    def from_spec(
        cls,
        rate_per_hour: MoneyInput,
        paid_hours: Mapping[str, str],
        daily_cap: MoneyInput | None = None,
        max_minutes: int | None = None,
    ) -> Tariff:
        """Build a tariff from the fields of a zones-file entry.

        Raises :class:`TariffError` whose message names the offending field.
        """
        try:
            rate = parse_money(rate_per_hour)
        except TariffError as exc:
            raise TariffError(f"rate_per_hour: {exc}") from exc
        try:
            cap = None if daily_cap is None else parse_money(daily_cap)
        except TariffError as exc:
            raise TariffError(f"daily_cap: {exc}") from exc
        return cls(
            rate_per_hour_cents=rate,
            paid_hours=parse_paid_hours(paid_hours),
            daily_cap_cents=cap,
            max_minutes=max_minutes,
        )

    def to_spec(self) -> dict[str, object]:
        """Zones-file fields of this tariff (optional ones only when set).

        ``Tariff.from_spec(**t.to_spec()) == t``.
        """
        spec: dict[str, object] = {
            "rate_per_hour": money_to_decimal_str(self.rate_per_hour_cents),
            "paid_hours": paid_hours_to_spec(self.paid_hours),
        }
        if self.daily_cap_cents is not None:
            spec["daily_cap"] = money_to_decimal_str(self.daily_cap_cents)
        if self.max_minutes is not None:
            spec["max_minutes"] = self.max_minutes
        return spec


# --------------------------------------------------------------------- time math
#
# The price of one parking walks its local dates and, per date, the UTC instants of its
# paid windows and of its midnight. Those instants depend only on (date, wall time, zone),
# never on the parking or the tariff, so they are cached per process (bounded, least
# recently used): every parking of a day asks for the same few instants, and resolving one
# through zoneinfo costs more than the rest of the price together (issue 13). A tariff's
# windows are part of the key of the per-date cache, so an edited tariff simply misses it.

_CACHE_SIZE = 4096
_MIDNIGHT = time(0)


def _utc(dt: datetime, name: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {dt!r}")
    return dt.astimezone(UTC)


def _interval(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if end_utc < start_utc:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    return start_utc, end_utc


@lru_cache(maxsize=_CACHE_SIZE)
def _wall_to_utc(day: date, clock: time, tz: tzinfo) -> datetime:
    """The first instant at which the local clock in ``tz`` shows ``clock`` on ``day``.

    :data:`END_OF_DAY` means the next day's 00:00. An ambiguous wall time (DST fold)
    gives its first occurrence; a non-existent one (DST gap) gives the instant of the
    jump, i.e. the first instant whose wall time is later. Cached per process (the
    answer depends on nothing else).
    """
    if clock == END_OF_DAY:
        day, clock = day + _DAY, _MIDNIGHT
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz).astimezone(UTC)  # fold=0: first occurrence
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a gap: fold=1 resolves with the post-jump offset, so it lies before the jump
    # and ``first`` lies after it. Bisect (offsets and jumps are on whole seconds).
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = 0, int((first - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (low + timedelta(seconds=mid)).astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return low + timedelta(seconds=hi)


@lru_cache(maxsize=_CACHE_SIZE)
def _windows_utc(
    windows: tuple[Window, ...], day: date, tz: tzinfo
) -> tuple[tuple[datetime, datetime], ...]:
    """``windows`` on local date ``day`` as UTC intervals, in order, empty ones dropped.

    In order because :func:`_wall_to_utc` never decreases as the wall time grows on one
    date, and a date's windows end by the first instant of the next date.
    """
    intervals = ((_wall_to_utc(day, a, tz), _wall_to_utc(day, b, tz)) for a, b in windows)
    return tuple((start, end) for start, end in intervals if start < end)


def _local_date(instant: datetime, tz: tzinfo) -> date:
    return instant.astimezone(tz).date()


def _paid_intervals(
    tariff: Tariff, lo: datetime, hi: datetime, tz: tzinfo
) -> list[tuple[datetime, datetime]]:
    """Paid time within ``[lo, hi)`` (UTC) as sorted, disjoint, non-touching intervals."""
    return list(_iter_paid_intervals(tariff, lo, hi, tz))


def _iter_paid_intervals(
    tariff: Tariff, lo: datetime, hi: datetime, tz: tzinfo
) -> Iterator[tuple[datetime, datetime]]:
    """:func:`_paid_intervals` one at a time, each as soon as it is known (the next one
    starts later), so that a caller who needs only the first few stops early."""
    hours = tariff.paid_hours
    if not hours or lo >= hi:
        return
    day = _local_date(lo, tz) - _DAY
    last = _local_date(hi, tz)
    pending: tuple[datetime, datetime] | None = None
    while day <= last:
        windows = hours.get(day.weekday())
        if windows:
            for a, b in _windows_utc(windows, day, tz):
                if a < lo:
                    a = lo
                if b > hi:
                    b = hi
                if a >= b:
                    continue
                # Dates come in order and each date's intervals are in order (see
                # _windows_utc), so merging needs no sort.
                if pending is None:
                    pending = (a, b)
                elif a <= pending[1]:
                    if b > pending[1]:
                        pending = (pending[0], b)
                else:
                    yield pending
                    pending = (a, b)
        day += _DAY
    if pending is not None:
        yield pending


def _ceil_minutes(delta: timedelta) -> int:
    return -(-delta // _MINUTE)


# ------------------------------------------------------------------------ pricing


@dataclass(frozen=True)
class DayCharge:
    """The charge for one local date of a parking (for receipts).

    ``uncapped_cents`` is ``ceil(paid_minutes * rate / 60)``; ``capped`` tells whether the
    daily cap applied. ``cents`` is the date's share of the price: the price is rounded up
    once over the whole stay, and each date gets the cents that its exact amount adds to
    the running total (so the shares sum to :func:`price`).
    """

    day: date
    paid_minutes: int
    uncapped_cents: int
    cents: int
    capped: bool = False


def capped_end(tariff: Tariff, start: datetime, end: datetime | None) -> datetime | None:
    """The end of a parking limited by ``tariff.max_minutes``.

    With no limit, ``end`` is returned unchanged (``None`` stays ``None``: open-ended).
    With a limit, an open-ended (``None``) parking ends at ``start + max_minutes``;
    otherwise the earlier of ``end`` and that. ``end`` is returned as given when it is
    within the limit; the limit itself is returned in UTC. Raises :class:`ValueError`
    for naive datetimes or ``end < start``.
    """
    start_utc = _utc(start, "start")
    if end is not None:
        _interval(start, end)
    if tariff.max_minutes is None:
        return end
    limit = start_utc + timedelta(minutes=tariff.max_minutes)
    if end is None or limit < end:
        return limit
    return end


def _paid_minutes_by_day(
    tariff: Tariff, start: datetime, end: datetime, tz: tzinfo
) -> list[tuple[date, int]]:
    start, end = _interval(start, end)
    if tariff.max_minutes is not None:
        end = min(end, start + timedelta(minutes=tariff.max_minutes))
    intervals = _paid_intervals(tariff, start, end, tz)
    if not intervals:
        return []
    # Paid minute indices as merged half-open ranges [k0, k1).
    ranges: list[list[int]] = []
    for a, b in intervals:
        k0, k1 = (a - start) // _MINUTE, -(-(b - start) // _MINUTE)
        if ranges and k0 <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], k1)
        else:
            ranges.append([k0, k1])
    # Split the ranges at local midnights: minute k belongs to date d when
    # midnight(d) <= start + k min < midnight(d + 1).
    result: list[tuple[date, int]] = []
    day = _local_date(start, tz)
    lo = 0
    index = 0
    count_ranges = len(ranges)
    total_minutes = _ceil_minutes(end - start)
    while index < count_ranges:
        next_day = day + _DAY
        midnight = _wall_to_utc(next_day, _MIDNIGHT, tz)
        hi = max(lo, min(total_minutes, -(-(midnight - start) // _MINUTE)))
        count = 0
        while index < count_ranges:
            k0, k1 = ranges[index]
            count += max(0, min(k1, hi) - max(k0, lo))
            if k1 > hi:
                break
            index += 1
        if count:
            result.append((day, count))
        day, lo = next_day, hi
    return result


# Amounts are added up exactly in sixtieths of a cent (a paid minute costs
# ``rate_per_hour_cents`` of them), in integers: the same exact sums as fractions of a
# cent, without the cost of Fraction arithmetic.


def _ceil_sixtieths(amount: int) -> int:
    return -(-amount // 60)


def price_breakdown(
    tariff: Tariff, start: datetime, end: datetime, tz: tzinfo
) -> tuple[DayCharge, ...]:
    """Per local date charges of a parking; only dates with paid minutes are listed.

    Same rules and errors as :func:`price`; ``price == sum(c.cents for c in ...)``.
    """
    rate, cap = tariff.rate_per_hour_cents, tariff.daily_cap_cents
    cap_sixtieths = None if cap is None else cap * 60
    charges: list[DayCharge] = []
    exact_total = 0
    charged = 0
    for day, minutes in _paid_minutes_by_day(tariff, start, end, tz):
        uncapped = minutes * rate
        exact = uncapped if cap_sixtieths is None else min(uncapped, cap_sixtieths)
        exact_total += exact
        share = _ceil_sixtieths(exact_total) - charged
        charged += share
        charges.append(DayCharge(day, minutes, _ceil_sixtieths(uncapped), share, exact < uncapped))
    return tuple(charges)


def price(tariff: Tariff, start: datetime, end: datetime, tz: tzinfo) -> int:
    """Price in cents of parking from ``start`` to ``end`` under ``tariff``.

    ``start`` and ``end`` are aware datetimes in any zone; ``tz`` is the zone of the
    paid hours. The end is first limited by ``max_minutes``. Then every started minute
    from ``start`` that overlaps paid time is charged, per local date
    ``minutes * rate_per_hour_cents / 60`` capped by ``daily_cap_cents``, and the sum
    rounded up once to the cent (see the module docstring). ``end == start`` costs 0.
    The result is never negative and never decreases when ``end`` grows. Cost is
    proportional to the number of days, not minutes. Raises :class:`ValueError` for
    naive datetimes or ``end < start``.
    """
    rate, cap = tariff.rate_per_hour_cents, tariff.daily_cap_cents
    days = _paid_minutes_by_day(tariff, start, end, tz)
    if cap is None:
        total = sum(minutes for _, minutes in days) * rate
    else:
        total = sum(min(minutes * rate, cap * 60) for _, minutes in days)
    return _ceil_sixtieths(total)


def paid_minutes(tariff: Tariff, start: datetime, end: datetime, tz: tzinfo) -> int:
    """Number of started paid minutes that :func:`price` charges (after ``max_minutes``).

    Before the daily cap; for display and receipts. Same errors as :func:`price`.
    """
    return sum(minutes for _, minutes in _paid_minutes_by_day(tariff, start, end, tz))


def is_paid_time(tariff: Tariff, at: datetime, tz: tzinfo) -> bool:
    """Whether the instant ``at`` (aware) falls inside a paid window (half-open)."""
    at_utc = _utc(at, "at")
    paid = _iter_paid_intervals(tariff, at_utc, at_utc + _MICROSECOND, tz)
    return next(paid, None) is not None


def next_paid_change(
    tariff: Tariff, at: datetime, tz: tzinfo, *, horizon_days: int = 8
) -> datetime | None:
    """The first instant after ``at`` at which :func:`is_paid_time` changes, in UTC.

    E.g. the start of the next paid window when ``at`` is free, or the end of the
    current one. ``None`` when nothing changes within ``horizon_days`` (no paid hours
    at all, or paid around the clock).
    """
    at_utc = _utc(at, "at")
    horizon = at_utc + timedelta(days=horizon_days)
    for start, end in _iter_paid_intervals(tariff, at_utc, horizon, tz):
        if start > at_utc:
            return start
        if end < horizon:
            return end
    return None
