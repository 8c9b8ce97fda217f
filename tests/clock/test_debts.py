"""Debts of ended parkings: below the provider's minimum they are waived and recorded;
larger ones get one reminder with their link from the clock, never to an opted-out number.

The driver texts the signed webhook; the clock's duties run at a moved clock as
``jobs tick`` would. Zone 101 costs 2.40 EUR/h, zone 103 4.20 EUR/h; the clock starts on
Monday 23 November 2026 at 10:00 in Helsinki; the minimum card payment is 0.50 EUR.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import ledger, orders
from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import Event, EventKind, Order, OrderStatus, OutboundMessage, Payment, PaymentStatus
from tests.conftest import HELSINKI, Clock, Phone


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=HELSINKI)


def pay_token(reply: str) -> str:
    assert "/pay/" in reply, reply
    return reply.split("/pay/")[1].split()[0].rstrip(".")


def tick(app: Flask, clock: Clock, hour: int, minute: int) -> duties.TickReport:
    clock.now = _at(hour, minute)
    with app.app_context():
        return duties.run_due(db.session(), _kanava(app), clock())


def the_order(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id)).first()
        assert order is not None
        order.payments  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return order


def texts(app: Flask, purpose: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.purpose == purpose)
                .order_by(OutboundMessage.id)
            )
        )


def payment_events(app: Flask, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        found = db.session.scalars(
            select(Event).where(Event.kind == EventKind.PAYMENT).order_by(Event.id)
        ).all()
        return [dict(e.data) for e in found if (e.data or {}).get("action") == action]


def stopped_owing(phone: Phone, clock: Clock) -> str:
    """10:00 park in 103 until stopped, not paid; 10:08 stop: 0.56 EUR owed. Returns the
    stop reply."""
    phone.send("ABC-123 103")
    clock.now = _at(10, 8)
    return phone.send("LOPETA")


def test_a_stop_owing_less_than_the_minimum_is_waived_and_recorded(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    token = pay_token(phone.send("ABC-123 101"))
    clock.now = _at(10, 2)  # 2 min: 0.08 EUR

    reply = phone.send("LOPETA")

    assert "0,08 €" in reply and "Alle 0,50 € summia ei veloiteta" in reply
    assert "/pay/" not in reply
    order = the_order(app)
    assert (order.status, order.amount_cents) == (OrderStatus.ENDED, 8)
    (payment,) = order.payments
    assert (payment.status, payment.failure_reason) == (PaymentStatus.CANCELLED, ledger.WAIVED)
    assert payment.amount_cents == 8
    assert orders.debt_cents(order) == 0
    (waived,) = payment_events(app, "waived")
    assert (waived["amount_cents"], waived["currency"], waived["plate"]) == (8, "EUR", "ABC-123")
    page = client.get(f"/r/{token}?lang=fi").get_data(as_text=True)
    assert re.search(r'id="waived">0,08\s€', page)
    assert client.post(f"/demo-pay/{token}").status_code == 409, "nothing left to pay"

    tick(app, clock, 12, 0)
    assert texts(app, "debt_reminder") == []


def test_a_debt_on_an_ended_parking_gets_one_reminder_with_its_link(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    token = pay_token(stopped_owing(phone, clock))

    assert tick(app, clock, 11, 7).debts_reminded == 0
    assert tick(app, clock, 11, 8).debts_reminded == 1
    assert tick(app, clock, 12, 30).debts_reminded == 0

    (reminder,) = texts(app, "debt_reminder")
    assert "ABC-123" in reminder and "0,56 €" in reminder and f"/pay/{token}" in reminder
    (noted,) = payment_events(app, "debt_reminded")
    assert (noted["amount_cents"], noted["currency"], noted["sent"]) == (56, "EUR", True)
    assert orders.debt_cents(the_order(app)) == 56


def test_a_debt_paid_before_its_reminder_is_not_chased(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    token = pay_token(stopped_owing(phone, clock))
    clock.now = _at(10, 30)
    assert client.post(f"/demo-pay/{token}").status_code == 303

    assert tick(app, clock, 11, 30).debts_reminded == 0
    assert texts(app, "debt_reminder") == []


def test_an_opted_out_number_gets_no_debt_reminder(app: Flask, phone: Phone, clock: Clock) -> None:
    stopped_owing(phone, clock)
    phone.send("STOP")

    assert tick(app, clock, 11, 8).debts_reminded == 0
    tick(app, clock, 12, 0)

    assert texts(app, "debt_reminder") == []
    (noted,) = payment_events(app, "debt_reminded")
    assert (noted["sent"], noted["reason"]) == (False, "opted_out")


def test_a_small_debt_left_from_before_is_waived_by_the_clock(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    stopped_owing(phone, clock)
    with app.app_context():  # as a stop before this release left it: 0.07 EUR asked
        payment = db.session.scalars(select(Payment)).one()
        payment.amount_cents = 7
        db.session.commit()

    report = tick(app, clock, 11, 8)

    assert (report.debts_waived, report.debts_reminded) == (1, 0)
    (payment,) = the_order(app).payments
    assert (payment.status, payment.failure_reason) == (PaymentStatus.CANCELLED, ledger.WAIVED)
    assert texts(app, "debt_reminder") == []
    assert [e["amount_cents"] for e in payment_events(app, "waived")] == [7]


def test_a_parking_below_the_minimum_is_not_asked_and_waived_when_it_expires(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    reply = phone.send("ABC-123 101 10 min")  # 0.40 EUR

    assert "0,40 €" in reply and "/pay/" not in reply
    assert "Alle 0,50 € summia ei veloiteta" in reply
    check = client.get(
        "/api/v1/plates/ABC-123?zone=101", headers={"Authorization": f"Bearer {api_token}"}
    ).get_json()
    assert (check["valid"], check["status"]) == (True, "active")

    assert tick(app, clock, 10, 10).expired == 1

    order = the_order(app)
    assert (order.status, order.amount_cents) == (OrderStatus.EXPIRED, 40)
    (payment,) = order.payments
    assert (payment.status, payment.failure_reason, payment.amount_cents) == (
        PaymentStatus.CANCELLED,
        ledger.WAIVED,
        40,
    )
    assert [e["amount_cents"] for e in payment_events(app, "deferred")] == [40]
    assert [e["amount_cents"] for e in payment_events(app, "waived")] == [40]


def test_an_extension_below_the_minimum_is_asked_together_with_the_next_one(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    client.post(f"/demo-pay/{pay_token(phone.send('ABC-123 101 1h'))}")  # 2.40 paid
    clock.now = _at(10, 10)
    first = phone.send("JATKA 10 min")  # 0.40: carried
    assert "/pay/" not in first
    clock.now = _at(10, 20)

    second = phone.send("JATKA 10 min")  # 0.40 more: 0.80 asked

    pay_token(second)
    assert "Maksa 0,80 €" in second
    order = the_order(app)
    assert [(p.status, p.amount_cents) for p in order.payments] == [
        (PaymentStatus.SUCCEEDED, 240),
        (PaymentStatus.PENDING, 80),
    ]
    assert order.unpaid_from == _at(11, 10), "the carried 10 minutes count as paid"


def test_status_names_the_debt_of_an_ended_parking_with_its_link(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    token = pay_token(stopped_owing(phone, clock))
    clock.now = _at(10, 20)

    reply = phone.send("TILA")

    assert "ABC-123" in reply and "103" in reply and "0,56 €" in reply
    assert f"/pay/{token}" in reply
