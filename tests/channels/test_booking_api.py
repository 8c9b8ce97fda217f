"""Bookings in the handheld API and the plate check: ``/api/v1/bookings/<ref>``,
``/api/v1/availability``, ``/api/v1/orders/<id>`` of a booking, and a paid booking making
its plate valid in its zone during its window (not before), with its reference. Slots and
bookings across both DST changes in Europe/Helsinki."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import ledger, zones
from app.extensions import db
from app.models import Order
from app.usecases import pay_link
from tests.conftest import HELSINKI, Clock, Phone

ZONES = [
    {
        "code": "G1",
        "name": "Garage",
        "rate_per_hour": "2.00",
        "paid_hours": {"mon-sun": "00:00-24:00"},
        "bookable": True,
        "capacity": 2,
        "booking_hours": {"mon-sun": "06:00-23:00"},
    },
    {
        "code": "H24",
        "name": "Harbour",
        "rate_per_hour": "1.00",
        "paid_hours": {"mon-sun": "00:00-24:00"},
        "bookable": True,
        "capacity": 1,
        "slot_minutes": 60,
    },
]


@pytest.fixture(autouse=True)
def bookable(app: Flask, clock: Clock, phone: Phone) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": ZONES}, clock())
        db.session.commit()
    phone.send("LANG EN")


def get(client: FlaskClient, token: str, path: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.get_json()


def book_and_pay(app: Flask, clock: Clock, phone: Phone, message: str) -> Order:
    reply = phone.send(message)
    ref = re.search(r"Booking ([B-Z2-9]{6})", reply).group(1)  # type: ignore[union-attr]
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.booking_ref == ref))
        assert order is not None
        payment = ledger.open_payment_of(order)
        pay_link.complete_demo_payment(
            db.session, app.extensions["kanava"], payment.token, now=clock()
        )
        order = db.session.scalar(select(Order).where(Order.booking_ref == ref))
        db.session.expunge_all()
        return order


def test_booking_and_order_json(
    app: Flask, client: FlaskClient, clock: Clock, phone: Phone, api_token: str
) -> None:
    order = book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    status, body = get(client, api_token, f"/api/v1/bookings/{order.booking_ref.lower()}")
    assert status == 200
    assert body == {
        "id": order.id,
        "kind": "booking",
        "status": "booked",
        "plate": "ABC-123",
        "zone": "G1",
        "starts_at": "2026-11-24T10:00:00+02:00",
        "ends_at": "2026-11-24T12:00:00+02:00",
        "amount_cents": 400,
        "currency": "EUR",
        "channel": "sms",
        "ref": order.booking_ref,
    }
    status, same = get(client, api_token, f"/api/v1/orders/{order.id}")
    assert status == 200 and same == {k: v for k, v in body.items() if k != "ref"}
    assert get(client, api_token, "/api/v1/bookings/QQQQQQ")[0] == 404


def test_availability_json(
    app: Flask, client: FlaskClient, clock: Clock, phone: Phone, api_token: str
) -> None:
    book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    status, body = get(client, api_token, "/api/v1/availability?zone=g1&date=2026-11-24")
    assert status == 200
    assert (body["zone"], body["date"], body["capacity"]) == ("G1", "2026-11-24", 2)
    assert len(body["slots"]) == 17
    assert body["slots"][0] == {
        "starts_at": "2026-11-24T06:00:00+02:00",
        "ends_at": "2026-11-24T07:00:00+02:00",
        "free": 2,
    }
    assert [s["free"] for s in body["slots"][4:6]] == [1, 1]
    assert get(client, api_token, "/api/v1/availability?zone=101&date=2026-11-24")[0] == 404
    assert get(client, api_token, "/api/v1/availability?zone=G1&date=24.11.")[0] == 400
    assert client.get("/api/v1/availability?zone=G1&date=2026-11-24").status_code == 401


def test_a_paid_booking_is_valid_in_its_zone_during_its_window_only(
    app: Flask, client: FlaskClient, clock: Clock, phone: Phone, api_token: str
) -> None:
    order = book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    clock.set_local(2026, 11, 24, 9, 59)
    status, before = get(client, api_token, "/api/v1/plates/abc123?zone=G1")
    assert status == 200 and before["valid"] is False
    clock.set_local(2026, 11, 24, 10, 0)
    status, during = get(client, api_token, "/api/v1/plates/abc 123?zone=G1")
    assert during["valid"] is True
    assert during["ref"] == order.booking_ref and during["status"] == "booked"
    assert during["valid_until"] == "2026-11-24T12:00:00+02:00"
    status, other_zone = get(client, api_token, "/api/v1/plates/ABC-123?zone=101")
    assert other_zone["valid"] is False and other_zone["elsewhere"]["zone"] == "G1"
    clock.set_local(2026, 11, 24, 12, 0)
    assert get(client, api_token, "/api/v1/plates/ABC-123?zone=G1")[1]["valid"] is False


def test_an_unpaid_booking_is_never_valid(
    app: Flask, client: FlaskClient, clock: Clock, phone: Phone, api_token: str
) -> None:
    phone.send("BOOK G1 today 10:30-12 ABC-123")
    clock.set_local(2026, 11, 23, 10, 31)
    assert get(client, api_token, "/api/v1/plates/ABC-123?zone=G1")[1]["valid"] is False


def test_the_panel_check_names_the_booking(app: Flask, clock: Clock, phone: Phone) -> None:
    from app.backend import orders

    order = book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    clock.set_local(2026, 11, 24, 11, 0)
    with app.app_context():
        check = orders.check_plate(db.session, app.extensions["kanava"], "ABC123", "G1", clock())
    assert check.valid and check.booking_ref == order.booking_ref


def test_slots_across_both_dst_changes(
    app: Flask, client: FlaskClient, clock: Clock, api_token: str
) -> None:
    clock.set_local(2027, 3, 20, 12, 0)
    spring = get(client, api_token, "/api/v1/availability?zone=H24&date=2027-03-28")[1]["slots"]
    assert len(spring) == 23
    assert [s["starts_at"] for s in spring[2:4]] == [
        "2027-03-28T02:00:00+02:00",
        "2027-03-28T04:00:00+03:00",
    ]
    autumn = get(client, api_token, "/api/v1/availability?zone=H24&date=2027-10-31")[1]["slots"]
    assert len(autumn) == 25
    assert [s["starts_at"] for s in autumn[3:5]] == [
        "2027-10-31T03:00:00+03:00",
        "2027-10-31T03:00:00+02:00",
    ]


@pytest.mark.parametrize(
    ("today", "message", "hours", "starts", "ends"),
    [
        ((2027, 3, 27, 12), "BOOK H24 28.3. 2-5 ABC-123", 2, "02:00:00+02:00", "05:00:00+03:00"),
        ((2027, 10, 30, 12), "BOOK H24 31.10. 2-5 ABC-123", 4, "02:00:00+03:00", "05:00:00+02:00"),
    ],
)
def test_bookings_across_dst_are_real_hours_and_priced_so(
    app: Flask,
    client: FlaskClient,
    clock: Clock,
    phone: Phone,
    api_token: str,
    today: tuple[int, int, int, int],
    message: str,
    hours: int,
    starts: str,
    ends: str,
) -> None:
    clock.set_local(*today)
    order = book_and_pay(app, clock, phone, message)
    body = get(client, api_token, f"/api/v1/bookings/{order.booking_ref}")[1]
    assert body["starts_at"].endswith(starts) and body["ends_at"].endswith(ends)
    assert body["amount_cents"] == hours * 100
    assert (order.ends_at - order.starts_at).total_seconds() == hours * 3600
    # the other bookings of that night see the same real hours as taken
    day = body["starts_at"][:10]
    slots = get(client, api_token, f"/api/v1/availability?zone=H24&date={day}")[1]["slots"]
    taken = [s for s in slots if s["free"] == 0]
    assert len(taken) == hours
    assert datetime.fromisoformat(taken[0]["starts_at"]).astimezone(HELSINKI).hour == 2


def test_the_confirmation_links_the_booking_calendar_file(
    app: Flask, client: FlaskClient, clock: Clock, phone: Phone
) -> None:
    from icalendar import Calendar

    from app.models import OutboundMessage

    order = book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    with app.app_context():
        paid = db.session.scalar(
            select(OutboundMessage.body).where(OutboundMessage.purpose == "booking_paid")
        )
    link = re.search(r"https://kanava.test(/o/\S+/booking\.ics)", paid or "")
    assert link, paid
    response = client.get(link.group(1))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("dtstart") == order.starts_at
    assert event.decoded("dtend") == order.ends_at
    assert order.booking_ref in str(event.get("description"))
    assert client.get("/o/nosuchtoken/booking.ics").status_code == 404


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_availability_on_a_day_at_the_ends_of_the_calendar_is_refused_not_a_500(
    client: FlaskClient, api_token: str, day: str
) -> None:
    """Found by make fuzz: the day after 9999-12-31 does not exist (OverflowError)."""
    status, body = get(client, api_token, f"/api/v1/availability?zone=G1&date={day}")
    assert (status, body) == (400, {"error": "bad_date"})
