"""When a person answers: ``SUPPORT_HOURS`` read, and the next answer time worked out.

Pure functions on local (wall-clock) times; the caller converts to ``APP_TIMEZONE``.
``SUPPORT_HOURS`` is one or more groups separated by ``;``, each days then hours in the
zones file's own words: ``"mon-fri 08:00-16:00"``, ``"ma-pe 8-16; la 10-14"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.domain.pricing import END_OF_DAY, PaidHours, TariffError, parse_paid_hours

DEFAULT_SUPPORT_HOURS = "mon-fri 08:00-16:00"


class SupportHoursError(ValueError):
    """``SUPPORT_HOURS`` does not parse; the message says where."""


def parse_support_hours(spec: str) -> PaidHours:
    """Weekday (0 = Monday) -> staffed windows. Raises :class:`SupportHoursError`."""
    groups: dict[str, str] = {}
    for group in spec.split(";"):
        group = group.strip()
        if not group:
            continue
        days, _, hours = group.rpartition(" ")
        if not days.strip() or not hours:
            raise SupportHoursError(f"SUPPORT_HOURS: {group!r} is not 'days HH:MM-HH:MM'")
        groups[days.strip()] = hours
    if not groups:
        raise SupportHoursError("SUPPORT_HOURS is empty")
    try:
        return parse_paid_hours(groups)
    except TariffError as exc:
        raise SupportHoursError(f"SUPPORT_HOURS: {exc}") from exc


@dataclass(frozen=True)
class AnswerTime:
    """When to expect a person: within a staffed window ``by`` its end, else ``after`` the
    next window's start. ``day`` is the local date, ``at`` the local clock time."""

    kind: str  # "by" or "after"
    day: date
    at: time

    def days_ahead(self, today: date) -> int:
        return (self.day - today).days


def next_answer(hours: PaidHours, local_now: datetime) -> AnswerTime | None:
    """The answer time seen from ``local_now`` (naive or aware local time).

    Inside a staffed window: "by" its end today. Otherwise: "after" the start of the next
    window, today or within a week. None when no day is staffed.
    """
    today, now_time = local_now.date(), local_now.time().replace(tzinfo=None)
    for start, end in hours.get(today.weekday(), ()):
        if start <= now_time < end or (end == END_OF_DAY and now_time >= start):
            return AnswerTime("by", today, end)
    for offset in range(8):
        day = today + timedelta(days=offset)
        for start, _ in sorted(hours.get(day.weekday(), ())):
            if offset > 0 or start > now_time:
                return AnswerTime("after", day, start)
    return None
