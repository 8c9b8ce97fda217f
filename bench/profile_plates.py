"""Profile the handheld's plate check in one process, without HTTP load: statements and
commits per check (SQLAlchemy events) and where the time goes (cProfile).

Usage: ``.venv/bin/python bench/profile_plates.py POSTGRES_URL [N]`` against an empty
throwaway database (``scripts/test-postgres.sh start DIR`` gives one). It seeds the demo
zones, a handheld's token and orders for the plates it checks, as an attendant in zone 301
meets them: parked and paid here, awaiting payment here, expired here an hour ago, parked
in another zone, booked in another zone now, or only parked in the past, each plate with a
year of older parkings, among other plates' orders. Each of the ``N`` checks asks
``GET /api/v1/plates/<plate>?zone=301`` through Flask's test client with the bearer token.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# As under gunicorn (gunicorn.conf.py): request metrics in prometheus-client's multiprocess
# files, chosen when prometheus_client is first imported.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kanava-profile-")
    atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], True)

from profile_sms import plate_of, print_by_package, profile_calls
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import create_app
from app.backend import tokens, zones
from app.config import Settings
from app.domain.plates import normalize_plate
from app.extensions import Base, db
from app.models import (
    Channel,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    Zone,
)

BASE = "https://kanava.test"
ZONE = "301"
OTHER_ZONE = "202"
BOOKING_ZONE = "103"
# How the checked plates stand in zone 301, one plate in each per round of six.
SHAPES = ("paid_here", "awaiting_here", "expired_here", "elsewhere", "booked_elsewhere", "past")
CHECKED_PLATES = 120
OTHER_PLATES = 2_000
HISTORY_PER_PLATE = 5


def _order(
    plate: str,
    zone: Zone,
    status: OrderStatus,
    starts_at: datetime,
    minutes: int,
    *,
    kind: OrderKind = OrderKind.PARKING,
    ended: bool = False,
) -> Order:
    ends_at = starts_at + timedelta(minutes=minutes)
    order = Order(
        kind=kind,
        status=status,
        channel=Channel.SMS,
        zone_id=zone.id,
        plate_key=normalize_plate(plate),
        plate_display=plate,
        starts_at=starts_at,
        ends_at=ends_at,
        ended_at=ends_at if ended else None,
        amount_cents=minutes * 4,
        currency="EUR",
        language="fi",
        created_at=starts_at,
        updated_at=starts_at,
    )
    if status is not OrderStatus.AWAITING_PAYMENT:
        order.payments.append(
            Payment(
                provider="stripe",
                status=PaymentStatus.SUCCEEDED,
                amount_cents=order.amount_cents,
                captured_cents=order.amount_cents,
                currency="EUR",
                token=f"t{random.getrandbits(100):x}"[:32],
                paid_at=starts_at,
                created_at=starts_at,
            )
        )
    return order


def _history(plate: str, zone_list: list[Zone], now: datetime, rng: random.Random) -> list[Order]:
    """A year of ended parkings of ``plate`` in any zone."""
    return [
        _order(
            plate,
            rng.choice(zone_list),
            OrderStatus.ENDED,
            now - timedelta(days=rng.randint(2, 365), minutes=rng.randint(0, 1440)),
            rng.randint(15, 240),
            ended=True,
        )
        for _ in range(HISTORY_PER_PLATE)
    ]


def _now_orders(plate: str, shape: str, by_code: dict[str, Zone], now: datetime) -> list[Order]:
    """What ``plate`` holds today, as its ``shape`` says."""
    here, there, booked = by_code[ZONE], by_code[OTHER_ZONE], by_code[BOOKING_ZONE]
    if shape == "paid_here":
        return [_order(plate, here, OrderStatus.ACTIVE, now - timedelta(minutes=30), 120)]
    if shape == "awaiting_here":
        return [_order(plate, here, OrderStatus.AWAITING_PAYMENT, now - timedelta(minutes=2), 60)]
    if shape == "expired_here":
        return [_order(plate, here, OrderStatus.EXPIRED, now - timedelta(hours=3), 120)]
    if shape == "elsewhere":
        return [
            _order(plate, here, OrderStatus.ENDED, now - timedelta(hours=5), 60, ended=True),
            _order(plate, there, OrderStatus.ACTIVE, now - timedelta(minutes=20), 90),
        ]
    if shape == "booked_elsewhere":
        return [
            _order(
                plate,
                booked,
                OrderStatus.BOOKED,
                now - timedelta(minutes=40),
                180,
                kind=OrderKind.BOOKING,
            )
        ]
    return []


def seed(session: Session, now: datetime) -> list[str]:
    """Orders for the checked plates and for others; returns the checked plates."""
    rng = random.Random(13)
    zone_list = list(session.scalars(select(Zone).where(Zone.active.is_(True))))
    by_code = {z.code: z for z in zone_list}
    checked = [plate_of(500_000 + i) for i in range(CHECKED_PLATES)]
    for i, plate in enumerate(checked):
        session.add_all(_history(plate, zone_list, now, rng))
        session.add_all(_now_orders(plate, SHAPES[i % len(SHAPES)], by_code, now))
    for i in range(OTHER_PLATES):
        session.add_all(_history(plate_of(600_000 + i), zone_list, now, rng))
    return checked


def _cpu_of(call: Any, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        call()
    return time.process_time() - started


def _backends(engine_url: str) -> list[int]:
    """The process ids of the database's server sessions but this one (the profile's pool)."""
    engine = create_engine(engine_url, poolclass=NullPool)
    with engine.connect() as conn:
        pids = conn.scalars(
            text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    engine.dispose()
    return list(pids)


def _server_cpu(pids: list[int]) -> float:
    """Seconds of CPU the server processes ``pids`` have used (user and system), read from
    /proc on a database on this machine; -1 where that cannot be read."""
    ticks = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    except OSError:
        return -1.0
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        Base.metadata.create_all(conn)
    engine.dispose()
    # Per-address limits count each request in a transaction of their own; make bench runs
    # without them (bench/run.py), and so does this profile.
    settings = Settings(
        database_url=url, secret_key="s" * 32, public_base_url=BASE, api_per_minute=0
    )
    app = create_app(settings)
    with app.app_context():
        now = app.extensions["kanava"].clock()
        zones.seed_demo(db.session, now)
        db.session.flush()
        plates = seed(db.session, now)
        token = tokens.create_token(db.session, "profile handheld", now)
        db.session.commit()
        db.session.remove()
        counts: Counter[str] = Counter()
        statements: list[str] = []

        def counted(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            counts.update(["stmt"])
            statements.append(statement)
            del statements[:-100]

        event.listen(db.engine, "before_cursor_execute", counted)
        event.listen(db.engine, "commit", lambda *a: counts.update(["commit"]))
    event.listen(Session, "after_flush", lambda *a: counts.update(["flush"]))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    answers: Counter[str] = Counter()

    def check(i: int) -> None:
        response = client.get(
            f"/api/v1/plates/{plates[i % len(plates)]}?zone={ZONE}", headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.get_json()
        answers.update(
            [
                "valid"
                if body["valid"]
                else "elsewhere"
                if body["elsewhere"]
                else "not valid"
                if body["order_id"]
                else "nothing"
            ]
        )

    for i in range(len(plates)):
        check(i)
    print("answers per round of plates:", dict(answers))
    # CPU time of this process (every thread), without the profiler's own overhead; the
    # least of three rounds, as other processes on a shared machine only ever add to it.
    rounds = []
    for _ in range(3):
        backends = _backends(engine_url=url)
        server_started = _server_cpu(backends)
        cpu_started, started = time.process_time(), time.perf_counter()
        for i in range(n):
            check(i)
        server = _server_cpu(backends) - server_started
        rounds.append((time.process_time() - cpu_started, time.perf_counter() - started, server))
    cpu, wall, server = min(rounds)
    print(f"{n} checks unprofiled: {cpu / n * 1000:.2f} ms CPU, {wall / n * 1000:.2f} ms wall each")
    if server >= 0:
        print(f"  PostgreSQL's server processes: {server / n * 1000:.2f} ms CPU per check")
    # The floor in the same harness: Flask's test client and a bare Flask endpoint
    # (bench/bare_app.py), which gunicorn's workers do not pay for the client's part.
    from bare_app import app as bare

    bare_client = bare.test_client()
    bare_cpu = min(_cpu_of(lambda: bare_client.get("/healthz"), n) for _ in range(3))
    print(f"  bare Flask GET /healthz in the same test client: {bare_cpu / n * 1000:.2f} ms CPU")
    counts.clear()
    # Timed by the thread's CPU clock: waits on PostgreSQL cost nothing here.
    profile = cProfile.Profile(time.thread_time)
    started = time.perf_counter()
    profile.enable()
    for i in range(n):
        check(i)
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"{n} checks in {elapsed:.2f} s: {elapsed / n * 1000:.2f} ms each")
    print({k: round(v / n, 2) for k, v in counts.items()}, "per check")
    print(f"{profile_calls(profile) / n:.0f} Python function calls per check")
    if os.environ.get("PROFILE_SQL"):
        for statement in statements[-int(counts["stmt"] / n * len(SHAPES)) :]:
            print("  ", " ".join(statement.split())[:200])
    if os.environ.get("PROFILE_OUT"):
        profile.dump_stats(os.environ["PROFILE_OUT"])
    stats: Any = pstats.Stats(profile)
    print_by_package(stats, n, "check")
    stats.sort_stats("cumulative").print_stats(45)
    # Kanava's own functions: which step of the check costs what, libraries included.
    stats.sort_stats("cumulative").print_stats(r"/app/", 40)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
