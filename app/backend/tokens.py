"""API tokens for attendants' handhelds. Only a SHA-256 of each token is stored.

Tokens carry 256 bits of randomness, so a fast hash is enough: there is nothing to
brute-force that a slow password hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
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


def authenticate(session: Session, token: str, at: datetime) -> ApiToken | None:
    """The live token matching ``token``, or None. Records when it was last used, at most
    once per :data:`LAST_USE_RESOLUTION` (a handheld checks many plates a minute: one
    write a minute says as much as one per check); the caller commits."""
    if not token.startswith(PREFIX):
        return None
    digest = _digest(token)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.last_used_at is None or not timedelta(0) <= at - row.last_used_at < LAST_USE_RESOLUTION:
        row.last_used_at = at
    return row
