"""The booking backend: every channel books, cancels, moves and finds bookings here.

A booking is an :class:`~app.models.Order` of kind ``booking`` on a bookable zone, for a
window ``[starts_at, ends_at)``, with a short reference (``booking_ref``). Its life:

* ``awaiting_payment``: made, not paid; it holds its space until ``hold_expires_at``
  (the zone's ``hold_minutes``), then lapses (:func:`lapse_hold`, run by the clock);
* ``booked``: paid (or free); the plate may park in the zone during the window;
* ``ended`` after its window; ``cancelled`` by the driver or staff; ``expired`` when its
  hold lapsed unpaid (or it was paid after that with no space left: refunded).

Capacity is kept by :mod:`app.backend.booking_space` (a lock per zone, taken late).
Payments are the parking's: a pending payment with a link, a saved card from the driver's
own phone, refunds through :mod:`app.backend.refunds`. Adds and flushes, never commits;
raises :class:`~app.backend.orders.OrderError` with the codes named per function.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend import billing, booking_space, ledger, provider_payments, refunds, zones
from app.backend.orders import OrderError, cancel_order, lock_order
from app.backend.saved_cards import charge_saved_card
from app.domain.booking_capacity import (
    Alternatives,
    SlotAvailability,
    ZoneCandidate,
    alternatives,
    day_availability,
    fits,
)
from app.domain.booking_capacity import Occupancy as _Occupancy
from app.domain.booking_policy import (
    BookingPolicy,
    CancellationTerms,
    Interval,
    booking_price,
    check_window,
    first_instant,
    hold_expires_at,
    refund_cents,
)
from app.domain.booking_text import new_booking_ref, normalize_booking_ref
from app.domain.plates import display_plate, normalize_plate
from app.kernel import Kanava
from app.models import (
    Channel,
    Customer,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    Vehicle,
    Zone,
)

# How many days after the wanted one a "full" answer looks for free windows.
ALTERNATIVE_DAYS = 3


@dataclass
class BookingMade:
    order: Order
    # The pending payment whose link the driver pays; None when booked already (free, or
    # paid by a saved card).
    payment: Payment | None
    # The customer's own live booking of this plate here that overlaps the window, returned
    # instead of a second one (a resent message, a slow reply).
    already: bool = False


@dataclass
class BookingCancelled:
    order: Order
    refunded_cents: int
    paid_cents: int


@dataclass
class BookingMoved:
    order: Order
    old_window: Interval
    # The price difference: asked through ``payment`` when positive, refunded when negative.
    difference_cents: int
    payment: Payment | None
    refunded_cents: int


@dataclass
class HoldLapsed:
    order: Order


@dataclass
class HoldPaidLate:
    """The hold's checkout was paid, its event late: applied instead of lapsing."""

    payment: Payment
    applied: provider_payments.Applied


# ---- reading -------------------------------------------------------------------------


def policy_for(zone: Zone | None, code: str = "") -> BookingPolicy:
    """The zone's booking rules. Raises ``OrderError("not_bookable", zone=code)``."""
    policy = zones.booking_policy_of(zone) if zone is not None else None
    if policy is None:
        raise OrderError("not_bookable", zone=zone.code if zone is not None else code.upper())
    return policy


def zone_or_refuse(zone: Zone | None, code: str) -> Zone:
    """``zone``, or ``OrderError("not_bookable", zone=code)`` when there is none."""
    if zone is None:
        raise OrderError("not_bookable", zone=code.upper())
    return zone


def terms_of(zone: Zone) -> CancellationTerms:
    """The zone's cancellation terms (its defaults for a zone no longer bookable)."""
    policy = zones.booking_policy_of(zone)
    return policy.cancellation if policy is not None else CancellationTerms()


def window_of(order: Order) -> Interval:
    assert order.ends_at is not None
    return Interval(order.starts_at, order.ends_at)


def find_by_ref(session: Session, text: str) -> Order | None:
    """The booking whose reference ``text`` is (any case, spaces and dashes ignored)."""
    ref = normalize_booking_ref(text)
    if ref is None:
        return None
    return session.scalar(
        select(Order).where(Order.booking_ref == ref, Order.kind == OrderKind.BOOKING)
    )


def is_upcoming(order: Order, now: datetime) -> bool:
    """Whether the booking still holds its space at ``now`` and has not ended."""
    if order.kind is not OrderKind.BOOKING or order.ends_at is None or order.ends_at <= now:
        return False
    if order.status is OrderStatus.BOOKED:
        return True
    hold = order.hold_expires_at
    return order.status is OrderStatus.AWAITING_PAYMENT and hold is not None and hold > now


def upcoming_bookings(session: Session, customer: Customer, now: datetime) -> list[Order]:
    """The customer's bookings that hold a space and have not ended, soonest first."""
    found = session.scalars(
        select(Order)
        .where(
            Order.customer_id == customer.id,
            Order.kind == OrderKind.BOOKING,
            Order.ends_at > now,
            booking_space.is_live(now),
        )
        .order_by(Order.starts_at, Order.id)
    )
    return list(found)


def _day_bounds(kanava: Kanava, day: date) -> tuple[datetime, datetime]:
    tz = kanava.settings.tz
    return first_instant(day, datetime.min.time(), tz), first_instant(
        day + timedelta(days=1), datetime.min.time(), tz
    )


def occupancy(
    session: Session, zone: Zone, low: datetime, high: datetime, now: datetime
) -> _Occupancy:
    """The zone's live bookings over ``[low, high)``, for the capacity arithmetic."""
    taken = booking_space.live_bookings(session, zone.id, low, high, now)
    return _Occupancy(booking_space.occupied(taken))


def availability(
    session: Session, kanava: Kanava, zone: Zone, day: date, now: datetime
) -> tuple[SlotAvailability, ...]:
    """The slot grid of ``day`` (local) in ``zone`` with free counts and, at ``now``,
    whether each slot can be booked. Raises ``OrderError("not_bookable")``."""
    policy = policy_for(zone)
    low, high = _day_bounds(kanava, day)
    # A slot may end after midnight (the autumn night): look a little beyond the day.
    taken = occupancy(session, zone, low, high + timedelta(hours=2), now)
    return day_availability(policy, day, kanava.settings.tz, taken, now=now)


def alternatives_for(
    session: Session, kanava: Kanava, zone: Zone, window: Interval, now: datetime
) -> Alternatives:
    """The nearest free windows instead of ``window`` in ``zone`` (same day earlier or
    later, the next days) and the same window in other bookable zones."""
    policy = policy_for(zone)
    tz = kanava.settings.tz
    low = window.start - timedelta(days=1)
    high = window.end + timedelta(days=ALTERNATIVE_DAYS + 1)
    others = [
        ZoneCandidate(
            other.code,
            other_policy,
            occupancy(session, other, window.start, window.end, now),
        )
        for other in zones.bookable_zones(session)
        if other.id != zone.id and (other_policy := zones.booking_policy_of(other)) is not None
    ]
    return alternatives(
        policy,
        window,
        occupancy(session, zone, low, high, now),
        now=now,
        tz=tz,
        days_after=ALTERNATIVE_DAYS,
        other_zones=others,
    )


# ---- booking -------------------------------------------------------------------------


def _new_ref(session: Session) -> str:
    while True:
        ref = new_booking_ref()
        if session.scalar(select(Order.id).where(Order.booking_ref == ref)) is None:
            return ref


def _check(
    session: Session,
    kanava: Kanava,
    zone: Zone,
    policy: BookingPolicy,
    window: Interval,
    now: datetime,
) -> None:
    refusal = check_window(policy, window, now=now, tz=kanava.settings.tz)
    if refusal is not None:
        raise OrderError("refused", refusal=refusal, zone=zone.code)


def _full(
    session: Session, kanava: Kanava, zone: Zone, window: Interval, now: datetime
) -> OrderError:
    return OrderError(
        "full",
        zone=zone.code,
        window=window,
        alternatives=alternatives_for(session, kanava, zone, window, now),
    )


def _own_booking(
    session: Session,
    customer: Customer | None,
    channel: Channel,
    zone: Zone,
    plate_key: str,
    window: Interval,
    now: datetime,
) -> Order | None:
    """The customer's live booking of the plate in ``zone`` overlapping ``window``, if any,
    asked from their own phone only: a typed number (the web form) proves nothing, so it
    never reaches that phone's bookings (as with parkings)."""
    if customer is None or channel not in ledger.OWN_PHONE_CHANNELS:
        return None
    live = booking_space.live_bookings(session, zone.id, window.start, window.end, now)
    return next(
        (b for b in live if b.plate_key == plate_key and b.customer_id == customer.id), None
    )


def make_booking(
    session: Session,
    kanava: Kanava,
    *,
    customer: Customer | None,
    vehicle: Vehicle | None = None,
    plate: str,
    zone: Zone,
    window: Interval,
    channel: Channel,
    now: datetime,
    language: str,
    client_key: str | None = None,
) -> BookingMade:
    """Book one space of ``zone`` for ``window`` for ``plate``.

    The booking holds its space for the zone's ``hold_minutes`` while it waits for its
    payment (a pending payment with a link is returned); a saved card (from the driver's
    own phone) pays at once, and a free booking, or one below the provider's minimum
    charge (let go, recorded), is booked at once. Raises :class:`OrderError`:
    ``not_bookable`` (``zone``), ``refused`` (``refusal``: a
    :class:`~app.domain.booking_policy.WindowRefusal`), ``full`` (``alternatives``: an
    :class:`~app.domain.booking_capacity.Alternatives`). Nothing is written then.
    The customer's own live booking of the plate here overlapping ``window``, asked from
    their own phone, is returned (``already``) instead of a second one.
    """
    policy = policy_for(zone)
    _check(session, kanava, zone, policy, window, now)
    amount = booking_price(policy, window, kanava.settings.tz)
    plate_key = normalize_plate(plate)
    same = _own_booking(session, customer, channel, zone, plate_key, window, now)
    if same is None and not booking_space.has_room(session, zone.id, policy.capacity, window, now):
        raise _full(session, kanava, zone, window, now)
    # Under the zone's lock now: a resend racing its original finds it here.
    same = same or _own_booking(session, customer, channel, zone, plate_key, window, now)
    if same is not None:
        return BookingMade(same, ledger.open_payment_of(same), already=True)
    order = Order(
        kind=OrderKind.BOOKING,
        status=OrderStatus.AWAITING_PAYMENT,
        channel=channel,
        customer=customer,
        vehicle_id=vehicle.id if vehicle else None,
        zone=zone,
        plate_key=plate_key,
        plate_display=display_plate(plate),
        starts_at=window.start,
        ends_at=window.end,
        open_ended=False,
        hold_expires_at=hold_expires_at(policy, now),
        amount_cents=amount,
        currency=kanava.settings.currency,
        language=language,
        booking_ref=_new_ref(session),
        manage_token=ledger.new_token(),
        client_key=client_key,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    booking_space.record(
        session,
        order,
        now,
        "booking_made",
        "made",
        channel=channel,
        amount_cents=amount,
        currency=order.currency,
        hold_expires_at=order.hold_expires_at.isoformat() if order.hold_expires_at else None,
    )
    return BookingMade(order, _ask_payment(session, kanava, order, now))


def _ask_payment(session: Session, kanava: Kanava, order: Order, now: datetime) -> Payment | None:
    amount = order.amount_cents
    if amount <= 0:
        booking_space.mark_booked(session, order, now, how="free")
        return None
    if not ledger.asks_for(amount, order.currency):
        billing.waive_pending(
            session, kanava, ledger.new_payment(session, kanava, order, amount, now), now=now
        )
        booking_space.mark_booked(session, order, now, how="below the smallest card payment")
        return None
    if ledger.saved_card_pays(order, kanava):
        payment = charge_saved_card(session, kanava, order, amount, "booking", now)
        if payment.status is PaymentStatus.SUCCEEDED:
            booking_space.mark_booked(session, order, now, how="saved card")
            return None
        return payment
    return ledger.new_payment(session, kanava, order, amount, now)


# ---- cancelling ----------------------------------------------------------------------


def cancel_booking(
    session: Session,
    kanava: Kanava,
    order: Order,
    *,
    now: datetime,
    channel: Channel,
    actor: str | None = None,
    reason: str = "driver",
) -> BookingCancelled:
    """Cancel a booking that has not ended; its space is free at once.

    What was paid is refunded by the zone's terms (:func:`~app.domain.booking_policy.
    refund_cents`: in full until ``cancel_free_until_minutes`` before the start, then the
    late share); a pending payment is cancelled and its checkout closed. The order's row
    is locked first. Raises ``OrderError("not_live")``.
    """
    order = lock_order(session, order)
    live = order.status in (OrderStatus.BOOKED, OrderStatus.AWAITING_PAYMENT)
    if order.kind is not OrderKind.BOOKING or not live or (order.ends_at or now) <= now:
        raise OrderError("not_live", order_id=order.id)
    paid = ledger.paid_total(order)
    due_back = refund_cents(terms_of(order.zone), paid, order.starts_at, now)
    cancel_order(session, kanava, order, now=now, channel=channel, actor=actor, reason=reason)
    order.hold_expires_at = None
    refunded = _refund(session, kanava, order, due_back, now, "booking cancelled", actor)
    return BookingCancelled(order, refunded, paid)


def _refund(
    session: Session,
    kanava: Kanava,
    order: Order,
    amount: int,
    now: datetime,
    reason: str,
    actor: str | None = None,
) -> int:
    """Refund ``amount`` of what ``order`` was paid, newest payments first."""
    left, refunded = amount, 0
    for payment in reversed(order.payments):
        if left <= 0:
            break
        if payment.status is not PaymentStatus.SUCCEEDED:
            continue
        share = min(left, payment.captured_cents - payment.refunded_cents)
        if share <= 0:
            continue
        refunds.refund(session, kanava, payment, share, now=now, reason=reason, actor=actor)
        left -= share
        refunded += share
    return refunded


# ---- moving --------------------------------------------------------------------------


def move_booking(
    session: Session,
    kanava: Kanava,
    order: Order,
    window: Interval,
    *,
    now: datetime,
    channel: Channel,
    actor: str | None = None,
) -> BookingMoved:
    """Move a booking that has not started to ``window`` in its zone, keeping its reference
    and its payment.

    The new window passes the zone's rules and must fit (the booking's own space does not
    count against it). A price difference is settled as an extension's is: asked through
    the pending payment, a saved card or a new link when it grows; refunded when it
    shrinks (a booking still held has its pending amount changed). Raises
    :class:`OrderError`: ``not_live``, ``started``, ``not_bookable``, ``refused``,
    ``full``.
    """
    order = lock_order(session, order)
    if not is_upcoming(order, now):
        raise OrderError("not_live", order_id=order.id)
    if order.starts_at <= now:
        raise OrderError("started", order_id=order.id)
    zone = order.zone
    policy = policy_for(zone)
    _check(session, kanava, zone, policy, window, now)
    amount = booking_price(policy, window, kanava.settings.tz)
    if not booking_space.has_room(
        session, zone.id, policy.capacity, window, now, excluding=order.id
    ):
        raise _full(session, kanava, zone, window, now)
    old = window_of(order)
    difference = amount - order.amount_cents
    order.starts_at, order.ends_at = window.start, window.end
    order.amount_cents = amount
    order.start_reminder_sent_at = None
    order.reminder_sent_at = None
    order.updated_at = now
    payment: Payment | None = ledger.open_payment_of(order)
    refunded = 0
    if order.status is OrderStatus.AWAITING_PAYMENT and payment is not None:
        billing.change_amount(session, kanava, payment, amount, now=now)
    elif difference > 0:
        payment = billing.charge_extension(session, kanava, order, difference, now=now)
    elif difference < 0:
        refunded = _refund(session, kanava, order, -difference, now, "booking moved", actor)
    booking_space.record(
        session,
        order,
        now,
        "booking_moved",
        "moved",
        channel=channel,
        actor=actor,
        **{
            "from": old.start.isoformat(),
            "from_end": old.end.isoformat(),
            "amount_cents": difference,
            "currency": order.currency,
        },
    )
    return BookingMoved(order, old, difference, payment, refunded)


# ---- extending -----------------------------------------------------------------------


def _extension(order: Order, minutes: int, tz: tzinfo) -> tuple[BookingPolicy, Interval] | None:
    """The zone's policy and the window ``minutes`` longer, if the zone's rules allow it."""
    policy = zones.booking_policy_of(order.zone)
    if policy is None or order.ends_at is None or minutes <= 0:
        return None
    longer = Interval(order.starts_at, order.ends_at + timedelta(minutes=minutes))
    if policy.max_minutes is not None and longer.length > timedelta(minutes=policy.max_minutes):
        return None
    # The added time only has to lie in the booking hours: notice is for new bookings.
    added = Interval(order.ends_at, longer.end)
    no_notice = dataclasses.replace(policy, min_notice_minutes=0)
    if check_window(no_notice, added, now=order.ends_at, tz=tz) is not None:
        return None
    return policy, longer


def can_extend(session: Session, kanava: Kanava, order: Order, minutes: int, now: datetime) -> bool:
    """Whether the booked ``order`` could run ``minutes`` longer now (a read, no lock)."""
    found = _extension(order, minutes, kanava.settings.tz)
    if found is None or order.ends_at is None:
        return False
    policy, longer = found
    added = Interval(order.ends_at, longer.end)
    taken = booking_space.live_bookings(
        session, order.zone_id, added.start, added.end, now, excluding=order.id
    )
    return fits(policy.capacity, booking_space.occupied(taken), added)


def extend_booking(
    session: Session,
    kanava: Kanava,
    order: Order,
    minutes: int,
    *,
    now: datetime,
    channel: Channel,
) -> BookingMoved:
    """Make a booked booking ``minutes`` longer when a space is free after it; the added
    price is asked as a parking extension's is. Raises :class:`OrderError`:
    ``not_live``, ``refused`` (outside the zone's hours or longest stay), ``full``."""
    order = lock_order(session, order)
    if order.status is not OrderStatus.BOOKED or order.ends_at is None or order.ends_at <= now:
        raise OrderError("not_live", order_id=order.id)
    found = _extension(order, minutes, kanava.settings.tz)
    if found is None:
        raise OrderError("refused", refusal=None, zone=order.zone.code)
    policy, longer = found
    if not booking_space.has_room(
        session, order.zone_id, policy.capacity, longer, now, excluding=order.id
    ):
        raise OrderError("full", zone=order.zone.code, window=longer, alternatives=None)
    old = window_of(order)
    amount = booking_price(policy, longer, kanava.settings.tz)
    difference = amount - order.amount_cents
    order.ends_at = longer.end
    order.amount_cents = amount
    order.reminder_sent_at = None
    order.updated_at = now
    payment = billing.charge_extension(session, kanava, order, difference, now=now)
    booking_space.record(
        session,
        order,
        now,
        "booking_extended",
        "extended",
        channel=channel,
        previous_end=old.end.isoformat(),
        amount_cents=difference,
        currency=order.currency,
    )
    return BookingMoved(order, old, difference, payment, 0)


# ---- the clock -----------------------------------------------------------------------


def lapse_hold(
    session: Session, kanava: Kanava, order: Order, *, now: datetime
) -> HoldLapsed | HoldPaidLate | None:
    """An unpaid booking's hold is over: it lapses, its space is free.

    Its pending payment is cancelled (marked ``hold_lapsed``) and its checkout expired
    (a Stripe Checkout Session cannot expire sooner than 30 minutes, so Kanava closes it);
    money that still arrives books the space if one is free, else is refunded
    (:func:`app.backend.booking_space.confirm_paid`). A checkout paid whose event is late
    is applied instead (:class:`HoldPaidLate`). None when there is nothing to lapse. The
    order's row is locked first.
    """
    order = lock_order(session, order)
    hold = order.hold_expires_at
    if order.status is not OrderStatus.AWAITING_PAYMENT or hold is None or hold > now:
        return None
    pending = ledger.open_payment_of(order)
    if pending is not None:
        late = provider_payments.applied_if_paid(session, kanava, pending, now=now)
        if late.paid:
            return HoldPaidLate(pending, late)
        billing.cancel_pending(session, kanava, pending, now=now)
        pending.failure_reason = ledger.HOLD_LAPSED
    order.status = OrderStatus.EXPIRED
    order.updated_at = now
    booking_space.record(session, order, now, "hold_lapsed", "not paid in time, hold lapsed")
    return HoldLapsed(order)


def end_booking(session: Session, order: Order, *, now: datetime) -> bool:
    """A booked window is over: the booking is ``ended``. False when it is not due (or
    changed meanwhile)."""
    if order.status is not OrderStatus.BOOKED or order.ends_at is None or order.ends_at > now:
        return False
    order.status = OrderStatus.ENDED
    order.ended_at = order.ends_at
    order.updated_at = now
    booking_space.record(session, order, now, "booking_ended", "ended")
    return True
