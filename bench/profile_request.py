"""Profile what one GET costs Kanava in one process, without HTTP load: the fixed cost per
request that every route pays (hooks, session, locale, metrics, the pool's checkout).

Usage: ``.venv/bin/python bench/profile_request.py URL PATH [N]``, e.g.
``bench/profile_request.py postgresql+psycopg://…/kanava_test /healthz 2000``; ``URL`` is a
throwaway database (``scripts/test-postgres.sh start DIR`` gives one, or ``sqlite:///…``);
its tables are created if missing. Each of the ``N`` requests (default 2,000) is a
``GET PATH`` through Flask's test client. Printed: CPU per request (least of three rounds),
the same for the bare Flask app of ``make bench`` (bench/bare_app.py) as the floor,
statements and commits per request, then a cProfile of ``N`` more requests.

``LOG_FORMAT=json`` in the environment turns on the JSON request log (written to
/dev/null), as in production; ``PROFILE=0`` prints the CPU figures only;
``PROFILE_OUT=FILE`` keeps the profile for ``pstats``.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# As under gunicorn (gunicorn.conf.py): request metrics in prometheus-client's multiprocess
# files, chosen when prometheus_client is first imported.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kanava-profile-")
    atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], True)

from flask import Flask
from profile_sms import print_by_package, profile_calls
from sqlalchemy import create_engine, event

from app import create_app
from app.config import Settings
from app.extensions import Base, db


def cpu_per_call(call: Callable[[], object], n: int, rounds: int = 3) -> float:
    """Seconds of this process's CPU per ``call``: the least of ``rounds`` rounds of ``n``,
    as other processes on a shared machine only ever add to it."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - started) / n)
    return best


def kanava_app(url: str) -> Flask:
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.create_all(conn)
    engine.dispose()
    settings = Settings(
        database_url=url,
        secret_key="s" * 32,
        public_base_url="https://kanava.test",
        simulator_auth_token="profile-token-" + "x" * 20,
        service_number="+358451234567",
        # The per-address limits would answer 429 to a loop from one address.
        api_per_minute=0,
        form_posts_per_minute=0,
        signin_per_minute=0,
        log_format=os.environ.get("LOG_FORMAT", "text"),
    )
    return create_app(settings)


def main() -> None:
    url, path = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    if os.environ.get("LOG_FORMAT") == "json":
        # The JSON request log goes to standard error: keep it off the report.
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    app = kanava_app(url)
    client = app.test_client()
    status = client.get(path).status_code

    def get() -> None:
        client.get(path)

    for _ in range(100):
        get()
    cpu = cpu_per_call(get, n)

    from bare_app import app as bare

    bare_client = bare.test_client()
    bare_cpu = cpu_per_call(lambda: bare_client.get("/healthz"), n)
    print(f"GET {path} -> {status}: {cpu * 1000:.3f} ms CPU per request (least of 3 x {n})")
    print(
        f"bare Flask GET /healthz: {bare_cpu * 1000:.3f} ms CPU;"
        f" Kanava adds {(cpu - bare_cpu) * 1000:.3f} ms"
    )

    if os.environ.get("PROFILE") == "0":
        return
    counts: Counter[str] = Counter()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: counts.update(["stmt"]))
        event.listen(db.engine, "commit", lambda *a: counts.update(["commit"]))
        event.listen(db.engine.pool, "checkout", lambda *a: counts.update(["checkout"]))
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    for _ in range(n):
        get()
    profile.disable()
    print({k: round(v / n, 2) for k, v in counts.items()}, "per request")
    print(f"{profile_calls(profile) / n:.0f} Python function calls per request")
    if os.environ.get("PROFILE_OUT"):
        profile.dump_stats(os.environ["PROFILE_OUT"])
    stats: Any = pstats.Stats(profile, stream=sys.stdout)
    print_by_package(stats, n)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
