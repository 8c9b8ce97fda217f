"""Paying with Stripe, end to end over HTTP: the driver texts, opens the link, chooses
whether to save the card, pays on Checkout (the local peer; the PaymentIntent itself is
made on localstripe), and Stripe's signed webhooks make the parking active, once."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Customer,
    Event,
    Order,
    OrderStatus,
    OutboundMessage,
    Payment,
    PaymentStatus,
    WebhookReceipt,
)
from tests.conftest import Clock, Phone
from tests.peers.checkout_peer import CheckoutPeer, sign_payload
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures

LINK = re.compile(r"https://kanava\.test/pay/([\w-]+)")


def link_token(reply: str) -> str:
    match = LINK.search(reply)
    assert match, reply
    return match.group(1)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def open_checkout(client: FlaskClient, token: str, save: str | None) -> str:
    """Follow the SMS link; answer the save-card question; returns the Checkout session id."""
    response = client.get(f"/pay/{token}")
    if save is not None:
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Tallenna korttini" in page or "Save my card" in page
        response = client.post(f"/pay/{token}", data={"csrf_token": csrf_token(page), "save": save})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def confirmations(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body).where(OutboundMessage.purpose == "payment_confirmed")
            )
        )


def the_order(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order is not None
        db.session.expunge_all()
        return order


def first_time_driver_pays_and_saves_card(
    app: Flask, client: FlaskClient, phone: Phone, peer: CheckoutPeer
) -> str:
    reply = phone.send("ABC-123 101 2h")
    token = link_token(reply)
    session_id = open_checkout(client, token, "yes")
    peer.complete(session_id)
    return session_id


def test_first_time_driver_texts_pays_and_gets_one_confirmation(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer
) -> None:
    session_id = first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)

    sent = stripe_peer.sessions[session_id]
    assert sent["amount_total"] == 480 and sent["currency"] == "eur"
    assert sent["_payment_intent_data"]["setup_future_usage"] == "off_session"
    assert the_order(app).status is OrderStatus.ACTIVE
    assert len(confirmations(app)) == 1
    assert "ABC-123" in confirmations(app)[0]
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        assert payment.status is PaymentStatus.SUCCEEDED
        assert payment.captured_cents == 480
        assert payment.provider == "stripe" and payment.provider_ref.startswith("pi_")
        customer = db.session.scalars(select(Customer)).one()
        assert customer.stripe_customer_id and customer.saved_payment_method_id

    # The browser comes back after the webhook: the page says paid, nothing happens twice.
    back = client.get(f"/pay/{payment.token}/return?session_id={session_id}")
    assert back.status_code == 200
    assert "Kiitos" in back.get_data(as_text=True)
    assert len(confirmations(app)) == 1


def test_a_second_parking_is_charged_to_the_saved_card_with_no_link(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    clock.advance(hours=3)

    reply = phone.send("ABC-123 101 1h")

    assert "/pay/" not in reply
    assert "ABC-123" in reply
    order = the_order(app)
    assert order.status is OrderStatus.ACTIVE
    with app.app_context():
        payments = db.session.scalars(select(Payment).order_by(Payment.id)).all()
        assert [p.status for p in payments] == [PaymentStatus.SUCCEEDED] * 2
        assert payments[1].captured_cents == 240
    # The key names no uncommitted id: the customer and how many payments it had before.
    assert "kanava-customer-1-charge-1-start-240" in stripe_peer.idempotency_keys


def test_a_declined_saved_card_falls_back_to_a_link_and_keeps_the_parking(
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
    clock.advance(hours=3)

    reply = phone.send("ABC-123 101 1h")

    token = link_token(reply)
    order = the_order(app)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    with app.app_context():
        payments = db.session.scalars(
            select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)
        ).all()
        assert [p.status for p in payments] == [PaymentStatus.FAILED, PaymentStatus.PENDING]
        assert payments[0].failure_reason == "card_declined"
        assert payments[1].token == token
        why = db.session.scalars(
            select(Event.body).where(Event.order_id == order.id, Event.body.like("%declined%"))
        ).all()
        assert why, "the timeline says why the saved card was not charged"


def test_webhook_with_a_bad_signature_is_refused(
    app: Flask, client: FlaskClient, stripe_peer: CheckoutPeer
) -> None:
    payload = (
        b'{"id": "evt_x", "object": "event", "type": "checkout.session.completed", '
        b'"data": {"object": {"id": "cs_x", "object": "checkout.session"}}}'
    )
    bad = client.post(
        "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": sign_payload(payload, "whsec_not_ours")},
    )
    assert bad.status_code == 400
    assert client.post("/stripe/webhook", data=payload).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(WebhookReceipt)).all() == []


def test_replayed_and_reordered_events_change_nothing_the_second_time(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer
) -> None:
    token = link_token(phone.send("ABC-123 101 2h"))
    session_id = open_checkout(client, token, "no")
    # Stripe pays, but its checkout event is held back; the PaymentIntent's event comes first.
    payload, headers = stripe_peer.complete(session_id, deliver=False)
    intent_id = stripe_peer.sessions[session_id]["payment_intent"]
    intent = stripe_peer.stripe.v1.payment_intents.retrieve(intent_id).to_dict()
    stripe_peer.send_event("payment_intent.succeeded", intent)
    assert the_order(app).status is OrderStatus.ACTIVE
    assert len(confirmations(app)) == 1

    # The late checkout event, then the same event again (Stripe retries).
    for _ in range(2):
        response = client.post("/stripe/webhook", data=payload, headers=headers)
        assert response.status_code == 200
    assert client.post("/stripe/webhook", data=payload, headers=headers).json == {
        "status": "duplicate"
    }
    # A stale failure event for the same PaymentIntent: Stripe's current state wins.
    stale = {**intent, "status": "requires_payment_method"}
    stripe_peer.send_event("payment_intent.payment_failed", stale)

    assert len(confirmations(app)) == 1
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        assert payment.status is PaymentStatus.SUCCEEDED and payment.captured_cents == 480
        customer = db.session.scalars(select(Customer)).one()
        assert customer.saved_payment_method_id is None, "the driver said no"


def test_the_browser_returning_before_the_webhook_activates_once(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer
) -> None:
    token = link_token(phone.send("ABC-123 101 2h"))
    session_id = open_checkout(client, token, "no")
    payload, headers = stripe_peer.complete(session_id, deliver=False)

    back = client.get(f"/pay/{token}/return?session_id={session_id}")
    assert "Kiitos" in back.get_data(as_text=True)
    assert the_order(app).status is OrderStatus.ACTIVE
    client.post("/stripe/webhook", data=payload, headers=headers)
    assert len(confirmations(app)) == 1


def test_the_link_opens_a_fresh_checkout_when_the_old_one_expired(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer
) -> None:
    token = link_token(phone.send("ABC-123 101 2h"))
    first = open_checkout(client, token, "no")
    assert open_checkout(client, token, None) == first, "an open session is reused"
    stripe_peer.expire(first)
    second = open_checkout(client, token, None)
    assert second != first
    stripe_peer.complete(second)
    assert the_order(app).status is OrderStatus.ACTIVE


def test_an_open_ended_parking_of_a_saved_card_is_charged_at_stop_for_the_minutes(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    clock.advance(hours=3)
    reply = phone.send("ABC-123 101")
    assert "/pay/" not in reply
    assert the_order(app).status is OrderStatus.ACTIVE
    clock.advance(minutes=25)

    stopped = phone.send("LOPETA")

    assert "/pay/" not in stopped
    order = the_order(app)
    assert order.status is OrderStatus.ENDED and order.amount_cents == 100
    with app.app_context():
        last = db.session.scalars(select(Payment).order_by(Payment.id.desc())).first()
        assert last is not None
        assert (last.status, last.captured_cents) == (PaymentStatus.SUCCEEDED, 100)


def test_a_prepaid_parking_stopped_early_refunds_the_unused_minutes(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    clock.advance(minutes=30)

    phone.send("LOPETA")

    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        assert (payment.captured_cents, payment.refunded_cents) == (480, 360)
        refund = stripe_peer.stripe.v1.refunds.list({"payment_intent": payment.provider_ref})
    assert [r.amount for r in refund.data] == [360]
    assert the_order(app).amount_cents == 120


@pytest.mark.parametrize("lang_word", ["KUITTI"])
def test_receipt_by_sms_links_to_the_receipt_page(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, lang_word: str
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    reply = phone.send(lang_word)
    match = re.search(r"https://kanava\.test(/r/[\w-]+)", reply)
    assert match, reply
    page = client.get(match.group(1)).get_data(as_text=True)
    assert "ABC-123" in page and "4,80" in page and "0,98" in page and "3,82" in page


def test_the_demo_payment_page_is_never_served_with_a_stripe_key(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer
) -> None:
    from app.extensions import kanava

    with app.app_context():
        assert kanava().payments.name == "stripe"
    token = link_token(phone.send("ABC-123 101 2h"))
    assert client.get(f"/demo-pay/{token}").status_code == 404
    assert client.post(f"/demo-pay/{token}").status_code == 404
    assert the_order(app).status is OrderStatus.AWAITING_PAYMENT
