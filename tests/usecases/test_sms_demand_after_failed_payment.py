"""An SMS shortly after one of the driver's payments failed is failure demand caused by it
(app.backend.contacts), whether the failure is read with the message's earlier messages or
(a payment this message's own handling failed) found in the session; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select, update

from app.domain.demand import DemandReason
from app.extensions import db
from app.models import Event, EventKind, Payment, PaymentStatus
from tests.conftest import Clock, Phone


def _fail_the_payments(app: Flask, at: datetime) -> None:
    with app.app_context():
        db.session.execute(
            update(Payment).values(status=PaymentStatus.FAILED, failure_reason="card_declined",
                                   updated_at=at)
        )  # fmt: skip
        db.session.commit()


def _last_inbound_reason(app: Flask) -> DemandReason | None:
    with app.app_context():
        return db.session.scalar(
            select(Event.demand_reason)
            .where(Event.kind == EventKind.MESSAGE_IN)
            .order_by(Event.id.desc())
            .limit(1)
        )


def test_a_message_soon_after_a_failed_payment_is_counted_as_caused_by_it(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 1h")
    _fail_the_payments(app, clock())
    clock.advance(minutes=10)

    assert "XYZ-999" in phone.send("XYZ-999 101 1h")
    assert _last_inbound_reason(app) is DemandReason.PAYMENT_FAILED

    clock.advance(minutes=31)  # the failure is 41 minutes old: no longer the cause
    phone.send("QQQ-111 101 1h")
    assert _last_inbound_reason(app) is None


def test_a_first_message_has_no_failed_payment_to_follow(app: Flask, phone: Phone) -> None:
    phone.send("ABC-123 101 1h")
    assert _last_inbound_reason(app) is None
