"""A booking's own page over HTTP (``/o/<token>``): reference, zone, window in local time,
price, paid state and cancellation terms, the .ics link, and a cancel button behind a
confirmation that names the refund the terms give; the payment result page of a booking
speaks of the booking (reference and window), not of parking."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import zones
from app.extensions import db
from app.models import Order, OrderKind, OrderStatus, Payment
from tests.conftest import Clock

GARAGE = {
    "code": "G1",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 1,
    "booking_hours": {"mon-sun": "06:00-23:00"},
}
TOMORROW = "2026-11-24"
TEN = "2026-11-24T08:00Z"


@pytest.fixture(autouse=True)
def garage(app: Flask, clock: Clock) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()


def the_booking(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.kind == OrderKind.BOOKING)).one()
        for payment in order.payments:
            db.session.refresh(payment)
        db.session.expunge_all()
        return order


def hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def book(client: FlaskClient, pay: bool = True) -> str:
    """Book G1 tomorrow 10-12 on the web (and pay it); returns the payment result page."""
    form = client.get(f"/book/G1?date={TOMORROW}&start={TEN}&lang=en").get_data(as_text=True)
    data = {**hidden(form), "slots": "2", "plate": "abc-123", "phone": "040 123 4567"}
    response = client.post("/book/G1?lang=en", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    token = response.headers["Location"].split("/pay/")[1].split("?")[0]
    if not pay:
        return token
    return client.post(f"/demo-pay/{token}?lang=en", follow_redirects=True).get_data(as_text=True)


def test_the_pay_result_of_a_booking_names_its_reference_and_window_not_parking(
    app: Flask, client: FlaskClient
) -> None:
    paid = book(client)
    order = the_booking(app)
    assert '<h1 id="result">Thank you, your booking is paid</h1>' in paid
    assert (
        f"Booking {order.booking_ref} is confirmed: the space is yours Tue 24.11. 10:00–12:00."
        in paid
    )
    assert f'<strong id="ref">{order.booking_ref}</strong>' in paid
    assert f'href="/o/{order.manage_token}?lang=en"' in paid
    assert f'href="/o/{order.manage_token}/booking.ics"' in paid
    assert "arking" not in paid.split("<main")[1]


def test_the_booking_page_shows_ref_zone_window_price_paid_and_terms(
    app: Flask, client: FlaskClient
) -> None:
    book(client)
    order = the_booking(app)
    page = client.get(f"/o/{order.manage_token}?lang=en").get_data(as_text=True)
    assert '<h1 id="result">Booked</h1>' in page
    assert f'<strong id="ref">{order.booking_ref}</strong>' in page
    assert '<dd id="zone">G1 Garage</dd>' in page
    assert '<dd id="window">Tue 24.11. 10:00–12:00</dd>' in page
    assert '<dd id="price">€4.00</dd>' in page
    assert '<dd id="paid-state">Paid €4.00</dd>' in page
    assert "Free cancellation until 24.11.2026 09:00, no refund after that." in page
    assert f'href="/o/{order.manage_token}/booking.ics"' in page
    assert f'href="/o/{order.manage_token}/cancel?lang=en"' in page
    fi = client.get(f"/o/{order.manage_token}?lang=fi").get_data(as_text=True)
    assert "Peru varaus" in fi and "ti 24.11. 10.00–12.00" in fi


def test_cancelling_before_the_cutoff_asks_first_and_refunds_in_full_once(
    app: Flask, client: FlaskClient
) -> None:
    book(client)
    order = the_booking(app)
    confirm = client.get(f"/o/{order.manage_token}/cancel?lang=en").get_data(as_text=True)
    assert f"Cancel booking {order.booking_ref}?" in confirm
    assert "If you cancel now, €4.00 goes back to your card." in confirm
    assert the_booking(app).status is OrderStatus.BOOKED  # asking changes nothing
    form = hidden(confirm)
    response = client.post(f"/o/{order.manage_token}/cancel?lang=en", data=form)
    assert response.status_code == 303
    again = client.post(f"/o/{order.manage_token}/cancel?lang=en", data=form)
    assert again.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your booking is cancelled. €4.00 goes back to your card." in page
    assert '<h1 id="result">The booking is cancelled</h1>' in page
    assert 'id="cancel"' not in page
    assert '<dd id="paid-state">Paid €4.00, €4.00 refunded</dd>' in page
    cancelled = the_booking(app)
    assert cancelled.status is OrderStatus.CANCELLED
    assert [p.refunded_cents for p in cancelled.payments] == [400]


def test_cancelling_after_the_free_time_says_nothing_comes_back(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    book(client)
    order = the_booking(app)
    clock.set_local(2026, 11, 24, 9, 30)
    page = client.get(f"/o/{order.manage_token}?lang=en").get_data(as_text=True)
    assert "The free cancellation time has passed: cancelling now refunds nothing." in page
    confirm = client.get(f"/o/{order.manage_token}/cancel?lang=en").get_data(as_text=True)
    assert "nothing is refunded: the free cancellation time has passed" in confirm
    client.post(f"/o/{order.manage_token}/cancel?lang=en", data=hidden(confirm))
    cancelled = the_booking(app)
    assert cancelled.status is OrderStatus.CANCELLED
    assert [p.refunded_cents for p in cancelled.payments] == [0]


def test_an_unpaid_booking_page_shows_the_hold_and_the_pay_button(
    app: Flask, client: FlaskClient
) -> None:
    token = book(client, pay=False)
    order = the_booking(app)
    page = client.get(f"/o/{order.manage_token}?lang=en").get_data(as_text=True)
    assert '<h1 id="result">Waiting for the payment</h1>' in page
    assert "The space is held until 10:15. Pay before that to keep it." in page
    assert f'href="/pay/{token}?lang=en"' in page
    assert '<dd id="paid-state">Not paid</dd>' in page
    with app.app_context():
        assert db.session.scalars(select(Payment.token)).one() == token


def test_the_pay_page_of_a_booking_names_the_booking_and_its_window(
    app: Flask, client: FlaskClient
) -> None:
    token = book(client, pay=False)
    page = client.get(f"/demo-pay/{token}?lang=en").get_data(as_text=True)
    order = the_booking(app)
    assert "<h1>Pay for your booking</h1>" in page and "Pay for parking" not in page
    assert order.booking_ref in page and "Tue 24.11. 10:00–12:00" in page
