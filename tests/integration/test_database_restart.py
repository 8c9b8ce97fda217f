"""Requests keep succeeding when PostgreSQL restarts under a running web process.

The pool keeps connections between requests; a restart (an operator's, a managed
database's maintenance, a crash) kills all of them on the server's side. Each request
must get a live connection anyway instead of a 500 from a dead one (app/extensions.py
:func:`~app.extensions.configure_postgres_pool`). The test runs a cluster of its own, as
restarting the shared one would break the tests running beside it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from app import create_app, extensions
from app.backend import zones
from app.extensions import Base, db
from tests.conftest import Clock, make_settings

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).resolve().parent.parent.parent / "scripts" / "test-postgres.sh"


@pytest.fixture
def cluster() -> Iterator[tuple[str, str]]:
    """A PostgreSQL cluster of this test's own: its URL and directory."""
    if not os.environ.get("KANAVA_TEST_POSTGRES_URL"):
        pytest.skip("no PostgreSQL here (KANAVA_TEST_POSTGRES_URL); make test starts one")
    # Not under pytest's tmp_path: the cluster's owner (postgres) cannot enter root's.
    directory = f"/tmp/kanava-restart-{secrets.token_hex(4)}"
    started = subprocess.run(
        [str(SCRIPT), "start", directory], capture_output=True, text=True, check=True
    )
    try:
        yield started.stdout.strip(), directory
    finally:
        subprocess.run([str(SCRIPT), "stop", directory], capture_output=True, check=False)


def _app(url: str) -> Flask:
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.create_all(conn)
    engine.dispose()
    clock = Clock()
    app = create_app(make_settings(url), clock=clock)
    with app.app_context():
        zones.seed_demo(db.session, clock())
        db.session.commit()
        db.session.remove()
        # The throwaway cluster runs with synchronous_commit=off: an immediate shutdown
        # would lose the commits above with the WAL not yet written. A checkpoint writes it.
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("CHECKPOINT")
    return app


def _fill_pool(app: Flask) -> None:
    """Two connections at once, so the pool holds more than one when the server goes."""
    with app.app_context(), db.engine.connect() as one, db.engine.connect() as two:
        one.execute(text("SELECT 1"))
        two.execute(text("SELECT 1"))


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_pages_and_the_health_check_answer_after_postgresql_restarts(
    cluster: tuple[str, str], mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A restart on a busy machine can take longer than the idle time after which a
    # connection is pinged anyway: without that, only the check of the socket is at work.
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 3600.0)
    url, directory = cluster
    app = _app(url)
    client = app.test_client()
    _fill_pool(app)
    assert client.get("/healthz").status_code == 200
    assert "Kauppatori" in client.get("/?lang=fi").get_data(as_text=True)

    subprocess.run([str(SCRIPT), "restart", directory, mode], capture_output=True, check=True)

    # Every pooled connection is dead now: each of these checks one out.
    for _ in range(3):
        home = client.get("/?lang=fi")
        assert home.status_code == 200
        assert "Kauppatori" in home.get_data(as_text=True)
        health = client.get("/healthz")
        assert (health.status_code, health.get_json()) == (200, {"status": "ok"})
    with app.app_context():
        db.engine.dispose()
