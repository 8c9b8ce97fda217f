"""What every inbound SMS leaves in the database besides its work (app/backend/sms_records.py):
the MessageSid's receipt with the reply, the inbound event with what was understood, the
reply event; kept when the handling fails, written once for a retried MessageSid.

Texted through the signed webhook (the ``phone`` fixture), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Event, EventKind, Order, WebhookReceipt
from app.texts import messages
from tests.conftest import Phone

# A real failure inside the handling: the database refuses every new order.
_REFUSE_ORDERS = {
    "postgresql": [
        "CREATE FUNCTION kanava_test_refuse_orders() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'orders refused by the test'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER kanava_test_refuse_orders BEFORE INSERT ON orders "
        "FOR EACH ROW EXECUTE FUNCTION kanava_test_refuse_orders()",
    ],
    "sqlite": [
        "CREATE TRIGGER kanava_test_refuse_orders BEFORE INSERT ON orders "
        "BEGIN SELECT RAISE(ABORT, 'orders refused by the test'); END",
    ],
}
_ALLOW_ORDERS = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS kanava_test_refuse_orders ON orders",
        "DROP FUNCTION IF EXISTS kanava_test_refuse_orders()",
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS kanava_test_refuse_orders"],
}


@pytest.fixture
def orders_refused(app: Flask) -> Iterator[None]:
    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        with engine.begin() as conn:
            for statement in _ALLOW_ORDERS[dialect] + _REFUSE_ORDERS[dialect]:
                conn.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for statement in _ALLOW_ORDERS[dialect]:
                conn.execute(text(statement))


def _events(app: Flask) -> list[Event]:
    with app.app_context():
        return list(db.session.scalars(select(Event).order_by(Event.id)))


def _count(app: Flask, model: type[object]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _stored_reply(app: Flask, sid: str) -> str | None:
    with app.app_context():
        return db.session.scalar(
            select(WebhookReceipt.response_body).where(WebhookReceipt.external_id == sid)
        )


def test_a_message_whose_handling_fails_is_recorded_and_answered_with_an_apology(
    app: Flask, phone: Phone, orders_refused: None
) -> None:
    reply = phone.send("ABC-123 301 1h", sid="SM" + "f" * 32)

    with app.test_request_context():
        assert reply == messages.technical_problem("fi")
    assert _count(app, Order) == 0
    inbound, answer = _events(app)
    assert inbound.kind is EventKind.MESSAGE_IN
    assert inbound.body == "ABC-123 301 1h"
    assert inbound.external_id == "SM" + "f" * 32
    assert inbound.understood is False
    assert inbound.intent == "error"
    assert inbound.data == {"problem": "internal_error"}
    assert answer.kind is EventKind.MESSAGE_OUT
    assert answer.body == reply
    assert answer.data == {"in_reply_to": "SM" + "f" * 32}
    assert answer.customer_id == inbound.customer_id is not None
    assert _stored_reply(app, "SM" + "f" * 32) == reply

    # Twilio retries: the same apology, nothing recorded twice.
    assert phone.send("ABC-123 301 1h", sid="SM" + "f" * 32) == reply
    assert len(_events(app)) == 2
    assert _count(app, WebhookReceipt) == 1


def test_a_parking_message_is_recorded_before_the_parking_and_its_reply_after(
    app: Flask, phone: Phone
) -> None:
    reply = phone.send("ABC-123 301 1h", sid="SM" + "a" * 32)

    inbound, started, answer = _events(app)
    (order,) = (e.order_id for e in [started])
    assert [e.kind for e in (inbound, started, answer)] == [
        EventKind.MESSAGE_IN,
        EventKind.ORDER,
        EventKind.MESSAGE_OUT,
    ]
    assert inbound.order_id == started.order_id == answer.order_id == order is not None
    assert inbound.understood is True
    assert inbound.intent == "park"
    assert inbound.data is None
    assert inbound.demand is not None and inbound.zone_code == "301"
    assert answer.body == reply
    assert answer.data == {"in_reply_to": "SM" + "a" * 32}
    assert _stored_reply(app, "SM" + "a" * 32) == reply


def test_a_retried_message_sid_answers_the_same_and_records_nothing_more(
    app: Flask, phone: Phone
) -> None:
    first = phone.send("ABC-123 301 1h", sid="SM" + "b" * 32)
    events = len(_events(app))

    again = phone.send("ABC-123 301 1h", sid="SM" + "b" * 32)

    assert again == first
    assert len(_events(app)) == events
    assert _count(app, Order) == 1
    assert _count(app, WebhookReceipt) == 1
