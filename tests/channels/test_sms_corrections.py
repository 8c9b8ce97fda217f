"""The correction window by SMS (issue 12): ``KORJAA/ÄNDRA/FIX <plate or zone>`` within
``CORRECTION_MINUTES`` (15) of the start moves the parking, with no second parking and no
second charge; the price difference is asked or given back; later, a plain "too late".

Signed webhook texts (``phone``), demo payments, SQLite and PostgreSQL. The clock starts
on Monday 23 Nov 2026 10:00 in Helsinki (zone 101: 2,40 €/h, 102: 3,00 €/h, 201: 1,20 €/h).
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Event, EventKind, Payment, PaymentStatus
from tests.channels.test_sms_conversation import (
    all_orders,
    customer,
    last_inbound,
    pay,
    pay_token,
)
from tests.conftest import Clock, Phone


def payments(app: Flask) -> list[tuple[PaymentStatus, int, int, int]]:
    with app.app_context():
        return [
            (p.status, p.amount_cents, p.captured_cents, p.refunded_cents)
            for p in db.session.scalars(select(Payment).order_by(Payment.id))
        ]


def corrected_events(app: Flask) -> list[dict[str, object]]:
    with app.app_context():
        events = db.session.scalars(
            select(Event).where(Event.kind == EventKind.ORDER).order_by(Event.id)
        )
        return [e.data for e in events if e.data and e.data.get("action") == "corrected"]


def test_korjaa_with_a_plate_moves_the_parking_to_it(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    clock.advance(minutes=5)

    reply = phone.send("KORJAA XYZ-789")

    assert "XYZ-789" in reply and "101" in reply
    (order,) = all_orders(app)
    assert (order.plate_display, order.plate_key, order.zone.code) == ("XYZ-789", "XYZ789", "101")
    assert order.amount_cents == 480
    assert payments(app) == [(PaymentStatus.PENDING, 480, 0, 0)]
    (event,) = corrected_events(app)
    assert (event["from_plate"], event["to_plate"]) == ("ABC-123", "XYZ-789")
    assert (event["from_zone"], event["to_zone"]) == ("101", "101")
    assert last_inbound(app).intent == "correct" and last_inbound(app).understood is True


def test_a_dearer_zone_before_paying_raises_the_same_payment(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    clock.advance(minutes=5)

    reply = phone.send("KORJAA 102")

    assert "102" in reply and "6,00 €" in reply
    (order,) = all_orders(app)
    assert order.zone.code == "102" and order.amount_cents == 600
    assert payments(app) == [(PaymentStatus.PENDING, 600, 0, 0)]


def test_a_dearer_zone_after_paying_asks_only_the_difference(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, pay_token(phone.send("ABC-123 101 2h")))
    clock.advance(minutes=5)

    reply = phone.send("KORJAA 102")

    assert "1,20 €" in reply
    pay(client, pay_token(reply))
    (order,) = all_orders(app)
    assert order.zone.code == "102" and order.amount_cents == 600
    assert payments(app) == [
        (PaymentStatus.SUCCEEDED, 480, 480, 0),
        (PaymentStatus.SUCCEEDED, 120, 120, 0),
    ]


def test_a_cheaper_zone_after_paying_refunds_the_difference(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, pay_token(phone.send("ABC-123 102 2h")))
    clock.advance(minutes=5)

    reply = phone.send("FIX 201")

    assert "€3.60" in reply  # 6.00 paid, 2.40 in zone 201
    (order,) = all_orders(app)
    assert order.zone.code == "201" and order.amount_cents == 240
    assert payments(app) == [(PaymentStatus.SUCCEEDED, 600, 600, 360)]


def test_after_the_window_it_is_too_late_and_nothing_changes(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    clock.advance(minutes=16)

    reply = phone.send("KORJAA XYZ-789")

    assert "myöhäistä" in reply and "LOPETA" in reply
    (order,) = all_orders(app)
    assert order.plate_display == "ABC-123"
    assert corrected_events(app) == []


def test_without_a_target_it_asks_which_and_the_answer_corrects(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")

    asked = phone.send("väärä rekkari")

    assert "ABC-123" in asked and "101" in asked
    reply = phone.send("ABC-124")
    assert "ABC-124" in reply
    (order,) = all_orders(app)
    assert order.plate_display == "ABC-124"
    assert customer(app).pending is None


def test_with_nothing_parked_there_is_nothing_to_correct(app: Flask, phone: Phone) -> None:
    reply = phone.send("KORJAA 102")

    assert "Ei pysäköintiä käynnissä" in reply
    assert all_orders(app) == []


def test_the_swedish_correction_answers_in_swedish(app: Flask, phone: Phone) -> None:
    phone.send("ABC-123 101 2h")

    reply = phone.send("ÄNDRA XYZ-789")

    assert "Rättat" in reply and "XYZ-789" in reply


def test_the_panel_timeline_shows_the_plate_and_zone_before_and_after(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    from tests.panel.test_admin import ADMIN_PASSWORD, make_user, sign_in

    phone.send("ABC-123 101 2h")
    phone.send("KORJAA 102")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)

    page = client.get("/admin/timeline?q=%2B358401234567&lang=fi").get_data(as_text=True)

    assert "Pysäköinti korjattu: ABC-123 alueella 101 → ABC-123 alueella 102" in page
