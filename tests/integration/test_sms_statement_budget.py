"""What one SMS park costs the database, counted on PostgreSQL: statements, flushes and
commits per message. A budget, not a time: the count grows only when someone adds a round
trip to the hot path (README, "Benchmarks")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import ApiToken, Event, Order, PlateCheckLog, WebhookReceipt
from tests.conftest import Clock, Phone

pytestmark = pytest.mark.postgres

# Statements sent to PostgreSQL for one SMS park, BEGIN and COMMIT not counted (COMMIT is
# the commits below). Before the speed work (issue 13): 31 statements and 12 flushes for a
# new driver, 28 and 11 for a known one; 18 and 6, 24 and 10 before the demand
# classification stopped reading the past of what the message itself created (and 21 for a
# known driver before the vehicles read by the typo check were reused); 14 and 4 for a new
# driver, 19 and 8 for a known one, before two changes: the webhook's own writes became Core
# statements (the claim with the inbound event, and its outcome with the reply and the
# stored reply, one statement each on PostgreSQL), and the park reads the plate's and the
# phone's orders in one query (the payment grace, the plate parked in the zone, the phone's
# own live parkings of the plate) and inserts the order, its payment and its event in one
# flush; then 9 and 1, 11 and 1, before the new order, its payment and its event became
# one Core statement (app/backend/order_inserts.py, three inserts on SQLite); and a new
# driver's commit flushed once more (nothing to write) until a park stopped marking the
# customer changed by clearing a question it did not have; a new driver's 7 statements
# became 6 when the customer's read, insert and lock became one (app/backend/customers.py);
# a known driver's commit flushed the car's last use until that became a statement of its own,
# and its 9 statements became 8 when the failed-payment read joined the earlier-messages read;
# then 6 and 8 until the MessageSid's claim joined the customer's statement (the inbound
# event, given its id there, written once at the end: app/backend/sms_records.py).
NEW_DRIVER_STATEMENTS = 4
NEW_DRIVER_FLUSHES = 0
KNOWN_DRIVER_STATEMENTS = 6
KNOWN_DRIVER_FLUSHES = 0
COMMITS_PER_PARK = 1
# A plate check by a handheld whose last use was written less than a minute ago: one
# statement reads the token and every order of the plate, one writes the log, each
# committing itself (no BEGIN or COMMIT round trip). Before: 7 statements and 2 commits, the
# token's last use written by every check; then 5, one query per kind of order; then 3 and a
# commit (the token, the orders, the log).
PLATE_CHECK_STATEMENTS = 2
PLATE_CHECK_COMMITS = 0


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Per-address limits count each request in a transaction of their own (README,
    # "Configuration"); make bench runs without them, and so is this budget counted.
    return {"api_per_minute": 0}


@dataclass
class Counts:
    statements: list[str] = field(default_factory=list)
    flushes: int = 0
    commits: int = 0


@contextmanager
def counting(app: Flask) -> Iterator[Counts]:
    counts = Counts()

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counts.statements.append(" ".join(statement.split())[:2000])

    def on_flush(session: Session, *args: Any) -> None:
        counts.flushes += 1

    def on_commit(conn: Any) -> None:
        counts.commits += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    event.listen(Session, "after_flush", on_flush)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)
        event.remove(Session, "after_flush", on_flush)


def _count(app: Flask, model: type[object]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_new_driver_parking_stays_within_the_statement_budget(app: Flask, phone: Phone) -> None:
    # A first message warms what a running worker has warm (caches, the first connection).
    Phone(phone.client, number="+358401111111").send("XYZ-999 301 1h")

    with counting(app) as counts:
        reply = phone.send("ABC-123 301 1h")

    assert "ABC-123" in reply
    assert _count(app, Order) == 2
    assert _count(app, WebhookReceipt) == 2
    assert _count(app, Event) >= 6  # in, order, out for each message
    report = "\n".join(counts.statements)
    assert len(counts.statements) <= NEW_DRIVER_STATEMENTS, report
    assert counts.flushes <= NEW_DRIVER_FLUSHES, report
    assert counts.commits == COMMITS_PER_PARK


def test_a_known_driver_parking_stays_within_the_statement_budget(app: Flask, phone: Phone) -> None:
    phone.send("XYZ-999 301 1h")

    with counting(app) as counts:
        reply = phone.send("ABC-123 301 1h")

    assert "ABC-123" in reply
    assert _count(app, Order) == 2
    report = "\n".join(counts.statements)
    assert len(counts.statements) <= KNOWN_DRIVER_STATEMENTS, report
    assert counts.flushes <= KNOWN_DRIVER_FLUSHES, report
    assert counts.commits == COMMITS_PER_PARK


def test_a_plate_check_stays_within_its_statement_budget(
    app: Flask, phone: Phone, api_token: str
) -> None:
    phone.send("ABC-123 301 1h")
    headers = {"Authorization": f"Bearer {api_token}"}
    assert phone.client.get("/api/v1/plates/XYZ-999?zone=301", headers=headers).status_code == 200

    with counting(app) as counts:
        response = phone.client.get("/api/v1/plates/ABC-123?zone=301", headers=headers)

    assert response.status_code == 200
    assert response.get_json()["valid"] is True
    assert _count(app, PlateCheckLog) == 2
    report = "\n".join(counts.statements)
    assert len(counts.statements) <= PLATE_CHECK_STATEMENTS, report
    assert counts.commits == PLATE_CHECK_COMMITS, report


def test_a_plate_check_writing_the_tokens_last_use_stays_within_the_same_budget(
    app: Flask, phone: Phone, api_token: str, clock: Clock
) -> None:
    phone.send("ABC-123 301 1h")
    headers = {"Authorization": f"Bearer {api_token}"}
    assert phone.client.get("/api/v1/plates/XYZ-999?zone=301", headers=headers).status_code == 200
    clock.advance(minutes=1)  # the token's last use is due again

    with counting(app) as counts:
        response = phone.client.get("/api/v1/plates/ABC-123?zone=301", headers=headers)

    assert response.status_code == 200
    assert _count(app, PlateCheckLog) == 2
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) == clock()
    report = "\n".join(counts.statements)
    assert len(counts.statements) <= PLATE_CHECK_STATEMENTS, report
    assert counts.commits == PLATE_CHECK_COMMITS, report
