"""SUPPORT_HOURS read, and when a person answers a message sent at a given local time."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from app.domain.support_hours import (
    AnswerTime,
    SupportHoursError,
    next_answer,
    parse_support_hours,
)

WEEKDAYS = parse_support_hours("mon-fri 08:00-16:00")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # Monday 23 November 2026
        (datetime(2026, 11, 23, 10, 0), AnswerTime("by", date(2026, 11, 23), time(16, 0))),
        (datetime(2026, 11, 23, 7, 59), AnswerTime("after", date(2026, 11, 23), time(8, 0))),
        (datetime(2026, 11, 23, 16, 0), AnswerTime("after", date(2026, 11, 24), time(8, 0))),
        # Friday evening and the weekend: Monday morning
        (datetime(2026, 11, 27, 17, 30), AnswerTime("after", date(2026, 11, 30), time(8, 0))),
        (datetime(2026, 11, 29, 12, 0), AnswerTime("after", date(2026, 11, 30), time(8, 0))),
    ],
)
def test_next_answer_on_weekdays(local: datetime, expected: AnswerTime) -> None:
    assert next_answer(WEEKDAYS, local) == expected


def test_groups_in_any_language_and_a_saturday() -> None:
    hours = parse_support_hours("ma-pe 8-16; la 10-14")
    saturday_9 = datetime(2026, 11, 28, 9, 0)
    assert next_answer(hours, saturday_9) == AnswerTime("after", date(2026, 11, 28), time(10))
    assert next_answer(hours, saturday_9.replace(hour=12)) == AnswerTime(
        "by", date(2026, 11, 28), time(14)
    )


@pytest.mark.parametrize("bad", ["", "mon-fri", "someday 08:00-16:00", "mon-fri 16:00-08:00"])
def test_bad_support_hours_are_refused(bad: str) -> None:
    with pytest.raises(SupportHoursError):
        parse_support_hours(bad)
