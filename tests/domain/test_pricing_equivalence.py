"""The faster pricing (issue 13) charges exactly what the pricing before it charged.

tests/domain/legacy_pricing.py holds the code as it was; every public pricing function is
compared with it over random tariffs, instants and durations (biased to the DST days of
Europe/Helsinki, New York and Lord Howe), over a deterministic sweep of Helsinki's DST
weeks, and with the per-process caches cold, warm and after a tariff is edited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain import pricing
from app.domain.pricing import Tariff
from tests.domain import legacy_pricing as legacy
from tests.domain import pricing_strategies as strategies
from tests.domain.pricing_strategies import day_windows, minute_marks

HEL = ZoneInfo("Europe/Helsinki")
ZONES: list[tzinfo] = [
    HEL,
    HEL,
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Lord_Howe"),  # DST shift of 30 minutes
    ZoneInfo("UTC"),
    timezone(timedelta(hours=5, minutes=30)),
]
# Helsinki's DST days of 2026 (Mar 29, Oct 25) and 2027 (Mar 28, Oct 31), New York's
# (Mar 8, Nov 1), Lord Howe's (Apr 5, Oct 4), a winter and a summer day.
BASES = [
    *strategies.DST_DAYS_2026[:2],
    datetime(2027, 3, 26, tzinfo=UTC),
    datetime(2027, 10, 29, tzinfo=UTC),
    *strategies.DST_DAYS_2026[2:],
]
EQUIVALENCE = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# Minute marks biased to DST jumps (02:00-04:00) and to the ends of the day.
marks = minute_marks([0, 1, 120, 150, 180, 181, 210, 240, 480, 1080, 1440])
tariffs = strategies.tariffs(day_windows(marks, max_marks=8), max_minutes=15000)


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    instant = draw(strategies.instants(BASES))
    # Inputs may come in any zone; the answer must not depend on it.
    return instant.astimezone(draw(st.sampled_from([UTC, HEL])))


durations = strategies.durations(max_days=10)


def assert_same_as_legacy(tariff: Tariff, start: datetime, end: datetime, tz: tzinfo) -> None:
    assert pricing.price_breakdown(tariff, start, end, tz) == legacy.price_breakdown(
        tariff, start, end, tz
    )
    assert pricing.price(tariff, start, end, tz) == legacy.price(tariff, start, end, tz)
    assert pricing.paid_minutes(tariff, start, end, tz) == legacy.paid_minutes(
        tariff, start, end, tz
    )
    assert pricing.capped_end(tariff, start, end) == legacy.capped_end(tariff, start, end)
    for at in (start, end):
        assert pricing.is_paid_time(tariff, at, tz) == legacy.is_paid_time(tariff, at, tz)
        for days in (1, 8):
            assert pricing.next_paid_change(
                tariff, at, tz, horizon_days=days
            ) == legacy.next_paid_change(tariff, at, tz, horizon_days=days)


@given(tariffs, instants(), durations, st.sampled_from(ZONES))
@EQUIVALENCE
def test_prices_and_paid_times_equal_the_code_before(
    tariff: Tariff, start: datetime, duration: timedelta, tz: tzinfo
) -> None:
    assert_same_as_legacy(tariff, start, start + duration, tz)


@given(tariffs, instants(), durations, st.sampled_from(ZONES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_cold_cache_answers_as_a_warm_one(
    tariff: Tariff, start: datetime, duration: timedelta, tz: tzinfo
) -> None:
    end = start + duration
    warm = pricing.price_breakdown(tariff, start, end, tz)
    pricing._wall_to_utc.cache_clear()
    pricing._windows_utc.cache_clear()
    assert pricing.price_breakdown(tariff, start, end, tz) == warm
    assert warm == legacy.price_breakdown(tariff, start, end, tz)


HELSINKI_TARIFFS = [
    Tariff.from_spec("2.40", {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}, "15.00"),
    Tariff.from_spec("0.60", {"daily": "00:00-24:00"}),
    Tariff.from_spec("1.00", {"daily": "02:30-03:30, 03:30-04:00, 22:00-24:00"}, "3.00"),
    Tariff.from_spec("3.00", {"sat-sun": "00:00-03:00, 03:00-24:00"}, max_minutes=600),
]


def test_a_sweep_over_helsinkis_dst_weeks_equals_the_code_before() -> None:
    """Starts every 53 minutes through the spring and autumn DST weeks, with stays from a
    minute to eight days, under tariffs with windows on, around and across the jumps."""
    for first in (datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC)):
        for step in range(0, 5 * 24 * 60, 53):
            start = first + timedelta(minutes=step, seconds=step % 60)
            for length in (1, 61, 24 * 60 - 7, 3 * 24 * 60 + 11, 8 * 24 * 60):
                for tariff in HELSINKI_TARIFFS:
                    assert_same_as_legacy(tariff, start, start + timedelta(minutes=length), HEL)


def test_an_edited_tariff_is_priced_by_its_new_hours() -> None:
    """The per-process caches hold UTC instants of wall times, keyed by the windows
    themselves: a zone whose hours are edited is priced by the new hours at once."""
    start = datetime(2026, 11, 23, 6, tzinfo=UTC)  # a Monday, 08:00 in Helsinki
    end = start + timedelta(hours=4)
    before = Tariff.from_spec("2.40", {"mon-fri": "08:00-18:00"})
    after = Tariff.from_spec("2.40", {"mon-fri": "09:00-18:00"})
    assert pricing.price(before, start, end, HEL) == 960
    assert pricing.price(after, start, end, HEL) == 720
    assert pricing.price(before, start, end, HEL) == 960


def test_the_caches_are_bounded() -> None:
    tariff = Tariff.from_spec("0.60", {"daily": "08:00-09:00, 10:00-11:00"})
    start = datetime(2020, 1, 1, tzinfo=UTC)
    pricing.price(tariff, start, start + timedelta(days=3 * 365), HEL)
    for cache in (pricing._wall_to_utc, pricing._windows_utc):
        info = cache.cache_info()
        assert info.maxsize is not None
        assert info.currsize <= info.maxsize
