"""A handheld signs in to the API with its bearer token (``/api/v1/…``).

The token's last use is recorded (to the minute) and committed here, before the request's
own work, so the panel shows that a handheld was used even when what it asked then failed
(a bad plate, an unknown order).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.backend import tokens


def sign_in(session: Session, token: str, at: datetime) -> tokens.Handheld | None:
    """The live token matching ``token``, its use recorded; None (nothing recorded) for an
    unknown or revoked one. Commits when it recorded the use (at most once a minute)."""
    handheld = tokens.authenticate(session, token, at)
    if handheld is not None and handheld.use_recorded:
        session.commit()
    return handheld
