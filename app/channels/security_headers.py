"""Security headers on every response.

- ``Content-Security-Policy``: scripts and styles only from our own files (no inline
  script, no inline style: the templates keep theirs in ``app/static``), nothing may
  frame a page (``frame-ancestors 'none'``, and ``X-Frame-Options`` for old browsers).
  No ``form-action``: the web form's post redirects to Stripe Checkout, which Chromium
  would check against it.
- ``X-Content-Type-Options: nosniff``.
- ``Referrer-Policy``: ``no-referrer`` on the pages whose URL holds a token (an order's
  page, a payment link, a receipt), so the token never leaks to another site;
  ``strict-origin-when-cross-origin`` elsewhere.
- ``Strict-Transport-Security`` in production only (a development machine speaks http).
"""

from __future__ import annotations

from flask import Response, request

from app.extensions import kanava

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
TOKEN_PATHS = ("/o/", "/pay/", "/r/", "/demo-pay/")
HSTS = "max-age=31536000; includeSubDomains"


DEFAULTS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the few headers a view set, instead of a lookup per default (a missed
    # lookup in Werkzeug's Headers raises and catches an exception): this runs on every
    # response.
    present = {name.lower() for name, _ in headers.items()}
    for name, value in DEFAULTS:
        if name.lower() not in present:
            headers.add(name, value)
    token_page = request.path.startswith(TOKEN_PATHS)
    headers["Referrer-Policy"] = "no-referrer" if token_page else "strict-origin-when-cross-origin"
    if kanava().settings.environment == "production" and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)
    return response
