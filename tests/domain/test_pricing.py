"""Tests of the tariff model and pricing (app.domain.pricing)."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.pricing import (
    END_OF_DAY,
    DayCharge,
    Tariff,
    TariffError,
    UnknownDayError,
    Window,
    _wall_to_utc,
    capped_end,
    format_days,
    format_money,
    is_paid_time,
    localized_paid_hours,
    money_to_decimal_str,
    next_paid_change,
    paid_hours_to_spec,
    paid_minutes,
    parse_days,
    parse_money,
    parse_paid_hours,
    price,
    price_breakdown,
)
from tests.domain import pricing_strategies as strategies
from tests.domain.pricing_strategies import clock, day_windows, minute_marks

HEL = ZoneInfo("Europe/Helsinki")
NYC = ZoneInfo("America/New_York")
LHI = ZoneInfo("Australia/Lord_Howe")  # DST shift of 30 minutes at 02:00
MINUTE = timedelta(minutes=1)

STANDARD = Tariff.from_spec(
    "2.40", {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}, daily_cap="15.00"
)
ALWAYS = Tariff.from_spec("0.60", {"daily": "00:00-24:00"})  # 1 cent per minute


def hel(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    """A Helsinki wall time (``fold=1`` picks the second of an ambiguous pair)."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=HEL, fold=fold)


# --------------------------------------------------------------- worked examples
# 2026-03-02 is a Monday; 2026-03-06 Friday, 03-07 Saturday, 03-08 Sunday.


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(hel(2026, 3, 2, 10), hel(2026, 3, 2, 11), 240, id="mon-one-hour"),
        pytest.param(hel(2026, 3, 2, 10), hel(2026, 3, 2, 10, 0, 1), 4, id="one-started-minute"),
        pytest.param(hel(2026, 3, 2, 10), hel(2026, 3, 2, 10), 0, id="zero-length"),
        pytest.param(hel(2026, 3, 2, 17, 30), hel(2026, 3, 2, 19), 120, id="into-free-evening"),
        pytest.param(hel(2026, 3, 2, 6), hel(2026, 3, 2, 8), 0, id="morning-before-paid"),
        pytest.param(hel(2026, 3, 2, 7, 59, 30), hel(2026, 3, 2, 8), 0, id="leaves-at-start"),
        pytest.param(hel(2026, 3, 2, 7, 59, 30), hel(2026, 3, 2, 8, 0, 1), 4, id="straddles-08"),
        pytest.param(hel(2026, 3, 2, 17, 59, 59), hel(2026, 3, 2, 18, 30), 4, id="straddles-18"),
        pytest.param(hel(2026, 3, 8, 0), hel(2026, 3, 8, 23, 59), 0, id="sunday-free"),
        pytest.param(hel(2026, 3, 7, 8), hel(2026, 3, 7, 16), 1440, id="saturday-under-cap"),
        pytest.param(hel(2026, 3, 2, 8), hel(2026, 3, 2, 18), 1500, id="day-capped"),
        pytest.param(hel(2026, 3, 2, 7), hel(2026, 3, 3, 20), 3000, id="two-days-capped"),
        pytest.param(hel(2026, 3, 2, 17), hel(2026, 3, 3, 9), 240 + 240, id="overnight"),
        # Fri 16-18 = 480, Sat 09-15 = 1440, Sun 0, Mon 08-09:30 = 360
        pytest.param(hel(2026, 3, 6, 16), hel(2026, 3, 9, 9, 30), 2280, id="weekend"),
        pytest.param(hel(2026, 3, 2, 0), hel(2026, 3, 9, 0), 5 * 1500 + 1440, id="whole-week"),
    ],
)
def test_standard_tariff_examples(start: datetime, end: datetime, expected: int) -> None:
    assert price(STANDARD, start, end, HEL) == expected


def test_rate_is_rounded_up_once_per_day_not_per_minute() -> None:
    tariff = Tariff.from_spec("2.50", {"daily": "00:00-24:00"})
    start = hel(2026, 3, 2, 10)
    assert price(tariff, start, start + MINUTE, HEL) == 5  # ceil(250 / 60)
    assert price(tariff, start, start + 2 * MINUTE, HEL) == 9  # ceil(500 / 60), not 10
    assert price(tariff, start, start + timedelta(hours=1), HEL) == 250


def test_midnight_crossing_splits_by_local_date() -> None:
    start, end = hel(2026, 3, 2, 23, 30), hel(2026, 3, 3, 0, 30)
    assert price(ALWAYS, start, end, HEL) == 60
    assert price_breakdown(ALWAYS, start, end, HEL) == (
        DayCharge(date(2026, 3, 2), 30, 30, 30),
        DayCharge(date(2026, 3, 3), 30, 30, 30),
    )


def test_minute_straddling_midnight_belongs_to_the_day_it_starts() -> None:
    start, end = hel(2026, 3, 2, 23, 59, 30), hel(2026, 3, 3, 0, 0, 20)
    assert price_breakdown(ALWAYS, start, end, HEL) == (DayCharge(date(2026, 3, 2), 1, 1, 1),)
    # Sunday is free, Monday paid from 00:00: the minute is paid, but is Sunday's.
    tariff = Tariff.from_spec("6.00", {"mon": "00:00-06:00"}, daily_cap="0.05")
    start, end = hel(2026, 3, 8, 23, 59, 30), hel(2026, 3, 9, 0, 1, 0)
    assert price_breakdown(tariff, start, end, HEL) == (
        DayCharge(date(2026, 3, 8), 1, 10, 5, capped=True),
        DayCharge(date(2026, 3, 9), 1, 10, 5, capped=True),
    )


def test_windows_touching_at_midnight_count_a_straddling_minute_once() -> None:
    tariff = Tariff.from_spec("0.60", {"mon": "22:00-24:00", "tue": "00:00-02:00"})
    start, end = hel(2026, 3, 2, 23, 59, 30), hel(2026, 3, 3, 0, 0, 30)
    assert paid_minutes(tariff, start, end, HEL) == 1
    assert price(tariff, hel(2026, 3, 2, 21), hel(2026, 3, 3, 3), HEL) == 240


def test_multiple_windows_a_day() -> None:
    tariff = Tariff.from_spec("2.40", {"mon-fri": "08:00-12:00, 13:00-18:00"})
    assert price(tariff, hel(2026, 3, 2, 11), hel(2026, 3, 2, 14), HEL) == 480
    assert paid_minutes(tariff, hel(2026, 3, 2, 11, 59, 30), hel(2026, 3, 2, 13, 0, 1), HEL) == 2


def test_touching_windows_do_not_double_count() -> None:
    tariff = Tariff.from_spec("2.40", {"mon": "08:00-12:00, 12:00-18:00"})
    assert paid_minutes(tariff, hel(2026, 3, 2, 11, 59, 30), hel(2026, 3, 2, 12, 0, 30), HEL) == 1
    assert price(tariff, hel(2026, 3, 2, 7), hel(2026, 3, 2, 19), HEL) == 2400


def test_max_minutes_truncates_the_price() -> None:
    tariff = Tariff.from_spec("2.40", {"mon-fri": "08:00-18:00"}, max_minutes=240)
    assert price(tariff, hel(2026, 3, 2, 8), hel(2026, 3, 2, 18), HEL) == 960
    assert paid_minutes(tariff, hel(2026, 3, 2, 8), hel(2026, 3, 2, 18), HEL) == 240
    assert price(tariff, hel(2026, 3, 2, 8), hel(2026, 3, 2, 9), HEL) == 240


def test_capped_end() -> None:
    limited = Tariff.from_spec("1", {}, max_minutes=240)
    unlimited = Tariff.from_spec("1", {})
    start = hel(2026, 3, 2, 8)
    end = hel(2026, 3, 2, 10)
    limit = datetime(2026, 3, 2, 10, tzinfo=UTC)  # 12:00 in Helsinki
    assert capped_end(limited, start, None) == limit
    assert capped_end(limited, start, None).tzinfo is UTC  # type: ignore[union-attr]
    assert capped_end(limited, start, hel(2026, 3, 2, 20)) == limit
    assert capped_end(limited, start, end) is end
    assert capped_end(unlimited, start, end) is end
    assert capped_end(unlimited, start, None) is None
    with pytest.raises(ValueError, match="before start"):
        capped_end(limited, end, start)
    with pytest.raises(ValueError, match="aware"):
        capped_end(limited, datetime(2026, 3, 2, 8), None)


def test_capped_end_is_in_real_time_across_dst() -> None:
    tariff = Tariff.from_spec("1", {}, max_minutes=120)
    # 02:00 EET + 2 real hours = 05:00 EEST on the spring-forward day.
    assert capped_end(tariff, hel(2026, 3, 29, 2), None) == hel(2026, 3, 29, 5)


# ------------------------------------------------------------------------ DST


def test_spring_forward_day_has_23_paid_hours() -> None:
    assert paid_minutes(ALWAYS, hel(2026, 3, 29), hel(2026, 3, 30), HEL) == 23 * 60
    assert price(ALWAYS, hel(2026, 3, 29), hel(2026, 3, 30), HEL) == 23 * 60


def test_fall_back_day_has_25_paid_hours() -> None:
    assert paid_minutes(ALWAYS, hel(2026, 10, 25), hel(2026, 10, 26), HEL) == 25 * 60


def test_dst_days_whole_day_parking_in_utc() -> None:
    start = datetime(2026, 3, 27, tzinfo=UTC)
    assert paid_minutes(ALWAYS, start, start + timedelta(days=5), HEL) == 5 * 24 * 60


def test_business_hours_on_dst_days_are_ten_hours() -> None:
    tariff = Tariff.from_spec("0.60", {"sun": "08:00-18:00"})
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        start = datetime.combine(day, time(0), tzinfo=HEL)
        assert paid_minutes(tariff, start, start + timedelta(days=1), HEL) == 600


def test_parking_across_the_jumps_is_charged_in_real_time() -> None:
    # 02:30 EET -> 04:30 EEST is one real hour.
    assert price(ALWAYS, hel(2026, 3, 29, 2, 30), hel(2026, 3, 29, 4, 30), HEL) == 60
    # 03:30 EEST (first) -> 03:30 EET (second occurrence) is one real hour.
    start, end = hel(2026, 10, 25, 3, 30), hel(2026, 10, 25, 3, 30, fold=1)
    assert price(ALWAYS, start, end, HEL) == 60
    assert price(ALWAYS, start, hel(2026, 10, 25, 4, 30), HEL) == 120


def test_wall_to_utc_gap_and_fold() -> None:
    # Gap: 03:00-04:00 does not exist on 2026-03-29; the window starts at the jump.
    assert _wall_to_utc(date(2026, 3, 29), time(3, 30), HEL) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert _wall_to_utc(date(2026, 3, 29), time(3, 0), HEL) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert _wall_to_utc(date(2026, 3, 29), time(4, 0), HEL) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert _wall_to_utc(date(2026, 3, 8), time(2, 30), NYC) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    lhi = _wall_to_utc(date(2026, 10, 4), time(2, 10), LHI)
    assert lhi == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)  # 02:00 +10:30 jumps to 02:30 +11
    # Fold: 03:00-04:00 happens twice on 2026-10-25; the first occurrence counts.
    assert _wall_to_utc(date(2026, 10, 25), time(3, 30), HEL) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert _wall_to_utc(date(2026, 3, 2), END_OF_DAY, HEL) == datetime(2026, 3, 2, 22, tzinfo=UTC)


def test_window_with_a_boundary_in_the_gap() -> None:
    tariff = Tariff.from_spec("0.60", {"sun": "03:30-05:00"})
    # From the jump (04:00 EEST) to 05:00 EEST.
    assert paid_minutes(tariff, hel(2026, 3, 29), hel(2026, 3, 30), HEL) == 60


# --------------------------------------------------------- is_paid / next change


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (hel(2026, 3, 2, 8), True),
        (hel(2026, 3, 2, 7, 59, 59, 999999), False),
        (hel(2026, 3, 2, 17, 59, 59), True),
        (hel(2026, 3, 2, 18), False),
        (hel(2026, 3, 7, 12), True),
        (hel(2026, 3, 8, 12), False),
        (datetime(2026, 3, 2, 6, tzinfo=UTC), True),  # 08:00 in Helsinki
    ],
)
def test_is_paid_time(at: datetime, expected: bool) -> None:
    assert is_paid_time(STANDARD, at, HEL) is expected


def test_next_paid_change() -> None:
    assert next_paid_change(STANDARD, hel(2026, 3, 8, 12), HEL) == hel(2026, 3, 9, 8)
    assert next_paid_change(STANDARD, hel(2026, 3, 9, 8), HEL) == hel(2026, 3, 9, 18)
    assert next_paid_change(STANDARD, hel(2026, 3, 9, 18), HEL) == hel(2026, 3, 10, 8)
    assert next_paid_change(STANDARD, hel(2026, 3, 9, 18), HEL).tzinfo is UTC  # type: ignore[union-attr]
    assert next_paid_change(ALWAYS, hel(2026, 3, 9, 12), HEL) is None
    assert next_paid_change(Tariff.from_spec("1", {}), hel(2026, 3, 9, 12), HEL) is None
    overnight = Tariff.from_spec("1", {"mon": "22:00-24:00", "tue": "00:00-02:00"})
    assert next_paid_change(overnight, hel(2026, 3, 2, 23), HEL) == hel(2026, 3, 3, 2)


# ------------------------------------------------------------------ input errors


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        price(STANDARD, datetime(2026, 3, 2, 8), hel(2026, 3, 2, 9), HEL)
    with pytest.raises(ValueError, match="aware"):
        price(STANDARD, hel(2026, 3, 2, 8), datetime(2026, 3, 2, 9), HEL)
    with pytest.raises(ValueError, match="aware"):
        is_paid_time(STANDARD, datetime(2026, 3, 2, 9), HEL)


def test_end_before_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="before start"):
        price(STANDARD, hel(2026, 3, 2, 9), hel(2026, 3, 2, 8), HEL)
    with pytest.raises(ValueError, match="before start"):
        paid_minutes(STANDARD, hel(2026, 3, 2, 9), hel(2026, 3, 2, 8), HEL)


def test_year_long_parking() -> None:
    start = hel(2026, 1, 1)
    assert price(STANDARD, start, start + timedelta(days=365), HEL) == 261 * 1500 + 52 * 1440


# ----------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("2.40", 240),
        ("15", 1500),
        ("15.00", 1500),
        ("0", 0),
        ("0.05", 5),
        ("2.4", 240),
        (" 2.40 ", 240),
        ("2.400", 240),
        ("1000000", 100_000_000),
        (15, 1500),
        (0, 0),
        (2.4, 240),
        (0.1, 10),
        (Decimal("2.40"), 240),
        (Decimal("1E+1"), 1000),
    ],
)
def test_parse_money_accepts(text: Any, cents: int) -> None:
    assert parse_money(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "-1",
        "-0.01",
        "2.401",
        "2,40",
        "abc",
        "",
        " ",
        "1e2",
        "+1",
        ".5",
        "5.",
        "nan",
        "inf",
        "1 000",
        "1,000.00",
        "２",  # full-width digit
        -1,
        -0.5,
        0.001,
        0.1 + 0.2,
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        Decimal("-1"),
        Decimal("0.001"),
        True,
        None,
        [],
    ],
)
def test_parse_money_rejects(text: Any) -> None:
    with pytest.raises(TariffError):
        parse_money(text)


def test_parse_money_comma_hint() -> None:
    with pytest.raises(TariffError, match="dot"):
        parse_money("2,40")


@pytest.mark.parametrize(
    ("cents", "currency", "locale", "expected"),
    [
        (240, "EUR", "fi", "2,40 €"),
        (240, "EUR", "sv", "2,40 €"),
        (240, "EUR", "fi_FI", "2,40 €"),
        (240, "EUR", "en", "€2.40"),
        (240, "EUR", "en-GB", "€2.40"),
        (5, "EUR", "fi", "0,05 €"),
        (0, "EUR", "en", "€0.00"),
        (123456, "EUR", "fi", "1234,56 €"),
        (-240, "EUR", "fi", "-2,40 €"),
        (-240, "EUR", "en", "-€2.40"),
        (240, "SEK", "sv", "2,40 SEK"),
        (240, "SEK", "en", "SEK 2.40"),
    ],
)
def test_format_money(cents: int, currency: str, locale: str, expected: str) -> None:
    assert format_money(cents, currency, locale) == expected


def test_format_money_defaults() -> None:
    assert format_money(240) == "2,40 €"


@given(st.integers(0, 10**9))
@settings(max_examples=50)
def test_money_round_trip(cents: int) -> None:
    assert parse_money(money_to_decimal_str(cents)) == cents


# ------------------------------------------------------------------ paid hours

ALL = range(7)
W = tuple[tuple[time, time], ...]


def w(*pairs: tuple[int, int, int, int]) -> W:
    return tuple(
        (time(a, b), END_OF_DAY if (c, d) == (24, 0) else time(c, d)) for a, b, c, d in pairs
    )


NINE_TO_FIVE = w((9, 0, 17, 0))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"mon-fri": "08:00-18:00"}, dict.fromkeys(range(5), w((8, 0, 18, 0)))),
        (
            {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"},
            dict.fromkeys(range(5), w((8, 0, 18, 0))) | {5: w((9, 0, 15, 0))},
        ),
        ({"daily": "00:00-24:00"}, dict.fromkeys(ALL, w((0, 0, 24, 0)))),
        ({"mon-sun": "9-17"}, dict.fromkeys(ALL, NINE_TO_FIVE)),
        ({"Mon - Fri": " 09.00 – 17.00 "}, dict.fromkeys(range(5), NINE_TO_FIVE)),
        ({"mon,wed": "8:30-17"}, dict.fromkeys((0, 2), w((8, 30, 17, 0)))),
        ({"mon-wed, fri": "9-17"}, dict.fromkeys((0, 1, 2, 4), NINE_TO_FIVE)),
        ({"fri-mon": "9-17"}, dict.fromkeys((4, 5, 6, 0), NINE_TO_FIVE)),
        ({"sat-sun": "9-17"}, dict.fromkeys((5, 6), NINE_TO_FIVE)),
        ({"SUNDAY": "9-17"}, {6: NINE_TO_FIVE}),
        ({"sat": "13:00-15:00, 08:00-12:00"}, {5: w((8, 0, 12, 0), (13, 0, 15, 0))}),
        ({"mon": "08:00-12:00,12:00-18:00"}, {0: w((8, 0, 12, 0), (12, 0, 18, 0))}),
        ({"tue": "22:00-24:00", "wed": "0-2"}, {1: w((22, 0, 24, 0)), 2: w((0, 0, 2, 0))}),
        ({}, {}),
    ],
)
def test_parse_paid_hours_accepts(spec: dict[str, str], expected: dict[int, W]) -> None:
    assert parse_paid_hours(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"mon": "18:00-08:00"}, "end after it starts"),
        ({"mon": "08:00-08:00"}, "end after it starts"),
        ({"mon": "22:00-02:00"}, "overnight"),
        ({"mon": "24:00-24:00"}, "cannot start at 24:00"),
        ({"mon": "08:00-25:00"}, "bad time"),
        ({"mon": "08:00-24:30"}, "bad time"),
        ({"mon": "08:60-09:00"}, "bad time"),
        ({"mon": "8:5-9"}, "bad time"),
        ({"mon": "abc"}, "bad window"),
        ({"mon": "8"}, "bad window"),
        ({"mon": "8-9-10"}, "bad window"),
        ({"mon": "08:00-"}, "bad time"),
        ({"mon": "08:00-12:00,"}, "bad window"),
        ({"mon": ""}, "must be a string"),
        ({"mon": 8}, "must be a string"),
        ({"mon": None}, "must be a string"),
        ({"mon": "08:00-12:00, 11:00-13:00"}, "overlapping"),
        ({"mon": "08:00-18:00, 09:00-10:00"}, "overlapping"),
        ({"mon": "08:00-12:00", "mon-fri": "13:00-14:00"}, "more than once"),
        ({"daily": "8-9", "sun": "10-11"}, "more than once"),
        ({"mon,mon": "8-9"}, "twice"),
        ({"mon-fri,wed": "8-9"}, "twice"),
        ({"funday": "8-9"}, "unknown day"),
        ({"ma-fun": "8-18"}, "unknown day"),
        ({"mon-": "8-18"}, "unknown day"),
        ({"mon-tue-wed": "8-18"}, "unknown day"),
        ({"": "8-9"}, "day key"),
        ({1: "8-9"}, "day key"),
    ],
)
def test_parse_paid_hours_rejects(spec: Any, message: str) -> None:
    with pytest.raises(TariffError, match=message):
        parse_paid_hours(spec)


@pytest.mark.parametrize(
    ("key", "days"),
    [
        ("ma-pe", [0, 1, 2, 3, 4]),
        ("la", [5]),
        ("su", [6]),
        ("ma, ke", [0, 2]),
        ("Ma.-Pe.", [0, 1, 2, 3, 4]),
        ("maanantai-perjantai", [0, 1, 2, 3, 4]),
        ("lauantai", [5]),
        ("mån-fre", [0, 1, 2, 3, 4]),
        ("lör", [5]),
        ("sön", [6]),
        ("man-fre", [0, 1, 2, 3, 4]),
        ("Lördag", [5]),
        ("tis,tor", [1, 3]),
        ("ti,to", [1, 3]),
        ("Monday-Friday", [0, 1, 2, 3, 4]),
        ("päivittäin", list(range(7))),
        ("dagligen", list(range(7))),
        ("ma-su", list(range(7))),
        ("pe-ma", [4, 5, 6, 0]),
    ],
)
def test_days_are_understood_in_finnish_swedish_and_english(key: str, days: list[int]) -> None:
    assert parse_days(key) == days


def test_an_unknown_day_names_the_part_not_understood() -> None:
    with pytest.raises(UnknownDayError) as caught:
        parse_paid_hours({"ma-pe": "8-18", "lx": "9-15"})
    assert caught.value.day == "lx"
    assert "unknown day" in str(caught.value)


@pytest.mark.parametrize(
    ("days", "fi", "sv", "en"),
    [
        ([0, 1, 2, 3, 4], "ma-pe", "mån-fre", "mon-fri"),
        ([5], "la", "lör", "sat"),
        ([5, 6], "la-su", "lör-sön", "sat-sun"),
        ([0, 2], "ma,ke", "mån,ons", "mon,wed"),
        (list(range(7)), "ma-su", "mån-sön", "daily"),
    ],
)
def test_days_are_written_in_the_readers_language(
    days: list[int], fi: str, sv: str, en: str
) -> None:
    assert (format_days(days, "fi"), format_days(days, "sv"), format_days(days, "en")) == (
        fi,
        sv,
        en,
    )


@given(
    st.lists(st.integers(0, 6), min_size=1, unique=True).map(sorted),
    st.sampled_from(["fi", "sv", "en"]),
)
def test_written_days_read_back_as_the_same_days(days: list[int], language: str) -> None:
    assert sorted(parse_days(format_days(days, language))) == days


def test_a_stored_spec_is_shown_in_the_readers_language_and_reads_back_the_same() -> None:
    spec = {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}
    assert localized_paid_hours(spec, "fi") == {"ma-pe": "08:00-18:00", "la": "09:00-15:00"}
    assert localized_paid_hours(spec, "sv") == {"mån-fre": "08:00-18:00", "lör": "09:00-15:00"}
    for language in ("fi", "sv", "en"):
        shown = localized_paid_hours(spec, language)
        assert paid_hours_to_spec(parse_paid_hours(shown)) == spec


def test_parse_paid_hours_rejects_non_mapping() -> None:
    with pytest.raises(TariffError, match="mapping"):
        parse_paid_hours(["mon", "8-9"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hours", "spec"),
    [
        (
            dict.fromkeys(range(5), w((8, 0, 18, 0))) | {5: w((9, 0, 15, 0))},
            {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"},
        ),
        (dict.fromkeys(ALL, w((0, 0, 24, 0))), {"daily": "00:00-24:00"}),
        (
            {0: NINE_TO_FIVE, 1: w((8, 0, 12, 0), (13, 0, 18, 0)), 2: NINE_TO_FIVE},
            {"mon,wed": "09:00-17:00", "tue": "08:00-12:00, 13:00-18:00"},
        ),
        ({5: NINE_TO_FIVE, 6: NINE_TO_FIVE}, {"sat-sun": "09:00-17:00"}),
        ({0: NINE_TO_FIVE, 6: NINE_TO_FIVE, 3: ()}, {"mon,sun": "09:00-17:00"}),
        ({}, {}),
    ],
)
def test_paid_hours_to_spec(hours: dict[int, W], spec: dict[str, str]) -> None:
    result = paid_hours_to_spec(hours)
    assert result == spec
    assert list(result) == list(spec)


# ---------------------------------------------------------------------- tariff


def test_tariff_from_spec() -> None:
    assert STANDARD.rate_per_hour_cents == 240
    assert STANDARD.daily_cap_cents == 1500
    assert STANDARD.max_minutes is None
    assert STANDARD.paid_hours[0] == w((8, 0, 18, 0))
    assert 6 not in STANDARD.paid_hours
    tariff = Tariff.from_spec("2.40", {"mon": "8-9"}, max_minutes=240)
    assert tariff.max_minutes == 240
    assert tariff.daily_cap_cents is None


def test_tariff_is_immutable_hashable_and_normalized() -> None:
    a = Tariff(240, {0: [(time(13), time(14)), (time(8), time(9))], 3: []})  # type: ignore[dict-item]
    b = Tariff(240, {0: ((time(8), time(9)), (time(13), time(14)))})
    assert a == b
    assert hash(a) == hash(b)
    assert a.paid_hours == {0: ((time(8), time(9)), (time(13), time(14)))}
    with pytest.raises(TypeError):
        a.paid_hours[1] = ()  # type: ignore[index]
    source: dict[int, tuple[Window, ...]] = {0: ((time(8), time(9)),)}
    c = Tariff(240, source)
    source[1] = ((time(8), time(9)),)
    assert 1 not in c.paid_hours


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_per_hour": "-1"}, "rate_per_hour: .*negative"),
        ({"rate_per_hour": "x"}, "rate_per_hour"),
        ({"daily_cap": "2.405"}, "daily_cap: .*decimals"),
        ({"max_minutes": 0}, "max_minutes"),
        ({"max_minutes": -5}, "max_minutes"),
        ({"max_minutes": True}, "max_minutes"),
        ({"max_minutes": "240"}, "max_minutes"),
        ({"paid_hours": {"mon": "9-8"}}, "paid_hours"),
    ],
)
def test_tariff_from_spec_rejects(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"rate_per_hour": "2.40", "paid_hours": {"mon": "8-9"}} | kwargs
    with pytest.raises(TariffError, match=message):
        Tariff.from_spec(**args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_per_hour_cents": -1}, "rate_per_hour_cents"),
        ({"rate_per_hour_cents": 2.4}, "rate_per_hour_cents"),
        ({"rate_per_hour_cents": True}, "rate_per_hour_cents"),
        ({"daily_cap_cents": -1}, "daily_cap_cents"),
        ({"paid_hours": {7: ((time(8), time(9)),)}}, "weekday"),
        ({"paid_hours": {0: ((time(9), time(8)),)}}, "start < end"),
        ({"paid_hours": {0: ((time(8), time(0)),)}}, "start < end"),
        ({"paid_hours": {0: ((END_OF_DAY, END_OF_DAY),)}}, "start < end"),
        ({"paid_hours": {0: ((time(8, 0, 30), time(9)),)}}, "whole minutes"),
        ({"paid_hours": {0: ((time(8, tzinfo=UTC), time(9)),)}}, "naive"),
        ({"paid_hours": {0: ((time(8), time(10)), (time(9), time(11)))}}, "overlapping"),
    ],
)
def test_tariff_rejects(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"rate_per_hour_cents": 240, "paid_hours": {}} | kwargs
    with pytest.raises(TariffError, match=message):
        Tariff(**args)


def test_tariff_to_spec_round_trip() -> None:
    assert STANDARD.to_spec() == {
        "rate_per_hour": "2.40",
        "paid_hours": {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"},
        "daily_cap": "15.00",
    }
    tariff = Tariff.from_spec("1", {"daily": "0-24"}, max_minutes=30)
    assert Tariff.from_spec(**tariff.to_spec()) == tariff  # type: ignore[arg-type]


# ------------------------------------------------------------ property tests

ZONES: list[tzinfo] = [HEL, NYC, LHI, ZoneInfo("UTC")]
OTHER_ZONES: list[tzinfo] = [*ZONES, timezone(timedelta(hours=5, minutes=30)), UTC]
BASES = strategies.DST_DAYS_2026
PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# Minute marks biased to values near DST jumps (02:00, 02:30, 03:00, 03:30, 04:00) and
# to the ends of the day.
paid_windows = day_windows(minute_marks([0, 120, 150, 180, 210, 240, 480, 1080, 1440]), max_marks=6)
tariffs = strategies.tariffs(paid_windows, max_minutes=5000)
capped_tariffs = tariffs.filter(lambda t: t.daily_cap_cents is not None)


def instants(days: int = 4) -> st.SearchStrategy[datetime]:
    return strategies.instants(BASES, days)


durations = strategies.durations(max_days=3)


def reference_breakdown(
    tariff: Tariff, start: datetime, end: datetime, tz: tzinfo
) -> tuple[int, int]:
    """Minute-by-minute (slow, obviously correct) (price, paid minutes)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if tariff.max_minutes is not None:
        end = min(end, start + timedelta(minutes=tariff.max_minutes))
    windows = []
    day = start.astimezone(tz).date() - timedelta(days=2)
    while day <= end.astimezone(tz).date() + timedelta(days=1):
        for a, b in tariff.paid_hours.get(day.weekday(), ()):
            windows.append((_wall_to_utc(day, a, tz), _wall_to_utc(day, b, tz)))
        day += timedelta(days=1)
    per_day: Counter[date] = Counter()
    k = 0
    while start + k * MINUTE < end:
        minute_start = start + k * MINUTE
        minute_end = min(minute_start + MINUTE, end)
        if any(a < minute_end and minute_start < b for a, b in windows):
            per_day[minute_start.astimezone(tz).date()] += 1
        k += 1
    total = Fraction(0)
    for minutes in per_day.values():
        day_price = Fraction(minutes * tariff.rate_per_hour_cents, 60)
        if tariff.daily_cap_cents is not None:
            day_price = min(day_price, Fraction(tariff.daily_cap_cents))
        total += day_price
    return math.ceil(total), sum(per_day.values())


@given(tariffs, instants(), durations, st.sampled_from(ZONES))
@PROPERTY
def test_price_equals_minute_by_minute_reference(
    tariff: Tariff, start: datetime, duration: timedelta, tz: tzinfo
) -> None:
    end = start + duration
    expected_price, expected_minutes = reference_breakdown(tariff, start, end, tz)
    assert price(tariff, start, end, tz) == expected_price
    assert paid_minutes(tariff, start, end, tz) == expected_minutes
    breakdown = price_breakdown(tariff, start, end, tz)
    assert sum(charge.cents for charge in breakdown) == expected_price
    assert all(charge.paid_minutes > 0 for charge in breakdown)
    assert [c.day for c in breakdown] == sorted({c.day for c in breakdown})


@given(tariffs, instants(), durations, st.sampled_from(ZONES))
@PROPERTY
def test_price_is_not_negative_and_bounded(
    tariff: Tariff, start: datetime, duration: timedelta, tz: tzinfo
) -> None:
    end = start + duration
    cents = price(tariff, start, end, tz)
    minutes = paid_minutes(tariff, start, end, tz)
    assert cents >= 0
    assert 0 <= minutes <= math.ceil(duration / MINUTE)
    if tariff.max_minutes is not None:
        assert minutes <= tariff.max_minutes
    assert cents <= math.ceil(Fraction(minutes * tariff.rate_per_hour_cents, 60)) + 4


@given(tariffs, instants(), durations, durations, st.sampled_from(ZONES))
@PROPERTY
def test_price_never_decreases_as_end_grows(
    tariff: Tariff, start: datetime, first: timedelta, second: timedelta, tz: tzinfo
) -> None:
    shorter, longer = sorted((first, second))
    assert price(tariff, start, start + shorter, tz) <= price(tariff, start, start + longer, tz)
    assert paid_minutes(tariff, start, start + shorter, tz) <= paid_minutes(
        tariff, start, start + longer, tz
    )


@given(
    tariffs,
    instants(),
    st.sampled_from(ZONES),
    st.floats(0, 1),
    st.floats(0, 1),
)
@PROPERTY
def test_zero_outside_paid_hours(
    tariff: Tariff, at: datetime, tz: tzinfo, x: float, y: float
) -> None:
    day = at.astimezone(tz).date()
    bounds = [0]
    for a, b in tariff.paid_hours.get(day.weekday(), ()):
        bounds += [a.hour * 60 + a.minute, 1440 if b == END_OF_DAY else b.hour * 60 + b.minute]
    bounds.append(1440)
    gaps = [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if a < b]
    if not gaps:
        return
    gap_start, gap_end = gaps[int(x * len(gaps)) % len(gaps)]
    free_from = _wall_to_utc(day, clock(gap_start), tz)
    free_until = _wall_to_utc(day, clock(gap_end), tz)
    start = free_from + (free_until - free_from) * min(x, y)
    end = free_from + (free_until - free_from) * max(x, y)
    assert price(tariff, start, end, tz) == 0
    assert paid_minutes(tariff, start, end, tz) == 0
    assert not is_paid_time(tariff, start, tz) or start == end


@given(capped_tariffs, instants(), st.sampled_from(ZONES), st.floats(0, 1), st.floats(0, 1))
@PROPERTY
def test_never_above_daily_cap_within_one_local_day(
    tariff: Tariff, at: datetime, tz: tzinfo, x: float, y: float
) -> None:
    day = at.astimezone(tz).date()
    midnight = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    length = next_midnight - midnight
    start, end = midnight + length * min(x, y), midnight + length * max(x, y)
    assert tariff.daily_cap_cents is not None
    assert price(tariff, start, end, tz) <= tariff.daily_cap_cents
    assert len(price_breakdown(tariff, start, end, tz)) <= 1


@given(
    tariffs,
    instants(),
    durations,
    st.sampled_from(ZONES),
    st.sampled_from(OTHER_ZONES),
    st.sampled_from(OTHER_ZONES),
)
@PROPERTY
def test_invariant_under_time_zone_of_the_inputs(
    tariff: Tariff,
    start: datetime,
    duration: timedelta,
    tz: tzinfo,
    start_zone: tzinfo,
    end_zone: tzinfo,
) -> None:
    end = start + duration
    expected = price(tariff, start, end, tz)
    assert price(tariff, start.astimezone(start_zone), end.astimezone(end_zone), tz) == expected
    # The paid-hours zone itself, which makes naive wall-clock arithmetic go wrong.
    assert price(tariff, start.astimezone(tz), end.astimezone(tz), tz) == expected


@given(tariffs, instants(), st.sampled_from(ZONES))
@PROPERTY
def test_is_paid_time_agrees_with_paid_minutes(tariff: Tariff, at: datetime, tz: tzinfo) -> None:
    at = at.replace(microsecond=0)
    tiny = timedelta(microseconds=1)
    assert is_paid_time(tariff, at, tz) == (paid_minutes(tariff, at, at + tiny, tz) == 1)


@given(tariffs, instants(), st.sampled_from(ZONES))
@PROPERTY
def test_next_paid_change_is_a_change(tariff: Tariff, at: datetime, tz: tzinfo) -> None:
    change = next_paid_change(tariff, at, tz)
    if change is None:
        return
    assert change > at
    before = change - timedelta(microseconds=1)
    assert is_paid_time(tariff, before, tz) != is_paid_time(tariff, change, tz)
    assert is_paid_time(tariff, at, tz) == is_paid_time(tariff, before, tz)


@given(st.dictionaries(st.integers(0, 6), paid_windows, max_size=7))
@settings(max_examples=100)
def test_paid_hours_spec_round_trip(hours: dict[int, tuple[Window, ...]]) -> None:
    nonempty = {day: windows for day, windows in hours.items() if windows}
    assert parse_paid_hours(paid_hours_to_spec(hours)) == nonempty


@given(tariffs)
@settings(max_examples=50)
def test_tariff_spec_round_trip(tariff: Tariff) -> None:
    spec = tariff.to_spec()
    assert Tariff.from_spec(**spec) == tariff  # type: ignore[arg-type]
