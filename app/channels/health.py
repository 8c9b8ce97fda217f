"""``GET /healthz`` for the load balancer."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("health", __name__)

OK = '{"status":"ok"}\n'
UNAVAILABLE = '{"status":"unavailable"}\n'


@bp.get("/healthz")
def healthz() -> Response:
    # A pooled connection of the engine, not the ORM session: the check needs one
    # statement, not a session, its transaction and their teardown (this is polled often).
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError:
        return Response(UNAVAILABLE, 503, mimetype="application/json")
    return Response(OK, 200, mimetype="application/json")
