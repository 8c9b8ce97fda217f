"""``POST /twilio/sms``: Twilio's Messaging webhook. Parse, call the SMS use case, render TwiML."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from app.adapters.twilio_webhooks import messaging_twiml
from app.channels.twilio_auth import twilio_signed
from app.domain.inputs import MESSAGE_SID_RE, clean_text, small_count
from app.extensions import db, kanava
from app.usecases.sms import spool as inbox_spool
from app.usecases.sms.conversation import receive_sms

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)
# An SMS of 10 segments is 1,600 characters; a longer body is nobody's message.
MAX_BODY = 5000
MAX_SENDER = 32


def twiml(reply: str) -> Response:
    return Response(messaging_twiml(reply), mimetype="text/xml")


@bp.post("/twilio/sms")
@twilio_signed
def inbound_sms() -> Response:
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    # Free text is cleaned, never refused: a 400 would lose the message.
    sender = clean_text(form.get("From", ""), MAX_SENDER).strip()
    body = clean_text(form.get("Body", ""), MAX_BODY)
    if not sid or not sender:
        return Response("MessageSid and From are required", status=400, mimetype="text/plain")
    if not MESSAGE_SID_RE.fullmatch(sid):
        return Response("MessageSid is not Twilio's", status=400, mimetype="text/plain")
    num_media = small_count(form.get("NumMedia", "0"))
    extra = {"num_media": num_media} if num_media else None
    k = kanava()
    now = k.clock()
    try:
        reply = receive_sms(
            db.session(),
            k,
            message_sid=sid,
            from_number=sender,
            to_number=clean_text(form.get("To", ""), MAX_SENDER),
            body=body,
            now=now,
            extra=extra,
        )
    except (OperationalError, InterfaceError, SATimeoutError):
        # The database is down or locked: keep the message, answer that it arrived.
        log.exception("database unavailable; SMS %s spooled", sid)
        db.session.remove()
        inbox_spool.spool_sms(
            spool_root(), {**form.to_dict(flat=True), "From": sender, "Body": body}, now
        )
        reply = inbox_spool.acknowledgement(body, sender, k.settings.default_language)
    return twiml(reply)


def spool_root() -> Path:
    return kanava().settings.spool_dir or Path(current_app.instance_path) / "spool"
