"""The voice menu: one phone call, step by step, with its state in the database.

``POST /twilio/voice`` calls :func:`answer_call`; every later step (a ``<Gather>`` or
``<Pay>`` action) calls :func:`continue_call`. Each answer is a :class:`VoiceTurn` — what
to say, what to gather, whether to take a card, dial or hang up — that the channel renders
as TwiML.

State lives in :class:`~app.models.CallSession`, keyed by ``CallSid``, so any worker can
answer any step. Every prompt carries a step number in its action URL; the pair
(CallSid, step) is claimed once through :class:`~app.models.WebhookReceipt` in the same
transaction as the work, and the answer is stored there: a retried step gets the same
answer and parks nothing twice. Every step is written to the timeline, so an attendant
sees where a caller gave up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.backend import contacts, customers, orders, timeline, zones
from app.backend import ledger as payments
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.config import LANGUAGES
from app.domain.pricing import is_paid_time, next_paid_change
from app.domain.speech import asks_for_zone_list, spoken_plate, spoken_zone
from app.kernel import Kanava
from app.kernel.calls import GatherSpec, PaySpec, Spoken, VoiceTurn
from app.models import (
    LIVE_STATUSES,
    CallSession,
    Channel,
    Customer,
    EventKind,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    WebhookReceipt,
    Zone,
)
from app.texts import messages
from app.texts import voice_prompts as P
from app.usecases import outbox_dispatch as notifications

log = logging.getLogger(__name__)

SOURCE = "twilio_voice"
# Google's class token for spelled sequences, a hint that <Gather> accepts for speech.
ALPHANUMERIC_HINT = "$OOV_CLASS_ALPHANUMERIC_SEQUENCE"
MAX_SILENT_REPROMPTS = 2
MAX_MENU_ITEMS = 8
# Read out in full up to this many zones; beyond it only those with letters, whose phone
# codes no sign shows as the zone's own number.
MAX_LISTED_ZONES = 12
MAX_ZONE_HINTS = 60
STEP_URL = "/twilio/voice/step"
PAY_URL = "/twilio/voice/pay"


# ---- what a step answers ---------------------------------------------------------------


@dataclass(frozen=True)
class CallInput:
    """What Twilio posted to a step: keys, speech, or the result of ``<Pay>``.

    ``<Pay>``'s action parameters (https://www.twilio.com/docs/voice/twiml/pay):
    ``Result`` (``success``, ``payment-connector-error``, ``too-many-failed-attempts``,
    ``caller-interrupted-with-star``, ``caller-hung-up``, ``validation-error``),
    ``PaymentToken`` (for the Stripe connector a reusable payment method), ``ProfileId``
    (the Stripe customer), ``PaymentError``, ``ConnectorError``, ``PaymentCardNumber``
    (masked) and ``PaymentCardType``.
    """

    digits: str = ""
    speech: str = ""
    pay_result: str | None = None
    payment_token: str | None = None
    profile_id: str | None = None
    payment_error: str | None = None
    card_number: str | None = None
    card_type: str | None = None


# ---- cards by phone ---------------------------------------------------------------------


def takes_cards_by_phone(kanava: Kanava) -> bool:
    """Whether a card tokenised by ``<Pay>`` can be charged: the gateway charges saved cards
    (Stripe). The demo gateway cannot, so its callers get the SMS payment link instead."""
    return bool(getattr(kanava.payments, "saves_cards", False))


# ---- entry points ----------------------------------------------------------------------


def can_receive_sms(phone: str | None) -> bool:
    """Whether a caller's number can take an SMS. A fixed line never can.

    ``FIXED_LINE_OR_MOBILE`` (countries that do not tell them apart) counts as mobile.
    """
    if not phone:
        return False
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def answer_call(
    session: Session,
    kanava: Kanava,
    *,
    call_sid: str,
    from_number: str,
    now: datetime,
) -> VoiceTurn:
    """Greet a new call and offer the main menu. Commits.

    The caller is known by caller ID: their language, their last parking ("press 1 to park
    ABC-123 in zone 101 again") and their live parkings. A hidden or invalid number gets
    the menu without any of that. A retried request gets the same answer.
    """
    call_sid = call_sid[:40]
    key = f"{call_sid}:0"
    stored = _claim(session, key)
    if stored is not None:
        return stored
    try:
        phone: str | None = normalize_phone(from_number)
    except InvalidPhoneNumber:
        phone = None
    customer = customers.get_or_create(session, phone, now) if phone else None
    if customer is not None:
        customers.lock(session, customer)
    lang = customers.choose_language(None, customer, kanava.settings.default_language)
    call = CallSession(
        call_sid=call_sid,
        customer=customer,
        from_number=(from_number or "")[:32],
        language=lang,
        can_sms=can_receive_sms(phone) and not (customer and customer.opted_out),
        state="main",
        data={"landline": not can_receive_sms(phone)},
        step=0,
        created_at=now,
        updated_at=now,
    )
    session.add(call)
    session.flush()
    timeline.record(
        session,
        at=now,
        channel=Channel.VOICE,
        kind=EventKind.CALL_STEP,
        customer=customer,
        body="call started",
        external_id=call_sid,
        understood=True,
        intent="call_start",
        data={"step": 0, "from": from_number, "can_sms": call.can_sms},
    )
    machine = _Call(session, kanava, call, now)
    machine.say(P.welcome_back if machine.known else P.welcome)
    turn = machine.prompt()
    return _finish(session, kanava, key, machine, turn)


def continue_call(
    session: Session,
    kanava: Kanava,
    *,
    call_sid: str,
    step: int,
    given: CallInput,
    now: datetime,
) -> VoiceTurn:
    """Answer step ``step`` of a call with what the caller keyed, said or paid. Commits.

    Exactly once per (CallSid, step): a retry gets the stored answer. A step that is not
    the call's current one (forged, or from a stale page) hears the current prompt again
    and changes nothing. An unknown call is told to call again.
    """
    call_sid = call_sid[:40]
    key = f"{call_sid}:{step}"
    stored = _stored(session, key)
    if stored is not None:
        return stored
    call = session.scalar(
        select(CallSession).where(CallSession.call_sid == call_sid).with_for_update()
    )
    # A concurrent duplicate waited for the lock above: the first one's answer is stored now.
    stored = _stored(session, key)
    if stored is not None:
        session.rollback()
        return stored
    if call is None:
        lang = kanava.settings.default_language
        with force_locale(lang):
            text = P.technical_problem(_service_number(kanava))
        return VoiceTurn(lang=lang, say=[Spoken(text, lang)], hangup=True)
    if step != call.step:
        machine = _Call(session, kanava, call, now)
        turn = machine.prompt(advance=False)
        session.rollback()
        return turn
    claimed = _claim(session, key)
    if claimed is not None:
        return claimed
    call = session.scalar(select(CallSession).where(CallSession.call_sid == call_sid))
    assert call is not None
    machine = _Call(session, kanava, call, now)
    try:
        turn = machine.handle(given)
    except Exception:
        log.exception("voice step %s of %s failed", step, call_sid)
        session.rollback()
        return _technical_failure(session, kanava, call_sid, key, now)
    return _finish(session, kanava, key, machine, turn)


def call_ended(
    session: Session, kanava: Kanava, *, call_sid: str, status: str, now: datetime
) -> None:
    """Twilio's status callback: note in the timeline where the caller hung up. Commits."""
    call = session.scalar(select(CallSession).where(CallSession.call_sid == call_sid[:40]))
    if call is None or call.ended_at is not None:
        return
    call.ended_at = now
    call.end_reason = call.end_reason or ("hung_up" if status == "completed" else status[:32])
    timeline.record(
        session,
        at=now,
        channel=Channel.VOICE,
        kind=EventKind.CALL_STEP,
        customer=call.customer,
        body=f"call ended in {call.state}",
        external_id=call.call_sid,
        intent="call_end",
        data={"status": status, "state": call.state, "step": call.step},
    )
    contacts.classify_call(session, call)
    session.commit()


# ---- idempotency -----------------------------------------------------------------------


def _stored(session: Session, key: str) -> VoiceTurn | None:
    body = session.scalar(
        select(WebhookReceipt.response_body).where(
            WebhookReceipt.source == SOURCE, WebhookReceipt.external_id == key
        )
    )
    return VoiceTurn.from_json(body) if body else None


def _claim(session: Session, key: str) -> VoiceTurn | None:
    """Insert the receipt for ``key``; if another request holds it, its stored answer."""
    stored = _stored(session, key)
    if stored is not None:
        return stored
    session.add(WebhookReceipt(source=SOURCE, external_id=key))
    try:
        # On PostgreSQL a concurrent duplicate blocks here until the first commits.
        session.flush()
    except IntegrityError:
        session.rollback()
        return _stored(session, key) or VoiceTurn(lang="fi", hangup=True)
    return None


def _finish(
    session: Session, kanava: Kanava, key: str, machine: _Call, turn: VoiceTurn
) -> VoiceTurn:
    receipt = session.scalar(
        select(WebhookReceipt).where(
            WebhookReceipt.source == SOURCE, WebhookReceipt.external_id == key
        )
    )
    assert receipt is not None
    receipt.response_body = turn.to_json()
    receipt.created_at = machine.now
    machine.call.last_prompt = turn.plain_text()
    machine.call.updated_at = machine.now
    contacts.classify_call(session, machine.call)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=machine.now)
    return turn


def _technical_failure(
    session: Session, kanava: Kanava, call_sid: str, key: str, now: datetime
) -> VoiceTurn:
    call = session.scalar(select(CallSession).where(CallSession.call_sid == call_sid))
    lang = call.language if call else kanava.settings.default_language
    with force_locale(lang):
        text = P.technical_problem(_service_number(kanava))
    turn = VoiceTurn(lang=lang, say=[Spoken(text, lang)], hangup=True)
    timeline.record(
        session,
        at=now,
        channel=Channel.VOICE,
        kind=EventKind.CALL_STEP,
        customer=call.customer if call else None,
        body="technical problem",
        external_id=call_sid,
        understood=False,
        intent="error",
    )
    if call is not None:
        call.end_reason = "error"
    session.add(WebhookReceipt(source=SOURCE, external_id=key, response_body=turn.to_json()))
    session.commit()
    return turn


def _service_number(kanava: Kanava) -> str | None:
    s = kanava.settings
    return s.service_number or s.twilio_from_number


# ---- the menu --------------------------------------------------------------------------


class _Call:
    """One step of one call: reads the state, handles the input, says what comes next."""

    def __init__(self, session: Session, kanava: Kanava, call: CallSession, now: datetime) -> None:
        self.session = session
        self.kanava = kanava
        self.call = call
        self.now = now
        self.customer: Customer | None = call.customer
        self.data: dict[str, Any] = dict(call.data or {})
        self.notes: list[Spoken] = []
        self.problem = False

    # -- helpers --------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return self.call.language

    @property
    def known(self) -> bool:
        return self.customer is not None and bool(
            customers.vehicles_by_recent_use(self.session, self.customer)
        )

    def t(self, build: Any, *args: Any, **kwargs: Any) -> str:
        with force_locale(self.lang):
            return str(build(*args, **kwargs))

    def note(self, text: str, lang: str | None = None) -> None:
        self.notes.append(Spoken(text, lang or self.lang))

    def say(self, build: Any, *args: Any, **kwargs: Any) -> None:
        self.note(self.t(build, *args, **kwargs))

    def time(self, at: datetime | None) -> str | None:
        if at is None:
            return None
        return messages.local_time(at, self.lang, self.kanava, self.now)

    def money(self, cents: int) -> str:
        return messages.money(cents, self.kanava.settings.currency, self.lang)

    def goto(self, state: str) -> VoiceTurn:
        self.call.state = state
        self.call.invalid_count = 0
        return self.prompt()

    def record(self, body: str, *, understood: bool, intent: str, **data: Any) -> None:
        timeline.record(
            self.session,
            at=self.now,
            channel=Channel.VOICE,
            kind=EventKind.CALL_STEP,
            customer=self.customer,
            order=self._order(self.data.get("order_id")),
            body=body,
            external_id=self.call.call_sid,
            understood=understood,
            intent=intent,
            data={"step": self.call.step, "state": self.call.state, **data},
        )

    def _order(self, order_id: Any) -> Order | None:
        if not isinstance(order_id, int):
            return None
        order = self.session.get(Order, order_id)
        if order is None or self.customer is None or order.customer_id != self.customer.id:
            return None
        return order

    def reject(self, build: Any, *args: Any) -> VoiceTurn:
        """Explain what was wrong with the input and ask the same question again."""
        self.call.invalid_count += 1
        self.problem = True
        self.say(build, *args)
        return self.prompt()

    def invalid(self, digits: str) -> VoiceTurn:
        return self.reject(P.invalid_key, digits[:1] or "?")

    # -- input ----------------------------------------------------------------------

    def handle(self, given: CallInput) -> VoiceTurn:
        digits = given.digits.strip()
        speech = given.speech.strip()
        state = self.call.state
        if given.pay_result is not None:
            self.record(
                f"{state}: card {given.pay_result}",
                understood=given.pay_result == "success",
                intent="pay",
                result=given.pay_result,
                error=given.payment_error,
            )
            if state != "paying":
                return self.prompt()
            return self.on_pay_result(given)
        if not digits and not speech:
            self.call.silence_count += 1
            self.record(f"{state}: silence", understood=False, intent="silence")
            if self.call.silence_count > MAX_SILENT_REPROMPTS:
                self.call.end_reason = "silence"
                self.say(P.goodbye_after_silence, _service_number(self.kanava))
                return VoiceTurn(lang=self.lang, say=self.notes, hangup=True)
            self.say(P.no_input)
            return self.prompt()
        self.call.silence_count = 0
        if digits.startswith("*"):
            self.record(f"{state}: repeat", understood=True, intent="repeat")
            return self.prompt()
        handler = getattr(self, f"on_{state}", None)
        if handler is None:  # a state from an older release: start over from the menu
            return self.goto("main")
        turn: VoiceTurn = handler(digits, speech)
        self.record(
            f"{state}: " + (digits or f'"{speech}"'),
            understood=not self.problem,
            intent=state,
            digits=digits or None,
            speech=speech or None,
        )
        return turn

    # -- prompts --------------------------------------------------------------------

    def prompt(self, *, advance: bool = True) -> VoiceTurn:
        """The current state's prompt, after any notes, gathering the next step."""
        if advance:
            self.call.step += 1
            self.call.data = dict(self.data)
        asker = getattr(self, f"ask_{self.call.state}")
        lines, gather = asker()
        if advance:
            self.call.data = dict(self.data)
        gather.action = f"{STEP_URL}?n={self.call.step}"
        if self.call.state == "main":
            lines.append(Spoken(self.t(P.menu_repeat), self.lang))
        return VoiceTurn(lang=self.lang, say=self.notes + lines, gather=gather)

    def lines(self, *texts: str) -> list[Spoken]:
        return [Spoken(text, self.lang) for text in texts]

    # main menu

    def _last_parking(self, live: list[Order]) -> Order | None:
        if self.customer is None:
            return None
        last = self.session.scalar(
            select(Order)
            .where(Order.customer_id == self.customer.id, Order.kind == OrderKind.PARKING)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(1)
        )
        if last is None or not last.zone.active:
            return None
        if any(o.plate_key == last.plate_key and o.zone_id == last.zone_id for o in live):
            return None
        return last

    def ask_main(self) -> tuple[list[Spoken], GatherSpec]:
        live = orders.live_orders(self.session, self.customer, self.now) if self.customer else []
        last = self._last_parking(live)
        texts: list[str] = []
        # Just told (the status, or the end of the parking just made): not said again.
        heard = self.data.pop("heard_end", None)
        summarized = [] if self.data.pop("heard_status", False) else live
        for order in [o for o in summarized if o.id != heard][:3]:
            texts.append(self.summary(order))
        if live:
            texts += [self.t(P.menu_stop), self.t(P.menu_extend)]
        if last is not None:
            self.data["again"] = {"plate": last.plate_display, "zone": last.zone.code}
            texts += [
                self.t(P.menu_park_again, last.plate_display, last.zone.code),
                self.t(P.menu_park_other),
            ]
        else:
            self.data.pop("again", None)
            texts.append(self.t(P.menu_park_first))
        texts += [
            self.t(P.menu_status),
            self.t(P.menu_zones),
            self.t(P.menu_language),
            self.t(P.menu_help),
        ]
        self.call.data = dict(self.data)
        return self.lines(*texts), GatherSpec(action="")

    def on_main(self, digits: str, speech: str) -> VoiceTurn:
        key = digits[:1]
        if key == "1" and self.data.get("again"):
            again = self.data["again"]
            self.data.update(zone=again["zone"], plate=again["plate"], minutes=None)
            return self.goto("quote")
        if key in ("1", "2"):
            self.data.pop("plate", None)
            return self.goto("zone")
        if key == "3":
            return self.choose_order("extend")
        if key == "4":
            return self.choose_order("stop")
        if key == "5":
            return self.status()
        if key == "8":
            self.say_zone_list()
            return self.goto("zone")
        if key == "9":
            return self.goto("language")
        if key == "0":
            return self.help()
        return self.invalid(digits)

    # zone

    def ask_zone(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.ask_zone)), GatherSpec(
            action="",
            input="speech dtmf",
            num_digits=None,
            finish_on_key="#",
            hints=self._zone_hints(),
            timeout=8,
        )

    def _ensure_phone_codes(self) -> None:
        """Zones from before phone codes get theirs on first need (the import gives them
        to new zones): a lettered zone must be reachable by keys."""
        try:
            with self.session.begin_nested():
                zones.assign_phone_codes(self.session)
        except IntegrityError:
            pass  # another call assigned them at the same moment; those stand

    def _zone_hints(self) -> str:
        """Speech hints: the zone codes, lettered ones also spelled ("E V 1")."""
        hints: list[str] = []
        for zone in zones.active_zones(self.session):
            hints.append(zone.code)
            if not zones.is_digit_code(zone.code):
                hints.append(" ".join(zone.code))
        return ",".join([*hints[:MAX_ZONE_HINTS], ALPHANUMERIC_HINT])

    def say_zone_list(self) -> None:
        """Say the zones with what to key for each: all of them when there are few, else
        those with letters (the others key the number on their sign)."""
        self._ensure_phone_codes()
        active = zones.active_zones(self.session)
        lettered = [z for z in active if not zones.is_digit_code(z.code)]
        listed = active if len(active) <= MAX_LISTED_ZONES else lettered[:MAX_LISTED_ZONES]
        self.say(P.zones_intro)
        for zone in listed:
            keys = zones.keyed_code(zone)
            if zones.is_digit_code(zone.code):
                self.say(P.zone_item, zone.code, zone.name)
            elif keys is not None:
                self.say(P.lettered_zone_item, zone.code, zone.name, keys)
        if len(listed) < len(active):
            self.say(P.more_zones_on_signs)

    def zone_refused(self, build: Any, *args: Any) -> VoiceTurn:
        """An unknown or unheard zone: say why and which zones there are, ask again."""
        self.call.invalid_count += 1
        self.problem = True
        self.say(build, *args)
        self.say_zone_list()
        return self.prompt()

    def on_zone(self, digits: str, speech: str) -> VoiceTurn:
        self._ensure_phone_codes()
        if digits:
            code = digits.rstrip("#")
            zone = zones.find_by_keys(self.session, code)
            if zone is None:
                if not code:
                    return self.zone_refused(P.zone_not_understood)
                return self.zone_refused(P.unknown_zone, code)
        else:
            active = zones.active_zones(self.session)
            by_words = {z.code: z for z in active} | {
                z.phone_code: z for z in active if z.phone_code
            }
            heard = spoken_zone(speech, by_words)
            if heard is None:
                if asks_for_zone_list(speech):
                    self.say_zone_list()
                    return self.prompt()
                return self.zone_refused(P.zone_not_understood)
            zone = by_words[heard]
        self.data["zone"] = zone.code
        return self.goto("zone_confirm")

    def ask_zone_confirm(self) -> tuple[list[Spoken], GatherSpec]:
        zone = zones.find(self.session, self.data["zone"])
        assert zone is not None
        return self.lines(self.t(P.confirm_zone, zone.code, zone.name)), GatherSpec(action="")

    def on_zone_confirm(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            return self.goto("plate")
        if digits[:1] == "2":
            return self.goto("zone")
        return self.invalid(digits)

    # plate

    def _saved_plates(self) -> list[str]:
        if self.customer is None:
            return []
        vehicles = customers.vehicles_by_recent_use(self.session, self.customer)
        return [v.plate_display for v in vehicles[:MAX_MENU_ITEMS]]

    def ask_plate(self) -> tuple[list[Spoken], GatherSpec]:
        plates = self._saved_plates()
        self.data["plates"] = plates
        self.call.data = dict(self.data)
        if plates:
            texts = [self.t(P.choose_plate_option, p, i) for i, p in enumerate(plates, 1)]
            texts.append(self.t(P.say_other_plate))
        else:
            texts = [self.t(P.say_plate)]
        hints = ",".join([*(p.replace("-", " ") for p in plates), ALPHANUMERIC_HINT])
        return self.lines(*texts), GatherSpec(action="", input="speech dtmf", hints=hints)

    def on_plate(self, digits: str, speech: str) -> VoiceTurn:
        plates: list[str] = self.data.get("plates") or []
        if digits:
            if digits[:1].isdigit() and 1 <= int(digits[:1]) <= len(plates):
                self.data["plate"] = plates[int(digits[:1]) - 1]
                return self.goto("duration")
            return self.invalid(digits)
        plate = spoken_plate(speech)
        if plate is None:
            return self.reject(P.plate_not_understood)
        self.data["heard"] = plate
        return self.goto("plate_confirm")

    def ask_plate_confirm(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.confirm_plate, self.data["heard"])), GatherSpec(action="")

    def on_plate_confirm(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            self.data["plate"] = self.data["heard"]
            return self.goto("duration")
        if digits[:1] == "2":
            return self.goto("plate")
        return self.invalid(digits)

    # duration and price

    def ask_duration(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.ask_duration)), GatherSpec(
            action="", num_digits=None, finish_on_key="#", timeout=8
        )

    def on_duration(self, digits: str, speech: str) -> VoiceTurn:
        value = digits.rstrip("#")
        if not value.isdigit() or int(value) > orders.MAX_DURATION_MINUTES:
            return self.reject(P.bad_duration)
        self.data["minutes"] = int(value) or None
        return self.goto("quote")

    def ask_quote(self) -> tuple[list[Spoken], GatherSpec]:
        zone = zones.find(self.session, self.data["zone"])
        assert zone is not None
        minutes: int | None = self.data.get("minutes")
        end, amount = orders.quote(zone, self.now, minutes, self.kanava)
        plate = self.data["plate"]
        if minutes is not None and end is not None:
            text = self.t(
                P.quote_fixed, plate, zone.code, minutes, self.time(end) or "", self.money(amount)
            )
        else:
            rate = self.money(zone.rate_per_hour_cents)
            text = self.t(P.quote_open, plate, zone.code, rate, self.time(end))
        free = self.free_time(zone)
        return (self.lines(free, text) if free else self.lines(text)), GatherSpec(action="")

    def free_time(self, zone: Zone) -> str | None:
        """In free time, until when it is free and the rate after (as the SMS says it);
        None in paid time."""
        tz = self.kanava.settings.tz
        tariff = zones.tariff_of(zone)
        if is_paid_time(tariff, self.now, tz):
            return None
        change = next_paid_change(tariff, self.now, tz)
        if change is None:
            return self.t(P.free_here)
        return self.t(P.free_until, self.time(change), self.money(zone.rate_per_hour_cents))

    def on_quote(self, digits: str, speech: str) -> VoiceTurn:
        key = digits[:1]
        open_ended = self.data.get("minutes") is None
        if key == "1":
            if open_ended and not self.call.can_sms and self._card_needed():
                self.say(P.landline_choose_duration)
                return self.goto("duration")
            return self.park()
        if key == "2" and open_ended:
            return self.goto("duration")
        if key == "2" or (key == "3" and open_ended):
            self.say(P.cancelled)
            return self.goto("main")
        return self.invalid(digits)

    def _card_needed(self) -> bool:
        return takes_cards_by_phone(self.kanava) and not payments.has_saved_card(
            self.customer, self.kanava
        )

    def park(self) -> VoiceTurn:
        zone = zones.find(self.session, self.data["zone"])
        assert zone is not None
        plate: str = self.data["plate"]
        if self.customer is not None:
            customers.lock(self.session, self.customer)
        vehicle = (
            customers.remember_vehicle(self.session, self.customer, plate, self.now)
            if self.customer is not None
            else None
        )
        try:
            started = orders.start_parking(
                self.session,
                self.kanava,
                customer=self.customer,
                vehicle=vehicle,
                plate=plate,
                zone=zone,
                minutes=self.data.get("minutes"),
                channel=Channel.VOICE,
                now=self.now,
                language=self.lang,
            )
        except orders.OrderError:
            self.say(P.bad_duration)
            return self.goto("duration")
        order = started.order
        self.data["order_id"] = order.id
        self.call.order_id = order.id
        if started.already_parked:
            self.say(P.already_parked, order.plate_display, zone.code)
            self.say_end(order)
            return self.goto("main")
        return self.collect(order, started.payment)

    # paying

    def collect(self, order: Order, payment: Payment | None, paying_for: str = "park") -> VoiceTurn:
        """After parking or extending: make sure the money is asked for, then confirm."""
        if (
            payment is None
            or payment.status is not PaymentStatus.PENDING
            or payment.amount_cents == 0
        ):
            if any(
                p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED)
                and p.paid_at == self.now
                for p in order.payments
            ):
                self.say(P.saved_card_charged, self.money(order.amount_cents))
            return self.confirm(order)
        self.data["order_id"] = order.id
        self.data["payment_id"] = payment.id
        self.data["paying_for"] = paying_for
        if takes_cards_by_phone(self.kanava) and not order.open_ended:
            # A card by phone is charged an exact amount; a parking until stopped is held
            # through the payment link instead (checked for landlines in on_quote).
            return self.goto("pay_choice" if self.call.can_sms else "pay_card")
        return self.send_link_or_wait(order, payment)

    def send_link_or_wait(self, order: Order, payment: Payment) -> VoiceTurn:
        grace = self.kanava.settings.payment_grace_minutes
        if self.call.can_sms and self.customer is not None:
            link = payments.pay_link(self.kanava.settings, payment)
            if order.status is OrderStatus.ENDED:
                text = messages.parking_stopped(
                    order, order.amount_cents, link, self.lang, self.kanava, self.now
                )
            elif self.data.get("paying_for") == "extend":
                text = messages.parking_extended(
                    order, payment.amount_cents, False, link, self.lang, self.kanava, self.now
                )
            else:
                text = messages.parking_started(
                    order, payment, link, self.lang, self.kanava, self.now
                )
            notifications.queue_sms(
                self.session,
                self.kanava,
                self.customer,
                text,
                purpose="voice_pay_link",
                order=order,
                now=self.now,
            )
            self.say(P.pay_link_sent, grace)
        else:
            self.say(P.landline_awaiting_payment, grace)
        if order.status is not OrderStatus.ENDED:
            self.say_end(order)
        return self.goto("main")

    def confirm(self, order: Order) -> VoiceTurn:
        if order.status is not OrderStatus.ENDED:
            self.say_end(order)
            if self.call.can_sms and self.customer is not None:
                notifications.queue_sms(
                    self.session,
                    self.kanava,
                    self.customer,
                    messages.parking_started(order, None, None, self.lang, self.kanava, self.now),
                    purpose="voice_confirmation",
                    order=order,
                    now=self.now,
                )
                self.say(P.confirmation_sent)
        self.say(P.anything_else)
        return self.goto("main")

    def _extension_owed(self, order: Order) -> orders.Owed | None:
        """What ``order``'s extension still asks (:func:`orders.owed`), or None."""
        owed = orders.owed(self.kanava, order)
        if owed is None or owed.kind != "extension" or owed.paid_until is None:
            return None
        return owed

    def summary(self, order: Order) -> str:
        """One live parking in a sentence: until when, and whether it waits for its first
        payment; with an extension not paid yet, the paid end and what the extension
        costs."""
        owed = self._extension_owed(order)
        if owed is not None and owed.paid_until is not None:
            return self.t(
                P.live_summary_extension_unpaid,
                order.plate_display,
                order.zone.code,
                self.time(owed.paid_until),
                self.time(order.ends_at),
                self.money(owed.cents),
            )
        return self.t(
            P.status_line,
            order.plate_display,
            order.zone.code,
            self.time(order.ends_at),
            order.status is OrderStatus.AWAITING_PAYMENT,
        )

    def say_end(self, order: Order) -> None:
        """Say until when ``order`` is parked (with an extension not paid yet, the paid
        end and its price); the menu that follows leaves it out of its live-parking
        summary (the caller has just heard it)."""
        self.data["heard_end"] = order.id
        owed = self._extension_owed(order)
        if owed is not None and owed.paid_until is not None:
            self.say(
                P.parked_until_extension_unpaid,
                self.time(owed.paid_until),
                self.time(order.ends_at),
                self.money(owed.cents),
            )
        elif order.open_ended and order.ends_at is not None:
            self.say(P.parked_until_stopped_at_most, self.time(order.ends_at) or "")
        else:
            self.say(P.parked_until, self.time(order.ends_at))

    def ask_pay_choice(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.pay_choice)), GatherSpec(action="")

    def on_pay_choice(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            return self.start_card_payment()
        if digits[:1] == "2":
            order, payment = self._payment()
            if order is None or payment is None:
                return self.goto("main")
            return self.send_link_or_wait(order, payment)
        return self.invalid(digits)

    def ask_pay_card(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.pay_card_only)), GatherSpec(action="")

    def on_pay_card(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            return self.start_card_payment()
        if digits[:1] == "2":
            order, _payment = self._payment()
            if order is not None and order.status in LIVE_STATUSES:
                orders.stop_parking(
                    self.session,
                    self.kanava,
                    order,
                    now=self.now,
                    channel=Channel.VOICE,
                    reason="not paid",
                )
            self.say(P.parking_cancelled_unpaid)
            return self.goto("main")
        return self.invalid(digits)

    def _payment(self) -> tuple[Order | None, Payment | None]:
        order = self._order(self.data.get("order_id"))
        payment_id = self.data.get("payment_id")
        payment = self.session.get(Payment, payment_id) if isinstance(payment_id, int) else None
        if order is None or payment is None or payment.order_id != order.id:
            return None, None
        return order, payment

    def start_card_payment(self) -> VoiceTurn:
        order, payment = self._payment()
        if order is None or payment is None or payment.status is not PaymentStatus.PENDING:
            return self.goto("main")
        self.call.state = "paying"
        self.call.step += 1
        self.call.data = dict(self.data)
        self.say(P.pay_intro)
        prompts = {
            "payment-card-number": self.t(P.pay_card_number),
            "expiration-date": self.t(P.pay_expiry),
            "security-code": self.t(P.pay_security_code),
            "payment-processing": self.t(P.pay_processing),
        }
        return VoiceTurn(
            lang=self.lang,
            say=self.notes,
            pay=PaySpec(
                action=f"{PAY_URL}?n={self.call.step}",
                currency=payment.currency.lower(),
                description=f"Kanava {order.plate_display} {order.zone.code}",
                prompts=prompts,
            ),
        )

    def ask_paying(self) -> tuple[list[Spoken], GatherSpec]:
        # Reached only by a repeat or a stray key: offer the card again.
        self.call.state = "pay_choice" if self.call.can_sms else "pay_card"
        return self.lines(
            self.t(P.pay_choice if self.call.can_sms else P.pay_card_only)
        ), GatherSpec(action="")

    def charge_card(self, payment: Payment, given: CallInput) -> str | None:
        """Charge the card ``<Pay>`` tokenised for the exact amount of ``payment``, through
        :func:`payments.charge_tokenised_card` (the one place that completes a payment);
        the Stripe customer (``ProfileId``) and payment method (``PaymentToken``) are the
        ones the connector created. Returns why it failed, or None when it is paid."""
        if given.pay_result != "success" or not given.payment_token or not (
            takes_cards_by_phone(self.kanava)
        ):
            # No card to charge: record why (a charge records its own outcome).
            failure = (
                "gateway_without_cards"
                if given.pay_result == "success" and given.payment_token
                else given.payment_error or given.pay_result or "no_card"
            )
            payment.failure_reason = failure[:255]
            payment.updated_at = self.now
            timeline.record(
                self.session,
                at=self.now,
                channel=Channel.PAYMENT,
                kind=EventKind.PAYMENT,
                customer=payment.order.customer,
                order=payment.order,
                body=f"card by phone failed: {payment.failure_reason}",
                data={
                    "payment_id": payment.id,
                    "provider": payment.provider,
                    "action": "charge_failed",
                    "reason": payment.failure_reason,
                    "amount_cents": payment.amount_cents,
                    "currency": payment.currency,
                },
            )
            return failure
        charged = payments.charge_tokenised_card(
            self.session,
            self.kanava,
            payment,
            given.payment_token,
            customer_ref=given.profile_id,
            # One key per attempt: a second card after a decline is a new charge.
            attempt=f"voice-{self.call.step}",
            now=self.now,
        )
        return charged.failure

    def on_paying(self, digits: str, speech: str) -> VoiceTurn:
        if self.call.can_sms:
            return self.on_pay_choice(digits, speech)
        return self.on_pay_card(digits, speech)

    def on_pay_result(self, given: CallInput) -> VoiceTurn:
        order, payment = self._payment()
        if order is None or payment is None:
            return self.goto("main")
        if given.pay_result == "caller-hung-up":
            self.call.end_reason = "hung_up_in_payment"
            return VoiceTurn(lang=self.lang, hangup=True)
        if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED):
            self.say(P.pay_accepted)
            return self.confirm(order)
        failure = self.charge_card(payment, given)
        if failure is not None:
            self.say(P.pay_failed)
            return self.goto("pay_choice" if self.call.can_sms else "pay_card")
        self.say(P.pay_accepted)
        return self.confirm(order)

    # extend, stop, status

    def choose_order(self, action: str) -> VoiceTurn:
        if self.customer is None:
            self.say(P.hidden_number)
            return self.goto("main")
        live = orders.live_orders(self.session, self.customer, self.now)
        if not live:
            self.say(P.no_live_parking)
            return self.goto("main")
        self.data["action"] = action
        if len(live) == 1:
            self.data["order_id"] = live[0].id
            return self.goto("extend_minutes" if action == "extend" else "stop_confirm")
        self.data["order_ids"] = [o.id for o in live[:MAX_MENU_ITEMS]]
        return self.goto("choose_order")

    def ask_choose_order(self) -> tuple[list[Spoken], GatherSpec]:
        texts = []
        for i, order_id in enumerate(self.data.get("order_ids", []), 1):
            order = self._order(order_id)
            if order is not None:
                texts.append(self.t(P.choose_order_option, order.plate_display, order.zone.code, i))
        return self.lines(*texts), GatherSpec(action="")

    def on_choose_order(self, digits: str, speech: str) -> VoiceTurn:
        ids: list[int] = self.data.get("order_ids", [])
        if not digits[:1].isdigit() or not 1 <= int(digits[:1]) <= len(ids):
            return self.invalid(digits)
        self.data["order_id"] = ids[int(digits[:1]) - 1]
        action = self.data.get("action")
        return self.goto("extend_minutes" if action == "extend" else "stop_confirm")

    def _live_chosen(self) -> Order | None:
        order = self._order(self.data.get("order_id"))
        if order is None or order.status not in LIVE_STATUSES:
            return None
        if order.ends_at is not None and order.ends_at <= self.now:
            return None
        return order

    def ask_extend_minutes(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.ask_extension)), GatherSpec(
            action="", num_digits=None, finish_on_key="#", timeout=8
        )

    def on_extend_minutes(self, digits: str, speech: str) -> VoiceTurn:
        order = self._live_chosen()
        if order is None:
            self.say(P.no_live_parking)
            return self.goto("main")
        value = digits.rstrip("#")
        if not value.isdigit():
            return self.invalid(digits)
        try:
            extended = orders.extend_parking(
                self.session, self.kanava, order, int(value), now=self.now, channel=Channel.VOICE
            )
        except orders.OrderError as exc:
            if exc.code == "bad_duration":
                return self.reject(P.bad_duration)
            if exc.code == "open_ended":
                self.say(P.cannot_extend_open_ended)
            elif exc.code == "at_max_stay":
                self.say(P.at_max_stay, self.time(order.ends_at) or "")
            else:
                self.say(P.no_live_parking)
            return self.goto("main")
        self.say(P.extended, self.time(order.ends_at) or "", self.money(extended.added_cents))
        pay = extended.payment
        if pay is not None and pay.status is PaymentStatus.PENDING and extended.added_cents > 0:
            return self.collect(order, pay, "extend")
        return self.confirm(order)

    def ask_stop_confirm(self) -> tuple[list[Spoken], GatherSpec]:
        order = self._live_chosen()
        if order is None:
            self.call.state = "main"
            self.say(P.no_live_parking)
            return self.ask_main()
        return self.lines(self.t(P.confirm_stop, order.plate_display, order.zone.code)), GatherSpec(
            action=""
        )

    def on_stop_confirm(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "2":
            return self.goto("main")
        if digits[:1] != "1":
            return self.invalid(digits)
        order = self._live_chosen()
        if order is None:
            self.say(P.no_live_parking)
            return self.goto("main")
        try:
            stopped = orders.stop_parking(
                self.session, self.kanava, order, now=self.now, channel=Channel.VOICE
            )
        except orders.OrderError:
            # Stopped meanwhile by a text message, staff or the clock.
            self.say(P.no_live_parking)
            return self.goto("main")
        self.say(P.stopped, self.money(stopped.amount_cents))
        pay = stopped.payment
        if pay is not None and pay.status is PaymentStatus.PENDING and pay.amount_cents > 0:
            self.data["payment_id"] = pay.id
            self.data["paying_for"] = "stop"
            if takes_cards_by_phone(self.kanava):
                return self.goto("pay_choice" if self.call.can_sms else "pay_card")
            return self.send_link_or_wait(order, pay)
        self.say(P.anything_else)
        return self.goto("main")

    def status(self) -> VoiceTurn:
        if self.customer is None:
            self.say(P.hidden_number)
            return self.goto("main")
        live = orders.live_orders(self.session, self.customer, self.now)
        if not live:
            self.say(P.no_live_parking)
        for order in live[:MAX_MENU_ITEMS]:
            self.note(self.summary(order))
        self.data["heard_status"] = True
        return self.goto("main")

    # language and help

    def ask_language(self) -> tuple[list[Spoken], GatherSpec]:
        return [Spoken(text, lang) for lang, _key, text in P.LANGUAGE_OPTIONS], GatherSpec(
            action=""
        )

    def on_language(self, digits: str, speech: str) -> VoiceTurn:
        chosen = {key: lang for lang, key, _text in P.LANGUAGE_OPTIONS}.get(digits[:1])
        if chosen is None or chosen not in LANGUAGES:
            return self.invalid(digits)
        self.call.language = chosen
        if self.customer is not None:
            self.customer.language = chosen
        self.say(P.language_set)
        return self.goto("main")

    def help(self) -> VoiceTurn:
        operator = self.kanava.settings.operator_number
        if operator:
            self.record(
                "transferred to an operator", understood=True, intent="transfer", operator=operator
            )
            self.call.end_reason = "transferred"
            self.call.step += 1
            self.say(P.connecting_operator)
            return VoiceTurn(lang=self.lang, say=self.notes, dial=operator)
        self.say(P.help_by_sms, _service_number(self.kanava), not self.call.can_sms)
        return self.goto("main")
