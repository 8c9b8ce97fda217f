"""The web form paying through Stripe Checkout (the local peer, PaymentIntents on
localstripe): from the form to the confirmation page with the end time."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Order, OrderStatus
from tests.functional.test_web_form import submit
from tests.peers.checkout_peer import CheckoutPeer
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures


def test_a_driver_without_a_phone_pays_on_checkout_and_sees_the_end_time(
    app: Flask, client: FlaskClient, stripe_peer: CheckoutPeer
) -> None:
    response = submit(client, lang="en", duration="120")
    pay = client.get(response.headers["Location"])
    assert pay.status_code == 303, "no phone: nothing to save a card for, straight to Checkout"
    session_id = pay.headers["Location"].rsplit("/", 1)[-1]
    assert stripe_peer.sessions[session_id]["amount_total"] == 480
    assert stripe_peer.sessions[session_id]["locale"] == "en"

    stripe_peer.complete(session_id)
    success = str(stripe_peer.sessions[session_id]["success_url"]).replace(
        "{CHECKOUT_SESSION_ID}", session_id
    )
    page = client.get(success.removeprefix("https://kanava.test")).get_data(as_text=True)

    assert "Thank you, payment received" in page
    assert "Parking is valid until" in page and "12:00" in page
    with app.app_context():
        assert db.session.scalars(select(Order.status)).one() is OrderStatus.ACTIVE
