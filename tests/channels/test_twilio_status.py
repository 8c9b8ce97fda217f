"""``POST /twilio/status`` checks ``MessageSid`` for Twilio's shape (``SM``/``MM`` + 32 hex)
like the other webhooks: anything else is refused with 400 and nothing is stored, on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Event, WebhookReceipt
from tests.conftest import PUBLIC_BASE_URL, sign


def _post(client: FlaskClient, sid: str, status: str = "delivered") -> int:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
    }
    signature = sign(PUBLIC_BASE_URL + "/twilio/status", params)
    response = client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature})
    return response.status_code


def _stored(app: Flask) -> int:
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(Event)) or 0
        receipts = db.session.scalar(select(func.count()).select_from(WebhookReceipt)) or 0
        return int(events) + int(receipts)


@pytest.mark.parametrize(
    "sid",
    [
        "SM" + "f" * 200,
        "SM\x00" + "3" * 31,
        "SM" + "g" * 32,
        "XX" + "0" * 32,
        "CA" + "0" * 32,
        "SM" + "0" * 31,
        "LOCAL" + "0" * 32,
    ],
)
def test_a_status_callback_with_a_sid_not_in_twilios_shape_is_refused(
    app: Flask, client: FlaskClient, sid: str
) -> None:
    assert _post(client, sid) == 400
    assert _stored(app) == 0


def test_a_status_callback_in_twilios_shape_is_taken(app: Flask, client: FlaskClient) -> None:
    assert _post(client, "SM" + "0123456789abcdef" * 2) == 204
    assert _post(client, "MM" + "0123456789abcdef" * 2) == 204
