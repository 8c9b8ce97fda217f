"""``POST /twilio/sms``: Twilio's Messaging webhook. Parse, call the SMS use case, render TwiML."""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from app import kanava
from app.channels.twilio_auth import twilio_signed
from app.extensions import db
from app.services.sms import receive_sms

bp = Blueprint("sms", __name__)


def twiml(reply: str) -> Response:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), mimetype="text/xml")


@bp.post("/twilio/sms")
@twilio_signed
def inbound_sms() -> Response:
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    sender = form.get("From", "")
    if not sid or not sender:
        return Response("MessageSid and From are required", status=400, mimetype="text/plain")
    extra = (
        {"num_media": int(n)} if (n := form.get("NumMedia", "0")).isdigit() and n != "0" else None
    )
    k = kanava()
    reply = receive_sms(
        db.session(),
        k,
        message_sid=sid,
        from_number=sender,
        to_number=form.get("To", ""),
        body=form.get("Body", ""),
        now=k.clock(),
        extra=extra,
    )
    return twiml(reply)
