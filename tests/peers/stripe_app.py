"""Fixtures for tests that pay through Stripe: localstripe, the Checkout peer in front of
it, and settings that point the app's Stripe gateway at that peer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from tests.browser_support import free_port
from tests.peers.checkout_peer import CheckoutPeer, serve_peer
from tests.peers.localstripe import localstripe_url

# Imported with * by the test modules that pay through Stripe.
__all__ = ["checkout_peer", "localstripe_url", "settings_overrides", "stripe_peer"]

STRIPE_KEY = "sk_test_kanava"
WEBHOOK_SECRET = "whsec_kanava_test"


@pytest.fixture
def checkout_peer(localstripe_url: str) -> Iterator[CheckoutPeer]:
    peer = CheckoutPeer(localstripe_url, WEBHOOK_SECRET, STRIPE_KEY)
    for _url in serve_peer(peer, free_port()):
        yield peer


@pytest.fixture
def settings_overrides(checkout_peer: CheckoutPeer) -> dict[str, object]:
    return {
        "stripe_secret_key": STRIPE_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": checkout_peer.url,
    }


@pytest.fixture
def stripe_peer(checkout_peer: CheckoutPeer, client: FlaskClient) -> CheckoutPeer:
    """The peer, delivering its webhooks to the app under test."""

    def deliver(payload: bytes, headers: dict[str, str]) -> int:
        return client.post("/stripe/webhook", data=payload, headers=headers).status_code

    checkout_peer.deliver = deliver
    return checkout_peer
