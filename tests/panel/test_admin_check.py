"""The panel's plate check beyond yes or no: a car validly parked in the next zone, free
parkings, parkings that owe money, all in the attendant's language."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Payment, PlateCheckLog
from tests.conftest import Clock, Phone
from tests.panel.test_admin import (
    ATTENDANT_PASSWORD,
    make_user,
    park_and_pay,
    sign_in,
    token_of,
)


def check(client: FlaskClient, plate: str, zone: str = "", lang: str = "en") -> str:
    response = client.post(
        f"/admin/?lang={lang}", data={"csrf_token": token_of(client), "plate": plate, "zone": zone}
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def verdict(page: str) -> str:
    match = re.search(r'<section class="verdict.*?</section>', page, re.DOTALL)
    assert match, "no verdict on the page"
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_plate_parked_in_the_next_zone_reads_valid_there_not_here(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 202 2h")
    clock.advance(minutes=20)
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    english = verdict(check(client, "abc 123", "201"))
    assert "NOT VALID" in english
    assert "Valid in zone 202, not here, until 12:00" in english
    assert "No parking found" not in english
    finnish = verdict(check(client, "ABC123", "201", lang="fi"))
    assert "Voimassa alueella 202, ei täällä, klo 12.00 asti" in finnish
    swedish = verdict(check(client, "ABC123", "201", lang="sv"))
    assert "Giltig i zon 202, inte här, till kl. 12:00" in swedish
    with app.app_context():
        logged = db.session.scalars(select(PlateCheckLog)).all()
        assert len(logged) == 3 and all(c.zone_code == "201" and not c.valid for c in logged)


def test_free_parking_is_called_free_with_the_time_it_stays_free(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    clock.set_local(2026, 11, 23, 19, 0)  # Monday evening: zone 101 is free until 08:00
    reply = phone.send("ABC-123 101 2h")
    assert "/pay/" not in reply
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    english = verdict(check(client, "ABC-123", "101"))
    assert "VALID" in english and "paid" not in english.lower()
    assert "free" in english
    finnish = verdict(check(client, "ABC-123", "101", lang="fi"))
    assert "maksuton" in finnish and "maksettu" not in finnish


def test_parking_in_free_time_says_until_when_it_is_free(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    clock.set_local(2026, 11, 23, 22, 30)  # zone 103 is free from 22:00 until 07:00
    phone.send("XYZ-987 103 10h")  # until 08:30: 1.5 paid hours at 4.20 €/h
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    english = verdict(check(client, "XYZ-987", "103"))
    assert "awaiting payment: €6.30" in english
    assert "free until 07:00 (24.11.)" in english
    finnish = verdict(check(client, "XYZ-987", "103", lang="fi"))
    assert "maksuton 7.00 (24.11.) asti" in finnish


def test_parking_awaiting_payment_names_the_amount_owed(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    english = verdict(check(client, "ABC-123", "101"))
    assert "awaiting payment: €4.80" in english
    finnish = verdict(check(client, "ABC-123", "101", lang="fi"))
    assert "odottaa maksua: 4,80\xa0€" in finnish


def test_an_unpaid_extension_reads_paid_until_and_owed_on_check_board_and_timeline(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 2h")  # 10:00-12:00, paid
    clock.advance(minutes=20)
    assert "/pay/" in phone.send("JATKA 30")  # until 12:30, 1.20 € not paid
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    owed = "paid until 12:00; extension until 12:30 not paid: €1.20"

    english = verdict(check(client, "ABC-123", "101"))
    assert owed in english and "Until 12:00" in english
    board = client.get("/admin/zones/101/board?lang=en").get_data(as_text=True)
    assert owed in board
    timeline = client.get("/admin/timeline?q=ABC-123&lang=en").get_data(as_text=True)
    assert owed in timeline
    finnish = verdict(check(client, "ABC-123", "101", lang="fi"))
    assert "maksettu 12.00 asti; jatkoa 12.30 asti ei maksettu: 1,20\xa0€" in finnish


def test_a_parking_until_stopped_not_paid_yet_owes_nothing_but_a_card_hold(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101")  # until stopped: the link holds the card, nothing is owed yet
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    with app.app_context():
        (payment,) = db.session.scalars(select(Payment)).all()
        hold = f"€{payment.amount_cents // 100}.{payment.amount_cents % 100:02d}"

    english = verdict(check(client, "ABC-123", "101"))

    assert f"awaiting payment: card hold of up to {hold}" in english
    assert f"awaiting payment: {hold}" not in english
