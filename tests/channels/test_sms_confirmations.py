"""What the driver's phone says about a parking: free time named with its end, every
confirmation with the order's own page and the one-word commands, and a parking that
ended because the car moved names its price.

Zone 101 is paid Monday to Friday 08:00-18:00 at 2.40 EUR/h; the clock starts on Monday
23 November 2026 at 10:00 in Helsinki. The driver texts the signed webhook; later
messages are read from the outbox.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import customers, orders, zones
from app.extensions import db
from app.kernel import Kanava
from app.models import Channel, Order, OutboundMessage
from app.texts import messages
from app.usecases import outbox_dispatch as notifications
from tests.conftest import HELSINKI, PUBLIC_BASE_URL, Clock, Phone

MANAGE_LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"/o/([\w-]+)")


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def _at(hour: int, minute: int, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HELSINKI)


def pay_token(reply: str) -> str:
    assert "/pay/" in reply, reply
    return reply.split("/pay/")[1].split()[0].rstrip(".")


def texts(app: Flask, purpose: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.purpose == purpose)
                .order_by(OutboundMessage.id)
            )
        )


def manage_token_of_last_order(app: Flask) -> str:
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order is not None and order.manage_token
        return order.manage_token


# ---- free time named with its end (issue point 7) -----------------------------------------


def test_an_evening_parking_says_it_is_free_until_eight_and_what_it_costs_then(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(19, 0)

    reply = phone.send("ABC-123 101")

    assert "Pysäköinti on maksutonta 24.11. klo 8.00 asti, sen jälkeen 2,40 €/h" in reply
    assert "/pay/" not in reply


def test_a_night_parking_names_the_free_end_as_a_clock_time_today(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(2, 0)

    reply = phone.send("ABC-123 101 2h")

    assert "Pysäköinti on maksutonta 8.00 asti, sen jälkeen 2,40 €/h" in reply
    assert "0,00 €" in reply


def test_the_free_end_is_said_in_swedish_and_english(client: FlaskClient, clock: Clock) -> None:
    clock.now = _at(19, 0)
    swedish = Phone(client, number="+46701234567")
    english = Phone(client, number="+447911123456")

    assert "Parkeringen är avgiftsfri till 24/11 kl. 08:00, därefter 2,40 €/h" in swedish.send(
        "ABC-123 101 1h"
    )
    assert "Parking is free until 24 Nov 08:00, then €2.40/h" in english.send("XYZ-789 101")


def test_a_parking_in_paid_time_says_nothing_of_free_time(phone: Phone) -> None:
    reply = phone.send("ABC-123 101 2h")

    assert "4,80 €" in reply and "maksutonta" not in reply


# ---- confirmations carry the order's page and the one-word commands (point 10 b) -------------


def test_the_sms_confirmation_carries_the_manage_link_and_the_commands(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    clock.now = _at(19, 0)  # free: the reply is the confirmation

    reply = phone.send("ABC-123 101 1h")

    match = MANAGE_LINK.search(reply)
    assert match and match.group(1) == manage_token_of_last_order(app)
    assert "LOPETA" in reply and "JATKA 30" in reply
    assert messages.sms_segments(reply) <= messages.MAX_SEGMENTS_WITH_LINKS


def test_the_payment_confirmation_carries_the_manage_link_the_receipt_and_the_commands(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    token = pay_token(phone.send("ABC-123 101 2h"))
    client.post(f"/demo-pay/{token}")

    (confirmed,) = texts(app, "payment_confirmed")

    assert f"{PUBLIC_BASE_URL}/o/{manage_token_of_last_order(app)}" in confirmed
    assert f"{PUBLIC_BASE_URL}/r/{token}" in confirmed
    assert "LOPETA" in confirmed and "JATKA 30" in confirmed and "12.00" in confirmed
    assert messages.sms_segments(confirmed) <= messages.MAX_SEGMENTS_WITH_LINKS


def test_a_web_form_parking_paid_later_is_confirmed_with_its_links(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    with app.app_context():
        k = _kanava(app)
        session = db.session()
        customer = customers.get_or_create(session, "+358401234567", clock())
        zone = zones.find(session, "101")
        assert zone is not None
        started = orders.start_parking(
            session,
            k,
            customer=customer,
            plate="abc-123",
            zone=zone,
            minutes=60,
            channel=Channel.WEB,
            now=clock(),
            language="sv",
        )
        assert started.payment is not None
        token = started.payment.token
        session.commit()
    client.post(f"/demo-pay/{token}")

    (confirmed,) = texts(app, "payment_confirmed")

    assert MANAGE_LINK.search(confirmed)
    assert f"{PUBLIC_BASE_URL}/r/{token}" in confirmed
    assert "SLUTA" in confirmed and "FÖRLÄNG 30" in confirmed


def test_an_open_ended_confirmation_says_how_to_stop_and_no_extend(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    client.post(f"/demo-pay/{pay_token(phone.send('ABC-123 101'))}")

    (confirmed,) = texts(app, "payment_confirmed")

    assert MANAGE_LINK.search(confirmed)
    assert "LOPETA" in confirmed and "JATKA" not in confirmed


# ---- a parking that ended because the car moved names its price (point 10 c) ----------------


def test_an_unpaid_open_ended_parking_replaced_by_a_new_one_names_its_price(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 103")  # until stopped, not paid; 4.20 EUR/h
    clock.now = _at(10, 8)  # within the payment grace; 8 min: 0.56 EUR

    reply = phone.send("ABC-123 102 1h")

    assert "Pysäköinti alueella 103 päättyi" in reply
    assert "0,56 €" in reply
    with app.app_context():
        moved = db.session.scalars(select(Order).order_by(Order.id)).first()
        assert moved is not None and moved.amount_cents == 56
        assert orders.debt_cents(moved) == 56


def test_a_replaced_parking_below_the_minimum_says_it_is_not_charged(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101")
    clock.now = _at(10, 3)  # 3 min: 0.12 EUR, below the 0.50 EUR minimum

    reply = phone.send("ABC-123 102 1h")

    assert "0,12 €" in reply and "ei veloiteta" in reply
    with app.app_context():
        moved = db.session.scalars(select(Order).order_by(Order.id)).first()
        assert moved is not None and moved.amount_cents == 12
        assert orders.debt_cents(moved) == 0


def test_a_web_form_parking_with_nothing_to_pay_can_be_confirmed_by_sms(
    app: Flask, clock: Clock
) -> None:
    clock.now = _at(19, 0)  # free in 101
    with app.app_context():
        k = _kanava(app)
        session = db.session()
        customer = customers.get_or_create(session, "+358401234567", clock())
        zone = zones.find(session, "101")
        assert zone is not None
        started = orders.start_parking(
            session,
            k,
            customer=customer,
            plate="abc-123",
            zone=zone,
            minutes=60,
            channel=Channel.WEB,
            now=clock(),
            language="fi",
        )
        assert started.payment is None
        notifications.queue_parking_confirmation(
            session, k, started.order, now=clock(), purpose="web_confirmation"
        )
        session.commit()

    (confirmed,) = texts(app, "web_confirmation")

    assert MANAGE_LINK.search(confirmed) and "maksutonta" in confirmed
    assert "LOPETA" in confirmed and "JATKA 30" in confirmed
