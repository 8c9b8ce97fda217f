"""Fixed-window request counters in the database, shared by every node: the per-address
limits on the web forms, the panel's sign-in and the API. Adds and flushes; the caller
commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models import RequestCount

# Rows of windows older than this are nobody's count any more.
KEPT = timedelta(hours=2)


def window_start(now: datetime, seconds: int) -> datetime:
    """The start of the fixed window of ``seconds`` that holds ``now``."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def count_hit(session: Session, key: str, start: datetime) -> int:
    """Count one request for ``key`` in the window starting at ``start``; returns the
    window's count, this request included. One statement (an upsert), so concurrent
    requests on any node each get their own number."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(RequestCount)
        .values(key=key[:160], window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"hits": RequestCount.hits + 1}
        )
        .returning(RequestCount.hits)
    )
    hits = int(session.execute(statement).scalar_one())
    if hits == 1:  # a new window: forget the old ones
        session.execute(delete(RequestCount).where(RequestCount.window_start < start - KEPT))
    return hits
