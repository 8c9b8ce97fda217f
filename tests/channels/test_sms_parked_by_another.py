"""A plate already parked in a zone by someone else is not parked there again by SMS.

The web form refuses a plate validly parked in the zone by anyone; an SMS from another
phone used to make a second parking and a second payment for the same car. The reply
says until when the plate is parked, never whose number parked it, and what the sender
can do. Runs on SQLite and on PostgreSQL through the signed webhook.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, OrderStatus, Zone
from app.usecases import web_form
from tests.conftest import PUBLIC_BASE_URL, Clock, Phone

OTHER_NUMBER = "+358401110005"
PAY_LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"/pay/([A-Za-z0-9_-]+)")


def pay_token(reply: str) -> str:
    match = PAY_LINK.search(reply)
    assert match, f"no payment link in {reply!r}"
    return match.group(1)


def pay(client: FlaskClient, token: str) -> None:
    assert client.post(f"/demo-pay/{token}").status_code == 303


def orders_in_db(app: Flask) -> list[Order]:
    with app.app_context():
        return list(db.session.scalars(select(Order).order_by(Order.id)))


def order_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Order)) or 0)


def test_a_second_phone_parking_the_same_plate_in_the_same_zone_parks_nothing(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, pay_token(phone.send("DUP-111 101 2h")))
    clock.advance(minutes=5)
    other = Phone(client, number=OTHER_NUMBER)

    reply = other.send("DUP-111 101 1h")

    assert "DUP-111 on jo pysäköitynä alueella 101 12.00 asti toisesta numerosta." in reply
    assert "Uutta pysäköintiä ei tehty." in reply
    assert "Pyydä pysäköijää jatkamaan" in reply
    assert "/pay/" not in reply
    assert phone.number not in reply and "1234567" not in reply
    (order,) = orders_in_db(app)
    assert order.status is OrderStatus.ACTIVE


def test_an_unpaid_parking_of_another_phone_is_refused_too_in_english(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("DUP-111 101 2h")  # waiting for its payment
    clock.advance(minutes=2)
    other = Phone(client, number="+447911123456")

    reply = other.send("park DUP-111 in 101 for 1 hour")

    # valid while its payment is awaited: the grace of 10 minutes
    assert "DUP-111 is already parked in zone 101 until 10:10, from another number." in reply
    assert "Nothing new was parked." in reply
    assert "Ask the one who parked it to add time, or wait until it ends." in reply
    assert order_count(app) == 1


def test_a_paid_parking_until_stopped_is_named_so(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, pay_token(phone.send("DUP-111 101")))
    clock.advance(minutes=5)
    other = Phone(client, number=OTHER_NUMBER)

    reply = other.send("DUP-111 101 1h")

    assert (
        "DUP-111 on jo pysäköitynä alueella 101 toisesta numerosta, kunnes pysäköinti "
        "lopetetaan." in reply
    )
    assert order_count(app) == 1


def test_texting_only_the_zone_does_not_park_the_usual_car_parked_there_by_another_phone(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    other = Phone(client, number=OTHER_NUMBER)
    other.send("ABC-123 102 1h")
    clock.advance(minutes=10)
    other.send("LOPETA")  # ABC-123 is the other phone's usual car
    clock.advance(minutes=10)
    pay(client, pay_token(phone.send("ABC-123 101 2h")))
    clock.advance(minutes=5)

    reply = other.send("101")

    assert "ABC-123 on jo pysäköitynä alueella 101" in reply
    assert "Uutta pysäköintiä ei tehty." in reply
    live = [o for o in orders_in_db(app) if o.status is OrderStatus.ACTIVE]
    assert len(live) == 1


def test_a_paid_web_parking_without_a_number_is_offered_more_time_on_the_web(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    with app.app_context():
        zone = db.session.scalar(select(Zone).where(Zone.code == "101"))
        assert zone is not None
        kanava = app.extensions["kanava"]
        parked = web_form.park_from_form(
            db.session,
            kanava,
            zone=zone,
            plate="WEB-222",
            minutes=60,
            phone=None,
            language="fi",
            now=clock(),
        )
        assert parked.payment is not None
        token = parked.payment.token
    pay(client, token)
    clock.advance(minutes=5)

    reply = phone.send("WEB-222 101 2h")

    assert "WEB-222 on jo pysäköitynä alueella 101 11.00 asti verkossa." in reply
    assert f"Lisää sille aikaa verkossa: {PUBLIC_BASE_URL}/p/101" in reply
    assert order_count(app) == 1


def test_the_plate_can_be_parked_again_once_the_other_parking_has_ended(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, pay_token(phone.send("DUP-111 101 30 min")))
    clock.advance(minutes=31)
    other = Phone(client, number=OTHER_NUMBER)

    reply = other.send("DUP-111 101 1h")

    assert "Pysäköinti alkoi: DUP-111, alue 101" in reply
    assert order_count(app) == 2
