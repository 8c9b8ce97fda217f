"""``GET /metrics``: Prometheus text format, and the request instruments behind it.

Two kinds of figures. What the database knows (SMS in and out, failures, the outbox, the
clock's lag per duty, payment failures, staff inbox cases open) is read at scrape time by
:mod:`app.panel.operations`, so every worker, node and the clock process agree. What only
a web process sees (requests by route and status, webhook latency) is counted in memory
with prometheus-client; under gunicorn's several workers that uses prometheus-client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``gunicorn.conf.py``), so a scrape
answered by any worker adds up all of them.

Access (the contract): with ``METRICS_TOKEN`` set, only ``Authorization: Bearer <token>``;
unset, only a request from this machine itself (the socket's peer and, behind a proxy, the
forwarded client both loopback).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from app.extensions import db, kanava
from app.panel import inbox, operations

bp = Blueprint("metrics", __name__)

REQUESTS = Counter(
    "kanava_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
WEBHOOK_SECONDS = Histogram(
    "kanava_webhook_seconds",
    "Time to answer a Twilio or Stripe webhook.",
    ["webhook"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30),
)
WEBHOOK_PREFIXES = {"/twilio/sms": "sms", "/twilio/voice": "voice", "/twilio/status": "status"}
# Each label set's child, found once: ``labels()`` validates and locks on every call, and
# this runs on every request. Bounded, as route patterns, methods and statuses are.
_children: dict[tuple[str, str, int], Any] = {}
_webhook_children: dict[str, Any] = {}
MAX_CHILDREN = 4096


def _webhook(path: str) -> str | None:
    if not path.startswith(("/twilio/", "/stripe/")):
        return None
    if path == "/stripe/webhook":
        return "stripe"
    for prefix, name in WEBHOOK_PREFIXES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return name
    return None


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response: Response) -> Response:
    rule = request.url_rule
    key = (rule.rule if rule is not None else "unmatched", request.method, response.status_code)
    child = _children.get(key)
    if child is None:
        child = REQUESTS.labels(key[0], key[1], str(key[2]))
        if len(_children) < MAX_CHILDREN:
            _children[key] = child
    child.inc()
    started = g.pop("metrics_started", None)
    webhook = _webhook(request.path)
    if webhook is not None and started is not None:
        timer = _webhook_children.get(webhook)
        if timer is None:
            timer = _webhook_children[webhook] = WEBHOOK_SECONDS.labels(webhook)
        timer.observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Count every request of ``app`` (registered before the other after-request hooks
    run last, so the status counted is the one sent)."""
    app.before_request(_started)
    app.after_request(_answered)
    app.register_blueprint(bp)


class DatabaseCollector(Collector):
    """The database's figures, read when Prometheus scrapes."""

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        k = kanava()
        settings = k.settings
        snap = operations.snapshot(
            db.session(),
            k.clock(),
            reminder_lead=timedelta(minutes=settings.reminder_lead_minutes),
            message_days=settings.retention_message_days,
        )
        yield CounterMetricFamily(
            "kanava_sms_received", "Text messages received.", value=snap.sms_received
        )
        yield CounterMetricFamily(
            "kanava_sms_sent",
            "Text messages sent (replies and later messages).",
            value=snap.sms_sent,
        )
        yield CounterMetricFamily(
            "kanava_sms_send_failures",
            "Outbound text messages that failed or were not delivered.",
            value=snap.sms_send_failures,
        )
        yield GaugeMetricFamily(
            "kanava_outbox_backlog",
            "Outbound messages waiting to be sent.",
            value=snap.outbox_backlog,
        )
        yield GaugeMetricFamily(
            "kanava_outbox_oldest_age_seconds",
            "Age of the oldest outbound message still waiting.",
            value=snap.outbox_oldest_age_seconds,
        )
        yield CounterMetricFamily(
            "kanava_payment_failures", "Payment attempts that failed.", value=snap.payment_failures
        )
        lag = GaugeMetricFamily(
            "kanava_clock_lag_seconds",
            "Per clock duty, how long its oldest due work has waited.",
            labels=["duty"],
        )
        for duty, seconds in sorted(snap.clock_lag_seconds.items()):
            lag.add_metric([duty], seconds)
        yield lag
        yield GaugeMetricFamily(
            "kanava_cases_open",
            "Staff inbox cases open (waiting for a person).",
            value=inbox.open_count(db.session()),
        )


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUESTS)
        registry.register(WEBHOOK_SECONDS)
    registry.register(DatabaseCollector())
    return registry


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _allowed() -> bool:
    token = kanava().settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get(
        "REMOTE_ADDR", request.remote_addr
    )
    return _loopback(peer) and _loopback(request.remote_addr)


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        if kanava().settings.metrics_token:
            return Response(
                "a bearer token is required\n",
                401,
                mimetype="text/plain",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Response(
            "metrics answer only on loopback while METRICS_TOKEN is unset\n",
            403,
            mimetype="text/plain",
        )
    body = generate_latest(_registry())
    return Response(
        body, 200, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    )
