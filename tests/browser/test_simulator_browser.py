"""The phone simulator in a real browser: text, get the reply, pay, get the confirmation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Order, OrderStatus
from tests.browser_support import browser_page, free_port, screenshot, serve
from tests.conftest import Clock, _empty_tables, _prepare_schema, make_settings

pytestmark = pytest.mark.browser


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


def test_driver_parks_and_pays_in_the_simulator(live: tuple[Flask, str]) -> None:
    app, url = live
    with browser_page({"width": 1100, "height": 900}) as page:
        page.goto(url + "/simulator/")
        page.fill("#sim-from", "+358401234567")
        page.fill("#sim-body", "ABC-123 101 2h")
        page.click("#sim-send")
        reply = page.locator(".bubble.them").first
        reply.wait_for()
        text = reply.inner_text()
        assert "ABC-123" in text and "101" in text and "4,80" in text and "12.00" in text
        assert "LOPETA" in text
        screenshot(page, "simulator-1-parked")

        link = reply.locator("a").first
        pay_url = link.get_attribute("href")
        assert pay_url is not None and "/pay/" in pay_url
        page.goto(pay_url)
        assert "DEMO" in page.inner_text(".demo-banner")
        screenshot(page, "simulator-2-demo-payment")
        page.click("button[type=submit]")
        page.wait_for_url("**/pay/**")

        page.goto(url + "/simulator/")
        page.locator(".bubble.them").nth(1).wait_for()
        confirmation = page.locator(".bubble.them").nth(1).inner_text()
        assert "ABC-123" in confirmation and "12.00" in confirmation
        screenshot(page, "simulator-3-paid")

    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.status is OrderStatus.ACTIVE
        assert order.channel.value == "sms"
