"""A stay's price is rounded up once, not once per local day (round 2, finding 4)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.pricing import Tariff, paid_minutes, price, price_breakdown

from .test_pricing import ZONES, durations, instants, tariffs

HEL = ZoneInfo("Europe/Helsinki")
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_two_hours_across_midnight_cost_two_hours() -> None:
    tariff = Tariff.from_spec("2.00", {"daily": "00:00-24:00"})
    start = datetime(2026, 3, 2, 22, 59, tzinfo=HEL)  # 61 minutes Monday, 59 Tuesday
    end = start + timedelta(hours=2)
    assert price(tariff, start, end, HEL) == 400
    breakdown = price_breakdown(tariff, start, end, HEL)
    assert [c.paid_minutes for c in breakdown] == [61, 59]
    assert sum(c.cents for c in breakdown) == 400
    assert not any(c.capped for c in breakdown)


def test_cap_still_binds_per_day() -> None:
    tariff = Tariff.from_spec("6.00", {"mon": "00:00-06:00"}, daily_cap="0.05")
    start = datetime(2026, 3, 8, 23, 59, 30, tzinfo=HEL)
    breakdown = price_breakdown(tariff, start, start + timedelta(seconds=90), HEL)
    assert [(c.cents, c.capped) for c in breakdown] == [(5, True), (5, True)]


@given(tariffs, instants(), durations, st.sampled_from(ZONES))
@PROPERTY
def test_price_never_exceeds_one_rounding_of_all_paid_minutes(
    tariff: Tariff, start: datetime, duration: timedelta, tz: tzinfo
) -> None:
    end = start + duration
    cents = price(tariff, start, end, tz)
    minutes = paid_minutes(tariff, start, end, tz)
    once = math.ceil(Fraction(minutes * tariff.rate_per_hour_cents, 60))
    assert cents <= once
    breakdown = price_breakdown(tariff, start, end, tz)
    assert sum(c.cents for c in breakdown) == cents
    if not any(c.capped for c in breakdown):
        assert cents == once
