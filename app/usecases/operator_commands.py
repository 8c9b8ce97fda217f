"""What the operator's commands do (``flask --app wsgi …``, :mod:`app.cli`): load zones
from a file or the demo zones, create panel users and handheld tokens. Each function is
one transaction: it commits once (nothing is committed when it raises)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from app.backend import tokens, users, zones
from app.models import User


def import_zones_file(session: Session, path: Path, at: datetime) -> zones.ImportResult:
    """Create or update the zones and tariffs of a YAML file. Raises
    :class:`~app.backend.zones.ZoneFileError`. Commits."""
    result = zones.import_file(session, path, at)
    session.commit()
    return result


def seed_demo_zones(session: Session, at: datetime) -> zones.ImportResult:
    """Load the demo zones; running it again changes nothing. Commits."""
    result = zones.seed_demo(session, at)
    session.commit()
    return result


def create_user(session: Session, name: str, role: str, password: str, at: datetime) -> User:
    """Create a panel user. Raises :class:`~app.backend.users.UserError`. Commits."""
    user = users.create_user(session, name, role, password, at)
    session.commit()
    return user


def create_token(session: Session, name: str, at: datetime) -> str:
    """A new handheld token, shown once (only its hash is stored). Commits."""
    token = tokens.create_token(session, name, at)
    session.commit()
    return token
