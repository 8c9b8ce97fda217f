"""Kanava benchmarks (``make bench``): what a node can carry, against the targets of issue 13.

One run, on a throwaway PostgreSQL it starts itself, with Kanava under gunicorn exactly as
the Procfile runs it (``gunicorn.conf.py``), wrk on loopback with 8 connections:

1. a bare Flask endpoint answering fixed TwiML (``bench/bare_app.py``, same gunicorn
   settings): the reference the SMS path is a fraction of;
2. ``POST /twilio/sms`` parking a new plate per request, each a new driver, plate and
   ``MessageSid``, signed as Twilio signs, on a database holding 100 k orders of history;
   then the database must hold exactly the parkings that were answered 200, and nothing
   else may have been answered (1 and 2 in alternate rounds, each kept at its best);
3. the handheld's ``GET /api/v1/plates/<plate>?zone=`` with 10 k orders in the database,
   then with 1 M (rounds, each kept at its best);
4. each web worker's resident memory after that load;
5. 100 k reminders due at one moment: seconds until ``flask jobs tick --at`` has queued
   them all in the outbox, and the count;
6. the pure functions (parsing, pricing), as before.

It prints one table: measure, target, before (``bench/baseline.json``), now, pass/fail.
``--save-baseline`` writes the figures of this run as the new "before";
``--app-dir DIR`` measures another checkout (the baseline is measured on the code before
the speed work) with this harness.

Exit status: 1 when a figure would not be honest (a request that failed, a parking that
is missing or doubled, a reminder short), or when the run broke; missed targets are
reported in the table and fail the run only with ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

import harness
import psycopg
import seed
from harness import BenchError, WrkResult, warn
from twilio.request_validator import RequestValidator

BENCH = harness.BENCH
ROOT = harness.ROOT
BASELINE = BENCH / "baseline.json"

CONNECTIONS = 8
ZONE = "301"  # a demo zone charged round the clock: every parking takes the paid path
SERVICE_NUMBER = "+358451234567"
REMINDERS = 100_000
REMINDER_LEAD_MINUTES = 10
HISTORY_SMALL = 10_000
# The SMS park's database: big enough that the run's own parks (a few thousand) stay under
# autovacuum's threshold (a tenth of a table) and change no plan during the measurement.
HISTORY_SMS = 100_000
# The bare endpoint and the SMS park are measured in this many alternate rounds, and each
# plate check this many times; each is kept at its best round.
ROUNDS = 3
HISTORY_LARGE = 1_000_000
# Warm-up drivers and plates are numbered from here; the measured ones from 0.
WARMUP_BASE = 5_000_000

Results = dict[str, Any]
# What --only can pick: "sms" is the bare endpoint and the SMS park in one run (their
# ratio is the figure), "plates10k" the plate check at 10 k orders only, "plates" at 10 k
# and 1 M. Every web section also measures the workers' memory afterwards.
SECTIONS = ("pure", "sms", "plates10k", "plates", "reminders")
WEB_SECTIONS = frozenset({"sms", "plates10k", "plates"})


# --- the app under test -------------------------------------------------------------------


@dataclass
class App:
    """The checkout under test and how to run its commands."""

    directory: Path
    venv_bin: Path
    env: dict[str, str]

    def flask(self, *args: str, env: dict[str, str] | None = None) -> str:
        return harness.run_checked(
            [self.venv_bin / "flask", *args],
            cwd=self.directory,
            env=env or self.env,
            what=f"flask {' '.join(args)}",
        )


def app_env(database_url: str, instance: Path, port: int) -> dict[str, str]:
    """The development settings `make run` uses, on the throwaway database; credentials
    from the caller's environment or a ``.env`` file are blanked (a set, empty variable
    wins over ``.env``), so outbound SMS stay in the local outbox and nothing leaves."""
    env = dict(os.environ)
    for name in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "TWILIO_MESSAGING_SERVICE_SID",
        "TWILIO_API_BASE",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "METRICS_TOKEN",
        "SERVICE_NUMBER",
    ):
        env[name] = ""
    env.update(
        FLASK_APP="wsgi",
        KANAVA_ENV="development",
        DATABASE_URL=database_url,
        KANAVA_INSTANCE_PATH=str(instance),
        SECRET_KEY=secrets.token_urlsafe(32),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        PORT=str(port),
        APP_TIMEZONE="Europe/Helsinki",
        DEFAULT_LANGUAGE="fi",
        REMINDER_LEAD_MINUTES=str(REMINDER_LEAD_MINUTES),
        PAYMENT_GRACE_MINUTES="10",
        # Every request comes from this one address: per-address limits would measure
        # (and fuzz) nothing but the 429 (README, "Configuration").
        FORM_POSTS_PER_MINUTE="0",
        SIGNIN_PER_MINUTE="0",
        API_PER_MINUTE="0",
    )
    return env


def simulator_token(instance: Path) -> str:
    """The token that signs webhooks when Twilio is not configured, kept in ``instance/``;
    written before the app starts so that the harness knows it."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "simulator_token"
    token = secrets.token_urlsafe(32)
    path.write_text(token)
    path.chmod(0o600)
    return token


# --- requests ------------------------------------------------------------------------------


def plate_of(i: int) -> str:
    """The ``i``-th plate in ``ABC-123`` form: 17 million before one repeats."""
    block, number = divmod(i, 999)
    letters = "".join(chr(65 + block // 26**k % 26) for k in (2, 1, 0))
    return f"{letters}-{number + 1:03d}"


def write_sms_bodies(path: Path, url: str, token: str, first: int, n: int) -> None:
    """``n`` parkings signed as Twilio signs them, ``signature<TAB>body`` a line: driver,
    plate and ``MessageSid`` new in each."""
    validator = RequestValidator(token)
    with path.open("w") as out:
        for i in range(first, first + n):
            params = {
                "MessageSid": "SM" + secrets.token_hex(16),
                "AccountSid": "AC" + "0" * 32,
                "From": f"+35840{i:07d}",
                "To": SERVICE_NUMBER,
                "Body": f"{plate_of(i)} {ZONE} 1h",
                "NumMedia": "0",
            }
            out.write(f"{validator.compute_signature(url, params)}\t{urlencode(params)}\n")


def fixed_body(path: Path) -> None:
    params = {"From": "+358401234567", "To": SERVICE_NUMBER, "Body": f"ABC-123 {ZONE} 1h"}
    path.write_text(f"-\t{urlencode(params)}\n")


# --- phases --------------------------------------------------------------------------------


@dataclass
class Run:
    """One benchmark run: where its files live and what it found."""

    app: App
    work: Path
    seconds: float
    warmup: float
    settings: harness.GunicornSettings
    results: Results
    tick_limit: float
    only: frozenset[str] = frozenset(SECTIONS)

    def wrk_posts(self, base: str, bodies: Path, *, cycle: bool, seconds: float) -> WrkResult:
        return harness.wrk(
            base + "/twilio/sms",
            "post.lua",
            [str(bodies), "/twilio/sms", "1" if cycle else "0"],
            seconds=seconds,
            connections=CONNECTIONS,
        )


def _record(results: Results, prefix: str, result: WrkResult) -> None:
    results[f"{prefix}_rps"] = result.rate
    results[f"{prefix}_p50_ms"] = result.p50_ms
    results[f"{prefix}_p99_ms"] = result.p99_ms


def _bare_server(run: Run) -> AbstractContextManager[harness.Server]:
    fixed_body(run.work / "bare.txt")
    return harness.gunicorn(
        venv_bin=run.app.venv_bin,
        settings=run.settings,
        module="bare_app:app",
        chdir=BENCH,
        port=harness.free_port(),
        env=run.app.env,
        health_path="/healthz",
        log=run.work / "bare-gunicorn.log",
    )


def _bare_round(run: Run, server: harness.Server) -> WrkResult:
    harness.warn("bare TwiML endpoint ...")
    body = run.work / "bare.txt"
    run.wrk_posts(server.base_url, body, cycle=True, seconds=run.warmup)
    result = run.wrk_posts(server.base_url, body, cycle=True, seconds=run.seconds)
    if result.other or result.socket_errors:
        raise BenchError(f"the bare endpoint failed requests: {result}")
    return result


def _sms_round(
    run: Run, server: harness.Server, db: seed.Connection, token: str, first: int, ceiling: float
) -> tuple[WrkResult, int]:
    """One warmed-up run of SMS parks, requests ``first`` onwards: wrk's result and the
    parkings the database gained meanwhile (those in flight at the deadline included)."""
    harness.warn("POST /twilio/sms, parking a new plate per request ...")
    url = server.base_url + "/twilio/sms"
    warm, bodies = run.work / "sms-warmup.txt", run.work / "sms.txt"
    write_sms_bodies(warm, url, token, WARMUP_BASE + first, int(ceiling * run.warmup) + 200)
    write_sms_bodies(bodies, url, token, first, int(ceiling * run.seconds) + 200)
    run.wrk_posts(server.base_url, warm, cycle=False, seconds=run.warmup)
    seed.wait_idle(db)
    before = seed.count(db, "SELECT count(*) FROM orders")
    result = run.wrk_posts(server.base_url, bodies, cycle=False, seconds=run.seconds)
    seed.wait_idle(db)
    return result, seed.count(db, "SELECT count(*) FROM orders") - before


def bench_bare_and_sms(run: Run, server: harness.Server, db: seed.Connection, token: str) -> None:
    """The bare endpoint and the SMS park in alternate rounds (:data:`ROUNDS`), each
    kept at its best round: on a shared machine a slow moment only ever lowers a rate, and
    it may fall on either; and wrk's 8 connections, open for a whole run, may land mostly
    on one gunicorn worker, which then holds the node to one core (a bare run at half its
    rate, the other core idle). Every round's parkings are checked (:func:`sms_honest`)."""
    # A node parks drivers on a database in steady state: with history, and statistics
    # the planner has from autovacuum (on an empty, never analyzed table it caches plans
    # that scan whole tables as they grow).
    harness.warn(f"seeding {HISTORY_SMS:,} orders ...")
    seed.grow_history(db, HISTORY_SMS, datetime.now(UTC))
    seed.conversations(db)
    bares: list[WrkResult] = []
    smss: list[WrkResult] = []
    totals = dict.fromkeys(("sent", "ok", "parked", "failed", "exhausted", "late"), 0)
    first = 0
    with _bare_server(run) as bare_server:
        for _ in range(ROUNDS):
            bares.append(_bare_round(run, bare_server))
            # Enough fresh requests that wrk never runs out: the SMS path is not faster
            # than the bare endpoint measured just before.
            ceiling = max(bares[-1].rate, 1000.0) * 1.25
            result, parked = _sms_round(run, server, db, token, first, ceiling)
            first += int(ceiling * run.seconds) + 200
            smss.append(result)
            totals["sent"] += result.sent
            totals["ok"] += result.ok
            totals["parked"] += parked
            totals["failed"] += result.other + result.socket_errors
            totals["exhausted"] += result.exhausted
            # Parked but not counted: at most one request per connection at the deadline.
            totals["late"] = max(totals["late"], parked - result.ok)
    bare, sms = max(bares, key=lambda r: r.rate), max(smss, key=lambda r: r.rate)
    _record(run.results, "bare", bare)
    _record(run.results, "sms", sms)
    run.results["bare_rounds_rps"] = [r.rate for r in bares]
    run.results["sms_rounds_rps"] = [r.rate for r in smss]
    run.results["sms_ratio"] = sms.rate / bare.rate
    doubled = seed.count(
        db,
        """SELECT count(*) - count(DISTINCT plate_key) FROM orders
           JOIN customers ON customers.id = orders.customer_id
           WHERE customers.phone LIKE '+35840%'""",
    )
    run.results.update(
        sms_sent=totals["sent"],
        sms_ok=totals["ok"],
        sms_parked=totals["parked"],
        sms_failed=totals["failed"],
        sms_doubled=doubled,
        sms_exhausted=totals["exhausted"],
        sms_late=totals["late"],
    )


def sms_honest(r: Results) -> bool:
    """Every 200 answer parked exactly once and nothing else failed. wrk stops counting at
    the deadline: up to one request per connection per round may still be parked after it (counted
    in ``sent``, not in ``ok``)."""
    return bool(
        r["sms_failed"] == 0
        and r["sms_doubled"] == 0
        and r["sms_exhausted"] == 0
        and r["sms_ok"] <= r["sms_parked"] <= r["sms_sent"]
        and r["sms_late"] <= CONNECTIONS
    )


def bench_plates(
    run: Run, server: harness.Server, db: seed.Connection, token: str, now: datetime
) -> None:
    seed.clear_orders(db)
    sizes = [(HISTORY_SMALL, "plates10k"), (HISTORY_LARGE, "plates1m")]
    if "plates" not in run.only:
        sizes = sizes[:1]
    for total, prefix in sizes:
        harness.warn(f"seeding {total:,} orders ...")
        started = time.monotonic()
        seed.grow_history(db, total, now)
        run.results[f"{prefix}_seed_s"] = time.monotonic() - started
        plates = run.work / f"{prefix}.txt"
        seed.plate_checks_file(db, plates)
        url = server.base_url + "/api/v1/plates/"
        results = []
        for _ in range(ROUNDS):  # kept at its best round, as the SMS park (bench_bare_and_sms)
            harness.warn(f"GET /api/v1/plates/<plate>?zone= at {total:,} orders ...")
            args = [str(plates), token]
            harness.wrk(url, "plates.lua", args, seconds=run.warmup, connections=CONNECTIONS)
            results.append(
                harness.wrk(url, "plates.lua", args, seconds=run.seconds, connections=CONNECTIONS)
            )
        _record(run.results, prefix, max(results, key=lambda r: r.rate))
        run.results[f"{prefix}_rounds_rps"] = [r.rate for r in results]
        run.results[f"{prefix}_failed"] = sum(r.other + r.socket_errors for r in results)
    if "plates1m_rps" in run.results:
        run.results["plates_slowdown"] = run.results["plates10k_rps"] / run.results["plates1m_rps"]


def bench_rss(run: Run, server: harness.Server) -> None:
    each = [harness.rss_mib(pid) for pid in server.worker_pids()]
    if not each:
        raise BenchError("gunicorn has no workers to measure")
    run.results["rss_each_mib"] = each
    run.results["rss_max_mib"] = max(each)


def bench_web(run: Run, database_url: str, port: int, token: str) -> None:
    """Bare endpoint, SMS parks and plate checks, then the workers' memory."""
    api_token = run.app.flask("tokens", "create", "bench-handheld").strip().splitlines()[-1]
    with ExitStack() as stack:
        db = stack.enter_context(seed.connect(harness.psycopg_url(database_url)))
        server = stack.enter_context(
            harness.gunicorn(
                venv_bin=run.app.venv_bin,
                settings=run.settings,
                module="wsgi:app",
                chdir=run.app.directory,
                port=port,
                env=run.app.env,
                health_path="/healthz",
                log=run.work / "kanava-gunicorn.log",
            )
        )
        if "sms" in run.only:
            bench_bare_and_sms(run, server, db, token)
        if run.only & {"plates", "plates10k"}:
            bench_plates(run, server, db, api_token, datetime.now(UTC))
        bench_rss(run, server)


def bench_reminders(run: Run, url: str) -> None:
    """100 k parkings due their reminder at one moment; time ``flask jobs tick --at`` that
    moment until the outbox holds all 100 k (it commits per batch: another connection sees
    them arrive), then let the tick finish (it also sends the first outbox batch).

    A tick still short of 100 k after ``run.tick_limit`` seconds is stopped (its open batch
    rolls back): the time is then estimated from the rate so far, and the checks apply to
    what was queued."""
    env = {**run.app.env, "DATABASE_URL": url}
    run.app.flask("db", "upgrade", env=env)
    run.app.flask("seed", "demo", env=env)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    harness.warn(f"seeding {REMINDERS:,} parkings due their reminder ...")
    with seed.connect(harness.psycopg_url(url)) as conn:
        seed.due_reminders(conn, REMINDERS, at, REMINDER_LEAD_MINUTES)
    harness.warn(f"flask jobs tick --at {at.isoformat()} ...")
    queued_sql = "SELECT count(*) FROM outbound_messages WHERE purpose = 'reminder'"
    with (
        psycopg.connect(harness.psycopg_url(url), autocommit=True) as poll,
        (run.work / "tick.log").open("wb") as log,
    ):
        started = time.monotonic()
        tick = subprocess.Popen(
            [str(run.app.venv_bin / "flask"), "jobs", "tick", "--at", at.isoformat()],
            cwd=run.app.directory,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        queued_after: float | None = None
        stopped = False
        try:
            while tick.poll() is None:
                elapsed = time.monotonic() - started
                if queued_after is None and seed.count(poll, queued_sql) >= REMINDERS:
                    queued_after = elapsed
                if elapsed > run.tick_limit:
                    stopped = True
                    break
                time.sleep(0.2)
        finally:
            if tick.poll() is None:
                os.killpg(tick.pid, signal.SIGKILL)
            tick.wait()
        total = time.monotonic() - started
        if tick.returncode != 0 and not stopped:
            raise BenchError(f"jobs tick failed:\n{(run.work / 'tick.log').read_text()[-3000:]}")
        queued = seed.count(poll, queued_sql)
        if queued_after is None and queued >= REMINDERS:
            queued_after = total  # the last batch landed between two polls and the exit
        orders = seed.count(
            poll,
            "SELECT count(DISTINCT order_id) FROM outbound_messages WHERE purpose = 'reminder'",
        )
        marked = seed.count(poll, "SELECT count(*) FROM orders WHERE reminder_sent_at IS NOT NULL")
    run.results.update(
        reminders_s=queued_after,
        reminders_estimate_s=None if queued_after or not queued else total * REMINDERS / queued,
        reminders_tick_s=None if stopped else total,
        reminders_queued=queued,
        reminders_orders=orders,
        reminders_marked=marked,
    )


def reminders_consistent(r: Results) -> bool:
    """Each reminder queued once, for a distinct parking marked reminded, and none marked
    without its message; all 100 k unless the tick was stopped at the time limit."""
    queued = r["reminders_queued"]
    complete = r["reminders_s"] is None or queued == REMINDERS
    return bool(complete and queued == r["reminders_orders"] == r["reminders_marked"])


def _reminders_time(r: Results) -> str:
    if r["reminders_s"] is not None:
        return f"{r['reminders_s']:.1f}"
    return f"~{r['reminders_estimate_s']:.0f} (est.)"


def bench_pure(app: App) -> Results:
    """The pure functions, in the checkout's own Python (``bench/pure.py``)."""
    harness.warn("pure functions: parse_sms, price ...")
    out = harness.run_checked(
        [app.venv_bin / "python", BENCH / "pure.py", app.directory],
        cwd=app.directory,
        env=app.env,
        what="bench/pure.py",
    )
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    for name, error in data.pop("errors").items():
        warn(f"  {name}: not measured ({error})")
    return data


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table: how to show a figure and whether it meets its target."""

    measure: str
    target: str
    show: Callable[[Results], str]
    passes: Callable[[Results], bool] | None = None
    honesty: bool = False  # a failed honesty row means the figures cannot be trusted

    def value(self, results: Results | None) -> str:
        if not results:
            return "-"
        try:
            return self.show(results)
        except (KeyError, TypeError, ZeroDivisionError):
            return "-"

    def verdict(self, results: Results) -> str:
        if self.passes is None:
            return ""
        try:
            return "pass" if self.passes(results) else "FAIL"
        except (KeyError, TypeError, ZeroDivisionError):
            return "n/a"


def _parked(r: Results) -> str:
    late = r["sms_parked"] - r["sms_ok"]
    return f"{r['sms_parked']:,} = {r['sms_ok']:,}" + (f" + {late}" if late > 0 else "")


def _latency(prefix: str) -> Callable[[Results], str]:
    return lambda r: f"{r[prefix + '_p50_ms']:.1f} / {r[prefix + '_p99_ms']:.1f}"


def _rate(key: str) -> Callable[[Results], str]:
    return lambda r: f"{r[key]:,.0f}"


ROWS = (
    Row("bare TwiML endpoint, req/s", "reference", _rate("bare_rps")),
    Row("bare TwiML endpoint, p50 / p99 ms", "", _latency("bare")),
    Row("SMS park, req/s", "", _rate("sms_rps")),
    Row(
        "SMS park / bare endpoint",
        ">= 10 % (goal 25 %)",
        lambda r: f"{r['sms_ratio'] * 100:.1f} %",
        lambda r: r["sms_ratio"] >= 0.10,
    ),
    Row(
        "SMS park, p50 / p99 ms",
        "p99 < 50 ms",
        _latency("sms"),
        lambda r: r["sms_p99_ms"] < 50,
    ),
    Row(
        "SMS parkings stored",
        "= 200 answers (+ in flight)",
        _parked,
        sms_honest,
        honesty=True,
    ),
    Row(
        "SMS requests failed",
        "0",
        lambda r: f"{r['sms_failed']}",
        lambda r: r["sms_failed"] == 0,
        honesty=True,
    ),
    Row(
        "plate check at 10 k orders, req/s",
        ">= 1,000",
        _rate("plates10k_rps"),
        lambda r: r["plates10k_rps"] >= 1000,
    ),
    Row(
        "plate check at 10 k, p50 / p99 ms",
        "p99 < 20 ms",
        _latency("plates10k"),
        lambda r: r["plates10k_p99_ms"] < 20,
    ),
    Row(
        "plate check at 1 M orders, req/s",
        ">= 1,000",
        _rate("plates1m_rps"),
        lambda r: r["plates1m_rps"] >= 1000,
    ),
    Row(
        "plate check at 1 M, p50 / p99 ms",
        "p99 < 20 ms",
        _latency("plates1m"),
        lambda r: r["plates1m_p99_ms"] < 20,
    ),
    Row(
        "plate check time, 1 M / 10 k",
        "<= 1.2x",
        lambda r: f"{r['plates_slowdown']:.2f}x",
        lambda r: r["plates_slowdown"] <= 1.2,
    ),
    Row(
        "plate checks failed (10 k, 1 M)",
        "0",
        lambda r: f"{r['plates10k_failed']}, {r['plates1m_failed']}",
        lambda r: r["plates10k_failed"] == 0 and r["plates1m_failed"] == 0,
        honesty=True,
    ),
    Row(
        "100 k reminders queued, s",
        "< 60 s",
        _reminders_time,
        lambda r: r["reminders_s"] is not None and r["reminders_s"] < 60,
    ),
    Row(
        "reminders in the outbox",
        f"{REMINDERS:,}, one each",
        lambda r: (
            f"{r['reminders_queued']:,}" + (" (tick stopped)" if r["reminders_s"] is None else "")
        ),
        reminders_consistent,
        honesty=True,
    ),
    Row(
        "web worker RSS after load, MiB",
        "< 120 each",
        lambda r: " / ".join(f"{m:.0f}" for m in r["rss_each_mib"]),
        lambda r: r["rss_max_mib"] < 120,
    ),
    Row(
        "parse_sms, msg/s (one core)",
        ">= 20,000",
        _rate("parse_rate"),
        lambda r: r["parse_rate"] >= 20_000,
    ),
    Row(
        "price of a 7-day parking, us",
        "<= 200",
        lambda r: f"{r['price_us']:.0f}",
        lambda r: r["price_us"] <= 200,
    ),
)


def print_footer(results: Results, seconds: float, tick_limit: float) -> None:
    """How many parkings, how long the 1 M seed and the whole tick took (what was run)."""
    parts = []
    if "sms_parked" in results:
        parts.append(
            f"SMS park: {results['sms_parked']:,} parked in {ROUNDS} x {seconds:g} s "
            f"({results['sms_ok']:,} answered 200 before the deadline); rounds, req/s: bare "
            + " / ".join(f"{r:,.0f}" for r in results.get("bare_rounds_rps", []))
            + ", SMS "
            + " / ".join(f"{r:,.0f}" for r in results.get("sms_rounds_rps", []))
        )
    for prefix, size in (("plates10k", "10 k"), ("plates1m", "1 M")):
        if f"{prefix}_rounds_rps" in results:
            rates = " / ".join(f"{r:,.0f}" for r in results[f"{prefix}_rounds_rps"])
            parts.append(f"plate checks at {size}, rounds, req/s: {rates}")
    if "plates1m_seed_s" in results:
        parts.append(f"1 M orders seeded in {results['plates1m_seed_s']:.0f} s")
    if "reminders_tick_s" in results:
        tick = results["reminders_tick_s"]
        parts.append(
            "jobs tick "
            + (f"took {tick:.1f} s in all" if tick else f"stopped after {tick_limit:g} s")
        )
    if parts:
        print("; ".join(parts))


def print_table(now: Results, before: Results | None) -> tuple[bool, bool]:
    """Print the table; returns (all honesty rows pass, all target rows pass)."""
    lines = [("measure", "target", "before", "now", "")]
    honest = on_target = True
    for row in ROWS:
        verdict = row.verdict(now)
        if verdict == "n/a":  # not measured in this run (--only)
            verdict = ""
        elif verdict != "pass" and row.passes is not None:
            if row.honesty:
                honest = False
            else:
                on_target = False
        lines.append((row.measure, row.target, row.value(before), row.value(now), verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    for n, line in enumerate(lines):
        print(
            f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]:>{widths[2]}}  "
            f"{line[3]:>{widths[3]}}  {line[4]}"
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return honest, on_target


# --- main ----------------------------------------------------------------------------------


def git(app_dir: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(app_dir), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def describe(app_dir: Path) -> dict[str, str]:
    dirty = git(app_dir, "status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git(app_dir, "rev-parse", "HEAD"),
        "commit_date": git(app_dir, "log", "-1", "--format=%cI"),
        "subject": git(app_dir, "log", "-1", "--format=%s"),
        "dirty": "yes" if dirty and dirty != "unknown" else "no",
    }


def load_baseline() -> dict[str, Any] | None:
    if not BASELINE.exists():
        return None
    data: dict[str, Any] = json.loads(BASELINE.read_text())
    return data


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so every ``finally`` stops what it started."""

    def unwind(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    old = {s: signal.signal(s, unwind) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def measure(
    app_dir: Path,
    seconds: float,
    warmup: float,
    tick_limit: float,
    only: frozenset[str] = frozenset(SECTIONS),
) -> tuple[Results, str]:
    """Run the benchmarks of ``only`` (every one by default) against ``app_dir``;
    returns the results and the gunicorn settings measured."""
    venv_bin = app_dir / ".venv" / "bin"
    if not (venv_bin / "gunicorn").exists():
        venv_bin = ROOT / ".venv" / "bin"
    settings = harness.gunicorn_settings(app_dir)
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kanava-bench-")))
        results: Results = {}
        app = App(app_dir, venv_bin, {})
        app.env = app_env("", work / "instance", 0)
        if "pure" in only:
            results.update(bench_pure(app))
        harness.warn("starting PostgreSQL ...")
        # Under /tmp, not the private work directory: the postgres user must reach it.
        cluster = Path(tempfile.mkdtemp(prefix="kanava-bench-pg-"))
        url = stack.enter_context(harness.postgres_cluster(cluster))
        port = harness.free_port()
        app.env = app_env(url, work / "instance", port)
        token = simulator_token(work / "instance")
        app.flask("db", "upgrade")
        app.flask("seed", "demo")
        run = Run(app, work, seconds, warmup, settings, results, tick_limit, only)
        if only & WEB_SECTIONS:
            bench_web(run, url, port, token)
        if "reminders" in only:
            bench_reminders(run, harness.create_database(url, "kanava_reminders"))
        return results, str(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--app-dir", type=Path, default=ROOT, help="checkout to measure (default: this one)"
    )
    parser.add_argument("--seconds", type=float, default=12, help="length of each wrk run")
    parser.add_argument("--warmup", type=float, default=2, help="wrk warm-up before each run")
    parser.add_argument(
        "--tick-limit",
        type=float,
        default=180,
        help="stop the reminder sweep after this many seconds and estimate its time",
    )
    parser.add_argument(
        "--save-baseline", action="store_true", help=f"write this run's figures to {BASELINE}"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to measure, of {', '.join(SECTIONS)} (default: all); "
        "e.g. --only sms --seconds 10 takes about a minute",
    )
    args = parser.parse_args(argv)
    only = frozenset(part.strip() for part in args.only.split(",") if part.strip())
    if not only or only - set(SECTIONS):
        parser.error(f"--only takes {', '.join(SECTIONS)}")
    if args.save_baseline and only != set(SECTIONS):
        parser.error("--save-baseline needs every section (no --only)")
    app_dir = args.app_dir.resolve()
    for tool in ("wrk",):
        if subprocess.run(["which", tool], capture_output=True, check=False).returncode:
            raise SystemExit(f"{tool} is missing: run scripts/ensure-wrk.sh (make bench does)")
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    try:
        with stopped_by_signals():
            results, settings = measure(app_dir, args.seconds, args.warmup, args.tick_limit, only)
    except BenchError as exc:
        warn(f"make bench: {exc}")
        return 1
    except KeyboardInterrupt:
        warn("make bench: interrupted; everything it started is stopped")
        return 130
    load_after = os.getloadavg()
    code = describe(app_dir)
    baseline = load_baseline()
    print()
    print(
        f"Kanava benchmarks, {started:%Y-%m-%d %H:%M} UTC: {app_dir} at {code['commit'][:7]}"
        f"{' (uncommitted changes)' if code['dirty'] == 'yes' else ''}"
    )
    print(
        f"gunicorn {settings}; wrk {harness.WRK_THREADS} threads, {CONNECTIONS} connections, "
        f"{args.seconds:g} s per run on loopback; PostgreSQL (throwaway cluster)"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after"
    )
    if max(load_before[0], load_after[0]) > (os.cpu_count() or 1):
        print(
            "  (busy: more runnable processes than CPUs; latency-bound paths suffer most, so "
            "figures and even ratios are not comparable with a quiet run)"
        )
    if baseline:
        print(
            f"before: {baseline['commit'][:7]} ({baseline['commit_date'][:10]}), measured "
            f"{baseline['measured_at'][:16]} UTC at load {baseline['load_average'][0]:.1f}"
        )
    print()
    honest, on_target = print_table(results, baseline["results"] if baseline else None)
    print()
    print_footer(results, args.seconds, args.tick_limit)
    if args.save_baseline:
        BASELINE.write_text(
            json.dumps(
                {
                    **code,
                    "measured_at": started.isoformat(timespec="seconds"),
                    "cpus": os.cpu_count(),
                    "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
                    "gunicorn": settings,
                    "wrk": f"{CONNECTIONS} connections, {args.seconds:g} s",
                    "results": results,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"baseline written to {BASELINE.relative_to(ROOT)}")
    if not honest:
        warn("make bench: a check failed, the figures above are not to be trusted")
        return 1
    if args.strict and not on_target:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
