"""A call cannot park a plate someone else has validly parked in the zone (the SMS rule)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order
from tests.channels.voice_caller import Call
from tests.conftest import PUBLIC_BASE_URL, Clock, Phone

PAY_LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"/pay/([A-Za-z0-9_-]+)")


def test_a_caller_parking_a_plate_parked_there_by_another_phone_parks_nothing(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    match = PAY_LINK.search(phone.send("XYZ-123 101 2h"))
    assert match
    assert client.post(f"/demo-pay/{match.group(1)}").status_code == 303
    clock.advance(minutes=5)

    call = Call(client, number="+447911123456")
    call.start()
    call.press("1")
    call.press("101#")
    call.press("1")
    call.say("X Y Z one two three")
    call.press("1")
    call.press("30#")
    answer = call.press("1")

    assert "already parked in zone 101 by someone else, until 12:00" in answer
    assert "Nothing new was parked." in answer
    assert phone.number not in answer
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
