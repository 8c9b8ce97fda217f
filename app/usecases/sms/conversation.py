"""The SMS conversation: one inbound message in, one reply out, exactly once.

:func:`receive_sms` is the use case behind ``POST /twilio/sms``. It claims the delivery's
``MessageSid``, records the message in the timeline, understands it, calls the order
backend, records the reply, and commits all of it together. A retried or concurrently
duplicated delivery gets the stored reply and does nothing else.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.backend import contacts, customers, ledger, orders, receipts, sms_records, zones
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.backend.hot_statements import HotStatement
from app.domain.parsing import Intent, ParsedMessage, parse_sms
from app.domain.plates import display_plate, is_probable_typo, normalize_plate
from app.kernel import Kanava
from app.models import (
    Channel,
    Customer,
    Event,
    EventKind,
    Order,
    Vehicle,
)
from app.texts import messages
from app.usecases import outbox_dispatch as notifications
from app.usecases.sms import bookings as sms_bookings
from app.usecases.sms import reply_cap, support
from app.usecases.sms import waitlist as sms_waitlist
from app.usecases.sms.corrections import CorrectionSteps
from app.usecases.sms.prices import PriceSteps
from app.usecases.sms.reply_cap import capped_reply
from app.usecases.sms.steps import Reply
from app.usecases.sms.suggestions import SuggestionSteps

log = logging.getLogger(__name__)

PENDING_TTL = timedelta(minutes=15)
REPEAT_WINDOW = timedelta(minutes=15)


def receive_sms(
    session: Session,
    kanava: Kanava,
    *,
    message_sid: str,
    from_number: str,
    to_number: str,
    body: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
    reply_by_outbox: bool = False,
) -> str:
    """Handle one inbound SMS and return the reply text ("" for no reply). Commits.

    Idempotent by ``message_sid``: a repeat returns the first reply and changes nothing.
    Never loses the message: if handling fails, the message is still recorded, marked not
    understood, and the sender gets an apology. With ``reply_by_outbox`` (a message replayed
    from the spool, whose webhook was answered long ago) the reply is sent as an SMS
    through the outbox instead of being returned for TwiML.
    """
    # PostgreSQL text cannot hold NUL; other control characters are noise from some phones.
    body = "".join(c for c in body if c >= " " or c in "\n\t")
    try:
        reply_text = _converse(
            session, kanava, message_sid, from_number, body, now, extra, reply_by_outbox, to_number
        )
    except Exception:
        log.exception("inbound SMS %s could not be handled", message_sid)
        session.rollback()
        reply_text = _record_failure(session, kanava, message_sid, from_number, body, now)
    if reply_text is None:
        # A repeat, or a concurrent duplicate that has committed meanwhile (the claim
        # waited for it on PostgreSQL): its reply, nothing done again.
        stored = sms_records.stored_reply(session, message_sid)
        session.rollback()
        return stored
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return reply_text


@functools.lru_cache(maxsize=4096)
def _phone_key(from_number: str) -> str:
    """The sender's E.164 number (parsed by phonenumbers once per number and process)."""
    try:
        return normalize_phone(from_number)
    except InvalidPhoneNumber:
        return from_number.strip()[:20] or "unknown"


def _record_failure(
    session: Session, kanava: Kanava, sid: str, from_number: str, body: str, now: datetime
) -> str | None:
    """Record a message whose handling failed (rolled back): not understood, answered with
    an apology. None when its ``MessageSid`` was claimed meanwhile by a duplicate."""
    _, _, inbound = sms_records.claim(
        session, _phone_key(from_number), message_sid=sid, body=body, now=now
    )
    if inbound is None:  # committed by a duplicate meanwhile: nothing of ours stands
        return None
    inbound.intent = "error"
    inbound.data = {"problem": "internal_error"}
    inbound.understood = False
    lang = customers.choose_language(None, inbound.customer, kanava.settings.default_language)
    text = messages.technical_problem(lang)
    sms_records.write_outcome(session, inbound, reply=text, reply_event=True)
    return text


def _converse(
    session: Session,
    kanava: Kanava,
    sid: str,
    from_number: str,
    body: str,
    now: datetime,
    extra: dict[str, Any] | None,
    reply_by_outbox: bool = False,
    to_number: str | None = None,
) -> str | None:
    """Claim the message, handle it and write its outcome; its reply, or None when its
    ``MessageSid`` was claimed already (nothing done).

    The customer's row is locked with the claim, in one statement on PostgreSQL
    (:func:`app.backend.sms_records.claim`).
    """
    customer, new_customer, inbound = sms_records.claim(
        session, _phone_key(from_number), message_sid=sid, body=body, now=now
    )
    if inbound is None:
        return None
    known = zones.active_codes(session)
    parsed = parse_sms(body, known_zones=known)
    lang = customers.choose_language(parsed, customer, kanava.settings.default_language)
    # A new customer has no earlier messages: nothing to read.
    earlier = (
        _Earlier(False, 0, False)
        if new_customer
        else _earlier_messages(session, customer, inbound, now)
    )
    data = {"repeat": True} if earlier.repeat else None
    if extra:
        data = {**(data or {}), **extra}
    inbound.intent = parsed.intent.value
    inbound.data = data
    reply_text = _answer(
        session, kanava, customer, new_customer, inbound, parsed, lang, known, body, now,
        reply_by_outbox, to_number, received=earlier.received + 1,
        failed_before=earlier.failed_payment,
    )  # fmt: skip
    customers.remember_language(customer, parsed, bool(inbound.understood))
    sms_records.write_outcome(
        session, inbound, reply=reply_text, reply_event=bool(reply_text) and not reply_by_outbox
    )
    return reply_text


def _answer(
    session: Session,
    kanava: Kanava,
    customer: Customer,
    new_customer: bool,
    inbound: Event,
    parsed: ParsedMessage,
    lang: str,
    known: list[str],
    body: str,
    now: datetime,
    reply_by_outbox: bool,
    to_number: str | None,
    *,
    received: int,
    failed_before: bool,
) -> str:
    """Handle the claimed message: its reply text; ``inbound`` gets what was found.
    ``received``: the number's inbound SMS within the reply cap's window, this one too;
    ``failed_before``: a payment of the number's failed lately (read before handling)."""
    if customer.opted_out and parsed.intent not in (Intent.OPT_IN, Intent.OPT_OUT):
        inbound.understood = parsed.intent is not Intent.UNKNOWN
        inbound.data = {**(inbound.data or {}), "suppressed": "opted_out"}
        if parsed.intent is Intent.STOP:
            # Opting out must never trap a running parking: it still ends, silently.
            silent = _Conversation(session, kanava, customer, parsed, lang, now, known, body)
            inbound.order = silent.stop_all_silently()
        return ""

    conversation = _Conversation(session, kanava, customer, parsed, lang, now, known, body)
    conversation.new_customer = new_customer
    asked_before = customer.pending
    reply = conversation.handle()
    inbound.understood = reply.understood
    inbound.intent = reply.intent
    inbound.order = reply.order
    if parsed.problem:
        inbound.data = {**(inbound.data or {}), "problem": parsed.problem}
    handover = support.route(
        session, kanava, customer=customer, inbound=inbound, parsed=parsed, lang=lang,
        understood=reply.understood, known_zones=known, to_number=to_number, now=now,
        first_contact=new_customer, new_order=reply.new_order, failed_before=failed_before,
        in_dialogue=reply.reasked,
    )  # fmt: skip
    if handover is not None:
        reply = Reply(handover.text, bool(inbound.understood), reply.intent, reply.order)
        if customer.pending != asked_before:
            # The grammar's question was never sent (the case's reply replaced it).
            customer.pending = asked_before
    reply.text, cap = capped_reply(kanava, reply.text, lang, received=received)
    if cap:
        inbound.data = {**(inbound.data or {}), "reply_cap": cap}
    if reply.text and reply_by_outbox:
        notifications.queue_sms(
            session, kanava, customer, reply.text, purpose="reply", now=now, order=reply.order
        )
    return reply.text


class _Earlier(NamedTuple):
    # The previous message came shortly before and was not understood: a repeat contact.
    repeat: bool
    # The number's inbound SMS within the reply cap's window (reply_cap.WINDOW).
    received: int
    # A payment of the number's failed lately (contacts.FAILED_PAYMENT_LATELY): read here
    # with the rest instead of once more when the message is classified.
    failed_payment: bool


_EARLIER = HotStatement(
    select(
        select(Event.understood)
        .where(
            Event.customer_id == bindparam("customer_id"),
            Event.kind == EventKind.MESSAGE_IN,
            Event.created_at >= bindparam("repeat_since", type_=Event.created_at.type),
            Event.id < bindparam("inbound_id"),
        )
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(1)
        .scalar_subquery(),
        select(func.count())
        .select_from(Event)
        .where(
            Event.customer_id == bindparam("customer_id"),
            Event.channel == Channel.SMS,
            Event.kind == EventKind.MESSAGE_IN,
            Event.created_at > bindparam("cap_since", type_=Event.created_at.type),
            Event.id < bindparam("inbound_id"),
        )
        .scalar_subquery(),
        contacts.FAILED_PAYMENT_LATELY,
    )
)


def _earlier_messages(
    session: Session, customer: Customer, inbound: Event, now: datetime
) -> _Earlier:
    """What the customer's earlier messages say about this one, in one read (a statement
    built once) before this one is written, under the customer's row lock: every node and
    worker counts the same for the reply cap."""
    params = {
        "customer_id": customer.id,
        "inbound_id": inbound.id,
        "repeat_since": now - REPEAT_WINDOW,
        "cap_since": now - reply_cap.WINDOW,
        **contacts.failed_payment_params(customer.id, now),
    }
    ((last_understood, received, failed),) = _EARLIER.rows(session.connection(), params)
    return _Earlier(
        repeat=last_understood is False, received=int(received or 0), failed_payment=bool(failed)
    )


class _Conversation(SuggestionSteps, PriceSteps, CorrectionSteps):
    """One inbound message's dialogue with the order backend."""

    def __init__(
        self,
        session: Session,
        kanava: Kanava,
        customer: Customer,
        parsed: ParsedMessage,
        lang: str,
        now: datetime,
        known_zones: list[str],
        body: str = "",
    ) -> None:
        self.body = body
        self.session = session
        self.kanava = kanava
        self.customer = customer
        self.parsed = parsed
        self.lang = lang
        self.now = now
        self.known_zones = known_zones
        self.pending = self._live_pending()
        # Created by this message's transaction: no vehicles, orders or events to read.
        self.new_customer = False
        # The customer's vehicles once read in this transaction (the typo check reads them).
        self.vehicles: list[Vehicle] | None = None

    # -- pending questions ("which car?", "did you mean …?") ----------------------------

    def _live_pending(self) -> dict[str, Any] | None:
        pending = self.customer.pending
        if not pending:
            return None
        try:
            expires = datetime.fromisoformat(pending["expires"])
        except (KeyError, ValueError):
            return None
        return pending if expires > self.now else None

    def _ask(self, **question: Any) -> None:
        question["expires"] = (self.now + PENDING_TTL).isoformat()
        self.customer.pending = question

    def _clear(self) -> None:
        # Set only when there is a question: setting None over None still marks the
        # customer modified, and the commit then runs a flush that writes nothing.
        if self.customer.pending is not None:
            self.customer.pending = None

    def _reply(self, text: str, *, understood: bool = True, order: Order | None = None) -> Reply:
        return Reply(text=text, understood=understood, intent=self.parsed.intent.value, order=order)

    # -- dispatch -----------------------------------------------------------------------

    def handle(self) -> Reply:
        p = self.parsed
        if self.awaits_suggestion():
            if p.intent in (Intent.YES, Intent.NO):
                return self.answer_suggestion()
            self.drop_suggestion()
        if self.answers_price_zone():
            return self.answer_price_zone()
        if self.answers_correction():
            return self.answer_correction()
        handlers = {
            Intent.PARK: self.park,
            Intent.STOP: self.stop,
            Intent.EXTEND: self.extend,
            Intent.STATUS: self.status,
            Intent.HELP: self.help,
            Intent.LANGUAGE: self.language,
            Intent.RECEIPT: self.receipt,
            Intent.OPT_OUT: self.opt_out,
            Intent.OPT_IN: self.opt_in,
            Intent.YES: self.answer_yes_no,
            Intent.NO: self.answer_yes_no,
            Intent.CHOICE: self.choice,
            Intent.BOOK: self.booking,
            Intent.UNBOOK: self.booking,
            Intent.BOOKINGS: self.booking,
            Intent.MOVE: self.booking,
            Intent.WAITLIST: self.booking,
            Intent.DID_YOU_MEAN: self.offer_suggestion,
            Intent.PRICE: self.price,
            Intent.CORRECT: self.correct,
        }
        handler = handlers.get(p.intent)
        if handler is not None:
            return handler()
        if p.problem == "courtesy":
            # "Kiitos!" needs no answer; it is understood, and answering costs an SMS.
            return Reply(text="", understood=True, intent="courtesy")
        if p.problem == "opt_out_word":
            return self._reply(messages.stop_is_opt_out(self.lang), understood=False)
        return self._reply(messages.not_understood(self.lang), understood=False)

    def help(self) -> Reply:
        return self._reply(messages.help_text(self.lang, self.kanava))

    def booking(self) -> Reply:
        """Book, cancel, list or move bookings (:mod:`app.usecases.sms.bookings`)."""
        dialogue = self._bookings()
        intent = self.parsed.intent
        if intent is Intent.BOOK:
            answer = dialogue.book(self.body)
        elif intent is Intent.UNBOOK:
            answer = dialogue.unbook(self.body)
        elif intent is Intent.MOVE:
            answer = dialogue.move(self.body)
        elif intent is Intent.WAITLIST:
            answer = sms_waitlist.join(dialogue, self.body, self.pending)
        else:
            answer = dialogue.list()
        return self._reply(answer.text, understood=answer.understood, order=answer.order)

    def _bookings(self) -> sms_bookings.BookingDialogue:
        return sms_bookings.BookingDialogue(
            self.session, self.kanava, self.customer, self.lang, self.now, self.known_zones
        )

    def opt_out(self) -> Reply:
        if self.customer.opted_out_at is None:
            self.customer.opted_out_at = self.now
        self._clear()
        live = orders.live_orders(self.session, self.customer, self.now)
        if live:
            # Opting out stops the messages, not the parking: say what still runs.
            return self._reply(messages.opted_out_while_parked(live, self.lang), order=live[0])
        return self._reply(messages.opted_out(self.lang))

    def opt_in(self) -> Reply:
        self.customer.opted_out_at = None
        return self._reply(messages.opted_in(self.lang))

    def language(self) -> Reply:
        target = self.parsed.target_language
        if target is None:
            return self._reply(messages.bad_language(self.lang), understood=False)
        self.customer.language = target
        return self._reply(messages.language_set(target))

    def status(self) -> Reply:
        live = orders.live_orders(self.session, self.customer, self.now)
        unpaid = orders.unpaid_ended(self.session, self.customer)
        return self._reply(
            messages.status(live, self.lang, self.kanava, self.now, unpaid=unpaid),
            order=live[0] if len(live) == 1 else None,
        )

    def receipt(self) -> Reply:
        """The receipt of the driver's latest parking that cost something: every payment
        and refund of it summed, with the link to the receipt page."""
        found = receipts.latest_receipt(self.session, self.kanava, self.customer)
        link = receipts.receipt_link_of(self.kanava.settings, found) if found else None
        return self._reply(
            messages.receipt(found, link, self.lang, self.kanava, self.now),
            order=found.order if found else None,
        )

    # -- parking ------------------------------------------------------------------------

    def park(self) -> Reply:
        p = self.parsed
        if p.zone is None and (p.problem == "bad_duration" or p.plate is not None):
            # "-5" or a plate alone, answering "which zone?": ask it again, once
            reasked = self._reask_zone(p.plate)
            if reasked is not None:
                return reasked
        if p.problem == "bad_duration":
            return self._reply(messages.bad_duration(self.lang), understood=False)
        if p.problem == "multiple_plates":
            return self._reply(messages.one_plate_at_a_time(self.lang), understood=False)
        if p.problem == "bad_plate":
            # A zone and something that is not a plate: never guess the car.
            return self._reply(messages.not_understood(self.lang), understood=False)
        plate, zone_code, minutes, until = p.plate, p.zone, p.duration_minutes, p.until_time
        pending = self.pending or {}
        # an answer to a question keeps the time given with the question's message
        earlier = (
            (pending.get("minutes"), pending.get("until"))
            if minutes is None and until is None
            else (minutes, until)
        )
        if zone_code is None and plate is not None:
            if pending.get("kind") == "choose_vehicle":
                return self._park(plate, pending["zone"], earlier[0], until=earlier[1])
            self._ask(kind="need_zone", plate=plate, minutes=minutes, until=until)
            return self._reply(messages.need_zone(plate, self.lang), understood=False)
        if zone_code is None:
            return self._reply(messages.not_understood(self.lang), understood=False)
        if plate is None:
            if pending.get("kind") == "need_zone":
                return self._park(pending["plate"], zone_code, earlier[0], until=earlier[1])
            return self._park_usual_car(zone_code, minutes, until)
        return self._park(plate, zone_code, minutes, until=until, check_typo=True)

    def _minutes_until(self, until: str) -> int:
        """Minutes from now to the next ``until`` ("HH:MM") on the local clock.

        Today if that time is still ahead, else tomorrow; the zone's time zone is the
        service's (``APP_TIMEZONE``), and wall-clock arithmetic keeps DST days right.
        """
        tz = self.kanava.settings.tz
        local_now = self.now.astimezone(tz)
        hour, minute = (int(part) for part in until.split(":"))
        end = datetime.combine(local_now.date(), time(hour, minute), tzinfo=tz)
        if end <= local_now:
            end = datetime.combine(end.date() + timedelta(days=1), time(hour, minute), tzinfo=tz)
        seconds = (end - self.now).total_seconds()
        return max(1, -int(-seconds // 60))

    def _park_usual_car(
        self, zone_code: str, minutes: int | None, until: str | None = None
    ) -> Reply:
        zone = zones.find(self.session, zone_code)
        if zone is None:
            return self._unknown_zone(zone_code)
        vehicles = customers.vehicles_by_recent_use(self.session, self.customer)
        if len(vehicles) == 1:
            return self._park(vehicles[0].plate_display, zone.code, minutes, until=until)
        plates = [v.plate_display for v in vehicles[:5]]
        self._ask(
            kind="choose_vehicle", zone=zone.code, minutes=minutes, until=until, plates=plates
        )
        if not plates:
            return self._reply(messages.need_plate(zone.code, self.lang), understood=False)
        return self._reply(messages.choose_vehicle(plates, zone.code, self.lang))

    def _unknown_zone(
        self,
        code: str,
        plate: str | None = None,
        minutes: int | None = None,
        until: str | None = None,
    ) -> Reply:
        """Zone ``code`` does not exist. With the ``plate`` to park, the zone is asked
        for (``need_zone``); an unknown zone given as the answer asks it again, once."""
        if plate is not None:
            reasked = self._reask_zone(plate)
            if reasked is not None:
                return reasked
            if not self._asked_zone():
                self._ask(kind="need_zone", plate=plate, minutes=minutes, until=until)
        suggestions = zones.closest_codes(code, self.known_zones)
        return self._reply(
            messages.unknown_zone(code.upper(), suggestions, self.lang), understood=False
        )

    def _asked_zone(self) -> bool:
        return (self.pending or {}).get("kind") == "need_zone"

    def _reask_zone(self, plate: str | None) -> Reply | None:
        """Ask "which zone?" again, naming the zones, when it was asked and the answer
        did not give a known one (a plate alone, ``-5``, a number that is no zone); None
        when it was not asked, or was asked again already (then the answer is not
        understood, as any message: a second one in a row goes to a person)."""
        pending = self.pending
        if pending is None or not self._asked_zone() or pending.get("reasked"):
            return None
        plate = display_plate(plate) if plate else str(pending["plate"])
        question = {k: v for k, v in pending.items() if k != "expires"}
        self._ask(**{**question, "plate": plate, "reasked": True})
        reply = self._reply(
            messages.need_zone_again(plate, self.known_zones, self.lang), understood=False
        )
        reply.reasked = True
        return reply

    def _park(
        self,
        plate: str,
        zone_code: str,
        minutes: int | None,
        *,
        until: str | None = None,
        check_typo: bool = False,
    ) -> Reply:
        """Park ``plate``; ``until`` ("HH:MM" local) wins over ``minutes`` when given."""
        zone = zones.find(self.session, zone_code)
        if zone is None:
            return self._unknown_zone(zone_code, plate, minutes, until)
        if check_typo:
            usual = self._usual_plate_for_typo(plate)
            if usual is not None:
                self._ask(
                    kind="confirm_plate",
                    typed=display_plate(plate),
                    usual=usual,
                    zone=zone.code,
                    minutes=minutes,
                    until=until,
                )
                return self._reply(messages.confirm_plate(display_plate(plate), usual, self.lang))
        self._clear()
        if until is not None:
            minutes = self._minutes_until(until)
        vehicle = customers.remember_vehicle(
            self.session,
            self.customer,
            plate,
            self.now,
            new_customer=self.new_customer,
            known=self.vehicles,
            deferred=True,  # a new car is written with its parking
        )
        try:
            started = orders.start_parking(
                self.session,
                self.kanava,
                customer=self.customer,
                vehicle=vehicle,
                plate=vehicle.plate_display,
                zone=zone,
                minutes=minutes,
                channel=Channel.SMS,
                now=self.now,
                language=self.lang,
            )
        except orders.OrderError as refusal:
            there = refusal.details.get("order")
            if isinstance(there, Order):
                return self._reply(self._parked_by_another(there))
            return self._reply(messages.bad_duration(self.lang), understood=False)
        link = ledger.link_to_pay(self.kanava, started.payment)
        if started.already_parked:
            text = messages.already_parked(started.order, link, self.lang, self.kanava, self.now)
        else:
            text = messages.parking_started(
                started.order,
                started.payment,
                link,
                self.lang,
                self.kanava,
                self.now,
                started.replaced,
                shortened=started.shortened,
            )
        reply = self._reply(text, order=started.order)
        reply.new_order = not started.already_parked
        return reply

    def _parked_by_another(self, there: Order) -> str:
        extend = orders.can_be_extended_by_anyone(there, self.now)
        link = f"{self.kanava.settings.public_base_url}/p/{there.zone.code}" if extend else None
        return messages.parked_by_another(there, link, self.lang, self.kanava, self.now)

    def _usual_plate_for_typo(self, plate: str) -> str | None:
        """A known plate that ``plate`` probably mistypes, or None.

        A known plate that is parked right now is a second car, not a typo: no question.
        """
        if self.new_customer:
            return None
        key = normalize_plate(plate)
        vehicles = customers.vehicles_by_recent_use(self.session, self.customer)
        self.vehicles = vehicles
        if any(v.plate_key == key for v in vehicles):
            return None
        suspects = [v for v in vehicles if is_probable_typo(plate, v.plate_display)]
        if not suspects:  # the usual case: no read of the live parkings
            return None
        parked = {o.plate_key for o in orders.live_orders(self.session, self.customer, self.now)}
        return next((v.plate_display for v in suspects if v.plate_key not in parked), None)

    def answer_yes_no(self) -> Reply:
        pending = self.pending
        if not pending or pending.get("kind") != "confirm_plate":
            taking = self.parsed.intent is Intent.YES
            offer = sms_waitlist.take(self._bookings()) if taking else None
            if offer is not None:
                return self._reply(offer.text, order=offer.order)
            return self._reply(messages.nothing_to_answer(self.lang), understood=False)
        plate = pending["usual"] if self.parsed.intent is Intent.YES else pending["typed"]
        key = normalize_plate(plate)
        for live in orders.live_orders(self.session, self.customer, self.now):
            if live.plate_key == key:
                # parked meanwhile (another channel): say so, never move or restart it
                self._clear()
                link = ledger.link_to_pay(self.kanava, ledger.open_payment_of(live))
                text = messages.already_parked(live, link, self.lang, self.kanava, self.now)
                return self._reply(text, order=live)
        return self._park(
            plate, pending["zone"], pending.get("minutes"), until=pending.get("until")
        )

    def choice(self) -> Reply:
        pending = self.pending
        n = self.parsed.choice or 0
        if pending is not None and sms_bookings.is_booking_question(pending):
            answer = self._bookings().answer_choice(pending, n)
            return self._reply(answer.text, understood=answer.understood, order=answer.order)
        if not pending or pending.get("kind") not in ("choose_vehicle", "choose_order"):
            if str(n) in self.known_zones:
                if self._asked_zone() and pending is not None:
                    return self._park(
                        pending["plate"], str(n), pending.get("minutes"), until=pending.get("until")
                    )
                return self._park_usual_car(str(n), None)
            return self._reask_zone(None) or self._reply(
                messages.nothing_to_answer(self.lang), understood=False
            )
        if pending["kind"] == "choose_vehicle":
            plates = pending.get("plates") or []
            if not 1 <= n <= len(plates):
                return self._reply(
                    messages.choose_vehicle(plates, pending["zone"], self.lang), understood=False
                )
            return self._park(
                plates[n - 1], pending["zone"], pending.get("minutes"), until=pending.get("until")
            )
        live = {o.id: o for o in orders.live_orders(self.session, self.customer, self.now)}
        candidates = [live[i] for i in pending.get("order_ids", []) if i in live]
        if not candidates:
            self._clear()
            return self._reply(messages.no_live_parking(self.lang))
        if not 1 <= n <= len(candidates):
            return self._reply(
                messages.choose_order(candidates, pending["action"], self.lang), understood=False
            )
        self._clear()
        order = candidates[n - 1]
        if pending["action"] == "extend":
            return self._extend_order(order, int(pending["minutes"]), pending.get("until"))
        return self._stop_order(order)

    def _live_matching(self) -> list[Order]:
        live = orders.live_orders(self.session, self.customer, self.now)
        if self.parsed.plate:
            key = normalize_plate(self.parsed.plate)
            live = [o for o in live if o.plate_key == key]
        if self.parsed.zone:
            live = [o for o in live if o.zone.code == self.parsed.zone.upper()] or live
        return live

    def stop(self) -> Reply:
        live = self._live_matching()
        if not live:
            return self._reply(messages.no_live_parking(self.lang, self.parsed.plate))
        if len(live) > 1:
            self._ask(kind="choose_order", action="stop", order_ids=[o.id for o in live])
            return self._reply(messages.choose_order(live, "stop", self.lang))
        return self._stop_order(live[0])

    def stop_all_silently(self) -> Order | None:
        """End every live parking the message names (all of them if it names none).

        For an opted-out number: no question can be asked and no reply is sent, so a
        stop that matches several parkings ends them all. Returns the first one ended.
        """
        ended: list[Order] = []
        for order in self._live_matching():
            try:
                orders.stop_parking(
                    self.session, self.kanava, order, now=self.now, channel=Channel.SMS
                )
            except orders.OrderError:  # ended meanwhile
                continue
            ended.append(order)
        return ended[0] if ended else None

    def _stop_order(self, order: Order) -> Reply:
        try:
            stopped = orders.stop_parking(
                self.session, self.kanava, order, now=self.now, channel=Channel.SMS
            )
        except orders.OrderError:  # stopped meanwhile by staff or by the clock
            return self._reply(messages.no_live_parking(self.lang, order.plate_display))
        link = ledger.link_to_pay(self.kanava, stopped.payment)
        return self._reply(
            messages.parking_stopped(
                order,
                stopped.amount_cents,
                link,
                self.lang,
                self.kanava,
                self.now,
                refunded_cents=stopped.refunded_cents,
                held_cents=stopped.held_cents,
                released_cents=stopped.released_cents,
            ),
            order=order,
        )

    def extend(self) -> Reply:
        minutes, until = self.parsed.duration_minutes, self.parsed.until_time
        pending = self.pending
        if pending is not None and pending.get("kind") == sms_bookings.EXTEND_BOOKING:
            answer = self._bookings().extend(pending, minutes)
            return self._reply(answer.text, understood=answer.understood, order=answer.order)
        if until is not None:
            # "JATKA klo 18": extend up to that clock time (0 = already until then)
            minutes = 0
        if minutes is None:
            return self._reply(messages.extend_needs_duration(self.lang), understood=False)
        live = self._live_matching()
        if not live:
            return self._reply(messages.no_live_parking(self.lang, self.parsed.plate))
        if len(live) > 1:
            self._ask(
                kind="choose_order",
                action="extend",
                minutes=minutes,
                until=until,
                order_ids=[o.id for o in live],
            )
            return self._reply(messages.choose_order(live, "extend", self.lang))
        return self._extend_order(live[0], minutes, until)

    def _extend_order(self, order: Order, minutes: int, until: str | None = None) -> Reply:
        if until is not None:
            target = self.now + timedelta(minutes=self._minutes_until(until))
            base = order.ends_at if order.ends_at is not None and order.ends_at > self.now else None
            minutes = -int(-(target - (base or self.now)).total_seconds() // 60)
            if base is not None and minutes <= 0 and not order.open_ended:
                link = ledger.link_to_pay(self.kanava, ledger.open_payment_of(order))
                text = messages.already_parked(order, link, self.lang, self.kanava, self.now)
                return self._reply(text, order=order)
        extended_from = order.ends_at
        try:
            extended = orders.extend_parking(
                self.session, self.kanava, order, minutes, now=self.now, channel=Channel.SMS
            )
        except orders.OrderError as exc:
            if exc.code == "open_ended":
                text = messages.cannot_extend_open_ended(order, self.lang, self.kanava, self.now)
            elif exc.code == "at_max_stay":
                text = messages.at_max_stay(order, self.lang, self.kanava, self.now)
            elif exc.code == "bad_duration":
                return self._reply(messages.bad_duration(self.lang), understood=False)
            else:
                text = messages.no_live_parking(self.lang, order.plate_display)
            return self._reply(text, order=order)
        link = ledger.link_to_pay(self.kanava, extended.payment)
        return self._reply(
            messages.parking_extended(
                order,
                extended.added_cents,
                extended.capped,
                link,
                self.lang,
                self.kanava,
                self.now,
                to_pay_cents=extended.payment.amount_cents if link and extended.payment else None,
                extended_from=extended_from,
            ),
            order=order,
        )
