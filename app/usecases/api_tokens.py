"""A handheld signs in to the API with its bearer token (``/api/v1/…``).

The token's last use is recorded (to the minute) and committed here, before the request's
own work, so the panel shows that a handheld was used even when what it asked then failed
(a bad plate, an unknown order).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.backend import tokens
from app.models import ApiToken


def sign_in(session: Session, token: str, at: datetime) -> ApiToken | None:
    """The live token matching ``token``, its use recorded; None (nothing recorded) for an
    unknown or revoked one. Commits."""
    row = tokens.authenticate(session, token, at)
    if row is not None and session.dirty:
        session.commit()  # the last use changed (at most once a minute)
    return row
