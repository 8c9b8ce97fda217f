"""The panel in Chromium: an attendant on a phone-sized screen checks a plate that a driver
parked by SMS (through the phone simulator), sees it on the zone board and in the
timeline; an admin stops the parking and the driver's phone gets the SMS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.backend import users, zones
from app.extensions import db
from app.models import Order, OrderStatus, OutboundMessage, Payment
from tests.browser_support import browser_page, free_port, screenshot, serve
from tests.conftest import Clock, Phone, _empty_tables, _prepare_schema, make_settings

pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"width": 360, "height": 740}
DRIVER = "+358401234567"


@pytest.fixture
def live(sqlite_url: str, clock: Clock) -> Iterator[tuple[Flask, str]]:
    port = free_port()
    _prepare_schema(sqlite_url)
    app = create_app(
        make_settings(sqlite_url, public_base_url=f"http://127.0.0.1:{port}"), clock=clock
    )
    _empty_tables(app)
    with app.app_context():
        zones.seed_demo(db.session(), clock())
        users.create_user(db.session(), "anna", "attendant", "attendant-password-1", clock())
        users.create_user(db.session(), "boss", "admin", "admin-password-1", clock())
        db.session().commit()
    with serve(app, port) as url:
        yield app, url


def text_from_simulator(page: Any, url: str, body: str, expect: str, number: str = DRIVER) -> str:
    """Text ``body`` from a phone in the simulator; returns the reply that has ``expect``."""
    page.goto(url + "/simulator/")
    page.fill("#sim-from", number)
    page.fill("#sim-body", body)
    page.click("#sim-send")
    reply = page.locator(f".bubble.them:has-text('{expect}')").last
    reply.wait_for()
    return str(reply.inner_text())


def sign_in(page: Any, url: str, name: str, password: str) -> None:
    page.goto(url + "/admin/?lang=en")
    page.wait_for_url("**/admin/login**")
    page.fill("#name", name)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_selector("#plate")


def test_attendant_checks_a_plate_on_a_phone_and_admin_stops_the_parking(
    live: tuple[Flask, str],
) -> None:
    app, url = live
    with browser_page(PHONE_VIEWPORT) as page:
        driver = page.context.new_page()  # type: ignore[attr-defined]
        reply = text_from_simulator(driver, url, "ABC-123 101 2h", "ABC-123")
        assert "ABC-123" in reply

        # The attendant signs in; the plate field has the focus; one step checks a plate.
        sign_in(page, url, "anna", "attendant-password-1")
        assert page.evaluate("document.activeElement.id") == "plate"
        page.keyboard.type("abc 123")
        page.keyboard.press("Enter")
        verdict = page.locator(".verdict")
        verdict.wait_for()
        assert "valid" in (verdict.get_attribute("class") or "").split()
        text = verdict.inner_text()
        assert "VALID" in text and "NOT VALID" not in text
        assert "ABC-123" in text and "101" in text and "awaiting payment" in text
        assert "SMS" in text
        assert page.locator("#check-result[aria-live]").count() == 1
        assert page.evaluate("document.activeElement.id") == "plate"  # ready for the next
        screenshot(page, "admin-1-check-valid-phone")

        page.keyboard.type("XYZ-999")
        page.keyboard.press("Enter")
        page.locator(".verdict.invalid").wait_for()
        assert "NOT VALID" in page.locator(".verdict").inner_text()
        screenshot(page, "admin-2-check-not-valid-phone")

        # The zone board lists the parking, and picks up a new one without a reload.
        page.click("text=Zones")
        page.click("a.zone-link:has-text('101')")
        page.locator("#board >> text=ABC-123").wait_for()
        text_from_simulator(driver, url, "XYZ-987 101 30min", "XYZ-987", "+358401111111")
        page.evaluate("window.kanavaBoard.refresh()")
        page.locator("#board >> text=XYZ-987").wait_for()
        screenshot(page, "admin-3-zone-board-phone")

        # The timeline of the plate has the driver's SMS.
        page.click("text=Timeline")
        page.fill("#q", "ABC123")
        page.press("#q", "Enter")
        page.locator(".event >> text=ABC-123 101 2h").first.wait_for()
        screenshot(page, "admin-4-timeline-phone")

        # An attendant is refused the admin pages.
        response = page.goto(url + "/admin/users")
        assert response is not None and response.status == 403
        assert "admins only" in page.inner_text("main")

        # Sign out, sign in as an admin, stop the parking from the timeline.
        page.goto(url + "/admin/")
        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/admin/login**")
        sign_in(page, url, "boss", "admin-password-1")
        page.goto(url + "/admin/timeline?q=ABC-123")
        with app.app_context():
            order_id = db.session.scalars(select(Order.id).where(Order.plate_key == "ABC123")).one()
        page.click(f"#stop-{order_id}")
        page.wait_for_selector("#confirm-button")
        assert "Stop ABC-123 now" in page.inner_text(".confirm-what")
        with app.app_context():
            assert db.session.get(Order, order_id).status is OrderStatus.AWAITING_PAYMENT  # type: ignore[union-attr]
        page.click("#confirm-button")
        page.locator(".flash >> text=Parking stopped").wait_for()
        screenshot(page, "admin-5-stopped-phone")

        # The driver's phone shows the SMS that the admin's stop put in the outbox.
        with app.app_context():
            sent = db.session.scalars(
                select(OutboundMessage.body).where(OutboundMessage.purpose == "staff_stop")
            ).one()
        driver.goto(url + "/simulator/")
        driver.fill("#sim-from", DRIVER)
        driver.locator(".bubble.them").filter(has_text=sent[:40]).wait_for()
        screenshot(driver, "admin-6-driver-got-stop-sms")

    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order is not None and order.status is OrderStatus.ENDED
        message = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose == "staff_stop")
        ).one()
        assert message.to_number == DRIVER and message.status.value == "delivered"


@pytest.fixture
def served(sqlite_url: str, clock: Clock) -> Iterator[tuple[Flask, str]]:
    """The app on loopback, with the default public URL so that a test client's signed
    SMS (tests.conftest.Phone) reach it as Twilio's would."""
    _prepare_schema(sqlite_url)
    app = create_app(make_settings(sqlite_url), clock=clock)
    _empty_tables(app)
    with app.app_context():
        zones.seed_demo(db.session(), clock())
        users.create_user(db.session(), "boss", "admin", "admin-password-1", clock())
        db.session().commit()
    with serve(app, free_port()) as url:
        yield app, url


def pay_by_demo(client: Any, reply: str) -> None:
    token = re.search(r"/pay/([\w-]+)", reply)
    assert token, reply
    assert client.post(f"/demo-pay/{token.group(1)}").status_code == 303


ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def test_finnish_admin_on_a_phone_reads_the_timeline_filters_it_and_confirms_a_refund(
    served: tuple[Flask, str], clock: Clock
) -> None:
    app, url = served
    client = app.test_client()
    phone = Phone(client)
    pay_by_demo(client, phone.send("ABC-123 101 1h"))  # 2,40 €
    clock.advance(minutes=10)
    pay_by_demo(client, phone.send("JATKA 30"))  # 1,20 € more, until 11:30
    clock.advance(minutes=10)
    phone.send("LOPETA")  # 20 min used: 2,80 € of unused time refunded
    clock.advance(minutes=5)
    pay_by_demo(client, phone.send("ABC-123 102 2h"))  # running now, 6,00 €
    with app.app_context():
        first, live = db.session.scalars(select(Order).order_by(Order.id)).all()
        first_id, live_id = first.id, live.id
        first_payment = first.payments[0].id
        assert first.payments[0].captured_cents - first.payments[0].refunded_cents == 80

    with browser_page(PHONE_VIEWPORT) as page:
        page.goto(url + "/admin/login?lang=fi")  # type: ignore[attr-defined]
        page.fill("#name", "boss")  # type: ignore[attr-defined]
        page.fill("#password", "admin-password-1")  # type: ignore[attr-defined]
        page.press("#password", "Enter")  # type: ignore[attr-defined]
        page.wait_for_selector("#plate")  # type: ignore[attr-defined]
        page.click("nav >> text=Aikajana")  # type: ignore[attr-defined]
        page.fill("#q", "040 1234567")  # type: ignore[attr-defined]
        page.press("#q", "Enter")  # type: ignore[attr-defined]
        page.locator(".timeline .event").first.wait_for()  # type: ignore[attr-defined]

        # The running parking's stop comes before the ended one's refund on a phone.
        stop = page.locator(f"#stop-{live_id}").bounding_box()  # type: ignore[attr-defined]
        refund = page.locator(f"#refund-{first_payment}").bounding_box()  # type: ignore[attr-defined]
        assert stop is not None and refund is not None and stop["y"] < refund["y"]
        width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
        assert width <= 360
        screenshot(page, "admin-7-timeline-fi-phone")

        events = page.inner_text(".timeline")  # type: ignore[attr-defined]
        assert "Pysäköintiä jatkettu: ABC-123 alueella 101, klo 11.30 asti" in events
        assert "Hyvitetty 1,60\xa0€ (käyttämätön aika)" in events
        assert "toimitettu" in events
        assert not ISO_TIME.search(events), ISO_TIME.search(events)
        for english in ("parking", "unused time", "delivered", "awaiting_payment", "EUR"):
            assert english not in events, english

        # Only the first order's events.
        page.select_option("#f-order", str(first_id))  # type: ignore[attr-defined]
        page.click("#filter-button")  # type: ignore[attr-defined]
        page.wait_for_url(f"**order={first_id}**")  # type: ignore[attr-defined]
        filtered = page.inner_text(".timeline")  # type: ignore[attr-defined]
        assert "alueella 101" in filtered and "alueella 102" not in filtered
        screenshot(page, "admin-8-timeline-filtered-fi-phone")

        # A refund with an explicit amount, confirmed on its own page.
        page.fill(f"#refund-{first_payment}", "0,50")  # type: ignore[attr-defined]
        page.click(f"#refund-button-{first_payment}")  # type: ignore[attr-defined]
        page.wait_for_selector("#confirm-button")  # type: ignore[attr-defined]
        sentence = page.inner_text(".confirm-what")  # type: ignore[attr-defined]
        assert "0,50\xa0€" in sentence and "0,80\xa0€" in sentence
        screenshot(page, "admin-9-refund-confirmation-fi-phone")
        with app.app_context():
            assert db.session.get(Payment, first_payment).refunded_cents == 160  # type: ignore[union-attr]
        page.click("#confirm-button")  # type: ignore[attr-defined]
        page.locator(".flash >> text=Kortille hyvitetty 0,50").wait_for()  # type: ignore[attr-defined]
        assert f"order={first_id}" in page.url  # type: ignore[attr-defined]
        screenshot(page, "admin-10-refunded-fi-phone")

    with app.app_context():
        payment = db.session.get(Payment, first_payment)
        assert payment is not None and payment.refunded_cents == 210
