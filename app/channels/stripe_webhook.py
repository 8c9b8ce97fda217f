"""``POST /stripe/webhook``: Stripe's events, signature checked, each event id applied once.

The channel only hands the raw body and the ``Stripe-Signature`` header to the use case
(:func:`app.usecases.provider_events.receive_webhook`); 400 when the signature does not verify.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from app.extensions import db, kanava
from app.kernel.payments import InvalidWebhook
from app.usecases import provider_events

bp = Blueprint("stripe_webhook", __name__)


@bp.post("/stripe/webhook")
def stripe_webhook() -> tuple[Response, int]:
    k = kanava()
    try:
        result = provider_events.receive_webhook(
            db.session(),
            k,
            request.get_data(),
            request.headers.get("Stripe-Signature"),
            now=k.clock(),
        )
    except InvalidWebhook:
        return jsonify({"error": "invalid signature"}), 400
    return jsonify({"status": result}), 200
