"""Profile the reminder sweep in one process, without the rest of the machine's noise: CPU
seconds of this process and of PostgreSQL, statements and commits per batch, for ``N``
parkings due their reminder at one moment (seeded as ``make bench`` seeds its 100 k), and
the CPU extrapolated to 100 k.

Usage: ``.venv/bin/python bench/profile_reminders.py POSTGRES_URL [N] [--profile]``
against a throwaway cluster of your own (``scripts/test-postgres.sh start DIR`` gives
one): its ``public`` schema is dropped and migrated afresh each round. ``N`` defaults to
10,000. Three rounds (``--rounds=K``), each on freshly seeded rows; the least CPU counts,
as other processes on a shared machine only ever add to it. ``--batch=B`` tries another
``REMINDER_BATCH``. ``--profile`` adds a cProfile of one
more round (own time per package, then the costliest functions).

PostgreSQL's CPU is read from ``/proc``: every process of the cluster (the backend, the
WAL writer, the checkpointer ...), so the cluster must run on this machine.
"""

from __future__ import annotations

import cProfile
import logging
import pstats
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness
import psycopg
import seed
from flask import Flask
from flask_migrate import upgrade
from profile_sms import print_by_package
from sqlalchemy import event, text

from app import create_app
from app.clock import duties
from app.config import Settings
from app.extensions import db
from app.usecases import operator_commands

LEAD_MINUTES = 10  # as bench/run.py's REMINDER_LEAD_MINUTES
BENCH_REMINDERS = 100_000
CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


@dataclass
class Round:
    cpu_s: float  # this process
    postgres_s: float  # every process of the cluster
    backend_s: float  # the sweep's own backend among them
    wall_s: float
    statements: int
    commits: int
    queued: int
    backend_by_statement: Counter[str]


def cluster_pids(conn: psycopg.Connection[Any]) -> list[int]:
    """The postmaster of the server ``conn`` talks to, and all its children."""
    backend = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert backend is not None
    postmaster = int(_stat(backend[0])[1])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


def _stat(pid: int) -> list[str]:
    """Fields of ``/proc/PID/stat`` after the command name: [state, ppid, ...]."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def postgres_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the cluster's processes have used so far, with the
    children they reaped; a process gone meanwhile counts no more."""
    total = 0
    for pid in pids:
        try:
            fields = _stat(pid)
        except FileNotFoundError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 after the name.
        total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


def fresh_database(app: Flask, url: str, n: int, at: datetime) -> None:
    """An empty schema migrated to head, the demo zones, and ``n`` parkings due at ``at``."""
    db.session.remove()
    db.engine.dispose()
    with psycopg.connect(harness.psycopg_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    upgrade()
    operator_commands.seed_demo_zones(db.session(), at - timedelta(days=1))
    db.session.remove()
    with seed.connect(harness.psycopg_url(url)) as conn:
        seed.due_reminders(conn, n, at, LEAD_MINUTES)


def sweep(app: Flask, url: str, n: int, profile: cProfile.Profile | None = None) -> Round:
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    fresh_database(app, url, n, at)
    counts: Counter[str] = Counter()
    # PostgreSQL CPU of the sweep's backend per kind of statement (its first two words),
    # read from /proc around each (10 ms ticks: meaningful summed over many batches).
    by_statement: Counter[str] = Counter()
    backend_cpu_before = [0.0]

    def counted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts["statements"] += 1
        backend_cpu_before[0] = postgres_cpu([backend])

    def measured(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        kind = " ".join(statement.split()[:2])
        by_statement[kind] += postgres_cpu([backend]) - backend_cpu_before[0]

    def committed(*_args: Any) -> None:
        counts["commits"] += 1

    kanava = app.extensions["kanava"]
    session = db.session()
    # Connected before the clocks start; the pool gives this connection back after each
    # batch's commit, so its backend is the one that does the sweep's statements.
    backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    session.commit()
    event.listen(db.engine, "before_cursor_execute", counted)
    event.listen(db.engine, "after_cursor_execute", measured)
    event.listen(db.engine, "commit", committed)
    with psycopg.connect(harness.psycopg_url(url)) as probe:
        pids = cluster_pids(probe)
    pg_started, backend_started = postgres_cpu(pids), postgres_cpu([backend])
    cpu_started, started = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    queued = duties.send_reminders(session, kanava, at)
    if profile is not None:
        profile.disable()
    cpu, wall = time.process_time() - cpu_started, time.perf_counter() - started
    pg = postgres_cpu(pids) - pg_started
    pg_backend = postgres_cpu([backend]) - backend_started
    event.remove(db.engine, "before_cursor_execute", counted)
    event.remove(db.engine, "after_cursor_execute", measured)
    event.remove(db.engine, "commit", committed)
    db.session.remove()
    check(url, n)
    return Round(
        cpu, pg, pg_backend, wall, counts["statements"], counts["commits"], queued, by_statement
    )


def check(url: str, n: int) -> None:
    """Every due parking reminded once, with its timeline event: the sweep did its job."""
    with psycopg.connect(harness.psycopg_url(url)) as conn:
        for what, sql in (
            ("outbox rows", "SELECT count(*) FROM outbound_messages WHERE purpose = 'reminder'"),
            ("reminded orders", "SELECT count(DISTINCT order_id) FROM outbound_messages"),
            ("marked orders", "SELECT count(*) FROM orders WHERE reminder_sent_at IS NOT NULL"),
            ("timeline events", "SELECT count(*) FROM events WHERE kind = 'message_out'"),
        ):
            got = seed.count(conn, sql)
            if got != n:
                raise SystemExit(f"{what}: {got}, expected {n}")


def _option(name: str, default: int) -> int:
    """``--name=K`` from the command line, else ``default``."""
    for arg in sys.argv[1:]:
        if arg.startswith(f"--{name}="):
            return int(arg.split("=", 1)[1])
    return default


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    logging.getLogger("alembic").setLevel(logging.WARNING)
    duties.REMINDER_BATCH = _option("batch", duties.REMINDER_BATCH)
    url = args[0]
    n = int(args[1]) if len(args) > 1 else 10_000
    settings = Settings(
        database_url=url,
        secret_key="s" * 32,
        public_base_url="https://kanava.test",
        reminder_lead_minutes=LEAD_MINUTES,
    )
    app = create_app(settings)
    with app.app_context():
        rounds = [sweep(app, url, n) for _ in range(_option("rounds", 3))]
        best = min(rounds, key=lambda r: r.cpu_s + r.postgres_s)
        batches = -(-n // duties.REMINDER_BATCH)
        total = best.cpu_s + best.postgres_s
        print(f"{n:,} reminders due; rounds (tick CPU + PostgreSQL CPU, wall):")
        for r in rounds:
            print(
                f"  {r.cpu_s:6.2f} s + {r.postgres_s:6.2f} s (its backend {r.backend_s:.2f} s), "
                f"wall {r.wall_s:6.2f} s"
            )
        print(
            f"best: tick {best.cpu_s:.2f} s CPU, PostgreSQL {best.postgres_s:.2f} s CPU, "
            f"total {total:.2f} s ({total / n * 1e6:.0f} µs per reminder)"
        )
        print(
            f"{best.statements} statements, {best.commits} commits: "
            f"{best.statements / batches:.1f} statements per batch of {duties.REMINDER_BATCH}"
        )
        print("its backend's CPU by statement (the rest: commits):")
        for kind, seconds in best.backend_by_statement.most_common():
            print(f"  {kind[:40]:40} {seconds:6.2f} s")
        scale = BENCH_REMINDERS / n
        print(
            f"extrapolated to {BENCH_REMINDERS:,}: tick {best.cpu_s * scale:.1f} s + "
            f"PostgreSQL {best.postgres_s * scale:.1f} s = {total * scale:.1f} s CPU "
            f"(2 cores: wall >= {total * scale / 2:.1f} s, single tick thread >= "
            f"{max(best.cpu_s, best.postgres_s) * scale:.1f} s)"
        )
        if "--profile" in sys.argv:
            profile = cProfile.Profile(time.process_time)
            sweep(app, url, n, profile)
            stats: Any = pstats.Stats(profile)
            print_by_package(stats, n / 1000, "1,000 reminders")
            stats.sort_stats("cumulative").print_stats(r"/app/", 30)
            stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
