"""A booking as a calendar file (RFC 5545 ``.ics``, built with icalendar), in the driver's
language, so the booking lands in their phone's calendar with its reference and window."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale

from app.kernel import Kanava
from app.models import Order
from app.texts.messages import _, language_of


def booking_ics(order: Order, kanava: Kanava, now: datetime) -> bytes:
    """The ``.ics`` of ``order`` (a booking): one event over its window (UTC instants, so no
    calendar can shift it across a DST change), with the reference, plate and zone."""
    assert order.ends_at is not None
    lang = language_of(order)
    with force_locale(lang):
        summary = _(
            "Parking booked: zone %(zone)s %(name)s", zone=order.zone.code, name=order.zone.name
        )
        description = _(
            "Booking %(ref)s for %(plate)s. Cancel: UNBOOK %(ref)s",
            ref=order.booking_ref,
            plate=order.plate_display,
        )
    # icalendar (about 3 MiB) only when a calendar file is asked for.
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Kanava//bookings//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add(
        "uid", f"booking-{order.booking_ref}@{kanava.settings.public_base_url.split('://')[-1]}"
    )
    event.add("dtstamp", now)
    event.add("dtstart", order.starts_at)
    event.add("dtend", order.ends_at)
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", f"{order.zone.code} {order.zone.name}")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
