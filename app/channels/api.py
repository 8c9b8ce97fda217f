"""The handheld API: ``/api/v1/plates/<plate>``, ``/api/v1/orders/<id>``,
``/api/v1/bookings/<ref>``, ``/api/v1/availability`` and the demand figures
``/api/v1/stats/demand`` (bearer tokens)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from app.backend import bookings, orders
from app.extensions import db, kanava
from app.models import Order
from app.panel import demand
from app.usecases import api_tokens, booking_reads, plate_checks

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Every path of the API starts so: it answers in JSON, and keeps no cookie session.
API_PREFIX = "/api/"
F = TypeVar("F", bound=Callable[..., Any])
MAX_ID = 2**31 - 1  # larger ids cannot exist, and would overflow the database's integer


class _AnyPath(PathConverter):
    """Werkzeug's ``path`` that may also start with a slash: a plate typed as ``/0``
    (``%2F0``) is the plate ``/0``, refused as one, not the plate ``0``."""

    regex = ".+?"
    part_isolating = False  # (Werkzeug would guess True: the pattern names no "/")


@bp.record_once
def _add_converter(state: BlueprintSetupState) -> None:
    # Converters must be known before the rules using them are added (deferred in order).
    state.app.url_map.converters["anypath"] = _AnyPath


@bp.app_errorhandler(HTTPException)
def json_errors_under_api(error: HTTPException) -> Response | HTTPException:
    """Handhelds read JSON: an unknown path or method under ``/api/`` answers in JSON too."""
    if not request.path.startswith(API_PREFIX):
        return error
    response = jsonify({"error": (error.name or "error").lower().replace(" ", "_")})
    response.status_code = error.code or 500
    return response


def _local_iso(at: datetime | None) -> str | None:
    return at.astimezone(kanava().settings.tz).isoformat() if at else None


_dumps = functools.partial(json.dumps, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _json(body: dict[str, object], status: int = 200) -> Response:
    """``body`` as JSON, the same bytes as Flask's ``jsonify`` (its provider's defaults:
    keys sorted, compact, ASCII, a final newline) for a fraction of its work: the plate
    check answers every car a handheld checks."""
    return Response(_dumps(body) + "\n", status, mimetype="application/json")


def _error(status: int, code: str) -> tuple[Response, int]:
    return _json({"error": code}), status


def _bearer_token() -> str | None:
    """The request's bearer token (the scheme's case does not matter); None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _unauthorized() -> tuple[Response, int]:
    response, status = _error(401, "unauthorized")
    response.headers["WWW-Authenticate"] = 'Bearer realm="kanava"'
    return response, status


def token_required(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: object, **kwargs: object) -> object:
        token = _bearer_token()
        row = None
        if token is not None:
            row = api_tokens.sign_in(db.session(), token, kanava().clock())
        if row is None:
            return _unauthorized()
        g.api_token = row
        return view(*args, **kwargs)

    return cast(F, wrapper)


# Never merge slashes: Werkzeug would redirect "/plates//0" (a plate "/0") to "/plates/0".
@bp.get("/plates/<anypath:plate>", merge_slashes=False)
def plate(plate: str) -> Response | tuple[Response, int]:
    # The handheld's hot path signs in within the check itself (one round trip with the
    # orders on PostgreSQL), not through token_required.
    token = _bearer_token()
    if token is None:
        return _unauthorized()
    k = kanava()
    try:
        check = plate_checks.check_by_handheld(
            db.session, db.engine, k, plate, request.args.get("zone"), k.clock(), token=token
        )
    except plate_checks.Unauthorized:
        return _unauthorized()
    except plate_checks.BadPlate:
        return _error(400, "bad_plate")
    except plate_checks.BadZone:
        return _error(400, "bad_zone")
    # A booking answers with its reference too ("ref"); a parking's answer is unchanged.
    ref = {"ref": check.booking_ref} if check.booking_ref else {}
    return _json(
        {
            **ref,
            "plate": check.plate,
            "zone": check.zone,
            "valid": check.valid,
            "status": check.status,
            "valid_until": _local_iso(check.valid_until),
            "order_id": check.order_id,
            "elsewhere": (
                {
                    "zone": check.elsewhere.zone,
                    "valid_until": _local_iso(check.elsewhere.valid_until),
                }
                if check.elsewhere
                else None
            ),
        }
    )


@bp.get("/orders/<int:order_id>")
@token_required
def order(order_id: int) -> Response | tuple[Response, int]:
    found = orders.get_order(db.session(), order_id) if order_id <= MAX_ID else None
    if found is None:
        return _error(404, "not_found")
    return jsonify(_order_json(found))


@bp.get("/bookings/<ref>")
@token_required
def booking(ref: str) -> Response | tuple[Response, int]:
    found = bookings.find_by_ref(db.session(), ref)
    if found is None:
        return _error(404, "not_found")
    return jsonify({**_order_json(found), "ref": found.booking_ref})


@bp.get("/availability")
@token_required
def availability() -> Response | tuple[Response, int]:
    k = kanava()
    code = request.args.get("zone", "")
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return _error(400, "bad_date")
    if not date.min < day < date.max:
        # Its local day's bounds in UTC would not exist (OverflowError; found by make fuzz).
        return _error(400, "bad_date")
    found = booking_reads.availability(db.session(), k, code, day, k.clock())
    if found is None:
        return _error(404, "not_bookable")
    zone, capacity, slots = found
    return jsonify(
        {
            "zone": zone,
            "date": day.isoformat(),
            "capacity": capacity,
            "slots": [
                {
                    "starts_at": _local_iso(slot.start),
                    "ends_at": _local_iso(slot.end),
                    "free": slot.free,
                }
                for slot in slots
            ],
        }
    )


@bp.get("/stats/demand")
@token_required
def demand_stats() -> Response | tuple[Response, int]:
    """Failure-demand figures of ``from``..``to`` (local days, both included)."""
    try:
        first, last = demand.parse_range(request.args.get("from"), request.args.get("to"))
    except demand.RangeError:
        return _error(400, "bad_dates")
    return jsonify(demand.as_json(demand.figures(db.session(), kanava(), first, last)))


def _order_json(found: Order) -> dict[str, object]:
    k = kanava()
    return {
        "id": found.id,
        "kind": found.kind.value,
        "status": orders.effective_status(found, k.clock()).value,
        "plate": found.plate_display,
        "zone": found.zone.code,
        "starts_at": _local_iso(found.starts_at),
        "ends_at": _local_iso(found.ends_at),
        "amount_cents": found.amount_cents,
        "currency": found.currency,
        "channel": found.channel.value,
    }
