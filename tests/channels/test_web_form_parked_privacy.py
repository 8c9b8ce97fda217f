"""The "already parked" page answers only the browser that just asked for that plate
(round 2, finding 7): anyone else typing the address learns nothing of a plate."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.channels.test_web_form import submit
from tests.conftest import Phone


def test_a_stranger_reading_the_parked_address_learns_nothing(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    phone.send("ABC-123 101 1h")  # parked by SMS, awaiting payment, with a phone number
    for url in ("/p/101/parked?plate=ABC123&lang=en", "/p/101/parked?plate=ABC123&extended=1"):
        response = client.get(url)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/p/101")
        assert "/parked" not in response.headers["Location"]
        assert "ABC-123" not in response.get_data(as_text=True)


def test_the_browser_that_asked_for_the_plate_gets_the_answer(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    phone.send("ABC-123 101 1h")
    asked = submit(client, lang="en", duration="60")
    assert asked.headers["Location"] == "/p/101/parked?plate=ABC123&lang=en"
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "ABC-123 has a parking here that waits for its payment" in page
    # The same browser asking about another plate, or about it in another zone, gets nothing.
    assert client.get("/p/101/parked?plate=XYZ789&lang=en").status_code == 303
    assert client.get("/p/102/parked?plate=ABC123&lang=en").status_code in (303, 404)
