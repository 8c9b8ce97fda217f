"""A plate whose parking here waits for its payment, started from another phone or
browser (walk-through finding): the form parks nothing and charges nothing, and says what
to do instead of leaving the visitor at a back link: how the parking's own driver pays
it, and at what local time the hold ends and the plate can be parked from the form."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Order, OrderStatus
from tests.channels.test_unpaid_extensions import tick
from tests.channels.test_web_form import submit
from tests.conftest import Clock, Phone


def _visible(client: FlaskClient, location: str) -> str:
    page = client.get(location).get_data(as_text=True)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _orders(app: Flask) -> list[tuple[str, OrderStatus]]:
    with app.app_context():
        return [(o.plate_display, o.status) for o in db.session.scalars(select(Order))]


def test_a_parking_started_by_sms_and_not_paid_yet_says_how_to_pay_it_and_when_it_frees(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 1h")  # Monday 10:00 local: awaiting payment, held 10 min
    asked = submit(client, lang="en", duration="60")
    assert asked.headers["Location"] == "/p/101/parked?plate=ABC123&lang=en"
    page = _visible(client, asked.headers["Location"])
    assert "ABC-123 has a parking here that waits for its payment" in page, page
    assert (
        "It was started in zone 101 at 10:00 from another phone or browser, and the plate is"
        " held for it until 10:10." in page
    )
    assert "Nothing new was parked, and nothing was charged." in page
    assert "pay it with the link in the text message sent to the phone it was started" in page
    assert "text STATUS from that phone to get the link again" in page
    assert (
        "If it is not paid by 10:10, it is cancelled and the plate can be parked here from"
        " then on: come back to this form at 10:10." in page
    )
    assert "more time by text message" not in page and "extend-form" not in page
    assert "Back to the form" in page
    fi = _visible(client, "/p/101/parked?plate=ABC123&lang=fi")
    assert "odottaa maksuaan" in fi and "10.10" in fi.replace(":", ".") and "TILA" in fi, fi
    sv = _visible(client, "/p/101/parked?plate=ABC123&lang=sv")
    assert "väntar på betalning" in sv and "10:10" in sv and "STATUS" in sv, sv
    assert _orders(app) == [("ABC-123", OrderStatus.AWAITING_PAYMENT)]

    # What the page promises holds: TILA from that phone gives the payment link again ...
    assert "/pay/" in phone.send("TILA")
    # ... and once the hold is over (and the clock has cancelled it) the form parks.
    tick(app, clock, 10, 10)
    assert _orders(app) == [("ABC-123", OrderStatus.CANCELLED)]
    again = submit(client, lang="en", duration="60")
    # (its page asks for the payment first: the plate left a parking unpaid just now)
    assert again.headers["Location"].startswith("/o/"), again.headers["Location"]
    assert _orders(app) == [
        ("ABC-123", OrderStatus.CANCELLED),
        ("ABC-123", OrderStatus.AWAITING_PAYMENT),
    ]


def test_a_parking_started_in_another_browser_is_paid_there(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    first = app.test_client()
    assert submit(first, lang="en", duration="30").headers["Location"].startswith("/pay/")
    clock.advance(minutes=3)
    asked = submit(client, lang="en", duration="60")
    page = _visible(client, asked.headers["Location"])
    assert "at 10:00 from another phone or browser" in page and "until 10:10" in page, page
    assert "pay it in the browser where you started it" in page
    assert "text STATUS" not in page
    # that browser is led to its own parking (and its payment)
    own = _visible(first, submit(first, lang="en", duration="60").headers["Location"])
    assert "Open my parking" in own and "waits for its payment" not in own
    assert _orders(app) == [("ABC-123", OrderStatus.AWAITING_PAYMENT)]
