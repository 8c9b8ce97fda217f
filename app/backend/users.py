"""Panel users (attendants and admins); passwords hashed with werkzeug's scrypt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import User

ROLES = ("attendant", "admin")
MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """The user cannot be created; the message says why."""


def create_user(session: Session, name: str, role: str, password: str, at: datetime) -> User:
    """Create a panel user (flushed; the caller commits). Raises :class:`UserError`."""
    name = name.strip()
    if not name:
        raise UserError("the name is empty")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise UserError(f"user {name} exists already")
    user = User(name=name, role=role, password_hash=generate_password_hash(password), created_at=at)
    session.add(user)
    session.flush()
    return user


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)
