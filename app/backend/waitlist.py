"""The waitlist of full bookable zones: drivers in line for a space, offers when one frees.

A driver joins the line for one window of a zone (``JONOON``/``KÖA``/``WAITLIST``). When a
space frees (a cancellation, a lapsed hold, a move), the clock offers it to the first in
line whose window fits: a booking made and held for the zone's ``hold_minutes`` with no
payment asked yet (:func:`offer_space`). The driver takes it with one word
(:func:`take_offer`): the booking then asks its payment as any booking does, with a fresh
hold. An offer not taken in time lapses and the space goes to the next in line
(:func:`pass_on`).

Offers are made under the zone's capacity lock (:mod:`app.backend.booking_space`), so an
offer never overbooks, and a space held for an offer is not sold to anyone else meanwhile.
Adds and flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backend import booking_space, bookings, ledger
from app.backend.orders import lock_order
from app.domain.booking_policy import Interval, booking_price, hold_expires_at
from app.domain.booking_text import new_booking_ref
from app.domain.plates import display_plate, normalize_plate
from app.kernel import Kanava
from app.models import (
    Channel,
    Customer,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    WaitlistEntry,
    WaitlistStatus,
    Zone,
)


@dataclass
class Joined:
    entry: WaitlistEntry
    # 1 for the first in line for an overlapping window of the zone.
    position: int
    already: bool = False


@dataclass
class Taken:
    entry: WaitlistEntry
    order: Order
    # The pending payment whose link the driver pays; None when booked already.
    payment: Payment | None


def position(session: Session, entry: WaitlistEntry) -> int:
    """The entry's place in line: 1 + the waiting entries of its zone, for an overlapping
    window, that joined before it."""
    ahead = session.scalar(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.zone_id == entry.zone_id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.starts_at < entry.ends_at,
            WaitlistEntry.ends_at > entry.starts_at,
            WaitlistEntry.id < entry.id,
        )
    )
    return int(ahead or 0) + 1


def join(
    session: Session,
    *,
    customer: Customer,
    zone: Zone,
    window: Interval,
    plate: str,
    language: str,
    now: datetime,
) -> Joined:
    """Put ``customer`` in line for one space of ``zone`` for ``window`` (once: joining
    again for the same window and plate finds the place already held). Raises
    ``OrderError("not_bookable")``."""
    bookings.policy_for(zone)
    key = normalize_plate(plate)
    same = session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.customer_id == customer.id,
            WaitlistEntry.zone_id == zone.id,
            WaitlistEntry.plate_key == key,
            WaitlistEntry.starts_at == window.start,
            WaitlistEntry.ends_at == window.end,
            WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
        )
    )
    if same is not None:
        return Joined(same, position(session, same), already=True)
    entry = WaitlistEntry(
        customer=customer,
        zone=zone,
        plate_key=key,
        plate_display=display_plate(plate),
        starts_at=window.start,
        ends_at=window.end,
        language=language,
        status=WaitlistStatus.WAITING,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    return Joined(entry, position(session, entry))


def _new_ref(session: Session) -> str:
    while True:
        ref = new_booking_ref()
        if session.scalar(select(Order.id).where(Order.booking_ref == ref)) is None:
            return ref


def offer_space(session: Session, kanava: Kanava, entry: WaitlistEntry, now: datetime) -> bool:
    """Offer ``entry`` a space if one is free for its whole window: a booking held for the
    zone's ``hold_minutes``, no payment asked yet. Takes the zone's capacity lock. False
    (nothing written) when no space is free or the zone is no longer bookable."""
    zone = entry.zone
    policy = bookings.policy_for(zone) if zone.bookable else None
    if policy is None or entry.status is not WaitlistStatus.WAITING:
        return False
    window = Interval(entry.starts_at, entry.ends_at)
    if not booking_space.has_room(session, zone.id, policy.capacity, window, now):
        return False
    hold = hold_expires_at(policy, now)
    order = Order(
        kind=OrderKind.BOOKING,
        status=OrderStatus.AWAITING_PAYMENT,
        channel=Channel.SMS,
        customer=entry.customer,
        zone=zone,
        plate_key=entry.plate_key,
        plate_display=entry.plate_display,
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        open_ended=False,
        hold_expires_at=hold,
        amount_cents=booking_price(policy, window, kanava.settings.tz),
        currency=kanava.settings.currency,
        language=entry.language,
        booking_ref=_new_ref(session),
        manage_token=ledger.new_token(),
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    entry.status = WaitlistStatus.OFFERED
    entry.order = order
    entry.offer_expires_at = hold
    entry.updated_at = now
    booking_space.record(
        session,
        order,
        now,
        "waitlist_offered",
        "offered from the waitlist",
        amount_cents=order.amount_cents,
        currency=order.currency,
        hold_expires_at=hold.isoformat(),
    )
    return True


def open_offer(session: Session, customer: Customer, now: datetime) -> WaitlistEntry | None:
    """The customer's newest offer still open at ``now``, its row locked."""
    return session.scalar(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.customer_id == customer.id,
            WaitlistEntry.status == WaitlistStatus.OFFERED,
            WaitlistEntry.offer_expires_at > now,
        )
        .order_by(WaitlistEntry.id.desc())
        .limit(1)
        .with_for_update()
    )


def take_offer(
    session: Session, kanava: Kanava, entry: WaitlistEntry, now: datetime
) -> Taken | None:
    """The driver takes the offered space: the held booking asks its payment as any
    booking does (a link, a saved card, or booked at once when free) and holds its space
    a fresh ``hold_minutes`` for it. None when the offer is no longer open."""
    order = entry.order
    if entry.status is not WaitlistStatus.OFFERED or order is None:
        return None
    order = lock_order(session, order)
    hold = order.hold_expires_at
    if order.status is not OrderStatus.AWAITING_PAYMENT or hold is None or hold <= now:
        return None
    policy = bookings.policy_for(order.zone)
    order.hold_expires_at = hold_expires_at(policy, now)
    order.updated_at = now
    entry.status = WaitlistStatus.TAKEN
    entry.updated_at = now
    booking_space.record(session, order, now, "waitlist_taken", "offer taken", channel=Channel.SMS)
    return Taken(entry, order, bookings._ask_payment(session, kanava, order, now))


def pass_on(session: Session, kanava: Kanava, entry: WaitlistEntry, now: datetime) -> bool:
    """An offer not taken in time lapses: its held booking expires (the space is free for
    the next in line) and the entry is ``passed``. False when it was taken meanwhile."""
    if entry.status is not WaitlistStatus.OFFERED:
        return False
    order = entry.order
    if order is not None:
        order = lock_order(session, order)
        if order.status is OrderStatus.AWAITING_PAYMENT:
            bookings.lapse_hold(session, kanava, order, now=now)
    entry.status = WaitlistStatus.PASSED
    entry.updated_at = now
    return True


def expire(entry: WaitlistEntry, now: datetime) -> None:
    """The entry's window began with no space freed (or it cannot be offered)."""
    entry.status = WaitlistStatus.EXPIRED
    entry.updated_at = now
