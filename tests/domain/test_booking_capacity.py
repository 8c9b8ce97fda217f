"""Tests of capacity arithmetic and alternatives (app.domain.booking_capacity)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.booking_capacity import (
    Alternative,
    Occupancy,
    Occupied,
    ZoneCandidate,
    alternatives,
    day_availability,
    fits,
    free_per_slot,
    free_spaces,
    nearest_free_windows,
    windows_in_other_zones,
)
from app.domain.booking_policy import (
    BookingPolicy,
    Interval,
    booking_policy_from_fields,
    check_window,
    day_slots,
)

HEL = ZoneInfo("Europe/Helsinki")
MIN = timedelta(minutes=1)
H = timedelta(hours=1)


def hel(d: int, h: int = 0, mi: int = 0, mo: int = 12) -> datetime:
    return datetime(2026, mo, d, h, mi, tzinfo=HEL).astimezone(UTC)


def w(d: int, h1: float, h2: float) -> Interval:
    """The window of 2026-12-<d> from hour h1 to hour h2 (fractions are minutes)."""
    return Interval(hel(d) + h1 * H, hel(d) + h2 * H)


def booked(d: int, h1: float, h2: float, spaces: int = 1) -> Occupied:
    return Occupied(w(d, h1, h2), spaces)


def policy(capacity: int, **fields: object) -> BookingPolicy:
    return booking_policy_from_fields(
        {"capacity": capacity, "booking_hours": {"daily": "06:00-22:00"}, **fields},
        zone_rate_per_hour_cents=240,
    )


# Wednesday 2 December 2026, 08:00 in Helsinki.
NOW = hel(2, 8)


# ------------------------------------------------------------------------- the sweep


@pytest.mark.parametrize(
    ("bookings", "window", "peak"),
    [
        ([], w(3, 10, 12), 0),
        ([booked(3, 10, 12)], w(3, 10, 12), 1),
        ([booked(3, 8, 10)], w(3, 10, 12), 0),  # ends as the window starts
        ([booked(3, 12, 14)], w(3, 10, 12), 0),  # starts as the window ends
        ([booked(3, 8, 10), booked(3, 10, 12)], w(3, 9, 11), 1),  # back to back: one space
        ([booked(3, 8, 11), booked(3, 10, 12)], w(3, 9, 11), 2),
        ([booked(3, 8, 11), booked(3, 10, 12)], w(3, 11, 13), 1),
        ([booked(3, 8, 9), booked(3, 11, 12)], w(3, 8, 12), 1),  # never both at once
        ([booked(3, 6, 22), booked(3, 10, 10.5), booked(3, 10.25, 11)], w(3, 9, 12), 3),
        ([booked(3, 10, 12, spaces=3), booked(3, 11, 13)], w(3, 12, 13), 1),
        ([booked(3, 10, 12, spaces=3), booked(3, 11, 13)], w(3, 9, 14), 4),
        ([booked(3, 10, 12)], w(3, 11.99, 12), 1),
    ],
)
def test_peak_occupancy_of_a_window(bookings: list[Occupied], window: Interval, peak: int) -> None:
    assert Occupancy(bookings).peak(window) == peak
    assert free_spaces(5, bookings, window) == 5 - peak
    assert fits(peak + 1, bookings, window)
    assert not fits(peak, bookings, window)


def test_free_spaces_never_go_below_zero_when_capacity_was_lowered() -> None:
    bookings = [booked(3, 10, 12, spaces=3)]
    assert free_spaces(2, bookings, w(3, 10, 11)) == 0
    assert not fits(2, bookings, w(3, 10, 11))


def test_a_group_needs_room_for_all_its_spaces() -> None:
    bookings = [booked(3, 10, 12, spaces=2)]
    assert fits(4, bookings, w(3, 10, 12), spaces=2)
    assert not fits(4, bookings, w(3, 10, 12), spaces=3)


def test_occupied_spaces_must_be_a_positive_whole_number() -> None:
    for spaces in (0, -1, True):
        with pytest.raises(ValueError, match="spaces"):
            Occupied(w(3, 10, 12), spaces)


minute_intervals = st.tuples(st.integers(0, 600), st.integers(1, 240), st.integers(1, 3))


def interval_of(start: int, length: int) -> Interval:
    return Interval(hel(3) + start * MIN, hel(3) + (start + length) * MIN)


@given(st.lists(minute_intervals, max_size=25), st.integers(0, 700), st.integers(1, 240))
@settings(max_examples=300)
def test_the_sweep_agrees_with_counting_minute_by_minute(
    bookings: list[tuple[int, int, int]], start: int, length: int
) -> None:
    occupied = [Occupied(interval_of(s, n), k) for s, n, k in bookings]
    brute = max(
        sum(k for s, n, k in bookings if s <= minute < s + n)
        for minute in range(start, start + length)
    )
    assert Occupancy(occupied).peak(interval_of(start, length)) == brute


@given(
    st.lists(minute_intervals, max_size=15),
    st.integers(1, 8),
    st.integers(0, 700),
    st.integers(1, 240),
    st.integers(1, 3),
)
@settings(max_examples=300)
def test_a_booking_fits_exactly_when_adding_it_never_exceeds_capacity(
    bookings: list[tuple[int, int, int]], capacity: int, start: int, length: int, spaces: int
) -> None:
    occupied = [Occupied(interval_of(s, n), k) for s, n, k in bookings]
    with_it = [*bookings, (start, length, spaces)]
    over = any(
        sum(k for s, n, k in with_it if s <= minute < s + n) > capacity
        for minute in range(start, start + length)
    )
    assert fits(capacity, occupied, interval_of(start, length), spaces) is not over


@given(st.lists(minute_intervals, max_size=15), st.integers(1, 6))
def test_free_per_slot_is_free_spaces_of_each_slot(
    bookings: list[tuple[int, int, int]], capacity: int
) -> None:
    occupied = [Occupied(interval_of(s, n), k) for s, n, k in bookings]
    slots = [interval_of(m, 60) for m in range(0, 720, 60)]
    assert free_per_slot(capacity, occupied, slots) == tuple(
        free_spaces(capacity, occupied, slot) for slot in slots
    )


# --------------------------------------------------------------------- the day's grid


def test_day_availability_gives_free_counts_and_what_can_still_be_booked() -> None:
    p = policy(2, min_notice_minutes=60)
    bookings = [booked(2, 9, 11), booked(2, 10.5, 12)]
    grid = day_availability(p, date(2026, 12, 2), HEL, bookings, now=NOW)
    assert len(grid) == 16
    by_hour = {s.start.astimezone(HEL).hour: (s.free, s.bookable) for s in grid}
    assert by_hour[6] == (2, False)  # before now
    assert by_hour[8] == (2, False)  # less than the notice away
    assert by_hour[9] == (1, True)
    assert by_hour[10] == (0, True)  # full: bookable by the rules, no space
    assert by_hour[11] == (1, True)
    assert by_hour[12] == (2, True)
    assert all(s.bookable is None for s in day_availability(p, date(2026, 12, 2), HEL, []))


def test_day_availability_across_the_autumn_change() -> None:
    p = booking_policy_from_fields({"capacity": 3}, zone_rate_per_hour_cents=240)
    bookings = [Occupied(Interval(hel(25, 3, mo=10), hel(25, 5, mo=10)))]  # 03:00+03 -> 05:00+02
    grid = day_availability(p, date(2026, 10, 25), HEL, bookings)
    assert len(grid) == 25
    frees = [(s.start.astimezone(HEL).strftime("%H%z"), s.free) for s in grid[2:7]]
    assert frees == [("02+0300", 3), ("03+0300", 2), ("03+0200", 2), ("04+0200", 2), ("05+0200", 3)]


# ---------------------------------------------------------------------- alternatives


def starts(found: tuple[Alternative, ...]) -> list[str]:
    return [
        f"{a.window.start.astimezone(HEL):%d %H:%M}-{a.window.end.astimezone(HEL):%H:%M}"
        for a in found
    ]


def test_the_nearest_free_windows_of_the_same_length_come_first() -> None:
    p = policy(1)
    full = [booked(3, 10, 12)]
    found = nearest_free_windows(p, w(3, 10, 12), full, now=NOW, tz=HEL, limit=4)
    assert starts(found) == ["03 08:00-10:00", "03 12:00-14:00", "03 07:00-09:00", "03 13:00-15:00"]
    assert all(a.free == 1 and a.zone is None for a in found)


def test_a_full_day_offers_the_next_day_nearest_first_also_at_the_same_time() -> None:
    p = policy(1)
    full = [booked(3, 6, 22), booked(4, 6, 9)]
    found = nearest_free_windows(p, w(3, 10.5, 12), full, now=NOW, tz=HEL, limit=4)
    assert starts(found) == [
        "04 09:00-10:30",
        "04 10:00-11:30",
        "04 10:30-12:00",  # not on the grid: the wanted time, a day later
        "04 11:00-12:30",
    ]


def test_alternatives_obey_the_rules_and_the_horizon() -> None:
    p = policy(1, min_notice_minutes=120, max_advance_days=1)
    full = [booked(2, 10, 12), booked(3, 6, 22)]
    found = nearest_free_windows(p, w(2, 10, 12), full, now=NOW, tz=HEL, limit=10)
    # not before 10:00 (notice), not after 22:00 (hours), no day beyond tomorrow (full)
    assert starts(found) == [
        "02 12:00-14:00",
        "02 13:00-15:00",
        "02 14:00-16:00",
        "02 15:00-17:00",
        "02 16:00-18:00",
        "02 17:00-19:00",
        "02 18:00-20:00",
        "02 19:00-21:00",
        "02 20:00-22:00",
    ]


def test_a_group_needs_alternatives_with_room_for_all() -> None:
    p = policy(3)
    bookings = [booked(3, 10, 12, spaces=2), booked(3, 12, 14)]
    found = nearest_free_windows(p, w(3, 10, 12), bookings, now=NOW, tz=HEL, spaces=2, limit=2)
    assert starts(found) == ["03 08:00-10:00", "03 12:00-14:00"]
    found = nearest_free_windows(p, w(3, 10, 12), bookings, now=NOW, tz=HEL, spaces=3, limit=2)
    assert starts(found) == ["03 08:00-10:00", "03 07:00-09:00"]


@given(
    st.lists(st.tuples(st.integers(2, 5), st.integers(6, 21), st.integers(1, 6)), max_size=12),
    st.integers(1, 3),
    st.integers(2, 5),
    st.integers(6, 20),
    st.integers(1, 4),
)
@settings(max_examples=100, deadline=None)
def test_every_alternative_can_be_booked_and_they_come_nearest_first(
    bookings: list[tuple[int, int, int]], capacity: int, day: int, hour: int, length: int
) -> None:
    p = policy(capacity, max_advance_days=4)
    occupied = [booked(d, h, min(h + n, 22)) for d, h, n in bookings]
    wanted = w(day, hour, hour + length)
    found = nearest_free_windows(p, wanted, occupied, now=NOW, tz=HEL, limit=5)
    for alt in found:
        assert alt.window != wanted
        assert alt.window.length == wanted.length
        assert check_window(p, alt.window, now=NOW, tz=HEL) is None
        assert fits(capacity, occupied, alt.window)
        assert alt.free == free_spaces(capacity, occupied, alt.window)
    distances = [abs(a.window.start - wanted.start) for a in found]
    assert distances == sorted(distances)


def test_other_zones_offer_the_same_window_in_the_callers_order() -> None:
    wanted = w(3, 10, 12)
    evening_only = booking_policy_from_fields(
        {"capacity": 5, "booking_hours": {"daily": "16:00-22:00"}}, zone_rate_per_hour_cents=240
    )
    candidates = [
        ZoneCandidate("102", policy(1), Occupancy([booked(3, 11, 13)])),  # full
        ZoneCandidate("103", evening_only, Occupancy([])),  # closed then
        ZoneCandidate("104", policy(4), Occupancy([booked(3, 9, 10)])),
        ZoneCandidate("105", policy(2), Occupancy([booked(3, 10, 11)])),
        ZoneCandidate("106", policy(9), Occupancy([])),
    ]
    found = windows_in_other_zones(candidates, wanted, now=NOW, tz=HEL)
    assert found == (Alternative(wanted, 4, "104"), Alternative(wanted, 1, "105"))
    assert windows_in_other_zones(candidates, wanted, now=NOW, tz=HEL, spaces=2, limit=5) == (
        Alternative(wanted, 4, "104"),
        Alternative(wanted, 9, "106"),
    )


def test_alternatives_bundle_both_kinds() -> None:
    p = policy(1)
    wanted = w(3, 10, 12)
    other = ZoneCandidate("EV2", policy(2), Occupancy([]))
    both = alternatives(
        p, wanted, [booked(3, 10, 12)], now=NOW, tz=HEL, limit=1, other_zones=[other]
    )
    assert starts(both.same_zone) == ["03 08:00-10:00"]
    assert both.other_zones == (Alternative(wanted, 2, "EV2"),)


def test_day_slots_and_availability_agree() -> None:
    p = policy(2)
    day = date(2026, 12, 3)
    grid = day_availability(p, day, HEL, [booked(3, 10, 12)])
    assert [Interval(s.start, s.end) for s in grid] == list(day_slots(p, day, HEL))
