"""A failed card payment gets one SMS with the reason in words and the link of the payment
that replaces it (issue 12, point 4), with the real ``stripe`` SDK against localstripe."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Customer
from tests.channels.test_stripe_webhook import first_time_driver_pays_and_saves_card, link_token
from tests.clock.test_proactive import at, run_clock, sent
from tests.conftest import Clock, Phone
from tests.peers.checkout_peer import CheckoutPeer
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures


def test_a_declined_saved_card_is_told_once_with_the_reason_and_a_new_link(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        failing = stripe_peer.stripe.v1.payment_methods.attach(
            "pm_card_chargeCustomerFail", {"customer": customer.stripe_customer_id}
        )
        customer.saved_payment_method_id = failing.id
        db.session.commit()
    clock.now = at(10, 20)
    link = link_token(phone.send("JATKA 30"))

    assert run_clock(app, clock, at(10, 21)).payment_failures_told == 1
    assert run_clock(app, clock, at(10, 22)).payment_failures_told == 0

    ((body, _),) = sent(app, "payment_failed")
    assert "korttimaksu epäonnistui" in body
    assert f"/pay/{link}" in body
