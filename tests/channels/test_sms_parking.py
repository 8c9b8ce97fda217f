"""A driver parks by SMS, end to end through the signed webhook, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Event, EventKind, Order, OrderStatus, WebhookReceipt
from tests.conftest import PUBLIC_BASE_URL, Clock, Phone


def test_first_text_parks_and_handheld_sees_it_awaiting_payment(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str
) -> None:
    reply = phone.send("ABC-123 101 2h")

    assert "ABC-123" in reply
    assert "101" in reply
    assert "12.00" in reply  # ends at 12:00 local time, Finnish clock format
    assert "4,80" in reply  # 2 h at 2.40 €/h
    assert f"{PUBLIC_BASE_URL}/pay/" in reply
    assert "LOPETA" in reply and "JATKA" in reply

    response = client.get(
        "/api/v1/plates/abc123?zone=101", headers={"Authorization": f"Bearer {api_token}"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["plate"] == "ABC-123"
    assert body["zone"] == "101"
    assert body["valid"] is True
    assert body["status"] == "awaiting_payment"
    assert body["valid_until"] == "2026-11-23T10:10:00+02:00"


def test_retried_message_sid_parks_once_and_answers_the_same(app: Flask, phone: Phone) -> None:
    first = phone.send("ABC-123 101", sid="SM" + "1" * 32)
    again = phone.send("ABC-123 101", sid="SM" + "1" * 32)

    assert again == first
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(func.count()).select_from(WebhookReceipt)) == 1
        inbound = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == EventKind.MESSAGE_IN)
        )
        assert inbound == 1


def test_bad_signature_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    params = phone.params("ABC-123 101")
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": "forged"})
    assert response.status_code == 403
    response = client.post("/twilio/sms", data=params)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_stop_after_paying_ends_parking(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101")
    link = reply.split("/pay/")[1].split()[0]
    page = client.get(f"/pay/{link}")
    assert page.status_code == 303
    assert client.post(f"/demo-pay/{link}").status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.status is OrderStatus.ACTIVE
    clock.advance(minutes=30)
    reply = phone.send("LOPETA")
    assert "1,20" in reply  # 30 min at 2.40 €/h
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.status is OrderStatus.ENDED
        assert order.amount_cents == 120


def test_a_failure_while_handling_still_records_the_message_and_apologises(
    app: Flask, phone: Phone, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.usecases.sms import conversation as sms

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(sms.orders, "start_parking", broken)
    reply = phone.send("ABC-123 101", sid="SM" + "e" * 32)

    assert reply == "Valitettavasti meillä tapahtui virhe. Yritä uudelleen hetken kuluttua."
    again = phone.send("ABC-123 101", sid="SM" + "e" * 32)
    assert again == reply
    with app.app_context():
        inbound = db.session.scalars(
            select(Event).where(Event.kind == EventKind.MESSAGE_IN)).one()
        assert inbound.body == "ABC-123 101"
        assert inbound.understood is False
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_nul_and_control_characters_are_dropped_not_fatal(app: Flask, phone: Phone) -> None:
    reply = phone.send("ABC-123\x00 101\x07")
    assert "ABC-123" in reply
