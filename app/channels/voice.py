"""``POST /twilio/voice`` and the menu's steps under ``/twilio/voice/…``.

Parse what Twilio posted, call the voice use case, render its answer as TwiML. Every URL
checks ``X-Twilio-Signature``. Voices and language codes are the ones Twilio offers for
Amazon Polly (https://www.twilio.com/docs/voice/twiml/say/text-speech).
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import Gather, Pay, Say, VoiceResponse

from app import kanava
from app.channels.twilio_auth import twilio_signed
from app.extensions import db
from app.texts.voice_prompts import SPELL
from app.usecases.voice import call as voice

bp = Blueprint("voice", __name__)


def _say(spoken: voice.Spoken) -> Say:
    """A ``<Say>``; marked parts become ``<say-as interpret-as="spell-out">``."""
    say = Say(voice=voice.VOICE[spoken.lang], language=voice.SAY_LANGUAGE[spoken.lang])
    for index, part in enumerate(spoken.text.split(SPELL)):
        if not part:
            continue
        if index % 2:
            say.say_as(part, interpret_as="spell-out")
        else:
            say.nest(part)
    return say


def render(turn: voice.VoiceTurn) -> Response:
    response = VoiceResponse()
    if turn.gather is not None:
        g = turn.gather
        gather = Gather(
            input=g.input,
            action=g.action,
            method="POST",
            timeout=g.timeout,
            num_digits=g.num_digits,
            finish_on_key=g.finish_on_key if g.finish_on_key is not None else "",
            hints=g.hints,
            language=voice.SAY_LANGUAGE[turn.lang] if "speech" in g.input else None,
            speech_timeout="auto" if "speech" in g.input else None,
            action_on_empty_result=True,
        )
        for spoken in turn.say:
            gather.append(_say(spoken))
        response.append(gather)
    else:
        for spoken in turn.say:
            response.append(_say(spoken))
    if turn.pay is not None:
        p = turn.pay
        pay = Pay(
            input="dtmf",
            action=p.action,
            payment_connector="Stripe_Connector",
            token_type="reusable",  # noqa: S106 - a token kind, not a secret
            charge_amount="0",
            currency=p.currency,
            description=p.description,
            postal_code=False,
            timeout=10,
            max_attempts=2,
        )
        for for_, text in p.prompts.items():
            pay.prompt(for_=for_).append(_say(voice.Spoken(text, turn.lang)))
        response.append(pay)
    if turn.dial is not None:
        response.dial(turn.dial)
    if turn.hangup:
        response.hangup()
    return Response(str(response), mimetype="text/xml")


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


def _continue(given: voice.CallInput) -> Response:
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
        voice.CallInput(
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
        voice.CallInput(
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
