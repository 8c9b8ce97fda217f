"""``POST /twilio/voice`` and the menu's steps under ``/twilio/voice/…``.

Parse what Twilio posted, call the voice use case, render its answer as TwiML
(:func:`app.adapters.twilio_webhooks.voice_twiml`). Every URL checks
``X-Twilio-Signature``.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.adapters.twilio_webhooks import voice_twiml
from app.channels.twilio_auth import twilio_signed
from app.domain.inputs import CALL_SID_RE, clean_text, is_ascii_number, keypad_keys
from app.extensions import db, kanava
from app.kernel.calls import VoiceTurn
from app.usecases.voice import call as voice
from app.usecases.voice.dialogue import CallInput

bp = Blueprint("voice", __name__)


def render(turn: VoiceTurn) -> Response:
    return Response(voice_twiml(turn), mimetype="text/xml")


def _step() -> int:
    value = request.args.get("n", "")
    return int(value) if is_ascii_number(value, 6) else -1


def _bad(what: str) -> Response:
    return Response(f"{what} is required", status=400, mimetype="text/plain")


def _call_sid() -> str | None:
    """The request's ``CallSid`` when it has Twilio's shape (``CA`` + 32 hex), else None."""
    sid = request.form.get("CallSid", "")
    return sid if CALL_SID_RE.fullmatch(sid) else None


@bp.post("/twilio/voice")
@twilio_signed
def incoming_call() -> Response:
    form = request.form
    if (sid := _call_sid()) is None:
        return _bad("CallSid")
    k = kanava()
    turn = voice.answer_call(
        db.session(),
        k,
        call_sid=sid,
        from_number=clean_text(form.get("From", ""), 32).strip(),
        to_number=clean_text(form.get("To", ""), 32).strip(),
        now=k.clock(),
    )
    return render(turn)


def _continue(given: CallInput) -> Response:
    """One step of a call already answered: the state machine takes ``given`` from here."""
    if (sid := _call_sid()) is None:
        return _bad("CallSid")
    k = kanava()
    turn = voice.continue_call(
        db.session(), k, call_sid=sid, step=_step(), given=given, now=k.clock()
    )
    return render(turn)


@bp.post("/twilio/voice/step")
@twilio_signed
def menu_step() -> Response:
    """A ``<Gather>``'s action: the keys pressed or the words heard."""
    form = request.form
    return _continue(
        CallInput(
            digits=keypad_keys(form.get("Digits", "")),
            speech=clean_text(form.get("SpeechResult", ""), 300),
        )
    )


def _text(name: str) -> str | None:
    """A ``<Pay>`` field, cleaned and cut to the longest column it may land in."""
    return clean_text(request.form.get(name, ""), 64) or None


@bp.post("/twilio/voice/pay")
@twilio_signed
def pay_result() -> Response:
    """``<Pay>``'s action: ``Result`` and, on success, the tokenised card."""
    return _continue(
        CallInput(
            pay_result=_text("Result") or "",
            payment_token=_text("PaymentToken"),
            profile_id=_text("ProfileId"),
            payment_error=_text("PaymentError") or _text("ConnectorError"),
            card_number=_text("PaymentCardNumber"),
            card_type=_text("PaymentCardType"),
        )
    )


@bp.post("/twilio/voice/status")
@twilio_signed
def call_status() -> Response:
    """The call's status callback: the timeline notes where a caller hung up."""
    form = request.form
    if (sid := _call_sid()) is None:
        return _bad("CallSid")
    if form.get("CallStatus") in (
        "completed",
        "busy",
        "failed",
        "no-answer",
        "canceled",
    ):
        k = kanava()
        voice.call_ended(db.session(), k, call_sid=sid, status=form["CallStatus"], now=k.clock())
    return Response("", status=204)
