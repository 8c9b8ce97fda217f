"""The web form and the order's own page in Chromium at a phone's size (360 x 740): park
until stopped without a phone number, pay on the demo page, keep the link, stop from
the order's page; and a double tap on the form's button parks once. Each step is saved
as a screenshot in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Order, OrderStatus, Payment, PaymentStatus
from tests.browser_support import browser_page, free_port, screenshot, serve
from tests.conftest import Clock, _empty_tables, _prepare_schema, make_settings

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def live(sqlite_url: str, clock: Clock) -> Iterator[tuple[Flask, str]]:
    port = free_port()
    _prepare_schema(sqlite_url)
    app = create_app(
        make_settings(sqlite_url, public_base_url=f"http://127.0.0.1:{port}"), clock=clock
    )
    _empty_tables(app)
    from app.backend import zones

    with app.app_context():
        zones.seed_demo(db.session(), clock())
        db.session().commit()
    with serve(app, port) as url:
        yield app, url


def test_a_driver_without_phone_parks_until_stopped_pays_and_stops_on_the_order_page(
    live: tuple[Flask, str], clock: Clock
) -> None:
    app, url = live
    with browser_page(PHONE) as page:
        page.goto(f"{url}/p/101?lang=en")
        page.fill("#plate", "abc-123")
        page.locator("label[for=d-open]").click()
        screenshot(page, "order-page-1-form")
        page.click("#park-submit")

        page.wait_for_selector("text=Pay (demo)")
        page.click("text=Pay (demo)")
        page.wait_for_selector("#keep-link")
        assert "only way to stop" in page.inner_text("#only-way")
        screenshot(page, "order-page-2-paid-keep-the-link")
        page.click("#manage-link")

        page.wait_for_selector("#stop")
        assert "Valid until you stop" in page.inner_text("#valid-until")
        screenshot(page, "order-page-3-order")
        clock.advance(minutes=45)
        page.click("#stop")

        page.wait_for_selector("#stop-confirm")
        assert "€1.80" in page.inner_text("#stop-cost")  # 45 min at 2.40 €/h
        screenshot(page, "order-page-4-confirm-stop")
        page.click("#stop-confirm")

        page.wait_for_selector("#notice")
        assert "Parking ended" in page.inner_text("#result")
        assert page.locator("#stop").count() == 0
        screenshot(page, "order-page-5-stopped")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing wider than the phone

    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.amount_cents) == (OrderStatus.ENDED, 180)
        (payment,) = order.payments
        assert (payment.status, payment.captured_cents) == (PaymentStatus.SUCCEEDED, 180)


def test_a_double_tap_on_the_forms_button_parks_once(live: tuple[Flask, str]) -> None:
    app, url = live
    posts: list[str] = []
    with browser_page(PHONE) as page:
        page.on(
            "request",
            lambda request: posts.append(request.url) if request.method == "POST" else None,
        )
        page.goto(f"{url}/p/101?lang=fi")
        page.fill("#plate", "abc-123")
        page.locator("label[for=d-60]").click()
        # The form sent twice at once, as a double tap does when both sends leave the
        # phone (Chromium itself merges two submits of one task into one navigation).
        landed = page.evaluate(
            """async () => {
                const form = document.getElementById('park-form');
                const send = () => fetch(form.action, {method: 'POST', body: new FormData(form)});
                const answers = await Promise.all([send(), send()]);
                return answers.map((a) => a.url);
            }"""
        )
        assert len(set(landed)) == 1 and "/demo-pay/" in landed[0]
        page.goto(landed[0])
        page.wait_for_selector("text=Maksa (demo)")
        screenshot(page, "order-page-double-tap-paid-once")
        page.dblclick("text=Maksa (demo)")
        page.wait_for_selector("#keep-link")

    assert len([u for u in posts if u.startswith(f"{url}/p/101")]) >= 2, posts
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
