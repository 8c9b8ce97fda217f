"""While the database is down, an SMS is kept in the spool and handled once it is back."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.clock import duties
from app.extensions import db
from app.models import Event, EventKind, Order, OrderStatus, OutboundMessage
from app.usecases.sms import spool as inbox_spool
from tests.conftest import Clock, Phone, make_settings

# Nothing listens on port 1: every connection is refused at once, as in an outage.
UNREACHABLE = "postgresql+psycopg://kanava@127.0.0.1:1/kanava"


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def settings_overrides(spool: Path) -> dict[str, object]:
    return {"spool_dir": spool}


@pytest.fixture
def down(spool: Path, clock: Clock) -> Flask:
    app = create_app(make_settings(UNREACHABLE, spool_dir=spool), clock=clock)
    app.config["TESTING"] = True
    return app


def test_an_sms_during_an_outage_is_acknowledged_kept_and_parked_once_the_database_is_back(
    app: Flask, down: Flask, spool: Path, clock: Clock
) -> None:
    driver = Phone(down.test_client())
    reply = driver.send("ABC-123 101 1h", sid="SM" + "d" * 32)
    again = driver.send("ABC-123 101 1h", sid="SM" + "d" * 32)  # Twilio retries

    assert reply == again
    assert reply.startswith("Viesti vastaanotettu")
    assert len(inbox_spool.pending(spool)) == 1

    clock.advance(minutes=3)  # the database is back three minutes later
    with app.app_context():
        report = duties.run_due(db.session(), app.extensions["kanava"], clock.now)
        assert report.replayed_sms == 1
        assert inbox_spool.replay(db.session(), app.extensions["kanava"], spool, clock.now) == 0

        order = db.session.scalars(select(Order)).one()
        assert order.status is OrderStatus.AWAITING_PAYMENT
        assert order.plate_display == "ABC-123"
        # parked from the replay, which is what the confirmation can say truthfully
        assert order.starts_at == clock.now
        outbox = db.session.scalars(select(OutboundMessage)).one()
        assert outbox.purpose == "reply"
        assert outbox.status.value == "delivered"  # the local notifier in tests
        assert "ABC-123" in outbox.body and "11.03" in outbox.body
        inbound = db.session.scalars(select(Event).where(Event.kind == EventKind.MESSAGE_IN)).one()
        assert inbound.data is not None and inbound.data["spooled"] is True
        bodies = [
            e.body
            for e in db.session.scalars(
                select(Event).where(Event.kind == EventKind.MESSAGE_OUT).order_by(Event.id)
            )
        ]
        assert bodies[0] == reply
        assert bodies[1] == outbox.body
    assert inbox_spool.pending(spool) == []


def test_a_message_already_handled_is_not_handled_again_from_the_spool(
    app: Flask, down: Flask, spool: Path, phone: Phone
) -> None:
    first = phone.send("ABC-123 101 1h", sid="SM" + "f" * 32)
    Phone(down.test_client()).send("ABC-123 101 1h", sid="SM" + "f" * 32)

    with app.app_context():
        kanava = app.extensions["kanava"]
        assert inbox_spool.replay(db.session(), kanava, spool, kanava.clock()) == 1
        assert len(db.session.scalars(select(Order)).all()) == 1
        assert db.session.scalars(select(OutboundMessage)).all() == []
    assert "ABC-123" in first
