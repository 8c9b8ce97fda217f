"""CPU seconds per SMS park in the gunicorn workers, not wall time: what a loaded, shared
machine cannot blur.

Usage: ``.venv/bin/python bench/cpu_sms.py POSTGRES_URL [N] [--app-dir DIR]``. It creates a
fresh database on that server (``scripts/test-postgres.sh start DIR`` gives one), migrates
and seeds it as ``make bench`` does, serves the checkout with gunicorn under
``gunicorn.conf.py`` (``--gunicorn`` overrides its settings), warms it up, then posts ``N``
signed parks (each a new driver, plate and ``MessageSid`` in zone 301) from 8 threads at
once (``--clients``), and prints the workers' user and system CPU (``/proc/<pid>/stat``)
per park (with ``--pg-dir DIR``, the cluster's too), the parks made, and the wall rate for
information only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl

import harness
import requests
import seed
from run import App, app_env, simulator_token, write_sms_bodies

THREADS = 8
WARMUP = 80
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of ``pid`` so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def server_cpu_seconds(pg_dir: Path) -> float:
    """CPU of a PostgreSQL cluster so far: its postmaster, the backends alive now, and
    (``cutime``/``cstime``) the backends that have exited."""
    postmaster = int((pg_dir / "data" / "postmaster.pid").read_text().split()[0])
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15]) / TICKS
        elif int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def post_all(url: str, bodies: Path, clients: int = THREADS) -> int:
    """Post every pre-signed body of ``bodies`` from ``clients`` threads at once; returns
    how many were answered 200."""
    lines = bodies.read_text().splitlines()
    answered = [0] * clients

    def worker(k: int) -> None:
        with requests.Session() as http:
            for line in lines[k::clients]:
                signature, body = line.split("\t", 1)
                response = http.post(
                    url, data=dict(parse_qsl(body)), headers={"X-Twilio-Signature": signature}
                )
                answered[k] += response.status_code == 200

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(answered)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("postgres_url")
    parser.add_argument("n", nargs="?", type=int, default=400)
    parser.add_argument("--app-dir", type=Path, default=harness.ROOT)
    parser.add_argument("--clients", type=int, default=THREADS, help="requests at once")
    parser.add_argument(
        "--pg-dir",
        type=Path,
        help="the cluster's directory (scripts/test-postgres.sh start DIR): also print its CPU",
    )
    parser.add_argument(
        "--gunicorn",
        default="",
        help='settings that override gunicorn.conf.py\'s, e.g. "workers = 4; threads = 1"',
    )
    args = parser.parse_args()
    app_dir = args.app_dir.resolve()
    url = harness.create_database(args.postgres_url, "kanava_cpu_" + secrets.token_hex(4))
    with tempfile.TemporaryDirectory(prefix="kanava-cpu-") as tmp:
        work = Path(tmp)
        port = harness.free_port()
        venv_bin = harness.ROOT / ".venv" / "bin"
        app = App(app_dir, venv_bin, app_env(url, work / "instance", port))
        token = simulator_token(work / "instance")
        app.flask("db", "upgrade")
        app.flask("seed", "demo")
        sms_url = f"http://127.0.0.1:{port}/twilio/sms"
        write_sms_bodies(work / "warm.txt", sms_url, token, 5_000_000, WARMUP)
        write_sms_bodies(work / "sms.txt", sms_url, token, 0, args.n)
        settings = harness.gunicorn_settings(app_dir)
        if args.gunicorn:
            config = work / "gunicorn.conf.py"
            overrides = "\n".join(part.strip() for part in args.gunicorn.split(";"))
            config.write_text(settings.config.read_text() + "\n" + overrides + "\n")
            settings = harness.gunicorn_settings(work)
        with harness.gunicorn(
            venv_bin=venv_bin,
            settings=settings,
            module="wsgi:app",
            chdir=app_dir,
            port=port,
            env=app.env,
            health_path="/healthz",
            log=work / "gunicorn.log",
        ) as server:
            post_all(sms_url, work / "warm.txt")
            pids = server.worker_pids()
            db = seed.connect(harness.psycopg_url(url))
            seed.wait_idle(db)
            before = {pid: cpu_seconds(pid) for pid in pids}
            server_before = server_cpu_seconds(args.pg_dir) if args.pg_dir else 0.0
            started = time.perf_counter()
            answered = post_all(sms_url, work / "sms.txt", args.clients)
            wall = time.perf_counter() - started
            cpu = sum(cpu_seconds(pid) - before[pid] for pid in pids)
            server = server_cpu_seconds(args.pg_dir) - server_before if args.pg_dir else 0.0
            parked = seed.count(db, "SELECT count(*) FROM orders")
    print(f"{app_dir}, {settings}, {args.clients} clients:")
    print(f"{answered}/{args.n} answered 200, {parked - WARMUP} parked")
    print(f"workers' CPU: {cpu / args.n * 1000:.2f} ms per park ({len(pids)} workers)")
    if args.pg_dir:
        print(f"PostgreSQL's CPU: {server / args.n * 1000:.2f} ms per park")
    print(f"wall (information only, the machine is shared): {args.n / wall:.1f} parks/s")
    return 0 if answered == args.n == parked - WARMUP else 1


if __name__ == "__main__":
    sys.exit(main())
