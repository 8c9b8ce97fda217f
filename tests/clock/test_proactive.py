"""Proactive messages (issue 12, point 4), each at most once per order through the outbox,
never sent to an opted-out number: two clock runs never send twice. SQLite and PostgreSQL;
the day is Monday 23 November 2026 in Helsinki."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import OutboundMessage, OutboundStatus
from tests.conftest import HELSINKI, Clock, Phone


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=HELSINKI)


def run_clock(app: Flask, clock: Clock, when: datetime) -> duties.TickReport:
    clock.now = when
    with app.app_context():
        kanava: Kanava = app.extensions["kanava"]
        return duties.run_due(db.session(), kanava, clock())


def sent(app: Flask, purpose: str) -> list[tuple[str, OutboundStatus]]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.purpose == purpose)
            .order_by(OutboundMessage.id)
        )
        return [(m.body, m.status) for m in rows]


def pay(client: FlaskClient, reply: str) -> None:
    token = reply.split("/pay/")[1].split()[0]
    assert client.post(f"/demo-pay/{token}").status_code == 303


def test_an_unpaid_link_is_reminded_once_five_minutes_before_the_grace_ends(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")  # 10:00, to be paid by 10:10

    assert run_clock(app, clock, at(10, 4)).payment_reminders == 0
    assert run_clock(app, clock, at(10, 5)).payment_reminders == 1
    assert run_clock(app, clock, at(10, 6)).payment_reminders == 0

    ((body, status),) = sent(app, "pay_reminder")
    assert body.startswith("ABC-123 alueella 101: ei vielä maksettu. Maksa klo 10.10 mennessä")
    assert "4,80 €" in body and "/pay/" in body
    assert status in (OutboundStatus.SENT, OutboundStatus.DELIVERED)


def test_a_paid_parking_gets_no_payment_reminder(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 101 2h"))

    run_clock(app, clock, at(10, 6))

    assert sent(app, "pay_reminder") == []


def test_an_opted_out_number_is_never_texted(app: Flask, phone: Phone, clock: Clock) -> None:
    phone.send("ABC-123 101 2h")
    phone.send("STOP")

    run_clock(app, clock, at(10, 6))
    run_clock(app, clock, at(10, 7))

    assert [status for _, status in sent(app, "pay_reminder")] == [OutboundStatus.SUPPRESSED]


def test_an_open_ended_parking_is_asked_once_when_the_zone_turns_free(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 201"))  # paid 9-17, no longest stay

    assert run_clock(app, clock, at(16, 59)).still_parked_asked == 0
    assert run_clock(app, clock, at(17, 0)).still_parked_asked == 1
    assert run_clock(app, clock, at(17, 5)).still_parked_asked == 0

    ((body, status),) = sent(app, "still_parked")
    assert "ABC-123 alueella 201" in body and "LOPETA" in body
    assert status in (OutboundStatus.SENT, OutboundStatus.DELIVERED)


def test_an_open_ended_parking_in_a_zone_paid_round_the_clock_is_asked_after_12_hours(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 301"))

    assert run_clock(app, clock, at(21, 59)).still_parked_asked == 0
    assert run_clock(app, clock, at(22, 0)).still_parked_asked == 1
    assert run_clock(app, clock, at(23, 0)).still_parked_asked == 0
    assert len(sent(app, "still_parked")) == 1
