"""Concurrent webhook deliveries on PostgreSQL, through a real threaded HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Customer, Event, EventKind, Order, WebhookReceipt
from tests.conftest import PUBLIC_BASE_URL, Phone, sign, twiml_messages

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
def server_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _deliver_all_at_once(url: str, deliveries: list[dict[str, str]]) -> list[requests.Response]:
    barrier = threading.Barrier(len(deliveries))

    def deliver(params: dict[str, str]) -> requests.Response:
        signature = sign(PUBLIC_BASE_URL + "/twilio/sms", params)
        barrier.wait(timeout=10)
        return requests.post(
            url + "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )

    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        return list(pool.map(deliver, deliveries))


def test_twenty_concurrent_deliveries_of_one_message_sid_park_once(
    app: Flask, server_url: str, phone: Phone
) -> None:
    params = phone.params("ABC-123 101 1h", sid="SM" + "c" * 32)

    responses = _deliver_all_at_once(server_url, [dict(params) for _ in range(20)])

    assert [r.status_code for r in responses] == [200] * 20
    replies = {tuple(twiml_messages(r.text)) for r in responses}
    assert len(replies) == 1, replies
    (reply,) = replies
    assert "ABC-123" in reply[0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(func.count()).select_from(WebhookReceipt)) == 1
        assert (
            db.session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == EventKind.MESSAGE_IN)
            )
            == 1
        )
        assert (
            db.session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == EventKind.MESSAGE_OUT)
            )
            == 1
        )


def test_twenty_drivers_texting_at_once_all_park(app: Flask, server_url: str, phone: Phone) -> None:
    deliveries = []
    for i in range(20):
        driver = Phone(phone.client, number=f"+35840{1000000 + i}")
        deliveries.append(driver.params(f"ABC-{100 + i} 101 2h"))

    responses = _deliver_all_at_once(server_url, deliveries)

    assert [r.status_code for r in responses] == [200] * 20
    for i, response in enumerate(responses):
        assert f"ABC-{100 + i}" in twiml_messages(response.text)[0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 20
        plates = set(db.session.scalars(select(Order.plate_key)))
        assert plates == {f"ABC{100 + i}" for i in range(20)}


def test_one_driver_texting_twice_at_once_gets_one_parking(
    app: Flask, server_url: str, phone: Phone
) -> None:
    deliveries = [phone.params("ABC-123 101 1h") for _ in range(5)]  # five different sids

    responses = _deliver_all_at_once(server_url, deliveries)

    assert [r.status_code for r in responses] == [200] * 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
