"""Booking on the web, over HTTP: /book lists the bookable zones, /book/<zone> a day's slot
grid with free counts (links, no JavaScript), the form books through the booking backend and
pays through /pay/<token>, a double submit books once, a full slot shows the nearest free
times, and the QR sign of a bookable zone leads to /book/<zone>."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import zones
from app.extensions import db
from app.models import Channel, Order, OrderKind, OrderStatus, Payment
from tests.conftest import PUBLIC_BASE_URL, Clock, Phone

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
# Tuesday 24 Nov 10:00 local (EET, +02:00) as the grid links it.
TEN = "2026-11-24T08:00Z"


@pytest.fixture(autouse=True)
def garage(app: Flask, clock: Clock) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()


def bookings(app: Flask) -> list[Order]:
    with app.app_context():
        found = db.session.scalars(
            select(Order).where(Order.kind == OrderKind.BOOKING).order_by(Order.id)
        ).all()
        db.session.expunge_all()
        return list(found)


def form_of(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert {"csrf_token", "key", "start"} <= set(fields), page
    return fields


def submit(client: FlaskClient, zone: str = "G1", **fields: str):
    page = client.get(f"/book/{zone}?date={TOMORROW}&start={TEN}&lang=en")
    data = {**form_of(page.get_data(as_text=True)), "slots": "2", "plate": "abc-123", **fields}
    return client.post(f"/book/{zone}?lang=en", data=data)


def test_book_lists_the_bookable_zones_with_their_price(client: FlaskClient) -> None:
    page = client.get("/book?lang=en").get_data(as_text=True)
    assert 'href="/book/G1?lang=en"' in page and 'href="/book/EV1?lang=en"' in page
    assert "Garage" in page and "€2.00 per hour" in page and "1 space" in page
    assert "/book/101" not in page  # a zone that cannot be booked
    assert client.get("/book/101").status_code == 404
    fi = client.get("/book?lang=fi").get_data(as_text=True)
    assert "Varaa" in fi


def test_the_day_grid_is_a_table_of_slots_with_free_counts_and_links(
    client: FlaskClient,
) -> None:
    page = client.get(f"/book/EV1?date={TOMORROW}&lang=en").get_data(as_text=True)
    assert "<caption>Free spaces on Tue 24.11.</caption>" in page
    assert '<th scope="col">Time</th>' in page
    assert '<th scope="row">10:00–11:00</th>' in page and "6 of 6" in page
    assert f'href="/book/EV1?date={TOMORROW}&start={TEN}&lang=en#book-form"' in page
    assert 'aria-label="Book from 10:00–11:00, 6 free"' in page
    # day navigation by links: the next day, and no day before today
    assert 'href="/book/EV1?date=2026-11-25&lang=en#grid" rel="next"' in page
    today = client.get("/book/EV1?lang=en").get_data(as_text=True)
    assert 'rel="prev"' not in today
    # today's past slots cannot be chosen (it is 10:00 on Monday)
    assert "start=2026-11-23T06:00Z" not in today and "start=2026-11-23T09:00Z" in today


def test_a_booking_from_the_web_is_paid_and_the_done_page_says_ref_window_and_terms(
    app: Flask, client: FlaskClient
) -> None:
    form = client.get(f"/book/G1?date={TOMORROW}&start={TEN}&lang=en").get_data(as_text=True)
    assert "Starting Tue 24.11. at 10:00" in form
    assert "10:00–12:00" in form and "€4.00" in form  # two slots, two hours
    response = submit(client, phone="040 123 4567")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/pay/")
    [order] = bookings(app)
    assert (order.channel, order.status, order.plate_display) == (
        Channel.WEB,
        OrderStatus.AWAITING_PAYMENT,
        "ABC-123",
    )
    assert order.amount_cents == 400
    with app.app_context():
        token = db.session.scalars(select(Payment.token)).one()
    paid = client.post(f"/demo-pay/{token}?lang=en", follow_redirects=True)
    assert f'href="/o/{order.manage_token}?lang=en"' in paid.get_data(as_text=True)

    done = client.get(f"/book/done/{order.manage_token}?lang=en").get_data(as_text=True)
    assert '<h1 id="result">Booked</h1>' in done
    assert order.booking_ref is not None and order.booking_ref in done
    assert "Tue 24.11. 10:00–12:00" in done
    assert "Free cancellation until 24.11.2026 09:00, no refund after that." in done
    assert f'href="/o/{order.manage_token}/booking.ics"' in done
    assert bookings(app)[0].status is OrderStatus.BOOKED
    assert client.get("/book/done/nosuchtoken").status_code == 404


def test_a_double_submit_books_once(app: Flask, client: FlaskClient) -> None:
    page = client.get(f"/book/G1?date={TOMORROW}&start={TEN}&lang=en").get_data(as_text=True)
    data = {**form_of(page), "slots": "1", "plate": "ABC-123"}
    first = client.post("/book/G1?lang=en", data=data)
    again = client.post("/book/G1?lang=en", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert len(bookings(app)) == 1


def test_a_full_slot_shows_the_nearest_free_times_and_books_nothing(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get(f"/book/G1?date={TOMORROW}&start={TEN}&lang=en").get_data(as_text=True)
    other = client.get(f"/book/G1?date={TOMORROW}&start={TEN}&lang=en").get_data(as_text=True)
    assert submit_with(client, page, "ABC-123").status_code == 303
    taken = submit_with(client, other, "XYZ-789")
    text = taken.get_data(as_text=True)
    assert taken.status_code == 409
    assert "Sorry, that time was just booked full. Nothing was booked." in text
    assert "Tue 24.11. 12:00–13:00" in text or "Tue 24.11. 09:00–10:00" in text
    assert re.search(r"Zone (103|EV1): Tue 24.11. 10:00–11:00", text)  # the same time elsewhere
    assert [o.plate_display for o in bookings(app)] == ["ABC-123"]
    grid = client.get(f"/book/G1?date={TOMORROW}&lang=en").get_data(as_text=True)
    row = re.search(r'<th scope="row">10:00–11:00</th>(.*?)</tr>', grid, re.S)
    assert row and "Full" in row.group(1) and "start=" not in row.group(1)


def submit_with(client: FlaskClient, page: str, plate: str):
    return client.post("/book/G1?lang=en", data={**form_of(page), "slots": "1", "plate": plate})


def test_a_bad_plate_or_phone_is_shown_at_its_field_and_books_nothing(
    app: Flask, client: FlaskClient
) -> None:
    bad = submit(client, plate="!")
    assert bad.status_code == 400
    assert "Check the plate, e.g. ABC-123." in bad.get_data(as_text=True)
    phone = submit(client, phone="12")
    assert phone.status_code == 400
    assert "Check the phone number" in phone.get_data(as_text=True)
    gone = submit(client, start="2026-11-23T06:00Z")  # 08:00 today, already past
    assert gone.status_code == 400
    assert "This time cannot be booked any more." in gone.get_data(as_text=True)
    assert bookings(app) == []


def test_todays_grid_offers_no_slot_that_has_started_or_ended(
    client: FlaskClient, clock: Clock
) -> None:
    clock.set_local(2026, 11, 23, 10, 25)  # Monday, the slot of 10:00 has started

    page = client.get("/book/G1?date=2026-11-23&lang=en").get_data(as_text=True)

    times = re.findall(r'<th scope="row">([^<]+)</th>', page)
    assert times[0] == "11:00–12:00" and "09:00–10:00" not in times
    assert "10:00–11:00" not in times
    assert 'aria-label="Book from 11:00–12:00, 1 free"' in page
    assert "Not bookable" not in page
    clock.set_local(2026, 11, 23, 22, 0)  # the last slot of the day, 22:00-23:00, starts now
    assert re.findall(r'<th scope="row">([^<]+)</th>', client.get("/book/G1?lang=en").text) == [
        "22:00–23:00"
    ]
    clock.set_local(2026, 11, 23, 22, 1)
    late = client.get("/book/G1?date=2026-11-23&lang=en").get_data(as_text=True)
    assert '<th scope="row">' not in late and 'id="no-slots"' in late


def test_the_pages_speak_finnish_and_swedish(client: FlaskClient) -> None:
    fi = client.get(f"/book/EV1?date={TOMORROW}&lang=fi").get_data(as_text=True)
    assert "Vapaat paikat ti 24.11." in fi and 'lang="fi"' in fi
    sv = client.get(f"/book/EV1?date={TOMORROW}&lang=sv").get_data(as_text=True)
    assert "Lediga platser" in sv


def test_the_sign_of_a_bookable_zone_leads_to_its_booking_page(client: FlaskClient) -> None:
    svg = client.get("/p/G1/sign.svg").get_data(as_text=True)
    assert f"{PUBLIC_BASE_URL}/book/G1" in svg
    assert f"{PUBLIC_BASE_URL}/p/101" in client.get("/p/101/sign.svg").get_data(as_text=True)


def test_a_typed_phone_never_reaches_that_phones_own_booking(
    app: Flask, client: FlaskClient
) -> None:
    """A phone number typed on the form proves nothing: booking the same car and window with
    someone's number must not hand out the booking they made by SMS (its pay link or page)."""
    phone = Phone(client, number="+358401234567")
    assert "Booking" in phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    [theirs] = bookings(app)

    response = submit(client, plate="ABC-123", phone="040 123 4567")

    assert theirs.manage_token not in response.headers.get("Location", "")
    assert "/pay/" not in response.headers.get("Location", "")
    assert [o.id for o in bookings(app)] == [theirs.id]
