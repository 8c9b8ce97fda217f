"""``POST /twilio/status``: Twilio's status callbacks for outbound SMS.

Twilio posts ``MessageSid``, ``MessageStatus`` and, for undelivered or failed messages,
``ErrorCode`` (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status).
Signed like every Twilio webhook; ``MessageSid`` must have Twilio's shape (400 otherwise,
nothing stored); the service applies the status once and never backwards.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.channels.twilio_auth import twilio_signed
from app.domain.inputs import MESSAGE_SID_RE
from app.extensions import csrf, db, kanava
from app.usecases.outbox_dispatch import record_delivery_status

bp = Blueprint("twilio_status", __name__)


@bp.post("/twilio/status")
@twilio_signed
def delivery_status() -> Response:
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus") or ""
    if not sid or not status:
        return Response("MessageSid and MessageStatus are required", 400, mimetype="text/plain")
    if not MESSAGE_SID_RE.fullmatch(sid):
        # Twilio's own (SM/MM + 32 hex), as POST /twilio/sms checks: nothing else reaches
        # the database (a NUL or an overlong sid would answer 500 on PostgreSQL).
        return Response("MessageSid is not Twilio's", 400, mimetype="text/plain")
    record_delivery_status(
        db.session(),
        message_sid=sid,
        status=status,
        error_code=request.form.get("ErrorCode") or None,
        now=kanava().clock(),
    )
    return Response(status=204)


# Twilio cannot send a CSRF token; the signature is this endpoint's proof of origin.
csrf.exempt(delivery_status)
