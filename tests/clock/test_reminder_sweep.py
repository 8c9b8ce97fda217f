"""The reminder sweep at scale: many parkings due at one moment are claimed and queued in
batches, a batch costing a fixed handful of SQL statements however many reminders it
holds (issue 13: 100 k reminders queued in under a minute), each text still in its
driver's language, an opted-out number still kept ``suppressed``, and every reminder in
the timeline beside its outbox row.

No timing here (``make bench`` measures the time): the statements are counted instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, insert, select

from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import (
    Channel,
    Customer,
    Event,
    EventKind,
    Order,
    OutboundMessage,
    OutboundStatus,
    Zone,
)
from app.texts import messages
from tests.conftest import Clock

LANGUAGES = ("fi", "sv", "en")
EXTEND = {"fi": "JATKA 15", "sv": "FÖRLÄNG 15", "en": "EXTEND 15"}


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def _parkings_due(app: Flask, now: datetime, n: int, *, first: int = 0) -> None:
    """``n`` paid parkings in zone 101 ending 5 minutes after ``now``, each by its own
    driver; drivers' languages go fi, sv, en in turn."""
    with app.app_context():
        zone_id = db.session.scalar(select(Zone.id).where(Zone.code == "101"))
        phones = [f"+35840{i:07d}" for i in range(first, first + n)]
        db.session.execute(
            insert(Customer),
            [
                {"phone": p, "language": LANGUAGES[i % 3], "created_at": now}
                for i, p in enumerate(phones, start=first)
            ],
        )
        ids = dict(
            db.session.execute(
                select(Customer.phone, Customer.id).where(Customer.phone.in_(phones))
            ).all()
        )
        db.session.execute(
            insert(Order),
            [
                {
                    "kind": "parking",
                    "status": "active",
                    "channel": "sms",
                    "customer_id": ids[phone],
                    "zone_id": zone_id,
                    "plate_key": f"ABC{i}",
                    "plate_display": f"ABC-{i}",
                    "starts_at": now - timedelta(hours=1),
                    "ends_at": now + timedelta(minutes=5),
                    "open_ended": False,
                    "amount_cents": 240,
                    "currency": "EUR",
                    "language": "fi",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, phone in enumerate(phones, start=first)
            ],
        )
        db.session.commit()


@contextmanager
def _counting_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _sweep(app: Flask, now: datetime) -> tuple[int, int]:
    """Run the reminder sweep; returns (reminders claimed, SQL statements it ran)."""
    with _counting_statements(app) as statements, app.app_context():
        claimed = duties.send_reminders(db.session(), _kanava(app), now)
        db.session.remove()
    return claimed, len(statements)


def test_a_batch_of_reminders_costs_the_same_statements_whatever_its_size(
    app: Flask, clock: Clock
) -> None:
    now = clock()
    _parkings_due(app, now, 3)
    few = _sweep(app, now)
    _parkings_due(app, now, 60, first=3)
    many = _sweep(app, now)

    assert few[0] == 3 and many[0] == 60
    assert many[1] == few[1]


def test_each_reminder_of_a_sweep_is_queued_once_in_its_drivers_language(
    app: Flask, clock: Clock
) -> None:
    now = clock()
    _parkings_due(app, now, 30)
    with app.app_context():
        opted_out = db.session.scalars(select(Customer).where(Customer.phone.like("%0007"))).one()
        opted_out.opted_out_at = now
        db.session.commit()

    assert _sweep(app, now)[0] == 30
    assert _sweep(app, now)[0] == 0

    with app.app_context():
        rows = db.session.execute(
            select(OutboundMessage, Customer.language, Event)
            .join(Customer, Customer.id == OutboundMessage.customer_id)
            .join(Event, Event.id == OutboundMessage.event_id)
            .where(OutboundMessage.purpose == "reminder")
        ).all()
        unreminded = db.session.scalar(select(Order.id).where(Order.reminder_sent_at.is_(None)))
        assert len(rows) == 30
        assert unreminded is None
        assert len({m.order_id for m, _, _ in rows}) == 30
        for message, language, timeline in rows:
            assert EXTEND[language] in message.body
            assert timeline.kind is EventKind.MESSAGE_OUT
            assert timeline.body == message.body
            assert timeline.order_id == message.order_id
            assert message.expires_at == now + timedelta(minutes=5)
            assert message.to_number.endswith("0007") == (
                message.status is OutboundStatus.SUPPRESSED
            )
        assert Counter(t.data["status"] for _, _, t in rows) == {"queued": 29, "suppressed": 1}


# Statements of a sweep of 25 reminders in batches of 10: the due ids read once per pass
# (twice: the second pass finds none), then per batch the claim and, on PostgreSQL, one
# INSERT … SELECT for the events and outbox rows together (SQLite: the claimed rows and
# their customers read, the events, the outbox rows).
SWEEP_STATEMENTS = {"postgres": 2 + 3 * 2, "sqlite": 2 + 3 * 5}


def test_a_sweep_costs_two_statements_per_batch_on_postgresql(
    app: Flask, clock: Clock, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duties, "REMINDER_BATCH", 10)
    now = clock()
    _parkings_due(app, now, 25)

    with _counting_statements(app) as statements, app.app_context():
        claimed = duties.send_reminders(db.session(), _kanava(app), now)
        db.session.remove()

    assert claimed == 25
    # SQLite's BEGIN IMMEDIATE, one per transaction, aside.
    assert len([s for s in statements if s != "BEGIN IMMEDIATE"]) == SWEEP_STATEMENTS[backend]


def test_each_reminder_reads_as_the_reminder_text_of_its_parking(app: Flask, clock: Clock) -> None:
    now = clock()
    _parkings_due(app, now, 12)
    with app.app_context():
        # Open-ended parkings, ends seconds apart and into the next minute, a driver who
        # has no language of their own (the order's then).
        for i, order in enumerate(db.session.scalars(select(Order).order_by(Order.id))):
            order.open_ended = i % 2 == 1
            order.ends_at = now + timedelta(minutes=4, seconds=7 * i)
            if i == 5:
                assert order.customer is not None
                order.customer.language = None
                order.language = "sv"
        db.session.commit()

    assert _sweep(app, now)[0] == 12

    with app.app_context():
        kanava = _kanava(app)
        bodies = dict(
            db.session.execute(
                select(OutboundMessage.order_id, OutboundMessage.body).where(
                    OutboundMessage.purpose == "reminder"
                )
            ).all()
        )
        orders = db.session.scalars(select(Order).order_by(Order.id)).all()
        assert len(bodies) == len(orders) == 12
        for order in orders:
            lang = messages.language_of(order)
            assert bodies[order.id] == messages.reminder(order, lang, kanava, now)
        assert any("FÖRLÄNG" in body for body in bodies.values())


def test_a_web_form_parking_in_a_sweep_is_introduced_before_its_reminder(
    app: Flask, clock: Clock
) -> None:
    now = clock()
    _parkings_due(app, now, 5)
    with app.app_context():
        web = db.session.scalars(select(Order).order_by(Order.id).offset(2)).first()
        assert web is not None
        web.channel = Channel.WEB
        web_id = web.id
        db.session.commit()

    assert _sweep(app, now)[0] == 5

    with app.app_context():
        rows = db.session.execute(
            select(OutboundMessage.order_id, OutboundMessage.purpose).order_by(OutboundMessage.id)
        ).all()
        web_rows = [purpose for order_id, purpose in rows if order_id == web_id]
        assert web_rows == ["web_introduction", "reminder"]
        assert sorted(purpose for _, purpose in rows) == ["reminder"] * 5 + ["web_introduction"]
        events = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == EventKind.MESSAGE_OUT)
        )
        assert events == 6


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_sweep_leaves_what_another_clock_holds_and_the_next_one_finishes_it(
    app: Flask, clock: Clock
) -> None:
    """Another clock has locked three due parkings and dies before committing: the sweep
    reminds every other one and ends (it does not wait for them, nor loop on them); once
    the dead clock's transaction is rolled back, the next sweep reminds the three."""
    now = clock()
    _parkings_due(app, now, 20)
    with app.app_context():
        engine = db.engine
        held = list(db.session.scalars(select(Order.id).order_by(Order.id).limit(3)))
        db.session.remove()
    with engine.connect() as dead_clock:
        dead_clock.execute(select(Order.id).where(Order.id.in_(held)).with_for_update())

        assert _sweep(app, now)[0] == 17

        dead_clock.rollback()

    assert _sweep(app, now)[0] == 3
    with app.app_context():
        reminded = db.session.scalars(
            select(OutboundMessage.order_id).where(OutboundMessage.purpose == "reminder")
        ).all()
        assert len(reminded) == len(set(reminded)) == 20
