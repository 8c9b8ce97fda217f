"""A phone number typed on the web form: the first text to a number that has never
texted or called the service says where it came from and how to opt out (round 2,
policy decision 3)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import OutboundMessage
from app.texts import messages
from tests.channels.test_web_form import csrf_token
from tests.conftest import Clock, Phone


def park_free(client: FlaskClient, plate: str, phone: str = "040 123 4567") -> None:
    page = client.get("/p/101?lang=fi").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "plate": plate, "duration": "60", "phone": phone}
    assert client.post("/p/101?lang=fi", data=data).status_code == 303


def sent(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (m.purpose, m.body)
            for m in db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        ]


def test_the_first_text_to_a_typed_number_says_where_it_came_from_and_how_to_opt_out(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    clock.set_local(2026, 11, 23, 19, 0)  # zone 101 is free until 08:00: confirmed at once
    park_free(client, "abc-123")
    (purpose, intro_body), (confirmation, _) = sent(app)
    assert (purpose, confirmation) == ("web_introduction", "web_confirmation")
    assert "verkkolomakkeella" in intro_body and "ABC-123" in intro_body
    assert "STOP" in intro_body
    assert messages.sms_segments(intro_body) <= messages.MAX_SEGMENTS

    # The number now has had a text: a second parking from the form is only confirmed.
    clock.advance(minutes=5)
    park_free(client, "xyz-789")
    assert [purpose for purpose, _ in sent(app)][2:] == ["web_confirmation"]


def test_a_number_that_has_texted_the_service_gets_no_introduction(
    app: Flask, client: FlaskClient, clock: Clock, phone: Phone
) -> None:
    clock.set_local(2026, 11, 23, 19, 0)
    phone.send("KIELI FI")
    park_free(client, "abc-123", phone=phone.number)
    assert not any("verkkolomakkeella" in body for _, body in sent(app))
