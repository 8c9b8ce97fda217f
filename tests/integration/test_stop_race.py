"""A staff stop, the driver's LOPETA and the clock's longest-stay sweep racing on one
parking, on PostgreSQL: the order is stopped once, its held card captured once, and the
driver gets one message saying it ended.

Each of the three runs in its own thread with its own database session, released together
by a barrier; the order service locks the order's row, so the later ones see it ended.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backend import users
from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import (
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    PaymentStatus,
    User,
)
from app.panel import queries as panel
from app.texts import messages
from tests.conftest import Clock, Phone

pytestmark = pytest.mark.postgres
ROUNDS = 6


@pytest.fixture
def backend() -> str:
    return "postgres"


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def held_open_ended_parking(client: FlaskClient, phone: Phone) -> None:
    reply = phone.send("ABC-123 101")  # until stopped; zone 101's longest stay is 4 h
    token = reply.split("/pay/")[1].split()[0]
    assert client.post(f"/demo-pay/{token}").status_code == 303


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_staff_stop_sms_stop_and_the_clock_stop_a_parking_once(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, round_no: int
) -> None:
    with app.app_context():
        staff_id = users.create_user(db.session, "anna", "admin", "a-long-password-1", clock()).id
        db.session.commit()
    held_open_ended_parking(client, phone)
    with app.app_context():
        order_id = db.session.scalars(select(Order.id)).one()
    at_max_stay = clock.advance(hours=4)  # the sweep's now; the others a moment before
    just_before = at_max_stay - timedelta(seconds=1 + round_no)
    clock.now = just_before
    barrier = threading.Barrier(3)

    def staff_stop() -> str:
        with app.app_context(), Session(db.engine) as session:
            user = session.get(User, staff_id)
            assert user is not None
            barrier.wait(timeout=10)
            try:
                panel.stop_order(session, _kanava(app), user, order_id, "", just_before)
            except panel.PanelError as exc:
                return exc.code
            return "stopped"

    def sms_stop() -> str:
        barrier.wait(timeout=10)
        return phone.send("LOPETA")

    def clock_sweep() -> str:
        with app.app_context(), Session(db.engine) as session:
            barrier.wait(timeout=10)
            return str(duties.end_at_max_stay(session, _kanava(app), at_max_stay))

    with ThreadPoolExecutor(max_workers=3) as pool:
        staff = pool.submit(staff_stop)
        sms = pool.submit(sms_stop)
        sweep = pool.submit(clock_sweep)
        results = (staff.result(), sms.result(), sweep.result())

    with app.app_context():
        no_live = {messages.no_live_parking("fi"), messages.no_live_parking("fi", "ABC-123")}
        sms_stopped = results[1] not in no_live
        stopped_by = [results[0] == "stopped", sms_stopped, results[2] == "1"]
        assert sum(stopped_by) == 1, results
        order = db.session.get(Order, order_id)
        assert order is not None and order.status is OrderStatus.ENDED
        (payment,) = order.payments
        assert payment.status is PaymentStatus.SUCCEEDED
        assert payment.captured_cents == order.amount_cents > 0
        stop_events = db.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.order_id == order_id,
                Event.kind == EventKind.ORDER,
                Event.body.like("parking %: ABC-123 in 101"),
                Event.body.not_like("parking started%"),
            )
        )
        captures = db.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.order_id == order_id, Event.body.like("captured %"))
        )
        notices = db.session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.purpose.in_(["staff_stop", "max_stay_ended"]))
        )
    assert (stop_events, captures) == (1, 1)
    assert notices + int(sms_stopped) == 1, "one message says the parking ended"
