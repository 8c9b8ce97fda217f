"""``POST /twilio/voice`` and the menu's steps under ``/twilio/voice/…``.

Parse what Twilio posted, call the voice use case, render its answer as TwiML
(:func:`app.adapters.twilio_webhooks.voice_twiml`). Every URL checks
``X-Twilio-Signature``.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.adapters.twilio_webhooks import voice_twiml
from app.channels.twilio_auth import twilio_signed
from app.extensions import db, kanava
from app.kernel.calls import VoiceTurn
from app.usecases.voice import call as voice
from app.usecases.voice.dialogue import CallInput

bp = Blueprint("voice", __name__)


def render(turn: VoiceTurn) -> Response:
    return Response(voice_twiml(turn), mimetype="text/xml")


def _step() -> int:
    value = request.args.get("n", "")
    return int(value) if value.isdigit() and len(value) < 7 else -1


def _bad(what: str) -> Response:
    return Response(f"{what} is required", status=400, mimetype="text/plain")


@bp.post("/twilio/voice")
@twilio_signed
def incoming_call() -> Response:
    form = request.form
    if not form.get("CallSid"):
        return _bad("CallSid")
    k = kanava()
    turn = voice.answer_call(
        db.session(),
        k,
        call_sid=form["CallSid"],
        from_number=form.get("From", ""),
        now=k.clock(),
    )
    return render(turn)


def _continue(given: CallInput) -> Response:
    """One step of a call already answered: the state machine takes ``given`` from here."""
    form = request.form
    if not form.get("CallSid"):
        return _bad("CallSid")
    k = kanava()
    turn = voice.continue_call(
        db.session(), k, call_sid=form["CallSid"], step=_step(), given=given, now=k.clock()
    )
    return render(turn)


@bp.post("/twilio/voice/step")
@twilio_signed
def menu_step() -> Response:
    """A ``<Gather>``'s action: the keys pressed or the words heard."""
    form = request.form
    return _continue(
        CallInput(
            digits=form.get("Digits", "")[:32],
            speech=form.get("SpeechResult", "")[:300],
        )
    )


@bp.post("/twilio/voice/pay")
@twilio_signed
def pay_result() -> Response:
    """``<Pay>``'s action: ``Result`` and, on success, the tokenised card."""
    form = request.form
    return _continue(
        CallInput(
            pay_result=form.get("Result", "")[:64],
            payment_token=form.get("PaymentToken") or None,
            profile_id=form.get("ProfileId") or None,
            payment_error=(form.get("PaymentError") or form.get("ConnectorError") or None),
            card_number=form.get("PaymentCardNumber") or None,
            card_type=form.get("PaymentCardType") or None,
        )
    )


@bp.post("/twilio/voice/status")
@twilio_signed
def call_status() -> Response:
    """The call's status callback: the timeline notes where a caller hung up."""
    form = request.form
    if form.get("CallSid") and form.get("CallStatus") in (
        "completed",
        "busy",
        "failed",
        "no-answer",
        "canceled",
    ):
        k = kanava()
        voice.call_ended(
            db.session(), k, call_sid=form["CallSid"], status=form["CallStatus"], now=k.clock()
        )
    return Response("", status=204)
