"""The operator's commands of the contract, run through Flask's CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app import create_app
from app.extensions import db
from app.models import ApiToken, Event, Order, OrderStatus, Payment, PaymentStatus, User, Zone
from tests.conftest import Clock, Phone, make_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def _zones(app: Flask) -> dict[str, dict[str, Any]]:
    with app.app_context():
        return {
            z.code: {
                "name": z.name,
                "rate": z.rate_per_hour_cents,
                "paid_hours": dict(z.paid_hours),
                "cap": z.daily_cap_cents,
                "max": z.max_minutes,
                "active": z.active,
            }
            for z in db.session.scalars(select(Zone))
        }


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "zones.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# seed demo ---------------------------------------------------------------------------------


def test_seed_demo_on_a_seeded_database_creates_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    before = _zones(app)

    result = runner.invoke(args=["seed", "demo"])

    assert result.exit_code == 0, result.output
    assert "0 created" in result.output
    assert _zones(app) == before


def test_seed_demo_twice_on_an_empty_database_creates_once(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        for zone in db.session.scalars(select(Zone)):
            db.session.delete(zone)
        db.session.commit()

    first = runner.invoke(args=["seed", "demo"])
    second = runner.invoke(args=["seed", "demo"])

    assert first.exit_code == 0, first.output
    assert "7 created" in first.output
    assert second.exit_code == 0, second.output
    assert "0 created" in second.output
    assert sorted(_zones(app)) == ["101", "102", "103", "201", "202", "301", "EV1"]


# zones import ------------------------------------------------------------------------------

GOOD_FILE = """\
zones:
  - code: "101"
    name: Kauppatori uusi
    rate_per_hour: "3.00"
    paid_hours: {mon-fri: "08:00-20:00"}
  - code: "501"
    name: Hakaniemi
    rate_per_hour: "1.80"
    paid_hours: {mon-fri: "09:00-17:00", sat: "09:00-15:00"}
    daily_cap: "10.00"
    max_minutes: 120
"""


def test_zones_import_creates_new_zones_and_updates_known_ones(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(args=["zones", "import", str(_write(tmp_path, GOOD_FILE))])

    assert result.exit_code == 0, result.output
    assert "1 created, 1 updated" in result.output
    zones = _zones(app)
    assert zones["501"]["name"] == "Hakaniemi"
    assert zones["501"]["rate"] == 180
    assert zones["501"]["cap"] == 1000
    assert zones["501"]["max"] == 120
    assert zones["101"]["name"] == "Kauppatori uusi"
    assert zones["101"]["rate"] == 300
    assert zones["102"]["rate"] == 300  # untouched zones stay as they were


def test_imported_zone_can_be_parked_in(
    app: Flask, runner: FlaskCliRunner, phone: Phone, tmp_path: Path
) -> None:
    runner.invoke(args=["zones", "import", str(_write(tmp_path, GOOD_FILE))])

    reply = phone.send("ABC-123 501 1h")

    assert "501" in reply
    assert "1,80" in reply


BAD_FILES = {
    "missing rate": (
        """\
zones:
  - code: "101"
    name: Changed
    rate_per_hour: "9.99"
    paid_hours: {mon-fri: "08:00-18:00"}
  - code: "601"
    name: No rate
    paid_hours: {mon-fri: "08:00-18:00"}
""",
        ["601", "rate_per_hour"],
    ),
    "bad paid hours": (
        """\
zones:
  - code: "601"
    name: Night
    rate_per_hour: "1.00"
    paid_hours: {mon-fri: "25:00-26:00"}
  - code: "102"
    name: Changed
    rate_per_hour: "9.99"
""",
        ["601", "paid_hours", "25:00"],
    ),
    "duplicate codes": (
        """\
zones:
  - code: "601"
    name: One
    rate_per_hour: "1.00"
  - code: "101"
    name: Changed
    rate_per_hour: "9.99"
  - code: "601"
    name: Two
    rate_per_hour: "2.00"
""",
        ["601"],
    ),
    "not yaml": ("zones: [unclosed\n  - code: 1", ["YAML"]),
    "no zones list": ("areas: []\n", ["zones"]),
    "negative max minutes": (
        """\
zones:
  - code: "601"
    name: Odd
    rate_per_hour: "1.00"
    max_minutes: -5
""",
        ["601", "max_minutes"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_zones_import_rejects_a_bad_file_with_a_clear_message_and_changes_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, case: str
) -> None:
    text, words = BAD_FILES[case]
    before = _zones(app)

    result = runner.invoke(args=["zones", "import", str(_write(tmp_path, text))])

    assert result.exit_code != 0
    assert "Error:" in result.output
    for word in words:
        assert word in result.output
    assert "Traceback" not in result.output
    assert _zones(app) == before


KNOWN_BAD_FILES = {
    "bad daily cap": (
        """\
zones:
  - code: "101"
    name: Changed
    rate_per_hour: "9.99"
  - code: "601"
    name: Capped
    rate_per_hour: "1.00"
    daily_cap: "lots"
""",
        ["601", "daily_cap"],
    ),
    "negative daily cap": (
        """\
zones:
  - code: "601"
    name: Capped
    rate_per_hour: "1.00"
    daily_cap: "-5.00"
""",
        ["601", "daily_cap"],
    ),
    "empty code": (
        """\
zones:
  - code:
    name: Nameless code
    rate_per_hour: "1.00"
""",
        ["code"],
    ),
    "empty name": (
        """\
zones:
  - code: "601"
    name:
    rate_per_hour: "1.00"
""",
        ["601", "name"],
    ),
}


def _import_is_refused_cleanly(
    app: Flask, runner: FlaskCliRunner, path: Path, words: list[str]
) -> None:
    before = _zones(app)

    result = runner.invoke(args=["zones", "import", str(path)])

    assert _zones(app) == before
    assert result.exit_code != 0
    assert "Error:" in result.output
    for word in words:
        assert word in result.output


@pytest.mark.parametrize("case", ["bad daily cap", "negative daily cap"])
def test_zones_import_rejects_a_bad_daily_cap_with_a_clear_message(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, case: str
) -> None:
    text, words = KNOWN_BAD_FILES[case]
    _import_is_refused_cleanly(app, runner, _write(tmp_path, text), words)


@pytest.mark.parametrize("case", ["empty code", "empty name"])
def test_zones_import_rejects_an_empty_code_or_name(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, case: str
) -> None:
    text, words = KNOWN_BAD_FILES[case]
    _import_is_refused_cleanly(app, runner, _write(tmp_path, text), words)


def test_zones_import_of_a_missing_file_fails(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["zones", "import", str(tmp_path / "nope.yaml")])

    assert result.exit_code != 0
    assert "nope.yaml" in result.output


# users create ------------------------------------------------------------------------------


def test_users_create_reads_the_password_from_stdin_and_stores_it_hashed(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(
        args=["users", "create", "maija", "--role", "attendant", "--password-stdin"],
        input="longpassword1\n",
    )

    assert result.exit_code == 0, result.output
    assert "maija" in result.output
    assert "longpassword1" not in result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.name == "maija"
        assert user.role == "attendant"
        assert user.active is True
        assert user.password_hash != "longpassword1"
        assert "longpassword1" not in user.password_hash
        assert check_password_hash(user.password_hash, "longpassword1")


def test_users_create_refuses_a_short_password(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "maija", "--role", "attendant", "--password-stdin"],
        input="short\n",
    )

    assert result.exit_code != 0
    assert "password" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_create_refuses_a_name_that_exists(app: Flask, runner: FlaskCliRunner) -> None:
    args = ["users", "create", "maija", "--role", "admin", "--password-stdin"]
    assert runner.invoke(args=args, input="longpassword1\n").exit_code == 0

    again = runner.invoke(args=args, input="otherpassword2\n")

    assert again.exit_code != 0
    assert "maija" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_users_create_refuses_an_unknown_role(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "maija", "--role", "boss", "--password-stdin"],
        input="longpassword1\n",
    )

    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


# dev init and the banner of make run -----------------------------------------------------


def test_dev_init_and_the_banner_keep_the_demo_password_in_kanava_instance_path(
    app: Flask, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "elsewhere"
    monkeypatch.setenv("KANAVA_INSTANCE_PATH", str(instance))
    monkeypatch.chdir(tmp_path)  # no ./instance to fall back on
    started = create_app(make_settings(app.config["SQLALCHEMY_DATABASE_URI"]), clock=clock)

    result = started.test_cli_runner().invoke(args=["dev", "init"])

    assert result.exit_code == 0, result.output
    assert "demo admin created" in result.output
    password = (instance / "demo_password").read_text().strip()
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.name == "demo" and check_password_hash(user.password_hash, password)
    banner = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "banner.py")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PORT": "8123"},
    )
    assert f"demo / {password}" in banner.stdout


# tokens create -----------------------------------------------------------------------------


def test_tokens_create_prints_a_token_that_works_against_the_api(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    result = runner.invoke(args=["tokens", "create", "handheld-7"])

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("kan_")
    assert len(token) > 40
    response = client.get(
        "/api/v1/plates/ABC-123?zone=101", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        assert row.name == "handheld-7"
        assert row.token_hash != token


def test_tokens_create_prints_a_new_token_each_time(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["tokens", "create", "a"]).output.strip()
    second = runner.invoke(args=["tokens", "create", "a"]).output.strip()

    assert first != second


# jobs tick ---------------------------------------------------------------------------------


def _snapshot(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return {
            "orders": sorted(
                (o.id, o.status.value, o.ended_at) for o in db.session.scalars(select(Order))
            ),
            "payments": sorted((p.id, p.status.value) for p in db.session.scalars(select(Payment))),
            "events": db.session.scalar(select(func.count()).select_from(Event)),
        }


@pytest.fixture
def paid_and_unpaid(app: Flask, client: FlaskClient, phone: Phone) -> dict[str, int]:
    """At Monday 10:00: ABC-123 parked until 12:00 and paid; XYZ-789 parked and never paid."""
    reply = phone.send("ABC-123 101 2h")
    link = reply.split("/pay/")[1].split()[0]
    assert client.post(f"/demo-pay/{link}").status_code == 303
    phone.send("XYZ-789 102 3h")
    with app.app_context():
        ids = {o.plate_display: o.id for o in db.session.scalars(select(Order))}
    return ids


def test_jobs_tick_expires_ended_parkings_and_cancels_unpaid_ones(
    app: Flask, runner: FlaskCliRunner, paid_and_unpaid: dict[str, int]
) -> None:
    result = runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T12:30:00+02:00"])

    assert result.exit_code == 0, result.output
    assert "expired 1" in result.output
    assert "cancelled unpaid 1" in result.output
    with app.app_context():
        paid = db.session.get(Order, paid_and_unpaid["ABC-123"])
        unpaid = db.session.get(Order, paid_and_unpaid["XYZ-789"])
        assert paid is not None and unpaid is not None
        assert paid.status is OrderStatus.EXPIRED
        assert paid.ended_at == paid.ends_at
        assert [p.status for p in paid.payments] == [PaymentStatus.SUCCEEDED]
        assert unpaid.status is OrderStatus.CANCELLED
        assert [p.status for p in unpaid.payments] == [PaymentStatus.CANCELLED]


def test_jobs_tick_twice_changes_nothing_the_second_time(
    app: Flask, runner: FlaskCliRunner, paid_and_unpaid: dict[str, int]
) -> None:
    runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T12:30:00+02:00"])
    after_first = _snapshot(app)

    again = runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T12:30:00+02:00"])

    assert again.exit_code == 0, again.output
    assert again.output.strip() == "expired 0, cancelled unpaid 0, messages sent 0"
    assert _snapshot(app) == after_first


def test_jobs_tick_before_anything_is_due_changes_nothing(
    app: Flask, runner: FlaskCliRunner, paid_and_unpaid: dict[str, int]
) -> None:
    before = _snapshot(app)

    # (from 10:05 the unpaid link is due its one reminder: issue 12's proactive messages)
    result = runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T10:04:00+02:00"])

    assert result.exit_code == 0, result.output
    assert "expired 0, cancelled unpaid 0" in result.output
    assert _snapshot(app) == before


def test_jobs_tick_reads_a_time_without_offset_as_local_time(
    app: Flask, runner: FlaskCliRunner, paid_and_unpaid: dict[str, int]
) -> None:
    # 11:59 in Helsinki is before the paid parking's end; 11:59 UTC would be after it.
    result = runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T11:59:00"])

    assert result.exit_code == 0, result.output
    assert "expired 0, cancelled unpaid 1" in result.output


def test_jobs_tick_refuses_a_time_that_is_not_iso_8601(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["jobs", "tick", "--at", "tomorrow noon"])

    assert result.exit_code != 0
    assert "ISO 8601" in result.output
