"""Plate checks by attendants, logged: who checked which plate, where, and what they saw.

The panel and the handheld API answer with the same :func:`orders.check_plate` and write
the same log, so a disputed fine can be traced to the check that found the car.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from app.backend import orders, tokens
from app.domain.inputs import looks_like_zone_code
from app.domain.plates import display_plate, normalize_plate
from app.kernel import Kanava
from app.models import PlateCheckLog, User

MAX_PLATE_LENGTH = 24
MAX_PLATE_KEY = 16  # PlateCheckLog.plate_key and Order.plate_key are String(16)


# The log is append-only and nobody changes a row as an object: a Core INSERT, built once,
# skips the unit of work's flush on the handheld's hot path.
_LOG_CHECK = insert(cast(Table, PlateCheckLog.__table__))


class BadPlate(ValueError):
    """The text cannot be a plate (empty once normalised, or far too long)."""


class BadZone(ValueError):
    """The text cannot be a zone code (wrong characters, or longer than a code)."""


def check_and_log(
    session: Session,
    kanava: Kanava,
    plate: str,
    zone_code: str | None,
    now: datetime,
    *,
    user: User | None = None,
    token: tokens.Handheld | None = None,
) -> orders.PlateCheck:
    """Answer whether ``plate`` is validly parked (in ``zone_code`` if given) and log the
    check with the attendant or the handheld's token. Raises :class:`BadPlate` or
    :class:`BadZone` before anything is queried. Commits."""
    key = normalize_plate(plate)
    if (
        not key.isalnum()
        or len(key) > MAX_PLATE_KEY
        or len(display_plate(plate)) > MAX_PLATE_LENGTH
    ):
        raise BadPlate(plate)
    zone = (zone_code or "").strip().upper() or None
    if zone is not None and not looks_like_zone_code(zone):
        raise BadZone(zone)
    result = orders.check_plate(session, kanava, plate, zone, now)
    session.execute(
        _LOG_CHECK,
        {
            "user_id": user.id if user else None,
            "api_token_id": token.id if token else None,
            "plate_key": key,
            "plate_display": result.plate,
            "zone_code": zone,
            "valid": result.valid,
            "status": result.status,
            "order_id": result.order_id,
            "checked_at": now,
        },
    )
    session.commit()
    return result
