"""``POST /twilio/sms``: Twilio's Messaging webhook. Parse, call the SMS use case, render TwiML."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from app.adapters.twilio_webhooks import messaging_twiml
from app.channels.twilio_auth import twilio_signed
from app.extensions import db, kanava
from app.usecases.sms import spool as inbox_spool
from app.usecases.sms.conversation import receive_sms

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)


def twiml(reply: str) -> Response:
    return Response(messaging_twiml(reply), mimetype="text/xml")


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
    now = k.clock()
    try:
        reply = receive_sms(
            db.session(),
            k,
            message_sid=sid,
            from_number=sender,
            to_number=form.get("To", ""),
            body=form.get("Body", ""),
            now=now,
            extra=extra,
        )
    except (OperationalError, InterfaceError, SATimeoutError):
        # The database is down or locked: keep the message, answer that it arrived.
        log.exception("database unavailable; SMS %s spooled", sid)
        db.session.remove()
        inbox_spool.spool_sms(spool_root(), form.to_dict(flat=True), now)
        reply = inbox_spool.acknowledgement(
            form.get("Body", ""), sender, k.settings.default_language
        )
    return twiml(reply)


def spool_root() -> Path:
    return kanava().settings.spool_dir or Path(current_app.instance_path) / "spool"
