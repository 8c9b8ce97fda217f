"""The last space, raced for on PostgreSQL: 50 booking requests at the same moment, SMS
(signed webhook requests through a real threaded HTTP server) and the web-side use case
mixed, from threads, make exactly one booking; every other one is told it is full."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app.backend import zones
from app.backend.orders import OrderError
from app.domain.booking_policy import Interval
from app.extensions import db
from app.models import Order, OrderKind
from app.usecases import web_bookings
from tests.conftest import HELSINKI, SERVICE_NUMBER, Clock, sign, twiml_messages

pytestmark = pytest.mark.postgres

REQUESTS = 50
LAST_SPACE = {
    "code": "G1",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 3,
    "booking_hours": {"mon-sun": "06:00-23:00"},
}


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"public_base_url": "http://127.0.0.1"}


@pytest.fixture
def server_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _sms(server_url: str, n: int) -> str:
    params = {
        "MessageSid": f"SM{n:032x}",
        "AccountSid": "AC" + "0" * 32,
        "From": f"+35840{n:07d}",
        "To": SERVICE_NUMBER,
        "Body": f"BOOK G1 tomorrow 10-12 RAC-{n}",
        "NumMedia": "0",
    }
    signature = sign("http://127.0.0.1/twilio/sms", params)
    response = requests.post(
        f"{server_url}/twilio/sms",
        data=params,
        headers={"X-Twilio-Signature": signature},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return "\n".join(twiml_messages(response.text))


def _web(app: Flask, clock: Clock, n: int) -> str:
    window = Interval(
        datetime(2026, 11, 24, 10, tzinfo=HELSINKI), datetime(2026, 11, 24, 12, tzinfo=HELSINKI)
    )
    with app.app_context():
        try:
            made = web_bookings.book(
                db.session,
                app.extensions["kanava"],
                zone_code="G1",
                window=window,
                plate=f"WEB-{n}",
                phone=f"+35850{n:07d}",
                language="en",
                now=clock(),
            )
            return f"booked {made.order.booking_ref}"
        except OrderError as error:
            return error.code
        finally:
            db.session.remove()


def test_fifty_requests_for_the_last_space_make_exactly_one_booking(
    app: Flask, clock: Clock, server_url: str
) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [LAST_SPACE]}, clock())
        db.session.commit()
    # Two of the three spaces are taken already: one is left.
    for n in (1000, 1001):
        assert _web(app, clock, n).startswith("booked")

    barrier = threading.Barrier(REQUESTS)

    def race(n: int) -> str:
        barrier.wait(timeout=30)
        return _sms(server_url, n) if n % 2 else _web(app, clock, n)

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(race, range(REQUESTS)))

    won = [a for a in answers if a.startswith("booked") or a.startswith("Booking ")]
    assert len(won) == 1, answers
    full = [a for a in answers if a == "full" or "is fully booked" in a]
    assert len(full) == REQUESTS - 1, answers
    with app.app_context():
        live = db.session.scalars(select(Order).where(Order.kind == OrderKind.BOOKING)).all()
        assert len(live) == 3
