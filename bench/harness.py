"""The moving parts of ``make bench``: a throwaway PostgreSQL, gunicorn servers, wrk runs.

Everything started here is stopped by the :class:`contextlib.ExitStack` that started it,
on success, on failure and on Ctrl-C: gunicorn runs in its own session (process group) so
that its master and workers are stopped together, by that group's id only.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WRK_DIR = BENCH / "wrk"


class BenchError(RuntimeError):
    """The benchmark could not run or its figures would not be honest; the message says why."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def psycopg_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` (what the app reads) as libpq's ``postgresql://…``."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def postgres_cluster(directory: Path) -> Iterator[str]:
    """A throwaway cluster from ``scripts/test-postgres.sh`` (which installs PostgreSQL when
    missing); yields its SQLAlchemy URL and removes it afterwards."""
    script = ROOT / "scripts" / "test-postgres.sh"
    started = subprocess.run(
        [str(script), "start", str(directory)], capture_output=True, text=True, check=False
    )
    try:
        if started.returncode != 0:
            raise BenchError(f"PostgreSQL did not start:\n{started.stderr}")
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(script), "stop", str(directory)], capture_output=True, check=False)


def create_database(url: str, name: str) -> str:
    """Create database ``name`` on the cluster of ``url``; returns its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


@dataclass(frozen=True)
class GunicornSettings:
    """The worker settings of a gunicorn config file, as gunicorn will read them."""

    config: Path
    worker_class: str
    workers: int
    threads: int

    def __str__(self) -> str:
        where = self.config.relative_to(ROOT) if self.config.is_relative_to(ROOT) else self.config
        return f"{self.workers} {self.worker_class} workers x {self.threads} threads ({where})"


def gunicorn_settings(app_dir: Path) -> GunicornSettings:
    """The checkout's own ``gunicorn.conf.py``; a checkout from before that file existed
    (the baseline) gets this checkout's, so that before and now are measured under the same
    worker settings (its Procfile had 2 gthread workers x 4 threads)."""
    config = app_dir / "gunicorn.conf.py"
    if not config.exists():
        config = ROOT / "gunicorn.conf.py"
    values = runpy.run_path(str(config))
    # Read for its settings only: the metrics directory it made for a server is not needed.
    made = values.get("_made_metrics_dir")
    if made:
        shutil.rmtree(made, ignore_errors=True)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR") == made:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    return GunicornSettings(
        config=config,
        worker_class=str(values.get("worker_class", "sync")),
        workers=int(values.get("workers", 1)),
        threads=int(values.get("threads", 1)),
    )


class Server:
    """One gunicorn (master and workers) in its own process group."""

    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.log = log

    def worker_pids(self) -> list[int]:
        """The master's children (its workers), from /proc."""
        master = self.process.pid
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces: the parent pid follows the closing ")".
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                pids.append(int(entry.name))
        return sorted(pids)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the master leads its own group
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=5)


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (``VmRSS`` of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for process {pid}")


@contextmanager
def gunicorn(
    *,
    venv_bin: Path,
    settings: GunicornSettings,
    module: str,
    chdir: Path,
    port: int,
    env: Mapping[str, str],
    health_path: str,
    log: Path,
) -> Iterator[Server]:
    """Serve ``module`` (``wsgi:app``) with the given gunicorn settings on loopback ``port``,
    wait until ``health_path`` answers 200, and stop it afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(venv_bin / "gunicorn"),
                "-c",
                str(settings.config),
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(chdir),
                "--log-level",
                "warning",
                module,
            ],
            cwd=chdir,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(server, health_path)
        yield server
    finally:
        server.stop()


def _wait_until_up(server: Server, health_path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"gunicorn exited at start:\n{server.log.read_text()[-3000:]}")
        try:
            if requests.get(server.base_url + health_path, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer {health_path} within {timeout:.0f} s")


def run_checked(args: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str], what: str) -> str:
    """Run a command to completion; its stdout, or :class:`BenchError` with its output."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass(frozen=True)
class WrkResult:
    """One wrk run, from the ``done()`` summary of the Lua scripts in ``bench/wrk``."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    sent: int
    ok: int  # 200 answers
    other: int  # any other status
    socket_errors: int
    exhausted: int  # requests that found no fresh body left (never on an honest run)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WrkResult:
        errors = data["errors"]
        return cls(
            requests=int(data["requests"]),
            seconds=int(data["duration_us"]) / 1e6,
            p50_ms=float(data["p50_us"]) / 1000,
            p99_ms=float(data["p99_us"]) / 1000,
            sent=int(data["sent"]),
            ok=int(data["ok"]),
            other=int(data["other"]),
            socket_errors=sum(int(v) for v in errors.values()),
            exhausted=int(data.get("exhausted", 0)),
        )


WRK_THREADS = 2


def wrk(
    url: str,
    script: str,
    script_args: Sequence[str],
    *,
    seconds: float,
    connections: int,
) -> WrkResult:
    """Run wrk against ``url`` with ``bench/wrk/<script>`` for ``seconds``."""
    threads = min(WRK_THREADS, connections)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_DIR / script),
            url,
            "--",
            str(threads),
            *script_args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return WrkResult.from_json(json.loads(line.removeprefix("BENCH_JSON ")))
    raise BenchError(f"wrk gave no summary ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
