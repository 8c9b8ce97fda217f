"""The web form behind a sign's QR code: ``GET/POST /p/<zone>``, its price quotes, and
the zone's printable sign (SVG and PDF).

Parses the form, calls :mod:`app.services.web_form`, and renders; the order itself is made
by the same order backend as an SMS, and paid through ``/pay/<token>``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import RadioField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional

from app import kanava
from app.config import LANGUAGES
from app.extensions import db
from app.models import Zone
from app.services import signs, web_form

bp = Blueprint("web_form", __name__)

ERRORS = {
    "bad_plate": _l("Check the plate, e.g. ABC-123."),
    "bad_phone": _l("Check the phone number, e.g. 040 123 4567."),
    "bad_duration": _l("Choose how long you park."),
}


class ParkForm(FlaskForm):  # type: ignore[misc]
    plate = StringField(_l("Plate"), validators=[DataRequired(), Length(max=24)])
    duration = RadioField(_l("How long"), validators=[DataRequired()])
    phone = TelField(_l("Phone number (optional)"), validators=[Optional(), Length(max=24)])


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale and locale.language in LANGUAGES else "fi"


def _zone_or_404(code: str) -> Zone:
    zone = web_form.zone_for_form(db.session(), code)
    if zone is None:
        abort(404)
    return zone


def _minutes(value: str | None) -> int | None:
    if value in (None, "", "open"):
        return None
    try:
        return int(value)
    except ValueError:
        return -1


def _page(zone: Zone, form: ParkForm, errors: dict[str, str] | None = None) -> str:
    """The form; ``errors`` maps a field (``plate``, ``duration``, ``phone``) to its
    error code, each shown next to its field."""
    k = kanava()
    quotes = web_form.quotes(zone, k, k.clock())
    form.duration.choices = [("open" if q.minutes is None else str(q.minutes), "") for q in quotes]
    if not form.duration.data:
        form.duration.data = str(quotes[min(1, len(quotes) - 1)].minutes or "open")
    return render_template(
        "web/park.html",
        zone=zone,
        form=form,
        quotes=quotes,
        errors={field: str(ERRORS[code]) for field, code in (errors or {}).items()},
        lang=_lang(),
    )


# The service's field names (and error codes) as the form names them.
FORM_FIELD = {"plate": "plate", "phone": "phone", "minutes": "duration"}


def _field_errors(form: ParkForm) -> dict[str, str]:
    """Every field error at once: the form's own checks, then the service's."""
    errors: dict[str, str] = {}
    if form.plate.errors:
        errors["plate"] = "bad_plate"
    if form.duration.errors:
        errors["duration"] = "bad_duration"
    if form.phone.errors:
        errors["phone"] = "bad_phone"
    found = web_form.field_errors(form.plate.data, form.phone.data, _minutes(form.duration.data))
    for field, code in found.items():
        errors.setdefault(FORM_FIELD[field], code if code in ERRORS else "bad_duration")
    return errors


@bp.get("/p/<zone_code>")
def park_page(zone_code: str) -> str:
    zone = _zone_or_404(zone_code)
    response: str = _page(zone, ParkForm())
    return response


@bp.post("/p/<zone_code>")
def park(zone_code: str) -> WerkzeugResponse | tuple[str, int]:
    zone = _zone_or_404(zone_code)
    form = ParkForm()
    k = kanava()
    form.duration.choices = [
        ("open" if q.minutes is None else str(q.minutes), "")
        for q in web_form.quotes(zone, k, k.clock())
    ]
    valid = form.validate_on_submit()
    errors = _field_errors(form)
    if errors or not valid:
        return _page(zone, form, errors), 400
    try:
        started = web_form.park_from_form(
            db.session(),
            k,
            zone=zone,
            plate=form.plate.data,
            minutes=_minutes(form.duration.data),
            phone=form.phone.data,
            language=_lang(),
            now=k.clock(),
        )
    except web_form.FormError as exc:
        field = FORM_FIELD.get(exc.field, "duration")
        return _page(zone, form, {field: exc.code if exc.code in ERRORS else "bad_duration"}), 400
    if started.payment is not None:
        return redirect(f"/pay/{started.payment.token}?lang={_lang()}", code=303)
    with force_locale(_lang()):
        return render_template("web/free.html", order=started.order, lang=_lang()), 200


@bp.get("/p/<zone_code>/quote")
def quote(zone_code: str) -> tuple[Response, int]:
    zone = _zone_or_404(zone_code)
    k = kanava()
    try:
        found = web_form.quote(zone, _minutes(request.args.get("minutes")), k, k.clock())
    except web_form.FormError:
        return jsonify({"error": "bad_duration"}), 400
    from decimal import Decimal

    from flask_babel import format_currency, format_datetime

    return jsonify(
        {
            "minutes": found.minutes,
            "ends_at": found.ends_at.isoformat() if found.ends_at else None,
            "price_cents": found.price_cents,
            "price": format_currency(Decimal(found.price_cents) / 100, k.settings.currency),
            "end": format_datetime(found.ends_at, "d.M. HH:mm") if found.ends_at else None,
        }
    ), 200


@bp.get("/p/<zone_code>/sign.svg")
def sign_svg(zone_code: str) -> Response:
    zone = _zone_or_404(zone_code)
    return Response(signs.sign_svg(zone, kanava().settings), mimetype="image/svg+xml")


@bp.get("/p/<zone_code>/sign.pdf")
def sign_pdf(zone_code: str) -> Response:
    zone = _zone_or_404(zone_code)
    return Response(
        signs.sign_pdf(zone, kanava().settings),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="kanava-sign-{zone.code}.pdf"'},
    )
