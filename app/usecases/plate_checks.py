"""Plate checks by attendants, logged: who checked which plate, where, and what they saw.

The panel and the handheld API answer with the same :func:`orders.check_plate` and write
the same log, so a disputed fine can be traced to the check that found the car.

A handheld's check (:func:`check_by_handheld`) is the API's hot path: attendants check every
car of a street. On PostgreSQL it is two statements: one reads the token and every order
the check weighs (a CTE for the token, the candidates joined to it: an unknown or revoked
token reads nothing), one writes the log together with the token's last use when that is
due (a data-modifying CTE). SQLite signs in, reads and logs one statement at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, insert, select, true
from sqlalchemy.orm import Session

from app.backend import orders, tokens
from app.domain.inputs import looks_like_zone_code
from app.domain.plates import display_plate, normalize_plate
from app.kernel import Kanava
from app.models import PlateCheckLog, User
from app.usecases import api_tokens

MAX_PLATE_LENGTH = 24
MAX_PLATE_KEY = 16  # PlateCheckLog.plate_key and Order.plate_key are String(16)


# The log is append-only and nobody changes a row as an object: a Core INSERT, built once,
# skips the unit of work's flush on the handheld's hot path.
_log_c = PlateCheckLog.__table__.c
_LOG_COLUMNS = (
    "user_id", "api_token_id", "plate_key", "plate_display", "zone_code",
    "valid", "status", "order_id", "checked_at",
)  # fmt: skip
_LOG_CHECK = insert(cast(Table, PlateCheckLog.__table__)).values(
    {key: bindparam(key, type_=_log_c[key].type) for key in _LOG_COLUMNS}
)
# PostgreSQL: the log, and the token's last use when due, in one statement.
_LOG_CHECK_AND_USE = _LOG_CHECK.add_cte(tokens.RECORD_USE.cte("used"))
# PostgreSQL: the live token of the digest and the plate's candidate orders, one row per
# order (a token with none: one row, its order columns NULL); no row for an unknown or
# revoked token.
_token = tokens.LIVE_BY_DIGEST.cte("token")
_candidates = orders.PLATE_CANDIDATES.subquery("candidates")
_TOKEN_AND_CANDIDATES = select(_token.c.id, _token.c.last_used_at, *_candidates.c).select_from(
    _token.outerjoin(_candidates, true())
)


class BadPlate(ValueError):
    """The text cannot be a plate (empty once normalised, or far too long)."""


class BadZone(ValueError):
    """The text cannot be a zone code (wrong characters, or longer than a code)."""


class Unauthorized(Exception):
    """The handheld's bearer token is unknown, revoked, or no token of ours."""


def _checked_input(plate: str, zone_code: str | None) -> tuple[str, str | None]:
    """The plate's key and the zone code asked; raises :class:`BadPlate` or :class:`BadZone`."""
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
    return key, zone


def _log_params(
    key: str, zone: str | None, result: orders.PlateCheck, now: datetime, **who: int | None
) -> dict[str, Any]:
    return {
        "user_id": who.get("user_id"),
        "api_token_id": who.get("api_token_id"),
        "plate_key": key,
        "plate_display": result.plate,
        "zone_code": zone,
        "valid": result.valid,
        "status": result.status,
        "order_id": result.order_id,
        "checked_at": now,
    }


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
    key, zone = _checked_input(plate, zone_code)
    result = orders.check_plate(session, kanava, plate, zone, now)
    who = {"user_id": user.id if user else None, "api_token_id": token.id if token else None}
    session.execute(_LOG_CHECK, _log_params(key, zone, result, now, **who))
    session.commit()
    return result


def check_by_handheld(
    sessions: Callable[[], Session],
    engine: Engine,
    kanava: Kanava,
    plate: str,
    zone_code: str | None,
    now: datetime,
    *,
    token: str,
) -> orders.PlateCheck:
    """A handheld's check with its bearer ``token``: signs in (the token's use recorded at
    most once a minute, :func:`tokens.use_is_due`), answers as :func:`check_and_log` and
    logs the check with the token. ``sessions`` gives the request's session, asked for
    only where one is used (PostgreSQL's check runs on a connection of ``engine``).

    Raises :class:`Unauthorized` for a token that is not live (nothing read, nothing
    written), else :class:`BadPlate` or :class:`BadZone` for a text that cannot be asked
    (the token's use recorded, nothing logged). Commits (on PostgreSQL each of its two
    statements commits itself)."""
    try:
        key, zone = _checked_input(plate, zone_code)
    except (BadPlate, BadZone):
        if api_tokens.sign_in(sessions(), token, now) is None:
            raise Unauthorized from None
        raise
    digest = tokens.digest_of(token)
    if digest is None:
        raise Unauthorized
    if engine.dialect.name != "postgresql":
        session = sessions()
        handheld = api_tokens.sign_in(session, token, now)
        if handheld is None:
            raise Unauthorized
        return check_and_log(session, kanava, plate, zone, now, token=handheld)
    # Its own pooled connection in autocommit: each of the two statements is a transaction
    # of its own (the read needs none; the write is one statement), which saves the round
    # trips of BEGIN and COMMIT and the session's transaction bookkeeping. The pool puts
    # the connection's isolation level back when it is returned.
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        params = {"digest": digest, **orders.plate_candidate_params(key, now)}
        rows = connection.execute(_TOKEN_AND_CANDIDATES, params).all()
        if not rows:
            raise Unauthorized
        token_id, last_used_at = rows[0][0], rows[0][1]
        found = [orders.PlateCandidate._make(row[2:]) for row in rows if row[2] is not None]
        result = orders.weigh_plate(kanava, found, plate, zone, now)
        log = _log_params(key, zone, result, now, api_token_id=token_id)
        if tokens.use_is_due(last_used_at, now):
            connection.execute(_LOG_CHECK_AND_USE, {**log, "token_id": token_id, "at": now})
        else:
            connection.execute(_LOG_CHECK, log)
    return result
