"""Extensions paid through Stripe (localstripe behind the local Checkout peer): a saved card
pays an extension at once, a declined one leaves it unpaid, and a checkout paid within the
grace whose event is late is found by the clock instead of lapsing the extension."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import Customer, Order, OrderStatus, PaymentStatus
from tests.channels.test_stripe_webhook import (
    first_time_driver_pays_and_saves_card,
    link_token,
    open_checkout,
)
from tests.conftest import HELSINKI, Clock, Phone
from tests.peers.checkout_peer import CheckoutPeer
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=HELSINKI)


def check(client: FlaskClient, token: str) -> Any:
    response = client.get(
        "/api/v1/plates/abc123?zone=101", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    return response.get_json()


def the_order(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order is not None
        order.payments  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return order


def test_an_extension_charged_to_the_saved_card_is_valid_at_once(
    app: Flask,
    client: FlaskClient,
    phone: Phone,
    stripe_peer: CheckoutPeer,
    clock: Clock,
    api_token: str,
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)  # 10:00-12:00
    clock.now = _at(10, 20)

    reply = phone.send("JATKA 30")

    assert "/pay/" not in reply and "12.30" in reply
    body = check(client, api_token)
    assert (body["status"], body["valid_until"]) == ("active", "2026-11-23T12:30:00+02:00")
    order = the_order(app)
    assert order.unpaid_from is None
    assert [p.status for p in order.payments] == [PaymentStatus.SUCCEEDED] * 2


def test_a_declined_saved_card_leaves_the_extension_unpaid(
    app: Flask,
    client: FlaskClient,
    phone: Phone,
    stripe_peer: CheckoutPeer,
    clock: Clock,
    api_token: str,
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        failing = stripe_peer.stripe.v1.payment_methods.attach(
            "pm_card_chargeCustomerFail", {"customer": customer.stripe_customer_id}
        )
        customer.saved_payment_method_id = failing.id
        db.session.commit()
    clock.now = _at(10, 20)

    reply = phone.send("JATKA 30")

    link_token(reply)
    body = check(client, api_token)
    assert (body["status"], body["valid_until"]) == (
        "awaiting_payment",
        "2026-11-23T12:00:00+02:00",
    )
    assert the_order(app).unpaid_from == _at(12, 0)


def test_a_checkout_paid_within_the_grace_whose_event_is_late_keeps_the_extension(
    app: Flask,
    client: FlaskClient,
    phone: Phone,
    stripe_peer: CheckoutPeer,
    clock: Clock,
    api_token: str,
) -> None:
    token = link_token(phone.send("ABC-123 101 2h"))
    stripe_peer.complete(open_checkout(client, token, "no"))
    clock.now = _at(10, 20)
    extension = link_token(phone.send("JATKA 30"))
    session_id = open_checkout(client, extension, "no")
    stripe_peer.complete(session_id, deliver=False)  # paid at 10:2x, the event is held back

    clock.now = _at(10, 31)
    with app.app_context():
        report = duties.run_due(db.session(), _kanava(app), clock())

    assert report.extensions_lapsed == 0
    order = the_order(app)
    assert (order.status, order.ends_at, order.unpaid_from) == (
        OrderStatus.ACTIVE,
        _at(12, 30),
        None,
    )
    assert [p.status for p in order.payments] == [PaymentStatus.SUCCEEDED] * 2
    assert check(client, api_token)["valid_until"] == "2026-11-23T12:30:00+02:00"
