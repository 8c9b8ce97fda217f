"""Kanava benchmarks (`make bench`): pure functions, then the SMS webhook under gunicorn.

Targets (this 2-core machine):
- parse_sms: >= 20,000 messages/s on one core
- price of a 7-day parking: <= 200 us
- POST /twilio/sms (park + reply, SQLite, 2 workers): >= 100 requests/s, p95 <= 150 ms
- gunicorn worker resident memory after the load: <= 150 MiB each
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.parsing import parse_sms  # noqa: E402
from app.services.pricing import Tariff, price  # noqa: E402

rows: list[tuple[str, str, str, bool]] = []


def row(name: str, value: str, target: str, ok: bool) -> None:
    rows.append((name, value, target, ok))


def bench_parser() -> None:
    samples = [
        "ABC-123 101",
        "abc123 alue 101 2h",
        "101 ABC–123 1:30",
        "LOPETA",
        "JATKA 30",
        "P ABC 123 102 for 2 hours",
        "kieli sv",
        "hello?",
        "ABC-123, 101, 90 min",
        "STOP",
    ]
    n = 20_000
    seconds = min(
        timeit.repeat(
            lambda: [parse_sms(s, ("EV1",)) for s in samples], number=n // len(samples), repeat=3
        )
    )
    rate = n / seconds
    row("parse_sms", f"{rate:,.0f} msg/s", ">= 20,000 msg/s", rate >= 20_000)


def bench_pricing() -> None:
    tariff = Tariff.from_spec("2.40", {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}, "15.00")
    tz = ZoneInfo("Europe/Helsinki")
    start = datetime(2026, 11, 23, 7, tzinfo=tz).astimezone(UTC)
    end = start + timedelta(days=7)
    runs = 2000
    seconds = min(timeit.repeat(lambda: price(tariff, start, end, tz), number=runs, repeat=3))
    us = seconds / runs * 1e6
    row("price, 7-day parking", f"{us:.0f} us", "<= 200 us", us <= 200)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_webhook() -> None:
    work = Path(tempfile.mkdtemp(prefix="kanava-bench-"))
    port = 8765
    env = {
        **os.environ,
        "KANAVA_INSTANCE_PATH": str(work),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{work}/bench.db",
    }
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "STRIPE_SECRET_KEY"):
        env.pop(key, None)
    venv = ROOT / ".venv" / "bin"
    subprocess.run(
        [venv / "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [venv / "flask", "--app", "wsgi", "seed", "demo"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            venv / "gunicorn",
            "wsgi:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        token = (work / "simulator_token").read_text().strip()
        validator = RequestValidator(token)
        session = requests.Session()

        def one(i: int) -> float:
            sid = "SM" + secrets.token_hex(16)
            params = {
                "MessageSid": sid,
                "From": f"+35840{2000000 + i}",
                "To": "+358451234567",
                "Body": f"ABC-{i % 1000:03d} 101 1h",
                "AccountSid": "AC" + "0" * 32,
            }
            signature = validator.compute_signature(base + "/twilio/sms", params)
            t0 = time.perf_counter()
            r = session.post(
                base + "/twilio/sms",
                data=params,
                headers={"X-Twilio-Signature": signature},
                timeout=10,
            )
            r.raise_for_status()
            return time.perf_counter() - t0

        n = 600
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            latencies = list(pool.map(one, range(n)))
        elapsed = time.perf_counter() - t0
        rate = n / elapsed
        p95 = statistics.quantiles(latencies, n=20)[18] * 1000
        row("POST /twilio/sms (park)", f"{rate:,.0f} req/s", ">= 100 req/s", rate >= 100)
        row("POST /twilio/sms p95", f"{p95:.0f} ms", "<= 150 ms", p95 <= 150)
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        worst = max((_rss_mib(int(pid)) for pid in children), default=0.0)
        row("gunicorn worker RSS", f"{worst:.0f} MiB", "<= 150 MiB", 0 < worst <= 150)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    bench_parser()
    bench_pricing()
    bench_webhook()
    width = max(len(r[0]) for r in rows)
    print(f"\n{'benchmark':<{width}}  {'measured':>14}  {'target':>16}  ok")
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:>14}  {target:>16}  {'yes' if ok else 'NO'}")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
