"""What every page shares: the visitor's language, and Jinja filters for money in minor
units and times in ``APP_TIMEZONE``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Flask, Response, request
from flask_babel import format_currency, get_locale

from app.channels.api import API_PREFIX
from app.config import LANGUAGES
from app.extensions import kanava
from app.texts.messages import page_time


def select_locale() -> str:
    """The page's language: ``?lang=``, else the ``lang`` cookie, else ``Accept-Language``,
    else ``DEFAULT_LANGUAGE`` (Flask-Babel's locale selector)."""
    lang = request.args.get("lang") or request.cookies.get("lang")
    if lang in LANGUAGES:
        return lang
    best = request.accept_languages.best_match(LANGUAGES)
    return best or kanava().settings.default_language


def remember_language(response: Response) -> Response:
    """A language chosen with ``?lang=`` sticks for the pages that follow (a cookie); the
    JSON API has no pages and sets no cookie."""
    if not request.query_string or request.path.startswith(API_PREFIX):
        return response  # most requests: no ?lang= to remember
    lang = request.args.get("lang")
    if lang in LANGUAGES and request.cookies.get("lang") != lang:
        response.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def register(app: Flask) -> None:
    @app.template_filter("money")
    def money(cents: int | None, currency: str = "EUR") -> str:
        if cents is None:
            return ""
        return str(format_currency(Decimal(cents) / 100, currency))

    @app.template_filter("localtime")
    def localtime(at: datetime | None, pattern: str = "d.M.yyyy HH:mm") -> str:
        if at is None:
            return ""
        return page_time(at, pattern)

    @app.context_processor
    def inject_lang() -> dict[str, str]:
        locale = get_locale()
        return {"lang": locale.language if locale else "fi"}
