"""Two web nodes and two clocks on one PostgreSQL, under mixed load (issue 13, "many nodes").

Each node is what the Procfile runs on one machine: ``web:`` (gunicorn with
``gunicorn.conf.py``, one worker here) and ``clock:`` (``flask scheduler run``, sweeping
every second instead of every 30 s), with an instance directory of its own (the SMS spool is
node-local); the nodes share only the database, the secret key and the webhook token, as
nodes behind a load balancer do. Outbound SMS stay in the local outbox (no Twilio).

From several threads at once: drivers park by signed SMS, each ``MessageSid`` sent to both
nodes at the same moment (Twilio retrying through the load balancer), then some stop on
the other node; handhelds check plates with the API token; browsers fetch the web form
on one node and post it to the other; and parkings come due their reminder while this
goes on. Then the database must hold exactly one order per parked plate and per form, one
inbound record per ``MessageSid``, every answered park, exactly one reminder per parking,
and no SMS queued or sent twice; and no node may have logged an error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, insert, select

from app.backend import tokens
from app.extensions import db
from app.models import (
    Customer,
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    OutboundStatus,
    WebhookReceipt,
    Zone,
)
from tests.conftest import SERVICE_NUMBER, WEBHOOK_TOKEN, sign, twiml_messages
from tests.integration.test_web_form_concurrency import _hidden

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent.parent
# The load balancer's address: what Twilio signs against and what the SMS links name.
PUBLIC_BASE_URL = "http://lb.kanava.test"
SECRET_KEY = "two-nodes-secret-" + "z" * 20
DRIVERS = 12  # SMS drivers; every other one stops afterwards
FORMS = 6  # web form parkings
CHECKS = 16  # handheld plate checks
DUE_NOW = 15  # parkings due their reminder when the clocks start
DUE_SOON = 15  # ... and ones that come due while the load runs
SETTLE_SECONDS = 90  # the most the clocks get to finish their sweeps (never reached)


@pytest.fixture
def backend() -> str:
    return "postgres"


@dataclass
class Node:
    """One machine: its gunicorn and its clock, and its own instance directory."""

    name: str
    url: str
    web: subprocess.Popen[bytes]
    clock: subprocess.Popen[bytes]
    logs: Path


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "STRIPE_"))}
    env.update(
        FLASK_APP="wsgi",
        KANAVA_ENV="development",
        DATABASE_URL=database_url,
        KANAVA_INSTANCE_PATH=str(instance),
        SECRET_KEY=SECRET_KEY,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        SERVICE_NUMBER=SERVICE_NUMBER,
        REMINDER_LEAD_MINUTES="10",
        WEB_CONCURRENCY="1",
        # Every request comes from loopback: per-address limits would answer 429.
        FORM_POSTS_PER_MINUTE="0",
        SIGNIN_PER_MINUTE="0",
        API_PER_MINUTE="0",
    )
    return env


def _start_node(name: str, database_url: str, base: Path) -> Node:
    instance = base / name / "instance"
    instance.mkdir(parents=True)
    # The webhook token every node checks signatures with (Twilio's auth token in production).
    (instance / "simulator_token").write_text(WEBHOOK_TOKEN)
    env = _env(database_url, instance)
    port = _free_port()
    logs = base / name
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:app",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=(logs / "web.out").open("wb"),
        stderr=(logs / "web.err").open("wb"),
        start_new_session=True,
    )
    clock = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run", "--interval", "1"],
        cwd=ROOT,
        env=env,
        stdout=(logs / "clock.out").open("wb"),
        stderr=(logs / "clock.err").open("wb"),
        start_new_session=True,
    )
    return Node(name, f"http://127.0.0.1:{port}", web, clock, logs)


def _wait_until_up(node: Node, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert node.web.poll() is None, (node.logs / "web.err").read_text()[-3000:]
        try:
            if requests.get(node.url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"node {node.name} did not answer /healthz")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def nodes(app: Flask, tmp_path: Path) -> Iterator[list[Node]]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    started: list[Node] = []
    try:
        for name in ("a", "b"):
            started.append(_start_node(name, url, tmp_path))
        for node in started:
            _wait_until_up(node)
        yield started
    finally:
        for node in started:
            _stop(node.web)
            _stop(node.clock)


def _parkings_due(app: Flask, now: datetime) -> list[int]:
    """``DUE_NOW`` paid parkings due their reminder now and ``DUE_SOON`` that come due
    over the next seconds (their ends 10 minutes and 1 to 8 seconds ahead), each by its
    own driver; returns their ids."""
    ends = [now + timedelta(minutes=5)] * DUE_NOW + [
        now + timedelta(minutes=10, seconds=1 + i % 8) for i in range(DUE_SOON)
    ]
    phones = [f"+35846{i:07d}" for i in range(len(ends))]
    with app.app_context():
        zone_id = db.session.scalar(select(Zone.id).where(Zone.code == "101"))
        db.session.execute(insert(Customer), [{"phone": p, "created_at": now} for p in phones])
        customer = dict(db.session.execute(select(Customer.phone, Customer.id)).all())
        ids = db.session.scalars(
            insert(Order).returning(Order.id),
            [
                {
                    "kind": "parking",
                    "status": "active",
                    "channel": "sms",
                    "customer_id": customer[phone],
                    "zone_id": zone_id,
                    "plate_key": f"DUE{i}",
                    "plate_display": f"DUE-{i}",
                    "starts_at": now - timedelta(hours=1),
                    "ends_at": end,
                    "open_ended": False,
                    "amount_cents": 240,
                    "currency": "EUR",
                    "language": "fi",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, (phone, end) in enumerate(zip(phones, ends, strict=True))
            ],
        ).all()
        db.session.commit()
        return list(ids)


def _handheld_token(app: Flask) -> str:
    with app.app_context():
        token = tokens.create_token(db.session(), "handheld-two-nodes", datetime.now(UTC))
        db.session.commit()
        return token


def _sms(node: Node, sender: str, body: str, sid: str) -> requests.Response:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": SERVICE_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    signature = sign(PUBLIC_BASE_URL + "/twilio/sms", params)
    return requests.post(
        node.url + "/twilio/sms",
        data=params,
        headers={"X-Twilio-Signature": signature},
        timeout=60,
    )


def _reply(response: requests.Response) -> str:
    assert response.status_code == 200, response.text[:500]
    return "\n".join(twiml_messages(response.text))


@dataclass
class Outcome:
    """What the load saw: the SMS parks answered 200 (sid, plate), and every reply."""

    parked: list[tuple[str, str]]
    stopped: list[str]
    forms: list[str]
    checks: int


def _sid(n: int, kind: str) -> str:
    return f"SM{kind}{n:030x}"[:34]


def _driver(a: Node, b: Node, pool: ThreadPoolExecutor, i: int) -> tuple[str, str, str | None]:
    """Park by SMS, the same ``MessageSid`` through both nodes at once; every other
    driver then stops on the node the park did not go to first."""
    sender, plate, sid = f"+35840{i:07d}", f"TWO-{i:03d}", _sid(i, "aa")
    first, second = (a, b) if i % 2 else (b, a)
    # Twilio's retry of one message, through the load balancer to the other node at once.
    sent = [pool.submit(_sms, node, sender, f"{plate} 101 1h", sid) for node in (first, second)]
    replies = [f.result() for f in sent]
    texts = [_reply(r) for r in replies]
    assert texts[0] == texts[1], texts  # the retry is answered with the first reply
    assert plate in texts[0]
    if i % 2:
        return sid, plate, None
    stop_sid = _sid(i, "bb")
    stopped = _reply(_sms(second, sender, "LOPETA", stop_sid))
    assert stopped
    return sid, plate, stop_sid


def _web_form(a: Node, b: Node, i: int) -> str:
    """A browser that got the form from one node posts it to the other (stateless nodes:
    the session and CSRF token are signed with the shared secret key)."""
    plate = f"WEB-{i:03d}"
    browser = requests.Session()
    page = browser.get(f"{a.url}/p/101?lang=en", timeout=60).text
    form = {
        "csrf_token": _hidden(page, "csrf_token"),
        "key": _hidden(page, "key"),
        "plate": plate,
        "duration": "60",
    }
    posted = browser.post(f"{b.url}/p/101?lang=en", data=form, allow_redirects=False, timeout=60)
    assert posted.status_code == 303, posted.text[:800]
    again = browser.post(f"{a.url}/p/101?lang=en", data=form, allow_redirects=False, timeout=60)
    assert again.status_code == 303 and again.headers["Location"] == posted.headers["Location"]
    return plate


def _check(node: Node, token: str, plate: str) -> dict[str, Any]:
    response = requests.get(
        f"{node.url}/api/v1/plates/{plate}",
        params={"zone": "101"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text[:500]
    data: dict[str, Any] = response.json()
    return data


def _mixed_load(a: Node, b: Node, token: str) -> Outcome:
    with ThreadPoolExecutor(8) as outer, ThreadPoolExecutor(8) as inner:
        work: list[tuple[str, Future[Any]]] = []
        for i in range(max(DRIVERS, FORMS, CHECKS)):
            if i < DRIVERS:
                work.append(("sms", outer.submit(_driver, a, b, inner, i)))
            if i < FORMS:
                work.append(("web", outer.submit(_web_form, a, b, i)))
            if i < CHECKS:
                node = (a, b)[i % 2]
                work.append(("check", outer.submit(_check, node, token, f"TWO-{i % DRIVERS:03d}")))
        outcome = Outcome(parked=[], stopped=[], forms=[], checks=0)
        for kind, future in work:
            result = future.result()
            if kind == "sms":
                sid, plate, stop_sid = result
                outcome.parked.append((sid, plate))
                if stop_sid:
                    outcome.stopped.append(stop_sid)
            elif kind == "web":
                outcome.forms.append(result)
            else:
                assert result["zone"] == "101"
                outcome.checks += 1
    return outcome


def _settled(app: Flask, due: list[int]) -> Callable[[], bool]:
    def check() -> bool:
        with app.app_context():
            unreminded = db.session.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.id.in_(due), Order.reminder_sent_at.is_(None))
            )
            waiting = db.session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.status.in_((OutboundStatus.QUEUED, OutboundStatus.SENDING)))
            )
            db.session.remove()
        return unreminded == 0 and waiting == 0

    return check


def test_two_web_nodes_and_two_clocks_lose_nothing_and_do_nothing_twice(
    app: Flask, nodes: list[Node]
) -> None:
    a, b = nodes
    due = _parkings_due(app, datetime.now(UTC))
    token = _handheld_token(app)

    outcome = _mixed_load(a, b, token)

    settled = _settled(app, due)
    deadline = time.monotonic() + SETTLE_SECONDS
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.5)
    for node in nodes:
        _stop(node.web)
        _stop(node.clock)
    for node in nodes:
        for log in ("web.err", "clock.err", "clock.out"):
            text = (node.logs / log).read_text(errors="replace")
            assert "Traceback" not in text, f"{node.name}/{log}:\n{text[-4000:]}"
            assert " ERROR " not in text, f"{node.name}/{log}:\n{text[-4000:]}"

    assert len(outcome.parked) == DRIVERS and len(outcome.forms) == FORMS
    assert outcome.checks == CHECKS
    with app.app_context():
        # Every park answered 200 is in the database, once, and the stopped ones stopped.
        plates = [plate for _, plate in outcome.parked] + outcome.forms
        orders = Counter(
            db.session.scalars(select(Order.plate_display).where(Order.plate_display.in_(plates)))
        )
        assert orders == Counter(plates)
        statuses = dict(
            db.session.execute(
                select(Order.plate_display, Order.status).where(
                    Order.plate_display.in_([p for _, p in outcome.parked])
                )
            ).all()
        )
        for n, (_, plate) in enumerate(outcome.parked):
            live = statuses[plate] not in (OrderStatus.ENDED, OrderStatus.CANCELLED)
            assert live == bool(n % 2), (plate, statuses[plate])
        # Every inbound message recorded once: its receipt and its timeline entry.
        sids = [sid for sid, _ in outcome.parked] + outcome.stopped
        receipts = Counter(
            db.session.scalars(
                select(WebhookReceipt.external_id).where(WebhookReceipt.external_id.in_(sids))
            )
        )
        assert receipts == Counter(sids)
        inbound = Counter(
            db.session.scalars(
                select(Event.external_id).where(
                    Event.kind == EventKind.MESSAGE_IN, Event.external_id.in_(sids)
                )
            )
        )
        assert inbound == Counter(sids)
        # Exactly one reminder per parking that came due, queued once and sent once.
        reminders = Counter(
            db.session.scalars(
                select(OutboundMessage.order_id).where(OutboundMessage.purpose == "reminder")
            )
        )
        assert reminders == Counter(due)
        outbox = db.session.scalars(select(OutboundMessage)).all()
        queued_twice = Counter((m.to_number, m.purpose, m.order_id, m.body) for m in outbox)
        assert [k for k, n in queued_twice.items() if n > 1] == []
        assert {(m.status, m.attempts) for m in outbox} == {(OutboundStatus.DELIVERED, 1)}
        assert len({m.provider_sid for m in outbox}) == len(outbox)
