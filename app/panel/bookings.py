"""The panel's bookings: a bookable zone's day as an occupancy grid (slots x used/capacity)
and the list of its bookings, and staff cancellation by the zone's terms.

Reads and books through :mod:`app.backend.bookings` (the same capacity lock and refund
rules as SMS, voice and web). The actions commit once, then send the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend import bookings, ledger, zones
from app.backend.orders import OrderError
from app.domain.booking_capacity import SlotAvailability
from app.domain.booking_policy import BookingPolicy, Interval, first_instant, refund_cents
from app.domain.plates import normalize_plate
from app.kernel import Kanava
from app.models import (
    Channel,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    User,
    Zone,
)
from app.panel.queries import PanelError
from app.texts import bookings as texts
from app.usecases import outbox_dispatch as notifications
from app.usecases import web_bookings


@dataclass(frozen=True)
class GridRow:
    slot: SlotAvailability
    used: int
    capacity: int


@dataclass(frozen=True)
class BookingRow:
    order: Order
    # The payment staff may refund (the newest paid one), if any.
    paid: Payment | None
    cancellable: bool


@dataclass(frozen=True)
class BookingDay:
    zone: Zone
    policy: BookingPolicy
    day: date
    rows: list[GridRow]
    bookings: list[BookingRow]


@dataclass(frozen=True)
class BookingCancelQuote:
    order: Order
    paid_cents: int
    refund_cents: int


def _bookable(session: Session, code: str) -> tuple[Zone, BookingPolicy]:
    zone = zones.find(session, code)
    policy = zones.booking_policy_of(zone) if zone is not None else None
    if zone is None or policy is None:
        raise PanelError("unknown_zone", zone=code)
    return zone, policy


def _day_orders(session: Session, kanava: Kanava, zone: Zone, day: date) -> list[Order]:
    tz = kanava.settings.tz
    low = first_instant(day, datetime.min.time(), tz)
    high = first_instant(day + timedelta(days=1), datetime.min.time(), tz)
    found = session.scalars(
        select(Order)
        .where(
            Order.zone_id == zone.id,
            Order.kind == OrderKind.BOOKING,
            Order.starts_at < high,
            Order.ends_at > low,
        )
        .order_by(Order.starts_at, Order.id)
    )
    return list(found)


def _paid_payment(order: Order) -> Payment | None:
    paid = [
        p
        for p in order.payments
        if p.status is PaymentStatus.SUCCEEDED and p.captured_cents > p.refunded_cents
    ]
    return max(paid, key=lambda p: p.id, default=None)


def booking_day(
    session: Session, kanava: Kanava, code: str, day: date, now: datetime
) -> BookingDay:
    """The zone's grid of ``day`` (local) and every booking touching that day. Raises
    ``PanelError("unknown_zone")`` for a zone that cannot be booked."""
    zone, policy = _bookable(session, code)
    grid = bookings.availability(session, kanava, zone, day, now)
    rows = [GridRow(slot, max(0, policy.capacity - slot.free), policy.capacity) for slot in grid]
    listed = [
        BookingRow(order, _paid_payment(order), bookings.is_upcoming(order, now))
        for order in _day_orders(session, kanava, zone, day)
    ]
    return BookingDay(zone, policy, day, rows, listed)


def _booking_or_error(session: Session, order_id: int, now: datetime) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.kind is not OrderKind.BOOKING:
        raise PanelError("unknown_order", order_id=order_id)
    if not bookings.is_upcoming(order, now):
        raise PanelError("not_live", order_id=order_id)
    return order


def cancel_quote(session: Session, order_id: int, now: datetime) -> BookingCancelQuote:
    """What cancelling the booking now would refund by its zone's terms. Raises
    ``PanelError`` ``unknown_order`` or ``not_live``."""
    order = _booking_or_error(session, order_id, now)
    paid = ledger.paid_total(order)
    back = refund_cents(bookings.terms_of(order.zone), paid, order.starts_at, now)
    return BookingCancelQuote(order, paid, back)


def cancel_booking(
    session: Session, kanava: Kanava, user: User, order_id: int, note: str, now: datetime
) -> bookings.BookingCancelled:
    """Cancel the booking by its zone's terms, as the driver's own cancel would (refund in
    full before the cutoff, the late share after); the driver gets an SMS. A second
    confirmation finds it cancelled. Raises ``PanelError`` ``unknown_order`` or
    ``not_live``. Commits."""
    order = _booking_or_error(session, order_id, now)
    try:
        done = bookings.cancel_booking(
            session,
            kanava,
            order,
            now=now,
            channel=Channel.ADMIN,
            actor=user.name,
            reason=f"cancelled by staff: {note}" if note else "cancelled by staff",
        )
    except OrderError as exc:
        session.rollback()
        raise PanelError("not_live", order_id=order_id) from exc
    if order.customer is not None:
        text = texts.booking_cancelled(order, done.refunded_cents, done.paid_cents, order.language)
        notifications.queue_sms(
            session, kanava, order.customer, text, purpose="staff_cancel", order=order, now=now
        )
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return done


def is_cancelled(order: Order) -> bool:
    return order.status is OrderStatus.CANCELLED


@dataclass(frozen=True)
class StaffBooking:
    order: Order
    # The link the driver pays by; None when the booking is booked already (free).
    pay_link: str | None


def create_booking(
    session: Session,
    kanava: Kanava,
    user: User,
    code: str,
    start: datetime,
    slots: int,
    plate: str,
    now: datetime,
) -> StaffBooking:
    """Book ``slots`` back-to-back slots of zone ``code`` from ``start`` for ``plate`` for
    a driver at the counter or on the phone to staff, through the same backend (capacity
    lock, rules); it holds its space until paid by its link. Raises ``PanelError``
    ``unknown_zone``, ``bad_plate``, ``booking_refused`` or ``booking_full``. Commits."""
    zone, policy = _bookable(session, code)
    if not 2 <= len(normalize_plate(plate)) <= 10 or not normalize_plate(plate).isalnum():
        raise PanelError("bad_plate")
    day = start.astimezone(kanava.settings.tz).date()
    grid = bookings.availability(session, kanava, zone, day, now)
    chosen = next(
        (x for x in web_bookings.lengths(kanava, policy, grid, start) if x.slots == slots), None
    )
    if chosen is None:
        raise PanelError("booking_refused")
    try:
        made = bookings.make_booking(
            session,
            kanava,
            customer=None,
            plate=plate,
            zone=zone,
            window=chosen.window,
            channel=Channel.ADMIN,
            now=now,
            language=kanava.settings.default_language,
        )
    except OrderError as exc:
        session.rollback()
        raise PanelError("booking_full" if exc.code == "full" else "booking_refused") from exc
    link = ledger.link_to_pay(kanava, made.payment)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return StaffBooking(made.order, link)


@dataclass(frozen=True)
class MoveQuote:
    order: Order
    window: Interval
    price_cents: int
    # What the driver pays more (positive) or gets back (negative).
    difference_cents: int


def _new_window(
    session: Session, kanava: Kanava, order: Order, start: datetime, slots: int, now: datetime
) -> tuple[Interval, int]:
    policy = zones.booking_policy_of(order.zone)
    if policy is None:
        raise PanelError("booking_refused")
    day = start.astimezone(kanava.settings.tz).date()
    grid = bookings.availability(session, kanava, order.zone, day, now)
    found = web_bookings.lengths(kanava, policy, grid, start)
    chosen = next((x for x in found if x.slots == slots), None)
    if chosen is None:
        raise PanelError("booking_refused")
    return chosen.window, chosen.price_cents


def move_quote(
    session: Session, kanava: Kanava, order_id: int, start: datetime, slots: int, now: datetime
) -> MoveQuote:
    """What moving the booking to ``slots`` slots from ``start`` would cost or refund.
    Raises ``PanelError`` ``unknown_order``, ``not_live``, ``booking_refused``."""
    order = _booking_or_error(session, order_id, now)
    window, price = _new_window(session, kanava, order, start, slots, now)
    return MoveQuote(order, window, price, price - order.amount_cents)


def move_booking(
    session: Session,
    kanava: Kanava,
    user: User,
    order_id: int,
    start: datetime,
    slots: int,
    now: datetime,
) -> bookings.BookingMoved:
    """Move the booking as the driver's own move would (reference and payment kept, the
    difference asked or refunded); the driver gets an SMS. Raises ``PanelError``
    ``unknown_order``, ``not_live``, ``booking_refused``, ``booking_full``. Commits."""
    order = _booking_or_error(session, order_id, now)
    window, _price = _new_window(session, kanava, order, start, slots, now)
    try:
        done = bookings.move_booking(
            session, kanava, order, window, now=now, channel=Channel.ADMIN, actor=user.name
        )
    except OrderError as exc:
        session.rollback()
        codes = {"full": "booking_full", "not_live": "not_live", "started": "not_live"}
        raise PanelError(codes.get(exc.code, "booking_refused")) from exc
    if order.customer is not None:
        link = ledger.link_to_pay(kanava, done.payment) if done.difference_cents > 0 else None
        text = texts.booking_moved(
            order, done.difference_cents, link, done.refunded_cents, order.language, kanava
        )
        notifications.queue_sms(
            session, kanava, order.customer, text, purpose="staff_move", order=order, now=now
        )
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return done


def move_choices(
    session: Session, kanava: Kanava, order: Order, day: date, now: datetime
) -> list[SlotAvailability]:
    """The slots of ``day`` a booking could be moved to start in (bookable ones)."""
    if zones.booking_policy_of(order.zone) is None:
        return []
    return [s for s in bookings.availability(session, kanava, order.zone, day, now) if s.bookable]
