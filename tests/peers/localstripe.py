"""localstripe on loopback, started by the tests as a subprocess (one per test session).

localstripe is a stateful fake of Stripe's API: customers, PaymentIntents, payment
methods, refunds and signed webhooks. ``--from-scratch`` keeps parallel runs from sharing
its pickle file. It has no Checkout Sessions: see ``checkout_peer.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import free_port


def _localstripe_command(port: int) -> list[str]:
    exe = Path(sys.executable).parent / "localstripe"
    program = str(exe) if exe.exists() else shutil.which("localstripe")
    if not program:
        if os.environ.get("CI"):
            pytest.fail("localstripe is not installed: make test installs requirements-dev.txt")
        pytest.skip("localstripe is not installed")
    return [program, "--port", str(port), "--from-scratch"]


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    # Readiness, not a timed assertion: wait until it listens or gives up starting.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("localstripe did not start listening")


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            _localstripe_command(port), stdout=out, stderr=subprocess.STDOUT, cwd=log.parent
        )
        try:
            _wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
