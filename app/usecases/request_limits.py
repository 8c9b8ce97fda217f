"""Per-address request limits (issue 14, floods): the web forms, the panel's sign-in and
the handheld API each allow so many requests per address a minute.

Counted in the database (:mod:`app.backend.request_counts`) rather than in a worker's
memory, so that every gunicorn worker and every node enforces one limit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.backend import request_counts

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def check(session: Session, scope: str, address: str, limit: int, now: datetime) -> Verdict:
    """Count one request of ``scope`` from ``address`` and say whether it is within
    ``limit`` a minute (``limit`` 0: no limit, nothing counted). Commits."""
    if limit <= 0:
        return Verdict(True, 0)
    start = request_counts.window_start(now, WINDOW_SECONDS)
    hits = request_counts.count_hit(session, f"{scope}:{address}", start)
    session.commit()
    left = WINDOW_SECONDS - int((now - start).total_seconds())
    return Verdict(hits <= limit, max(1, left))
