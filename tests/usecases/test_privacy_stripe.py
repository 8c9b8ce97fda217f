"""Erasing a customer also deletes their Stripe customer, and with it their saved cards,
through the payment port, against localstripe; recorded in the audit trail. When Stripe
cannot be reached nothing is erased and the operator is told to try again."""

from __future__ import annotations

import socket

import pytest
import stripe
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.backend import customers
from app.extensions import db
from app.kernel import Kanava
from app.models import Customer, Event
from tests.conftest import Clock, make_settings
from tests.peers.localstripe import localstripe_url
from tests.peers.stripe_app import STRIPE_KEY, WEBHOOK_SECRET

__all__ = ["localstripe_url"]

DRIVER = "+358401234567"


@pytest.fixture
def settings_overrides(localstripe_url: str) -> dict[str, object]:
    return {
        "stripe_secret_key": STRIPE_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": localstripe_url,
    }


def _client(localstripe_url: str) -> stripe.StripeClient:
    return stripe.StripeClient(STRIPE_KEY, base_addresses={"api": localstripe_url})


def _driver_with_a_saved_card(app: Flask, clock: Clock, localstripe_url: str) -> str:
    """A driver whose card is saved on a Stripe customer, as Checkout leaves it."""
    with app.app_context():
        k: Kanava = app.extensions["kanava"]
        customer = customers.get_or_create(db.session(), DRIVER, clock())
        db.session.flush()
        ref = k.payments.create_customer(customer, idempotency_key=f"test-{customer.id}")
        card = _client(localstripe_url).v1.payment_methods.attach("pm_card_visa", {"customer": ref})
        customer.stripe_customer_id = ref
        customer.saved_payment_method_id = card.id
        customer.card_saved_at = clock()
        db.session.commit()
        return ref


def _audit(app: Flask) -> list[tuple[str | None, dict[str, object] | None]]:
    with app.app_context():
        return [
            (e.intent, e.data)
            for e in db.session.scalars(
                select(Event).where(Event.intent.like("privacy_%")).order_by(Event.id)
            )
        ]


def test_erasing_deletes_the_stripe_customer_and_records_it(
    app: Flask, clock: Clock, localstripe_url: str
) -> None:
    ref = _driver_with_a_saved_card(app, clock, localstripe_url)
    assert _client(localstripe_url).v1.customers.retrieve(ref).id == ref

    result = app.test_cli_runner().invoke(args=["customers", "erase", DRIVER, "--yes"])
    assert result.exit_code == 0, result.output
    assert "saved cards deleted at the payment provider" in result.output

    with pytest.raises(stripe.InvalidRequestError):
        _client(localstripe_url).v1.customers.retrieve(ref)
    ((intent, data),) = _audit(app)
    assert intent == "privacy_erase"
    assert data is not None and data["payment_customer"] == "deleted"
    assert ref not in str(data)  # the trail names no provider id that leads to the person
    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        assert (customer.stripe_customer_id, customer.saved_payment_method_id) == (None, None)


def test_when_stripe_cannot_be_reached_nothing_is_erased(
    app: Flask, clock: Clock, localstripe_url: str
) -> None:
    ref = _driver_with_a_saved_card(app, clock, localstripe_url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with app.app_context():
        url = str(db.engine.url.render_as_string(hide_password=False))
    offline = create_app(
        make_settings(
            url,
            stripe_secret_key=STRIPE_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=f"http://127.0.0.1:{closed_port}",
        ),
        clock=clock,
    )
    result = offline.test_cli_runner().invoke(args=["customers", "erase", DRIVER, "--yes"])
    assert result.exit_code == 1
    assert "payment provider" in result.output and "try again" in result.output
    assert _audit(app) == []
    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        assert (customer.phone, customer.stripe_customer_id) == (DRIVER, ref)
    assert _client(localstripe_url).v1.customers.retrieve(ref).id == ref
