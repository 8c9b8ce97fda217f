"""What staff are told before extending, and what the driver is told after a staff stop:
an extension for a driver with no saved card is asked through a pay link (not "will be
charged"), and a staff stop that gives paid time back names the refund, as LOPETA does."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Order, OrderStatus, OutboundMessage
from tests.conftest import Clock, Phone
from tests.panel.test_admin import ADMIN_PASSWORD, confirmation, make_user, park_and_pay, sign_in


def admin(app: Flask, client: FlaskClient, clock: Clock) -> None:
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)


def the_order(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        db.session.expunge(order)
        return order


def sms_of(app: Flask, purpose: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body).where(OutboundMessage.purpose == purpose)
            )
        )


def test_extending_for_a_driver_without_a_saved_card_says_a_pay_link_is_sent(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 1h")
    admin(app, client, clock)
    order = the_order(app)

    text, _, _ = confirmation(client, f"/admin/orders/{order.id}/extend", lang="en", minutes="30")

    assert "until 11:30: €1.20 more, asked from the driver with a link to pay." in text
    assert "will be charged" not in text


def test_a_staff_stop_with_an_unpaid_extension_tells_the_driver_the_refund(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 2h")  # 4,80 € paid, until 12.00
    phone.send("JATKA 30")  # 1,20 € more, not paid
    admin(app, client, clock)
    clock.advance(minutes=30)
    order = the_order(app)

    _, action, fields = confirmation(client, f"/admin/orders/{order.id}/stop", lang="fi")
    client.post(action, data=fields)

    (told,) = sms_of(app, "staff_stop")
    assert "Hinta 1,20 €." in told
    assert "3,60 €" in told  # the unused paid time, given back
    assert the_order(app).status is OrderStatus.ENDED
