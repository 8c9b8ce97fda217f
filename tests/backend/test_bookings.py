"""The booking backend on SQLite and PostgreSQL: holds, capacity, payment, lapse, late
payment, cancel by the zone's terms, move keeping the reference and the payment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.backend import booking_space, bookings, customers, provider_payments, zones
from app.backend.orders import OrderError
from app.domain.booking_policy import Interval
from app.extensions import db
from app.kernel import Kanava
from app.kernel.payments import PaymentInfo
from app.models import Channel, Order, OrderStatus, Payment, PaymentStatus
from tests.conftest import HELSINKI, Clock

GARAGE = {
    "code": "G1",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 1,
    "booking_hours": {"mon-sun": "06:00-23:00"},
    "cancel_free_until_minutes": 60,
    "hold_minutes": 15,
}


@pytest.fixture
def ctx(app: Flask, clock: Clock) -> Iterator[tuple[Session, Kanava]]:
    with app.app_context():
        session = db.session
        zones.import_zones(session, {"zones": [GARAGE]}, clock())
        session.commit()
        yield session, app.extensions["kanava"]
        session.rollback()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HELSINKI)


def window(day: int, start: int, end: int) -> Interval:
    return Interval(local(day, start), local(day, end))


def book(
    session: Session,
    kanava: Kanava,
    clock: Clock,
    w: Interval,
    phone: str = "+358401111111",
    plate: str = "ABC-123",
) -> bookings.BookingMade:
    customer = customers.get_or_create(session, phone, clock())
    zone = zones.find(session, "G1")
    made = bookings.make_booking(
        session,
        kanava,
        customer=customer,
        plate=plate,
        zone=zone,
        window=w,
        channel=Channel.SMS,
        now=clock(),
        language="fi",
    )
    session.commit()
    return made


def pay(
    session: Session, kanava: Kanava, payment: Payment, now: datetime
) -> provider_payments.Applied:
    info = PaymentInfo(
        ref=f"pi_{payment.token}",
        status="succeeded",
        amount_cents=payment.amount_cents,
        received_cents=payment.amount_cents,
        customer_ref=None,
        payment_method_ref=None,
        payment_id=payment.id,
    )
    applied = provider_payments.apply_paid(session, kanava, payment, info, now=now)
    session.commit()
    return applied


def test_a_booking_holds_its_space_and_the_next_one_is_full_with_alternatives(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    assert made.order.status is OrderStatus.AWAITING_PAYMENT
    assert made.order.booking_ref and len(made.order.booking_ref) == 6
    assert made.order.amount_cents == 400
    assert made.order.hold_expires_at == clock() + timedelta(minutes=15)
    assert made.payment is not None and made.payment.amount_cents == 400

    with pytest.raises(OrderError) as full:
        book(session, kanava, clock, window(24, 11, 13), phone="+358402222222", plate="XYZ-9")
    assert full.value.code == "full"
    same_zone = full.value.details["alternatives"].same_zone
    assert same_zone and all(
        not (a.window.start < local(24, 12) and a.window.end > local(24, 10)) for a in same_zone
    )
    # back to back shares the space
    book(session, kanava, clock, window(24, 12, 14), phone="+358402222222", plate="XYZ-9")


def test_paid_within_the_hold_is_booked(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    assert made.payment is not None
    applied = pay(session, kanava, made.payment, clock.advance(minutes=5))
    assert applied.paid and not applied.booking_lost
    order = session.get(Order, made.order.id)
    assert order.status is OrderStatus.BOOKED and order.hold_expires_at is None


def test_a_lapsed_hold_frees_the_space(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    clock.advance(minutes=16)
    lapsed = bookings.lapse_hold(session, kanava, made.order, now=clock())
    session.commit()
    assert isinstance(lapsed, bookings.HoldLapsed)
    assert made.order.status is OrderStatus.EXPIRED
    assert made.payment.status is PaymentStatus.CANCELLED
    other = book(session, kanava, clock, window(24, 10, 12), phone="+358402222222", plate="XYZ-9")
    assert other.order.status is OrderStatus.AWAITING_PAYMENT


def test_an_unswept_lapsed_hold_does_not_count_against_capacity(ctx, clock) -> None:
    session, kanava = ctx
    book(session, kanava, clock, window(24, 10, 12))
    clock.advance(minutes=15)
    other = book(session, kanava, clock, window(24, 10, 12), phone="+358402222222", plate="XYZ-9")
    assert other.order.status is OrderStatus.AWAITING_PAYMENT


def test_paid_after_the_hold_lapsed_is_booked_when_a_space_is_still_free(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    clock.advance(minutes=20)
    bookings.lapse_hold(session, kanava, made.order, now=clock())
    session.commit()
    applied = pay(session, kanava, made.payment, clock.advance(minutes=1))
    assert applied.paid and not applied.booking_lost
    assert session.get(Order, made.order.id).status is OrderStatus.BOOKED
    assert made.payment.status is PaymentStatus.SUCCEEDED and made.payment.refunded_cents == 0


def test_paid_after_the_hold_lapsed_and_the_space_was_taken_is_refunded(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    clock.advance(minutes=20)
    bookings.lapse_hold(session, kanava, made.order, now=clock())
    session.commit()
    book(session, kanava, clock, window(24, 11, 12), phone="+358402222222", plate="XYZ-9")
    applied = pay(session, kanava, made.payment, clock.advance(minutes=1))
    assert applied.paid and applied.booking_lost
    order = session.get(Order, made.order.id)
    assert order.status is OrderStatus.EXPIRED
    assert made.payment.refunded_cents == 400


def test_paid_before_the_sweep_but_after_the_hold_rechecks_capacity(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    clock.advance(minutes=16)
    book(session, kanava, clock, window(24, 10, 11), phone="+358402222222", plate="XYZ-9")
    applied = pay(session, kanava, made.payment, clock())
    assert applied.booking_lost
    assert session.get(Order, made.order.id).status is OrderStatus.EXPIRED
    assert made.payment.refunded_cents == 400


def test_cancel_before_the_cutoff_refunds_in_full_and_after_it_nothing(ctx, clock) -> None:
    session, kanava = ctx
    first = book(session, kanava, clock, window(24, 10, 12))
    pay(session, kanava, first.payment, clock())
    cancelled = bookings.cancel_booking(
        session, kanava, first.order, now=clock(), channel=Channel.SMS
    )
    session.commit()
    assert (cancelled.refunded_cents, cancelled.paid_cents) == (400, 400)
    assert first.order.status is OrderStatus.CANCELLED

    second = book(session, kanava, clock, window(24, 10, 12))
    pay(session, kanava, second.payment, clock())
    clock.now = local(24, 9, 30).astimezone(clock.now.tzinfo)
    late = bookings.cancel_booking(session, kanava, second.order, now=clock(), channel=Channel.SMS)
    session.commit()
    assert late.refunded_cents == 0
    # the space is free again
    book(session, kanava, clock, window(24, 10, 12), phone="+358402222222", plate="XYZ-9")


def test_move_keeps_the_reference_and_the_payment_and_settles_the_difference(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    pay(session, kanava, made.payment, clock())
    ref = made.order.booking_ref
    moved = bookings.move_booking(
        session, kanava, made.order, window(25, 14, 15), now=clock(), channel=Channel.SMS
    )
    session.commit()
    assert made.order.booking_ref == ref
    assert (made.order.starts_at, made.order.ends_at) == (local(25, 14), local(25, 15))
    assert moved.difference_cents == -200 and moved.refunded_cents == 200
    assert made.order.status is OrderStatus.BOOKED

    longer = bookings.move_booking(
        session, kanava, made.order, window(25, 14, 17), now=clock(), channel=Channel.SMS
    )
    session.commit()
    assert longer.difference_cents == 400
    assert longer.payment is not None and longer.payment.status is PaymentStatus.PENDING
    assert longer.payment.amount_cents == 400


def test_a_move_into_a_full_window_is_refused_and_changes_nothing(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    book(session, kanava, clock, window(24, 14, 16), phone="+358402222222", plate="XYZ-9")
    with pytest.raises(OrderError) as full:
        bookings.move_booking(
            session, kanava, made.order, window(24, 15, 16), now=clock(), channel=Channel.SMS
        )
    session.rollback()
    assert full.value.code == "full"
    order = session.get(Order, made.order.id)
    assert order.starts_at == local(24, 10)


def test_refused_windows_book_nothing(ctx, clock) -> None:
    session, kanava = ctx
    for w, code in [
        (window(22, 10, 12), "in_past"),
        (Interval(local(24, 22), local(24, 23, 30)), "outside_hours"),
        (
            Interval(local(24, 10) + timedelta(days=40), local(24, 12) + timedelta(days=40)),
            "too_far",
        ),
    ]:
        with pytest.raises(OrderError) as refused:
            book(session, kanava, clock, w)
        session.rollback()
        assert refused.value.code == "refused"
        assert refused.value.details["refusal"].code == code
    assert session.query(Order).count() == 0


def test_a_zone_that_is_not_bookable_is_refused(ctx, clock) -> None:
    session, kanava = ctx
    zone = zones.find(session, "101")
    with pytest.raises(OrderError) as refused:
        bookings.make_booking(
            session,
            kanava,
            customer=None,
            plate="ABC-123",
            zone=zone,
            window=window(24, 10, 12),
            channel=Channel.WEB,
            now=clock(),
            language="en",
        )
    assert refused.value.code == "not_bookable"


def test_find_by_ref_reads_it_however_written_and_lists_upcoming(ctx, clock) -> None:
    session, kanava = ctx
    made = book(session, kanava, clock, window(24, 10, 12))
    ref = made.order.booking_ref
    spaced = f"{ref[:3].lower()} {ref[3:].lower()}"
    assert bookings.find_by_ref(session, spaced) is made.order
    assert bookings.find_by_ref(session, "QQQQQQ") is None
    customer = made.order.customer
    assert bookings.upcoming_bookings(session, customer, clock()) == [made.order]
    assert bookings.upcoming_bookings(session, customer, clock() + timedelta(minutes=16)) == []


def test_zones_file_booking_terms_are_validated_with_clear_messages(ctx, clock) -> None:
    session, _ = ctx
    bad = {**GARAGE, "code": "G2", "slot_minutes": 2, "hold_minutes": "x"}
    with pytest.raises(zones.ZoneFileError) as error:
        zones.import_zones(session, {"zones": [bad]}, clock())
    assert "zone G2" in str(error.value)
    assert "slot_minutes must be at least 5" in str(error.value)
    assert "hold_minutes must be a whole number" in str(error.value)
    rate = {**GARAGE, "code": "G3", "booking_rate_per_hour": "3.00"}
    zones.import_zones(session, {"zones": [rate]}, clock())
    policy = zones.booking_policy_of(zones.find(session, "G3"))
    assert policy is not None and policy.rate_per_hour_cents == 300 and policy.capacity == 1
    assert booking_space.CAPACITY_LOCK_NAMESPACE
