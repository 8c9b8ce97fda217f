"""The outbox (every later SMS is a row first, then sent by the notifier) and the duties the
clock runs: expiring ended parkings and cancelling unpaid ones.

The notifier is replaced at the network's edge by a fake that records what it would send;
the real Twilio peer is tested elsewhere.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from app.backend import customers
from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.kernel.notifier import NotifierError
from app.models import (
    Customer,
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    OutboundStatus,
    PaymentStatus,
)
from app.usecases import outbox_dispatch as notifications
from app.usecases.outbox_dispatch import MAX_ATTEMPTS
from tests.conftest import Clock, Phone, make_settings

DRIVER = "+358401234567"


class FakeNotifier:
    """Records every SMS it is asked to send; can be told to fail or to run a hook first."""

    name = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.calls = 0
        self.failures: list[NotifierError] = []
        self.always_fail: NotifierError | None = None
        self.before_send: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def send(self, to: str, body: str, *, status_callback: str | None) -> str:
        hook, self.before_send = self.before_send, None
        if hook is not None:
            hook()
        with self._lock:
            self.calls += 1
            if self.always_fail is not None:
                raise self.always_fail
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append((to, body))
            return f"SMfake{len(self.sent):026d}"


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def app(app: Flask, clock: Clock, notifier: FakeNotifier) -> Iterator[Flask]:
    """The shared fixture prepares and seeds the database; this app talks to the fake."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    application = create_app(make_settings(url), clock=clock, notifier=notifier)
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def _queue(
    app: Flask, now: datetime, body: str = "Hei!", phone: str = DRIVER, opted_out: bool = False
) -> int:
    with app.app_context():
        customer = customers.get_or_create(db.session, phone, now)
        if opted_out:
            customer.opted_out_at = now
        message = notifications.queue_sms(
            db.session, _kanava(app), customer, body, purpose="test", now=now
        )
        db.session.commit()
        return message.id


def _dispatch(app: Flask, now: datetime) -> int:
    with app.app_context():
        return notifications.dispatch_due(db.session, _kanava(app), now=now)


def _message(app: Flask, message_id: int) -> OutboundMessage:
    with app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        db.session.expunge(message)
        return message


# the outbox --------------------------------------------------------------------------------


def test_queued_message_is_sent_once_to_the_customer(
    app: Flask, notifier: FakeNotifier, clock: Clock
) -> None:
    message_id = _queue(app, clock(), body="Pysäköinti alkoi")

    assert _dispatch(app, clock()) == 1
    assert _dispatch(app, clock()) == 0

    assert notifier.sent == [(DRIVER, "Pysäköinti alkoi")]
    message = _message(app, message_id)
    assert message.status is OutboundStatus.SENT
    assert message.provider_sid == "SMfake" + "0" * 25 + "1"
    assert message.attempts == 1
    assert message.next_attempt_at is None
    assert message.last_error is None


def test_outbox_row_points_at_its_timeline_event(app: Flask, clock: Clock) -> None:
    message_id = _queue(app, clock(), body="Hei!")

    with app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        assert message.event_id is not None
        event = db.session.get(Event, message.event_id)
        assert event is not None
        assert event.kind is EventKind.MESSAGE_OUT
        assert event.body == "Hei!"
        assert event.data == {"purpose": "test", "status": "queued"}


def test_opted_out_customer_gets_a_suppressed_row_and_nothing_is_sent(
    app: Flask, notifier: FakeNotifier, clock: Clock
) -> None:
    message_id = _queue(app, clock(), opted_out=True)

    assert _dispatch(app, clock()) == 0
    assert _dispatch(app, clock() + timedelta(days=1)) == 0

    assert notifier.calls == 0
    message = _message(app, message_id)
    assert message.status is OutboundStatus.SUPPRESSED
    assert message.attempts == 0
    assert message.next_attempt_at is None
    with app.app_context():
        event = db.session.scalars(select(Event).where(Event.kind == EventKind.MESSAGE_OUT)).one()
        assert event.data is not None and event.data["status"] == "suppressed"


def test_a_failed_send_stays_queued_for_a_later_attempt(
    app: Flask, notifier: FakeNotifier, clock: Clock
) -> None:
    message_id = _queue(app, clock())
    notifier.failures.append(NotifierError("twilio 503"))

    assert _dispatch(app, clock()) == 0

    message = _message(app, message_id)
    assert message.status is OutboundStatus.QUEUED
    assert message.attempts == 1
    assert message.next_attempt_at == clock() + timedelta(seconds=30)
    assert message.last_error == "twilio 503"
    # Not due again before the back-off has passed.
    assert _dispatch(app, clock() + timedelta(seconds=29)) == 0
    assert notifier.calls == 1
    # Then it goes out.
    assert _dispatch(app, clock() + timedelta(seconds=30)) == 1
    message = _message(app, message_id)
    assert message.status is OutboundStatus.SENT
    assert message.attempts == 2
    assert message.last_error is None
    assert notifier.sent == [(DRIVER, "Hei!")]


def test_retries_back_off_and_give_up_after_the_last_attempt(
    app: Flask, notifier: FakeNotifier, clock: Clock
) -> None:
    message_id = _queue(app, clock())
    notifier.always_fail = NotifierError("twilio unreachable: ConnectionError")
    now = clock()
    waits = []

    for _ in range(MAX_ATTEMPTS):
        assert _dispatch(app, now) == 0
        message = _message(app, message_id)
        if message.next_attempt_at is not None:
            waits.append(message.next_attempt_at - now)
            now = message.next_attempt_at

    assert waits == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=5),
        timedelta(minutes=10),
    ]
    message = _message(app, message_id)
    assert message.status is OutboundStatus.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert message.next_attempt_at is None
    assert message.last_error == "twilio unreachable: ConnectionError"
    assert _dispatch(app, now + timedelta(days=1)) == 0
    assert notifier.calls == MAX_ATTEMPTS


def test_a_permanent_error_fails_at_once(app: Flask, notifier: FakeNotifier, clock: Clock) -> None:
    message_id = _queue(app, clock())
    notifier.failures.append(NotifierError("twilio 400 21211", permanent=True))

    assert _dispatch(app, clock()) == 0
    assert _dispatch(app, clock() + timedelta(hours=1)) == 0

    message = _message(app, message_id)
    assert message.status is OutboundStatus.FAILED
    assert message.attempts == 1
    assert message.last_error == "twilio 400 21211"
    assert notifier.calls == 1


def test_one_failing_message_does_not_hold_up_the_others(
    app: Flask, notifier: FakeNotifier, clock: Clock
) -> None:
    first = _queue(app, clock(), body="first")
    _queue(app, clock(), body="second", phone="+46701234567")
    notifier.failures.append(NotifierError("twilio 500"))

    assert _dispatch(app, clock()) == 1

    assert notifier.sent == [("+46701234567", "second")]
    assert _message(app, first).status is OutboundStatus.QUEUED


def test_a_message_claimed_by_one_dispatcher_is_not_sent_by_another(
    app: Flask, notifier: FakeNotifier, clock: Clock
) -> None:
    """While one dispatcher is sending a message, another skips it and sends the next."""
    first = _queue(app, clock(), body="first")
    second = _queue(app, clock(), body="second")
    other_results: list[int] = []

    def other_dispatcher() -> None:
        # Runs while the first dispatcher is sending the first message (its claim is
        # committed, no lock is held): only the second message is free to take.
        with app.app_context(), Session(db.engine) as session:
            other_results.append(notifications.dispatch_due(session, _kanava(app), now=clock()))

    notifier.before_send = other_dispatcher

    assert _dispatch(app, clock()) == 1

    assert other_results == [1]
    assert sorted(body for _, body in notifier.sent) == ["first", "second"]
    assert notifier.calls == 2
    assert _message(app, first).attempts == 1
    assert _message(app, second).attempts == 1
    assert _message(app, first).status is OutboundStatus.SENT
    assert _message(app, second).status is OutboundStatus.SENT


def _another_writer_can_write(app: Flask) -> bool:
    """Whether a second connection could write right now, waiting at most 0.3 s."""
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            assert dbapi is not None
            if db.engine.dialect.name == "sqlite":
                dbapi.execute("PRAGMA busy_timeout=300")
                try:
                    dbapi.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError:
                    return False
                dbapi.execute("ROLLBACK")
                return True
            with dbapi.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
                cursor.execute(
                    "INSERT INTO customers (phone, created_at) VALUES ('+46700000000', now())"
                )
            dbapi.rollback()
            return True
        finally:
            raw.invalidate()  # never hand the probed connection back to the pool


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
    indirect=True,
)
def test_sending_does_not_hold_the_database_while_the_notifier_talks_to_the_network(
    app: Flask, notifier: FakeNotifier, clock: Clock
) -> None:
    """A webhook arriving while an SMS is on its way to Twilio must not wait for Twilio."""
    _queue(app, clock())
    seen: list[bool] = []
    notifier.before_send = lambda: seen.append(_another_writer_can_write(app))

    assert _dispatch(app, clock()) == 1

    assert seen == [True]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_dispatchers_running_at_once_send_every_message_exactly_once(
    app: Flask, notifier: FakeNotifier, clock: Clock
) -> None:
    for i in range(30):
        _queue(app, clock(), body=f"message {i}")
    barrier = threading.Barrier(4)

    def dispatcher() -> int:
        with app.app_context(), Session(db.engine) as session:
            barrier.wait(timeout=10)
            return notifications.dispatch_due(session, _kanava(app), now=clock())

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: dispatcher(), range(4)))

    assert sum(results) == 30
    assert sorted(body for _, body in notifier.sent) == sorted(f"message {i}" for i in range(30))
    with app.app_context():
        statuses = set(db.session.scalars(select(OutboundMessage.status)))
        assert statuses == {OutboundStatus.SENT}


# the payment confirmation goes through the outbox --------------------------------------------


def _pay(client: FlaskClient, reply: str) -> int:
    link = reply.split("/pay/")[1].split()[0]
    return client.post(f"/demo-pay/{link}").status_code


def test_paying_sends_the_confirmation_to_the_drivers_phone(
    app: Flask, client: FlaskClient, phone: Phone, notifier: FakeNotifier
) -> None:
    reply = phone.send("ABC-123 101 2h")

    assert _pay(client, reply) == 303

    assert len(notifier.sent) == 1
    to, body = notifier.sent[0]
    assert to == DRIVER
    assert "ABC-123" in body


def test_a_confirmation_that_could_not_be_sent_goes_out_on_a_later_tick(
    app: Flask, client: FlaskClient, phone: Phone, notifier: FakeNotifier, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101 2h")
    notifier.failures.append(NotifierError("twilio unreachable: Timeout"))

    assert _pay(client, reply) == 303  # the payment itself is not lost
    assert notifier.sent == []

    clock.advance(minutes=1)
    with app.app_context():
        report = duties.run_due(db.session, _kanava(app), clock())
        order = db.session.scalars(select(Order)).one()
        assert order.status is OrderStatus.ACTIVE

    assert report.messages_sent == 1
    assert [to for to, _ in notifier.sent] == [DRIVER]


def test_a_driver_who_texted_stop_gets_no_confirmation(
    app: Flask, client: FlaskClient, phone: Phone, notifier: FakeNotifier
) -> None:
    reply = phone.send("ABC-123 101 2h")
    phone.send("STOP")

    assert _pay(client, reply) == 303

    assert notifier.calls == 0
    with app.app_context():
        statuses = list(db.session.scalars(select(OutboundMessage.status)))
    assert statuses == [OutboundStatus.SUPPRESSED]


# the duties --------------------------------------------------------------------------------


def _run(app: Flask, at: datetime) -> duties.TickReport:
    with app.app_context():
        return duties.run_due(db.session, _kanava(app), at)


def _order(app: Flask, plate: str) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.plate_display == plate)).one()
        order.payments  # noqa: B018 - load them before leaving the session
        db.session.expunge_all()
        return order


def test_unpaid_parking_is_kept_until_the_grace_time_ends_then_cancelled(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    grace_end = clock() + timedelta(minutes=10)

    early = _run(app, grace_end - timedelta(seconds=1))
    assert early.cancelled_unpaid == 0
    assert _order(app, "ABC-123").status is OrderStatus.AWAITING_PAYMENT

    on_time = _run(app, grace_end)
    assert on_time.cancelled_unpaid == 1
    order = _order(app, "ABC-123")
    assert order.status is OrderStatus.CANCELLED
    assert order.ended_at == grace_end
    assert [p.status for p in order.payments] == [PaymentStatus.CANCELLED]


def test_a_cancelled_parking_can_no_longer_be_paid(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101 2h")
    _run(app, clock() + timedelta(minutes=15))

    assert _pay(client, reply) == 409
    assert _order(app, "ABC-123").status is OrderStatus.CANCELLED


def test_parking_paid_within_the_grace_time_is_not_cancelled(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101 2h")
    clock.advance(minutes=9)
    _pay(client, reply)

    report = _run(app, clock() + timedelta(minutes=30))

    assert report.cancelled_unpaid == 0
    assert _order(app, "ABC-123").status is OrderStatus.ACTIVE


def test_paid_parking_expires_exactly_at_its_end(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101 2h")
    _pay(client, reply)
    end = clock() + timedelta(hours=2)

    assert _run(app, end - timedelta(seconds=1)).expired == 0
    assert _order(app, "ABC-123").status is OrderStatus.ACTIVE

    assert _run(app, end).expired == 1
    order = _order(app, "ABC-123")
    assert order.status is OrderStatus.EXPIRED
    assert order.ended_at == end
    with app.app_context():
        bodies = list(
            db.session.scalars(
                select(Event.body).where(Event.order_id == order.id, Event.kind == EventKind.ORDER)
            )
        )
    assert any("expired" in b for b in bodies)


def test_open_ended_parking_is_ended_and_charged_at_the_zones_longest_stay(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101")  # zone 101: at most 240 minutes, 2.40 EUR/h
    _pay(client, reply)

    assert _run(app, clock() + timedelta(minutes=239)).ended_at_max_stay == 0
    report = _run(app, clock() + timedelta(minutes=240))

    assert (report.ended_at_max_stay, report.expired) == (1, 0)
    order = _order(app, "ABC-123")
    assert order.status is OrderStatus.ENDED
    assert order.ended_at == clock() + timedelta(minutes=240)
    assert order.amount_cents == 960
    assert [p.status for p in order.payments] == [PaymentStatus.SUCCEEDED]


def test_running_the_duties_again_changes_nothing(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    _pay(client, phone.send("ABC-123 101 2h"))
    phone.send("XYZ-789 102 1h")
    later = clock() + timedelta(hours=3)

    first = _run(app, later)
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(Event))
    second = _run(app, later)

    assert (first.expired, first.cancelled_unpaid) == (1, 1)
    assert (second.expired, second.cancelled_unpaid, second.messages_sent) == (0, 0, 0)
    assert str(second) == "expired 0, cancelled unpaid 0, messages sent 0"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == events


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_clocks_at_once_cancel_each_unpaid_parking_once(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    for i in range(12):
        # One driver each: one driver's similar plates would be questioned as typos.
        Phone(client, number=f"+3584012345{i:02d}").send(f"ABC-{100 + i} 101 1h")
    later = clock() + timedelta(minutes=30)
    barrier = threading.Barrier(3)

    def one_clock() -> duties.TickReport:
        with app.app_context(), Session(db.engine) as session:
            barrier.wait(timeout=10)
            return duties.run_due(session, _kanava(app), later)

    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = list(pool.map(lambda _: one_clock(), range(3)))

    assert sum(r.cancelled_unpaid for r in reports) == 12
    with app.app_context():
        statuses = set(db.session.scalars(select(Order.status)))
        cancel_events = db.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.kind == EventKind.ORDER, Event.body.like("parking cancelled%"))
        )
    assert statuses == {OrderStatus.CANCELLED}
    assert cancel_events == 12


def test_customer_lookup_for_the_outbox_reuses_the_same_row(app: Flask, clock: Clock) -> None:
    _queue(app, clock(), body="one")
    _queue(app, clock(), body="two")

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 2
