"""The web form behind a sign's QR code (``/p/<zone>``): quotes and parking, no account.

The form parks through :func:`app.backend.orders.start_parking`, as an SMS does; an
optional phone number gets the order's texts (the confirmation, the reminder and the
receipt by SMS). A typed number proves nothing, so it never ends that phone's other
parkings, charges or saves its card, or adds a car to its cars. Every order it makes has
its own page (:mod:`app.usecases.order_page`), the way to stop it without a phone.

A form parks once: its idempotency key (:mod:`app.usecases.form_keys`) is stored on the
order as ``client_key``, so a double submit or a retried POST finds the first order. A
plate already validly parked in the zone, by anyone, is not parked again: the driver is
told until when, and may add time to that parking instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend import contacts, customers, ledger, orders, timeline, zones
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.backend.zones import tariff_of
from app.domain.plates import normalize_plate
from app.domain.pricing import price
from app.kernel import Kanava
from app.models import (
    Channel,
    EventKind,
    Order,
    Payment,
    Zone,
)
from app.usecases import form_keys, order_page
from app.usecases import outbox_dispatch as notifications
from app.usecases.order_page import ExtensionQuote, OrderPageError, PriceNow

# The durations offered on the form, in minutes; None is "until I stop".
DURATIONS: tuple[int | None, ...] = (30, 60, 120, 180, None)


class FormError(Exception):
    """A field the driver has to correct; ``field`` names it, ``code`` says why."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


class AlreadyParked(Exception):
    """The plate already has a live parking in the zone: nothing new was parked."""

    def __init__(self, order: Order) -> None:
        super().__init__(order.id)
        self.order = order


@dataclass(frozen=True)
class Quote:
    """One duration on the form: its end, its price, and what the payment asks now (the
    price; for "until I stop" the most the parking can cost, held on the card)."""

    minutes: int | None
    ends_at: datetime | None
    price_cents: int
    pay_now_cents: int
    # Is ``pay_now_cents`` asked at all (:func:`ledger.asks_for`)? Below the provider's
    # minimum it is not: the form parks without a payment and says so.
    asked: bool = True
    minimum_cents: int = 0


@dataclass(frozen=True)
class Parked:
    """What the form did: the order and the payment that waits for the driver (None when
    there is nothing to pay). ``repeated``: the form had been sent before; nothing new."""

    order: Order
    payment: Payment | None
    repeated: bool = False


def zone_for_form(session: Session, code: str) -> Zone | None:
    zone = zones.find(session, code)
    return zone if zone is not None and zone.active else None


def price_now(zone: Zone, kanava: Kanava, now: datetime) -> PriceNow:
    """Free or paid in ``zone`` at ``now``, and until when."""
    return order_page.price_now(zone, kanava, now)


def quote(zone: Zone, minutes: int | None, kanava: Kanava, now: datetime) -> Quote:
    """End and price of parking ``minutes`` (None: until stopped) from ``now``."""
    if minutes is not None and not 0 < minutes <= orders.MAX_DURATION_MINUTES:
        raise FormError("minutes", "bad_duration")
    end, cents = orders.quote(zone, now, minutes, kanava)
    pay_now = cents
    if minutes is None:
        # What ledger.amount_to_collect holds for an open-ended parking.
        until = end or now + ledger.OPEN_ENDED_HOLD
        pay_now = price(tariff_of(zone), now, until, kanava.settings.tz)
    currency = kanava.settings.currency
    return Quote(
        minutes,
        end,
        cents,
        pay_now,
        asked=ledger.asks_for(pay_now, currency),
        minimum_cents=ledger.minimum_charge_cents(currency),
    )


def quotes(zone: Zone, kanava: Kanava, now: datetime) -> list[Quote]:
    """The form's duration choices that fit the zone's longest stay, priced from ``now``."""
    offered = []
    for minutes in DURATIONS:
        if minutes is not None and zone.max_minutes and minutes > zone.max_minutes:
            continue
        offered.append(quote(zone, minutes, kanava, now))
    return offered


def field_errors(plate: str | None, phone: str | None, minutes: int | None) -> dict[str, str]:
    """Every field the driver has to correct, at once: field name (``plate``, ``phone``,
    ``minutes``) to error code. Pure; empty when the form may be parked from."""
    errors: dict[str, str] = {}
    key = normalize_plate(plate or "")
    if not 2 <= len(key) <= 10 or not key.isalnum():
        errors["plate"] = "bad_plate"
    if phone and phone.strip():
        try:
            normalize_phone(phone)
        except InvalidPhoneNumber:
            errors["phone"] = "bad_phone"
    if minutes is not None and not 0 < minutes <= orders.MAX_DURATION_MINUTES:
        errors["minutes"] = "bad_duration"
    return errors


def parked_here(
    session: Session, kanava: Kanava, zone: Zone, plate: str, now: datetime
) -> Order | None:
    """The plate's live parking in ``zone`` valid at ``now``, whoever made it
    (:func:`orders.parked_in_zone`, the rule every channel keeps)."""
    return orders.parked_in_zone(session, kanava, zone, plate, now)


def valid_until(order: Order, kanava: Kanava) -> datetime | None:
    """Until when ``order`` is valid (:func:`orders.valid_until`): with an extension not
    paid, the paid end (or its grace); None: until stopped."""
    return orders.valid_until(order, timedelta(minutes=kanava.settings.payment_grace_minutes))


def _by_client_key(session: Session, client_key: str) -> Order | None:
    return session.scalar(select(Order).where(Order.client_key == client_key))


def _parked_before(order: Order) -> Parked:
    due = ledger.open_payment_of(order)
    return Parked(order, due if due is not None and due.amount_cents > 0 else None, repeated=True)


def park_from_form(
    session: Session,
    kanava: Kanava,
    *,
    zone: Zone,
    plate: str,
    minutes: int | None,
    phone: str | None,
    language: str,
    now: datetime,
    key: str | None = None,
    sign: str | None = None,
) -> Parked:
    """Park ``plate`` in ``zone`` from the web form. Commits, then sends the outbox.

    ``sign``: the code of the sign whose QR code led here; the submission is counted as a
    contact of that sign (:mod:`app.backend.contacts`).

    The same form sent again (same ``key``, zone, plate and duration), even at the same
    moment, finds the first order and returns it with ``repeated``.
    Raises :class:`FormError` for a plate that is not one (``plate``), a phone number that
    is not one (``phone``) or a duration out of range (``minutes``), and
    :class:`AlreadyParked` when the plate already has a valid parking in the zone; nothing
    is changed then.
    """
    plate_key = normalize_plate(plate)
    if not 2 <= len(plate_key) <= 10 or not plate_key.isalnum():
        raise FormError("plate", "bad_plate")
    number = None
    if phone and phone.strip():
        try:
            number = normalize_phone(phone)
        except InvalidPhoneNumber as exc:
            raise FormError("phone", "bad_phone") from exc
    if minutes is not None and not 0 < minutes <= orders.MAX_DURATION_MINUTES:
        raise FormError("minutes", "bad_duration")

    client_key = form_keys.claim_id(
        "park", form_keys.usable(key), zone.code, plate_key, minutes or "open"
    )
    first = _by_client_key(session, client_key)
    if first is not None:
        return _parked_before(first)
    receipt = form_keys.claim(session, client_key, now)
    if receipt is None:  # the same form, sent at the same moment, has parked
        first = _by_client_key(session, client_key)
        assert first is not None, "a form key is only kept with its order"
        return _parked_before(first)

    there = parked_here(session, kanava, zone, plate, now)
    if there is not None:
        session.rollback()
        raise AlreadyParked(there)
    # A typed number only gets this order's texts: it proves nothing, so the order never
    # ends that phone's parkings, uses its saved card, or adds a car to its cars.
    customer = None
    if number is not None:
        customer = customers.get_or_create(session, number, now)
        customers.lock(session, customer)
    try:
        started = orders.start_parking(
            session,
            kanava,
            customer=customer,
            plate=plate,
            zone=zone,
            minutes=minutes,
            channel=Channel.WEB,
            now=now,
            language=language,
        )
    except orders.OrderError as exc:
        session.rollback()  # nothing of a refused form is kept (customer, vehicle)
        raise FormError("minutes", exc.code) from exc
    order = started.order
    order.client_key = client_key
    submitted = timeline.record(
        session,
        at=now,
        channel=Channel.WEB,
        kind=EventKind.WEB_ACTION,
        customer=customer,
        order=order,
        body=f"web form: park {order.plate_display} in {zone.code}",
        data={
            "action": "park",
            "plate": order.plate_display,
            "zone": zone.code,
            "minutes": minutes,
            "phone_given": customer is not None,
        },
    )
    contacts.classify_web(session, submitted, sign_code=sign, now=now)
    asks = ledger.link_to_pay(kanava, started.payment) is not None
    if not asks:
        # Nothing to pay through a link (free time, below the smallest payment): the
        # confirmation a payment would have brought goes out now. A repeated form
        # returned above, so it goes once.
        notifications.queue_parking_confirmation(
            session, kanava, order, now=now, purpose="web_confirmation"
        )
    form_keys.answer(receipt, order_id=order.id)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return Parked(order, started.payment if asks else None)


def can_be_extended_by_anyone(order: Order, now: datetime) -> bool:
    """Whether someone who only knows the plate may add time to ``order`` from the form
    (:func:`orders.can_be_extended_by_anyone`)."""
    return orders.can_be_extended_by_anyone(order, now)


def extensions_for_anyone(order: Order, kanava: Kanava, now: datetime) -> list[ExtensionQuote]:
    """The extensions the form offers for a plate already parked (see
    :func:`can_be_extended_by_anyone`); none when it may not be extended from the form."""
    if not can_be_extended_by_anyone(order, now):
        return []
    return order_page.extension_quotes(order, kanava, now)


def extend_parked(
    session: Session,
    kanava: Kanava,
    *,
    zone: Zone,
    plate: str,
    minutes: int,
    key: str | None,
    now: datetime,
) -> order_page.Done:
    """Add ``minutes`` to the plate's valid parking in ``zone``, for a driver who found it
    already parked (:class:`AlreadyParked`). Commits, then sends the outbox.

    Sent again with the same ``key`` it does nothing more. Raises
    :class:`~app.usecases.order_page.OrderPageError` ``not_parked`` (no valid parking
    there now), ``not_allowed`` (see :func:`can_be_extended_by_anyone`), ``bad_duration``,
    or the order backend's refusal.
    """
    plate_key = normalize_plate(plate)
    if minutes not in order_page.EXTENSIONS:
        raise OrderPageError("bad_duration")
    claim = form_keys.claim_id("extend-plate", form_keys.usable(key), zone.code, plate_key, minutes)
    done = form_keys.answered(session, claim)
    receipt = form_keys.claim(session, claim, now) if done is None else None
    if receipt is None:
        done = form_keys.answered(session, claim) or {}
        order = session.get(Order, done["order_id"]) if done.get("order_id") else None
        if order is None:
            raise OrderPageError("not_parked")
        payment = session.get(Payment, done["payment_id"]) if done.get("payment_id") else None
        return order_page.Done(order, payment, repeated=True)
    order = parked_here(session, kanava, zone, plate, now)
    if order is None:
        session.rollback()
        raise OrderPageError("not_parked")
    if not can_be_extended_by_anyone(order, now):
        session.rollback()
        raise OrderPageError("not_allowed")
    return order_page.extend_claimed(
        session, kanava, order, minutes, receipt, now, tell_driver=False
    )
