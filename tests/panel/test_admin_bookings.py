"""The panel's bookings: a bookable zone's day as an occupancy grid and the list, and a
staff cancellation through a confirmation page that names the refund by the zone's terms."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import zones
from app.extensions import db
from app.models import Order, OrderKind, OrderStatus, OutboundMessage
from tests.conftest import Clock, Phone
from tests.panel.test_admin import ADMIN_PASSWORD, csrf_token, make_user, sign_in

GARAGE = {
    "code": "G1",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 2,
    "booking_hours": {"mon-sun": "06:00-23:00"},
}


@pytest.fixture(autouse=True)
def garage(app: Flask, clock: Clock, client: FlaskClient) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    assert sign_in(client, "boss", ADMIN_PASSWORD) in (302, 303)


def booking(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.kind == OrderKind.BOOKING)).one()
        db.session.expunge_all()
        return order


def test_the_day_shows_slots_used_of_capacity_and_the_bookings(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    page = client.get("/admin/bookings/G1?date=2026-11-24&lang=en").get_data(as_text=True)
    rows = dict(re.findall(r'<th scope="row">(\d\d:\d\d)–\d\d:\d\d</th>\s*<td>([^<]*)</td>', page))
    assert rows["09:00"] == "0 / 2" and rows["10:00"] == "1 / 2" and rows["11:00"] == "1 / 2"
    ref = booking(app).booking_ref
    assert ref is not None and f'<th scope="row">{ref}</th>' in page
    assert "ABC-123" in page and "awaiting payment" in page
    fi = client.get("/admin/bookings/G1?date=2026-11-24&lang=fi").get_data(as_text=True)
    assert "Varaukset alueella G1" in fi
    assert client.get("/admin/bookings/101").status_code == 404  # not bookable


def test_staff_cancel_confirms_the_refund_by_the_terms_then_cancels_and_tells_the_driver(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    order = booking(app)
    confirm = client.get(f"/admin/bookings/orders/{order.id}/cancel?lang=en")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert f"Cancel booking {order.booking_ref} now: its space is free at once." in text
    with app.app_context():
        assert db.session.get(Order, order.id).status is OrderStatus.AWAITING_PAYMENT
    done = client.post(
        f"/admin/bookings/orders/{order.id}/cancel?lang=en",
        data={"csrf_token": csrf_token(text), "confirmed": "1"},
        follow_redirects=True,
    )
    assert f"Booking {order.booking_ref} cancelled." in done.get_data(as_text=True)
    assert booking(app).status is OrderStatus.CANCELLED
    with app.app_context():
        bodies = db.session.scalars(select(OutboundMessage.body)).all()
    assert any(order.booking_ref in b and "ancel" in b for b in bodies[-1:]), bodies
    again = client.get(f"/admin/bookings/orders/{order.id}/cancel?lang=en")
    assert again.status_code == 409


def test_the_zone_list_links_the_bookings_of_bookable_zones(client: FlaskClient) -> None:
    page = client.get("/admin/zones?lang=en").get_data(as_text=True)
    assert 'href="/admin/bookings/G1"' in page and 'href="/admin/bookings/101"' not in page


def test_the_csv_export_names_a_booking_with_its_ref_and_window(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    ref = booking(app).booking_ref
    csv = client.get("/admin/export?what=orders&from=2026-11-23&to=2026-11-23")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",created_at,booking_ref")
    [row] = [line for line in lines[1:] if ",booking," in line]
    assert row.endswith(f",{ref}")
    assert "2026-11-24T10:00:00+02:00,2026-11-24T12:00:00+02:00" in row


def test_staff_book_a_space_through_the_same_backend_and_get_the_pay_link(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/admin/bookings/G1?date=2026-11-24&lang=en").get_data(as_text=True)
    assert '<option value="2026-11-24T08:00Z">10:00 (2 free)</option>' in page
    data = {"csrf_token": csrf_token(page), "date": "2026-11-24", "plate": "xyz-789"}
    done = client.post(
        "/admin/bookings/G1?lang=en",
        data={**data, "start": "2026-11-24T08:00Z", "slots": "2"},
        follow_redirects=True,
    )
    order = booking(app)
    text = done.get_data(as_text=True)
    assert f"Booking {order.booking_ref} made for XYZ-789, 24.11. 10:00–12:00." in text
    assert "the driver pays by this link: https://kanava.test/pay/" in text
    assert (order.status, order.channel.value) == (OrderStatus.AWAITING_PAYMENT, "admin")
    bad = client.post(
        "/admin/bookings/G1?lang=en",
        data={**data, "start": "2026-11-23T06:00Z", "slots": "1"},  # 08:00 today: past
        follow_redirects=True,
    )
    assert "That time cannot be booked" in bad.get_data(as_text=True)
    assert len([booking(app)]) == 1


def test_staff_move_a_booking_after_a_confirmation_naming_the_new_price(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    order = booking(app)
    url = f"/admin/bookings/orders/{order.id}/move?lang=en"
    choose = client.get(url).get_data(as_text=True)
    assert '<option value="2026-11-24T12:00Z">24.11. 14:00' in choose
    confirm = client.get(f"{url}&start=2026-11-24T12:00Z&slots=3").get_data(as_text=True)
    assert f"Move booking {order.booking_ref} to" in confirm and "€6.00" in confirm
    assert "The driver is asked to pay €2.00 more." in confirm
    assert booking(app).starts_at == order.starts_at  # nothing changed yet
    done = client.post(
        url,
        data={
            "csrf_token": csrf_token(confirm),
            "confirmed": "1",
            "start": "2026-11-24T12:00Z",
            "slots": "3",
        },
        follow_redirects=True,
    )
    assert f"Booking {order.booking_ref} moved." in done.get_data(as_text=True)
    moved = booking(app)
    assert (moved.booking_ref, moved.amount_cents) == (order.booking_ref, 600)
    assert moved.starts_at.isoformat().startswith("2026-11-24T12:00")
