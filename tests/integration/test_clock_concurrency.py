"""Two clock processes and a ``jobs tick`` at once over a thousand due parkings, on
PostgreSQL, sending through the real twilio SDK to a counting Twilio peer: each driver gets
exactly one reminder.

The processes are real (``python`` running the clock's own job function, and ``flask jobs
tick``), started together: each prints ``ready`` once the app is imported and waits for a
line on stdin, so the three sweeps overlap. The clocks use the system clock, so the
parkings are made to end a few minutes from the real now.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import Customer, Order, OutboundMessage, OutboundStatus, Zone
from tests.conftest import PUBLIC_BASE_URL
from tests.peers.twilio_api import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    TwilioApiPeer,
    twilio_api_peer,
)

pytestmark = pytest.mark.postgres
PARKINGS = 1000
ROOT = Path(__file__).resolve().parent.parent.parent

CLOCK = """
import sys
from wsgi import app
from app.clock.scheduler import tick
print("ready", flush=True)
sys.stdin.readline()
with app.app_context():
    idle = 0
    while idle < 2:  # until two sweeps in a row find nothing to do
        report = tick()
        if report is None:
            sys.exit("a sweep failed")
        idle = 0 if report.work_done else idle + 1
"""

JOBS_TICK = """
import sys
from flask.cli import main
print("ready", flush=True)
sys.stdin.readline()
sys.argv = ["flask", "--app", "wsgi", "jobs", "tick", "--at", sys.argv[1]]
main()
"""


@pytest.fixture
def peer() -> Iterator[TwilioApiPeer]:
    with twilio_api_peer() as running:
        yield running


def _thousand_parkings_ending_soon(app: Flask, now: datetime) -> None:
    ends = now + timedelta(minutes=5)
    with app.app_context():
        zone_id = db.session.scalar(select(Zone.id).where(Zone.code == "101"))
        db.session.execute(
            insert(Customer),
            [{"phone": f"+35840{i:07d}", "created_at": now} for i in range(PARKINGS)],
        )
        ids = dict(db.session.execute(select(Customer.phone, Customer.id)).all())
        db.session.execute(
            insert(Order),
            [
                {
                    "kind": "parking",
                    "status": "active",
                    "channel": "sms",
                    "customer_id": ids[f"+35840{i:07d}"],
                    "zone_id": zone_id,
                    "plate_key": f"ABC{i}",
                    "plate_display": f"ABC-{i}",
                    "starts_at": now - timedelta(hours=1),
                    "ends_at": ends,
                    "open_ended": False,
                    "amount_cents": 240,
                    "currency": "EUR",
                    "language": "fi",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(PARKINGS)
            ],
        )
        db.session.commit()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_clocks_and_a_jobs_tick_send_each_of_a_thousand_reminders_exactly_once(
    app: Flask, peer: TwilioApiPeer, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    _thousand_parkings_ending_soon(app, now)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret-" + "y" * 20,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE": peer.url,
        "REMINDER_LEAD_MINUTES": "10",
        "KANAVA_INSTANCE_PATH": str(tmp_path),
    }
    commands = [
        [sys.executable, "-c", CLOCK],
        [sys.executable, "-c", CLOCK],
        [sys.executable, "-c", JOBS_TICK, now.isoformat()],
    ]
    processes = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=300) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err[-3000:]

    sent_to = Counter(a.to for a in peer.accepted)
    assert len(sent_to) == PARKINGS
    assert set(sent_to.values()) == {1}
    assert all("JATKA 15" in a.body for a in peer.accepted)
    with app.app_context():
        reminders = db.session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.purpose == "reminder")
        )
        statuses = Counter(db.session.scalars(select(OutboundMessage.status)))
        unreminded = db.session.scalar(
            select(func.count()).select_from(Order).where(Order.reminder_sent_at.is_(None))
        )
    assert reminders == PARKINGS
    assert statuses == {OutboundStatus.SENT: PARKINGS}
    assert unreminded == 0
