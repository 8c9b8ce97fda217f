"""Floods (issue 14): a number gets at most REPLY_CAP_PER_HOUR replies an hour, then one
notice and silence, its messages still recorded; an address gets so many web form posts,
sign-ins and API requests a minute, then 429 with a plain message in its language."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Event, EventKind
from tests.conftest import Clock, Phone


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "reply_cap_per_hour": 3,
        "form_posts_per_minute": 2,
        "signin_per_minute": 2,
        "api_per_minute": 3,
    }


def _inbound(app: Flask) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == EventKind.MESSAGE_IN)
            )
            or 0
        )


def test_replies_stop_after_the_cap_with_one_notice_and_resume_after_the_hour(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    answers = [phone.send("OHJE") for _ in range(3)]
    assert all(answers)
    notice = phone.send("OHJE")
    assert "tunnin" in notice  # one notice, in the sender's language
    assert phone.send("OHJE") == ""
    assert phone.send("ABC-123 101") == ""
    assert _inbound(app) == 6  # every message is still recorded
    other = Phone(phone.client, number="+358409999999")
    assert other.send("HELP")  # the cap is per number
    clock.advance(minutes=61)
    assert phone.send("OHJE")


def test_the_message_beyond_the_cap_is_still_carried_out(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    for _ in range(5):
        phone.send("OHJE")
    assert phone.send("ABC-123 101 1h") == ""
    clock.advance(minutes=61)
    assert "ABC-123" in phone.send("TILA")


def _csrf(page: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_web_form_posts_beyond_the_limit_get_429_in_the_visitors_language(
    client: FlaskClient, clock: Clock
) -> None:
    token = _csrf(client.get("/p/101?lang=en").get_data(as_text=True))
    data = {"csrf_token": token, "plate": "x", "duration": "60"}
    for _ in range(2):
        assert client.post("/p/101?lang=en", data=data).status_code != 429
    refused = client.post("/p/101?lang=en", data=data)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many requests" in refused.get_data(as_text=True)
    fi = client.post("/p/101?lang=fi", data=data)
    assert fi.status_code == 429 and "Liian monta" in fi.get_data(as_text=True)
    # Another address is not limited, and the limit lifts after the minute.
    other = client.post("/p/101?lang=en", data=data, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code != 429
    clock.advance(minutes=1)
    assert client.post("/p/101?lang=en", data=data).status_code != 429


def test_sign_in_attempts_beyond_the_limit_get_429(client: FlaskClient) -> None:
    for _ in range(2):
        page = client.get("/admin/login").get_data(as_text=True)
        response = client.post(
            "/admin/login", data={"csrf_token": _csrf(page), "name": "x", "password": "y"}
        )
        assert response.status_code != 429
    page = client.get("/admin/login").get_data(as_text=True)
    refused = client.post(
        "/admin/login", data={"csrf_token": _csrf(page), "name": "x", "password": "y"}
    )
    assert refused.status_code == 429


def test_api_requests_beyond_the_limit_get_429_in_json(client: FlaskClient, api_token: str) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    for _ in range(3):
        assert client.get("/api/v1/plates/ABC-123", headers=headers).status_code == 200
    refused = client.get("/api/v1/plates/ABC-123", headers=headers)
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "too_many_requests"}
    assert refused.headers["Retry-After"]
