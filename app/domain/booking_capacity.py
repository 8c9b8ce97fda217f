"""Capacity arithmetic of a bookable zone, and the nearest free windows when it is full.

Pure: no I/O, no Flask, no database. A zone is a pool of ``capacity`` identical spaces. The
caller decides which bookings are *live* (paid, or held and unexpired) and passes their
windows as :class:`Occupied`; this module never looks at payment or hold state. Intervals
are half-open, so back-to-back bookings (10-12, 12-14) share a space.

The free count of a window is ``capacity - (the most spaces taken at any instant of the
window)``: a booking needs its space for the whole window, so the busiest instant decides.
Occupancy is built once by a sweep over the bookings' starts and ends
(:class:`Occupancy`), then each query looks only at the changes inside its window.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from itertools import accumulate

from app.domain.booking_policy import (
    BookingPolicy,
    Interval,
    check_window,
    day_slots,
    first_instant,
)

__all__ = [
    "Alternative",
    "Alternatives",
    "Occupancy",
    "Occupied",
    "SlotAvailability",
    "ZoneCandidate",
    "alternatives",
    "day_availability",
    "fits",
    "free_per_slot",
    "free_spaces",
    "nearest_free_windows",
    "windows_in_other_zones",
]


@dataclass(frozen=True, slots=True)
class Occupied:
    """A live booking's hold on the pool: ``spaces`` spaces over ``window``."""

    window: Interval
    spaces: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.spaces, bool) or not isinstance(self.spaces, int) or self.spaces < 1:
            raise ValueError(f"spaces must be a positive whole number, got {self.spaces!r}")


class Occupancy:
    """Spaces taken over time, as a step function: built by one sweep over the bookings.

    Starts and ends at the same instant are netted before the level is read, which is what
    makes the intervals half-open.
    """

    __slots__ = ("_levels", "_times")

    def __init__(self, occupied: Iterable[Occupied]) -> None:
        changes: dict[datetime, int] = {}
        for item in occupied:
            changes[item.window.start] = changes.get(item.window.start, 0) + item.spaces
            changes[item.window.end] = changes.get(item.window.end, 0) - item.spaces
        self._times = sorted(changes)
        self._levels = list(accumulate(changes[t] for t in self._times))

    def peak(self, window: Interval) -> int:
        """The most spaces taken at any instant of ``window``."""
        index = bisect_right(self._times, window.start) - 1
        peak = self._levels[index] if index >= 0 else 0
        index += 1
        while index < len(self._times) and self._times[index] < window.end:
            peak = max(peak, self._levels[index])
            index += 1
        return peak


OccupancyLike = Occupancy | Iterable[Occupied]


def _occupancy(occupied: OccupancyLike) -> Occupancy:
    return occupied if isinstance(occupied, Occupancy) else Occupancy(occupied)


def free_spaces(capacity: int, occupied: OccupancyLike, window: Interval) -> int:
    """Spaces free for the whole of ``window``: ``capacity`` minus the peak occupancy in it,
    never below 0 (staff may have lowered the capacity under existing bookings)."""
    return max(0, capacity - _occupancy(occupied).peak(window))


def fits(capacity: int, occupied: OccupancyLike, window: Interval, spaces: int = 1) -> bool:
    """Whether ``spaces`` more spaces can be booked for ``window`` without exceeding
    ``capacity`` at any instant."""
    return _occupancy(occupied).peak(window) + spaces <= capacity


def free_per_slot(
    capacity: int, occupied: OccupancyLike, slots: Sequence[Interval]
) -> tuple[int, ...]:
    """:func:`free_spaces` of each slot, in the order given (one sweep for all of them)."""
    occupancy = _occupancy(occupied)
    return tuple(free_spaces(capacity, occupancy, slot) for slot in slots)


@dataclass(frozen=True)
class SlotAvailability:
    """One slot of a day's grid (availability API, web grid, panel grid).

    ``bookable`` is whether the slot as a whole passes the booking rules at the ``now``
    given (None when no ``now`` was given); ``free`` is capacity arithmetic only.
    """

    start: datetime
    end: datetime
    free: int
    bookable: bool | None = None


def day_availability(
    policy: BookingPolicy,
    day: date,
    tz: tzinfo,
    occupied: OccupancyLike,
    *,
    now: datetime | None = None,
) -> tuple[SlotAvailability, ...]:
    """The slot grid of ``day`` (see :func:`~app.domain.booking_policy.day_slots`) with the
    free count of each slot and, given ``now``, whether the slot can be booked."""
    occupancy = _occupancy(occupied)
    result: list[SlotAvailability] = []
    for slot in day_slots(policy, day, tz):
        bookable = None if now is None else check_window(policy, slot, now=now, tz=tz) is None
        free = free_spaces(policy.capacity, occupancy, slot)
        result.append(SlotAvailability(slot.start, slot.end, free, bookable))
    return tuple(result)


# ---------------------------------------------------------------------- alternatives


@dataclass(frozen=True)
class Alternative:
    """A window that can be booked instead: in the same zone (``zone`` None) or another."""

    window: Interval
    free: int
    zone: str | None = None


@dataclass(frozen=True)
class ZoneCandidate:
    """Another bookable zone the caller offers as a way out, with its live bookings."""

    zone: str
    policy: BookingPolicy
    occupied: Occupancy


@dataclass(frozen=True)
class Alternatives:
    """What a "full" (or refused) answer can offer: nearest windows in the same zone, and
    the same window in other zones."""

    same_zone: tuple[Alternative, ...]
    other_zones: tuple[Alternative, ...]


def _candidate_starts(
    policy: BookingPolicy, wanted: Interval, tz: tzinfo, days_after: int
) -> set[datetime]:
    """The slot-grid starts of the wanted day and the following ``days_after`` days, and the
    wanted start's wall time on each following day ("same time tomorrow")."""
    local = wanted.start.astimezone(tz)
    starts: set[datetime] = set()
    for offset in range(days_after + 1):
        day = local.date() + timedelta(days=offset)
        starts.update(slot.start for slot in day_slots(policy, day, tz))
        if offset:
            starts.add(first_instant(day, local.time().replace(tzinfo=None), tz))
    return starts


def nearest_free_windows(
    policy: BookingPolicy,
    wanted: Interval,
    occupied: OccupancyLike,
    *,
    now: datetime,
    tz: tzinfo,
    limit: int = 3,
    spaces: int = 1,
    days_after: int = 3,
) -> tuple[Alternative, ...]:
    """Up to ``limit`` windows as long as ``wanted`` that can be booked instead, nearest first.

    Candidates start on the slot grid of the wanted day (earlier and later) and of the next
    ``days_after`` days, or at the wanted wall time on those days. Each one passes
    :func:`~app.domain.booking_policy.check_window` at ``now`` and has ``spaces`` free. They
    are ordered by how far their start is from the wanted start (earlier first on a tie);
    ``wanted`` itself is never offered.
    """
    occupancy = _occupancy(occupied)
    length = wanted.length
    soonest = now + timedelta(minutes=policy.min_notice_minutes)
    found: list[Alternative] = []
    for start in _candidate_starts(policy, wanted, tz, days_after):
        window = Interval(start, start + length)
        if window == wanted or start < soonest:  # (cheap test first: most refusals)
            continue
        if check_window(policy, window, now=now, tz=tz) is not None:
            continue
        free = free_spaces(policy.capacity, occupancy, window)
        if free >= spaces:
            found.append(Alternative(window, free))
    found.sort(key=lambda alt: (abs(alt.window.start - wanted.start), alt.window.start))
    return tuple(found[:limit])


def windows_in_other_zones(
    candidates: Iterable[ZoneCandidate],
    wanted: Interval,
    *,
    now: datetime,
    tz: tzinfo,
    limit: int = 2,
    spaces: int = 1,
) -> tuple[Alternative, ...]:
    """The wanted window in other zones, where it passes their rules and fits: up to
    ``limit`` of them, in the caller's order (nearest zone first, say)."""
    found: list[Alternative] = []
    for candidate in candidates:
        if len(found) >= limit:
            break
        if check_window(candidate.policy, wanted, now=now, tz=tz) is not None:
            continue
        free = free_spaces(candidate.policy.capacity, candidate.occupied, wanted)
        if free >= spaces:
            found.append(Alternative(wanted, free, candidate.zone))
    return tuple(found)


def alternatives(
    policy: BookingPolicy,
    wanted: Interval,
    occupied: OccupancyLike,
    *,
    now: datetime,
    tz: tzinfo,
    limit: int = 3,
    spaces: int = 1,
    days_after: int = 3,
    other_zones: Iterable[ZoneCandidate] = (),
    other_zones_limit: int = 2,
) -> Alternatives:
    """Both kinds of way out of a full window: :func:`nearest_free_windows` and
    :func:`windows_in_other_zones` (the hook through which the caller adds other bookable
    zones)."""
    return Alternatives(
        nearest_free_windows(
            policy,
            wanted,
            occupied,
            now=now,
            tz=tz,
            limit=limit,
            spaces=spaces,
            days_after=days_after,
        ),
        windows_in_other_zones(
            other_zones, wanted, now=now, tz=tz, limit=other_zones_limit, spaces=spaces
        ),
    )
