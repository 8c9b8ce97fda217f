"""Personal data's lifetime as an operator and a driver see it: a driver's data exported as
JSON and erased from the CLI, the erasure leaving the accounting (orders, payments, plates)
and nothing that leads back to the number; retention blanking old texts and pseudonymising
idle customers from the clock; every export and erasure in the audit trail."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, text

from app.extensions import Base, db
from app.models import Customer, Event, EventKind, Order, Payment
from tests.conftest import Clock, Phone

DRIVER = "+358401234567"
SECRET_WORDS = "ABC-123 101 1h"


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def park_pay_and_stop(client: FlaskClient, phone: Phone) -> None:
    reply = phone.send(SECRET_WORDS)
    if "/pay/" in reply:
        token = reply.split("/pay/")[1].split()[0]
        assert client.post(f"/demo-pay/{token}").status_code == 303
    phone.send("LOPETA")


def everything_stored(app: Flask) -> str:
    """Every row of every table, as text: what a database dump would show."""
    with app.app_context():
        rows = []
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
                rows.append(f"{table.name}: {tuple(row)}")
        return "\n".join(rows)


def audit(app: Flask) -> list[tuple[str | None, str | None, str]]:
    with app.app_context():
        return [
            (e.intent, e.actor, e.body)
            for e in db.session.scalars(
                select(Event)
                .where(Event.intent.like("privacy_%"))
                .order_by(Event.id)
            )
        ]


def test_export_prints_the_customers_data_as_json_and_is_recorded(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner
) -> None:
    park_pay_and_stop(client, phone)
    result = runner.invoke(args=["customers", "export", "040 123 4567"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["customer"]["phone"] == DRIVER
    assert [v["plate"] for v in data["vehicles"]] == ["ABC-123"]
    (order,) = data["orders"]
    assert order["plate"] == "ABC-123" and order["zone"] == "101"
    assert SECRET_WORDS in [e["text"] for e in data["timeline"]]
    ((intent, actor, body),) = audit(app)
    assert intent == "privacy_export" and actor is not None and actor.startswith("cli")
    assert DRIVER not in body


def test_export_of_an_unknown_number_says_so(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["customers", "export", "+358409999999"])
    assert result.exit_code == 1
    assert "no customer with the number +358409999999" in result.output


def test_erase_leaves_the_accounting_and_nothing_that_leads_to_the_number(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner
) -> None:
    park_pay_and_stop(client, phone)
    with app.app_context():
        amount = db.session.scalars(select(Order.amount_cents)).one()
        paid = db.session.scalars(select(Payment.captured_cents)).one()
    before = everything_stored(app)
    assert DRIVER in before and SECRET_WORDS in before

    result = runner.invoke(args=["customers", "erase", DRIVER, "--yes"])
    assert result.exit_code == 0, result.output
    assert "customer erased" in result.output

    after = everything_stored(app)
    assert DRIVER not in after
    assert "401234567" not in after
    assert SECRET_WORDS not in after
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.amount_cents, order.plate_display) == (amount, "ABC-123")
        assert db.session.scalars(select(Payment.captured_cents)).one() == paid
        customer = db.session.get(Customer, order.customer_id)
        assert customer is not None and customer.phone.startswith("erased-")
    ((intent, actor, _body),) = audit(app)
    assert intent == "privacy_erase" and actor is not None and actor.startswith("cli")
    # the number is unknown now: a second erasure finds nobody
    again = runner.invoke(args=["customers", "erase", DRIVER, "--yes"])
    assert again.exit_code == 1 and "no customer" in again.output


def test_erase_waits_while_a_parking_runs(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner
) -> None:
    reply = phone.send(SECRET_WORDS)
    if "/pay/" in reply:
        token = reply.split("/pay/")[1].split()[0]
        assert client.post(f"/demo-pay/{token}").status_code == 303
    result = runner.invoke(args=["customers", "erase", DRIVER, "--yes"])
    assert result.exit_code == 1
    assert "running" in result.output
    assert DRIVER in everything_stored(app)
    assert audit(app) == []


def test_erase_asks_first_and_does_nothing_on_no(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner
) -> None:
    park_pay_and_stop(client, phone)
    result = runner.invoke(args=["customers", "erase", DRIVER], input="n\n")
    assert result.exit_code == 1
    assert DRIVER in everything_stored(app)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"retention_message_days": 30, "retention_customer_months": 12}


def tick(runner: FlaskCliRunner, clock: Clock) -> str:
    result = runner.invoke(args=["jobs", "tick", "--at", clock().isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_retention_blanks_old_texts_and_keeps_recent_ones(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner, clock: Clock
) -> None:
    park_pay_and_stop(client, phone)
    clock.advance(days=29)
    phone.send("TILA")
    tick(runner, clock)
    assert SECRET_WORDS in everything_stored(app)
    clock.advance(days=2)
    output = tick(runner, clock)
    assert "texts blanked" in output
    stored = everything_stored(app)
    assert SECRET_WORDS not in stored
    assert "TILA" in stored
    assert DRIVER in stored  # the customer is not idle: only texts went
    with app.app_context():
        assert db.session.scalars(select(Order.plate_display)).one() == "ABC-123"
    # repeating changes nothing more
    assert "texts blanked" not in tick(runner, clock)


def test_retention_pseudonymises_a_customer_idle_for_the_months_set(
    app: Flask, client: FlaskClient, phone: Phone, runner: FlaskCliRunner, clock: Clock
) -> None:
    park_pay_and_stop(client, phone)
    other = Phone(client, number="+358407654321")
    clock.advance(days=300)
    other.send("OHJE")
    clock.advance(days=70)  # the driver idle 370 days, the other 70
    output = tick(runner, clock)
    assert "customers pseudonymised 1" in output
    stored = everything_stored(app)
    assert DRIVER not in stored
    assert "+358407654321" in stored
    with app.app_context():
        assert db.session.scalars(select(Order.plate_display)).one() == "ABC-123"
        notes = db.session.scalars(
            select(Event).where(Event.kind == EventKind.SYSTEM, Event.intent == "privacy_inactive")
        ).all()
        assert len(notes) == 1 and notes[0].actor == "retention"
    assert "customers pseudonymised" not in tick(runner, clock)
