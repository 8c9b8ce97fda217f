"""Each gunicorn web worker's memory before and after the load ``make bench`` gives it, with
no timing: SMS parks (each a new driver and plate) and plate checks, sent one or a few at a
time from this process instead of by wrk, so it can run on a busy machine.

Usage: ``.venv/bin/python bench/profile_memory.py POSTGRES_URL [--app DIR] [--sms N]
[--plates N]`` against a throwaway cluster (``scripts/test-postgres.sh start DIR``); it
creates a database of its own on it. ``--app`` measures another checkout (the baseline) under
its own ``gunicorn.conf.py``. Prints, per worker, ``VmRSS`` and the
``/proc/<pid>/smaps_rollup`` split (anonymous, file-backed) at start, after the parks and
after the plate checks.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import requests
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import run as bench_run
import seed


def rollup(pid: int) -> dict[str, float]:
    """``Rss``, ``Pss``, ``Anonymous`` and file-backed resident memory of ``pid`` in MiB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) / 1024
    return {
        "rss": values["Rss"],
        "pss": values["Pss"],
        "anon": values["Anonymous"],
        "file": values["Rss"] - values["Anonymous"],
    }


def show(label: str, server: harness.Server) -> None:
    for pid in server.worker_pids():
        r = rollup(pid)
        print(
            f"{label:<14} worker {pid}: VmRSS {harness.rss_mib(pid):6.1f} MiB  "
            f"anon {r['anon']:6.1f}  file {r['file']:5.1f}  pss {r['pss']:6.1f}",
            flush=True,
        )


def park_all(base: str, token: str, first: int, n: int, concurrency: int) -> int:
    url = base + "/twilio/sms"
    validator = RequestValidator(token)
    http = requests.Session()

    def park(i: int) -> int:
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": "AC" + "0" * 32,
            "From": f"+35840{i:07d}",
            "To": bench_run.SERVICE_NUMBER,
            "Body": f"{bench_run.plate_of(i)} {bench_run.ZONE} 1h",
            "NumMedia": "0",
        }
        signature = validator.compute_signature(url, params)
        answer = http.post(
            url,
            data=urlencode(params),
            headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            timeout=30,
        )
        return answer.status_code

    with ThreadPoolExecutor(concurrency) as pool:
        codes = list(pool.map(park, range(first, first + n)))
    return sum(1 for c in codes if c != 200)


def check_all(base: str, token: str, plates: Path, n: int, concurrency: int) -> int:
    lines = [line.split("\t") for line in plates.read_text().splitlines() if line]
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}

    def check(i: int) -> int:
        plate, zone = lines[(i * 7919) % len(lines)]
        answer = http.get(
            f"{base}/api/v1/plates/{plate}", params={"zone": zone}, headers=headers, timeout=30
        )
        return answer.status_code

    with ThreadPoolExecutor(concurrency) as pool:
        codes = list(pool.map(check, range(n)))
    return sum(1 for c in codes if c != 200)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--app", type=Path, default=harness.ROOT)
    parser.add_argument("--sms", type=int, default=1500)
    parser.add_argument("--plates", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    app_dir = args.app.resolve()
    venv_bin = harness.ROOT / ".venv" / "bin"
    settings = harness.gunicorn_settings(app_dir)
    print(f"{app_dir}: {settings}", flush=True)
    name = f"kanava_mem_{secrets.token_hex(4)}"
    url = harness.create_database(args.url, name)
    with tempfile.TemporaryDirectory(prefix="kanava-mem-") as work_dir:
        work = Path(work_dir)
        port = harness.free_port()
        app = bench_run.App(app_dir, venv_bin, bench_run.app_env(url, work / "instance", port))
        token = bench_run.simulator_token(work / "instance")
        app.flask("db", "upgrade")
        app.flask("seed", "demo")
        api_token = app.flask("tokens", "create", "mem-handheld").strip().splitlines()[-1]
        with (
            seed.connect(harness.psycopg_url(url)) as db,
            harness.gunicorn(
                venv_bin=venv_bin,
                settings=settings,
                module="wsgi:app",
                chdir=app_dir,
                port=port,
                env=app.env,
                health_path="/healthz",
                log=work / "gunicorn.log",
            ) as server,
        ):
            show("started", server)
            started = time.monotonic()
            failed = park_all(server.base_url, token, 0, args.sms, args.concurrency)
            print(f"{args.sms} parks, {failed} failed, {time.monotonic() - started:.0f} s")
            show("after parks", server)
            seed.clear_orders(db)
            seed.grow_history(db, bench_run.HISTORY_SMALL, datetime.now(UTC))
            plates = work / "plates.txt"
            seed.plate_checks_file(db, plates)
            started = time.monotonic()
            failed = check_all(server.base_url, api_token, plates, args.plates, args.concurrency)
            print(f"{args.plates} checks, {failed} failed, {time.monotonic() - started:.0f} s")
            show("after checks", server)


if __name__ == "__main__":
    main()
