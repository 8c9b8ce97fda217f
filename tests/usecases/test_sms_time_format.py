"""One rule for the times of one SMS (issue 9, round 2, point 10): clock times only when
every time in it is today, else every time with its date."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import HELSINKI, Clock, Phone


def _at(hour: int, minute: int, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HELSINKI)


def test_a_status_with_an_end_today_and_one_tomorrow_dates_both(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(22, 0)
    phone.send("ABC-123 301 1h")
    phone.send("XYZ-789 301 3h")

    reply = phone.send("TILA")

    assert "ABC-123 alue 301, 23.11. klo 23.00 asti" in reply, reply
    assert "XYZ-789 alue 301, 24.11. klo 1.00 asti" in reply, reply


def test_a_status_with_every_end_today_gives_clock_times(phone: Phone, clock: Clock) -> None:
    clock.now = _at(20, 0)
    phone.send("ABC-123 301 1h")
    phone.send("XYZ-789 301 3h")

    reply = phone.send("TILA")

    assert "ABC-123 alue 301, 21.00 asti" in reply, reply
    assert "XYZ-789 alue 301, 23.00 asti" in reply, reply
