"""The faster pricing (issue 13) charges exactly what the pricing before it charged.

tests/domain/legacy_pricing.py holds the code as it was; every public pricing function is
compared with it over random tariffs, instants and durations (biased to the DST days of
Europe/Helsinki, New York and Lord Howe), over a deterministic sweep of Helsinki's DST
weeks, and with the per-process caches cold, warm and after a tariff is edited.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain import pricing
from app.domain.pricing import END_OF_DAY, Tariff, Window
from tests.domain import legacy_pricing as legacy

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
    datetime(2026, 3, 27, tzinfo=UTC),
    datetime(2026, 10, 23, tzinfo=UTC),
    datetime(2027, 3, 26, tzinfo=UTC),
    datetime(2027, 10, 29, tzinfo=UTC),
    datetime(2026, 3, 6, tzinfo=UTC),
    datetime(2026, 10, 30, tzinfo=UTC),
    datetime(2026, 4, 3, tzinfo=UTC),
    datetime(2026, 10, 2, tzinfo=UTC),
    datetime(2026, 1, 14, tzinfo=UTC),
    datetime(2026, 7, 1, tzinfo=UTC),
]
EQUIVALENCE = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def clock(minutes: int) -> time:
    return END_OF_DAY if minutes == 1440 else time(minutes // 60, minutes % 60)


# Minute marks biased to DST jumps (02:00-04:00) and to the ends of the day.
marks = st.one_of(
    st.integers(0, 1440), st.sampled_from([0, 1, 120, 150, 180, 181, 210, 240, 480, 1080, 1440])
)


@st.composite
def day_windows(draw: st.DrawFn) -> tuple[Window, ...]:
    points = sorted(draw(st.lists(marks, max_size=8)))
    return tuple(
        (clock(a), clock(b)) for a, b in zip(points[::2], points[1::2], strict=False) if a < b
    )


tariffs = st.builds(
    Tariff,
    rate_per_hour_cents=st.one_of(st.integers(0, 1000), st.sampled_from([240, 250, 7, 61])),
    paid_hours=st.dictionaries(st.integers(0, 6), day_windows(), max_size=7),
    daily_cap_cents=st.one_of(st.none(), st.integers(0, 3000)),
    max_minutes=st.one_of(st.none(), st.integers(1, 15000)),
)


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    base = draw(st.sampled_from(BASES))
    seconds = draw(st.integers(0, 4 * 86400))
    micro = draw(st.one_of(st.just(0), st.integers(0, 999_999)))
    instant = base + timedelta(seconds=seconds, microseconds=micro)
    # Inputs may come in any zone; the answer must not depend on it.
    return instant.astimezone(draw(st.sampled_from([UTC, HEL])))


durations = st.one_of(
    st.integers(0, 10 * 86400).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 3 * 86400 * 10**6).map(lambda us: timedelta(microseconds=us)),
    st.integers(0, 600).map(lambda s: timedelta(seconds=s)),
)


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
