"""A random walk through the voice menu: hundreds of steps, random keys, speech, silence,
card results and hang-ups, several callers (mobile, landline, foreign, hidden number) at
once. No step may meet a server error or answer with invalid TwiML.

Without Stripe the app runs its demo gateway, which takes no card by phone. The walks with
card payments run the app's real Stripe gateway (the ``stripe`` SDK) against localstripe,
as test_voice_pay.py does: a ``<Pay>`` that succeeds hands over a customer and a payment
method made on localstripe from Stripe's test cards (``pm_card_chargeCustomerFail``
declines), as Twilio's Stripe connector in ``reusable`` mode does."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Event, EventKind, Order
from tests.channels.voice_caller import Call
from tests.conftest import Clock, Phone, make_settings
from tests.peers.checkout_peer import CheckoutPeer
from tests.peers.stripe_app import STRIPE_KEY, WEBHOOK_SECRET, checkout_peer, localstripe_url

# The Stripe fixtures this module uses (imported for pytest, not called).
__all__ = ["checkout_peer", "localstripe_url"]

CALLERS = ["+358401234567", "+35891234567", "+46701234567", "+447911123456", "anonymous"]
KEYS = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "9",
    "0",
    "*",
    "7",
    "#",
    "101#",
    "102#",
    "999#",
    "30#",
    "0#",
    "15#",
    "abc",
    "1234567890123#",
]
SPEECH = [
    "A B C 1 2 3",
    "aa bee see yksi kaksi kolme",
    "x y z double one",
    "hello",
    "ett två tre",
    "",
    "ABC-123 please",
]
PAY_RESULTS = [
    "success",
    "payment-connector-error",
    "too-many-failed-attempts",
    "caller-interrupted-with-star",
    "caller-hung-up",
]
TEST_CARDS = ["pm_card_visa", "pm_card_visa", "pm_card_chargeCustomerFail"]
# The keys that bring a caller to ``<Pay>`` (English, park in zone 101 for an hour, pay by
# card): in the card walks some callers mean to pay and mostly press these, so cards are
# charged, declined and abandoned among everyone else's random steps.
ROUTE_TO_PAY = ["9", "3", "1", "101#", "1", "ABC 123", "1", "60#", "1", "1"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_walk_never_meets_an_error_or_invalid_twiml(
    app: Flask, client: FlaskClient, clock: Clock, seed: int
) -> None:
    walk(app, client, clock, seed)


@pytest.fixture
def card_app(app: Flask, clock: Clock, checkout_peer: CheckoutPeer) -> Iterator[Flask]:
    """The app on the same database with its real Stripe gateway, against localstripe
    (behind the Checkout peer, which forwards everything but Checkout to it)."""
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    settings = make_settings(
        url,
        stripe_secret_key=STRIPE_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=checkout_peer.url,
    )
    application = create_app(settings, clock=clock)
    application.config["TESTING"] = True
    assert application.extensions["kanava"].payments.saves_cards
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


# Seed 5 walked to a 0.05 EUR payment, which no card provider takes: it is carried on the
# order now (payments.MINIMUM_CHARGE_CENTS), so that walk no longer reaches <Pay>.
@pytest.mark.parametrize("seed", [4, 6])
def test_random_walk_with_card_payments_by_phone(
    card_app: Flask, clock: Clock, checkout_peer: CheckoutPeer, seed: int
) -> None:
    paid_by_phone = walk(card_app, card_app.test_client(), clock, seed, peer=checkout_peer)
    assert paid_by_phone > 0, "the walk reached <Pay>"


def tokenised(peer: CheckoutPeer, test_card: str) -> dict[str, str]:
    """A card as Twilio's Stripe connector leaves it on Stripe (here: localstripe), in the
    fields of the ``<Pay>`` callback."""
    customer = peer.stripe.v1.customers.create({"description": "caller"})
    attached = peer.stripe.v1.payment_methods.attach(test_card, {"customer": customer.id})
    return {"ProfileId": customer.id, "PaymentToken": attached.id}


def walk(
    app: Flask, client: FlaskClient, clock: Clock, seed: int, peer: CheckoutPeer | None = None
) -> int:
    """Walk ``seed``'s way; with ``peer``, a successful ``<Pay>`` brings a card made on it.
    Returns how many ``<Pay>`` callbacks the walk posted."""
    rng = random.Random(seed)
    Phone(client).send("ABC-123 101 1h")
    calls: list[Call] = []
    routes: dict[str, list[str]] = {}
    steps = 0
    pays = 0
    while steps < 300:
        if not calls or rng.random() < 0.05:
            call = Call(client, number=rng.choice(CALLERS))
            call.start()
            calls.append(call)
            if peer is not None and rng.random() < 0.5:
                routes[call.sid] = list(ROUTE_TO_PAY)
            steps += 1
            continue
        call = rng.choice(calls)
        if call.hung_up or (call.action is None and call.pay_action is None):
            calls.remove(call)
            continue
        if call.pay_action is not None:
            result = rng.choice(PAY_RESULTS)
            card = rng.choice(TEST_CARDS)
            fields = tokenised(peer, card) if peer is not None and result == "success" else {}
            call.pay(result, **fields)
            pays += 1
        elif routes.get(call.sid) and rng.random() < 0.9:
            key = routes[call.sid].pop(0)
            if key.isdigit() or key.endswith("#"):
                call.press(key)
            else:
                call.say(key)
        else:
            roll = rng.random()
            if roll < 0.6:
                call.press(rng.choice(KEYS))
            elif roll < 0.85:
                call.say(rng.choice(SPEECH))
            else:
                call.silence()
        steps += 1
        if rng.random() < 0.1:
            clock.advance(minutes=rng.randint(1, 30))
    with app.app_context():
        call_steps = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == EventKind.CALL_STEP)
        )
        assert call_steps is not None and call_steps >= steps
        assert not db.session.scalars(select(Event).where(Event.intent == "error")).all()
        assert db.session.scalars(select(func.count()).select_from(Order)).one() >= 1
    return pays
