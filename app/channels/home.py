"""``GET /``: what Kanava is, the active zones with their prices and web forms, and how
to park by text message. Public; the header logo of every page links here."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.extensions import db, kanava
from app.panel import queries as panel
from app.texts.signs import display_number
from app.usecases import web_bookings

bp = Blueprint("home", __name__)


@bp.get("/")
def home() -> str:
    settings = kanava().settings
    zones = panel.active_zones(db.session())
    return render_template(
        "web/home.html",
        zones=zones,
        bookable=bool(web_bookings.bookable(db.session())),
        number=display_number(settings.service_number or ""),
        example_zone=zones[0].code if zones else "101",
        currency=settings.currency,
    )
