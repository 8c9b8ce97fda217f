"""Error pages: a branded page in the visitor's language for every HTTP error a person
can meet (an unknown zone or link, a form from an expired page, a failure of ours).

People get the site's page, scaled for a phone, with a way on; machines keep what they
read: the handheld API its JSON (``app/channels/api.py`` words it), webhooks and the
simulator's calls Werkzeug's plain answer. Unexpected exceptions are logged by Flask
before this page is drawn.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import Flask, Response, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.channels.api import json_errors_under_api
from app.extensions import kanava
from app.texts.signs import display_number

log = logging.getLogger(__name__)

# Paths that machines call: their errors stay as they were.
MACHINE_PATHS = ("/api/", "/twilio/", "/stripe/", "/healthz", "/simulator/api/")

TEXTS = {
    400: (
        _l("Something in the request was wrong"),
        _l("Go back, reload the page and try again."),
    ),
    403: (
        _l("Not allowed"),
        _l("This page is not open to you."),
    ),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check the address, or start from the home page."),
    ),
    405: (
        _l("This page cannot be used that way"),
        _l("Go back and use the buttons on the page."),
    ),
    429: (
        _l("Too many requests"),
        _l("Too many requests came from your address. Wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Sorry! Nothing you did caused this. Please try again in a moment."),
    ),
}
NOT_FOUND_BY_KIND = {
    "zone": (
        _l("Zone not found"),
        _l(
            "There is no zone %(code)s. Check the zone number on the sign, or choose one "
            "on the home page."
        ),
    ),
    "link": (
        _l("Link not found"),
        _l(
            "This link does not lead anywhere. Check that you have the whole link, as it "
            "was in the message."
        ),
    ),
}
EXPIRED_FORM = (
    _l("The page had expired"),
    _l("Nothing was done. Go back, reload the page and try again."),
)
# The path's first part, for a 404: links from messages carry a token after it.
LINK_PREFIXES = ("pay", "demo-pay", "r", "o")


def _texts(error: HTTPException) -> tuple[str, str]:
    code = error.code or 500
    if isinstance(error, CSRFError):
        title, message = EXPIRED_FORM
        return str(title), str(message)
    if code == 404:
        zone = (request.view_args or {}).get("zone_code")
        if zone:
            title, message = NOT_FOUND_BY_KIND["zone"]
            return str(title), str(message) % {"code": str(zone)[:16]}
        first = request.path.strip("/").split("/", 1)[0]
        if first in LINK_PREFIXES and request.path.count("/") >= 2:
            title, message = NOT_FOUND_BY_KIND["link"]
            return str(title), str(message)
    title, message = TEXTS.get(code, TEXTS[500 if code >= 500 else 400])
    return str(title), str(message)


@lru_cache(maxsize=8)
def _shown(number: str) -> str:
    """The service number as the page shows it: parsed once, not on every error page."""
    return display_number(number)


def error_page(error: HTTPException) -> Response | HTTPException:
    """The branded page for ``error``; machines' paths get their usual answer."""
    path = request.path
    if path.startswith("/api/"):
        return json_errors_under_api(error)
    if path.startswith(MACHINE_PATHS):
        return error
    code = error.code or 500
    try:
        title, message = _texts(error)
        html = _page(code, title, message, _shown(kanava().settings.service_number or ""))
    except Exception:  # the error page must never fail: fall back to the plain answer
        log.exception("the error page for %s could not be drawn", code)
        return error
    response = Response(html, status=code, mimetype="text/html")
    allowed = getattr(error, "valid_methods", None)
    if code == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


# Drawn pages kept per application, for the requests whose page is all in the key: without
# a query string the page depends only on these and the language (its language links are
# relative). Scanners ask for many missing addresses; each then costs a dict lookup, not a
# template. Bounded: a zone's 404 names the zone asked for.
PAGES_KEPT = 64


def _page(code: int, title: str, message: str, number: str) -> str:
    def draw() -> str:
        return render_template(
            "errors/error.html", code=code, title=title, message=message, number=number
        )

    if request.query_string:
        return draw()
    kept: dict[tuple[object, ...], str] = current_app.extensions["kanava_error_pages"]
    key = (code, title, message, number, str(get_locale()))
    html = kept.get(key)
    if html is None:
        html = draw()
        if len(kept) >= PAGES_KEPT:
            kept.clear()
        kept[key] = html
    return html


def register(app: Flask) -> None:
    """Every HTTP error, and every unexpected exception (a 500), gets :func:`error_page`.
    Registered after the blueprints: it takes over the API's handler and hands API paths
    back to it."""
    app.extensions["kanava_error_pages"] = {}
    app.register_error_handler(HTTPException, error_page)
