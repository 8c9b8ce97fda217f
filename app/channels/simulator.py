"""The phone simulator: text the service as a driver would, without a Twilio account.

Registered only while Twilio is not configured. The page asks this blueprint to sign a
Twilio-shaped request with the local webhook token, then posts it itself to
``/twilio/sms``: the webhook sees exactly what Twilio would send.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, jsonify, render_template, request

from app.adapters.twilio_webhooks import signature_of
from app.backend import timeline
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.config import DEVELOPMENT_SERVICE_NUMBER
from app.extensions import db, kanava
from app.models import EventKind
from app.texts.messages import page_time

bp = Blueprint("simulator", __name__, url_prefix="/simulator")

SIMULATOR_ACCOUNT_SID = "AC" + "0" * 32


def service_number() -> str:
    return kanava().settings.service_number or DEVELOPMENT_SERVICE_NUMBER


@bp.before_request
def only_without_twilio() -> None:
    settings = kanava().settings
    if settings.twilio_configured or settings.environment == "production":
        abort(404)


@bp.get("/")
def page() -> str:
    return render_template("simulator/phone.html", service_number=service_number())


@bp.post("/api/sign")
def sign() -> tuple[Response, int] | Response:
    data = request.get_json(silent=True) or {}
    try:
        sender = normalize_phone(str(data.get("from", "")))
    except InvalidPhoneNumber:
        return jsonify({"error": "bad_number"}), 400
    body = str(data.get("body", ""))[:1600]
    params = {
        "ToCountry": "FI",
        "SmsMessageSid": "",
        "NumMedia": "0",
        "SmsSid": "",
        "SmsStatus": "received",
        "Body": body,
        "To": service_number(),
        "NumSegments": "1",
        "MessageSid": "",
        "AccountSid": SIMULATOR_ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    sid = "SM" + secrets.token_hex(16)
    params.update(SmsMessageSid=sid, SmsSid=sid, MessageSid=sid)
    settings = kanava().settings
    url = settings.public_base_url + "/twilio/sms"
    signature = signature_of(settings.webhook_auth_token, url, params)
    return jsonify({"path": "/twilio/sms", "params": params, "signature": signature})


@bp.get("/api/thread")
def conversation() -> tuple[Response, int] | Response:
    try:
        phone = normalize_phone(request.args.get("phone", ""))
    except InvalidPhoneNumber:
        return jsonify({"error": "bad_number"}), 400
    thread = timeline.sms_thread(db.session(), phone)
    return jsonify(
        {
            "phone": phone,
            "messages": [
                {
                    "id": m.event.id,
                    "direction": "in" if m.event.kind is EventKind.MESSAGE_IN else "out",
                    "body": m.event.body,
                    "at": page_time(m.event.created_at, "HH:mm"),
                    "understood": m.event.understood,
                    "status": m.delivery_status,
                }
                for m in thread
            ],
        }
    )


VOICE_PARAMS = ("Digits", "SpeechResult", "Result", "PaymentToken", "ProfileId", "PaymentError")


@bp.post("/api/sign-voice")
def sign_voice() -> tuple[Response, int] | Response:
    """Sign one step of a simulated call: ``path`` under /twilio/voice, ``call_sid`` (new
    when empty) and what the caller keyed, said or paid, as Twilio would post it."""
    data = request.get_json(silent=True) or {}
    path = str(data.get("path", "/twilio/voice"))
    if not (path == "/twilio/voice" or path.startswith("/twilio/voice/")) or len(path) > 200:
        return jsonify({"error": "bad_path"}), 400
    try:
        caller = normalize_phone(str(data.get("from", "")))
    except InvalidPhoneNumber:
        return jsonify({"error": "bad_number"}), 400
    sid = str(data.get("call_sid") or "") or "CA" + secrets.token_hex(16)
    params = {
        "CallSid": sid[:40],
        "AccountSid": SIMULATOR_ACCOUNT_SID,
        "From": caller,
        "To": service_number(),
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    given = data.get("params") or {}
    if isinstance(given, dict):
        params.update({k: str(given[k])[:300] for k in VOICE_PARAMS if k in given})
    settings = kanava().settings
    signature = signature_of(settings.webhook_auth_token, settings.public_base_url + path, params)
    return jsonify({"path": path, "params": params, "signature": signature})
