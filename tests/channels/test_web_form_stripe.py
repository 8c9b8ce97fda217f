"""The web form paying through Stripe Checkout (the local peer, PaymentIntents on
localstripe): from the form to the confirmation page with the end time."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Customer, Order, OrderStatus, PaymentStatus
from tests.channels.test_stripe_webhook import first_time_driver_pays_and_saves_card
from tests.channels.test_web_form import submit
from tests.conftest import Phone
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


def test_a_typed_phone_number_never_charges_or_saves_that_drivers_card(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    with app.app_context():
        saved = db.session.scalars(select(Customer.saved_payment_method_id)).one()
    stranger = app.test_client()

    response = submit(stranger, zone="202", lang="en", plate="XYZ-789", phone=phone.number)

    assert response.headers["Location"].startswith("/pay/"), "a payment link, not their card"
    with app.app_context():
        new = db.session.scalars(select(Order).where(Order.plate_key == "XYZ789")).one()
        assert new.status is OrderStatus.AWAITING_PAYMENT
        assert [p.status for p in new.payments] == [PaymentStatus.PENDING]
    # Straight to Checkout: the stranger's card is never offered a place on their account.
    pay = stranger.get(response.headers["Location"])
    assert pay.status_code == 303
    session_id = pay.headers["Location"].rsplit("/", 1)[-1]
    assert "setup_future_usage" not in stripe_peer.sessions[session_id].get(
        "_payment_intent_data", {}
    )
    with app.app_context():
        assert db.session.scalars(select(Customer.saved_payment_method_id)).one() == saved


def test_a_typed_phone_number_is_not_asked_to_save_a_card(
    app: Flask, client: FlaskClient, stripe_peer: CheckoutPeer
) -> None:
    response = submit(client, lang="en", duration="60", phone="040 765 4321")

    pay = client.get(response.headers["Location"])

    assert pay.status_code == 303, "no question: a card is saved only from the driver's own phone"
