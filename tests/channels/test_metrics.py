"""``/metrics`` as Prometheus and an operator see it: the text format with requests by
route and status, webhook latency, SMS in and out, the outbox backlog and its age, the
clock's lag per duty; closed to other machines unless METRICS_TOKEN is set, and then only
with the token."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app.backend import customers
from app.extensions import db
from app.usecases import outbox_dispatch
from tests.conftest import Clock, Phone


def value(text: str, name: str) -> float:
    """The value of one sample line (``name`` with its labels, as exposed)."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in:\n{text}"
    return float(match.group(1))


def scrape(client: FlaskClient, **kwargs: object) -> str:
    response = client.get("/metrics", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_metrics_count_requests_webhooks_and_text_messages(
    client: FlaskClient, phone: Phone
) -> None:
    before = scrape(client)
    sms_ok = 'kanava_http_requests_total{method="POST",route="/twilio/sms",status="200"}'
    requests_before = value(before, sms_ok) if sms_ok in before else 0.0
    latency = 'kanava_webhook_seconds_count{webhook="sms"}'
    latency_before = value(before, latency) if latency in before else 0.0

    phone.send("OHJE")
    phone.send("HELP")
    text = scrape(client)

    assert value(text, sms_ok) == requests_before + 2
    assert value(text, latency) == latency_before + 2
    assert value(text, "kanava_sms_received_total") == 2
    assert value(text, "kanava_sms_sent_total") == 2
    assert value(text, "kanava_payment_failures_total") == 0
    assert "# TYPE kanava_webhook_seconds histogram" in text


def test_the_outbox_backlog_its_age_and_the_clock_lag_are_read_from_the_database(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    with app.app_context():
        k = app.extensions["kanava"]
        driver = customers.get_or_create(db.session(), "+358401234567", clock())
        outbox_dispatch.queue_sms(db.session(), k, driver, "Hei", purpose="test", now=clock())
        db.session.commit()
    clock.advance(minutes=5)
    text = scrape(client)
    assert value(text, "kanava_outbox_backlog") == 1
    assert value(text, "kanava_outbox_oldest_age_seconds") == 300
    assert value(text, 'kanava_clock_lag_seconds{duty="outbox"}') == 300
    assert value(text, 'kanava_clock_lag_seconds{duty="expire"}') == 0

    runner: FlaskCliRunner = app.test_cli_runner()
    assert runner.invoke(args=["jobs", "tick", "--at", clock().isoformat()]).exit_code == 0
    text = scrape(client)
    assert value(text, "kanava_outbox_backlog") == 0
    assert value(text, 'kanava_clock_lag_seconds{duty="outbox"}') == 0


def test_without_a_token_only_this_machine_may_read_metrics(client: FlaskClient) -> None:
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert remote.status_code == 403
    assert "kanava_" not in remote.get_data(as_text=True)
    spoofed = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )
    assert spoofed.status_code == 403
    via_local_proxy = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"})
    assert via_local_proxy.status_code == 403
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"metrics_token": "s3cret-token"}])
def test_with_a_token_set_metrics_need_it_from_anywhere(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    text = scrape(
        client,
        headers={"Authorization": "Bearer s3cret-token"},
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
    )
    assert "kanava_outbox_backlog" in text


def test_cases_open_is_a_gauge_of_the_staff_inbox(app: Flask, client: FlaskClient) -> None:
    assert value(scrape(client), "kanava_cases_open") == 0
    Phone(client, number="+358401000001").send("sain sakon vaikka maksoin")  # a complaint
    Phone(client, number="+358401000002").send("can I park here overnight?")  # a question
    text = scrape(client)
    assert "# TYPE kanava_cases_open gauge" in text
    assert value(text, "kanava_cases_open") == 2
    with app.app_context():
        from sqlalchemy import select

        from app.backend import cases
        from app.models import Case

        first = db.session.scalars(select(Case).order_by(Case.id)).first()
        assert first is not None
        cases.close(first, first.opened_at)
        db.session.commit()
    assert value(scrape(client), "kanava_cases_open") == 1


def test_every_figure_the_operators_asked_for_is_exposed(client: FlaskClient, phone: Phone) -> None:
    """Issue 14: requests by route and status, webhook latency, SMS in/out and failures,
    outbox backlog and oldest age, clock lag per duty, payment failures, cases open."""
    phone.send("OHJE")
    text = scrape(client)
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE))
    assert {
        "kanava_http_requests_total": "counter",
        "kanava_webhook_seconds": "histogram",
        "kanava_sms_received_total": "counter",
        "kanava_sms_sent_total": "counter",
        "kanava_sms_send_failures_total": "counter",
        "kanava_outbox_backlog": "gauge",
        "kanava_outbox_oldest_age_seconds": "gauge",
        "kanava_clock_lag_seconds": "gauge",
        "kanava_payment_failures_total": "counter",
        "kanava_cases_open": "gauge",
    }.items() <= types.items()
    sms_ok = r'^kanava_http_requests_total\{method="POST",route="/twilio/sms",status="200"\}'
    assert re.search(sms_ok, text, re.MULTILINE)
    assert re.search(r'^kanava_clock_lag_seconds\{duty="\w+"\}', text, re.MULTILINE)
