"""Per-address limits on the web forms' posts, the panel's sign-in and the handheld API
(:mod:`app.usecases.request_limits`): beyond the limit, 429 with a plain message in the
visitor's language (JSON under ``/api/``) and ``Retry-After``.

Webhooks are not limited here: Twilio and Stripe post from their own addresses for every
customer at once; an SMS flood is capped per number by the conversation instead.
"""

from __future__ import annotations

from flask import Response, jsonify, request
from werkzeug.exceptions import TooManyRequests

from app.channels.errors import error_page
from app.extensions import db, kanava
from app.usecases import request_limits

# Posts that machines make, or that have their own guard.
NOT_FORMS = ("/twilio/", "/stripe/", "/api/", "/admin/", "/simulator/")
SIGN_IN = "/admin/login"


def _scope() -> tuple[str, int] | None:
    """Which limit the current request counts against, and its size a minute."""
    # The settings are read only for a request that counts (most do not).
    path = request.path
    if path.startswith("/api/"):
        return "api", kanava().settings.api_per_minute
    if request.method != "POST":
        return None
    if path == SIGN_IN:
        return "signin", kanava().settings.signin_per_minute
    if not path.startswith(NOT_FORMS):
        return "form", kanava().settings.form_posts_per_minute
    return None


def limit_per_address() -> Response | None:
    scope = _scope()
    if scope is None:
        return None
    name, limit = scope
    if limit <= 0:  # this limit is off: no session to open for it
        return None
    k = kanava()
    verdict = request_limits.check(
        db.session(), name, request.remote_addr or "unknown", limit, k.clock()
    )
    if verdict.allowed:
        return None
    if request.path.startswith("/api/"):
        response = jsonify({"error": "too_many_requests"})
        response.status_code = 429
    else:
        page = error_page(TooManyRequests())
        response = page if isinstance(page, Response) else Response(status=429)
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response
