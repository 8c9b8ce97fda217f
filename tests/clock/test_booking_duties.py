"""The clock's booking duties through ``jobs tick``'s sweep: a hold lapses once, the reminder
before the start and the one before the end go out once, ``EXTEND`` alone after the end
reminder makes the booking longer, and a booking ends after its window."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.backend import ledger, zones
from app.clock import duties
from app.extensions import db
from app.models import Order, OrderKind, OrderStatus, OutboundMessage
from app.usecases import pay_link
from tests.conftest import Clock, Phone

GARAGE = {
    "code": "G1",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 1,
    "booking_hours": {"mon-sun": "06:00-23:00"},
}


@pytest.fixture(autouse=True)
def garage(app: Flask, clock: Clock, phone: Phone) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()
    phone.send("LANG EN")


def tick(app: Flask, clock: Clock) -> duties.TickReport:
    with app.app_context():
        return duties.run_due(db.session, app.extensions["kanava"], clock())


def sent(app: Flask, purpose: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.purpose == purpose)
                .order_by(OutboundMessage.id)
            )
        )


def the_booking(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalar(
            select(Order).where(Order.kind == OrderKind.BOOKING).order_by(Order.id)
        )
        assert order is not None
        db.session.expunge_all()
        return order


def book_and_pay(app: Flask, clock: Clock, phone: Phone, message: str) -> str:
    reply = phone.send(message)
    ref = re.search(r"Booking ([B-Z2-9]{6})", reply).group(1)  # type: ignore[union-attr]
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.booking_ref == ref))
        payment = ledger.open_payment_of(order)
        pay_link.complete_demo_payment(
            db.session, app.extensions["kanava"], payment.token, now=clock()
        )
    return ref


def test_an_unpaid_hold_lapses_once_and_the_driver_is_told(
    app: Flask, clock: Clock, phone: Phone
) -> None:
    phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    clock.advance(minutes=14)
    assert tick(app, clock).holds_lapsed == 0
    clock.advance(minutes=1)
    assert tick(app, clock).holds_lapsed == 1
    assert tick(app, clock).holds_lapsed == 0
    assert the_booking(app).status is OrderStatus.EXPIRED
    [notice] = sent(app, "hold_lapsed")
    assert "was not paid in time and the space was released" in notice


def test_paid_booking_gets_the_start_reminder_once(app: Flask, clock: Clock, phone: Phone) -> None:
    ref = book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    assert the_booking(app).status is OrderStatus.BOOKED
    [paid] = sent(app, "booking_paid")
    assert f"Booking {ref} is paid" in paid and "/booking.ics" in paid
    clock.set_local(2026, 11, 24, 8, 59)
    tick(app, clock)
    assert sent(app, "booking_start_reminder") == []
    clock.set_local(2026, 11, 24, 9, 0)
    tick(app, clock)
    tick(app, clock)
    [reminder] = sent(app, "booking_start_reminder")
    assert f"Reminder: booking {ref} for ABC-123 in zone G1 Garage" in reminder
    assert "The free cancellation time has passed" in reminder


def test_end_reminder_offers_extend_and_extend_alone_takes_it(
    app: Flask, clock: Clock, phone: Phone
) -> None:
    ref = book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    clock.set_local(2026, 11, 24, 11, 50)
    tick(app, clock)
    [reminder] = sent(app, "booking_end_reminder")
    assert f"Booking {ref} in zone G1 ends at 12:00." in reminder
    assert "reply EXTEND for 60 min more" in reminder
    reply = phone.send("EXTEND")
    assert f"Booking {ref} now ends at 13:00. Pay €2.00: https://kanava.test/pay/" in reply
    assert the_booking(app).ends_at == clock.now + timedelta(minutes=70)


def test_no_extension_offered_when_the_next_slot_is_booked(
    app: Flask, clock: Clock, phone: Phone
) -> None:
    book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    other = Phone(phone.client, number="+358409999999")
    other.send("LANG EN")
    book_and_pay(app, clock, other, "BOOK G1 tomorrow 12-13 XYZ-987")
    clock.set_local(2026, 11, 24, 11, 50)
    tick(app, clock)
    [reminder] = sent(app, "booking_end_reminder")
    assert "EXTEND" not in reminder


def test_a_booking_ends_after_its_window(app: Flask, clock: Clock, phone: Phone) -> None:
    book_and_pay(app, clock, phone, "BOOK G1 tomorrow 10-12 ABC-123")
    clock.set_local(2026, 11, 24, 12, 0)
    assert tick(app, clock).bookings_ended == 1
    assert the_booking(app).status is OrderStatus.ENDED
    assert tick(app, clock).bookings_ended == 0


def test_paid_after_the_lapse_with_the_space_taken_is_refunded_and_told_with_alternatives(
    app: Flask, clock: Clock, phone: Phone
) -> None:
    from app.backend import provider_payments
    from app.kernel.payments import PaymentInfo
    from app.usecases import provider_events

    reply = phone.send("BOOK G1 tomorrow 10-12 ABC-123")
    ref = re.search(r"Booking ([B-Z2-9]{6})", reply).group(1)  # type: ignore[union-attr]
    clock.advance(minutes=15)
    assert tick(app, clock).holds_lapsed == 1
    other = Phone(phone.client, number="+358409999999")
    other.send("LANG EN")
    book_and_pay(app, clock, other, "BOOK G1 tomorrow 10-12 XYZ-987")
    clock.advance(minutes=1)
    with app.app_context():
        kanava = app.extensions["kanava"]
        order = db.session.scalar(select(Order).where(Order.booking_ref == ref))
        payment = order.payments[0]
        info = PaymentInfo(f"pi_late_{ref}", "succeeded", 400, 400, None, None, payment.id)
        locked = ledger.lock_payment(db.session, payment.id)
        applied = provider_payments.apply_paid(db.session, kanava, locked, info, now=clock())
        provider_events.tell_paid(db.session, kanava, locked, applied, now=clock())
        db.session.commit()
        assert applied.booking_lost and locked.refunded_cents == 400
    assert the_booking(app).status is OrderStatus.EXPIRED
    [told] = sent(app, "booking_refunded")
    assert f"Your payment for booking {ref}" in told and "€4.00 refunded." in told
    assert "Reply 1, 2 or 3 to book it." in told
    taken = phone.send("1")
    assert re.search(r"Booking [B-Z2-9]{6}: zone G1", taken), taken
