"""Jinja filters shared by every page: money in minor units, times in ``APP_TIMEZONE``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_currency, format_datetime, get_locale


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
        return str(format_datetime(at, pattern))

    @app.context_processor
    def inject_lang() -> dict[str, str]:
        locale = get_locale()
        return {"lang": locale.language if locale else "fi"}
