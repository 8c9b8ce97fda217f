"""The clock process (Procfile ``clock:``): APScheduler running the duties on an interval.

One process only: APScheduler's job stores cannot be shared between processes, so the
web workers never run a scheduler. The duties themselves claim their rows atomically, so
a second clock or a manual ``jobs tick`` does no harm.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app

from app import kanava
from app.extensions import db
from app.services import duties

log = logging.getLogger(__name__)


def tick() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        try:
            report = duties.run_due(db.session(), kanava(), kanava().clock())
            log.info("tick: %s", report)
        except Exception:
            db.session.rollback()
            log.exception("tick failed; the next one will try again")
        finally:
            db.session.remove()


def run_forever(interval_seconds: int = 30) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s clock %(levelname)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def job() -> None:
        with app.app_context():
            tick()

    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        job,
        "interval",
        seconds=interval_seconds,
        max_instances=1,
        coalesce=True,
        id="duties",
        next_run_time=None,
    )
    log.info("clock started: duties every %s s", interval_seconds)
    job()
    scheduler.start()
