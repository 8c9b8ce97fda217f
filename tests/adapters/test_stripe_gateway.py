"""The Stripe gateway through the real ``stripe`` SDK: against localstripe for customers,
PaymentIntents, off-session charges, declines, authentication, captures and refunds, and
against the local Checkout peer (in front of localstripe) for Checkout Sessions."""

from __future__ import annotations

import pytest

from app.adapters.stripe_gateway import StripeGateway
from app.kernel.payments import ChargeDeclined, CheckoutRequest
from app.models import Customer
from tests.conftest import make_settings
from tests.peers.checkout_peer import CheckoutPeer, sign_payload
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures
from tests.peers.stripe_app import STRIPE_KEY, WEBHOOK_SECRET


def gateway_for(base: str) -> StripeGateway:
    return StripeGateway(
        make_settings(
            "sqlite://",
            stripe_secret_key=STRIPE_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=base,
        )
    )


@pytest.fixture
def gateway(localstripe_url: str) -> StripeGateway:
    return gateway_for(localstripe_url)


def saved_card(gateway: StripeGateway, card: str) -> tuple[str, str]:
    """A customer on localstripe with ``card`` attached, as Checkout leaves it."""
    customer_ref = gateway.create_customer(
        Customer(id=1, phone="+358401234567"), idempotency_key=f"test-customer-{card}"
    )
    attached = gateway._client.v1.payment_methods.attach(card, {"customer": customer_ref})
    return customer_ref, attached.id


def charge(gateway: StripeGateway, customer: str, card: str, key: str, amount: int = 480):
    return gateway.charge_saved_card(
        customer_ref=customer,
        payment_method_ref=card,
        amount_cents=amount,
        currency="EUR",
        metadata={"kanava_payment_id": "7"},
        idempotency_key=key,
    )


def test_a_saved_card_is_charged_off_session(gateway: StripeGateway) -> None:
    customer, card = saved_card(gateway, "pm_card_visa")
    info = charge(gateway, customer, card, "kanava-payment-7-charge")
    assert info.status == "succeeded"
    assert info.received_cents == 480
    assert info.payment_id == 7
    fetched = gateway.get_payment(info.ref)
    assert (fetched.status, fetched.customer_ref) == ("succeeded", customer)


def test_a_declined_saved_card_raises_charge_declined(gateway: StripeGateway) -> None:
    customer, card = saved_card(gateway, "pm_card_chargeCustomerFail")
    with pytest.raises(ChargeDeclined) as declined:
        charge(gateway, customer, card, "kanava-payment-8-charge")
    assert declined.value.code == "card_declined"


def test_a_card_that_needs_authentication_is_not_charged(gateway: StripeGateway) -> None:
    customer = gateway.create_customer(
        Customer(id=2, phone="+358401234568"), idempotency_key="test-customer-3ds"
    )
    card = gateway._client.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    gateway._client.v1.payment_methods.attach(card.id, {"customer": customer})
    with pytest.raises(ChargeDeclined) as declined:
        charge(gateway, customer, card.id, "kanava-payment-9-charge")
    assert declined.value.code == "authentication_required"
    assert declined.value.payment_ref is not None
    assert gateway.get_payment(declined.value.payment_ref).status != "succeeded"


def test_a_held_card_is_captured_for_less_and_refunded_in_part(gateway: StripeGateway) -> None:
    intent = gateway._client.v1.payment_intents.create(
        {
            "amount": 960,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "payment_method_types": ["card"],
            "capture_method": "manual",
            "confirm": True,
        }
    )
    assert gateway.get_payment(intent.id).status == "requires_capture"
    captured = gateway.capture(intent.id, 400, idempotency_key="kanava-payment-10-capture")
    assert captured.status == "succeeded"
    refund_id = gateway.refund(intent.id, 100, idempotency_key="kanava-payment-10-refund-0-100")
    refund = gateway._client.v1.refunds.retrieve(refund_id)
    assert (refund.amount, refund.status) == (100, "succeeded")


def test_checkout_sessions_are_created_fetched_and_expired_at_the_peer(
    checkout_peer: CheckoutPeer,
) -> None:
    gateway = gateway_for(checkout_peer.url)
    request = CheckoutRequest(
        payment_id=11,
        order_id=5,
        amount_cents=480,
        currency="EUR",
        description="ABC-123 / 101 Kauppatori",
        success_url="https://kanava.test/pay/t/return?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://kanava.test/pay/t",
        locale="fi",
        capture_later=False,
        save_card=False,
        customer_ref=None,
        consent_text=None,
        idempotency_key="kanava-payment-11-checkout-first-480",
    )
    created = gateway.create_checkout(request)
    assert (created.status, created.amount_cents, created.payment_id) == ("open", 480, 11)
    assert created.url and created.url.startswith(checkout_peer.url)
    sent = checkout_peer.sessions[created.ref]
    assert sent["metadata"] == {"kanava_payment_id": "11", "kanava_order_id": "5"}
    assert sent["currency"] == "eur" and sent["locale"] == "fi"
    assert "payment_method_types" not in sent
    # The same request again (a retry) gets the same session back, not a second one.
    assert gateway.create_checkout(request).ref == created.ref
    assert len(checkout_peer.sessions) == 1
    gateway.expire_checkout(created.ref, idempotency_key="kanava-payment-11-expire")
    assert gateway.get_checkout(created.ref).status == "expired"


def test_every_post_carries_an_idempotency_key_and_a_retry_charges_once(
    checkout_peer: CheckoutPeer,
) -> None:
    gateway = gateway_for(checkout_peer.url)
    customer, card = saved_card(gateway, "pm_card_visa")
    first = charge(gateway, customer, card, "kanava-payment-12-charge")
    again = charge(gateway, customer, card, "kanava-payment-12-charge")
    assert first.ref == again.ref
    assert checkout_peer.forwarded_posts.count("/v1/payment_intents") == 1
    assert all(checkout_peer.idempotency_keys)


def test_webhook_signatures_are_verified(gateway: StripeGateway) -> None:
    payload = (
        b'{"id": "evt_1", "object": "event", "type": "checkout.session.completed",'
        b' "data": {"object": {"id": "cs_1", "object": "checkout.session"}}}'
    )
    event = gateway.parse_webhook(payload, sign_payload(payload, WEBHOOK_SECRET))
    assert (event.id, event.object_type, event.object_id) == ("evt_1", "checkout.session", "cs_1")
    from app.kernel.payments import InvalidWebhook

    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, sign_payload(payload, "whsec_wrong"))
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, None)


def test_a_stripe_that_does_not_answer_fails_the_call_instead_of_holding_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Calls are made while rows are locked: the client gives up after its read timeout
    (10 s in production; shortened here) instead of the SDK's default 80 s."""
    import socket

    import stripe

    from app.adapters import stripe_gateway

    monkeypatch.setattr(stripe_gateway, "READ_TIMEOUT", 0.2)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        gateway = gateway_for(base)
        with pytest.raises(stripe.APIConnectionError):
            gateway.get_payment("pi_never_answered")


def test_deleting_a_customer_deletes_their_saved_cards_once(gateway: StripeGateway) -> None:
    import stripe

    customer, _card = saved_card(gateway, "pm_card_visa")
    assert gateway.delete_customer(customer) is True
    with pytest.raises(stripe.InvalidRequestError):
        gateway._client.v1.customers.retrieve(customer)
    # Deleted already (a retried erasure): nothing left to delete, no error.
    assert gateway.delete_customer(customer) is False
