"""Pricing as it was before the speed work of issue 13 (main e6f1f79), kept verbatim as the
reference that tests/domain/test_pricing_equivalence.py compares the faster code with.

Not used by the application. Only the time math and the pricing functions are copied; the
tariff model, parsing and money helpers are the application's own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from fractions import Fraction

from app.domain.pricing import END_OF_DAY, DayCharge, Tariff

_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)


def _utc(dt: datetime, name: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {dt!r}")
    return dt.astimezone(UTC)


def _interval(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if end_utc < start_utc:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    return start_utc, end_utc


def _wall_to_utc(day: date, clock: time, tz: tzinfo) -> datetime:
    """The first instant at which the local clock in ``tz`` shows ``clock`` on ``day``.

    :data:`END_OF_DAY` means the next day's 00:00. An ambiguous wall time (DST fold)
    gives its first occurrence; a non-existent one (DST gap) gives the instant of the
    jump, i.e. the first instant whose wall time is later.
    """
    if clock == END_OF_DAY:
        day, clock = day + _DAY, time(0)
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


def _local_date(instant: datetime, tz: tzinfo) -> date:
    return instant.astimezone(tz).date()


def _paid_intervals(
    tariff: Tariff, lo: datetime, hi: datetime, tz: tzinfo
) -> list[tuple[datetime, datetime]]:
    """Paid time within ``[lo, hi)`` (UTC) as sorted, disjoint, non-touching intervals."""
    pieces: list[tuple[datetime, datetime]] = []
    hours = tariff.paid_hours
    if not hours or lo >= hi:
        return pieces
    day = _local_date(lo, tz) - _DAY
    last = _local_date(hi, tz)
    while day <= last:
        for a, b in hours.get(day.weekday(), ()):
            start = max(_wall_to_utc(day, a, tz), lo)
            end = min(_wall_to_utc(day, b, tz), hi)
            if start < end:
                pieces.append((start, end))
        day += _DAY
    pieces.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _ceil_minutes(delta: timedelta) -> int:
    return -(-delta // _MINUTE)


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
    limited = capped_end(tariff, start, end)
    assert limited is not None
    end = limited
    intervals = _paid_intervals(tariff, start, end, tz)
    if not intervals:
        return []
    # Paid minute indices as merged half-open ranges [k0, k1).
    ranges: list[list[int]] = []
    for a, b in intervals:
        k0, k1 = (a - start) // _MINUTE, _ceil_minutes(b - start)
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
    total_minutes = _ceil_minutes(end - start)
    while index < len(ranges):
        next_day = day + _DAY
        midnight = _wall_to_utc(next_day, time(0), tz)
        hi = max(lo, min(total_minutes, _ceil_minutes(midnight - start)))
        count = 0
        while index < len(ranges):
            k0, k1 = ranges[index]
            count += max(0, min(k1, hi) - max(k0, lo))
            if k1 > hi:
                break
            index += 1
        if count:
            result.append((day, count))
        day, lo = next_day, hi
    return result


def price_breakdown(
    tariff: Tariff, start: datetime, end: datetime, tz: tzinfo
) -> tuple[DayCharge, ...]:
    """Per local date charges of a parking; only dates with paid minutes are listed.

    Same rules and errors as :func:`price`; ``price == sum(c.cents for c in ...)``.
    """
    rate, cap = tariff.rate_per_hour_cents, tariff.daily_cap_cents
    charges: list[DayCharge] = []
    exact_total = Fraction(0)
    charged = 0
    for day, minutes in _paid_minutes_by_day(tariff, start, end, tz):
        uncapped = Fraction(minutes * rate, 60)
        exact = uncapped if cap is None else min(uncapped, Fraction(cap))
        exact_total += exact
        share = _ceil_cents(exact_total) - charged
        charged += share
        charges.append(DayCharge(day, minutes, _ceil_cents(uncapped), share, exact < uncapped))
    return tuple(charges)


def _ceil_cents(amount: Fraction) -> int:
    return -(-amount // 1)


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
    return sum(charge.cents for charge in price_breakdown(tariff, start, end, tz))


def paid_minutes(tariff: Tariff, start: datetime, end: datetime, tz: tzinfo) -> int:
    """Number of started paid minutes that :func:`price` charges (after ``max_minutes``).

    Before the daily cap; for display and receipts. Same errors as :func:`price`.
    """
    return sum(minutes for _, minutes in _paid_minutes_by_day(tariff, start, end, tz))


def is_paid_time(tariff: Tariff, at: datetime, tz: tzinfo) -> bool:
    """Whether the instant ``at`` (aware) falls inside a paid window (half-open)."""
    at_utc = _utc(at, "at")
    return bool(_paid_intervals(tariff, at_utc, at_utc + timedelta(microseconds=1), tz))


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
    for start, end in _paid_intervals(tariff, at_utc, horizon, tz):
        if start > at_utc:
            return start
        if end < horizon:
            return end
    return None
