"""The correction window (issue 12, point 2 of "What to build"): a parking's plate or zone
typed wrong is moved to the right one within ``CORRECTION_MINUTES`` of its start, with no
second parking and no second charge.

The price difference is settled on the same order: more is asked like an extension's
payment (the pending payment grows, a saved card is charged, or a new payment is
opened); less lowers the pending payment or is refunded from what was paid. An open-ended
parking is priced at its stop in whatever zone it is then, so only its pending hold is
re-sized. The timeline records the order event ``corrected`` with the plate and zone
before and after. Adds and flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.backend import billing, customers, ledger, refunds, timeline
from app.backend.orders import OrderError, lock_order
from app.backend.zones import tariff_of
from app.domain.plates import display_plate, normalize_plate
from app.domain.pricing import capped_end, price
from app.kernel import Kanava
from app.models import LIVE_STATUSES, Channel, EventKind, Order, OrderKind, Payment, Zone


@dataclass
class Corrected:
    order: Order
    from_plate: str
    from_zone: str
    difference_cents: int  # more asked (> 0) or given back (< 0)
    refunded_cents: int
    payment: Payment | None  # the payment that asks for the difference, when one does


@dataclass(frozen=True)
class CorrectionQuote:
    """What correcting ``order`` to ``plate`` and ``zone`` would do: its end there, its
    price there, and the difference from what it costs now (for an open-ended parking,
    priced at its stop, 0)."""

    order: Order
    plate: str
    zone: Zone
    ends_at: datetime | None
    amount_cents: int
    difference_cents: int


def quote(order: Order, plate: str | None, zone: Zone | None, kanava: Kanava) -> CorrectionQuote:
    new_zone = zone if zone is not None else order.zone
    new_plate = display_plate(plate) if plate else order.plate_display
    if new_zone.id == order.zone_id:
        return CorrectionQuote(order, new_plate, new_zone, order.ends_at, order.amount_cents, 0)
    tariff = tariff_of(new_zone)
    if order.open_ended:
        end = capped_end(tariff, order.starts_at, None)
        return CorrectionQuote(order, new_plate, new_zone, end, order.amount_cents, 0)
    end = capped_end(tariff, order.starts_at, order.ends_at)
    assert end is not None
    total = price(tariff, order.starts_at, end, kanava.settings.tz)
    return CorrectionQuote(order, new_plate, new_zone, end, total, total - order.amount_cents)


def window(kanava: Kanava) -> timedelta:
    return timedelta(minutes=kanava.settings.correction_minutes)


def can_correct(order: Order, kanava: Kanava, now: datetime) -> bool:
    """Whether ``order`` is a live parking still inside its correction window."""
    return (
        order.kind is OrderKind.PARKING
        and order.status in LIVE_STATUSES
        and (order.ends_at is None or order.ends_at > now)
        and now - order.starts_at <= window(kanava)
    )


def correction_deadline(order: Order, kanava: Kanava) -> datetime:
    return order.starts_at + window(kanava)


def correct_parking(
    session: Session,
    kanava: Kanava,
    order: Order,
    *,
    plate: str | None = None,
    zone: Zone | None = None,
    now: datetime,
    channel: Channel,
    actor: str | None = None,
    note: str = "",
) -> Corrected:
    """Move ``order`` to ``plate`` and/or ``zone`` (the order's row locked first).

    Raises :class:`OrderError` ``too_late`` (past the window, or not live), ``unchanged``
    (neither differs from what the order has).
    """
    order = lock_order(session, order)
    if not can_correct(order, kanava, now):
        raise OrderError("too_late", order_id=order.id)
    new_key = normalize_plate(plate) if plate else order.plate_key
    new_zone = zone if zone is not None else order.zone
    if new_key == order.plate_key and new_zone.id == order.zone_id:
        raise OrderError("unchanged", order_id=order.id)
    from_plate, from_zone = order.plate_display, order.zone.code
    if plate and new_key != order.plate_key:
        order.plate_key = new_key
        order.plate_display = display_plate(plate)
        if order.customer is not None:
            order.vehicle_id = customers.remember_vehicle(session, order.customer, plate, now).id
    difference, refunded, payment = 0, 0, ledger.open_payment_of(order)
    if new_zone.id != order.zone_id:
        priced = quote(order, None, new_zone, kanava)
        order.zone = new_zone
        difference, refunded, payment = _reprice(session, kanava, order, priced, now)
        if ledger.open_payment_of(order) is None and not ledger.held_payment_of(order):
            ledger.activate(order, now)  # nothing left to pay in the new zone
    order.updated_at = now
    timeline.record(
        session,
        at=now,
        channel=channel,
        kind=EventKind.ORDER,
        customer=order.customer,
        order=order,
        actor=actor,
        body=(
            f"parking corrected: {from_plate} in {from_zone}"
            f" -> {order.plate_display} in {order.zone.code}"
        ),
        data={
            "action": "corrected",
            "from_plate": from_plate,
            "to_plate": order.plate_display,
            "from_zone": from_zone,
            "to_zone": order.zone.code,
            "plate": order.plate_display,
            "zone": order.zone.code,
            "ends_at": order.ends_at.isoformat() if order.ends_at else None,
            "difference_cents": difference,
            "refunded_cents": refunded,
            "currency": order.currency,
            **({"note": note} if note else {}),
        },
    )
    return Corrected(order, from_plate, from_zone, difference, refunded, payment)


def _reprice(
    session: Session, kanava: Kanava, order: Order, priced: CorrectionQuote, now: datetime
) -> tuple[int, int, Payment | None]:
    """The order's end and price in its new zone; the difference settled on it."""
    pending = ledger.open_payment_of(order)
    if order.open_ended:
        order.ends_at = priced.ends_at
        if pending is not None:
            billing.change_amount(
                session, kanava, pending, ledger.amount_to_collect(order, kanava), now=now
            )
        return 0, 0, pending
    order.ends_at = priced.ends_at
    order.reminder_sent_at = None
    new_total, difference = priced.amount_cents, priced.difference_cents
    order.amount_cents = new_total
    if difference > 0:
        return difference, 0, billing.charge_extension(session, kanava, order, difference, now=now)
    if difference == 0:
        return 0, 0, pending
    if pending is not None:
        left = pending.amount_cents + difference
        if left > 0:
            billing.change_amount(session, kanava, pending, left, now=now)
            return difference, 0, pending
        billing.cancel_pending(session, kanava, pending, now=now)
    refunded = refunds.refund_unused(session, kanava, order, new_total, now=now)
    return difference, refunded, None
