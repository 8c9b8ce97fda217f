"""The payment grace is for drivers in good standing (``orders.in_good_standing``).

A phone or a plate that left a parking unpaid in the last 24 hours (cancelled for not
being paid, an extension lapsed unpaid, or a debt the provider could be asked for still
open) gets no grace: its new parking is not valid until paid. The handheld says so, the
reply says why and gives the link. A driver in good standing still gets the grace.

Zone 101 costs 2.40 EUR/h; the clock starts on Monday 23 November 2026 at 10:00 in
Helsinki; the payment grace is 10 minutes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import Order, OrderStatus
from tests.channels.test_web_form import submit
from tests.conftest import HELSINKI, Clock, Phone

WHY_FI = "Voimassa vasta maksettuna"


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=HELSINKI)


def tick(app: Flask, clock: Clock, hour: int, minute: int) -> duties.TickReport:
    clock.now = _at(hour, minute)
    with app.app_context():
        k: Kanava = app.extensions["kanava"]
        return duties.run_due(db.session(), k, clock())


def pay_token(reply: str) -> str:
    assert "/pay/" in reply, reply
    return reply.split("/pay/")[1].split()[0].rstrip(".")


def check(client: FlaskClient, token: str, plate: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(
        f"/api/v1/plates/{plate}?zone=101", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    return found


def orders_of(app: Flask) -> list[Order]:
    with app.app_context():
        found = list(db.session.scalars(select(Order).order_by(Order.id)))
        db.session.expunge_all()
        return found


def left_unpaid(app: Flask, phone: Phone, clock: Clock, plate: str = "ABC-123") -> None:
    """10:00 park without paying; the clock cancels it at 10:11."""
    pay_token(phone.send(f"{plate} 101 1h"))
    assert tick(app, clock, 10, 11).cancelled_unpaid == 1
    assert orders_of(app)[0].status is OrderStatus.CANCELLED


def test_sms_a_phone_that_left_a_parking_unpaid_is_valid_only_once_paid(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    left_unpaid(app, phone, clock)
    clock.now = _at(10, 15)

    reply = phone.send("XYZ-789 101 1h")  # another car, the same phone

    assert WHY_FI in reply and "viimeisen vuorokauden" in reply
    token = pay_token(reply)
    assert reply.index(WHY_FI) < reply.index("/pay/"), "why, then the link"
    answer = check(client, api_token, "XYZ-789")
    assert (answer["valid"], answer["status"]) == (False, "awaiting_payment")
    second = orders_of(app)[1]
    assert (second.status, second.grace_withheld) == (OrderStatus.AWAITING_PAYMENT, True)

    client.post(f"/demo-pay/{token}")

    answer = check(client, api_token, "XYZ-789")
    assert (answer["valid"], answer["status"]) == (True, "active")


def test_a_plate_left_unpaid_by_another_phone_gets_no_grace_either(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    left_unpaid(app, phone, clock)
    clock.now = _at(10, 15)

    reply = Phone(client, number="+358409876543").send("ABC-123 101 1h")

    assert WHY_FI in reply
    assert check(client, api_token, "ABC-123")["valid"] is False


def test_web_form_a_plate_left_unpaid_is_told_why_and_not_valid_until_paid(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    left_unpaid(app, phone, clock)
    clock.now = _at(10, 15)

    response = submit(client, lang="fi", duration="60")

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/o/"), "the order's page says why, with the button"
    page = re.sub(r"\s+", " ", client.get(location).get_data(as_text=True))
    assert WHY_FI in page and 'id="pay"' in page
    assert check(client, api_token, "ABC-123")["valid"] is False
    assert orders_of(app)[1].grace_withheld is True


def test_a_driver_in_good_standing_keeps_the_grace(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    client.post(f"/demo-pay/{pay_token(phone.send('ABC-123 101 1h'))}")
    clock.now = _at(10, 30)
    phone.send("LOPETA")
    tick(app, clock, 10, 40)

    reply = phone.send("ABC-123 101 1h")

    assert WHY_FI not in reply
    pay_token(reply)
    answer = check(client, api_token, "ABC-123")
    assert (answer["valid"], answer["status"]) == (True, "awaiting_payment")
    assert orders_of(app)[1].grace_withheld is False


def test_a_parking_left_unpaid_more_than_a_day_ago_is_forgotten(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    left_unpaid(app, phone, clock)
    clock.now = datetime(2026, 11, 24, 10, 12, tzinfo=HELSINKI)

    reply = phone.send("ABC-123 101 1h")

    assert WHY_FI not in reply
    assert check(client, api_token, "ABC-123")["valid"] is True


def test_moving_the_car_within_the_grace_keeps_it(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    """The parking a move ends owes its minutes (0.56 EUR in zone 103), still in its grace."""
    pay_token(phone.send("ABC-123 103 1h"))
    clock.now = _at(10, 8)

    reply = phone.send("ABC-123 101 1h")

    assert WHY_FI not in reply
    assert check(client, api_token, "ABC-123")["valid"] is True
    assert orders_of(app)[1].grace_withheld is False
