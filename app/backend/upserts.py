"""``INSERT … ON CONFLICT DO NOTHING`` for the dialect the session is bound to.

PostgreSQL and SQLite (3.35+) both take it with ``RETURNING``: one round trip that either
claims a unique key or says someone else holds it. On PostgreSQL a conflicting row that
another transaction has inserted but not committed makes the statement wait for that
transaction, so a claim is decided only once the other side has committed or rolled back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_or_nothing(session: Session, entity: Any, **values: Any) -> Any:
    """``INSERT INTO entity (values) ON CONFLICT DO NOTHING`` for the session's database;
    the caller adds ``.returning(...)``."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(entity).values(**values).on_conflict_do_nothing()
