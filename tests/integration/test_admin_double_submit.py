"""A staff confirmation submitted twice at the same moment (a double tap, two tabs) on
PostgreSQL: the refund is made once, the extension added once. Each submit runs in its own
thread with its own database session, released together by a barrier; the panel locks the
payment's or the order's row and compares what the admin confirmed with what it finds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backend import users
from app.extensions import db
from app.kernel import Kanava
from app.models import Event, EventKind, Order, OutboundMessage, Payment, User
from app.panel import queries as panel
from tests.conftest import Clock, Phone

pytestmark = pytest.mark.postgres
ROUNDS = 4


@pytest.fixture
def backend() -> str:
    return "postgres"


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def paid_parking(client: FlaskClient, phone: Phone, body: str) -> None:
    reply = phone.send(body)
    token = reply.split("/pay/")[1].split()[0]
    assert client.post(f"/demo-pay/{token}").status_code == 303


def staff_member(app: Flask, clock: Clock) -> int:
    with app.app_context():
        user_id = users.create_user(db.session, "boss", "admin", "a-long-password-1", clock()).id
        db.session.commit()
        return user_id


def twice_at_once(app: Flask, user_id: int, act: object) -> list[object]:
    """Run ``act(session, user)`` in two threads released together; each returns what
    ``act`` returned or the panel's refusal code."""
    barrier = threading.Barrier(2)

    def submit() -> object:
        with app.app_context(), Session(db.engine) as session:
            user = session.get(User, user_id)
            assert user is not None
            barrier.wait(timeout=10)
            try:
                return act(session, user)  # type: ignore[operator]
            except panel.PanelError as exc:
                return exc.code

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(submit), pool.submit(submit)]
        return [f.result() for f in futures]


def count(app: Flask, query: object) -> int:
    with app.app_context():
        return int(db.session.scalar(query) or 0)  # type: ignore[call-overload]


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_one_refund_confirmed_twice_at_once_refunds_once(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, round_no: int
) -> None:
    paid_parking(client, phone, "ABC-123 101 2h")
    user_id = staff_member(app, clock)
    with app.app_context():
        payment_id = db.session.scalars(select(Payment.id)).one()

    results = twice_at_once(
        app,
        user_id,
        lambda session, user: panel.refund_payment(
            session, _kanava(app), user, payment_id, 150, "", clock(), seen_refunded_cents=0
        ),
    )

    assert sorted(map(str, results)) == ["150", "changed_meanwhile"], results
    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        assert payment is not None and payment.refunded_cents == 150
    refunds = select(func.count()).select_from(Event).where(Event.intent == "refund")
    notices = (
        select(func.count())
        .select_from(OutboundMessage)
        .where(OutboundMessage.purpose == "staff_refund")
    )
    assert (count(app, refunds), count(app, notices)) == (1, 1)


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_one_extension_confirmed_twice_at_once_extends_once(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, round_no: int
) -> None:
    paid_parking(client, phone, "ABC-123 101 1h")
    user_id = staff_member(app, clock)
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        order_id, seen_end = order.id, order.ends_at
    assert isinstance(seen_end, datetime)

    results = twice_at_once(
        app,
        user_id,
        lambda session, user: (
            panel.extend_order(
                session, _kanava(app), user, order_id, 30, "", clock(), seen_end=seen_end
            ).added_cents
        ),
    )

    assert sorted(map(str, results)) == ["120", "changed_meanwhile"], results
    with app.app_context():
        extended = db.session.get(Order, order_id)
        assert extended is not None and extended.ends_at is not None
        assert (extended.ends_at - seen_end).total_seconds() == 30 * 60
        assert extended.amount_cents == 360
    extensions = (
        select(func.count())
        .select_from(Event)
        .where(Event.order_id == order_id, Event.kind == EventKind.STAFF_ACTION)
    )
    assert count(app, extensions) == 1
