"""The waitlist by SMS: ``JONOON``/``KÖA``/``WAITLIST`` joins the line for a full window
(the one the last "full" answer named, or one given as ``VARAA`` takes it), and
``K``/``JA``/``YES`` takes a space offered from the line.

Called by :mod:`app.usecases.sms.conversation` inside its transaction (it commits once);
talks to :mod:`app.backend.waitlist` and words the answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.backend import booking_space, bookings, ledger, waitlist, zones
from app.domain.booking_policy import Interval, requested_window
from app.domain.booking_text import BookingProblem, parse_booking
from app.models import Order
from app.texts import bookings as booking_texts
from app.texts import waitlist as texts
from app.usecases.sms.bookings import WAIT, BookingDialogue, BookingReply


def join(dialogue: BookingDialogue, body: str, pending: dict[str, Any] | None) -> BookingReply:
    """``WAITLIST [zone day time [plate]]``: join the line, or book at once when a space is
    free after all."""
    parts = body.strip().split(None, 1)
    rest = parts[1] if len(parts) > 1 else ""
    wanted = _wanted_from_text(dialogue, rest) if rest else _wanted_from_pending(dialogue, pending)
    if isinstance(wanted, BookingReply):
        return wanted
    zone_code, window, plate = wanted
    zone = zones.find(dialogue.session, zone_code)
    if zone is None or zones.booking_policy_of(zone) is None:
        return BookingReply(
            booking_texts.not_bookable(
                zone_code, [z.code for z in zones.bookable_zones(dialogue.session)], dialogue.lang
            ),
            understood=False,
        )
    policy = bookings.policy_for(zone)
    if booking_space.has_room(dialogue.session, zone.id, policy.capacity, window, dialogue.now):
        # Free after all (a space freed since the "full" answer): book it as VARAA would.
        return dialogue._make(zone.code, window, plate)
    joined = waitlist.join(
        dialogue.session,
        customer=dialogue.customer,
        zone=zone,
        window=window,
        plate=plate,
        language=dialogue.lang,
        now=dialogue.now,
    )
    dialogue._clear()
    text = texts.joined(
        zone.code, window, joined.position, joined.already, dialogue.lang, dialogue.kanava
    )
    return BookingReply(text)


def _wanted_from_pending(
    dialogue: BookingDialogue, pending: dict[str, Any] | None
) -> tuple[str, Interval, str] | BookingReply:
    wait = (pending or {}).get(WAIT)
    if not wait:
        example = next((z.code for z in zones.bookable_zones(dialogue.session)), "EV1")
        return BookingReply(texts.need_window(example, dialogue.lang), understood=False)
    window = Interval(datetime.fromisoformat(wait["start"]), datetime.fromisoformat(wait["end"]))
    return str(wait["zone"]), window, str(wait["plate"])


def _wanted_from_text(
    dialogue: BookingDialogue, rest: str
) -> tuple[str, Interval, str] | BookingReply:
    parsed = parse_booking(rest, today=dialogue._today(), known_zones=dialogue.known_zones)
    if isinstance(parsed, BookingProblem):
        return dialogue._problem(parsed)
    zone = zones.find(dialogue.session, parsed.zone)
    policy = zones.booking_policy_of(zone) if zone is not None else None
    if zone is None or policy is None:
        return dialogue._not_bookable(parsed.zone)
    if parsed.times is None:
        return BookingReply(texts.need_window(zone.code, dialogue.lang), understood=False)
    window = requested_window(
        parsed.day, parsed.times, dialogue.kanava.settings.tz, default_minutes=policy.slot_minutes
    )
    if window is None:
        return dialogue._problem(BookingProblem("bad_time", ("bad_time",), zone=zone.code))
    plate = parsed.plate or dialogue._usual_plate()
    if plate is None:
        return BookingReply(booking_texts.need_plate_for_booking(dialogue.lang), understood=False)
    return zone.code, window, plate


def take(dialogue: BookingDialogue) -> BookingReply | None:
    """``YES`` to an open offer: the booking is the driver's, to pay as any booking.
    None when the driver has no open offer (the caller answers the yes otherwise)."""
    entry = waitlist.open_offer(dialogue.session, dialogue.customer, dialogue.now)
    if entry is None:
        return None
    taken = waitlist.take_offer(dialogue.session, dialogue.kanava, entry, dialogue.now)
    if taken is None:
        return None
    order: Order = taken.order
    link = ledger.link_to_pay(dialogue.kanava, taken.payment)
    text = booking_texts.booking_made(
        order,
        link,
        bookings.terms_of(order.zone),
        dialogue.lang,
        dialogue.kanava,
        dialogue.now,
    )
    return BookingReply(text, order=order)
