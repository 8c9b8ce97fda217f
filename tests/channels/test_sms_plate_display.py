"""A Finnish plate is written ABC-126 however the driver typed it (``ABC 126``,
``abc126``): in the reply, in STATUS, on the handheld and in the panel, in every
language. Any other plate keeps the driver's spelling, upper case. Through the signed
SMS webhook; the database holds the same display form (the key is unchanged).
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Order, Vehicle
from tests.channels.test_sms_conversation import SWEDISH_NUMBER, UK_NUMBER
from tests.conftest import Clock, Phone
from tests.panel.test_admin import ADMIN_PASSWORD, make_user, sign_in

NUMBERS = {"fi": "+358401234567", "sv": SWEDISH_NUMBER, "en": UK_NUMBER}
STATUS = {"fi": "TILA", "sv": "STATUS", "en": "STATUS"}
IN_ZONE = {"fi": "ABC-126, alue 101", "sv": "ABC-126, zon 101", "en": "ABC-126 in zone 101"}


def _stored(app: Flask) -> tuple[str, str, str]:
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        vehicle = db.session.scalars(select(Vehicle)).one()
        return order.plate_display, order.plate_key, vehicle.plate_display


@pytest.mark.parametrize("typed", ["ABC 126", "abc126", "abc-126", " Abc  126 "])
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_a_finnish_plate_is_answered_as_abc_126_however_typed(
    app: Flask, client: FlaskClient, api_token: str, lang: str, typed: str
) -> None:
    driver = Phone(client, number=NUMBERS[lang])

    reply = driver.send(f"{typed} 101 1h")

    assert IN_ZONE[lang] in reply, reply
    assert typed.strip() not in reply or typed.strip() == "ABC-126"
    assert _stored(app) == ("ABC-126", "ABC126", "ABC-126")
    status = driver.send(STATUS[lang])
    assert status.startswith("ABC-126 ")
    handheld = client.get(
        "/api/v1/plates/abc%20126?zone=101", headers={"Authorization": f"Bearer {api_token}"}
    ).get_json()
    assert handheld["plate"] == "ABC-126"


def test_the_panel_lists_the_parking_as_abc_126(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("abc 126 101")
    make_user(app, clock, "admin", "admin", ADMIN_PASSWORD)
    assert sign_in(client, "admin", ADMIN_PASSWORD) == 302

    page = client.get("/admin/timeline?lang=en&q=abc%20126").get_data(as_text=True)

    assert "ABC-126" in page
    assert "ABC 126" not in page  # only the driver's own message says "abc 126"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("cd 1234", "CD 1234"),  # diplomatic
        ("abc 12d", "ABC 12D"),  # Swedish
        ("ab 12345", "AB 12345"),  # Norwegian
    ],
)
def test_another_plate_keeps_its_spelling_in_upper_case(
    app: Flask, phone: Phone, typed: str, shown: str
) -> None:
    reply = phone.send(f"{typed} 101 1h")

    assert f"{shown}, alue 101" in reply, reply
    plate, _key, vehicle_plate = _stored(app)
    assert plate == vehicle_plate == shown
