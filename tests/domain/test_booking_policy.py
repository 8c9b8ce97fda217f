"""Tests of the booking rules (app.domain.booking_policy): policy fields, slot grid across
DST, window checks, price and refunds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.booking_policy import (
    ALL_DAY,
    BookingPolicy,
    BookingPolicyError,
    CancellationTerms,
    Interval,
    TimeRange,
    booking_hours_between,
    booking_policy_from_fields,
    booking_policy_problems,
    booking_price,
    check_window,
    day_slots,
    earliest_start,
    first_instant,
    free_cancellation_until,
    hold_expires_at,
    instants_showing,
    last_bookable_day,
    policy_to_fields,
    refund_cents,
    requested_window,
)
from app.domain.pricing import END_OF_DAY, _wall_to_utc, parse_paid_hours

HEL = ZoneInfo("Europe/Helsinki")
NYC = ZoneInfo("America/New_York")
LHI = ZoneInfo("Australia/Lord_Howe")  # DST shift of 30 minutes
SPRING = date(2026, 3, 29)  # Helsinki 03:00 EET -> 04:00 EEST: 23 hours
AUTUMN = date(2026, 10, 25)  # Helsinki 04:00 EEST -> 03:00 EET: 25 hours
H = timedelta(hours=1)


def hel(y: int, mo: int, d: int, h: int = 0, mi: int = 0, *, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=HEL, fold=fold).astimezone(UTC)


def window(start: datetime, end: datetime) -> Interval:
    return Interval(start, end)


def policy(**fields: Any) -> BookingPolicy:
    """A policy from zones-file fields (zone rate 2.40 €/h unless given)."""
    zone: dict[str, Any] = {"zone_rate_per_hour_cents": 240}
    for key in ("zone_daily_cap_cents", "zone_max_minutes"):
        if key in fields:
            zone[key] = fields.pop(key)
    return booking_policy_from_fields({"capacity": 4, **fields}, **zone)


# Wednesday 2 December 2026 10:00 in Helsinki.
NOW = hel(2026, 12, 2, 10)
SHOP = policy(
    booking_hours={"ma-pe": "06:00-23:00", "lauantai": "08:00-16:00"},
    min_notice_minutes=30,
    max_advance_days=14,
    zone_max_minutes=240,
)


# --------------------------------------------------------------------------- policy


def test_a_zone_with_only_a_capacity_gets_the_documented_defaults() -> None:
    p = policy()
    assert (p.capacity, p.slot_minutes, p.min_notice_minutes, p.max_advance_days) == (4, 60, 0, 30)
    assert p.hold_minutes == 15
    assert p.cancellation == CancellationTerms(free_until_minutes=60, late_refund_percent=0)
    assert p.booking_hours == ALL_DAY
    assert p.rate_per_hour_cents == 240  # the zone's
    assert (p.daily_cap_cents, p.max_minutes) == (None, None)


def test_every_field_is_read_and_written_back() -> None:
    fields = {
        "capacity": 12,
        "slot_minutes": 30,
        "booking_hours": {"mon-fri": "06:00-23:00", "sat": "08:00-16:00"},
        "min_notice_minutes": 45,
        "max_advance_days": 60,
        "cancel_free_until_minutes": 120,
        "cancel_late_refund_percent": 50,
        "hold_minutes": 10,
        "rate_per_hour": "3.50",
    }
    p = booking_policy_from_fields(fields, zone_rate_per_hour_cents=240)
    assert p.rate_per_hour_cents == 350
    assert p.cancellation == CancellationTerms(120, 50)
    assert p.booking_hours == parse_paid_hours(fields["booking_hours"])  # type: ignore[arg-type]
    assert policy_to_fields(p) == fields


def test_booking_hours_take_finnish_and_swedish_day_names() -> None:
    fi = policy(booking_hours={"ma-pe": "7-22", "la": "9-15"})
    sv = policy(booking_hours={"mån-fre": "07:00-22:00", "lör": "09:00-15:00"})
    assert fi.booking_hours == sv.booking_hours
    assert set(fi.booking_hours) == {0, 1, 2, 3, 4, 5}


def test_an_editor_form_may_send_numbers_as_text() -> None:
    p = policy(capacity="8", slot_minutes=" 30 ", hold_minutes="20")
    assert (p.capacity, p.slot_minutes, p.hold_minutes) == (8, 30, 20)


def codes(fields: dict[str, Any]) -> list[tuple[str, str]]:
    problems = booking_policy_problems(fields, zone_rate_per_hour_cents=240)
    return [(p.field, p.code) for p in problems]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, [("capacity", "missing")]),
        ({"capacity": None}, [("capacity", "missing")]),
        ({"capacity": 0}, [("capacity", "too_small")]),
        ({"capacity": -3}, [("capacity", "too_small")]),
        ({"capacity": 1_000_000}, [("capacity", "too_large")]),
        ({"capacity": 2.5}, [("capacity", "not_whole_number")]),
        ({"capacity": True}, [("capacity", "not_whole_number")]),
        ({"capacity": "many"}, [("capacity", "not_whole_number")]),
        ({"capacity": 4, "slot_minutes": 0}, [("slot_minutes", "too_small")]),
        ({"capacity": 4, "slot_minutes": 4}, [("slot_minutes", "too_small")]),
        ({"capacity": 4, "slot_minutes": 1441}, [("slot_minutes", "too_large")]),
        ({"capacity": 4, "min_notice_minutes": -1}, [("min_notice_minutes", "too_small")]),
        ({"capacity": 4, "max_advance_days": 400}, [("max_advance_days", "too_large")]),
        ({"capacity": 4, "hold_minutes": 0}, [("hold_minutes", "too_small")]),
        (
            {"capacity": 4, "cancel_free_until_minutes": "1h"},
            [("cancel_free_until_minutes", "not_whole_number")],
        ),
        (
            {"capacity": 4, "cancel_late_refund_percent": 101},
            [("cancel_late_refund_percent", "too_large")],
        ),
        ({"capacity": 4, "rate_per_hour": "2,40"}, [("rate_per_hour", "bad_money")]),
        ({"capacity": 4, "rate_per_hour": "-1"}, [("rate_per_hour", "bad_money")]),
        ({"capacity": 4, "rate_per_hour": ["2"]}, [("rate_per_hour", "bad_money")]),
        ({"capacity": 4, "booking_hours": {}}, [("booking_hours", "no_hours")]),
        ({"capacity": 4, "booking_hours": "06-23"}, [("booking_hours", "bad_hours")]),
        (
            {"capacity": 4, "booking_hours": {"mon": "23:00-06:00"}},
            [("booking_hours", "bad_hours")],
        ),
        (
            {"capacity": 4, "booking_hours": {"mon": "8-12, 11-14"}},
            [("booking_hours", "bad_hours")],
        ),
        (
            {"capacity": 4, "booking_hours": {"mon-fri": "8-16", "fri": "9-10"}},
            [("booking_hours", "bad_hours")],
        ),
        ({"capacity": 4, "booking_hours": {"funday": "8-16"}}, [("booking_hours", "unknown_day")]),
        (
            {"capacity": 0, "slot_minutes": "x", "hold_minutes": 0, "rate_per_hour": "x"},
            [
                ("capacity", "too_small"),
                ("slot_minutes", "not_whole_number"),
                ("hold_minutes", "too_small"),
                ("rate_per_hour", "bad_money"),
            ],
        ),
    ],
)
def test_invalid_fields_give_every_problem_with_a_code(
    fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert codes(fields) == expected


def test_problems_carry_what_a_page_needs_to_word_them() -> None:
    (small,) = booking_policy_problems(
        {"capacity": 4, "slot_minutes": 2}, zone_rate_per_hour_cents=240
    )
    assert (small.minimum, small.maximum, small.value) == (5, 1440, 2)
    assert small.message == "slot_minutes must be at least 5, got 2"
    (day,) = booking_policy_problems(
        {"capacity": 4, "booking_hours": {"mon-funday": "8-16"}}, zone_rate_per_hour_cents=240
    )
    assert day.day == "mon-funday"
    (hours,) = booking_policy_problems(
        {"capacity": 4, "booking_hours": {"mon": "8-12, 11-14"}}, zone_rate_per_hour_cents=240
    )
    assert hours.detail.startswith("booking_hours: overlapping windows")
    with pytest.raises(BookingPolicyError, match="capacity is missing"):
        booking_policy_from_fields({}, zone_rate_per_hour_cents=240)


def test_a_policy_built_in_code_is_validated_too() -> None:
    with pytest.raises(BookingPolicyError) as caught:
        BookingPolicy(capacity=0, rate_per_hour_cents=-1, booking_hours={})
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("capacity", "too_small"),
        ("rate_per_hour_cents", "too_small"),
    ]
    with pytest.raises(BookingPolicyError, match="names no day"):
        BookingPolicy(capacity=1, rate_per_hour_cents=0, booking_hours={})
    with pytest.raises(BookingPolicyError, match="booking_hours"):
        BookingPolicy(capacity=1, rate_per_hour_cents=0, booking_hours={0: ((time(9), time(8)),)})


fields_strategy = st.fixed_dictionaries(
    {
        "capacity": st.integers(1, 500),
        "slot_minutes": st.sampled_from([5, 15, 30, 45, 60, 90, 120, 1440]),
        "booking_hours": st.sampled_from(
            [
                {"daily": "00:00-24:00"},
                {"mon-fri": "06:00-23:00", "sat": "08:00-16:00"},
                {"mon,wed": "07:30-12:00, 13:00-19:45"},
            ]
        ),
        "min_notice_minutes": st.integers(0, 43_200),
        "max_advance_days": st.integers(0, 366),
        "cancel_free_until_minutes": st.integers(0, 43_200),
        "cancel_late_refund_percent": st.integers(0, 100),
        "hold_minutes": st.integers(1, 1440),
        "rate_per_hour": st.integers(0, 100_000).map(lambda c: f"{c // 100}.{c % 100:02d}"),
    }
)


@given(fields_strategy)
def test_fields_round_trip(fields: dict[str, Any]) -> None:
    p = booking_policy_from_fields(fields, zone_rate_per_hour_cents=240)
    assert booking_policy_from_fields(policy_to_fields(p), zone_rate_per_hour_cents=0) == p


# ------------------------------------------------------------------ wall times and slots


@pytest.mark.parametrize(
    ("day", "clock", "expected"),
    [
        (date(2026, 12, 2), time(10), [hel(2026, 12, 2, 10)]),
        (SPRING, time(3, 30), []),
        (AUTUMN, time(3, 30), [hel(2026, 10, 25, 3, 30), hel(2026, 10, 25, 3, 30, fold=1)]),
        (date(2026, 12, 2), END_OF_DAY, [hel(2026, 12, 3)]),
    ],
)
def test_instants_showing_a_wall_time(day: date, clock: time, expected: list[datetime]) -> None:
    assert list(instants_showing(day, clock, HEL)) == expected


def test_a_skipped_wall_time_stands_for_the_jump() -> None:
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 EET = 04:00 EEST
    assert first_instant(SPRING, time(3, 30), HEL) == jump
    assert first_instant(SPRING, time(4), HEL) == jump


@given(
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0, fold=0)),
    st.sampled_from([HEL, NYC, LHI]),
)
def test_first_instant_is_the_paid_hours_definition(day: date, clock: time, tz: tzinfo) -> None:
    assert first_instant(day, clock, tz) == _wall_to_utc(day, clock, tz)


def local_starts(slots: tuple[Interval, ...]) -> list[str]:
    return [s.start.astimezone(HEL).strftime("%H:%M%z") for s in slots]


def test_an_ordinary_day_is_cut_into_slots_inside_the_booking_hours() -> None:
    slots = day_slots(SHOP, date(2026, 12, 2), HEL)
    assert len(slots) == 17
    assert slots[0] == window(hel(2026, 12, 2, 6), hel(2026, 12, 2, 7))
    assert slots[-1] == window(hel(2026, 12, 2, 22), hel(2026, 12, 2, 23))
    assert day_slots(SHOP, date(2026, 12, 6), HEL) == ()  # Sunday: no booking hours


def test_the_last_slot_of_a_window_may_be_shorter() -> None:
    p = policy(slot_minutes=90, booking_hours={"daily": "08:00-12:00, 13:00-14:00"})
    slots = day_slots(p, date(2026, 12, 2), HEL)
    assert local_starts(slots) == ["08:00+0200", "09:30+0200", "11:00+0200", "13:00+0200"]
    assert [s.length for s in slots] == [1.5 * H, 1.5 * H, H, H]


def test_the_spring_day_has_23_hourly_slots_and_no_0300() -> None:
    slots = day_slots(policy(), SPRING, HEL)
    assert len(slots) == 23
    assert sum((s.length for s in slots), timedelta()) == 23 * H
    assert local_starts(slots)[:5] == [
        "00:00+0200",
        "01:00+0200",
        "02:00+0200",
        "04:00+0300",
        "05:00+0300",
    ]
    assert all(s.length == H for s in slots)


def test_the_autumn_day_has_25_hourly_slots_with_0300_twice_by_its_offset() -> None:
    slots = day_slots(policy(), AUTUMN, HEL)
    assert len(slots) == 25
    assert len(set(slots)) == 25
    assert local_starts(slots)[2:6] == ["02:00+0300", "03:00+0300", "03:00+0200", "04:00+0200"]
    assert all(s.length == H for s in slots)


@pytest.mark.parametrize(
    ("day", "slot_minutes", "count", "starts"),
    [
        (SPRING, 90, 16, ["00:00+0200", "01:30+0200", "04:00+0300", "04:30+0300"]),
        (AUTUMN, 90, 17, ["00:00+0300", "01:30+0300", "03:00+0300", "03:00+0200"]),
        (SPRING, 120, 12, ["00:00+0200", "02:00+0200", "04:00+0300", "06:00+0300"]),
        (AUTUMN, 120, 13, ["00:00+0300", "02:00+0300", "03:00+0200", "04:00+0200"]),
        (SPRING, 15, 92, ["00:00+0200", "00:15+0200", "00:30+0200", "00:45+0200"]),
        (AUTUMN, 15, 100, ["00:00+0300", "00:15+0300", "00:30+0300", "00:45+0300"]),
    ],
)
def test_other_slot_lengths_across_dst_keep_the_usual_wall_times(
    day: date, slot_minutes: int, count: int, starts: list[str]
) -> None:
    slots = day_slots(policy(slot_minutes=slot_minutes), day, HEL)
    assert len(slots) == count
    assert local_starts(slots)[:4] == starts
    assert all(s.length <= timedelta(minutes=slot_minutes) for s in slots)


def test_booking_hours_inside_the_spring_gap_give_no_slot() -> None:
    p = policy(booking_hours={"sun": "03:00-04:00, 08:00-09:00"})
    assert day_slots(p, SPRING, HEL) == (window(hel(2026, 3, 29, 8), hel(2026, 3, 29, 9)),)


def test_booking_hours_ending_in_the_repeated_hour_end_at_its_first_pass() -> None:
    p = policy(booking_hours={"sun": "01:00-03:30"})
    slots = day_slots(p, AUTUMN, HEL)
    assert slots[-1] == window(hel(2026, 10, 25, 3), hel(2026, 10, 25, 3, 30))
    assert sum((s.length for s in slots), timedelta()) == 2.5 * H


hours_strategy = st.sampled_from(
    [
        {"daily": "00:00-24:00"},
        {"daily": "06:00-23:00"},
        {"daily": "02:00-03:30, 03:30-05:00, 22:00-24:00"},
        {"daily": "00:00-03:15, 04:00-05:00"},
        {"sun": "01:45-04:10"},
        {"mon-fri": "08:00-18:00", "sat-sun": "03:00-04:00"},
    ]
)
dst_days = st.sampled_from(
    [
        SPRING,
        AUTUMN,
        date(2026, 3, 8),  # New York spring
        date(2026, 11, 1),  # New York autumn
        date(2026, 4, 5),  # Lord Howe autumn (30 minutes)
        date(2026, 10, 4),  # Lord Howe spring
        date(2026, 12, 2),
    ]
)


@given(
    hours_strategy,
    st.sampled_from([5, 15, 20, 30, 45, 60, 90, 120, 180, 1440]),
    dst_days,
    st.sampled_from([HEL, NYC, LHI]),
)
@settings(max_examples=300)
def test_slots_tile_the_booking_hours_of_the_day_exactly(
    hours: dict[str, str], slot_minutes: int, day: date, tz: tzinfo
) -> None:
    p = policy(booking_hours=hours, slot_minutes=slot_minutes)
    slots = day_slots(p, day, tz)
    expected = sorted(
        (first_instant(day, a, tz), first_instant(day, b, tz))
        for a, b in p.booking_hours.get(day.weekday(), ())
        if first_instant(day, a, tz) < first_instant(day, b, tz)
    )
    covered: list[tuple[datetime, datetime]] = []
    for s in slots:  # slots are sorted, disjoint, never longer than slot_minutes
        assert timedelta(0) < s.length <= timedelta(minutes=slot_minutes)
        if covered and covered[-1][1] == s.start:
            covered[-1] = (covered[-1][0], s.end)
        else:
            assert not covered or covered[-1][1] < s.start
            covered.append((s.start, s.end))
    merged: list[tuple[datetime, datetime]] = []
    for a, b in expected:
        if merged and merged[-1][1] == a:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    assert covered == merged


# --------------------------------------------------------------------- requested windows


@pytest.mark.parametrize(
    ("day", "times", "expected"),
    [
        (date(2026, 12, 3), TimeRange(time(10), time(12)), (hel(2026, 12, 3, 10), 2 * H)),
        (date(2026, 12, 3), TimeRange(time(10, 30), time(12)), (hel(2026, 12, 3, 10, 30), 1.5 * H)),
        (date(2026, 12, 3), TimeRange(time(22), time(6)), (hel(2026, 12, 3, 22), 8 * H)),
        (date(2026, 12, 3), TimeRange(time(20), END_OF_DAY), (hel(2026, 12, 3, 20), 4 * H)),
        (
            date(2026, 12, 3),
            TimeRange(time(10), duration_minutes=150),
            (hel(2026, 12, 3, 10), 2.5 * H),
        ),
        (date(2026, 12, 3), TimeRange(time(10)), (hel(2026, 12, 3, 10), H)),
        # the spring night: 02:00-05:00 on the wall is two real hours; "2h" is two hours
        (SPRING, TimeRange(time(2), time(5)), (hel(2026, 3, 29, 2), 2 * H)),
        (SPRING, TimeRange(time(2), duration_minutes=120), (hel(2026, 3, 29, 2), 2 * H)),
        (SPRING, TimeRange(time(3, 30), time(5)), (hel(2026, 3, 29, 4), H)),
        # the autumn night: 02:00-05:00 on the wall is four real hours
        (AUTUMN, TimeRange(time(2), time(5)), (hel(2026, 10, 25, 2), 4 * H)),
        (AUTUMN, TimeRange(time(0), END_OF_DAY), (hel(2026, 10, 25, 0), 25 * H)),
    ],
)
def test_requested_window(
    day: date, times: TimeRange, expected: tuple[datetime, timedelta]
) -> None:
    got = requested_window(day, times, HEL, default_minutes=60)
    assert got is not None
    assert (got.start, got.length) == expected


def test_a_window_wholly_inside_the_spring_gap_is_no_time() -> None:
    times = TimeRange(time(3, 10), time(3, 50))
    assert requested_window(SPRING, times, HEL, default_minutes=60) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": time(10), "end": time(12), "duration_minutes": 60},
        {"start": time(10), "duration_minutes": 0},
        {"start": END_OF_DAY},
        {"start": time(10, 0, 30)},
    ],
)
def test_impossible_time_ranges_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TimeRange(**kwargs)


def test_intervals_are_aware_and_not_empty() -> None:
    with pytest.raises(ValueError, match="aware"):
        Interval(datetime(2026, 12, 2, 10), datetime(2026, 12, 2, 11))
    with pytest.raises(ValueError, match="end after"):
        Interval(NOW, NOW)
    assert Interval(NOW.astimezone(HEL), NOW + H).start.tzinfo is UTC


# ------------------------------------------------------------------------ window checks


def refusal(start: datetime, end: datetime, p: BookingPolicy = SHOP) -> dict[str, Any] | None:
    got = check_window(p, window(start, end), now=NOW, tz=HEL)
    if got is None:
        return None
    details = {k: v for k, v in vars(got).items() if v not in (None, ())}
    details.pop("day")
    details.pop("last_day")
    return details


def test_a_window_within_every_rule_is_accepted() -> None:
    assert refusal(hel(2026, 12, 3, 10, 30), hel(2026, 12, 3, 12)) is None
    assert refusal(hel(2026, 12, 2, 10, 30), hel(2026, 12, 2, 11)) is None  # exactly the notice
    assert refusal(hel(2026, 12, 16, 19), hel(2026, 12, 16, 23)) is None  # on the last day


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            hel(2026, 12, 2, 9),
            hel(2026, 12, 2, 11),
            {"code": "in_past", "earliest_start": hel(2026, 12, 2, 10, 30)},
        ),
        (
            hel(2026, 12, 2, 10, 15),
            hel(2026, 12, 2, 11),
            {"code": "too_soon", "earliest_start": hel(2026, 12, 2, 10, 30)},
        ),
        (hel(2026, 12, 17, 10), hel(2026, 12, 17, 11), {"code": "too_far"}),
        (
            hel(2026, 12, 3, 10),
            hel(2026, 12, 3, 15),
            {"code": "too_long", "max_minutes": 240, "latest_end": hel(2026, 12, 3, 14)},
        ),
        (
            hel(2026, 12, 3, 20),
            hel(2026, 12, 4, 1),
            {"code": "too_long", "max_minutes": 240, "latest_end": hel(2026, 12, 3, 23)},
        ),
        (
            hel(2026, 12, 6, 10),
            hel(2026, 12, 6, 12),
            {"code": "closed_day", "next_open_day": date(2026, 12, 7)},
        ),
        (
            hel(2026, 12, 3, 5),
            hel(2026, 12, 3, 7),
            {"code": "outside_hours", "day_windows": ((time(6), time(23)),)},
        ),
        (
            hel(2026, 12, 3, 22),
            hel(2026, 12, 3, 23, 30),
            {
                "code": "outside_hours",
                "day_windows": ((time(6), time(23)),),
                "latest_end": hel(2026, 12, 3, 23),
            },
        ),
        (
            hel(2026, 12, 5, 15),
            hel(2026, 12, 5, 17),
            {
                "code": "outside_hours",
                "day_windows": ((time(8), time(16)),),
                "latest_end": hel(2026, 12, 5, 16),
            },
        ),
    ],
)
def test_refused_windows_say_what_would_work(
    start: datetime, end: datetime, expected: dict[str, Any]
) -> None:
    assert refusal(start, end) == expected


def test_the_earliest_start_skips_to_the_next_opening_and_none_when_out_of_reach() -> None:
    late = hel(2026, 12, 2, 22, 45)  # notice runs past 23:00 closing
    assert earliest_start(SHOP, late, HEL) == hel(2026, 12, 3, 6)
    saturday_evening = hel(2026, 12, 5, 17)
    assert earliest_start(SHOP, saturday_evening, HEL) == hel(2026, 12, 7, 6)
    same_day_only = policy(booking_hours={"daily": "08:00-16:00"}, max_advance_days=0)
    assert earliest_start(same_day_only, hel(2026, 12, 2, 17), HEL) is None
    assert earliest_start(policy(), hel(2026, 12, 2, 10, 0) + timedelta(seconds=1), HEL) == hel(
        2026, 12, 2, 10, 1
    )


def test_the_last_bookable_day_counts_local_calendar_days() -> None:
    assert last_bookable_day(SHOP, NOW, HEL) == date(2026, 12, 16)
    just_before_midnight = hel(2026, 12, 2, 23, 59)
    assert last_bookable_day(SHOP, just_before_midnight, HEL) == date(2026, 12, 16)


def test_touching_windows_across_midnight_make_one_stretch() -> None:
    nights = policy(booking_hours={"daily": "00:00-06:00, 18:00-24:00"})
    assert refusal(hel(2026, 12, 3, 22), hel(2026, 12, 4, 2), nights) is None
    assert refusal(hel(2026, 12, 3, 22), hel(2026, 12, 4, 7), nights) == {
        "code": "outside_hours",
        "day_windows": ((time(0), time(6)), (time(18), END_OF_DAY)),
        "latest_end": hel(2026, 12, 4, 6),
    }
    (stretch,) = booking_hours_between(nights, hel(2026, 12, 3, 20), hel(2026, 12, 4, 3), HEL)
    assert stretch == window(hel(2026, 12, 3, 20), hel(2026, 12, 4, 3))


# ------------------------------------------------------------------- price, holds, refunds


@pytest.mark.parametrize(
    ("fields", "start", "end", "cents"),
    [
        ({}, hel(2026, 12, 3, 10), hel(2026, 12, 3, 12), 480),
        ({}, hel(2026, 12, 3, 10, 30), hel(2026, 12, 3, 12), 360),
        ({"rate_per_hour": "3.00"}, hel(2026, 12, 3, 10), hel(2026, 12, 3, 10, 20), 100),
        # a Sunday evening, outside any paid hours a zone might have: still charged
        ({}, hel(2026, 12, 6, 20), hel(2026, 12, 6, 22), 480),
        # the zone's daily cap limits each local day
        ({"zone_daily_cap_cents": 1500}, hel(2026, 12, 3, 6), hel(2026, 12, 3, 22), 1500),
        ({"zone_daily_cap_cents": 1500}, hel(2026, 12, 3, 20), hel(2026, 12, 4, 23), 960 + 1500),
        # the autumn day is 25 hours long
        ({}, hel(2026, 10, 25), hel(2026, 10, 26), 25 * 240),
        ({}, hel(2026, 3, 29), hel(2026, 3, 30), 23 * 240),
        # the zone's longest stay limits the booking's length, not its price
        ({"zone_max_minutes": 60}, hel(2026, 12, 3, 10), hel(2026, 12, 3, 12), 480),
    ],
)
def test_booking_price(fields: dict[str, Any], start: datetime, end: datetime, cents: int) -> None:
    assert booking_price(policy(**fields), window(start, end), HEL) == cents


def test_a_hold_lasts_hold_minutes() -> None:
    assert hold_expires_at(SHOP, NOW) == NOW + timedelta(minutes=15)
    assert hold_expires_at(policy(hold_minutes=5), NOW.astimezone(HEL)) == NOW + timedelta(
        minutes=5
    )


START = hel(2026, 12, 3, 10)


@pytest.mark.parametrize(
    ("terms", "now", "refund"),
    [
        (CancellationTerms(), hel(2026, 12, 2, 10), 480),
        (CancellationTerms(), hel(2026, 12, 3, 9), 480),  # exactly at the cutoff
        (CancellationTerms(), hel(2026, 12, 3, 9, 0) + timedelta(seconds=1), 0),
        (CancellationTerms(), hel(2026, 12, 3, 9, 59), 0),
        (CancellationTerms(), hel(2026, 12, 3, 11), 0),
        (CancellationTerms(0), hel(2026, 12, 3, 10), 480),  # free until the start itself
        (CancellationTerms(0), hel(2026, 12, 3, 10, 1), 0),
        (CancellationTerms(60, 50), hel(2026, 12, 3, 9, 30), 240),
        (CancellationTerms(60, 33), hel(2026, 12, 3, 9, 30), 158),  # rounded down
        (CancellationTerms(60, 50), hel(2026, 12, 3, 10), 0),  # from the start on: nothing
        (CancellationTerms(1440), hel(2026, 12, 2, 10, 30), 0),
    ],
)
def test_refund_for_a_cancellation(terms: CancellationTerms, now: datetime, refund: int) -> None:
    assert refund_cents(terms, 480, START, now) == refund


def test_free_cancellation_until() -> None:
    assert free_cancellation_until(CancellationTerms(90), START) == hel(2026, 12, 3, 8, 30)
    assert refund_cents(CancellationTerms(), 0, START, NOW) == 0


def test_cancellation_terms_are_validated() -> None:
    with pytest.raises(BookingPolicyError, match="cancel_late_refund_percent"):
        CancellationTerms(60, 150)


@given(
    st.integers(0, 2000),
    st.integers(0, 100),
    st.integers(0, 100_000),
    st.lists(st.integers(-3000, 3000), min_size=2, max_size=6),
)
def test_a_refund_never_grows_as_time_passes_and_never_exceeds_the_payment(
    free_until: int, percent: int, paid: int, offsets: list[int]
) -> None:
    terms = CancellationTerms(free_until, percent)
    refunds = [
        refund_cents(terms, paid, START, START + timedelta(minutes=m)) for m in sorted(offsets)
    ]
    assert all(0 <= r <= paid for r in refunds)
    assert refunds == sorted(refunds, reverse=True)
