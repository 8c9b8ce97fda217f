"""Profile the SMS park path in one process, without HTTP load: statements, flushes and
commits per message (SQLAlchemy events) and where the time goes (cProfile).

Usage: ``.venv/bin/python bench/profile_sms.py POSTGRES_URL [N]`` against an empty
throwaway database (``scripts/test-postgres.sh start DIR`` gives one); each of the ``N``
messages is a new driver parking a new plate in zone 301, through Flask's test client,
signed as Twilio signs it.
"""

from __future__ import annotations

import cProfile
import pstats
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from app import create_app
from app.backend import zones
from app.config import Settings
from app.extensions import Base, db

TOKEN = "profile-token-" + "x" * 20
BASE = "https://kanava.test"


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
        event.listen(db.engine, "before_cursor_execute", lambda *a: counts.update(["stmt"]))
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
            "Body": f"ABC-{i % 999 + 1:03d} 301 1h",
            "NumMedia": "0",
        }
        signature = validator.compute_signature(BASE + "/twilio/sms", params)
        response = client.post(
            "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text

    for i in range(20):
        park(1_000_000 + i)
    counts.clear()
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for i in range(n):
        park(i)
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"{n} parks in {elapsed:.2f} s: {elapsed / n * 1000:.2f} ms each")
    print({k: round(v / n, 2) for k, v in counts.items()}, "per message")
    stats: Any = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
