"""The spaces of a bookable zone: which bookings hold them, the lock that keeps them from
being sold twice, and what a payment does to a booking.

Capacity rule: at no instant do a zone's *live* bookings (``booked``, or
``awaiting_payment`` with an unexpired hold) exceed its ``capacity``. Every write that adds
or moves a live booking first takes the zone's capacity lock, then counts, then writes, in
one transaction (pretix's quota lock, taken late: ``doc/development/implementation/
locking.rst``). On PostgreSQL the lock is ``pg_advisory_xact_lock`` on the zone, released
at commit or rollback; after it, every statement of a READ COMMITTED transaction sees what
the previous holder committed. On SQLite every write transaction is ``BEGIN IMMEDIATE``
(:mod:`app.extensions`), so writers are serialised already.

Adds and flushes, never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.backend import refunds, timeline
from app.backend.zones import booking_policy_of
from app.domain.booking_capacity import Occupied, fits
from app.domain.booking_policy import Interval
from app.kernel import Kanava
from app.models import Channel, EventKind, Order, OrderKind, OrderStatus, Payment

# First key of the advisory lock (a namespace: "KB", Kanava bookings); the second is the
# zone's id.
CAPACITY_LOCK_NAMESPACE = 0x4B42


def lock_capacity(session: Session, zone_id: int) -> None:
    """Take the zone's capacity lock until the transaction ends (see the module docstring).

    Call it as late as possible: just before counting the live bookings and writing.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CAPACITY_LOCK_NAMESPACE, zone_id)))


def is_live(now: datetime) -> ColumnElement[bool]:
    """The SQL condition of a live booking at ``now``: booked, or held and unexpired."""
    return or_(
        Order.status == OrderStatus.BOOKED,
        and_(Order.status == OrderStatus.AWAITING_PAYMENT, Order.hold_expires_at > now),
    )


def live_bookings(
    session: Session,
    zone_id: int,
    low: datetime,
    high: datetime,
    now: datetime,
    *,
    excluding: int | None = None,
) -> list[Order]:
    """The zone's live bookings that overlap ``[low, high)``, read fresh from the database."""
    query = (
        select(Order)
        .where(
            Order.zone_id == zone_id,
            Order.kind == OrderKind.BOOKING,
            Order.starts_at < high,
            Order.ends_at > low,
            is_live(now),
        )
        .execution_options(populate_existing=True)
    )
    if excluding is not None:
        query = query.where(Order.id != excluding)
    return list(session.scalars(query))


def occupied(bookings: list[Order]) -> list[Occupied]:
    return [Occupied(Interval(b.starts_at, b.ends_at)) for b in bookings if b.ends_at is not None]


def has_room(
    session: Session,
    zone_id: int,
    capacity: int,
    window: Interval,
    now: datetime,
    *,
    excluding: int | None = None,
) -> bool:
    """Take the zone's capacity lock, then say whether one more booking fits ``window``.
    The caller writes the booking in the same transaction, under the lock."""
    lock_capacity(session, zone_id)
    taken = live_bookings(session, zone_id, window.start, window.end, now, excluding=excluding)
    return fits(capacity, occupied(taken), window)


def record(
    session: Session,
    order: Order,
    now: datetime,
    action: str,
    body: str,
    *,
    channel: Channel = Channel.SYSTEM,
    actor: str | None = None,
    **data: object,
) -> None:
    """A booking's event in the timeline, with its reference, plate, zone and window."""
    timeline.record(
        session,
        at=now,
        channel=channel,
        kind=EventKind.ORDER,
        customer=order.customer,
        order=order,
        actor=actor,
        body=f"booking {order.booking_ref} {body}: {order.plate_display} in {order.zone.code}",
        data={
            "action": action,
            "ref": order.booking_ref,
            "plate": order.plate_display,
            "zone": order.zone.code,
            "starts_at": order.starts_at.isoformat(),
            "ends_at": order.ends_at.isoformat() if order.ends_at else None,
            **data,
        },
    )


def mark_booked(session: Session, order: Order, now: datetime, *, how: str = "") -> None:
    """The booking is paid (or free): it holds its space until it ends."""
    order.status = OrderStatus.BOOKED
    order.hold_expires_at = None
    order.payment_due_at = None
    order.updated_at = now
    record(session, order, now, "booked", "booked" + (f" ({how})" if how else ""))


def confirm_paid(
    session: Session, kanava: Kanava, order: Order, payment: Payment, *, now: datetime
) -> bool:
    """A payment for ``order`` (a booking) was made now: is it booked? (True.)

    Paid within its hold: booked. Paid after its hold lapsed (the clock may have swept it to
    ``expired`` or not yet): capacity is checked again under the zone's lock; booked if a
    space is still free for the whole window (which has not ended), otherwise the payment
    is refunded in full and the booking is ``expired`` (False: the caller tells the driver,
    with alternatives). A booking already booked (a move's price difference paid) stays so.
    """
    if order.status is OrderStatus.BOOKED:
        return True
    hold = order.hold_expires_at
    if order.status is OrderStatus.AWAITING_PAYMENT and hold is not None and hold > now:
        mark_booked(session, order, now)
        return True
    assert order.ends_at is not None
    policy = booking_policy_of(order.zone)
    window = Interval(order.starts_at, order.ends_at)
    if (
        order.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED)
        and policy is not None
        and order.ends_at > now
        and has_room(session, order.zone_id, policy.capacity, window, now, excluding=order.id)
    ):
        mark_booked(session, order, now, how="paid after its hold lapsed; a space was free")
        return True
    left = payment.captured_cents - payment.refunded_cents
    if left > 0:
        refunds.refund(
            session, kanava, payment, left, now=now, reason="booking full after its hold lapsed"
        )
    order.status = OrderStatus.EXPIRED
    order.payment_due_at = None
    order.updated_at = now
    record(session, order, now, "lost_after_hold", "paid after its hold lapsed, full: refunded")
    return False
