"""The pure-function benches: SMS parsing and pricing, on one core, no I/O.

Run by ``bench/run.py`` with the checkout's own Python: ``pure.py APP_DIR`` imports that
checkout's ``app`` and prints one JSON object: ``parse_rate`` (messages/s),
``price_us`` (microseconds for the price of a 7-day parking) and ``price_cold_us`` (the same
with pricing's per-process caches emptied before every price; not in the table); a figure
the checkout's code cannot give (a module moved, a signature changed) is null, with the
reason in ``errors``.
"""

from __future__ import annotations

import importlib
import json
import sys
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

SAMPLES = (
    "ABC-123 101",
    "abc123 alue 101 2h",
    "101 ABC–123 1:30",
    "LOPETA",
    "JATKA 30",
    "P ABC 123 102 for 2 hours",
    "kieli sv",
    "hello?",
    "ABC-123, 101, 90 min",
    "STOP",
)


def _module(*names: str) -> ModuleType:
    """The first of ``names`` that imports (modules move between packages over time)."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(" or ".join(names))


def parse_rate() -> float:
    parse_sms: Callable[..., Any] = _module("app.domain.parsing", "app.services.parsing").parse_sms
    n = 20_000
    seconds = min(
        timeit.repeat(
            lambda: [parse_sms(s, ("EV1",)) for s in SAMPLES], number=n // len(SAMPLES), repeat=3
        )
    )
    return n / seconds


def _seven_day_price(*, cold: bool) -> float:
    """Microseconds for the price of a 7-day parking; ``cold``: with pricing's per-process
    caches (``functools`` caches in the module, where the checkout has any) emptied before
    every price, as for a parking over days no other parking has asked about yet."""
    pricing = _module("app.domain.pricing", "app.services.pricing")
    tariff = pricing.Tariff.from_spec(
        "2.40", {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}, "15.00"
    )
    tz = ZoneInfo("Europe/Helsinki")
    start = datetime(2026, 11, 23, 7, tzinfo=tz).astimezone(UTC)
    end = start + timedelta(days=7)
    caches = [f.cache_clear for f in vars(pricing).values() if hasattr(f, "cache_clear")]

    def one_price() -> None:
        if cold:
            for clear in caches:
                clear()
        pricing.price(tariff, start, end, tz)

    runs = 2000
    seconds = min(timeit.repeat(one_price, number=runs, repeat=3))
    return seconds / runs * 1e6


def price_us() -> float:
    return _seven_day_price(cold=False)


def price_cold_us() -> float:
    return _seven_day_price(cold=True)


def main() -> int:
    sys.path.insert(0, sys.argv[1])
    results: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    benches = (("parse_rate", parse_rate), ("price_us", price_us), ("price_cold_us", price_cold_us))
    for name, bench in benches:
        try:
            results[name] = bench()
        except Exception as exc:  # a figure this checkout cannot give is reported, not fatal
            results[name] = None
            errors[name] = f"{type(exc).__name__}: {exc}"
    print(json.dumps({**results, "errors": errors}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
