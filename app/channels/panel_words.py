"""What the panel says, in the viewer's language: statuses, money, times, timeline events.

Everything here reads structured data (an order's payments, an event's kind, intent and
``data``) and words it with Flask-Babel in the request's locale, times in ``APP_TIMEZONE``.
No database access: the panel service hands over what to word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import format_currency, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.backend.corrections import CorrectionQuote
from app.models import Order
from app.panel.bookings import BookingCancelQuote, MoveQuote
from app.panel.queries import (
    CancelQuote,
    ExtendQuote,
    MoneyState,
    RefundQuote,
    StopQuote,
    TimelineEntry,
)
from app.texts.messages import page_time
from app.usecases.corrections import CorrectionDone

STATUS_WORDS = {
    "awaiting_payment": _l("awaiting payment"),
    "active": _l("running"),
    "ended": _l("ended"),
    "expired": _l("expired"),
    "cancelled": _l("cancelled"),
    "booked": _l("booked"),
}
CHANNEL_WORDS = {
    "sms": _l("SMS"),
    "voice": _l("phone call"),
    "web": _l("web form"),
    "admin": _l("panel"),
    "api": _l("handheld"),
    "system": _l("system"),
    "payment": _l("payment"),
}
KIND_WORDS = {
    "message_in": _l("SMS in"),
    "message_out": _l("SMS out"),
    "call_step": _l("call step"),
    "web_action": _l("web form"),
    "payment": _l("payment"),
    "order": _l("order"),
    "staff_action": _l("staff action"),
    "api_check": _l("handheld check"),
    "system": _l("system"),
    "plate_check": _l("plate check"),
}
PAYMENT_STATUS_WORDS = {
    "pending": _l("waiting for payment"),
    "authorized": _l("card held"),
    "succeeded": _l("paid"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
}
DELIVERY_WORDS = {
    "queued": _l("queued"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "undelivered": _l("not delivered"),
    "failed": _l("failed"),
    "suppressed": _l("not sent"),
}


def money(cents: int, currency: str) -> str:
    return str(format_currency(Decimal(cents) / 100, currency))


def local_time(at: datetime, now: datetime) -> str:
    """``14:05`` on the viewer's local today, ``14:05 (24.11.)`` on another day."""
    clock = page_time(at, "HH:mm")
    if format_datetime(at, "yyyy-MM-dd") == format_datetime(now, "yyyy-MM-dd"):
        return clock
    return f"{clock} ({format_datetime(at, 'd.M.')})"


def money_text(state: MoneyState, now: datetime) -> str:
    """An order's money in a few words: "paid 4,80 €", "awaiting payment: 1,20 €",
    "paid until 12:00; extension until 12:30 not paid: 1,20 €", "free until 08:00"."""
    amount = money(state.amount_cents, state.currency)
    if state.state == "free" and state.free_until is not None:
        return str(_("free until %(time)s", time=local_time(state.free_until, now)))
    if state.state == "free":
        text = str(_("free"))
    elif state.state == "extension_owed" and state.paid_until and state.ends_at:
        text = str(
            _(
                "paid until %(paid)s; extension until %(end)s not paid: %(amount)s",
                paid=local_time(state.paid_until, now),
                end=local_time(state.ends_at, now),
                amount=amount,
            )
        )
    elif state.state in ("extension_owed", "owes"):
        text = str(_("awaiting payment: %(amount)s", amount=amount))
    elif state.state == "hold_asked":
        text = str(_("awaiting payment: card hold of up to %(amount)s", amount=amount))
    elif state.state == "held":
        text = str(_("card held for up to %(amount)s", amount=amount))
    elif state.state == "paid" and state.refunded_cents:
        refunded = money(state.refunded_cents, state.currency)
        text = str(_("paid %(amount)s (%(refunded)s refunded)", amount=amount, refunded=refunded))
    elif state.state == "paid":
        text = str(_("paid %(amount)s", amount=amount))
    else:
        text = str(_("not paid"))
    if state.free_until is not None:
        until = str(_("free until %(time)s", time=local_time(state.free_until, now)))
        text = f"{text} · {until}"
    return text


# ---- the timeline -------------------------------------------------------------------------

KIND_FILTER_WORDS = {
    "sms": _l("SMS"),
    "call": _l("phone calls"),
    "web": _l("web form"),
    "order": _l("orders"),
    "payment": _l("payments"),
    "staff": _l("staff actions"),
    "check": _l("plate checks"),
    "system": _l("system"),
}
PURPOSE_WORDS = {
    "reply": _l("reply"),
    "payment_confirmed": _l("payment confirmation"),
    "reminder": _l("reminder"),
    "expired": _l("end notice"),
    "max_stay_ended": _l("longest stay notice"),
    "unpaid_cancelled": _l("not paid notice"),
    "staff_stop": _l("stopped by staff"),
    "staff_extend": _l("extended by staff"),
    "staff_cancel": _l("cancelled by staff"),
    "staff_refund": _l("refund notice"),
    "unexpected_refund": _l("refund notice"),
    "receipt": _l("receipt"),
    "voice_pay_link": _l("payment link after a call"),
    "voice_stopped": _l("stop confirmation after a call"),
    "voice_confirmation": _l("confirmation after a call"),
    "voice_booking": _l("booking after a call"),
    "voice_booking_cancelled": _l("cancellation after a call"),
}
DROP_REASON_WORDS = {
    "opted out": _l("the driver opted out"),
    "too late": _l("too late to be useful"),
    "order no longer live": _l("the parking had ended"),
    "order end has moved": _l("the parking's end had moved"),
}
DEBT_REMINDER_SKIPPED_WORDS = {
    "no_phone": _l("no phone number"),
    "opted_out": _l("the driver opted out"),
}
CALL_STATE_WORDS = {
    "main": _l("main menu"),
    "zone": _l("zone"),
    "zone_confirm": _l("zone confirmation"),
    "plate": _l("plate"),
    "plate_confirm": _l("plate confirmation"),
    "duration": _l("duration"),
    "quote": _l("price"),
    "pay_choice": _l("payment choice"),
    "pay_card": _l("card payment"),
    "paying": _l("card payment"),
    "choose_order": _l("choice of parking"),
    "extend_minutes": _l("extension"),
    "stop_confirm": _l("stop confirmation"),
    "book_zone": _l("booking zone"),
    "book_day": _l("booking day"),
    "book_date": _l("booking date"),
    "book_start": _l("booking start"),
    "book_hours": _l("booking length"),
    "book_quote": _l("booking price"),
    "book_alternative": _l("free time offered"),
    "bookings": _l("list of bookings"),
    "booking_cancel": _l("booking cancellation"),
    "language": _l("language"),
}
FAILURE_WORDS = {
    "card_declined": _l("card declined"),
    "insufficient_funds": _l("insufficient funds"),
    "expired_card": _l("card expired"),
    "authentication_required": _l("the bank asks for authentication"),
    "incorrect_cvc": _l("wrong security code"),
    "processing_error": _l("processing error"),
}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _cents(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _at(value: object) -> datetime | None:
    """An ISO 8601 time from event data (always stored in UTC), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class _Event:
    """One entry's facts, with the order's plate, zone and currency where the data has none."""

    def __init__(self, entry: TimelineEntry, now: datetime) -> None:
        self.entry = entry
        self.data = entry.data
        self.now = now
        plate, zone, currency = (self.data.get(k) for k in ("plate", "zone", "currency"))
        self.plate = plate if isinstance(plate, str) and plate else entry.plate or ""
        self.zone = zone if isinstance(zone, str) and zone else entry.zone or ""
        given = currency if isinstance(currency, str) and currency else entry.currency
        self.currency: str = given or "EUR"

    def amount(self, key: str = "amount_cents") -> str | None:
        cents = _cents(self.data.get(key))
        return money(cents, self.currency) if cents is not None else None

    def time(self, key: str) -> str | None:
        at = _at(self.data.get(key))
        return local_time(at, self.now) if at else None

    def where(self) -> str:
        if self.plate and self.zone:
            return str(_("%(plate)s in zone %(zone)s", plate=self.plate, zone=self.zone))
        return self.plate or self.zone


def event_text(entry: TimelineEntry, now: datetime) -> str:
    """What happened, in the viewer's language and local time, from the entry's structured
    data; the recorded English body for rows whose data does not say enough."""
    event = _Event(entry, now)
    render = _RENDERERS.get(entry.kind)
    text = render(event) if render else None
    return text if text is not None else entry.body


_STOP_REASONS = {"moved": "moved", "max_stay": "ended_max_stay"}


def _order_action(data: Mapping[str, Any]) -> str | None:
    """The order event's action; for rows recorded before events named it, read from the
    keys those rows had (an extension's from/to, a start's minutes, a stop's amount)."""
    action = data.get("action")
    if isinstance(action, str):
        return action
    if "from" in data and "to" in data:
        return "extended"
    if "minutes" in data and "ends_at" in data:
        return "started"
    if "reason" in data and "amount_cents" in data:
        return _STOP_REASONS.get(str(data["reason"]), "stopped")
    if "reason" in data:
        return "cancelled"
    return None


def _booking_text(e: _Event, action: str) -> str | None:
    """A booking's own events (recorded by the booking backend), with its reference."""
    ref = _text(e.data.get("ref")) or "–"
    where = e.where()
    start = e.time("starts_at") or "–"
    end = e.time("ends_at") or "–"
    amount = e.amount()
    if action == "booking_made":
        text = str(
            _(
                "Booking %(ref)s made: %(where)s, %(start)s–%(end)s",
                ref=ref,
                where=where,
                start=start,
                end=end,
            )
        )
        return f"{text}, {amount}" if amount else text
    if action == "booked":
        return str(_("Booking %(ref)s paid and confirmed: %(where)s", ref=ref, where=where))
    if action == "booking_moved":
        text = str(
            _(
                "Booking %(ref)s moved: %(where)s, now %(start)s–%(end)s",
                ref=ref,
                where=where,
                start=start,
                end=end,
            )
        )
        return f"{text} ({amount})" if amount and _cents(e.data.get("amount_cents")) else text
    if action == "booking_extended":
        text = str(
            _("Booking %(ref)s extended: %(where)s, until %(end)s", ref=ref, where=where, end=end)
        )
        return f"{text}, {amount}" if amount else text
    if action == "hold_lapsed":
        return str(
            _("Booking %(ref)s not paid in time, its hold lapsed: %(where)s", ref=ref, where=where)
        )
    if action == "lost_after_hold":
        return str(
            _(
                "Booking %(ref)s paid after its hold lapsed, zone full: refunded (%(where)s)",
                ref=ref,
                where=where,
            )
        )
    if action == "booking_ended":
        return str(_("Booking %(ref)s ended: %(where)s", ref=ref, where=where))
    if action == "waitlist_offered":
        text = str(
            _(
                "A freed space offered from the waitlist, held as booking %(ref)s: %(where)s, "
                "%(start)s–%(end)s",
                ref=ref,
                where=where,
                start=start,
                end=end,
            )
        )
        return f"{text}, {amount}" if amount else text
    if action == "waitlist_taken":
        return str(_("Waitlist offer taken: booking %(ref)s, %(where)s", ref=ref, where=where))
    return None


BOOKING_ACTIONS = frozenset(
    {
        "booking_made",
        "booked",
        "booking_moved",
        "booking_extended",
        "hold_lapsed",
        "lost_after_hold",
        "booking_ended",
        "waitlist_offered",
        "waitlist_taken",
    }
)


def _order_text(e: _Event) -> str | None:
    action = _order_action(e.data)
    if action in BOOKING_ACTIONS:
        return _booking_text(e, str(action))
    where = e.where()
    amount = e.amount() if "amount_cents" in e.data else e.amount("added_cents")
    if action == "started":
        until = e.time("ends_at")
        text = (
            str(_("Parking started: %(where)s, until %(time)s", where=where, time=until))
            if until
            else str(_("Parking started: %(where)s, until stopped", where=where))
        )
        return f"{text}, {amount}" if amount and _cents(e.data.get("amount_cents")) else text
    if action == "extended":
        until = e.time("to") or "–"
        text = str(_("Parking extended: %(where)s, until %(time)s", where=where, time=until))
        added = _cents(e.data.get("amount_cents", e.data.get("added_cents")))
        if amount and added:
            text += ", " + str(_("%(amount)s more", amount=amount))
        return text
    if action in ("stopped", "moved", "ended_max_stay"):
        lead = {
            "stopped": _("Parking stopped: %(where)s", where=where),
            "moved": _("Parking ended, the car moved to another zone: %(where)s", where=where),
            "ended_max_stay": _("Parking ended at the zone's longest stay: %(where)s", where=where),
        }[str(action)]
        return f"{lead}, {amount}" if amount else str(lead)
    if action == "expired":
        return str(_("Parking time ran out: %(where)s", where=where))
    if action == "extension_lapsed":
        text = str(
            _(
                "Extension not paid, lapsed: %(where)s, valid until %(time)s",
                where=where,
                time=e.time("to") or "–",
            )
        )
        return f"{text} ({amount})" if amount else text
    if action == "corrected":
        return _corrected_text(e)
    if action == "cancelled":
        booking = e.data.get("order_kind") == "booking"
        text = (
            str(_("Booking cancelled: %(where)s", where=where))
            if booking
            else str(_("Parking cancelled: %(where)s", where=where))
        )
        reason = e.data.get("reason")
        if reason == "not paid":
            text += " " + str(_("(not paid in time)"))
        return text
    return None


def _corrected_text(e: _Event) -> str:
    """A correction (issue 12): the plate and zone before and after, and the difference."""
    data, plate, zone = e.data, e.plate or "–", e.zone or "–"
    before = str(
        _(
            "%(plate)s in zone %(zone)s",
            plate=data.get("from_plate", plate),
            zone=data.get("from_zone", zone),
        )
    )
    after = str(
        _(
            "%(plate)s in zone %(zone)s",
            plate=data.get("to_plate", plate),
            zone=data.get("to_zone", zone),
        )
    )
    text = str(_("Parking corrected: %(before)s → %(after)s", before=before, after=after))
    difference = _cents(e.data.get("difference_cents"))
    if difference and difference > 0:
        text += ", " + str(_("%(amount)s more", amount=money(difference, e.currency)))
    elif difference and difference < 0:
        text += ", " + str(_("%(amount)s less", amount=money(-difference, e.currency)))
    return text


def _refund_reason(reason: object) -> str:
    if reason in (None, "", "staff", "requested"):
        return ""
    if reason == "unused time":
        return " " + str(_("(unused time)"))
    return f" «{reason}»"


def _failure(reason: object) -> str:
    code = _text(reason)
    return str(FAILURE_WORDS.get(code, code)) if code else str(_("no reason given"))


def _payment_text(e: _Event) -> str | None:
    action = e.data.get("action")
    amount = e.amount()
    if amount is None and action not in ("charge_failed", "charge_at_stop"):
        return None  # recorded before payment events carried their amount: the body says it
    if action == "checkout_opened":
        return str(_("Payment page opened: %(amount)s", amount=amount))
    if action == "paid":
        text = str(_("Paid %(amount)s", amount=amount))
        if e.data.get("how") == "card by phone":
            text += " " + str(_("(card by phone)"))
        if e.data.get("card_saved"):
            text += ", " + str(_("card saved for later parkings"))
        return text
    if action == "held":
        return str(_("Card held for up to %(amount)s", amount=amount))
    if action == "captured":
        held = e.amount("held_cents")
        if held:
            return str(_("Card charged %(amount)s of %(held)s held", amount=amount, held=held))
        return str(_("Card charged %(amount)s", amount=amount))
    if action == "released":
        return str(_("Card hold of %(amount)s released", amount=amount))
    if action == "refunded":
        if e.data.get("unexpected"):
            return str(_("Refunded %(amount)s that no payment asked for", amount=amount))
        return str(_("Refunded %(amount)s", amount=amount)) + _refund_reason(e.data.get("reason"))
    if action == "card_charged":
        return str(_("Saved card charged %(amount)s", amount=amount))
    if action == "charge_failed":
        reason = _failure(e.data.get("reason"))
        if e.data.get("fallback_payment_id"):
            return str(
                _("Saved card not charged (%(reason)s): payment link sent instead", reason=reason)
            )
        return str(_("Payment failed: %(reason)s", reason=reason))
    if action == "charge_at_stop":
        return str(_("Saved card: charged when the parking stops"))
    minimum = e.amount("minimum_cents") or "–"
    if action == "deferred":
        return str(
            _(
                "%(amount)s not asked now, below the smallest card payment (%(minimum)s):"
                " carried on the order",
                amount=amount,
                minimum=minimum,
            )
        )
    if action == "waived":
        return str(
            _(
                "%(amount)s waived: below the smallest card payment (%(minimum)s)",
                amount=amount,
                minimum=minimum,
            )
        )
    if action == "debt_reminded":
        if e.data.get("sent"):
            return str(_("Reminder of the unpaid %(amount)s sent", amount=amount))
        why = _text(e.data.get("reason"))
        return str(
            _(
                "Unpaid %(amount)s: no reminder (%(reason)s)",
                amount=amount,
                reason=DEBT_REMINDER_SKIPPED_WORDS.get(why, why),
            )
        )
    return None


def _staff_text(e: _Event) -> str | None:
    intent = e.entry.intent
    note = _text(e.data.get("note"))
    text: str | None
    if intent == "stop":
        text = str(_("Stopped the parking %(where)s", where=e.where()))
    elif intent == "extend":
        minutes = _cents(e.data.get("minutes"))
        text = (
            str(_("Extended %(where)s by %(minutes)s min", where=e.where(), minutes=minutes))
            if minutes
            else None
        )
    elif intent == "cancel":
        text = str(_("Cancelled the order %(where)s", where=e.where()))
    elif intent == "refund":
        amount = e.amount()
        text = str(_("Refunded %(amount)s", amount=amount)) if amount else None
    elif intent == "note":
        return str(_("Note: «%(text)s»", text=e.entry.body))
    else:
        text = _admin_text(e)
    if text is not None and note:
        text += f" «{note}»"
    return text


def _admin_text(e: _Event) -> str | None:
    """Staff actions on zones, users and handheld tokens (no order)."""
    intent = e.entry.intent
    zone = e.data.get("zone")
    code = _text(zone.get("code") if isinstance(zone, Mapping) else zone).upper()
    user, token = _text(e.data.get("user")), _text(e.data.get("token"))
    if intent == "zone_saved":
        return str(_("Saved zone %(zone)s", zone=code))
    if intent == "zone_active":
        return str(_("Zone %(zone)s taken into use", zone=code))
    if intent == "zone_inactive":
        return str(_("Zone %(zone)s taken out of use", zone=code))
    if intent == "user_created":
        return str(_("Created the user %(user)s", user=user))
    if intent == "user_active":
        return str(_("Let the user %(user)s sign in again", user=user))
    if intent == "user_inactive":
        return str(_("Stopped the user %(user)s from signing in", user=user))
    if intent == "token_created":
        return str(_("Created the handheld token %(token)s", token=token))
    if intent == "token_revoked":
        return str(_("Revoked the handheld token %(token)s", token=token))
    return None


def _call_text(e: _Event) -> str | None:
    intent = e.entry.intent
    state = _text(e.data.get("state"))
    state_words = str(CALL_STATE_WORDS.get(state, state)) if state else ""
    if intent == "call_start":
        return str(_("Call started"))
    if intent == "call_end":
        return (
            str(_("Call ended (%(state)s)", state=state_words)) if state else str(_("Call ended"))
        )
    if intent == "silence":
        return str(_("No answer (%(state)s)", state=state_words))
    if intent == "repeat":
        return str(_("Asked to hear it again (%(state)s)", state=state_words))
    if intent == "transfer":
        return str(_("Transferred to an operator"))
    if intent == "call_to_person":
        return str(_("Asked for a person on the phone: in the staff inbox"))
    if intent == "call_not_understood":
        return str(_("Not understood twice on the phone: in the staff inbox"))
    if intent == "call_gave_up":
        return str(_("Not understood three times: the call ended (%(state)s)", state=state_words))
    if intent == "error":
        return str(_("Technical problem: the call ended"))
    if intent == "pay":
        result = e.data.get("result")
        if result == "success":
            return str(_("Card accepted by phone"))
        return str(
            _(
                "Card by phone not accepted: %(reason)s",
                reason=_failure(e.data.get("error") or result),
            )
        )
    digits = _text(e.data.get("digits"))
    speech = _text(e.data.get("speech"))
    if digits:
        return str(_("Pressed %(keys)s (%(state)s)", keys=digits, state=state_words))
    if speech:
        return str(_("Said «%(speech)s» (%(state)s)", speech=speech, state=state_words))
    return None


def _order_page_text(e: _Event, action: str) -> str:
    amount = e.amount() if _cents(e.data.get("amount_cents")) else None
    if action == "stop":
        text = str(_("Stopped on the order page: %(where)s", where=e.where()))
    else:
        text = str(
            _(
                "Extended on the order page: %(where)s, until %(time)s",
                where=e.where(),
                time=e.time("ends_at") or "–",
            )
        )
        amount = str(_("%(amount)s more", amount=amount)) if amount else None
    return f"{text}, {amount}" if amount else text


def _web_text(e: _Event) -> str | None:
    action = e.data.get("action")
    if action in ("stop", "extend"):
        return _order_page_text(e, str(action))
    if action == "cancel_booking":
        text = str(
            _(
                "Booking %(ref)s cancelled on its page: %(where)s",
                ref=_text(e.data.get("ref")) or "–",
                where=e.where(),
            )
        )
        refunded = e.amount() if _cents(e.data.get("amount_cents")) else None
        if refunded:
            return str(_("%(text)s, %(amount)s refunded", text=text, amount=refunded))
        return text
    if "minutes" not in e.data or not e.plate:
        return None
    minutes = _cents(e.data.get("minutes"))
    text = (
        str(
            _(
                "Parked by the web form: %(where)s, %(minutes)s min",
                where=e.where(),
                minutes=minutes,
            )
        )
        if minutes
        else str(_("Parked by the web form: %(where)s, until stopped", where=e.where()))
    )
    if e.data.get("phone_given") is False:
        text += " " + str(_("(no phone number)"))
    return text


def _system_text(e: _Event) -> str | None:
    purpose = _text(e.data.get("purpose"))
    what = str(PURPOSE_WORDS.get(purpose, purpose)) if purpose else str(_("SMS"))
    if e.entry.intent == "settle_failed":
        return str(_("The parking could not be ended at its longest stay; retrying"))
    if "late_minutes" in e.data:
        late = _cents(e.data.get("late_minutes"))
        return str(
            _("SMS not sent (%(what)s): %(late)s min late after downtime", what=what, late=late)
        )
    if "reason" in e.data and "outbound_id" in e.data:
        reason = _text(e.data.get("reason"))
        return str(
            _(
                "SMS not sent (%(what)s): %(reason)s",
                what=what,
                reason=DROP_REASON_WORDS.get(reason, reason),
            )
        )
    if "error" in e.data and "outbound_id" in e.data:
        return str(_("SMS not sent (%(what)s): sending failed", what=what))
    if "status" in e.data and "outbound_id" in e.data:
        status = _text(e.data.get("status"))
        return str(
            _("SMS %(status)s (%(what)s)", status=DELIVERY_WORDS.get(status, status), what=what)
        )
    return None


def _plate_check_text(e: _Event) -> str | None:
    valid = e.data.get("valid")
    status = _text(e.data.get("status"))
    verdict = str(_("valid")) if valid else str(_("not valid"))
    if status:
        verdict += f" ({STATUS_WORDS.get(status, status)})"
    if e.zone:
        return str(
            _(
                "%(plate)s checked in zone %(zone)s: %(verdict)s",
                plate=e.plate,
                zone=e.zone,
                verdict=verdict,
            )
        )
    return str(_("%(plate)s checked: %(verdict)s", plate=e.plate, verdict=verdict))


_RENDERERS = {
    "order": _order_text,
    "payment": _payment_text,
    "staff_action": _staff_text,
    "call_step": _call_text,
    "web_action": _web_text,
    "system": _system_text,
    "plate_check": _plate_check_text,
}


# ---- confirmations of staff actions --------------------------------------------------------


@dataclass(frozen=True)
class ConfirmWords:
    """A confirmation page's words: its title, the one sentence naming the amounts, the
    facts behind them, and the label of the button that does it."""

    title: str
    sentence: str
    facts: list[tuple[str, str]]
    button: str


def _order_facts(order: Order, now: datetime) -> list[tuple[str, str]]:
    start = local_time(order.starts_at, now)
    end = local_time(order.ends_at, now) if order.ends_at else str(_("until stopped"))
    return [
        (str(_("Order")), f"#{order.id} {order.plate_display}"),
        (str(_("Zone")), f"{order.zone.code} {order.zone.name}"),
        (str(_("Parked")), f"{start}–{end}"),
    ]


def stop_words(quote: StopQuote, now: datetime) -> ConfirmWords:
    order = quote.order
    plate = order.plate_display
    currency = order.currency
    if quote.charge_cents and quote.from_hold:
        sentence = _(
            "Stop %(plate)s now: %(amount)s will be charged from the card held.",
            plate=plate,
            amount=money(quote.charge_cents, currency),
        )
    elif quote.charge_cents:
        sentence = _(
            "Stop %(plate)s now: %(amount)s will be charged.",
            plate=plate,
            amount=money(quote.charge_cents, currency),
        )
    elif quote.waived_cents and quote.refund_cents:
        sentence = _(
            "Stop %(plate)s now: %(refund)s of what was paid goes back to the card, and "
            "%(amount)s is not charged: under the %(minimum)s minimum.",
            plate=plate,
            refund=money(quote.refund_cents, currency),
            amount=money(quote.waived_cents, currency),
            minimum=money(quote.minimum_cents, currency),
        )
    elif quote.waived_cents:
        sentence = _(
            "Stop %(plate)s now: no charge, %(amount)s is under the %(minimum)s minimum.",
            plate=plate,
            amount=money(quote.waived_cents, currency),
            minimum=money(quote.minimum_cents, currency),
        )
    elif quote.refund_cents:
        sentence = _(
            "Stop %(plate)s now: %(amount)s of what was paid goes back to the card.",
            plate=plate,
            amount=money(quote.refund_cents, currency),
        )
    else:
        sentence = _("Stop %(plate)s now: nothing more is charged.", plate=plate)
    facts = _order_facts(order, now)
    facts.append(
        (
            str(_("Cost until now (%(time)s)", time=local_time(quote.at, now))),
            money(quote.cost_cents, currency),
        )
    )
    facts.append((str(_("Paid so far")), money(quote.paid_cents, currency)))
    return ConfirmWords(
        str(_("Stop parking %(plate)s?", plate=plate)),
        str(sentence),
        facts,
        str(_("Stop %(plate)s now", plate=plate)),
    )


def extend_words(quote: ExtendQuote, now: datetime) -> ConfirmWords:
    order = quote.order
    plate = order.plate_display
    added = money(quote.added_cents, order.currency)
    until = local_time(quote.new_end, now)
    if quote.by_card:
        sentence = str(
            _(
                "Extend %(plate)s by %(minutes)s min, until %(time)s: %(amount)s more will be"
                " charged.",
                plate=plate,
                minutes=quote.minutes,
                time=until,
                amount=added,
            )
        )
    else:
        sentence = str(
            _(
                "Extend %(plate)s by %(minutes)s min, until %(time)s: %(amount)s more, asked"
                " from the driver with a link to pay.",
                plate=plate,
                minutes=quote.minutes,
                time=until,
                amount=added,
            )
        )
    if quote.capped:
        sentence += " " + str(_("That is the zone's longest stay."))
    facts = _order_facts(order, now)
    facts.append((str(_("New end")), until))
    # The price booked so far; refunds are named beside it, not netted.
    facts.append((str(_("Price before this extension")), money(order.amount_cents, order.currency)))
    refunded = sum(p.refunded_cents for p in order.payments)
    if refunded:
        facts.append((str(_("Refunded")), money(refunded, order.currency)))
    return ConfirmWords(
        str(_("Extend parking %(plate)s?", plate=plate)),
        sentence,
        facts,
        str(_("Extend until %(time)s", time=until)),
    )


def cancel_words(quote: CancelQuote, now: datetime) -> ConfirmWords:
    order = quote.order
    plate = order.plate_display
    currency = order.currency
    sentence = str(_("Cancel %(plate)s now: nothing more is asked of the driver.", plate=plate))
    if quote.held_cents:
        sentence += " " + str(
            _("The card hold of %(amount)s is released.", amount=money(quote.held_cents, currency))
        )
    if quote.paid_cents:
        sentence += " " + str(
            _(
                "The %(amount)s paid stays paid: refund it separately if needed.",
                amount=money(quote.paid_cents, currency),
            )
        )
    facts = _order_facts(order, now)
    if quote.pending_cents:
        facts.append((str(_("No longer asked")), money(quote.pending_cents, currency)))
    return ConfirmWords(
        str(_("Cancel order %(plate)s?", plate=plate)),
        sentence,
        facts,
        str(_("Cancel %(plate)s now", plate=plate)),
    )


def refund_words(quote: RefundQuote, now: datetime) -> ConfirmWords:
    payment = quote.payment
    order = payment.order
    currency = payment.currency
    amount = money(quote.amount_cents, currency)
    sentence = str(
        _(
            "Refund %(amount)s of %(left)s to the card.",
            amount=amount,
            left=money(quote.left_cents, currency),
        )
    )
    facts = _order_facts(order, now)
    facts.append((str(_("Paid")), money(quote.captured_cents, currency)))
    if quote.refunded_cents:
        facts.append((str(_("Refunded before")), money(quote.refunded_cents, currency)))
    return ConfirmWords(
        str(_("Refund to %(plate)s?", plate=order.plate_display)),
        sentence,
        facts,
        str(_("Refund %(amount)s", amount=amount)),
    )


def correct_words(quote: CorrectionQuote, now: datetime) -> ConfirmWords:
    """The confirmation of a staff correction: before → after, and the money it moves."""
    order = quote.order
    before = str(_("%(plate)s in zone %(zone)s", plate=order.plate_display, zone=order.zone.code))
    after = str(_("%(plate)s in zone %(zone)s", plate=quote.plate, zone=quote.zone.code))
    sentence = str(_("Correct the parking: %(before)s → %(after)s.", before=before, after=after))
    if quote.difference_cents > 0:
        more = money(quote.difference_cents, order.currency)
        sentence += " " + str(_("%(amount)s more is asked of the driver.", amount=more))
    elif quote.difference_cents < 0:
        less = money(-quote.difference_cents, order.currency)
        sentence += " " + str(_("%(amount)s less: not asked, or refunded.", amount=less))
    else:
        sentence += " " + str(_("The price does not change."))
    facts = _order_facts(order, now)
    if quote.ends_at is not None and quote.ends_at != order.ends_at:
        facts.append((str(_("New end")), local_time(quote.ends_at, now)))
    facts.append((str(_("Price")), money(quote.amount_cents, order.currency)))
    return ConfirmWords(
        str(_("Correct parking %(plate)s?", plate=order.plate_display)),
        sentence,
        facts,
        str(_("Correct")),
    )


CORRECTION_ERRORS = {
    "unknown": _l("No such order."),
    "too_late": _l(
        "Too late to correct: a parking can be corrected only within the correction window"
        " after its start. Stop it, and the driver parks again."
    ),
    "unchanged": _l("That is what the parking already has: nothing changed."),
    "bad_plate": _l("Check the plate: it should look like ABC-123."),
    "unknown_zone": _l("There is no such zone. The zone code is on the sign."),
    "nothing": _l("Give the right plate or the right zone."),
}


def correction_error_text(code: str) -> str:
    return str(CORRECTION_ERRORS.get(code, code))


def corrected_text(done: CorrectionDone) -> str:
    """What a staff correction did, for the flash message."""
    order = done.order
    text = str(
        _(
            "Parking corrected: now %(plate)s in zone %(zone)s.",
            plate=order.plate_display,
            zone=order.zone.code,
        )
    )
    if done.payment is not None:
        asked = money(done.payment.amount_cents, order.currency)
        text += " " + str(_("%(amount)s is asked through the payment link.", amount=asked))
    if done.refunded_cents:
        refunded = money(done.refunded_cents, order.currency)
        text += " " + str(_("%(amount)s was refunded to the card.", amount=refunded))
    return text + " " + str(_("The driver was told by SMS."))


def booking_cancel_words(quote: BookingCancelQuote, now: datetime) -> ConfirmWords:
    """Cancelling a booking for staff: what its zone's terms refund now."""
    order = quote.order
    ref = order.booking_ref or ""
    currency = order.currency
    sentence = str(_("Cancel booking %(ref)s now: its space is free at once.", ref=ref))
    if quote.refund_cents:
        sentence += " " + str(
            _("%(amount)s is refunded to the card.", amount=money(quote.refund_cents, currency))
        )
    elif quote.paid_cents:
        sentence += " " + str(
            _(
                "By the zone's terms nothing of the %(amount)s paid is refunded now: refund "
                "it separately if needed.",
                amount=money(quote.paid_cents, currency),
            )
        )
    start = local_time(order.starts_at, now)
    end = local_time(order.ends_at, now) if order.ends_at else "–"
    facts = [
        (str(_("Booking")), f"{ref} {order.plate_display}"),
        (str(_("Zone")), f"{order.zone.code} {order.zone.name}"),
        (str(_("Time")), f"{start}–{end}"),
        (str(_("Paid")), money(quote.paid_cents, currency)),
    ]
    return ConfirmWords(
        str(_("Cancel booking %(ref)s?", ref=ref)),
        sentence,
        facts,
        str(_("Cancel booking %(ref)s now", ref=ref)),
    )


def booking_cancelled_text(order: Order, refunded_cents: int) -> str:
    text = str(_("Booking %(ref)s cancelled.", ref=order.booking_ref or ""))
    if refunded_cents:
        refunded = money(refunded_cents, order.currency)
        text += " " + str(_("%(amount)s was refunded to the card.", amount=refunded))
    if order.customer is not None:
        text += " " + str(_("The driver was told by SMS."))
    return text


def booking_made_text(order: Order, pay_link: str | None) -> str:
    """What a staff booking did: its reference and window, and how the driver pays."""
    start = page_time(order.starts_at, "d.M. HH:mm")
    end = page_time(order.ends_at, "HH:mm") if order.ends_at else ""
    text = str(
        _(
            "Booking %(ref)s made for %(plate)s, %(start)s–%(end)s.",
            ref=order.booking_ref or "",
            plate=order.plate_display,
            start=start,
            end=end,
        )
    )
    if pay_link:
        text += " " + str(
            _(
                "It holds its space until %(time)s; the driver pays by this link: %(link)s",
                time=page_time(order.hold_expires_at, "HH:mm") if order.hold_expires_at else "",
                link=pay_link,
            )
        )
    return text


def booking_move_words(quote: MoveQuote, now: datetime) -> ConfirmWords:
    """Moving a booking for staff: the new window and what it costs or refunds."""
    order = quote.order
    ref = order.booking_ref or ""
    currency = order.currency
    new = f"{local_time(quote.window.start, now)}–{local_time(quote.window.end, now)}"
    sentence = str(_("Move booking %(ref)s to %(window)s.", ref=ref, window=new))
    if quote.difference_cents > 0:
        more = money(quote.difference_cents, currency)
        sentence += " " + str(_("The driver is asked to pay %(amount)s more.", amount=more))
    elif quote.difference_cents < 0:
        back = money(-quote.difference_cents, currency)
        sentence += " " + str(_("%(amount)s is refunded to the card.", amount=back))
    old_end = local_time(order.ends_at, now) if order.ends_at else "–"
    old = f"{local_time(order.starts_at, now)}–{old_end}"
    facts = [
        (str(_("Booking")), f"{ref} {order.plate_display}"),
        (str(_("Now")), old),
        (str(_("New time")), new),
        (str(_("New price")), money(quote.price_cents, currency)),
    ]
    return ConfirmWords(
        str(_("Move booking %(ref)s?", ref=ref)),
        sentence,
        facts,
        str(_("Move booking %(ref)s now", ref=ref)),
    )


def booking_moved_text(order: Order, difference_cents: int, refunded_cents: int) -> str:
    text = str(_("Booking %(ref)s moved.", ref=order.booking_ref or ""))
    if difference_cents > 0:
        more = money(difference_cents, order.currency)
        text += " " + str(_("The driver is asked to pay %(amount)s more.", amount=more))
    if refunded_cents:
        back = money(refunded_cents, order.currency)
        text += " " + str(_("%(amount)s was refunded to the card.", amount=back))
    return text
