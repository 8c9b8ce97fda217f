"""Shared fixtures: an application per test on SQLite and on PostgreSQL, a movable clock,
and a driver's phone that texts the SMS webhook signed exactly as Twilio signs it."""

from __future__ import annotations

import os
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from twilio.request_validator import RequestValidator

from app import create_app
from app.backend import zones
from app.config import Settings
from app.extensions import Base, db

HELSINKI = ZoneInfo("Europe/Helsinki")
PUBLIC_BASE_URL = "https://kanava.test"
WEBHOOK_TOKEN = "test-webhook-token-" + "x" * 12
SERVICE_NUMBER = "+358451234567"
# Monday 23 November 2026, 10:00 in Helsinki: inside every demo zone's paid hours.
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=HELSINKI).astimezone(UTC)


def _database_of_this_worker(url: str | None) -> str | None:
    """Under pytest-xdist (``-n``) every worker gets a database of its own in the
    throwaway cluster (``kanava_test_gw0``, …), so that no worker empties the tables of a
    test running in another."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    name = f"kanava_test_{worker}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not found:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = _database_of_this_worker(os.environ.get("KANAVA_TEST_POSTGRES_URL"))


@dataclass
class Clock:
    """A clock that only moves when a test moves it."""

    now: datetime = field(default=MONDAY_10)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def set_local(self, *args: int) -> datetime:
        self.now = datetime(*args, tzinfo=HELSINKI).astimezone(UTC)  # type: ignore[misc]
        return self.now


def _backends() -> list[object]:
    marks = [pytest.param("sqlite", id="sqlite")]
    marks.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))
    return marks


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "kanava-test.db"
    return f"sqlite:///{path}"


def _prepare_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        Base.metadata.create_all(conn)
    engine.dispose()


_prepared: set[str] = set()


def database_url_for(backend: str, sqlite_url: str) -> str:
    if backend == "postgres":
        if not POSTGRES_URL:
            if os.environ.get("CI"):
                pytest.fail("KANAVA_TEST_POSTGRES_URL is not set: run the suite with make test")
            pytest.skip("no PostgreSQL cluster (KANAVA_TEST_POSTGRES_URL); make test starts one")
        return POSTGRES_URL
    return sqlite_url


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database with nothing in it, for the migrations to build: a new SQLite file, or a
    PostgreSQL database dropped and created anew, named after the test module
    (``kanava_migrations`` for ``test_migrations.py``) and the xdist worker, if any."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/empty.db"
    url = database_url_for("postgres", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = "kanava_" + request.path.stem.removeprefix("test_") + (f"_{worker}" if worker else "")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _empty_tables(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        tables = list(reversed(Base.metadata.sorted_tables))
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                names = ", ".join(t.name for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())


def make_settings(url: str, **overrides: object) -> Settings:
    base = Settings(
        database_url=url,
        secret_key="test-secret-" + "y" * 20,
        public_base_url=PUBLIC_BASE_URL,
        simulator_auth_token=WEBHOOK_TOKEN,
        service_number=SERVICE_NUMBER,
    )
    return base.with_overrides(**overrides)


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(
    backend: str, sqlite_url: str, clock: Clock, settings_overrides: dict[str, object]
) -> Iterator[Flask]:
    url = database_url_for(backend, sqlite_url)
    if url not in _prepared:
        _prepare_schema(url)
        _prepared.add(url)
    application = create_app(make_settings(url, **settings_overrides), clock=clock)
    application.config["TESTING"] = True
    _empty_tables(application)
    with application.app_context():
        zones.seed_demo(db.session, clock())
        db.session.commit()
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign(url: str, params: dict[str, str], token: str = WEBHOOK_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def twiml_messages(xml: str) -> list[str]:
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return [m.text or "" for m in root.iter("Message")]


@dataclass
class Phone:
    """A driver's phone texting Kanava through the signed webhook."""

    client: FlaskClient
    number: str = "+358401234567"
    last_status: int = 0
    last_sid: str = ""

    def params(self, body: str, sid: str | None = None) -> dict[str, str]:
        self.last_sid = sid or "SM" + secrets.token_hex(16)
        return {
            "MessageSid": self.last_sid,
            "SmsSid": self.last_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.number,
            "To": SERVICE_NUMBER,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }

    def send(self, body: str, sid: str | None = None) -> str:
        """Text ``body``; returns the reply text ('' when there is none)."""
        params = self.params(body, sid)
        response = self.client.post(
            "/twilio/sms",
            data=params,
            headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params)},
        )
        self.last_status = response.status_code
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        return "\n".join(twiml_messages(response.get_data(as_text=True)))


@pytest.fixture
def phone(client: FlaskClient) -> Phone:
    return Phone(client)


@pytest.fixture
def api_token(app: Flask, clock: Clock) -> str:
    from app.backend import tokens

    with app.app_context():
        token = tokens.create_token(db.session, "handheld-1", clock())
        db.session.commit()
        return token


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
