"""Paying by phone: Twilio ``<Pay>`` tokenises the card (``chargeAmount`` 0) and Kanava
charges it through its payment port. ``<Pay>``'s action callbacks are posted as Twilio
documents them (https://www.twilio.com/docs/voice/twiml/pay), with success and failure.

The app runs its real Stripe gateway (the ``stripe`` SDK) against localstripe. Twilio's
Stripe connector in ``reusable`` mode gives Kanava a Stripe customer (``ProfileId``) and a
payment method attached to it (``PaymentToken``); the tests make those on localstripe with
Stripe's test cards (``pm_card_chargeCustomerFail`` declines)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Event, Order, OrderStatus, OutboundMessage, Payment, PaymentStatus
from tests.channels.voice_caller import Call
from tests.conftest import Clock
from tests.peers.checkout_peer import CheckoutPeer
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures

LANDLINE = "+35891234567"
UK_MOBILE = "+447911123456"


@dataclass
class Card:
    """What the connector hands over after ``<Pay>``: a customer and its payment method."""

    profile_id: str
    token: str

    def fields(self) -> dict[str, str]:
        return {"ProfileId": self.profile_id, "PaymentToken": self.token}


def tokenised(peer: CheckoutPeer, test_card: str) -> Card:
    """A card as Twilio's Stripe connector leaves it on Stripe (here: localstripe)."""
    customer = peer.stripe.v1.customers.create({"description": "caller"})
    attached = peer.stripe.v1.payment_methods.attach(test_card, {"customer": customer.id})
    return Card(customer.id, attached.id)


def intents_of(peer: CheckoutPeer, card: Card) -> list[tuple[str, int]]:
    """The PaymentIntents made on localstripe for the card's customer."""
    # localstripe lists every intent (it filters by nothing): pick the customer's.
    listed = peer.stripe.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
    return [(i.status, i.amount) for i in listed if i.customer == card.profile_id]


def park_one_hour(call: Call) -> str:
    call.start()
    call.press("9")
    call.press("3")
    call.press("1")
    call.press("101#")
    call.press("1")
    call.say("ABC 123")
    call.press("1")
    return call.press("60#")


def the_order(app: Flask) -> tuple[Order, list[Payment]]:
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        pays = list(order.payments)
        db.session.expunge_all()
        return order, pays


def test_mobile_caller_pays_by_card_on_the_phone(app: Flask, stripe_peer: CheckoutPeer) -> None:
    card = tokenised(stripe_peer, "pm_card_visa")
    call = Call(app.test_client(), number=UK_MOBILE)
    assert "2.40" in park_one_hour(call)
    choice = call.press("1")
    assert "To pay by card now, press 1." in choice
    assert "payment link by text message, press 2" in choice
    intro = call.press("1")
    assert call.pay_action is not None and "Enter your card details" in intro
    pay = call.root.find("Pay") if call.root is not None else None
    assert pay is not None and pay.get("tokenType") == "reusable"
    prompts = {p.get("for") for p in pay.iter("Prompt")}
    assert {"payment-card-number", "expiration-date", "security-code"} <= prompts

    done = call.pay("success", **card.fields())
    assert "Your card was accepted." in done
    assert "11:00" in done  # the end time
    assert "A confirmation was sent to you by text message." in done
    assert intents_of(stripe_peer, card) == [("succeeded", 240)]
    order, pays = the_order(app)
    assert order.status is OrderStatus.ACTIVE
    assert [(p.status, p.captured_cents) for p in pays] == [(PaymentStatus.SUCCEEDED, 240)]
    assert pays[0].provider == "stripe" and pays[0].provider_ref
    with app.app_context():
        texts = db.session.scalars(select(OutboundMessage.purpose)).all()
    assert texts == ["voice_confirmation"], "one confirmation, from the call"


def test_the_payment_intent_webhook_after_a_card_by_phone_confirms_nothing_twice(
    app: Flask, stripe_peer: CheckoutPeer
) -> None:
    card = tokenised(stripe_peer, "pm_card_visa")
    call = Call(app.test_client(), number=UK_MOBILE)
    park_one_hour(call)
    call.press("1")
    call.press("1")
    call.pay("success", **card.fields())
    _, pays = the_order(app)
    intent = stripe_peer.stripe.v1.payment_intents.retrieve(pays[0].provider_ref or "")

    stripe_peer.send_event("payment_intent.succeeded", intent.to_dict())

    _, after = the_order(app)
    assert [(p.status, p.captured_cents, p.refunded_cents) for p in after] == [
        (PaymentStatus.SUCCEEDED, 240, 0)
    ]
    with app.app_context():
        paid_events = db.session.scalars(select(Event.body).where(Event.body.like("paid %"))).all()
        texts = db.session.scalars(select(OutboundMessage.purpose)).all()
    assert paid_events == ["paid 2.40 EUR (card by phone)"]
    assert texts == ["voice_confirmation"]


def test_declined_card_is_explained_and_the_caller_may_take_a_link_instead(
    app: Flask, stripe_peer: CheckoutPeer
) -> None:
    card = tokenised(stripe_peer, "pm_card_chargeCustomerFail")
    call = Call(app.test_client(), number=UK_MOBILE)
    park_one_hour(call)
    call.press("1")
    call.press("1")
    failed = call.pay("success", **card.fields())
    assert failed.startswith("The card payment did not go through.")
    assert "press 2" in failed
    link = call.press("2")
    assert "A payment link was sent to you by text message." in link
    order, pays = the_order(app)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert pays[0].status is PaymentStatus.PENDING
    assert pays[0].failure_reason == "card_declined"
    assert all(status != "succeeded" for status, _ in intents_of(stripe_peer, card))


@pytest.mark.parametrize(
    "result",
    [
        "payment-connector-error",
        "too-many-failed-attempts",
        "caller-interrupted-with-star",
        "validation-error",
    ],
)
def test_pay_failures_as_twilio_reports_them_return_to_the_choice(
    app: Flask, stripe_peer: CheckoutPeer, result: str
) -> None:
    call = Call(app.test_client(), number=UK_MOBILE)
    park_one_hour(call)
    call.press("1")
    call.press("1")
    heard = call.pay(result, PaymentError="invalid-card-number")
    assert heard.startswith("The card payment did not go through.")
    assert call.action is not None
    order, _ = the_order(app)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert "/v1/payment_intents" not in stripe_peer.forwarded_posts


def test_a_retried_pay_callback_charges_once(app: Flask, stripe_peer: CheckoutPeer) -> None:
    card = tokenised(stripe_peer, "pm_card_visa")
    call = Call(app.test_client(), number=UK_MOBILE)
    park_one_hour(call)
    call.press("1")
    call.press("1")
    pay_action = call.pay_action
    first = call.pay("success", **card.fields())
    call.pay_action = pay_action
    assert call.pay("success", **card.fields()) == first
    assert intents_of(stripe_peer, card) == [("succeeded", 240)]


def test_a_card_given_after_the_parking_was_cancelled_is_not_charged(
    app: Flask, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    card = tokenised(stripe_peer, "pm_card_visa")
    call = Call(app.test_client(), number=UK_MOBILE)
    park_one_hour(call)
    call.press("1")
    call.press("1")
    clock.advance(minutes=30)
    from app.clock import duties
    from app.extensions import kanava

    with app.app_context():
        duties.run_due(db.session(), kanava(), clock())

    heard = call.pay("success", **card.fields())

    assert heard.startswith("The card payment did not go through.")
    assert intents_of(stripe_peer, card) == []
    order, pays = the_order(app)
    assert order.status is OrderStatus.CANCELLED
    assert pays[0].status is PaymentStatus.CANCELLED


def test_landline_caller_pays_by_card_and_is_never_offered_an_sms(
    app: Flask, stripe_peer: CheckoutPeer
) -> None:
    card = tokenised(stripe_peer, "pm_card_visa")
    call = Call(app.test_client(), number=LANDLINE)
    park_one_hour(call)
    choice = call.press("1")
    assert "text message" not in choice
    assert "To cancel the parking, press 2." in choice
    call.press("1")
    done = call.pay("success", **card.fields())
    assert "Your card was accepted." in done and "text message" not in done
    order, _ = the_order(app)
    assert order.status is OrderStatus.ACTIVE


def test_landline_caller_choosing_until_stopped_is_asked_for_a_time(
    app: Flask, stripe_peer: CheckoutPeer
) -> None:
    call = Call(app.test_client(), number=LANDLINE)
    call.start()
    call.press("9")
    call.press("3")
    call.press("1")
    call.press("101#")
    call.press("1")
    call.say("ABC 123")
    call.press("1")
    quote = call.press("0#")
    assert "until you stop" in quote
    asked = call.press("1")
    assert "needs a parking time" in asked and "Enter the parking time" in asked
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []
