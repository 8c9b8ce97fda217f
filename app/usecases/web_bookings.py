"""Booking on the web (and by any front door that is not a conversation): one request books
one window, commits once, then sends the outbox. The ``/book`` pages call this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.backend import bookings, customers, ledger, zones
from app.backend.orders import OrderError
from app.domain.booking_policy import Interval
from app.kernel import Kanava
from app.models import Channel, Order
from app.usecases import outbox_dispatch as notifications


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
