"""Paying by phone: Twilio ``<Pay>`` tokenises the card (``chargeAmount`` 0) and Kanava
charges it through its payment port. ``<Pay>``'s action callbacks are posted as Twilio
documents them (https://www.twilio.com/docs/voice/twiml/pay), with success and failure.

The gateway here is a local one at the port's edge that charges saved cards as the Stripe
gateway does (``pm_card_chargeCustomerFail`` declines, as in Stripe's test cards)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.config import Settings
from app.extensions import db
from app.models import Order, OrderStatus, Payment, PaymentStatus
from app.services import payments
from tests.conftest import Clock, make_settings
from tests.functional.voice_caller import Call

LANDLINE = "+35891234567"
UK_MOBILE = "+447911123456"


class LocalCardGateway(payments.DemoGateway):
    """Charges tokenised cards locally; remembers every charge it made."""

    name = "localcard"
    saves_cards = True

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.charges: list[tuple[str, str, int]] = []

    def charge_saved_card(
        self,
        *,
        customer_ref: str,
        payment_method_ref: str,
        amount_cents: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> payments.PaymentInfo:
        if payment_method_ref == "pm_card_chargeCustomerFail":
            raise payments.ChargeDeclined("card_declined", "pi_declined")
        ref = "pi_" + secrets.token_hex(8)
        self.charges.append((customer_ref, payment_method_ref, amount_cents))
        return payments.PaymentInfo(
            ref=ref,
            status="succeeded",
            amount_cents=amount_cents,
            received_cents=amount_cents,
            customer_ref=customer_ref,
            payment_method_ref=payment_method_ref,
            payment_id=int(metadata["kanava_payment_id"]),
        )


@pytest.fixture
def gateway(app: Flask) -> LocalCardGateway:
    return LocalCardGateway(app.extensions["kanava"].settings)


@pytest.fixture
def card_app(app: Flask, clock: Clock, gateway: LocalCardGateway) -> Iterator[Flask]:
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    application = create_app(make_settings(url), clock=clock, payments=gateway)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


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


def test_mobile_caller_pays_by_card_on_the_phone(
    card_app: Flask, gateway: LocalCardGateway
) -> None:
    call = Call(card_app.test_client(), number=UK_MOBILE)
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

    done = call.pay("success", PaymentToken="pm_card_visa", ProfileId="cus_123")
    assert "Your card was accepted." in done
    assert "11:00" in done  # the end time
    assert "A confirmation was sent to you by text message." in done
    assert gateway.charges == [("cus_123", "pm_card_visa", 240)]
    order, pays = the_order(card_app)
    assert order.status is OrderStatus.ACTIVE
    assert [(p.status, p.captured_cents) for p in pays] == [(PaymentStatus.SUCCEEDED, 240)]


def test_declined_card_is_explained_and_the_caller_may_take_a_link_instead(
    card_app: Flask, gateway: LocalCardGateway
) -> None:
    call = Call(card_app.test_client(), number=UK_MOBILE)
    park_one_hour(call)
    call.press("1")
    call.press("1")
    failed = call.pay("success", PaymentToken="pm_card_chargeCustomerFail")
    assert failed.startswith("The card payment did not go through.")
    assert "press 2" in failed
    link = call.press("2")
    assert "A payment link was sent to you by text message." in link
    order, pays = the_order(card_app)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert pays[0].failure_reason == "card_declined"
    assert gateway.charges == []


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
    card_app: Flask, result: str
) -> None:
    call = Call(card_app.test_client(), number=UK_MOBILE)
    park_one_hour(call)
    call.press("1")
    call.press("1")
    heard = call.pay(result, PaymentError="invalid-card-number")
    assert heard.startswith("The card payment did not go through.")
    assert call.action is not None
    order, _ = the_order(card_app)
    assert order.status is OrderStatus.AWAITING_PAYMENT


def test_a_retried_pay_callback_charges_once(card_app: Flask, gateway: LocalCardGateway) -> None:
    call = Call(card_app.test_client(), number=UK_MOBILE)
    park_one_hour(call)
    call.press("1")
    call.press("1")
    pay_action = call.pay_action
    first = call.pay("success")
    call.pay_action = pay_action
    assert call.pay("success") == first
    assert len(gateway.charges) == 1


def test_landline_caller_pays_by_card_and_is_never_offered_an_sms(
    card_app: Flask, gateway: LocalCardGateway
) -> None:
    call = Call(card_app.test_client(), number=LANDLINE)
    park_one_hour(call)
    choice = call.press("1")
    assert "text message" not in choice
    assert "To cancel the parking, press 2." in choice
    call.press("1")
    done = call.pay("success")
    assert "Your card was accepted." in done and "text message" not in done
    order, _ = the_order(card_app)
    assert order.status is OrderStatus.ACTIVE


def test_landline_caller_choosing_until_stopped_is_asked_for_a_time(card_app: Flask) -> None:
    call = Call(card_app.test_client(), number=LANDLINE)
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
    with card_app.app_context():
        assert db.session.scalars(select(Order)).all() == []
