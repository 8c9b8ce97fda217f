"""The voice menu: one phone call, step by step, with its state in the database.

``POST /twilio/voice`` calls :func:`answer_call`; every later step (a ``<Gather>`` or
``<Pay>`` action) calls :func:`continue_call`. Each answer is a :class:`VoiceTurn` — what
to say, what to gather, whether to take a card, dial or hang up — that the channel renders
as TwiML. This module holds the entry points and their idempotency; the menu itself is a
table of states and steps (:mod:`app.usecases.voice.steps`) over the flows
(:mod:`~app.usecases.voice.parking`, :mod:`~app.usecases.voice.paying`,
:mod:`~app.usecases.voice.own_parkings`, :mod:`~app.usecases.voice.menu`).

State lives in :class:`~app.models.CallSession`, keyed by ``CallSid``, so any worker can
answer any step. Every prompt carries a step number in its action URL; the pair
(CallSid, step) is claimed once through :class:`~app.models.WebhookReceipt` in the same
transaction as the work, and the answer is stored there: a retried step gets the same
answer and parks nothing twice. Every step is written to the timeline, so an attendant
sees where a caller gave up.
"""

from __future__ import annotations

import logging
from datetime import datetime

import phonenumbers
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.backend import contacts, customers, timeline
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.kernel import Kanava
from app.kernel.calls import Spoken, VoiceTurn
from app.models import CallSession, Channel, EventKind, WebhookReceipt
from app.texts import voice_prompts as P
from app.usecases import outbox_dispatch as notifications
from app.usecases.voice import support
from app.usecases.voice.dialogue import CallInput, service_number
from app.usecases.voice.states import CallState
from app.usecases.voice.steps import VoiceCall

log = logging.getLogger(__name__)

SOURCE = "twilio_voice"


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
    to_number: str | None = None,
) -> VoiceTurn:
    """Greet a new call and offer the main menu. Commits.

    The caller is known by caller ID: their language, their last parking ("press 1 to park
    ABC-123 in zone 101 again") and their live parkings. A hidden or invalid number gets
    the menu without any of that. A retried request gets the same answer. A call to a
    sign group's own number (``to_number``) is attributed to that sign.
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
        state=CallState.MAIN,
        data={"landline": not can_receive_sms(phone)},
        step=0,
        created_at=now,
        updated_at=now,
    )
    session.add(call)
    session.flush()
    start = timeline.record(
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
    start.sign_code = support.sign_of_call(kanava, to_number)
    machine = VoiceCall(session, kanava, call, now)
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
            text = P.technical_problem(service_number(kanava))
        return VoiceTurn(lang=lang, say=[Spoken(text, lang)], hangup=True)
    if step != call.step:
        machine = VoiceCall(session, kanava, call, now)
        turn = machine.prompt(advance=False)
        session.rollback()
        return turn
    claimed = _claim(session, key)
    if claimed is not None:
        return claimed
    call = session.scalar(select(CallSession).where(CallSession.call_sid == call_sid))
    assert call is not None
    machine = VoiceCall(session, kanava, call, now)
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
    session: Session, kanava: Kanava, key: str, machine: VoiceCall, turn: VoiceTurn
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
        text = P.technical_problem(service_number(kanava))
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
