"""Hypothesis strategies for the pricing tests: tariffs with random paid windows, instants
on days around DST changes, and durations. Each test module picks its own ranges (its
days, its minute marks, its longest stay) through the arguments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from hypothesis import strategies as st

from app.domain.pricing import END_OF_DAY, Tariff, Window

# Days around DST changes: Helsinki (Mar 29, Oct 25), New York (Mar 8, Nov 1),
# Lord Howe (Apr 5, Oct 4), plus ordinary winter and summer days.
DST_DAYS_2026 = [
    datetime(2026, 3, 27, tzinfo=UTC),
    datetime(2026, 10, 23, tzinfo=UTC),
    datetime(2026, 3, 6, tzinfo=UTC),
    datetime(2026, 10, 30, tzinfo=UTC),
    datetime(2026, 4, 3, tzinfo=UTC),
    datetime(2026, 10, 2, tzinfo=UTC),
    datetime(2026, 1, 14, tzinfo=UTC),
    datetime(2026, 7, 1, tzinfo=UTC),
]


def clock(minutes: int) -> time:
    return END_OF_DAY if minutes == 1440 else time(minutes // 60, minutes % 60)


def minute_marks(favourites: Sequence[int]) -> st.SearchStrategy[int]:
    """Minutes of the day (0 to 1440), biased to ``favourites`` (DST jumps, day's ends)."""
    return st.one_of(st.integers(0, 1440), st.sampled_from(list(favourites)))


@st.composite
def day_windows(
    draw: st.DrawFn, marks: st.SearchStrategy[int], max_marks: int
) -> tuple[Window, ...]:
    points = sorted(draw(st.lists(marks, max_size=max_marks)))
    return tuple(
        (clock(a), clock(b)) for a, b in zip(points[::2], points[1::2], strict=False) if a < b
    )


def tariffs(
    windows: st.SearchStrategy[tuple[Window, ...]], max_minutes: int
) -> st.SearchStrategy[Tariff]:
    return st.builds(
        Tariff,
        rate_per_hour_cents=st.one_of(st.integers(0, 1000), st.sampled_from([240, 250, 7, 61])),
        paid_hours=st.dictionaries(st.integers(0, 6), windows, max_size=7),
        daily_cap_cents=st.one_of(st.none(), st.integers(0, 3000)),
        max_minutes=st.one_of(st.none(), st.integers(1, max_minutes)),
    )


@st.composite
def instants(draw: st.DrawFn, bases: Sequence[datetime], days: int = 4) -> datetime:
    """Up to ``days`` after one of ``bases`` (UTC), to the second or the microsecond."""
    base = draw(st.sampled_from(list(bases)))
    seconds = draw(st.integers(0, days * 86400))
    micro = draw(st.one_of(st.just(0), st.integers(0, 999_999)))
    return base + timedelta(seconds=seconds, microseconds=micro)


def durations(max_days: int) -> st.SearchStrategy[timedelta]:
    """Up to ``max_days`` to the second, up to three days to the microsecond, or short."""
    return st.one_of(
        st.integers(0, max_days * 86400).map(lambda s: timedelta(seconds=s)),
        st.integers(0, 3 * 86400 * 10**6).map(lambda us: timedelta(microseconds=us)),
        st.integers(0, 600).map(lambda s: timedelta(seconds=s)),
    )
