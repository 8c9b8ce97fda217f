"""The clock process (Procfile ``clock:``): APScheduler running the duties on an interval.

One process only: APScheduler's job stores cannot be shared between processes, so the
web workers never run a scheduler. The duties themselves claim their rows atomically, so
a second clock or a manual ``jobs tick`` does no harm.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from app.clock import duties
from app.extensions import db, kanava

log = logging.getLogger(__name__)


def tick() -> duties.TickReport | None:
    """One sweep of every duty at the app clock's now; None if it failed (logged).

    A failing sweep never stops the clock: the next one tries again, and the duties pick
    up whatever this one left undone.
    """
    try:
        report = duties.run_due(db.session(), kanava(), kanava().clock())
    except Exception:
        db.session.rollback()
        log.exception("tick failed; the next one will try again")
        return None
    finally:
        db.session.remove()
    if report.work_done:
        log.info("tick: %s", report)
    return report


def run_forever(interval_seconds: int = 30) -> None:
    """Sweep now, then every ``interval_seconds`` until the process is stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s clock %(levelname)s %(message)s")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def job() -> None:
        with app.app_context():
            tick()

    scheduler = BlockingScheduler(timezone="UTC")
    # coalesce + max_instances=1: a sweep that runs long is not run twice at once, and
    # missed runs (the machine slept) collapse into one.
    scheduler.add_job(
        job,
        "interval",
        seconds=interval_seconds,
        max_instances=1,
        coalesce=True,
        id="duties",
        misfire_grace_time=interval_seconds,
    )
    log.info("clock started: duties every %s s", interval_seconds)
    job()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("clock stopped")
