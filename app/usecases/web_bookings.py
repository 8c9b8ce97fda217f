"""Booking on the web (``/book``): the bookable zones, a day's slot grid, the lengths a
chosen start can have with their prices, and the booking itself from the form.

Reads through :mod:`app.backend.bookings` and books through its ``make_booking`` (the same
capacity lock as SMS and voice). :func:`book_from_form` commits once, then sends the outbox.
A form sent twice (same key and the same choice) books once: the second finds the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend import bookings, customers, ledger, zones
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.backend.orders import OrderError
from app.domain.booking_capacity import Alternative, SlotAvailability
from app.domain.booking_policy import (
    BookingPolicy,
    Interval,
    booking_price,
    free_cancellation_until,
    last_bookable_day,
)
from app.domain.plates import normalize_plate
from app.kernel import Kanava
from app.models import Channel, Order, OrderStatus, Payment, Zone
from app.usecases import form_keys
from app.usecases import outbox_dispatch as notifications

# The longest booking the form offers, in slots (the zone's own limits apply as well).
MOST_SLOTS = 8


class BookingFormError(Exception):
    """A field of the booking form is wrong (``field``: plate, phone or start; ``code``)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


class SlotTaken(Exception):
    """The window chosen is full now: ``alternatives`` are the nearest free ones."""

    def __init__(self, window: Interval, alternatives: list[Alternative]) -> None:
        super().__init__("full")
        self.window = window
        self.alternatives = alternatives


@dataclass(frozen=True)
class BookableZone:
    zone: Zone
    policy: BookingPolicy


@dataclass(frozen=True)
class Length:
    """One length the chosen start can have: ``slots`` slots, its window and price, and
    whether a space is free for all of it."""

    slots: int
    window: Interval
    price_cents: int
    free: bool


@dataclass
class WebBooked:
    order: Order
    # The payment to make through its link; None when the booking is booked already.
    payment: Payment | None
    repeated: bool = False


def bookable(session: Session) -> list[BookableZone]:
    """Every bookable zone with its booking rules, by code."""
    found = []
    for zone in zones.bookable_zones(session):
        policy = zones.booking_policy_of(zone)
        if policy is not None:
            found.append(BookableZone(zone, policy))
    return found


def bookable_zone(session: Session, code: str) -> BookableZone | None:
    zone = zones.find(session, code)
    policy = zones.booking_policy_of(zone) if zone is not None else None
    return BookableZone(zone, policy) if zone is not None and policy is not None else None


def today(kanava: Kanava, now: datetime) -> date:
    return now.astimezone(kanava.settings.tz).date()


def last_day(kanava: Kanava, policy: BookingPolicy, now: datetime) -> date:
    """The last local day a booking may start on at ``now``."""
    return last_bookable_day(policy, now, kanava.settings.tz)


def day_grid(
    session: Session, kanava: Kanava, zone: Zone, day: date, now: datetime
) -> tuple[SlotAvailability, ...]:
    """The slots of ``day`` that have not started by ``now``, with their free counts and
    whether each can be booked now: a slot that has started (or ended) is not offered."""
    grid = bookings.availability(session, kanava, zone, day, now)
    return tuple(slot for slot in grid if slot.start >= now)


def lengths(
    kanava: Kanava, policy: BookingPolicy, grid: tuple[SlotAvailability, ...], start: datetime
) -> list[Length]:
    """The lengths a booking starting at ``start`` (a slot's start) can have: up to
    :data:`MOST_SLOTS` back-to-back bookable slots, no longer than the zone allows."""
    index = next((i for i, slot in enumerate(grid) if slot.start == start), None)
    if index is None or not grid[index].bookable:
        return []
    found: list[Length] = []
    free = True
    for count, slot in enumerate(grid[index : index + MOST_SLOTS], start=1):
        if count > 1 and (slot.start != grid[index + count - 2].end or not slot.bookable):
            break
        window = Interval(start, slot.end)
        minutes = (window.end - window.start) / timedelta(minutes=1)
        if policy.max_minutes is not None and minutes > policy.max_minutes:
            break
        free = free and slot.free > 0
        price = booking_price(policy, window, kanava.settings.tz)
        found.append(Length(count, window, price, free))
    return found


def _by_client_key(session: Session, client_key: str) -> Order | None:
    return session.scalar(select(Order).where(Order.client_key == client_key))


def _booked_before(order: Order) -> WebBooked:
    due = ledger.open_payment_of(order)
    return WebBooked(order, due if due is not None and due.amount_cents > 0 else None, True)


def _check_fields(plate: str, phone: str | None) -> str | None:
    """The plate's key; raises :class:`BookingFormError` for a bad plate or phone. Returns
    the normalised phone number (None when none was typed)."""
    plate_key = normalize_plate(plate)
    if not 2 <= len(plate_key) <= 10 or not plate_key.isalnum():
        raise BookingFormError("plate", "bad_plate")
    if not phone or not phone.strip():
        return None
    try:
        return normalize_phone(phone)
    except InvalidPhoneNumber as exc:
        raise BookingFormError("phone", "bad_phone") from exc


def book_from_form(
    session: Session,
    kanava: Kanava,
    *,
    zone: Zone,
    window: Interval,
    plate: str,
    phone: str | None,
    language: str,
    now: datetime,
    key: str | None = None,
) -> WebBooked:
    """Book ``window`` in ``zone`` for ``plate`` from the web form. Commits, then sends the
    outbox.

    The same form sent again (same ``key``, zone, window and plate), even at the same
    moment, finds the first booking and returns it with ``repeated``. Raises
    :class:`BookingFormError` for a bad plate or phone or a window the zone's rules refuse
    (``start``, ``refused``), and :class:`SlotTaken` when no space is free; nothing is
    written then.
    """
    number = _check_fields(plate, phone)
    client_key = form_keys.claim_id(
        "book",
        form_keys.usable(key),
        zone.code,
        window.start.isoformat(),
        window.end.isoformat(),
        normalize_plate(plate),
    )
    first = _by_client_key(session, client_key)
    if first is not None:
        return _booked_before(first)
    receipt = form_keys.claim(session, client_key, now)
    if receipt is None:  # the same form, sent at the same moment, has booked
        first = _by_client_key(session, client_key)
        assert first is not None, "a form key is only kept with its booking"
        return _booked_before(first)
    # A typed number only gets this booking's texts (as on the parking form): it proves
    # nothing, so it never pays with that phone's saved card.
    customer = None
    if number is not None:
        customer = customers.get_or_create(session, number, now)
        customers.lock(session, customer)
    try:
        made = bookings.make_booking(
            session,
            kanava,
            customer=customer,
            plate=plate,
            zone=zone,
            window=window,
            channel=Channel.WEB,
            now=now,
            language=language,
            client_key=client_key,
        )
    except OrderError as exc:
        session.rollback()
        if exc.code == "full":
            found = exc.details.get("alternatives")
            options = [*getattr(found, "same_zone", ()), *getattr(found, "other_zones", ())]
            raise SlotTaken(window, options[:4]) from exc
        raise BookingFormError("start", "refused") from exc
    form_keys.answer(receipt, order_id=made.order.id)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return WebBooked(made.order, made.payment)


@dataclass(frozen=True)
class DoneView:
    """What the done page shows of a booking."""

    order: Order
    zone: Zone
    window: Interval
    # Until when cancelling refunds everything; ``late_refund_percent`` after that.
    free_until: datetime
    late_refund_percent: int
    upcoming: bool
    # The payment still to make through its link, while the hold lasts.
    payment: Payment | None


def done_view(session: Session, token: str, now: datetime) -> DoneView | None:
    """The booking whose manage token ``token`` is, as the done page shows it (None for a
    parking or nothing)."""
    order = session.scalar(select(Order).where(Order.manage_token == token))
    if order is None or not order.booking_ref or order.zone is None or order.ends_at is None:
        return None
    terms = bookings.terms_of(order.zone)
    upcoming = bookings.is_upcoming(order, now)
    payment = None
    if upcoming and order.status is OrderStatus.AWAITING_PAYMENT:
        due = ledger.open_payment_of(order)
        payment = due if due is not None and due.amount_cents > 0 else None
    return DoneView(
        order,
        order.zone,
        bookings.window_of(order),
        free_cancellation_until(terms, order.starts_at),
        terms.late_refund_percent,
        upcoming,
        payment,
    )


# A booking made by a front door that has its window already (an integration, the
# concurrency test's web side): no form, no grid.
@dataclass
class WebBooking:
    """A booking made: its order and the link to pay it (None when booked already)."""

    order: Order
    pay_link: str | None


def book(
    session: Session,
    kanava: Kanava,
    *,
    zone_code: str,
    window: Interval,
    plate: str,
    phone: str | None,
    language: str,
    now: datetime,
    client_key: str | None = None,
) -> WebBooking:
    """Book ``window`` in the zone for ``plate``; ``phone`` (typed, so it proves nothing)
    gets the SMS about it. Commits. Raises :class:`~app.backend.orders.OrderError`
    (``not_bookable``, ``refused``, ``full`` with alternatives: see
    :func:`app.backend.bookings.make_booking`) after rolling back."""
    try:
        zone = zones.find(session, zone_code)
        customer = (
            customers.get_or_create(session, customers.normalize_phone(phone), now)
            if phone
            else None
        )
        made = bookings.make_booking(
            session,
            kanava,
            customer=customer,
            plate=plate,
            zone=bookings.zone_or_refuse(zone, zone_code),
            window=window,
            channel=Channel.WEB,
            now=now,
            language=language,
            client_key=client_key,
        )
        link = ledger.link_to_pay(kanava, made.payment)
    except OrderError:
        session.rollback()
        raise
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return WebBooking(made.order, link)
