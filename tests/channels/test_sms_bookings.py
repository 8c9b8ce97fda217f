"""Bookings by SMS, through the signed Twilio webhook: VARAA/BOKA/BOOK, PERU/AVBOKA/UNBOOK,
VARAUKSET/BOKNINGAR/BOOKINGS, SIIRRÄ/FLYTTA/MOVE, and every bad booking message answered
with what would work, booking nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from app.backend import zones
from app.extensions import db
from app.models import Order, OrderKind, OrderStatus
from tests.conftest import Clock, Phone

GARAGE = {
    "code": "G1",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 1,
    "booking_hours": {"mon-sun": "06:00-23:00"},
    "max_advance_days": 30,
}


@pytest.fixture(autouse=True)
def garage(app: Flask, clock: Clock) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()


def booking_orders(app: Flask) -> list[Order]:
    with app.app_context():
        found = db.session.scalars(
            select(Order).where(Order.kind == OrderKind.BOOKING).order_by(Order.id)
        ).all()
        db.session.expunge_all()
        return list(found)


def ref_in(reply: str) -> str:
    match = re.search(r"(?:Booking|Varaus|Bokning) ([B-Z2-9]{6})", reply)
    assert match, reply
    return match.group(1)


def test_book_answers_ref_window_price_pay_link_and_terms(app: Flask, phone: Phone) -> None:
    reply = phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    ref = ref_in(reply)
    assert "Tue 24 Nov 10:00-12:00" in reply
    assert "€4.00" in reply
    assert "https://kanava.test/pay/" in reply
    assert (
        f"Free cancellation until Tue 24 Nov 09:00 (UNBOOK {ref}), no refund after that." in reply
    )
    [order] = booking_orders(app)
    assert (order.booking_ref, order.status, order.plate_display) == (
        ref,
        OrderStatus.AWAITING_PAYMENT,
        "ABC-123",
    )


def test_parts_in_any_order_and_the_usual_car(app: Flask, phone: Phone) -> None:
    phone.send("ABC-123 101")  # parks once: ABC-123 is the usual car
    reply = phone.send("book 10-12 tomorrow G1")
    ref_in(reply)
    assert booking_orders(app)[0].plate_display == "ABC-123"


def test_without_a_plate_or_a_car_asks_for_it(app: Flask, phone: Phone) -> None:
    reply = phone.send("BOOK G1 tomorrow 10-12")
    assert "Which car?" in reply
    assert booking_orders(app) == []


def test_without_times_the_free_times_that_day(app: Flask, phone: Phone) -> None:
    ref_in(phone.send("BOOK G1 tomorrow 10-12 ABC-123"))
    reply = Phone(phone.client, number="+358409999999").send("BOOK G1 tomorrow")
    assert "Free in zone G1 on Tue 24 Nov: 06:00-10:00, 12:00-23:00." in reply
    assert len(booking_orders(app)) == 1


def test_full_offers_alternatives_and_one_word_takes_one(app: Flask, phone: Phone) -> None:
    ref_in(phone.send("BOOK G1 tomorrow 10-12 ABC-123"))
    other = Phone(phone.client, number="+358409999999")
    reply = other.send("BOOK G1 tomorrow 10-12 XYZ-987")
    assert "Zone G1 is fully booked Tue 24 Nov 10:00-12:00." in reply
    assert "1) Tue 24 Nov 12:00-14:00" in reply or "1) Tue 24 Nov 08:00-10:00" in reply
    assert "Reply 1, 2 or 3 to book it." in reply
    taken = other.send("1")
    ref_in(taken)
    booked = booking_orders(app)
    assert len(booked) == 2 and booked[1].plate_display == "XYZ-987"
    assert booked[1].starts_at != booked[0].starts_at


@pytest.mark.parametrize(
    ("message", "answer"),
    [
        ("BOOK G1 20.11. 10-12 ABC-123", "That day has passed. For example: BOOK G1 24.11. 10-12"),
        ("BOOK G1 tomorrow 25-27 ABC-123", "Give the time as 10-12 or 10 2h."),
        ("BOOK G1 31.2. 10-12 ABC-123", "That date does not exist."),
        (
            "BOOK 101 tomorrow 10-12 ABC-123",
            "Zone 101 cannot be booked. Zones to book: 103, EV1, G1.",
        ),
        ("BOOK G1 1.3.2027 10-12 ABC-123", "Bookings can be made up to Wed 23 Dec."),
        ("BOOK G1 tomorrow 22-24 ABC-123", "Zone G1 can be booked 06:00-23:00 on Tue 24 Nov."),
        ("BOOK G1 today 8-9 ABC-123", "That time has passed. The earliest you can book is 10:00."),
        ("BOOK tomorrow 10-12", "Which zone?"),
        ("UNBOOK QQQQQQ", "You have no booking QQQQQQ."),
        ("MOVE QQQQQQ 14-16", "You have no booking QQQQQQ."),
        ("MOVE", "To move a booking: MOVE, the reference and the new time"),
    ],
)
def test_every_bad_booking_message_says_what_would_work_and_books_nothing(
    app: Flask, phone: Phone, message: str, answer: str
) -> None:
    reply = phone.send(message)
    assert answer in reply
    assert booking_orders(app) == []


def test_unbook_alone_cancels_the_only_booking_and_asks_which_of_several(
    app: Flask, phone: Phone
) -> None:
    phone.send("LANG EN")  # a bare number says no language
    first = ref_in(phone.send("BOOK G1 tomorrow 10-12 ABC-123"))
    reply = phone.send("UNBOOK")
    assert f"Booking {first} (zone G1) cancelled. Nothing was charged." in reply
    a = ref_in(phone.send("BOOK G1 tomorrow 10-12 ABC-123"))
    b = ref_in(phone.send("BOOK G1 25.11. 10-12 ABC-123"))
    question = phone.send("UNBOOK")
    assert "Which booking to cancel?" in question and a in question and b in question
    assert f"Booking {b} (zone G1) cancelled." in phone.send("2")
    statuses = {o.booking_ref: o.status for o in booking_orders(app)}
    assert statuses[a] is OrderStatus.AWAITING_PAYMENT
    assert statuses[b] is OrderStatus.CANCELLED


def test_unbook_with_a_ref_written_loosely(app: Flask, phone: Phone) -> None:
    ref = ref_in(phone.send("BOOK G1 tomorrow 10-12 ABC-123"))
    reply = phone.send(f"unbook {ref[:3].lower()} {ref[3:].lower()}")
    assert f"Booking {ref} (zone G1) cancelled." in reply


def test_another_phone_cannot_cancel_a_booking(app: Flask, phone: Phone) -> None:
    ref = ref_in(phone.send("BOOK G1 tomorrow 10-12 ABC-123"))
    reply = Phone(phone.client, number="+358409999999").send(f"UNBOOK {ref}")
    assert f"You have no booking {ref}." in reply
    assert booking_orders(app)[0].status is OrderStatus.AWAITING_PAYMENT


def test_cancel_is_an_opt_out_word_never_a_booking_cancel(app: Flask, phone: Phone) -> None:
    phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    phone.send("CANCEL")
    assert booking_orders(app)[0].status is OrderStatus.AWAITING_PAYMENT


def test_bookings_lists_upcoming(app: Flask, phone: Phone) -> None:
    assert "You have no upcoming bookings." in phone.send("BOOKINGS")
    ref = ref_in(phone.send("BOOK G1 tomorrow 10-12 ABC-123"))
    reply = phone.send("BOOKINGS")
    assert f"Your bookings: {ref} G1 Tue 24 Nov 10:00-12:00 (not paid)." in reply


def test_move_keeps_the_ref(app: Flask, phone: Phone) -> None:
    ref = ref_in(phone.send("BOOK G1 tomorrow 10-12 ABC-123"))
    reply = phone.send(f"MOVE {ref} 14-15")
    assert f"Booking {ref} moved: zone G1, Tue 24 Nov 14:00-15:00. Price €2.00." in reply
    [order] = booking_orders(app)
    assert order.booking_ref == ref and order.amount_cents == 200


def test_finnish_and_swedish_keywords(app: Flask, phone: Phone) -> None:
    fi = phone.send("VARAA G1 huomenna 10-12 ABC-123")
    ref = re.search(r"([B-Z2-9]{6})", fi).group(1)  # type: ignore[union-attr]
    assert "ti 24.11. 10.00-12.00" in fi
    assert ref in phone.send("VARAUKSET")
    sv = phone.send(f"AVBOKA {ref}")
    assert f"Bokning {ref} (zon G1) avbokad." in sv


def test_a_resent_booking_is_the_same_booking_not_a_second_one(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    """A driver who resends because the reply was slow, or words the same booking again,
    gets the booking already made: no second space taken, no second price asked."""
    with app.app_context():
        garage = dict(GARAGE, code="G3", capacity=3)
        zones.import_zones(db.session, {"zones": [garage]}, clock())
        db.session.commit()
    first = phone.send("BOOK G3 tomorrow 10-12 BKG-100")
    ref = ref_in(first)
    again = phone.send("BOOK G3 tomorrow 10-12 BKG-100")
    assert ref_in(again) == ref
    assert "already" in again
    overlapping = phone.send("BOOK G3 tomorrow 11-13 bkg100")
    assert ref_in(overlapping) == ref
    assert [o.booking_ref for o in booking_orders(app)] == [ref]
    other_car = phone.send("BOOK G3 tomorrow 10-12 XYZ-789")
    assert ref_in(other_car) != ref
    assert len(booking_orders(app)) == 2
