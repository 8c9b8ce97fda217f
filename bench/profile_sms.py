"""Profile the SMS park path in one process, without HTTP load: statements, flushes and
commits per message (SQLAlchemy events) and where the time goes (cProfile).

Usage: ``.venv/bin/python bench/profile_sms.py POSTGRES_URL [N]`` against an empty
throwaway database (``scripts/test-postgres.sh start DIR`` gives one); each of the ``N``
messages is a new driver parking a new plate in zone 301, through Flask's test client,
signed as Twilio signs it.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# As under gunicorn (gunicorn.conf.py): request metrics in prometheus-client's multiprocess
# files, chosen when prometheus_client is first imported.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kanava-profile-")
    atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], True)

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from app import create_app
from app.backend import zones
from app.config import Settings
from app.extensions import Base, db

TOKEN = "profile-token-" + "x" * 20
BASE = "https://kanava.test"


def plate_of(i: int) -> str:
    """The ``i``-th plate in ``ABC-123`` form (as bench/run.py): every park a new plate."""
    block, number = divmod(i, 999)
    letters = "".join(chr(65 + block // 26**k % 26) for k in (2, 1, 0))
    return f"{letters}-{number + 1:03d}"


def main() -> None:
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        Base.metadata.create_all(conn)
    engine.dispose()
    settings = Settings(
        database_url=url,
        secret_key="s" * 32,
        public_base_url=BASE,
        simulator_auth_token=TOKEN,
        service_number="+358451234567",
    )
    app = create_app(settings)
    with app.app_context():
        zones.seed_demo(db.session, app.extensions["kanava"].clock())
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
    validator = RequestValidator(TOKEN)

    def park(i: int) -> None:
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": "AC" + "0" * 32,
            "From": f"+35840{i:07d}",
            "To": "+358451234567",
            "Body": f"{plate_of(i)} 301 1h",
            "NumMedia": "0",
        }
        signature = validator.compute_signature(BASE + "/twilio/sms", params)
        response = client.post(
            "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text

    for i in range(20):
        park(1_000_000 + i)
    # CPU time of this process (every thread), without the profiler's own overhead; the
    # least of three rounds, as other processes on a shared machine only ever add to it.
    rounds = []
    for r in range(3):
        cpu_started, started = time.process_time(), time.perf_counter()
        for i in range(n):
            park(2_000_000 + r * n + i)
        rounds.append((time.process_time() - cpu_started, time.perf_counter() - started))
    cpu, wall = min(rounds)
    print(f"{n} parks unprofiled: {cpu / n * 1000:.2f} ms CPU, {wall / n * 1000:.2f} ms wall each")
    counts.clear()
    # Timed by the thread's CPU clock: waits on PostgreSQL cost nothing here.
    profile = cProfile.Profile(time.thread_time)
    started = time.perf_counter()
    profile.enable()
    for i in range(n):
        park(i)
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"{n} parks in {elapsed:.2f} s: {elapsed / n * 1000:.2f} ms each")
    print({k: round(v / n, 2) for k, v in counts.items()}, "per message")
    print(f"{profile_calls(profile) / n:.0f} Python function calls per message")
    if os.environ.get("PROFILE_SQL"):
        for statement in statements[-int(counts["stmt"] / n) :]:
            print("  ", " ".join(statement.split())[:160])
    if os.environ.get("PROFILE_OUT"):
        profile.dump_stats(os.environ["PROFILE_OUT"])
    stats: Any = pstats.Stats(profile)
    print_by_package(stats, n)
    stats.sort_stats("cumulative").print_stats(45)
    # Kanava's own functions: which step of the use case costs what, libraries included.
    stats.sort_stats("cumulative").print_stats(r"/app/", 40)
    stats.sort_stats("tottime").print_stats(25)


def package_of(filename: str) -> str:
    """``sqlalchemy``, ``babel``, ``app.texts`` …: where a profiled function lives."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/app/" in filename:
        parts = filename.split("/app/", 1)[1].split("/")
        return "app." + parts[0].removesuffix(".py") if len(parts) > 1 else "app"
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    return "stdlib" if "/lib/python" in filename else filename


def profile_calls(profile: cProfile.Profile) -> int:
    """Function calls profiled: what the CPU time follows, without its noise."""
    return sum(entry[1] for entry in pstats.Stats(profile).stats.values())  # type: ignore[attr-defined]


def print_by_package(stats: Any, n: float, what: str = "park") -> None:
    """Own time (tottime) per package, per ``what`` (``n`` of them profiled): which library
    the CPU goes to."""
    own: Counter[str] = Counter()
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        own[package_of(filename)] += tottime
    total = sum(own.values())
    print(f"own time per package, ms per {what} (profiled):")
    for package, seconds in own.most_common(15):
        print(f"  {package:24} {seconds / n * 1000:7.2f}  {seconds / total:5.1%}")


if __name__ == "__main__":
    main()
