"""A customer read and locked, or created, by one SMS while another SMS of the same number
runs (app.backend.customers.get_or_create_locked), on PostgreSQL with two real
transactions: one customer per number, and its row always locked by the one that holds it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.backend import customers
from app.extensions import db
from app.models import Customer
from tests.conftest import Clock

pytestmark = pytest.mark.postgres

NEW_NUMBER = "+358401112233"


@pytest.fixture
def backend() -> str:
    return "postgres"


def _locked_elsewhere(app: Flask, phone: str) -> bool:
    """Is the customer's row locked by another transaction (FOR NO KEY UPDATE NOWAIT fails)?"""
    with app.app_context(), Session(db.engine) as other:
        try:
            other.execute(
                select(Customer.id)
                .where(Customer.phone == phone)
                .with_for_update(key_share=True, nowait=True)
            )
        except OperationalError:
            return True
        return False


def _someone_waits_on_a_lock(engine: Engine) -> bool:
    """Does a backend of this database wait on a lock? Polled, each time in a transaction
    of its own (a transaction sees one snapshot of pg_stat_activity), for up to ten seconds."""
    for _ in range(1000):
        with engine.connect() as conn:
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).scalar()
        if waiting:
            return True
        time.sleep(0.01)
    return False


def test_a_new_number_is_created_once_and_locked_by_each_message_in_turn(
    app: Flask, clock: Clock
) -> None:
    with app.app_context():
        engine = db.engine
    first = Session(engine)
    created, is_new = customers.get_or_create_locked(first, NEW_NUMBER, clock())
    assert is_new and created.id is not None
    created_id = created.id
    started = threading.Event()

    def second_message() -> tuple[int, bool]:
        with Session(engine) as second:
            started.set()
            customer, new = customers.get_or_create_locked(second, NEW_NUMBER, clock())
            held = _locked_elsewhere(app, NEW_NUMBER)
            customer_id = customer.id
            second.commit()
            assert held, "the second message must hold the row lock"
            return customer_id, new

    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(second_message)
        assert started.wait(timeout=10)
        # The second message waits for the first transaction (its insert or its lock).
        assert _someone_waits_on_a_lock(engine)
        assert not waiting.done()
        first.commit()
        first.close()
        assert waiting.result(timeout=10) == (created_id, False)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


def test_a_known_number_is_found_and_locked(app: Flask, clock: Clock) -> None:
    with app.app_context():
        engine = db.engine
    with Session(engine) as setup:
        made, _ = customers.get_or_create_locked(setup, NEW_NUMBER, clock())
        setup.commit()
        made_id = made.id
    with Session(engine) as session:
        customer, is_new = customers.get_or_create_locked(session, NEW_NUMBER, clock())
        assert (customer.id, is_new) == (made_id, False)
        assert _locked_elsewhere(app, NEW_NUMBER)
        session.rollback()
    assert not _locked_elsewhere(app, NEW_NUMBER)
