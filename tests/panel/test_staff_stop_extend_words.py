"""What staff are told before extending, and what the driver is told after a staff stop:
an extension for a driver with no saved card is asked through a pay link (not "will be
charged"), and a staff stop that gives paid time back names the refund, as LOPETA does."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import ledger
from app.extensions import db
from app.models import Order, OrderStatus, OutboundMessage, Payment, PaymentStatus
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


def test_a_staff_stop_under_the_minimum_says_no_charge_and_waives_it(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101")  # until stopped: the card is held
    admin(app, client, clock)
    clock.advance(minutes=1)  # 0,04 €, under the 0,50 € minimum
    order = the_order(app)

    text, action, fields = confirmation(client, f"/admin/orders/{order.id}/stop", lang="en")

    assert "Stop ABC-123 now: no charge, €0.04 is under the €0.50 minimum." in text
    assert "will be charged" not in text
    done = client.post(action, data=fields, follow_redirects=True).get_data(as_text=True)
    assert "€0.04 was not charged: under the €0.50 minimum." in done
    stopped = the_order(app)
    with app.app_context():
        payments = db.session.scalars(select(Payment).order_by(Payment.id)).all()
        assert [(p.status, p.captured_cents, p.failure_reason) for p in payments] == [
            (PaymentStatus.CANCELLED, 0, None),  # the hold released
            (PaymentStatus.CANCELLED, 0, ledger.WAIVED),
        ]
        assert payments[1].amount_cents == 4
    assert (stopped.status, stopped.amount_cents) == (OrderStatus.ENDED, 4)


def test_a_staff_stop_of_an_unpaid_parking_under_the_minimum_says_no_charge(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 1h")  # not paid
    admin(app, client, clock)
    clock.advance(minutes=1)

    text, _, _ = confirmation(client, f"/admin/orders/{the_order(app).id}/stop", lang="fi")

    assert "Lopeta ABC-123 nyt: ei veloitusta, 0,04\xa0€ on alle 0,50\xa0€ vähimmäismäärän." in text


def test_a_staff_stop_of_a_prepaid_parking_under_the_minimum_names_the_refund_and_no_charge(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 1h")  # 2,40 € paid
    admin(app, client, clock)
    clock.advance(minutes=1)
    order = the_order(app)

    text, action, fields = confirmation(client, f"/admin/orders/{order.id}/stop", lang="en")

    assert (
        "Stop ABC-123 now: €2.40 of what was paid goes back to the card, and €0.04 is not"
        " charged: under the €0.50 minimum." in text
    )
    client.post(action, data=fields)
    with app.app_context():
        stopped = db.session.get(Order, order.id)
        assert stopped is not None
        assert ledger.paid_total(stopped) == 0 and ledger.waived_total(stopped) == 4
