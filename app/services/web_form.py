"""The web form behind a sign's QR code (``/p/<zone>``): quotes and parking, no account.

The form parks through :func:`app.services.orders.start_parking`, exactly as an SMS does;
an optional phone number links the order to that driver (for the reminder, the
confirmation and the receipt by SMS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app import Kanava
from app.models import Channel, EventKind, Zone
from app.services import customers, orders, timeline, zones
from app.services.customers import InvalidPhoneNumber, normalize_phone
from app.services.plates import normalize_plate

# The durations offered on the form, in minutes; None is "until I stop".
DURATIONS: tuple[int | None, ...] = (30, 60, 120, 180, None)


class FormError(Exception):
    """A field the driver has to correct; ``field`` names it, ``code`` says why."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


@dataclass(frozen=True)
class Quote:
    minutes: int | None
    ends_at: datetime | None
    price_cents: int


def zone_for_form(session: Session, code: str) -> Zone | None:
    zone = zones.find(session, code)
    return zone if zone is not None and zone.active else None


def quote(zone: Zone, minutes: int | None, kanava: Kanava, now: datetime) -> Quote:
    """End and price of parking ``minutes`` (None: until stopped) from ``now``."""
    if minutes is not None and not 0 < minutes <= orders.MAX_DURATION_MINUTES:
        raise FormError("minutes", "bad_duration")
    end, cents = orders.quote(zone, now, minutes, kanava)
    return Quote(minutes, end, cents)


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
) -> orders.ParkingStarted:
    """Park ``plate`` in ``zone`` from the web form. Commits.

    Raises :class:`FormError` for a plate that is not one (``plate``), a phone number that
    is not one (``phone``) or a duration out of range (``minutes``); nothing is changed then.
    """
    key = normalize_plate(plate)
    if not 2 <= len(key) <= 10 or not key.isalnum():
        raise FormError("plate", "bad_plate")
    customer = None
    if phone and phone.strip():
        try:
            number = normalize_phone(phone)
        except InvalidPhoneNumber as exc:
            raise FormError("phone", "bad_phone") from exc
        customer = customers.get_or_create(session, number, now)
        customers.lock(session, customer)
    vehicle = customers.remember_vehicle(session, customer, plate, now) if customer else None
    try:
        started = orders.start_parking(
            session,
            kanava,
            customer=customer,
            vehicle=vehicle,
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
    timeline.record(
        session,
        at=now,
        channel=Channel.WEB,
        kind=EventKind.WEB_ACTION,
        customer=customer,
        order=started.order,
        body=f"web form: park {started.order.plate_display} in {zone.code}",
        data={
            "minutes": minutes,
            "phone_given": customer is not None,
            "plate": started.order.plate_display,
            "zone": zone.code,
        },
    )
    session.commit()
    return started
