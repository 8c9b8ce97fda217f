"""Profile the SMS park of a known driver: a phone that has parked before parks a second
plate (``bench/profile_sms.py`` profiles new drivers). Same measures: CPU per park without
the profiler, statements, flushes and commits per message, a thread-CPU profile.

Usage: ``.venv/bin/python bench/profile_sms_known.py POSTGRES_URL [N]`` against an empty
throwaway database. Before each round every phone of the round parks a first plate in zone
301 (not measured); the round then parks each phone's second plate there.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_sms import BASE, TOKEN, plate_of, print_by_package, profile_calls
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from app import create_app
from app.backend import zones
from app.config import Settings
from app.extensions import Base, db

SECOND = 500_000  # the second plate of phone i is plate_of(i + SECOND)


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
    counts: Counter[str] = Counter()
    statements: list[str] = []
    with app.app_context():
        zones.seed_demo(db.session, app.extensions["kanava"].clock())
        db.session.commit()
        db.session.remove()

        def counted(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            counts.update(["stmt"])
            statements.append(statement)
            del statements[:-100]

        event.listen(db.engine, "before_cursor_execute", counted)
        event.listen(db.engine, "commit", lambda *a: counts.update(["commit"]))
    event.listen(Session, "after_flush", lambda *a: counts.update(["flush"]))
    client = app.test_client()
    validator = RequestValidator(TOKEN)

    def send(phone: int, plate: int) -> None:
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": "AC" + "0" * 32,
            "From": f"+35840{phone:07d}",
            "To": "+358451234567",
            "Body": f"{plate_of(plate)} 301 1h",
            "NumMedia": "0",
        }
        signature = validator.compute_signature(BASE + "/twilio/sms", params)
        response = client.post(
            "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text

    def first_plates(start: int, count: int) -> None:
        for i in range(start, start + count):
            send(i, i)

    first_plates(1_000_000, 20)
    for i in range(1_000_000, 1_000_020):
        send(i, i + SECOND)
    rounds = []
    for r in range(3):
        start = 2_000_000 + r * n
        first_plates(start, n)
        cpu_started, started = time.process_time(), time.perf_counter()
        for i in range(start, start + n):
            send(i, i + SECOND)
        rounds.append((time.process_time() - cpu_started, time.perf_counter() - started))
    cpu, wall = min(rounds)
    print(f"{n} known parks unprofiled: {cpu / n * 1000:.2f} ms CPU, {wall / n * 1000:.2f} ms wall")
    first_plates(0, n)
    counts.clear()
    profile = cProfile.Profile(time.thread_time)
    started = time.perf_counter()
    profile.enable()
    for i in range(n):
        send(i, i + SECOND)
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"{n} known parks in {elapsed:.2f} s: {elapsed / n * 1000:.2f} ms each")
    print({k: round(v / n, 2) for k, v in counts.items()}, "per message")
    print(f"{profile_calls(profile) / n:.0f} Python function calls per message")
    if os.environ.get("PROFILE_SQL"):
        for statement in statements[-int(counts["stmt"] / n) :]:
            print("  ", " ".join(statement.split())[:160])
    if os.environ.get("PROFILE_OUT"):
        profile.dump_stats(os.environ["PROFILE_OUT"])
    stats: Any = pstats.Stats(profile)
    print_by_package(stats, n)
    stats.sort_stats("cumulative").print_stats(r"/app/", 40)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
