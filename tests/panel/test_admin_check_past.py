"""A plate checked in the zone it left: the ended parking there reads as past, never as
"Until 22:01 / payment free" in the present (round 2, finding 9)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Clock, Phone
from tests.panel.test_admin import ATTENDANT_PASSWORD, make_user, park_and_pay, sign_in
from tests.panel.test_admin_check import check, verdict


def test_the_ended_parking_in_the_zone_it_left_is_not_shown_as_running(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 201 2h")
    clock.advance(minutes=20)
    park_and_pay(phone, client, "ABC-123 202 1h")  # moved: the 201 parking ends now
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    english = verdict(check(client, "ABC-123", "201"))
    assert "Valid in zone 202, not here" in english
    assert "Until" not in english and "Payment" not in english


def test_an_ended_parking_checked_where_it_was_reads_ended_at(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 201 30min")
    clock.advance(minutes=40)
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    english = verdict(check(client, "ABC-123", "201"))
    assert "NOT VALID" in english
    assert "Ended 10:30" in english and "Until" not in english
    finnish = verdict(check(client, "ABC-123", "201", lang="fi"))
    assert "Päättyi 10.30" in finnish
