"""The web form in Chromium: from the QR code's URL to the confirmation page, in Finnish
and in English, paying on Checkout (the local peer; the PaymentIntent is made on
localstripe and the signed webhook reaches the app over loopback). Each step is saved
as a screenshot in test-artifacts/."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Channel, Order, OrderStatus, OutboundMessage
from tests.browser_support import browser_page, free_port, screenshot, serve
from tests.conftest import Clock, _empty_tables, _prepare_schema, make_settings
from tests.peers.checkout_peer import CheckoutPeer
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures
from tests.peers.stripe_app import STRIPE_KEY, WEBHOOK_SECRET

pytestmark = pytest.mark.browser


@pytest.fixture
def live(sqlite_url: str, clock: Clock, checkout_peer: CheckoutPeer) -> Iterator[tuple[Flask, str]]:
    port = free_port()
    _prepare_schema(sqlite_url)
    app = create_app(
        make_settings(
            sqlite_url,
            public_base_url=f"http://127.0.0.1:{port}",
            stripe_secret_key=STRIPE_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=checkout_peer.url,
        ),
        clock=clock,
    )
    _empty_tables(app)
    from app.backend import zones

    with app.app_context():
        zones.seed_demo(db.session(), clock())
        db.session().commit()
    with serve(app, port) as url:

        def deliver(payload: bytes, headers: dict[str, str]) -> int:
            request = urllib.request.Request(
                url + "/stripe/webhook", data=payload, headers=headers, method="POST"
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)

        checkout_peer.deliver = deliver
        yield app, url


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fi", {"pay": "maksu", "thanks": "Kiitos", "noon": "12.00"}),
        ("en", {"pay": "payment", "thanks": "Thank you", "noon": "12:00"}),
    ],
)
def test_a_driver_scans_the_sign_parks_and_pays_in_the_browser(
    live: tuple[Flask, str], checkout_peer: CheckoutPeer, lang: str, words: dict[str, str]
) -> None:
    app, url = live
    with browser_page({"width": 390, "height": 844}) as page:
        page.goto(f"{url}/p/101?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        screenshot(page, f"web-form-{lang}-1-form")

        page.fill("#plate", "abc-123")
        page.locator("label[for=d-120]").click()
        assert "4,80" in page.inner_text("#price") or "4.80" in page.inner_text("#price")
        page.fill("#phone", "040 765 4321")
        screenshot(page, f"web-form-{lang}-2-filled")
        page.click("#park-submit")

        # A typed phone number proves nothing: no card is saved for it, straight to Checkout.
        page.wait_for_selector("#checkout-pay")
        assert page.locator("button[name=save]").count() == 0
        assert "4.80 EUR" in page.inner_text("#amount")
        screenshot(page, f"web-form-{lang}-4-checkout")
        page.click("#checkout-pay")

        page.wait_for_selector("#valid-until")
        assert words["thanks"] in page.inner_text("#result")
        assert words["noon"] in page.inner_text("#valid-until")  # as the SMS write it
        screenshot(page, f"web-form-{lang}-5-confirmation")

    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.channel, order.status, order.language) == (
            Channel.WEB,
            OrderStatus.ACTIVE,
            lang,
        )
        confirmations = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose == "payment_confirmed")
        ).all()
        assert len(confirmations) == 1
        assert confirmations[0].to_number == "+358407654321"
