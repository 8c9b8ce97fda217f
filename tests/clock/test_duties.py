"""The clock's duties as a driver lives them: a reminder before the end that says how to
extend in one word, one message when the time has run out, open-ended parkings ended and
charged at the zone's longest stay, unpaid parkings cancelled, and sensible catch-up after
the clock was down.

Time moves only through the test clock and ``jobs tick --at``; the driver texts through
the signed webhook and reads the phone simulator's thread, as a newcomer would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import (
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    OutboundStatus,
)
from app.texts import messages
from tests.conftest import HELSINKI, Clock, Phone

DRIVER = "+358401234567"


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def _local(*args: int) -> datetime:
    return datetime(2026, 11, 23, *args, tzinfo=HELSINKI)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def tick(runner: FlaskCliRunner, at: str) -> str:
    """``flask jobs tick --at 2026-11-23T<at>`` (local time), as an operator would run it."""
    result = runner.invoke(args=["jobs", "tick", "--at", f"2026-11-23T{at}"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def pay(client: FlaskClient, reply: str) -> None:
    token = reply.split("/pay/")[1].split()[0]
    assert client.post(f"/demo-pay/{token}").status_code == 303


def thread(client: FlaskClient, number: str = DRIVER) -> list[dict[str, Any]]:
    response = client.get("/simulator/api/thread", query_string={"phone": number})
    assert response.status_code == 200
    messages: list[dict[str, Any]] = response.get_json()["messages"]
    return messages


def received(client: FlaskClient, number: str = DRIVER) -> list[str]:
    """What the driver's phone shows from Kanava, replies and later messages alike."""
    return [m["body"] for m in thread(client, number) if m["direction"] == "out"]


def later_messages(app: Flask, purpose: str) -> list[OutboundMessage]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.purpose == purpose)
                .order_by(OutboundMessage.id)
            )
        )
        db.session.expunge_all()
        return rows


def order_of(app: Flask, plate: str) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.plate_display == plate)).one()
        order.payments  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return order


def system_notes(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Event.body).where(Event.kind == EventKind.SYSTEM).order_by(Event.id)
            )
        )


# the done-when of the issue -------------------------------------------------------------


def test_a_15_minute_parking_gets_its_reminder_and_expiry_and_jatka_15_moves_both(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, runner: FlaskCliRunner
) -> None:
    pay(client, phone.send("ABC-123 101 15min"))  # 10:00, until 10.15
    before = len(received(client))

    assert "reminders" not in tick(runner, "10:04:59")
    assert len(received(client)) == before

    assert "reminders 1" in tick(runner, "10:05:00")
    reminder = received(client)[-1]
    assert "ABC-123" in reminder and "10.15" in reminder and "JATKA 15" in reminder
    assert thread(client)[-1]["status"] == "delivered"
    assert thread(client)[-1]["at"] == "10.05"  # the simulator in Finnish, as its SMS
    tick(runner, "10:06:00")
    assert received(client).count(reminder) == 1

    clock.now = _local(10, 7)
    extended = phone.send("JATKA 15")
    assert "10.30" in extended
    pay(client, extended)  # an extension counts once paid (or for the payment grace)

    assert tick(runner, "10:15:00").startswith("expired 0")  # the old end means nothing now
    assert "reminders 1" in tick(runner, "10:20:00")
    second = received(client)[-1]
    assert "10.30" in second and "JATKA 15" in second

    assert tick(runner, "10:29:59").startswith("expired 0")
    assert tick(runner, "10:30:00").startswith("expired 1")
    expiry = received(client)[-1]
    assert "ABC-123" in expiry and "10.30" in expiry and "JATKA" not in expiry
    tick(runner, "10:45:00")
    assert received(client).count(expiry) == 1
    assert order_of(app, "ABC-123").status is OrderStatus.EXPIRED
    assert [m.status for m in later_messages(app, "reminder")] == [OutboundStatus.DELIVERED] * 2
    assert [m.status for m in later_messages(app, "expired")] == [OutboundStatus.DELIVERED]


# reminders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language_word", "extend_word"),
    [("KIELI FI", "JATKA 15"), ("SPRÅK SV", "FÖRLÄNG 15"), ("LANG EN", "EXTEND 15")],
)
def test_the_reminder_says_how_to_extend_in_the_drivers_language(
    app: Flask,
    client: FlaskClient,
    phone: Phone,
    clock: Clock,
    language_word: str,
    extend_word: str,
) -> None:
    phone.send(language_word)
    pay(client, phone.send("ABC-123 101 2h"))

    with app.app_context():
        report = duties.run_due(db.session, _kanava(app), clock() + timedelta(minutes=110))

    assert report.reminders == 1
    text = received(client)[-1]
    assert extend_word in text
    assert "12.00" in text or "12:00" in text
    assert messages.sms_segments(text) <= messages.MAX_SEGMENTS
    # The word it suggests is one the service understands.
    clock.advance(minutes=111)
    reply = phone.send(extend_word)
    assert "12.15" in reply or "12:15" in reply


def test_the_clock_process_job_sends_the_reminder_at_the_apps_now(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    from app.clock.scheduler import tick as clock_tick

    pay(client, phone.send("ABC-123 101 1h"))
    clock.advance(minutes=50)

    with app.app_context():
        report = clock_tick()

    assert report is not None and report.reminders == 1 and report.messages_sent == 1
    assert "JATKA 15" in received(client)[-1]


def test_no_reminder_for_a_parking_that_ended_while_the_clock_was_down(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner
) -> None:
    pay(client, phone.send("ABC-123 101 15min"))

    output = tick(runner, "10:20:00")  # the first tick since 10:00

    assert output.startswith("expired 1")
    assert "reminders" not in output
    assert later_messages(app, "reminder") == []
    assert "10.15" in received(client)[-1]
    assert [m.status for m in later_messages(app, "expired")] == [OutboundStatus.DELIVERED]


def test_an_expiry_hours_late_is_applied_but_not_texted_and_the_timeline_says_why(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner
) -> None:
    pay(client, phone.send("ABC-123 101 15min"))
    before = received(client)

    assert tick(runner, "14:00:00").startswith("expired 1")

    assert received(client) == before
    assert order_of(app, "ABC-123").status is OrderStatus.EXPIRED
    assert any(note.startswith("SMS not sent (expired)") for note in system_notes(app))


def test_a_driver_who_texted_stop_gets_no_reminder(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 101 1h"))
    phone.send("STOP")

    with app.app_context():
        report = duties.run_due(db.session, _kanava(app), clock() + timedelta(minutes=55))

    assert report.reminders == 1  # claimed once, never to be claimed again
    assert report.messages_sent == 0
    assert [m.status for m in later_messages(app, "reminder")] == [OutboundStatus.SUPPRESSED]


def test_a_reminder_is_claimed_once_however_often_the_clock_runs(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 101 1h"))

    with app.app_context():
        counts = [
            duties.run_due(db.session, _kanava(app), clock() + timedelta(minutes=m)).reminders
            for m in (49, 50, 50, 55, 59)
        ]

    assert counts == [0, 1, 0, 0, 0]
    assert len(later_messages(app, "reminder")) == 1


# expiry, longest stay, unpaid ------------------------------------------------------------


def test_an_open_ended_parking_is_reminded_before_the_longest_stay_then_ended_and_charged(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner
) -> None:
    pay(client, phone.send("ABC-123 101"))  # zone 101: at most 4 h, 2.40 EUR/h

    assert "reminders 1" in tick(runner, "13:50:00")
    warning = received(client)[-1]
    assert "14.00" in warning and "LOPETA" in warning and "JATKA" not in warning

    assert "ended at max stay 1" in tick(runner, "14:00:00")
    ended = received(client)[-1]
    assert "14.00" in ended and "9,60" in ended
    order = order_of(app, "ABC-123")
    assert order.status is OrderStatus.ENDED
    assert order.amount_cents == 960
    assert order.ended_at == _local(14, 0)
    assert "ended at max stay" not in tick(runner, "14:30:00")
    assert received(client).count(ended) == 1


def test_an_unpaid_parking_is_cancelled_after_the_grace_time_and_the_driver_told_once(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner
) -> None:
    phone.send("ABC-123 101 2h")

    assert "cancelled unpaid 0" in tick(runner, "10:09:59")
    assert "cancelled unpaid 1" in tick(runner, "10:10:00")
    tick(runner, "10:11:00")

    notices = [m for m in received(client) if "ABC-123" in m and "101" in m]
    # the parking reply, one reminder to pay (5 min before the grace ends), one cancellation
    assert len(notices) == 3
    assert order_of(app, "ABC-123").status is OrderStatus.CANCELLED
    assert [m.status for m in later_messages(app, "unpaid_cancelled")] == [OutboundStatus.DELIVERED]


def test_every_text_of_the_clock_fits_in_two_segments_in_every_language(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 101 2h"))
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        order.plate_display = "ÅÄÖ-" + "W" * 20  # the longest a plate is stored
        order.zone.name = "Kauppatorin pysäköintilaitos, Pohjoisesplanadi 1"
        order.zone.code = "ABCDEFGHIJKLMNOP"
        k = _kanava(app)
        tomorrow = clock() + timedelta(days=1)
        link = "https://kanava.example/pay/" + "x" * 22
        for lang in ("fi", "sv", "en"):
            order.open_ended = False
            texts = [
                messages.reminder(order, lang, k, tomorrow),
                messages.parking_expired(order, lang, k, tomorrow),
                messages.unpaid_cancelled(order, lang),
                messages.max_stay_ended(order, 123456, link, lang, k, tomorrow),
            ]
            order.open_ended = True
            texts.append(messages.reminder(order, lang, k, tomorrow))
            for text in texts:
                assert messages.sms_segments(text) <= messages.MAX_SEGMENTS, (lang, text)
        db.session.rollback()
