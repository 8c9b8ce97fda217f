"""An extension made by phone is asked for like one made by SMS: a caller whose parking is
paid gets the extension's payment link (demo gateway, a mobile caller), so it does not
lapse unpaid without the caller ever being asked."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Order, OutboundMessage, PaymentStatus
from tests.channels.voice_caller import Call
from tests.conftest import Clock, Phone

UK_MOBILE = "+447911123456"


def test_a_paid_parking_extended_by_phone_gets_the_extensions_payment_link(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    phone = Phone(client, number=UK_MOBILE)
    reply = phone.send("ABC-123 101 1h")
    assert client.post(f"/demo-pay/{reply.split('/pay/')[1].split()[0]}").status_code == 303
    clock.advance(minutes=10)
    call = Call(client, number=phone.number)
    call.start()

    call.press("3")
    call.press("30#")

    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        first, extension = order.payments
        assert first.status is PaymentStatus.SUCCEEDED
        assert (extension.status, extension.amount_cents) == (PaymentStatus.PENDING, 120)
        sent = db.session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.purpose == "voice_pay_link")
        ).all()
    assert len(sent) == 1 and f"/pay/{extension.token}" in sent[0] and "11:30" in sent[0]


def test_a_caller_hears_the_paid_end_and_the_debt_of_an_unpaid_extension(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    phone = Phone(client, number=UK_MOBILE)
    reply = phone.send("ABC-123 101 2h")  # 10:00-12:00
    assert client.post(f"/demo-pay/{reply.split('/pay/')[1].split()[0]}").status_code == 303
    clock.advance(minutes=20)
    assert "/pay/" in phone.send("EXTEND 30")  # until 12:30, €1.20 not paid
    call = Call(client, number=phone.number)

    call.start()  # the menu sums up the live parkings first

    owed = "paid until 12:00. The extension until 12:30, €1.20, is not paid yet."
    assert owed in call.heard and "until 12:30." not in call.heard
    call.press("5")  # your parkings
    assert owed in call.heard
    # Parking it again says so too.
    call.press("1")
    call.press("101#")
    call.press("1")  # the zone is right
    call.press("1")  # the car it knows, ABC-123
    call.press("60#")
    again = call.press("1")
    assert "is already parked in zone 101." in again
    assert "You are parked and paid until 12:00. The extension until 12:30, €1.20," in again


def test_an_unpaid_parking_extended_by_phone_texts_the_added_price_and_the_total_to_pay(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    phone = Phone(client, number=UK_MOBILE)
    phone.send("ABC-123 101 1h")  # €2.40, not paid yet
    call = Call(client, number=phone.number)
    call.start()

    call.press("3")
    call.press("30#")

    assert "€1.20" in call.heard
    with app.app_context():
        sent = db.session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.purpose == "voice_pay_link")
        ).all()
    assert len(sent) == 1
    assert "Added €1.20" in sent[0] and "€3.60" in sent[0], sent[0]
    assert "Added €3.60" not in sent[0]


def test_a_paid_parking_stopped_by_phone_says_the_refund_and_texts_the_stop(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    phone = Phone(client, number=UK_MOBILE)
    reply = phone.send("ABC-123 101 2h")  # €4.80 paid
    assert client.post(f"/demo-pay/{reply.split('/pay/')[1].split()[0]}").status_code == 303
    clock.advance(minutes=30)  # €1.20 used
    call = Call(client, number=phone.number)
    call.start()

    call.press("4")
    call.press("1")

    assert "€1.20" in call.heard and "€3.60" in call.heard
    with app.app_context():
        sent = db.session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.purpose == "voice_stopped")
        ).all()
    assert len(sent) == 1 and "€1.20" in sent[0] and "€3.60" in sent[0], sent
