"""The booking rules of one bookable zone: policy, slot grid, window checks, price, refunds.

Pure: no I/O, no Flask, no database, no SDK. Conventions, as in :mod:`app.domain.pricing`:

* Instants are *aware* datetimes; any zone is accepted, every instant returned is in UTC,
  and arithmetic is done in UTC (real time, never wall-clock subtraction).
* Booking hours are wall-clock windows in ``APP_TIMEZONE``, passed in as ``tz``. They are
  written and parsed exactly like ``paid_hours`` (fi/sv/en day names, ranges, lists); a
  weekday that is not mentioned has no booking hours. On a local date the window ``(a, b)``
  is ``[first instant the clock shows a, first instant the clock shows b)``: so a wall time
  that does not exist (the spring gap) stands for the instant of the jump, and one that
  exists twice (the autumn repeat) for its first occurrence.
* Intervals are half-open, ``[start, end)``: a booking ending at 12:00 and one starting at
  12:00 do not overlap.
* Money is integer cents.

Decisions an operator may ask about:

* A booking window may start and end on any minute (``10:30-12``); the slot grid is for
  showing availability, not a constraint. Availability is exact interval overlap.
* A booking is charged at the booking rate for every started minute of its window, whatever
  the zone's ``paid_hours`` say: a booked space is held for its driver also when street
  parking is free (otherwise evening and weekend bookings would block spaces for nothing).
  The zone's ``daily_cap`` still limits a local day's charge, as the sign promises; the
  zone's ``max_minutes`` (longest stay) limits the booking's length instead of its price.
* "Too far ahead" is counted in local calendar days: a booking may start on any minute of
  the ``max_advance_days``-th day after today, so that a reply can name the last day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import cached_property
from itertools import pairwise
from types import MappingProxyType
from typing import Final

from app.domain.pricing import (
    END_OF_DAY,
    PaidHours,
    Tariff,
    TariffError,
    UnknownDayError,
    Window,
    money_to_decimal_str,
    paid_hours_to_spec,
    parse_money,
    parse_paid_hours,
    price,
)

__all__ = [
    "ALL_DAY",
    "FIELD_LIMITS",
    "BookingPolicy",
    "BookingPolicyError",
    "CancellationTerms",
    "FieldProblem",
    "Interval",
    "TimeRange",
    "WindowRefusal",
    "booking_hours_between",
    "booking_policy_from_fields",
    "booking_policy_problems",
    "booking_price",
    "check_window",
    "day_slots",
    "earliest_start",
    "first_instant",
    "free_cancellation_until",
    "hold_expires_at",
    "instants_showing",
    "last_bookable_day",
    "policy_to_fields",
    "refund_cents",
    "requested_window",
]

_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)
_SECOND = timedelta(seconds=1)

ALL_DAY: Final[PaidHours] = MappingProxyType({day: ((time(0), END_OF_DAY),) for day in range(7)})
"""Booking hours of a zone whose file gives none: every day, 00:00-24:00."""

FIELD_LIMITS: Final[Mapping[str, tuple[int, int]]] = MappingProxyType(
    {
        "capacity": (1, 100_000),
        "slot_minutes": (5, 1440),
        "min_notice_minutes": (0, 43_200),
        "max_advance_days": (0, 366),
        "cancel_free_until_minutes": (0, 43_200),
        "cancel_late_refund_percent": (0, 100),
        "hold_minutes": (1, 1440),
    }
)
"""Inclusive (minimum, maximum) of each whole-number field of a bookable zone."""

_DEFAULTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "slot_minutes": 60,
        "min_notice_minutes": 0,
        "max_advance_days": 30,
        "cancel_free_until_minutes": 60,
        "cancel_late_refund_percent": 0,
        "hold_minutes": 15,
    }
)


# --------------------------------------------------------------------------- intervals


def _utc(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {instant!r}")
    return instant.astimezone(UTC)


@dataclass(frozen=True, order=True, slots=True)
class Interval:
    """A half-open stretch of real time ``[start, end)``, stored in UTC.

    Raises :class:`ValueError` for naive datetimes or ``end <= start``.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start, end = _utc(self.start, "start"), _utc(self.end, "end")
        if end <= start:
            raise ValueError(f"interval must end after it starts: {start} .. {end}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def _shows(instant: datetime, naive: datetime, tz: tzinfo) -> bool:
    return instant.astimezone(tz).replace(tzinfo=None) == naive


def instants_showing(day: date, clock: time, tz: tzinfo) -> tuple[datetime, ...]:
    """Every instant (UTC, ascending) at which the clock in ``tz`` shows ``clock`` on ``day``.

    One instant on an ordinary day; two where the wall time is repeated (autumn); none where
    it is skipped (spring). :data:`~app.domain.pricing.END_OF_DAY` means the next day's
    00:00.
    """
    if clock == END_OF_DAY:
        day, clock = day + _DAY, time(0)
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:  # one offset: neither skipped nor repeated
        return (first,)
    found = sorted({x for x in (first, second) if _shows(x, naive, tz)})
    return tuple(found)


def first_instant(day: date, clock: time, tz: tzinfo) -> datetime:
    """The first instant (UTC) at which the clock in ``tz`` shows ``clock`` on ``day``; for a
    skipped wall time (spring gap) the instant of the jump, the first instant whose wall time
    is later. Same definition as the paid-hours windows of :mod:`app.domain.pricing`."""
    found = instants_showing(day, clock, tz)
    if found:
        return found[0]
    if clock == END_OF_DAY:  # pragma: no cover - no zone skips midnight into the next day
        day, clock = day + _DAY, time(0)
    naive = datetime.combine(day, clock)
    # In a gap fold=1 resolves with the later offset, before the jump; fold=0 after it.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    low, high = min(low, high), max(low, high)
    lo, hi = 0, int((high - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (low + mid * _SECOND).astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return low + hi * _SECOND


def _local_date(instant: datetime, tz: tzinfo) -> date:
    return instant.astimezone(tz).date()


def _offset_change(low: datetime, high: datetime, tz: tzinfo) -> datetime | None:
    """The instant in ``(low, high)`` at which the UTC offset of ``tz`` changes, if it does
    (at most one change is looked for: slots are at most a day long)."""
    before = low.astimezone(tz).utcoffset()
    if (high - _SECOND).astimezone(tz).utcoffset() == before:
        return None
    lo, hi = 0, int((high - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (low + mid * _SECOND).astimezone(tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return low + hi * _SECOND


# ----------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class CancellationTerms:
    """When a cancelled booking gets its money back.

    Until ``free_until_minutes`` before the start (inclusive): everything paid. From then
    until the start: ``late_refund_percent`` of it (rounded down to a cent; 0 by default,
    "no refund"). From the start on: nothing.
    """

    free_until_minutes: int = 60
    late_refund_percent: int = 0

    def __post_init__(self) -> None:
        problems = [
            *_range_problem("cancel_free_until_minutes", self.free_until_minutes),
            *_range_problem("cancel_late_refund_percent", self.late_refund_percent),
        ]
        if problems:
            raise BookingPolicyError(tuple(problems))


@dataclass(frozen=True)
class BookingPolicy:
    """Everything the booking rules need to know about one bookable zone.

    ``booking_hours`` maps weekday (0 = Monday) to sorted, non-overlapping wall-clock windows,
    like :attr:`~app.domain.pricing.Tariff.paid_hours`; a weekday without windows has no
    booking hours. ``rate_per_hour_cents`` is the booking rate; ``daily_cap_cents`` and
    ``max_minutes`` are the zone's (see the module docstring). Construction validates every
    field and raises :class:`BookingPolicyError` listing all problems.
    """

    capacity: int
    rate_per_hour_cents: int
    slot_minutes: int = 60
    booking_hours: PaidHours = field(default_factory=lambda: ALL_DAY)
    min_notice_minutes: int = 0
    max_advance_days: int = 30
    hold_minutes: int = 15
    cancellation: CancellationTerms = field(default_factory=CancellationTerms)
    daily_cap_cents: int | None = None
    max_minutes: int | None = None

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        for name in ("capacity", "slot_minutes", "min_notice_minutes", "max_advance_days"):
            problems += _range_problem(name, getattr(self, name))
        problems += _range_problem("hold_minutes", self.hold_minutes)
        for name in ("rate_per_hour_cents", "daily_cap_cents", "max_minutes"):
            value = getattr(self, name)
            minimum = 1 if name == "max_minutes" else 0
            if value is not None and (not _is_int(value) or value < minimum):
                problems.append(FieldProblem(name, "too_small", value, minimum=minimum))
        if problems:
            raise BookingPolicyError(tuple(problems))
        try:
            # Tariff validates and normalises hours exactly as paid_hours are (sorted,
            # non-overlapping, whole minutes, empty days dropped, read-only).
            hours = Tariff(rate_per_hour_cents=0, paid_hours=self.booking_hours).paid_hours
        except TariffError as exc:
            raise BookingPolicyError(
                (FieldProblem("booking_hours", "bad_hours", None, detail=_hours_detail(exc)),)
            ) from exc
        if not hours:
            raise BookingPolicyError((FieldProblem("booking_hours", "no_hours", None),))
        object.__setattr__(self, "booking_hours", hours)

    def __hash__(self) -> int:
        return hash((self.capacity, self.rate_per_hour_cents, tuple(self.booking_hours.items())))

    @cached_property
    def tariff(self) -> Tariff:
        """The tariff bookings are priced by: the booking rate around the clock, the zone's
        daily cap, no longest stay (see the module docstring)."""
        return Tariff(
            rate_per_hour_cents=self.rate_per_hour_cents,
            paid_hours=ALL_DAY,
            daily_cap_cents=self.daily_cap_cents,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------- zones file and editor


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a bookable zone's fields, for the zones file and the editor to
    word in their reader's language.

    ``code`` is one of:

    * ``"missing"``: a required field is absent (``capacity``);
    * ``"not_whole_number"``: not an integer (``value`` is what was given);
    * ``"too_small"`` / ``"too_large"``: outside ``minimum`` .. ``maximum``;
    * ``"bad_money"``: ``rate_per_hour`` is not an amount such as ``"2.40"``;
    * ``"unknown_day"``: a ``booking_hours`` key names no weekday (``day`` is the part);
    * ``"bad_hours"``: ``booking_hours`` is malformed otherwise (``detail`` says how, in
      English: a bad time, overlapping or reversed windows, a day given twice);
    * ``"no_hours"``: ``booking_hours`` names no day at all.
    """

    field: str
    code: str
    value: object = None
    minimum: int | None = None
    maximum: int | None = None
    day: str | None = None
    detail: str = ""

    @property
    def message(self) -> str:
        """An English sentence for operators and logs (pages word the code themselves)."""
        if self.code == "missing":
            return f"{self.field} is missing"
        if self.code == "not_whole_number":
            return f"{self.field} must be a whole number, got {self.value!r}"
        if self.code == "too_small":
            return f"{self.field} must be at least {self.minimum}, got {self.value!r}"
        if self.code == "too_large":
            return f"{self.field} must be at most {self.maximum}, got {self.value!r}"
        if self.code == "bad_money":
            return f'{self.field} must be an amount such as "2.40", got {self.value!r}'
        if self.code == "unknown_day":
            return f"{self.field}: unknown day {self.day!r}; use mon..sun, ma..su or mån..sön"
        if self.code == "no_hours":
            return f"{self.field} names no day; leave it out for bookings all day every day"
        return f"{self.field}: {self.detail}"


class BookingPolicyError(ValueError):
    """A bookable zone's fields are invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: tuple[FieldProblem, ...]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _range_problem(name: str, value: object) -> list[FieldProblem]:
    minimum, maximum = FIELD_LIMITS[name]
    if not _is_int(value):
        return [FieldProblem(name, "not_whole_number", value)]
    assert isinstance(value, int)
    if value < minimum:
        return [FieldProblem(name, "too_small", value, minimum=minimum, maximum=maximum)]
    if value > maximum:
        return [FieldProblem(name, "too_large", value, minimum=minimum, maximum=maximum)]
    return []


def _whole_number(name: str, raw: object) -> tuple[int | None, list[FieldProblem]]:
    """A field's integer (a YAML int, or digits as an editor form sends them)."""
    value: object = raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        value = int(raw.strip())
    problems = _range_problem(name, value)
    return (value if not problems and isinstance(value, int) else None), problems


def _hours_detail(exc: TariffError) -> str:
    return str(exc).replace("paid_hours", "booking_hours")


def _parse_booking_hours(raw: object) -> tuple[PaidHours | None, list[FieldProblem]]:
    if raw is None:
        return ALL_DAY, []
    if not isinstance(raw, Mapping):
        detail = 'must be a mapping of days to hours, e.g. {mon-fri: "06:00-23:00"}'
        return None, [FieldProblem("booking_hours", "bad_hours", raw, detail=detail)]
    try:
        hours = parse_paid_hours({str(k): str(v) for k, v in raw.items()})
    except UnknownDayError as exc:
        return None, [FieldProblem("booking_hours", "unknown_day", raw, day=exc.day)]
    except TariffError as exc:
        return None, [FieldProblem("booking_hours", "bad_hours", raw, detail=_hours_detail(exc))]
    if not hours:
        return None, [FieldProblem("booking_hours", "no_hours", raw)]
    return MappingProxyType(hours), []


def booking_policy_problems(
    fields: Mapping[str, object],
    *,
    zone_rate_per_hour_cents: int,
    zone_daily_cap_cents: int | None = None,
    zone_max_minutes: int | None = None,
) -> tuple[FieldProblem, ...]:
    """Every problem with a bookable zone's fields (empty when they make a policy).

    Same reading as :func:`booking_policy_from_fields`; never raises.
    """
    try:
        booking_policy_from_fields(
            fields,
            zone_rate_per_hour_cents=zone_rate_per_hour_cents,
            zone_daily_cap_cents=zone_daily_cap_cents,
            zone_max_minutes=zone_max_minutes,
        )
    except BookingPolicyError as exc:
        return exc.problems
    return ()


def booking_policy_from_fields(
    fields: Mapping[str, object],
    *,
    zone_rate_per_hour_cents: int,
    zone_daily_cap_cents: int | None = None,
    zone_max_minutes: int | None = None,
) -> BookingPolicy:
    """The booking policy of a bookable zone from its zones-file (or editor) fields.

    Reads ``capacity`` (required), ``slot_minutes`` (default 60), ``booking_hours`` (like
    ``paid_hours``; default all day every day), ``min_notice_minutes`` (0),
    ``max_advance_days`` (30), ``cancel_free_until_minutes`` (60),
    ``cancel_late_refund_percent`` (0: no refund after the free-cancellation cutoff),
    ``hold_minutes`` (15) and ``rate_per_hour`` (a decimal string; default the zone's
    rate). Whole numbers may be ints or digit strings; a field set to ``None`` takes its
    default. Other keys are ignored (the zone's own fields). Raises
    :class:`BookingPolicyError` listing every problem.
    """
    problems: list[FieldProblem] = []
    values: dict[str, int] = {}
    if fields.get("capacity") is None:
        problems.append(FieldProblem("capacity", "missing"))
    else:
        capacity, found = _whole_number("capacity", fields["capacity"])
        problems += found
        if capacity is not None:
            values["capacity"] = capacity
    for name, default in _DEFAULTS.items():
        raw = fields.get(name)
        value, found = (default, []) if raw is None else _whole_number(name, raw)
        problems += found
        if value is not None:
            values[name] = value
    hours, found = _parse_booking_hours(fields.get("booking_hours"))
    problems += found
    rate = zone_rate_per_hour_cents
    raw_rate = fields.get("rate_per_hour")
    if raw_rate is not None:
        try:
            if not isinstance(raw_rate, str | int | float | Decimal):
                raise TariffError(f"not an amount of money: {raw_rate!r}")
            rate = parse_money(raw_rate)
        except TariffError:
            problems.append(FieldProblem("rate_per_hour", "bad_money", raw_rate))
    if problems:
        raise BookingPolicyError(tuple(problems))
    assert hours is not None
    return BookingPolicy(
        capacity=values["capacity"],
        rate_per_hour_cents=rate,
        slot_minutes=values["slot_minutes"],
        booking_hours=hours,
        min_notice_minutes=values["min_notice_minutes"],
        max_advance_days=values["max_advance_days"],
        hold_minutes=values["hold_minutes"],
        cancellation=CancellationTerms(
            values["cancel_free_until_minutes"], values["cancel_late_refund_percent"]
        ),
        daily_cap_cents=zone_daily_cap_cents,
        max_minutes=zone_max_minutes,
    )


def policy_to_fields(policy: BookingPolicy) -> dict[str, object]:
    """The zones-file fields of a policy (every one, defaults included), the inverse of
    :func:`booking_policy_from_fields` given the same zone values."""
    return {
        "capacity": policy.capacity,
        "slot_minutes": policy.slot_minutes,
        "booking_hours": paid_hours_to_spec(policy.booking_hours),
        "min_notice_minutes": policy.min_notice_minutes,
        "max_advance_days": policy.max_advance_days,
        "cancel_free_until_minutes": policy.cancellation.free_until_minutes,
        "cancel_late_refund_percent": policy.cancellation.late_refund_percent,
        "hold_minutes": policy.hold_minutes,
        "rate_per_hour": money_to_decimal_str(policy.rate_per_hour_cents),
    }


# ------------------------------------------------------------------- hours and slot grid


def booking_hours_between(
    policy: BookingPolicy, low: datetime, high: datetime, tz: tzinfo
) -> tuple[Interval, ...]:
    """Booking hours within ``[low, high)`` as sorted, disjoint real-time intervals; windows
    that touch (``22:00-24:00`` and the next day's ``00:00-06:00``) are merged."""
    low, high = _utc(low, "low"), _utc(high, "high")
    pieces: list[tuple[datetime, datetime]] = []
    day, last = _local_date(low, tz) - _DAY, _local_date(high, tz)
    while day <= last:
        for a, b in policy.booking_hours.get(day.weekday(), ()):
            start = max(first_instant(day, a, tz), low)
            end = min(first_instant(day, b, tz), high)
            if start < end:
                pieces.append((start, end))
        day += _DAY
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(Interval(a, b) for a, b in merged)


def _clock(minutes: int) -> time:
    return END_OF_DAY if minutes == 1440 else time(minutes // 60, minutes % 60)


def _minutes(clock: time) -> int:
    return 1440 if clock == END_OF_DAY else clock.hour * 60 + clock.minute


def day_slots(policy: BookingPolicy, day: date, tz: tzinfo) -> tuple[Interval, ...]:
    """The slot grid of a local date: the booking hours of ``day`` cut into slots.

    The grid times of a window ``(a, b)`` are ``a, a + slot_minutes, ...`` before ``b`` (and
    the earlier wall times of that rhythm, where the clock is set back inside the window).
    Slot boundaries are every instant at which the local clock shows a grid time, the
    window's end, and every change of UTC offset inside the window. Therefore:

    * slots tile the day's booking hours exactly: nothing is lost, nothing overlaps;
    * no slot is longer than ``slot_minutes`` of real time; the last slot of a window is
      shorter when the window is not a whole number of slots;
    * on the spring day (Helsinki: 03:00 -> 04:00) the skipped hour simply is not there:
      hourly slots give 23 slots, and a grid time inside the gap becomes the jump instant
      (a slot that would start at 03:00 starts at 04:00 +03:00);
    * on the autumn day (04:00 -> 03:00) the repeated wall times are boundaries at both
      occurrences: hourly slots give 25 slots, two of them starting at 03:00, told apart by
      their UTC offset (``03:00+03:00`` and ``03:00+02:00``), so none is duplicated.

    A window that lies entirely in a spring gap gives no slot. Returned in time order, UTC.
    """
    slots: list[Interval] = []
    step = policy.slot_minutes
    for a, b in policy.booking_hours.get(day.weekday(), ()):
        start, end = first_instant(day, a, tz), first_instant(day, b, tz)
        if start >= end:
            continue
        bounds = {start, end}
        # Where the clock is set back inside the window it shows wall times before ``a``
        # again (New York's autumn night replays 01:00-02:00 inside "01:45-04:10"), so the
        # grid is extended back to the day's start to cut that replay too.
        set_back = start.astimezone(tz).utcoffset() != (end - _SECOND).astimezone(tz).utcoffset()
        first = _minutes(a) % step if set_back else _minutes(a)
        for minute in range(first, _minutes(b), step):
            clock = _clock(minute)
            for instant in instants_showing(day, clock, tz) or (first_instant(day, clock, tz),):
                if start < instant < end:
                    bounds.add(instant)
        ordered = sorted(bounds)
        for low, high in pairwise(ordered):
            change = _offset_change(low, high, tz)
            if change is not None:
                slots += [Interval(low, change), Interval(change, high)]
            else:
                slots.append(Interval(low, high))
    return tuple(slots)


# ------------------------------------------------------------------- requested windows


@dataclass(frozen=True)
class TimeRange:
    """Wall-clock times of a requested booking on a local date, as a driver gives them.

    ``end`` is a wall time (:data:`~app.domain.pricing.END_OF_DAY` for 24:00); an end at
    or before ``start`` is on the next day (``22-06``). ``duration_minutes`` is real time
    from the start (``10 2h``). At most one of them is set; with neither the caller's
    default length applies (one slot for a new booking, the booking's own length for a
    move). Raises :class:`ValueError` otherwise.
    """

    start: time
    end: time | None = None
    duration_minutes: int | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.duration_minutes is not None:
            raise ValueError("a time range has an end or a duration, not both")
        if self.duration_minutes is not None and self.duration_minutes <= 0:
            raise ValueError(f"duration must be positive, got {self.duration_minutes}")
        if self.start == END_OF_DAY:
            raise ValueError("a booking cannot start at 24:00")
        for clock in (self.start, self.end):
            if clock is not None and clock != END_OF_DAY and (clock.second or clock.microsecond):
                raise ValueError(f"times must be whole minutes, got {clock}")
            if clock is not None and clock.tzinfo is not None:
                raise ValueError(f"times must be naive wall times, got {clock}")


def requested_window(
    day: date, times: TimeRange, tz: tzinfo, *, default_minutes: int
) -> Interval | None:
    """The real-time window of ``times`` on the local date ``day``.

    The start is the first instant the clock shows ``times.start`` (a skipped wall time: the
    jump; a repeated one: its first occurrence); an end likewise, on ``day`` or, when it is
    not after the start, on the next day; a duration (or ``default_minutes`` when the range
    has neither) runs in real time from the start. ``None`` when the times give no time at
    all (start and end both inside one spring gap).
    """
    start = first_instant(day, times.start, tz)
    if times.end is not None:
        after = times.end == END_OF_DAY or times.end > times.start
        end = first_instant(day if after else day + _DAY, times.end, tz)
    else:
        minutes = times.duration_minutes or default_minutes
        end = start + timedelta(minutes=minutes)
    return Interval(start, end) if end > start else None


# ---------------------------------------------------------------------- window checks


@dataclass(frozen=True)
class WindowRefusal:
    """Why a window cannot be booked, with what a reply needs to say what would work.

    ``code`` (checked in this order) and the details it comes with:

    * ``"in_past"``: the start has passed; ``earliest_start``;
    * ``"too_soon"``: less than ``min_notice_minutes`` ahead; ``earliest_start``;
    * ``"too_far"``: starts after ``last_day``;
    * ``"too_long"``: longer than the zone's longest stay, ``max_minutes``; ``latest_end``
      (``start + max_minutes``, also limited by the booking hours);
    * ``"closed_day"``: no booking hours on ``day``'s weekday; ``next_open_day``;
    * ``"outside_hours"``: some minute of the window is outside the booking hours;
      ``day_windows`` (that day's wall-clock windows), and ``latest_end`` when the start
      itself is inside the hours (how long the booking could run).

    ``earliest_start`` is the first whole minute (UTC) at or after now + notice that is
    inside the booking hours and not after ``last_day`` (None when there is none).
    ``day`` is the local date of the requested start; ``last_day`` is always given.
    """

    code: str
    day: date
    last_day: date
    earliest_start: datetime | None = None
    next_open_day: date | None = None
    day_windows: tuple[Window, ...] = ()
    latest_end: datetime | None = None
    max_minutes: int | None = None


def last_bookable_day(policy: BookingPolicy, now: datetime, tz: tzinfo) -> date:
    """The last local date on which a booking made at ``now`` may start."""
    return _local_date(_utc(now, "now"), tz) + timedelta(days=policy.max_advance_days)


def _ceil_minute(instant: datetime) -> datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + _MINUTE


def earliest_start(policy: BookingPolicy, now: datetime, tz: tzinfo) -> datetime | None:
    """The first whole minute (UTC) at which a booking made at ``now`` may start: not before
    ``now + min_notice_minutes``, inside the booking hours, on or before the last bookable
    day. None when no such minute exists."""
    now = _utc(now, "now")
    low = _ceil_minute(now + timedelta(minutes=policy.min_notice_minutes))
    last = last_bookable_day(policy, now, tz)
    high = first_instant(last + _DAY, time(0), tz)
    if low >= high:
        return None
    for hours in booking_hours_between(policy, low, high, tz):
        candidate = _ceil_minute(hours.start)
        if candidate < hours.end:
            return candidate
    return None


def _next_open_day(policy: BookingPolicy, day: date, last: date) -> date | None:
    for offset in range(1, 8):
        candidate = day + timedelta(days=offset)
        if candidate > last:
            return None
        if candidate.weekday() in policy.booking_hours:
            return candidate
    return None  # pragma: no cover - a policy always has at least one day of hours


def check_window(
    policy: BookingPolicy, window: Interval, *, now: datetime, tz: tzinfo
) -> WindowRefusal | None:
    """Whether ``window`` can be booked at ``now`` under ``policy`` (capacity aside).

    None when it can: it starts no earlier than now + ``min_notice_minutes``, on or before
    :func:`last_bookable_day`, lasts no longer than ``max_minutes`` (when set) and every
    minute of it lies inside the booking hours (windows of consecutive days that touch
    count as one). Otherwise a :class:`WindowRefusal` naming the first rule broken, in the
    order listed there, with the details a reply needs.
    """
    now = _utc(now, "now")
    day = _local_date(window.start, tz)
    last = last_bookable_day(policy, now, tz)
    if window.start < now + timedelta(minutes=policy.min_notice_minutes):
        return WindowRefusal(
            "in_past" if window.start < now else "too_soon",
            day,
            last,
            earliest_start=earliest_start(policy, now, tz),
        )
    if day > last:
        return WindowRefusal("too_far", day, last)
    if policy.max_minutes is not None and window.length > timedelta(minutes=policy.max_minutes):
        limit = window.start + timedelta(minutes=policy.max_minutes)
        return WindowRefusal(
            "too_long",
            day,
            last,
            max_minutes=policy.max_minutes,
            latest_end=_stretch_end(policy, window.start, limit, tz),
        )
    windows = policy.booking_hours.get(day.weekday(), ())
    if not windows:
        return WindowRefusal(
            "closed_day", day, last, next_open_day=_next_open_day(policy, day, last)
        )
    end = _stretch_end(policy, window.start, window.end, tz)
    if end is None or end < window.end:
        return WindowRefusal("outside_hours", day, last, day_windows=windows, latest_end=end)
    return None


def _stretch_end(
    policy: BookingPolicy, start: datetime, until: datetime, tz: tzinfo
) -> datetime | None:
    """Where the booking hours that ``start`` lies in end, looked at up to ``until`` (at most
    ``until``); None when ``start`` is outside the booking hours."""
    pieces = booking_hours_between(policy, start, until, tz)
    return pieces[0].end if pieces and pieces[0].start == start else None


# ------------------------------------------------------------- price, holds, cancelling


def booking_price(policy: BookingPolicy, window: Interval, tz: tzinfo) -> int:
    """Price in cents of booking ``window``: every started minute at the booking rate,
    whatever the zone's paid hours, each local day's charge capped by the zone's daily cap
    (see the module docstring). ``tz`` is ``APP_TIMEZONE`` (where days begin)."""
    return price(policy.tariff, window.start, window.end, tz)


def hold_expires_at(policy: BookingPolicy, held_at: datetime) -> datetime:
    """When an unpaid booking made at ``held_at`` stops holding its space (UTC)."""
    return _utc(held_at, "held_at") + timedelta(minutes=policy.hold_minutes)


def free_cancellation_until(terms: CancellationTerms, start: datetime) -> datetime:
    """The last instant (UTC) at which a booking starting at ``start`` is cancelled for a
    full refund."""
    return _utc(start, "start") - timedelta(minutes=terms.free_until_minutes)


def refund_cents(terms: CancellationTerms, paid_cents: int, start: datetime, now: datetime) -> int:
    """The refund in cents for cancelling, at ``now``, a booking that starts at ``start``
    and for which ``paid_cents`` were paid: all of it until :func:`free_cancellation_until`
    (inclusive), then ``late_refund_percent`` of it rounded down until the start, then 0.
    Never negative, never more than paid, never increasing as ``now`` grows."""
    if paid_cents <= 0:
        return 0
    now, start = _utc(now, "now"), _utc(start, "start")
    if now <= free_cancellation_until(terms, start):
        return paid_cents
    if now < start:
        return paid_cents * terms.late_refund_percent // 100
    return 0
