"""API tokens for attendants' handhelds. Only a SHA-256 of each token is stored.

Tokens carry 256 bits of randomness, so a fast hash is enough: there is nothing to
brute-force that a slow password hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from app.models import ApiToken

PREFIX = "kan_"
# How stale a token's recorded last use may be.
LAST_USE_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, at: datetime) -> str:
    """Create a token called ``name``; returns the token, which is shown once. Flushes;
    the caller commits."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=_digest(token), created_at=at))
    session.flush()
    return token


@dataclass(frozen=True, slots=True)
class Handheld:
    """A live token, as one request signed in with it."""

    id: int
    # This sign-in wrote the token's last use; the caller commits it.
    use_recorded: bool


# A handheld signs in on every plate check: the token is read as the few columns the check
# needs and its use written with a plain UPDATE, both built once, with no ORM entity.
_tokens = ApiToken.__table__.c
_BY_DIGEST = select(_tokens.id, _tokens.token_hash, _tokens.last_used_at, _tokens.revoked_at).where(
    _tokens.token_hash == bindparam("digest")
)
# The live (unrevoked) token of a digest, its id and last use: for a statement that reads
# more than the token in the same round trip (the handheld's plate check on PostgreSQL).
LIVE_BY_DIGEST = select(_tokens.id, _tokens.last_used_at).where(
    _tokens.token_hash == bindparam("digest"), _tokens.revoked_at.is_(None)
)
# Parameters: ``token_id`` and ``at``.
RECORD_USE = (
    update(cast(Table, ApiToken.__table__))
    .where(_tokens.id == bindparam("token_id"))
    .values(last_used_at=bindparam("at", type_=_tokens.last_used_at.type))
)


def digest_of(token: str) -> str | None:
    """The stored digest ``token`` would have; None for a text that is no token of ours."""
    return _digest(token) if token.startswith(PREFIX) else None


def use_is_due(last_used_at: datetime | None, at: datetime) -> bool:
    """Whether a use at ``at`` is to be written: at most once per
    :data:`LAST_USE_RESOLUTION` (a handheld checks many plates a minute: one write a minute
    says as much as one per check), and again whenever the clock went back."""
    return last_used_at is None or not timedelta(0) <= at - last_used_at < LAST_USE_RESOLUTION


def authenticate(session: Session, token: str, at: datetime) -> Handheld | None:
    """The live token matching ``token``, or None. Records when it was last used, at most
    once per :data:`LAST_USE_RESOLUTION` (:func:`use_is_due`); the caller commits."""
    digest = digest_of(token)
    if digest is None:
        return None
    row = session.execute(_BY_DIGEST, {"digest": digest}).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if not use_is_due(row.last_used_at, at):
        return Handheld(row.id, use_recorded=False)
    session.execute(RECORD_USE, {"token_id": row.id, "at": at})
    return Handheld(row.id, use_recorded=True)
