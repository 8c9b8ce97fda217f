"""What a plate check (app.backend.orders.check_plate) answers, field by field, for every
shape of a plate's orders: the last 24 hours, live and open-ended parkings of any age,
bookings whose window holds now, the best of several, and where else the plate is valid.

The orders are written as rows, at exact times, so that each boundary is pinned; the check
is read as the handheld and the panel read it (the whole :class:`orders.PlateCheck`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.backend import orders
from app.models import Channel, Order, OrderKind, OrderStatus, Payment, PaymentStatus
from tests.backend.conftest import Backend


def add(
    b: Backend,
    *,
    zone: str = "101",
    status: OrderStatus = OrderStatus.ENDED,
    started: timedelta = timedelta(minutes=-30),
    minutes: int | None = 60,
    created: timedelta | None = None,
    ended: timedelta | None = None,
    plate: str = "ABC-123",
    kind: OrderKind = OrderKind.PARKING,
    channel: Channel = Channel.SMS,
    payment: PaymentStatus | None = None,
    booking_ref: str | None = None,
    unpaid_from: timedelta | None = None,
    payment_due: timedelta | None = None,
) -> Order:
    """An order of ``plate`` in ``zone``, its times relative to the clock's now."""
    now = b.clock()
    starts_at = now + started
    order = Order(
        kind=kind,
        status=status,
        channel=channel,
        zone_id=b.zone(zone).id,
        plate_key=plate.replace("-", "").replace(" ", "").upper(),
        plate_display=plate,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes) if minutes is not None else None,
        open_ended=minutes is None,
        ended_at=now + ended if ended is not None else None,
        unpaid_from=now + unpaid_from if unpaid_from is not None else None,
        payment_due_at=now + payment_due if payment_due is not None else None,
        amount_cents=100,
        currency="EUR",
        language="fi",
        booking_ref=booking_ref,
        created_at=now + (created if created is not None else started),
    )
    if payment is not None:
        order.payments.append(
            Payment(
                provider="demo",
                status=payment,
                amount_cents=100,
                currency="EUR",
                token=f"tok{id(order)}"[:32],
            )
        )
    b.session.add(order)
    b.session.flush()
    return order


def check(
    b: Backend, plate: str, zone: str | None, at: datetime | None = None
) -> orders.PlateCheck:
    b.commit()
    return orders.check_plate(b.session, b.kanava, plate, zone, at or b.clock())


def answer(
    order: Order,
    *,
    valid: bool,
    status: str,
    until: datetime | None,
    paid: bool = False,
    zone: str | None = None,
    elsewhere: orders.ValidElsewhere | None = None,
) -> orders.PlateCheck:
    return orders.PlateCheck(
        plate=order.plate_display,
        zone=zone or order.zone.code,
        valid=valid,
        status=status,
        valid_until=until,
        order_id=order.id,
        channel=order.channel.value,
        paid=paid,
        elsewhere=elsewhere,
        booking_ref=order.booking_ref,
    )


def nothing(
    plate: str, zone: str | None, elsewhere: orders.ValidElsewhere | None = None
) -> orders.PlateCheck:
    return orders.PlateCheck(
        plate=plate,
        zone=zone,
        valid=False,
        status=None,
        valid_until=None,
        order_id=None,
        channel=None,
        paid=False,
        elsewhere=elsewhere,
    )


H = timedelta(hours=1)
M = timedelta(minutes=1)


def test_the_last_24_hours_answer_with_the_latest_end_and_older_ones_are_forgotten(
    backend_at: Backend,
) -> None:
    b = backend_at
    add(b, started=-23 * H, minutes=60, ended=-22 * H)
    add(b, status=OrderStatus.EXPIRED, started=-10 * H, minutes=60)
    cancelled = add(b, status=OrderStatus.CANCELLED, started=-3 * H, minutes=120, ended=-3 * H)
    # Ended a minute ago, but made 25 hours ago: older than the day the check looks back.
    add(b, started=-25 * H, minutes=25 * 60, ended=-M)
    there = add(b, zone="102", started=-2 * H, minutes=90, ended=-H)

    assert check(b, "abc123", "101") == answer(
        cancelled, valid=False, status="cancelled", until=cancelled.ends_at
    )
    assert check(b, "ABC 123", None) == answer(
        there, valid=False, status="ended", until=there.ends_at
    )


def test_a_parking_made_exactly_a_day_ago_is_still_in_the_history(backend_at: Backend) -> None:
    b = backend_at
    old = add(b, started=-24 * H, minutes=30, ended=-23 * H)

    assert check(b, "ABC-123", "101") == answer(old, valid=False, status="ended", until=old.ends_at)
    assert check(b, "ABC-123", "101", b.clock() + M) == nothing("ABC-123", "101")


def test_a_parking_until_stopped_made_days_ago_is_found_and_valid(backend_at: Backend) -> None:
    b = backend_at
    running = add(
        b,
        zone="103",
        status=OrderStatus.ACTIVE,
        started=-72 * H,
        minutes=None,
        payment=PaymentStatus.AUTHORIZED,
    )

    assert check(b, "ABC-123", "103") == answer(
        running, valid=True, status="active", until=None, paid=True
    )
    assert check(b, "ABC-123", "101") == nothing(
        "ABC-123", "101", orders.ValidElsewhere("103", None, running.id)
    )


def test_an_unpaid_parking_made_days_ago_is_shown_past_its_grace(backend_at: Backend) -> None:
    b = backend_at
    unpaid = add(
        b,
        zone="103",
        status=OrderStatus.AWAITING_PAYMENT,
        started=-72 * H,
        minutes=None,
        payment=PaymentStatus.PENDING,
    )

    assert check(b, "ABC-123", "103") == answer(
        unpaid,
        valid=False,
        status="awaiting_payment",
        until=unpaid.created_at + timedelta(minutes=b.kanava.settings.payment_grace_minutes),
    )
    assert check(b, "ABC-123", "101") == nothing("ABC-123", "101")


def test_of_several_valid_parkings_the_latest_end_is_answered(backend_at: Backend) -> None:
    b = backend_at
    add(b, status=OrderStatus.ACTIVE, minutes=90, payment=PaymentStatus.SUCCEEDED)
    later = add(b, status=OrderStatus.ACTIVE, minutes=150, payment=PaymentStatus.SUCCEEDED)
    add(b, status=OrderStatus.EXPIRED, started=-2 * H, minutes=60)
    open_ended = add(b, zone="103", status=OrderStatus.ACTIVE, minutes=None)

    assert check(b, "ABC-123", "101") == answer(
        later, valid=True, status="active", until=later.ends_at, paid=True
    )
    assert check(b, "ABC-123", None) == answer(
        open_ended, valid=True, status="active", until=None, paid=True
    )


def test_valid_elsewhere_names_the_latest_end_and_keeps_the_history_here(
    backend_at: Backend,
) -> None:
    b = backend_at
    add(b, zone="102", plate="abc-123", status=OrderStatus.ACTIVE, minutes=90)
    there = add(b, zone="202", plate="ABC 123", status=OrderStatus.ACTIVE, minutes=120)
    add(b, zone="201", status=OrderStatus.ACTIVE, started=-3 * H, minutes=60)  # past its end
    elsewhere = orders.ValidElsewhere("202", there.ends_at, there.id)

    # Nothing here: the plate is shown as it was written there.
    assert check(b, "abc123", "101") == nothing("ABC 123", "101", elsewhere)
    here = add(b, status=OrderStatus.EXPIRED, started=-2 * H, minutes=60)
    assert check(b, "abc123", "101") == answer(
        here, valid=False, status="expired", until=here.ends_at, elsewhere=elsewhere
    )


def test_a_booking_counts_in_its_zone_during_its_window_only(backend_at: Backend) -> None:
    b = backend_at
    booking = add(
        b,
        zone="103",
        kind=OrderKind.BOOKING,
        status=OrderStatus.BOOKED,
        minutes=90,
        payment=PaymentStatus.SUCCEEDED,
        booking_ref="K7M2QX",
        channel=Channel.WEB,
    )
    add(
        b,
        zone="103",
        kind=OrderKind.BOOKING,
        status=OrderStatus.BOOKED,
        started=3 * H,
        minutes=60,
        payment=PaymentStatus.SUCCEEDED,
        booking_ref="L8N3RY",
    )
    add(
        b,
        zone="103",
        kind=OrderKind.BOOKING,
        status=OrderStatus.AWAITING_PAYMENT,
        minutes=60,
        payment=PaymentStatus.PENDING,
        booking_ref="M9P4SZ",
    )

    assert check(b, "ABC-123", "103") == answer(
        booking, valid=True, status="booked", until=booking.ends_at, paid=True
    )
    assert check(b, "ABC-123", None) == answer(
        booking, valid=True, status="booked", until=booking.ends_at, paid=True
    )
    assert check(b, "ABC-123", "101") == nothing(
        "ABC-123", "101", orders.ValidElsewhere("103", booking.ends_at, booking.id)
    )
    # Its window over, a booking is no history: nothing is found, here or anywhere.
    after = b.clock() + 61 * M
    assert check(b, "ABC-123", "103", after) == nothing("ABC-123", "103")
    assert check(b, "ABC-123", None, after) == nothing("ABC-123", None)


def test_a_live_parking_not_yet_started_is_shown_not_valid(backend_at: Backend) -> None:
    b = backend_at
    add(b, status=OrderStatus.CANCELLED, started=2 * H, created=-H, minutes=60, ended=-M)
    assert check(b, "ABC-123", "101") == nothing("ABC-123", "101")
    soon = add(b, status=OrderStatus.ACTIVE, started=H, created=-M, minutes=60)

    assert check(b, "ABC-123", "101") == answer(
        soon, valid=False, status="active", until=soon.ends_at, paid=True
    )


def test_paid_says_whether_anything_still_waits_for_the_driver(backend_at: Backend) -> None:
    b = backend_at
    waiting = add(b, status=OrderStatus.ACTIVE, minutes=60, payment=PaymentStatus.PENDING)
    assert check(b, "ABC-123", "101").paid is False
    waiting.payments[0].status = PaymentStatus.SUCCEEDED
    assert check(b, "ABC-123", "101").paid is True
    extended = add(
        b,
        zone="102",
        status=OrderStatus.ACTIVE,
        minutes=120,
        unpaid_from=30 * M,
        payment_due=10 * M,
        payment=PaymentStatus.SUCCEEDED,
    )
    assert check(b, "ABC-123", "102") == answer(
        extended, valid=True, status="awaiting_payment", until=b.clock() + 30 * M
    )


def test_the_zone_is_matched_whatever_its_case_and_spaces(backend_at: Backend) -> None:
    b = backend_at
    booking = add(
        b,
        zone="EV1",
        kind=OrderKind.BOOKING,
        status=OrderStatus.BOOKED,
        minutes=60,
        payment=PaymentStatus.SUCCEEDED,
        booking_ref="Q2R5TW",
    )

    assert check(b, "ABC-123", " ev1 ") == answer(
        booking, valid=True, status="booked", until=booking.ends_at, paid=True
    )


def test_of_a_busy_day_the_fifty_latest_parkings_are_weighed(backend_at: Backend) -> None:
    b = backend_at
    # The first parking of the day ran longest; fifty made after it push it out of the
    # history the check weighs.
    add(b, started=-23 * H, minutes=23 * 60, ended=-2 * M)
    made = [
        add(b, started=-22 * H + i * 20 * M, minutes=10, ended=-22 * H + i * 20 * M + 5 * M)
        for i in range(50)
    ]
    latest = made[-1]

    assert check(b, "ABC-123", "101") == answer(
        latest, valid=False, status="ended", until=latest.ends_at
    )
