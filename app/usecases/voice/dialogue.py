"""One step of one phone call: what every part of the voice menu shares.

:class:`Dialogue` holds the call (its stored state and data), says things in the
caller's language, records every step in the timeline, and asks the question of the
current state through the table of :class:`Step` objects; the flows subclass it
(:mod:`~app.usecases.voice.parking`, :mod:`~app.usecases.voice.paying`,
:mod:`~app.usecases.voice.own_parkings`, :mod:`~app.usecases.voice.menu`), and
:class:`app.usecases.voice.steps.VoiceCall` is all of them with the table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar

from babel.dates import format_date
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app.backend import bookings, customers, orders, timeline
from app.kernel import Kanava
from app.kernel.calls import GatherSpec, Spoken, VoiceTurn
from app.models import CallSession, Channel, Customer, EventKind, Order, OrderKind, OrderStatus
from app.texts import bookings as booking_texts
from app.texts import messages
from app.texts import voice_prompts as P
from app.usecases import outbox_dispatch as notifications
from app.usecases.voice import support
from app.usecases.voice.states import CallState

log = logging.getLogger(__name__)

# Answers missed in a row at one prompt (a key not in the menu, words not understood, or
# silence) before the call stops asking the same question: put through to a person
# while one answers, else ended politely with the SMS alternative.
MAX_MISSES = 3
MAX_MENU_ITEMS = 8
# A day as it is said: the weekday and the month by name ("Tuesday 24 November"); in
# Finnish the weekday in its own form ("tiistai"), which reads right in every sentence.
SPOKEN_DAY = {"fi": "cccc d. MMMM", "sv": "EEEE 'den' d MMMM", "en": "EEEE d MMMM"}
BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_IE"}
STEP_URL = "/twilio/voice/step"
PAY_URL = "/twilio/voice/pay"

# What a state asks: the sentences, and what to gather (its action is set by the dialogue).
Question = tuple[list[Spoken], GatherSpec]


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


D = TypeVar("D", bound="Dialogue")


@dataclass(frozen=True)
class Step(Generic[D]):
    """One state of the menu (pretix's checkout flow steps are the model): ``ask`` says
    its question, ``answer`` handles the keys or words given to it, and ``paid`` (only
    where the caller was handed to ``<Pay>``) handles the card's result."""

    ask: Callable[[D], Question]
    answer: Callable[[D, str, str], VoiceTurn]
    paid: Callable[[D, CallInput], VoiceTurn] | None = None


def takes_cards_by_phone(kanava: Kanava) -> bool:
    """Whether a card tokenised by ``<Pay>`` can be charged: the gateway charges saved cards
    (Stripe). The demo gateway cannot, so its callers get the SMS payment link instead."""
    return kanava.payments.saves_cards


def service_number(kanava: Kanava) -> str | None:
    s = kanava.settings
    return s.service_number or s.twilio_from_number


class Dialogue:
    """One step of one call: reads the state, handles the input, says what comes next."""

    # The table of states and their steps (:data:`app.usecases.voice.steps.STEPS`).
    steps: ClassVar[Mapping[CallState, Step[Any]]]

    def __init__(self, session: Session, kanava: Kanava, call: CallSession, now: datetime) -> None:
        self.session = session
        self.kanava = kanava
        self.call = call
        self.now = now
        self.customer: Customer | None = call.customer
        self.data: dict[str, Any] = dict(call.data or {})
        self.notes: list[Spoken] = []
        self.problem = False

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

    def day(self, day: date) -> str:
        """A date as the voice says it: the weekday and the month by name."""
        return format_date(day, SPOKEN_DAY[self.lang], locale=BABEL_LOCALE[self.lang])

    def clock(self, at: datetime) -> str:
        """The local clock time of ``at`` alone, as parking says its times."""
        return messages.local_time(at, self.lang, self.kanava, at)

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.kanava.settings.tz).date()

    def when(self, at: datetime) -> str:
        """The clock time, with the day when it is not today."""
        if self.local_day(at) == self.local_day(self.now):
            return self.clock(at)
        return self.t(P.day_at, self.day(self.local_day(at)), self.clock(at))

    def money(self, cents: int) -> str:
        return messages.money(cents, self.kanava.settings.currency, self.lang)

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
        """Explain what was wrong with the input and ask the same question again (or,
        after :data:`MAX_MISSES`, stop asking: :meth:`give_up`)."""
        self.say(build, *args)
        return self.missed() or self.prompt()

    def missed(self) -> VoiceTurn | None:
        """Count an answer not taken at this prompt. The second in a row goes to the staff
        inbox (:func:`support.hand_over`); the last one the call takes ends the asking,
        and its turn is returned. None while the question may be asked again."""
        self.call.invalid_count += 1
        self.problem = True
        if self.call.invalid_count == 2:
            support.hand_over(self, "not_understood")
        return self.give_up() if self._missed_too_often() else None

    def _missed_too_often(self) -> bool:
        misses = int(self.data.get("misses") or 0) + 1
        self.data["misses"] = misses
        return misses >= MAX_MISSES

    def give_up(self) -> VoiceTurn:
        """The same question missed :data:`MAX_MISSES` times: no fourth time. While
        customer service is staffed (``SUPPORT_HOURS``) and ``OPERATOR_NUMBER`` is set, the
        call is put through to a person; otherwise it ends politely with the SMS
        alternative (a known caller's case was opened at the second miss)."""
        transfer = self.transfer() if support.staffed(self.kanava, self.now) else None
        if transfer is not None:
            return transfer
        self.record(
            f"{self.call.state}: ended after {MAX_MISSES} answers missed",
            understood=False,
            intent="call_gave_up",
        )
        self.call.end_reason = "not_understood"
        self.say(P.cannot_understand)
        self.say(P.goodbye_after_silence, service_number(self.kanava))
        return VoiceTurn(lang=self.lang, say=self.notes, hangup=True)

    def transfer(self) -> VoiceTurn | None:
        """Put the call through to ``OPERATOR_NUMBER`` (None when there is none): in the
        staff inbox as a call to a person, and noted on the timeline."""
        operator = self.kanava.settings.operator_number
        if not operator:
            return None
        support.hand_over(self, "to_person", say=False)
        self.record(
            "transferred to an operator", understood=True, intent="transfer", operator=operator
        )
        self.call.end_reason = "transferred"
        self.call.step += 1
        self.say(P.connecting_operator)
        return VoiceTurn(lang=self.lang, say=self.notes, dial=operator)

    def invalid(self, digits: str) -> VoiceTurn:
        if not digits[:1]:
            # Spoken where a key is asked: never read out a placeholder for the key.
            return self.reject(P.use_the_keys)
        return self.reject(P.invalid_key, digits[:1])

    def goto(self, state: CallState) -> VoiceTurn:
        self.move(state)
        return self.prompt()

    def move(self, state: CallState) -> None:
        """Go to ``state``: a new question, with no answers missed yet."""
        self.call.state = state
        self.call.invalid_count = 0
        self.data.pop("misses", None)

    def step_of_state(self) -> Step[Any]:
        """The step of the call's stored state. A state this release does not know (left by
        an older release, or damaged) is logged and recorded, the caller hears an
        apology, and the call goes back to the main menu: never silently restarted."""
        try:
            return self.steps[CallState(self.call.state)]
        except (ValueError, KeyError):
            stored = self.call.state
        log.warning("call %s is in an unknown state %r", self.call.call_sid, stored)
        self.record(
            f"{stored}: unknown state", understood=False, intent="unknown_state", stored=stored
        )
        self.say(P.lost_our_place)
        self.move(CallState.MAIN)
        return self.steps[CallState.MAIN]

    def handle(self, given: CallInput) -> VoiceTurn:
        """Answer what the caller keyed, said or paid in the call's current state."""
        digits = given.digits.strip()
        speech = given.speech.strip()
        state = self.call.state
        if state not in self.steps:
            # Whatever was keyed answered a question this release cannot know.
            self.step_of_state()
            return self.prompt()
        step = self.steps[CallState(state)]
        if given.pay_result is not None:
            self.record(
                f"{state}: card {given.pay_result}",
                understood=given.pay_result == "success",
                intent="pay",
                result=given.pay_result,
                error=given.payment_error,
            )
            if step.paid is None:
                return self.prompt()
            return step.paid(self, given)
        if not digits and not speech:
            self.call.silence_count += 1
            self.record(f"{state}: silence", understood=False, intent="silence")
            if self._missed_too_often():
                self.call.end_reason = "silence"
                self.say(P.goodbye_after_silence, service_number(self.kanava))
                return VoiceTurn(lang=self.lang, say=self.notes, hangup=True)
            self.say(P.no_input)
            return self.prompt()
        self.call.silence_count = 0
        if digits.startswith("*"):
            self.record(f"{state}: repeat", understood=True, intent="repeat")
            return self.prompt()
        turn = step.answer(self, digits, speech)
        self.record(
            f"{state}: " + (digits or f'"{speech}"'),
            understood=not self.problem,
            intent=state,
            digits=digits or None,
            speech=speech or None,
        )
        return turn

    def prompt(self, *, advance: bool = True) -> VoiceTurn:
        """The current state's prompt, after any notes, gathering the next step."""
        if advance:
            self.call.step += 1
            self.call.data = dict(self.data)
        lines, gather = self.step_of_state().ask(self)
        if advance:
            self.call.data = dict(self.data)
        gather.action = f"{STEP_URL}?n={self.call.step}"
        if self.call.state == CallState.MAIN:
            lines.append(Spoken(self.t(P.menu_repeat), self.lang))
        return VoiceTurn(lang=self.lang, say=self.notes + lines, gather=gather)

    def lines(self, *texts: str) -> list[Spoken]:
        return [Spoken(text, self.lang) for text in texts]

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

    def confirm(self, order: Order) -> VoiceTurn:
        if order.kind is OrderKind.BOOKING:
            return self.booked(order, None)
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
        return self.goto(CallState.MAIN)

    def booked(self, order: Order, link: str | None) -> VoiceTurn:
        """After a booking is made: confirmed (or, with ``link``, waiting for its payment),
        its reference read out character by character and sent by SMS with the window,
        price, terms and the pay or calendar link."""
        if order.status is OrderStatus.BOOKED:
            self.say(P.booking_confirmed)
        elif order.status is not OrderStatus.AWAITING_PAYMENT:
            # Paid after its hold lapsed with the space taken: refunded, told by SMS.
            self.say(P.booking_lost)
            return self.goto(CallState.MAIN)
        self.say(P.booking_reference, order.booking_ref or "")
        if self.call.can_sms and self.customer is not None:
            terms = bookings.terms_of(order.zone)
            notifications.queue_sms(
                self.session,
                self.kanava,
                self.customer,
                booking_texts.booking_made(order, link, terms, self.lang, self.kanava, self.now),
                purpose="voice_booking",
                order=order,
                now=self.now,
            )
            self.say(P.booking_reference_sent)
        self.say(P.anything_else)
        return self.goto(CallState.MAIN)
