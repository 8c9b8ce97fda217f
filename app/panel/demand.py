"""Failure-demand figures: the classified contacts of a range of days, counted.

Read side only. Contacts are the timeline events that carry a ``demand`` (inbound SMS, the
start of a call, web form submissions; see :mod:`app.backend.contacts`), read with one
indexed query (``ix_events_demand_created``) and counted here by local day, channel, zone,
sign and reason. Days are ``APP_TIMEZONE`` days, both ends included.

Definitions (the README's "Failure demand"):

- failure share: failure contacts / contacts;
- contacts per completed order: contacts / parkings that ended (stopped or expired) in the
  range; a breakdown row counts its own contacts and orders (channel: the order's channel;
  sign: the sign of the order's first contact that came with one, as its contacts inherit);
- first-contact resolution: the share of contacts that were value demand and were not
  followed by a failure contact of the same customer within 30 minutes (a web contact
  without a phone number has no customer and counts by its own demand);
- top not understood: the SMS texts most often not understood, phone numbers masked.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.demand import Demand, DemandReason
from app.kernel import Kanava
from app.models import Channel, Event, Order, OrderKind, OrderStatus, Zone

CHANNELS = (Channel.SMS.value, Channel.VOICE.value, Channel.WEB.value)
REASONS = tuple(r.value for r in DemandReason)
FOLLOW_UP = timedelta(minutes=30)
TOP_SHOWN = 10
MAX_DAYS = 366
# A number as people write one: international (+358...) or national (040...), 8+ digits.
_PHONE = re.compile(r"(?:\+|\b0)\d[\d \-]{5,}\d")


class RangeError(ValueError):
    """The days asked are not a range: not YYYY-MM-DD, the first after the last, or longer
    than :data:`MAX_DAYS`."""


@dataclass
class Tally:
    """Contacts and failure contacts of one group, with the orders completed in it."""

    contacts: int = 0
    failure: int = 0
    completed_orders: int = 0

    @property
    def value(self) -> int:
        return self.contacts - self.failure

    @property
    def failure_share(self) -> float | None:
        return self.failure / self.contacts if self.contacts else None

    @property
    def per_completed_order(self) -> float | None:
        return self.contacts / self.completed_orders if self.completed_orders else None

    def add(self, failure: bool) -> None:
        self.contacts += 1
        self.failure += int(failure)


@dataclass
class Figures:
    first_day: date
    last_day: date
    total: Tally
    by_reason: dict[str, int]
    by_channel: dict[str, Tally]
    by_zone: dict[str, Tally]
    by_sign: dict[str, Tally]
    by_day: dict[date, Tally]
    by_day_reason: dict[date, Counter[str]]
    first_contact_resolved: int
    top_not_understood: list[tuple[str, int]] = field(default_factory=list)

    @property
    def first_contact_resolution(self) -> float | None:
        contacts = self.total.contacts
        return self.first_contact_resolved / contacts if contacts else None


def parse_range(first: str | None, last: str | None) -> tuple[date, date]:
    """The days of ``from`` and ``to`` (``YYYY-MM-DD``). Raises :class:`RangeError`."""
    try:
        start, end = date.fromisoformat(first or ""), date.fromisoformat(last or "")
    except ValueError as exc:
        raise RangeError("bad_dates") from exc
    if end < start or (end - start).days >= MAX_DAYS:
        raise RangeError("bad_dates")
    if start <= date.min or end >= date.max:
        # A day's bounds are its local midnight and the next one, in UTC: at the calendar's
        # ends one of them does not exist (OverflowError, found by make fuzz).
        raise RangeError("bad_dates")
    return start, end


def _local_midnight(day: date, kanava: Kanava) -> datetime:
    return datetime.combine(day, time(0), tzinfo=kanava.settings.tz).astimezone(UTC)


def mask_phones(text: str) -> str:
    """Phone numbers in a driver's text as ``***67``: never shown to whoever reads figures."""
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-2:], text)


def figures(session: Session, kanava: Kanava, first_day: date, last_day: date) -> Figures:
    """The figures of the days ``first_day`` to ``last_day`` (local, both included)."""
    start = _local_midnight(first_day, kanava)
    end = _local_midnight(last_day + timedelta(days=1), kanava)
    rows = session.execute(
        select(
            Event.created_at,
            Event.channel,
            Event.demand,
            Event.demand_reason,
            Event.zone_code,
            Event.sign_code,
            Event.customer_id,
            Event.body,
        )
        .where(Event.demand.is_not(None), Event.created_at >= start, Event.created_at < end)
        .order_by(Event.created_at, Event.id)
    ).all()
    tz = kanava.settings.tz
    result = Figures(
        first_day,
        last_day,
        Tally(),
        dict.fromkeys(REASONS, 0),
        {c: Tally() for c in CHANNELS},
        {},
        {},
        {first_day + timedelta(days=n): Tally() for n in range((last_day - first_day).days + 1)},
        defaultdict(Counter),
        0,
    )
    not_understood: Counter[str] = Counter()
    for at, channel, demand, reason, zone, sign, _customer, body in rows:
        failed = demand is Demand.FAILURE
        day = at.astimezone(tz).date()
        result.total.add(failed)
        result.by_channel.setdefault(channel.value, Tally()).add(failed)
        result.by_day.setdefault(day, Tally()).add(failed)
        if zone:
            result.by_zone.setdefault(zone, Tally()).add(failed)
        if sign:
            result.by_sign.setdefault(sign, Tally()).add(failed)
        if failed and reason is not None:
            result.by_reason[reason.value] += 1
            result.by_day_reason[day][reason.value] += 1
        if reason is DemandReason.NOT_UNDERSTOOD and channel is Channel.SMS and body.strip():
            not_understood[" ".join(mask_phones(body).lower().split())[:160]] += 1
    result.first_contact_resolved = _first_contact_resolved(list(rows))
    result.top_not_understood = not_understood.most_common(TOP_SHOWN)
    _count_completed_orders(session, result, start, end)
    return result


def _first_contact_resolved(rows: list[Any]) -> int:
    """Value contacts not followed by a failure contact of the same customer within
    :data:`FOLLOW_UP` (``rows`` in time order)."""
    failures: dict[int, list[datetime]] = defaultdict(list)
    for at, _c, demand, _r, _z, _s, customer, _b in rows:
        if customer is not None and demand is Demand.FAILURE:
            failures[customer].append(at)
    resolved = 0
    for at, _c, demand, _r, _z, _s, customer, _b in rows:
        if demand is not Demand.VALUE:
            continue
        later = failures.get(customer, []) if customer is not None else []
        if not any(at < then <= at + FOLLOW_UP for then in later):
            resolved += 1
    return resolved


def _count_completed_orders(
    session: Session, result: Figures, start: datetime, end: datetime
) -> None:
    """Parkings stopped or expired in the range, overall, by channel, zone and sign."""
    ended = func.coalesce(Order.ended_at, Order.ends_at)
    sign = (
        select(Event.sign_code)
        .where(Event.order_id == Order.id, Event.sign_code.is_not(None))
        .order_by(Event.created_at, Event.id)
        .limit(1)
        .correlate(Order)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Order.channel, Zone.code, sign)
        .join(Zone, Order.zone_id == Zone.id)
        .where(
            Order.kind == OrderKind.PARKING,
            Order.status.in_((OrderStatus.ENDED, OrderStatus.EXPIRED)),
            ended >= start,
            ended < end,
        )
    ).all()
    for channel, zone, sign_code in rows:
        result.total.completed_orders += 1
        result.by_channel.setdefault(channel.value, Tally()).completed_orders += 1
        if zone in result.by_zone:
            result.by_zone[zone].completed_orders += 1
        if sign_code in result.by_sign:
            result.by_sign[sign_code].completed_orders += 1


def as_json(found: Figures) -> dict[str, Any]:
    """The contract's shape (``GET /api/v1/stats/demand``) and a few figures more."""

    def tally(t: Tally) -> dict[str, Any]:
        return {"contacts": t.contacts, "failure": t.failure}

    def with_orders(t: Tally) -> dict[str, Any]:
        return tally(t) | {
            "completed_orders": t.completed_orders,
            "contacts_per_completed_order": _rounded(t.per_completed_order),
        }

    return {
        "from": found.first_day.isoformat(),
        "to": found.last_day.isoformat(),
        "contacts": found.total.contacts,
        "value": found.total.value,
        "failure": found.total.failure,
        "by_reason": found.by_reason,
        "by_channel": {c: tally(t) for c, t in found.by_channel.items() if c in CHANNELS},
        "by_zone": {z: tally(t) for z, t in sorted(found.by_zone.items())},
        "by_sign": {s: with_orders(t) for s, t in sorted(found.by_sign.items())},
        "by_day": {d.isoformat(): tally(t) for d, t in sorted(found.by_day.items())},
        "completed_orders": found.total.completed_orders,
        "contacts_per_completed_order": _rounded(found.total.per_completed_order),
        "first_contact_resolution": _rounded(found.first_contact_resolution),
    }


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def as_csv(found: Figures) -> str:
    """One row per day, then per channel, zone and sign: contacts, value, failure, the
    failure share and each reason (per day)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "key", "contacts", "value", "failure", "failure_share", *REASONS])
    for day, t in sorted(found.by_day.items()):
        reasons = found.by_day_reason.get(day, Counter())
        writer.writerow(["day", day.isoformat(), *_cells(t), *(reasons[r] for r in REASONS)])
    for group, table in (
        ("channel", found.by_channel),
        ("zone", found.by_zone),
        ("sign", found.by_sign),
    ):
        for key, t in sorted(table.items()):
            writer.writerow([group, _safe(key), *_cells(t), *([""] * len(REASONS))])
    writer.writerow(["total", "", *_cells(found.total), *(found.by_reason[r] for r in REASONS)])
    return out.getvalue()


def _cells(t: Tally) -> list[object]:
    share = t.failure_share
    return [t.contacts, t.value, t.failure, f"{share:.4f}" if share is not None else ""]


def _safe(cell: str) -> str:
    # A spreadsheet must never run a cell as a formula (codes are operators' free text).
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell
