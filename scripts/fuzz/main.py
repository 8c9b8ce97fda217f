"""``make fuzz``: random input against a running Kanava on PostgreSQL; every 5xx with its input.

One run starts a throwaway PostgreSQL cluster (``scripts/test-postgres.sh``), migrates and
seeds it (``flask db upgrade``, ``flask seed demo``), creates a handheld API token, and
serves Kanava under gunicorn with ``gunicorn.conf.py`` beside the clock (``flask scheduler
run``), as ``make run`` does, in the development settings ``make bench`` uses (no Twilio,
no Stripe: the local outbox and the demo payment page). Those parts are ``bench/``'s own
helpers (``bench/harness.py``, ``bench/run.py``), imported, not copied.

Then, from a few threads, in this order (sizes from the environment):

- ``FUZZ_SMS`` (10,000) random SMS to ``POST /twilio/sms`` (``sms.py``);
- ``FUZZ_VOICE`` (10,000) random voice steps: calls to ``POST /twilio/voice`` that follow
  their TwiML's actions under ``/twilio/voice/…`` (``voice.py``);
- ``FUZZ_WEB`` (2,000) random form posts by browsers on ``/p/<zone>`` and the pages it
  leads to (``web.py``);
- ``FUZZ_GETS`` (2,000) random GETs under ``/p/``, ``/o/``, ``/pay/``, ``/r/``, ``/api/v1/``.

Twilio requests are signed with Twilio's ``RequestValidator`` and the local webhook token
(``instance/simulator_token``, written before the server starts). ``FUZZ_SEED`` repeats a
run's inputs (printed at the start; random when unset); ``FUZZ_THREADS`` (4) sets the
threads. The report: answers by status per target and route, then every distinct failure
(5xx, no answer, or an error the server logged) with its traceback from the server's log
and the exact requests that met it. It is also written as JSON to ``FUZZ_REPORT``
(``.tmp/fuzz/report.json``), beside copies of the server's logs.

Exit status: 0 when nothing failed, 1 when anything did, 2 when the fuzzer itself could not
run or go on, 130 when interrupted (in each case everything it started is stopped first,
and what was found so far is reported).

``make test`` lints this directory with ruff (as ``bench/``) and never runs it; its pure
parts have tests in ``tests/unit/test_fuzz_harness.py``. Type-check it with
``MYPYPATH=bench:scripts/fuzz:scripts/fuzz/serverlog .venv/bin/mypy --strict scripts/fuzz``.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import inputs
import report
import sms
import voice
import web
from client import Budget, Client, Record

ROOT = inputs.ROOT
SERVERLOG = Path(__file__).resolve().parent / "serverlog"
sys.path += [str(ROOT / "bench"), str(SERVERLOG)]
import harness  # noqa: E402 - bench/harness.py: the cluster, gunicorn, free ports
import kanava_fuzz_log  # noqa: E402 - the server's logging, each record with its request
import run as bench  # noqa: E402 - bench/run.py: development settings, the webhook token

Job = Callable[[int, Client, Budget], None]
CLOCK_INTERVAL = 10  # seconds between the clock's sweeps: more of them meet the fuzzing


@dataclass(frozen=True)
class Options:
    seed: str
    sms: int
    voice: int
    web: int
    gets: int
    threads: int
    report: Path

    @classmethod
    def from_environment(cls) -> Options:
        def number(name: str, default: int) -> int:
            value = os.environ.get(name, "").replace("_", "").replace(",", "")
            if not value:
                return default
            if not value.isdecimal():
                raise SystemExit(f"make fuzz: {name}={os.environ[name]!r} is not a count")
            return int(value)

        return cls(
            seed=os.environ.get("FUZZ_SEED") or str(secrets.randbelow(1_000_000)),
            sms=number("FUZZ_SMS", 10_000),
            voice=number("FUZZ_VOICE", 10_000),
            web=number("FUZZ_WEB", 2_000),
            gets=number("FUZZ_GETS", 2_000),
            threads=max(1, number("FUZZ_THREADS", 4)),
            report=Path(os.environ.get("FUZZ_REPORT") or ROOT / ".tmp" / "fuzz" / "report.json"),
        )


# --- the server ----------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    webhook_token: str
    api_token: str
    logs: dict[str, Path]
    description: str


@contextmanager
def clock(app: bench.App, log: Path) -> Iterator[None]:
    """The clock process beside the web workers, in its own process group."""
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own venv's flask, fixed arguments
            [str(app.venv_bin / "flask"), "scheduler", "run", "--interval", str(CLOCK_INTERVAL)],
            cwd=app.directory,
            env=app.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def kanava_on_postgres(work: Path) -> Iterator[Server]:
    """A fresh cluster, migrated and seeded, and Kanava serving it with its clock; all
    stopped and removed afterwards, whatever happens."""
    with ExitStack() as stack:
        harness.warn("starting PostgreSQL ...")
        # Under /tmp, not the private work directory: the postgres user must reach it.
        cluster = Path(tempfile.mkdtemp(prefix="kanava-fuzz-pg-"))
        url = stack.enter_context(harness.postgres_cluster(cluster))
        port = harness.free_port()
        instance = work / "instance"
        env = bench.app_env(url, instance, port)
        # The server's log names the request of each record (serverlog/kanava_fuzz_log.py).
        log_config = work / "logging.json"
        log_config.write_text(json.dumps(kanava_fuzz_log.config()))
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(SERVERLOG), env.get("PYTHONPATH")])),
            GUNICORN_CMD_ARGS=f"--log-config-json {log_config}",
        )
        app = bench.App(ROOT, ROOT / ".venv" / "bin", env)
        webhook_token = bench.simulator_token(instance)
        harness.warn("flask db upgrade, flask seed demo ...")
        app.flask("db", "upgrade")
        app.flask("seed", "demo")
        api_token = app.flask("tokens", "create", "fuzz-handheld").strip().splitlines()[-1]
        settings = harness.gunicorn_settings(ROOT)
        logs = {"web": work / "gunicorn.log", "clock": work / "clock.log"}
        harness.warn(f"gunicorn ({settings}) and the clock ...")
        server = stack.enter_context(
            harness.gunicorn(
                venv_bin=app.venv_bin,
                settings=settings,
                module="wsgi:app",
                chdir=ROOT,
                port=port,
                env=app.env,
                health_path="/healthz",
                log=logs["web"],
            )
        )
        stack.enter_context(clock(app, logs["clock"]))
        yield Server(
            base_url=server.base_url,
            webhook_token=webhook_token,
            api_token=api_token,
            logs=logs,
            description=f"gunicorn {settings}, the clock every {CLOCK_INTERVAL} s, PostgreSQL",
        )


# --- campaigns -----------------------------------------------------------------------------


class FuzzerBroke(RuntimeError):
    """The fuzzer's own code failed: its findings would not be complete."""


def run_campaign(
    name: str, total: int, job: Job, server: Server, record: Record, threads: int
) -> float:
    """Run ``job(i, client, budget)`` for i = 0, 1, … from ``threads`` threads until
    ``total`` requests are counted; returns the seconds it took."""
    budget = Budget(total)
    indexes = itertools.count()
    lock = threading.Lock()
    broken: list[str] = []

    def work() -> None:
        client = Client(server.base_url, server.webhook_token, record)
        try:
            while budget.left > 0 and not budget.stop.is_set():
                with lock:
                    i = next(indexes)
                job(i, client, budget)
        except Exception:
            broken.append(traceback.format_exc())
            budget.stop.set()
        finally:
            client.close()

    started = time.monotonic()
    workers = [
        threading.Thread(target=work, name=f"{name}-{n}", daemon=True) for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    shown = started
    try:
        while any(w.is_alive() for w in workers):
            for worker in workers:
                worker.join(timeout=1)
            if time.monotonic() - shown >= 15:
                shown = time.monotonic()
                harness.warn(
                    f"  {name}: {budget.used:,} of {total:,}, "
                    f"{len(record.failures):,} failed so far"
                )
    except BaseException:
        record.close()  # the server goes down under the requests still in flight
        raise
    finally:
        budget.stop.set()
    if broken:
        raise FuzzerBroke(f"the {name} campaign broke:\n{broken[0]}")
    return time.monotonic() - started


def campaigns(options: Options, server: Server) -> list[tuple[str, int, Job]]:
    corpus = inputs.load_corpus()
    regulars = inputs.regulars(inputs.new_rng(options.seed, "regulars"), 60)
    return [
        ("sms", options.sms, sms.Sms(options.seed, regulars, corpus).send),
        ("voice", options.voice, voice.Voice(options.seed, regulars, corpus).call),
        ("web", options.web, web.Web(options.seed).browse),
        ("get", options.gets, web.Gets(options.seed, server.api_token).get),
    ]


# --- main ----------------------------------------------------------------------------------


def print_report(
    options: Options,
    server: Server | None,
    record: Record,
    timings: list[str],
    findings: list[report.Finding],
    logs: list[report.Entry],
    interrupted: bool,
) -> None:
    print()
    print(
        f"Kanava fuzz, FUZZ_SEED={options.seed} (the same seed sends the same inputs; what "
        "the server answers may differ with timing)"
    )
    if server:
        print(f"server: {server.description}; {options.threads} client threads")
    for line in timings:
        print(line)
    print()
    print("Answers by status (target: what the budget counts; route: where it went)")
    for line in report.status_table(record):
        print("  " + line)
    print()
    print("Slowest answers")
    for line in report.slowest_lines(record.exchanges):
        print(line)
    warnings = report.warning_lines(logs)
    if warnings:
        print()
        print("Warnings the server logged (expected: refused forged signatures)")
        for line in warnings:
            print(line)
    if record.misfires:
        print()
        print(
            f"FUZZER FAULT: {len(record.misfires):,} requests signed as Twilio signs were "
            "refused (403); the first:"
        )
        for line in record.misfires[0].describe():
            print("  " + line)
    failed = len(record.failures)
    logged = sum(f.unmatched for f in findings)
    print()
    if findings:
        print(
            f"FAILURES: {failed:,} requests answered 5xx or not at all, {logged:,} errors "
            f"logged without one; {len(findings)} distinct, biggest first"
        )
        for n, finding in enumerate(findings, 1):
            for line in report.finding_lines(n, len(findings), finding):
                print(line)
    else:
        print("No 5xx, no request without an answer, no error in the server's logs.")
    print()
    print(f"Report as JSON: {options.report} (the server's logs beside it)")
    if interrupted:
        print("Interrupted: the figures above cover only what was sent.")


def parse_logs(options: Options) -> list[report.Entry]:
    folder = options.report.parent
    return report.parse_log(folder / "gunicorn.log", "gunicorn") + report.parse_log(
        folder / "clock.log", "clock"
    )


def main() -> int:
    options = Options.from_environment()
    harness.warn(
        f"make fuzz: FUZZ_SEED={options.seed}: {options.sms:,} SMS, {options.voice:,} voice "
        f"steps, {options.web:,} web posts, {options.gets:,} GETs, {options.threads} threads"
    )
    # A run stopped before its server wrote a log must not report the last run's.
    for stale in ("report.json", "gunicorn.log", "clock.log"):
        (options.report.parent / stale).unlink(missing_ok=True)
    options.report.unlink(missing_ok=True)
    record = Record()
    timings: list[str] = []
    interrupted = False
    broke: str | None = None  # why the fuzzer could not go on: what it found is reported
    server: Server | None = None
    with ExitStack() as outer:
        work = Path(outer.enter_context(tempfile.TemporaryDirectory(prefix="kanava-fuzz-")))
        try:
            with bench.stopped_by_signals(), kanava_on_postgres(work) as server:
                for name, total, job in campaigns(options, server):
                    if total <= 0:
                        continue
                    harness.warn(f"{name}: {total:,} ...")
                    seconds = run_campaign(name, total, job, server, record, options.threads)
                    timings.append(
                        f"  {name:<6} {total:>7,} in {seconds:4.0f} s; "
                        + report.latency(record.exchanges, name)
                    )
        except KeyboardInterrupt:
            interrupted = True
            harness.warn("make fuzz: interrupted; everything it started is stopped")
        except (harness.BenchError, FuzzerBroke) as exc:
            broke = str(exc)
        # The server and the clock are stopped: their logs are complete.
        options.report.parent.mkdir(parents=True, exist_ok=True)
        for name, copy in (("gunicorn.log", "gunicorn.log"), ("clock.log", "clock.log")):
            if (work / name).exists():
                shutil.copyfile(work / name, options.report.parent / copy)
    logs = parse_logs(options)
    findings = report.analyse(record, record.exchanges, logs)
    print_report(options, server, record, timings, findings, logs, interrupted)
    report.write_json(
        options.report,
        {"seed": options.seed, "timings": timings, "interrupted": interrupted, "broke": broke},
        record,
        findings,
    )
    if broke:
        harness.warn(f"make fuzz: {broke}\nThe figures above cover only what was sent.")
    if interrupted:
        return 130
    if broke or record.misfires:
        return 2
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
