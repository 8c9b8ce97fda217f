"""A bookable zone's sign leads to /book/<zone>: from there a driver can also park now, the
parking form of a bookable zone offers booking, and /book/<zone> of a zone that exists but
is not bookable says so and leads to its parking form and to the bookable zones."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.backend import zones
from app.extensions import db
from tests.conftest import Clock

GARAGE = {
    "code": "G1",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 1,
    "booking_hours": {"mon-sun": "06:00-23:00"},
}


@pytest.fixture(autouse=True)
def garage(app: Flask, clock: Clock) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()


def test_the_booking_page_of_a_zone_links_parking_now(client: FlaskClient) -> None:
    html = client.get("/book/G1?lang=en").get_data(as_text=True)

    assert 'href="/p/G1?lang=en"' in html
    assert "Park now instead" in html


def test_the_parking_form_of_a_bookable_zone_links_booking(client: FlaskClient) -> None:
    html = client.get("/p/G1?lang=en").get_data(as_text=True)

    assert 'href="/book/G1?lang=en"' in html
    assert "Book a time" in html


def test_the_parking_form_of_a_zone_that_is_not_bookable_does_not_offer_booking(
    client: FlaskClient,
) -> None:
    html = client.get("/p/101?lang=en").get_data(as_text=True)

    assert "/book/101" not in html
    assert "Book a time" not in html


def test_booking_a_zone_that_is_not_bookable_says_so_and_leads_to_parking(
    client: FlaskClient,
) -> None:
    response = client.get("/book/101?lang=fi")
    html = response.get_data(as_text=True)

    assert response.status_code == 404
    assert "Aluetta 101 ei voi varata." in html
    assert "ei ole" not in html.split("Aluetta 101 ei voi varata.")[0].split("<main")[-1]
    assert 'href="/p/101?lang=fi"' in html
    assert 'href="/book?lang=fi"' in html


def test_a_zone_that_does_not_exist_is_still_not_found(client: FlaskClient) -> None:
    response = client.get("/book/ZZZ?lang=en")

    assert response.status_code == 404
    assert "/p/ZZZ" not in response.get_data(as_text=True)
