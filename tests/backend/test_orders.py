"""The order backend (app.backend.orders) called directly, on SQLite and PostgreSQL: start,
extend, stop, plate checks, cancel, and the corrections of state (a parking moved to
another zone, an extension that lapses, a payment that comes late). No HTTP: what the
functions return and what the database holds after the caller commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from app.backend import ledger, orders, provider_payments
from app.kernel.payments import PaymentInfo
from app.models import (
    Channel,
    Event,
    EventKind,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
)
from tests.backend.conftest import Backend

OTHER_DRIVER = "+358409876543"


def start(
    b: Backend,
    *,
    plate: str = "ABC-123",
    zone: str = "101",
    minutes: int | None = 60,
    channel: Channel = Channel.SMS,
    phone: str | None = None,
) -> orders.ParkingStarted:
    return orders.start_parking(
        b.session,
        b.kanava,
        customer=b.driver(phone) if phone else b.driver(),
        plate=plate,
        zone=b.zone(zone),
        minutes=minutes,
        channel=channel,
        now=b.clock(),
        language="fi",
    )


def pay(b: Backend, payment: Payment) -> None:
    """The provider says the payment succeeded (a checkout paid), as a use case applies it."""
    locked = ledger.lock_payment(b.session, payment.id)
    assert locked is not None
    info = PaymentInfo(
        ref=f"pi_{payment.id}",
        status="succeeded",
        amount_cents=payment.amount_cents,
        received_cents=payment.amount_cents,
        customer_ref=None,
        payment_method_ref=None,
        payment_id=payment.id,
    )
    assert provider_payments.apply_paid(b.session, b.kanava, locked, info, now=b.clock()).paid


def order_events(b: Backend, order: Order) -> list[str]:
    return [
        str((e.data or {}).get("action"))
        for e in b.session.scalars(
            select(Event).where(Event.order_id == order.id).order_by(Event.id)
        )
    ]


# ---- start ---------------------------------------------------------------------------


def test_a_parking_starts_awaiting_its_payment_and_counts_for_the_grace(
    backend_at: Backend,
) -> None:
    b = backend_at
    started = start(b)
    b.commit()
    order, payment = started.order, started.payment
    assert payment is not None
    assert (order.status, order.plate_display, order.amount_cents) == (
        OrderStatus.AWAITING_PAYMENT,
        "ABC-123",
        240,  # an hour at 2.40
    )
    assert order.ends_at == b.clock() + timedelta(hours=1)
    assert (payment.status, payment.amount_cents) == (PaymentStatus.PENDING, 240)
    grace = timedelta(minutes=b.kanava.settings.payment_grace_minutes)
    assert orders.is_valid(order, b.clock() + grace - timedelta(seconds=1), grace)
    assert not orders.is_valid(order, b.clock() + grace, grace)
    assert order_events(b, order) == ["started"]


def test_a_new_parking_holds_in_the_session_what_the_database_holds(
    backend_at: Backend,
) -> None:
    # start_parking writes the order and its payment with Core and puts them in the
    # session as if loaded: every column must be there (none read back later) and equal
    # to the row, and nothing left for the unit of work to write.
    b = backend_at
    started = start(b)
    payment = started.payment
    assert payment is not None
    for entity, model in ((started.order, Order), (payment, Payment)):
        state = inspect(entity)
        assert state.persistent and not state.unloaded and not state.modified
        table = model.__table__  # type: ignore[attr-defined]
        row = b.session.connection().execute(select(table).where(table.c.id == entity.id))
        held = dict(row.one()._mapping)
        assert {k: getattr(entity, k) for k in held} == held
    assert started.order.payments == [payment] and payment.order is started.order
    assert not b.session.new and not b.session.dirty
    b.commit()
    assert order_events(b, started.order) == ["started"]


def test_a_moved_car_ends_its_parking_before_the_new_one_starts_in_the_timeline(
    backend_at: Backend,
) -> None:
    b = backend_at
    first = start(b)
    b.clock.advance(minutes=20)
    moved = start(b, zone="102")
    b.commit()
    events = b.session.scalars(
        select(Event).where(Event.kind.in_((EventKind.ORDER,))).order_by(Event.id)
    )
    assert [(e.order_id, (e.data or {}).get("action")) for e in events] == [
        (first.order.id, "started"),
        (first.order.id, "moved"),
        (moved.order.id, "started"),
    ]


def test_paying_activates_the_parking_for_its_whole_time(backend_at: Backend) -> None:
    b = backend_at
    started = start(b)
    assert started.payment is not None
    pay(b, started.payment)
    b.commit()
    order = started.order
    grace = timedelta(minutes=b.kanava.settings.payment_grace_minutes)
    assert order.status is OrderStatus.ACTIVE
    assert orders.is_paid(order)
    assert orders.is_valid(order, b.clock() + timedelta(minutes=59), grace)
    assert orders.owed(b.kanava, order) is None
    assert order_events(b, order) == ["started", "paid"]


def test_free_time_needs_no_payment(backend_at: Backend) -> None:
    b = backend_at
    b.clock.set_local(2026, 11, 22, 12, 0)  # a Sunday: zone 101 is free all day
    started = start(b, minutes=90)
    b.commit()
    assert started.payment is None
    assert (started.order.status, started.order.amount_cents) == (OrderStatus.ACTIVE, 0)


def test_a_duration_outside_one_minute_to_seven_days_is_refused(backend_at: Backend) -> None:
    b = backend_at
    for minutes in (0, -5, orders.MAX_DURATION_MINUTES + 1):
        with pytest.raises(orders.OrderError) as refused:
            start(b, minutes=minutes)
        assert refused.value.code == "bad_duration"
    b.commit()
    assert b.all(Order) == []


def test_parking_again_in_the_same_zone_returns_the_live_parking(backend_at: Backend) -> None:
    b = backend_at
    first = start(b)
    b.clock.advance(minutes=5)
    again = start(b, plate="abc 123")
    b.commit()
    assert again.already_parked and again.order.id == first.order.id
    assert len(b.all(Order)) == 1


def test_a_car_moved_to_another_zone_ends_its_parking_there(backend_at: Backend) -> None:
    b = backend_at
    first = start(b)
    assert first.payment is not None
    pay(b, first.payment)
    b.clock.advance(minutes=20)
    moved = start(b, zone="102")
    b.commit()
    assert [o.id for o in moved.replaced] == [first.order.id]
    old = b.session.get(Order, first.order.id)
    assert old is not None
    assert (old.status, old.ended_at) == (OrderStatus.ENDED, b.clock())
    assert order_events(b, old)[-1] == "moved"
    assert moved.order.zone.code == "102" and moved.order.status is OrderStatus.AWAITING_PAYMENT


def test_a_typed_phone_number_ends_no_parking_of_that_driver(backend_at: Backend) -> None:
    b = backend_at
    own = start(b)
    web = start(b, zone="102", channel=Channel.WEB)
    b.commit()
    assert web.replaced == [] and not web.already_parked
    kept = b.session.get(Order, own.order.id)
    assert kept is not None and kept.status is OrderStatus.AWAITING_PAYMENT


# ---- extend --------------------------------------------------------------------------


def test_extending_before_paying_grows_the_pending_payment(backend_at: Backend) -> None:
    b = backend_at
    started = start(b)
    extended = orders.extend_parking(
        b.session, b.kanava, started.order, 30, now=b.clock(), channel=Channel.SMS
    )
    b.commit()
    assert (extended.added_minutes, extended.added_cents) == (30, 120)
    assert started.payment is not None and extended.payment is not None
    assert extended.payment.id == started.payment.id
    assert extended.payment.amount_cents == 360
    assert started.order.unpaid_from is None


def test_extending_a_paid_parking_asks_for_the_extension_within_its_grace(
    backend_at: Backend,
) -> None:
    b = backend_at
    started = start(b)
    assert started.payment is not None
    pay(b, started.payment)
    paid_end = started.order.ends_at
    b.clock.advance(minutes=30)
    extended = orders.extend_parking(
        b.session, b.kanava, started.order, 60, now=b.clock(), channel=Channel.SMS
    )
    b.commit()
    order = started.order
    assert extended.payment is not None and extended.payment.id != started.payment.id
    assert (extended.payment.amount_cents, extended.payment.status) == (240, PaymentStatus.PENDING)
    assert order.unpaid_from == paid_end
    assert orders.effective_status(order, b.clock()) is OrderStatus.AWAITING_PAYMENT
    owed = orders.owed(b.kanava, order)
    assert owed is not None and (owed.kind, owed.cents, owed.paid_until) == (
        "extension",
        240,
        paid_end,
    )


def test_an_extension_is_capped_at_the_longest_stay(backend_at: Backend) -> None:
    b = backend_at
    started = start(b, minutes=200)  # zone 101: at most 240 minutes
    extended = orders.extend_parking(
        b.session, b.kanava, started.order, 120, now=b.clock(), channel=Channel.SMS
    )
    assert extended.capped and extended.added_minutes == 40
    with pytest.raises(orders.OrderError) as refused:
        orders.extend_parking(
            b.session, b.kanava, started.order, 10, now=b.clock(), channel=Channel.SMS
        )
    assert refused.value.code == "at_max_stay"


def test_an_open_ended_parking_cannot_be_extended(backend_at: Backend) -> None:
    b = backend_at
    started = start(b, zone="103", minutes=None)
    with pytest.raises(orders.OrderError) as refused:
        orders.extend_parking(
            b.session, b.kanava, started.order, 30, now=b.clock(), channel=Channel.SMS
        )
    assert refused.value.code == "open_ended"


# ---- stop ----------------------------------------------------------------------------


def test_an_open_ended_parking_stopped_is_priced_for_the_minutes_it_ran(
    backend_at: Backend,
) -> None:
    b = backend_at
    started = start(b, zone="103", minutes=None)
    assert started.order.ends_at is None and started.payment is not None
    b.clock.advance(minutes=45)
    stopped = orders.stop_parking(
        b.session, b.kanava, started.order, now=b.clock(), channel=Channel.SMS
    )
    b.commit()
    order = stopped.order
    assert (order.status, order.ended_at, order.amount_cents) == (
        OrderStatus.ENDED,
        b.clock(),
        315,  # 45 minutes at 4.20 an hour
    )
    assert stopped.payment is not None and stopped.payment.amount_cents == 315
    assert orders.debt_cents(order) == 315


def test_a_prepaid_parking_stopped_early_gets_the_unused_time_back(backend_at: Backend) -> None:
    b = backend_at
    started = start(b, minutes=120)  # 4.80 paid
    assert started.payment is not None
    pay(b, started.payment)
    b.clock.advance(minutes=30)
    stopped = orders.stop_parking(
        b.session, b.kanava, started.order, now=b.clock(), channel=Channel.SMS
    )
    b.commit()
    assert (stopped.amount_cents, stopped.refunded_cents) == (120, 360)
    payment = b.session.get(Payment, started.payment.id)
    assert payment is not None and payment.refunded_cents == 360
    assert ledger.paid_total(stopped.order) == 120


def test_a_parking_stops_once(backend_at: Backend) -> None:
    b = backend_at
    started = start(b)
    orders.stop_parking(b.session, b.kanava, started.order, now=b.clock(), channel=Channel.SMS)
    b.commit()
    with pytest.raises(orders.OrderError) as refused:
        orders.stop_parking(b.session, b.kanava, started.order, now=b.clock(), channel=Channel.SMS)
    assert refused.value.code == "not_live"


# ---- plate checks --------------------------------------------------------------------


def test_a_plate_check_finds_the_parking_however_the_plate_is_written(
    backend_at: Backend,
) -> None:
    b = backend_at
    started = start(b)
    assert started.payment is not None
    pay(b, started.payment)
    b.commit()
    for written in ("ABC-123", "abc123", "abc 123"):
        check = orders.check_plate(b.session, b.kanava, written, "101", b.clock())
        assert (check.valid, check.status, check.order_id, check.paid) == (
            True,
            "active",
            started.order.id,
            True,
        )
    later = orders.check_plate(b.session, b.kanava, "ABC123", "101", b.clock() + timedelta(hours=2))
    assert (later.valid, later.status) == (False, "expired")


def test_a_plate_checked_in_the_wrong_zone_is_named_valid_elsewhere(
    backend_at: Backend,
) -> None:
    b = backend_at
    started = start(b, zone="102")
    b.commit()
    check = orders.check_plate(b.session, b.kanava, "ABC123", "101", b.clock())
    assert not check.valid
    assert check.elsewhere is not None and check.elsewhere.zone == "102"
    assert check.elsewhere.order_id == started.order.id
    unknown = orders.check_plate(b.session, b.kanava, "XYZ-999", None, b.clock())
    assert (unknown.valid, unknown.order_id, unknown.status) == (False, None, None)


# ---- cancel and corrections of state -------------------------------------------------


def test_cancelling_closes_what_the_parking_still_asks(backend_at: Backend) -> None:
    b = backend_at
    started = start(b)
    b.clock.advance(minutes=3)
    orders.cancel_order(
        b.session, b.kanava, started.order, now=b.clock(), channel=Channel.ADMIN, reason="test"
    )
    b.commit()
    order = started.order
    assert (order.status, order.ended_at) == (OrderStatus.CANCELLED, b.clock())
    assert started.payment is not None and started.payment.status is PaymentStatus.CANCELLED
    assert orders.owed(b.kanava, order) is None
    with pytest.raises(orders.OrderError) as refused:
        orders.cancel_order(
            b.session, b.kanava, order, now=b.clock(), channel=Channel.ADMIN, reason="again"
        )
    assert refused.value.code == "not_live"


def test_an_unpaid_extension_lapses_back_to_the_paid_end(backend_at: Backend) -> None:
    b = backend_at
    started = start(b)
    assert started.payment is not None
    pay(b, started.payment)
    paid_end = started.order.ends_at
    extended = orders.extend_parking(
        b.session, b.kanava, started.order, 60, now=b.clock(), channel=Channel.SMS
    )
    b.commit()
    assert orders.lapse_extension(b.session, b.kanava, started.order, now=b.clock()) is None
    b.clock.advance(minutes=b.kanava.settings.payment_grace_minutes)
    lapsed = orders.lapse_extension(b.session, b.kanava, started.order, now=b.clock())
    b.commit()
    assert isinstance(lapsed, orders.ExtensionLapsed)
    order = lapsed.order
    assert (order.ends_at, order.amount_cents, order.unpaid_from) == (paid_end, 240, None)
    assert lapsed.lapsed_cents == 240 and lapsed.returned is None
    assert extended.payment is not None
    payment = b.session.get(Payment, extended.payment.id)
    assert payment is not None
    assert (payment.status, payment.failure_reason) == (PaymentStatus.CANCELLED, ledger.LAPSED)
    assert order.status is OrderStatus.ACTIVE and orders.is_paid(order)


def test_an_order_past_its_end_shows_expired_before_the_clock_sweeps(
    backend_at: Backend,
) -> None:
    b = backend_at
    started = start(b)
    assert started.payment is not None
    pay(b, started.payment)
    b.commit()
    after = b.clock() + timedelta(hours=1)
    assert started.order.status is OrderStatus.ACTIVE
    assert orders.effective_status(started.order, after) is OrderStatus.EXPIRED


def test_every_payment_event_carries_action_amount_and_currency(backend_at: Backend) -> None:
    b = backend_at
    first = start(b, minutes=120)
    assert first.payment is not None
    pay(b, first.payment)
    b.clock.advance(minutes=10)
    orders.extend_parking(b.session, b.kanava, first.order, 30, now=b.clock(), channel=Channel.SMS)
    b.clock.advance(minutes=10)
    orders.stop_parking(b.session, b.kanava, first.order, now=b.clock(), channel=Channel.SMS)
    held = start(b, zone="103", minutes=None, plate="XYZ-1")
    orders.cancel_order(
        b.session, b.kanava, held.order, now=b.clock(), channel=Channel.ADMIN, reason="test"
    )
    b.commit()
    payment_events = list(
        b.session.scalars(select(Event).where(Event.kind == EventKind.PAYMENT).order_by(Event.id))
    )
    assert [(e.data or {}).get("action") for e in payment_events] == ["paid", "refunded"]
    for event in payment_events:
        data = event.data or {}
        assert isinstance(data.get("amount_cents"), int), data
        assert data.get("currency") == "EUR", data


def test_a_parking_left_unpaid_earlier_in_the_same_transaction_withholds_the_grace(
    backend_at: Backend,
) -> None:
    # start_parking reads the phone's past with one Core query, which does not autoflush:
    # what the caller changed and did not flush yet must count all the same.
    b = backend_at
    first = start(b)
    b.commit()
    assert first.payment is not None
    driver, zone = b.driver(), b.zone("101")
    b.clock.advance(minutes=20)
    first.payment.status = PaymentStatus.CANCELLED
    first.payment.failure_reason = ledger.NOT_PAID
    first.payment.updated_at = b.clock()
    second = orders.start_parking(
        b.session,
        b.kanava,
        customer=driver,
        plate="XYZ-999",
        zone=zone,
        minutes=60,
        channel=Channel.SMS,
        now=b.clock(),
        language="fi",
    )
    b.commit()
    assert second.order.grace_withheld
    grace = timedelta(minutes=b.kanava.settings.payment_grace_minutes)
    assert not orders.is_valid(second.order, b.clock() + timedelta(minutes=1), grace)


def test_a_new_parking_keeps_the_grace_when_nothing_was_left_unpaid(backend_at: Backend) -> None:
    b = backend_at
    first = start(b)
    assert first.payment is not None
    pay(b, first.payment)
    b.commit()
    b.clock.advance(minutes=20)
    second = start(b, plate="XYZ-999")
    other_phone = start(b, plate="DEF-456", phone=OTHER_DRIVER)
    b.commit()
    assert not second.order.grace_withheld and not other_phone.order.grace_withheld
    assert second.payment is not None and second.payment.order is second.order
    assert second.order.payments == [second.payment]
    assert order_events(b, second.order) == ["started"]


def test_a_zones_edited_tariff_prices_the_next_quote(backend_at: Backend) -> None:
    b = backend_at
    b.clock.set_local(2026, 11, 23, 12, 0)  # a Monday, paid hours in zone 101
    zone = b.zone("101")
    _, before = orders.quote(zone, b.clock(), 60, b.kanava)
    zone.rate_per_hour_cents *= 2
    _, doubled = orders.quote(zone, b.clock(), 60, b.kanava)
    zone.paid_hours = {"sat": "8-18"}
    _, free = orders.quote(zone, b.clock(), 60, b.kanava)
    assert (before, doubled, free) == (240, 480, 0)
    b.session.rollback()
