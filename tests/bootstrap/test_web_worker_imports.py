"""What a web worker imports: libraries that only other processes or unconfigured services
need stay out of its memory (each web worker must stay under 120 MiB, ``make bench``).

Each case starts a fresh interpreter, as gunicorn's worker does, builds the app and lists
which of the watched modules got imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Loaded only for Stripe, only for Twilio's REST API, or only by the clock process, flask db
# and flask doctor, an operator's zone file, or a booking's calendar file.
WATCHED = ("stripe", "aiohttp", "twilio.rest", "apscheduler", "alembic", "icalendar", "yaml")

_BUILD = """
import json, sys
from app import create_app
from app.config import load_settings
create_app(load_settings())
print(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))
"""


def _imported_by_create_app(tmp_path: Path, **env: str) -> list[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "KANAVA_ENV": "development",
        "KANAVA_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kanava.db'}",
        "SECRET_KEY": "k" * 40,
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", _BUILD.format(watched=WATCHED)],
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    imported: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return imported


def test_a_worker_without_stripe_or_twilio_loads_neither_sdk_nor_the_scheduler(
    tmp_path: Path,
) -> None:
    assert _imported_by_create_app(tmp_path) == []


def test_a_worker_with_stripe_loads_its_sdk_but_no_async_http_library(tmp_path: Path) -> None:
    imported = _imported_by_create_app(
        tmp_path, STRIPE_SECRET_KEY="sk_test_123", STRIPE_WEBHOOK_SECRET="whsec_x"
    )
    assert imported == ["stripe"]
