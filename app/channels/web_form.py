"""The web form behind a sign's QR code: ``GET/POST /p/<zone>``, its price quotes, the
"already parked" page, and the zone's printable sign (SVG and PDF).

Parses the form, calls :mod:`app.usecases.web_form`, and renders; the order itself is made
by the same order backend as an SMS, and paid through ``/pay/<token>``. Every POST answers
303 (post/redirect/get): to the payment, to the order's own page, or to the "already
parked" page, so a reload parks nothing.

The language switch on the form is a set of submit buttons of the form itself (no
JavaScript): what was typed goes to ``POST /p/<zone>/language``, waits in the signed
session (never in a URL: it may hold a phone number), and the form comes back in the new
language with it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import HiddenField, RadioField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional

from app.channels.errors import error_page
from app.channels.order_page import is_own, remember
from app.config import LANGUAGES
from app.domain.demand import sign_code_or_none
from app.domain.plates import normalize_plate
from app.extensions import db, kanava
from app.models import Zone
from app.texts import signs
from app.texts.messages import STATUS_WORD, page_time
from app.usecases import form_keys, web_bookings, web_form
from app.usecases.order_page import OrderPageError

bp = Blueprint("web_form", __name__)

ERRORS = {
    "bad_plate": _l("Check the plate, e.g. ABC-123."),
    "bad_phone": _l("Check the phone number, e.g. 040 123 4567."),
    "bad_duration": _l("Choose how long you park."),
    "expired_form": _l("The page had expired and nothing was parked. Check and press again."),
}
# What was typed, kept over a language switch (see the module doc).
DRAFT = "web_form_draft"
# Session key: "<zone>:<plate key>" of the plates this browser typed on the form and found
# already parked; the "already parked" page answers only for those (and its own orders).
ASKED = "web_form_asked"
ASKED_KEPT = 10
LANGUAGE_NAMES = (("fi", "Suomi"), ("sv", "Svenska"), ("en", "English"))


class ParkForm(FlaskForm):  # type: ignore[misc]
    plate = StringField(_l("Plate"), validators=[DataRequired(), Length(max=24)])
    duration = RadioField(_l("How long"), validators=[DataRequired()])
    phone = TelField(_l("Phone number (optional)"), validators=[Optional(), Length(max=24)])
    key = HiddenField()


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


def _no_store(html: str, status: int = 200) -> Response:
    # Not kept by the browser: Back shows a fresh form with a fresh key.
    return Response(html, status=status, headers={"Cache-Control": "no-store"})


def _page(
    zone: Zone, form: ParkForm, errors: dict[str, str] | None = None, *, sign: str | None = None
) -> str:
    """The form; ``errors`` maps a field (``plate``, ``duration``, ``phone``, or ``form``
    for the whole form) to its error code, each shown next to its field."""
    k = kanava()
    now = k.clock()
    quotes = web_form.quotes(zone, k, now)
    form.duration.choices = [("open" if q.minutes is None else str(q.minutes), "") for q in quotes]
    if not form.duration.data:
        form.duration.data = str(quotes[min(1, len(quotes) - 1)].minutes or "open")
    if not form.key.data:
        form.key.data = form_keys.new_key()
    return render_template(
        "web/park.html",
        zone=zone,
        bookable=web_bookings.bookable_zone(db.session(), zone.code) is not None,
        form=form,
        quotes=quotes,
        tariff=web_form.price_now(zone, k, now),
        now=now,
        errors={field: str(ERRORS[code]) for field, code in (errors or {}).items()},
        lang=_lang(),
        language_names=LANGUAGE_NAMES,
        sign=sign or sign_code_or_none(request.form.get("s")),
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


def _with_lang(path: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={_lang()}"


@bp.get("/p/<zone_code>")
def park_page(zone_code: str) -> Response:
    zone = _zone_or_404(zone_code)
    form = ParkForm(formdata=None)
    draft: dict[str, Any] = session.pop(DRAFT, None) or {}
    sign = sign_code_or_none(request.args.get("s"))
    if draft.get("zone") == zone.code:
        for name in ("plate", "duration", "phone", "key"):
            getattr(form, name).data = draft.get(name) or None
        sign = sign or sign_code_or_none(draft.get("s"))
    return _no_store(_page(zone, form, sign=sign))


@bp.post("/p/<zone_code>/language")
def switch_language(zone_code: str) -> WerkzeugResponse:
    """A language button of the form: keep what was typed, show the form in that language."""
    zone = _zone_or_404(zone_code)
    session[DRAFT] = {
        "zone": zone.code,
        **{
            name: request.form.get(name, "")[:40]
            for name in ("plate", "duration", "phone", "key", "s")
        },
    }
    return redirect(_with_lang(f"/p/{zone.code}"), code=303)


def _choices(zone: Zone) -> list[tuple[str, str]]:
    k = kanava()
    return [
        ("open" if q.minutes is None else str(q.minutes), "")
        for q in web_form.quotes(zone, k, k.clock())
    ]


@bp.post("/p/<zone_code>")
def park(zone_code: str) -> WerkzeugResponse:
    zone = _zone_or_404(zone_code)
    form = ParkForm()
    k = kanava()
    form.duration.choices = _choices(zone)
    valid = form.validate_on_submit()
    errors = _field_errors(form)
    if errors or not valid:
        return _no_store(_page(zone, form, errors), 400)
    try:
        parked = web_form.park_from_form(
            db.session(),
            k,
            zone=zone,
            plate=form.plate.data,
            minutes=_minutes(form.duration.data),
            phone=form.phone.data,
            language=_lang(),
            now=k.clock(),
            key=form.key.data,
            sign=sign_code_or_none(request.form.get("s")),
        )
    except web_form.FormError as exc:
        field = FORM_FIELD.get(exc.field, "duration")
        code = exc.code if exc.code in ERRORS else "bad_duration"
        return _no_store(_page(zone, form, {field: code}), 400)
    except web_form.AlreadyParked as exc:
        _asked(zone, exc.order.plate_key)
        return redirect(_with_lang(f"/p/{zone.code}/parked?plate={exc.order.plate_key}"), code=303)
    remember(parked.order)
    if parked.payment is not None and parked.order.grace_withheld:
        # Not valid before it is paid: its page says why, with the payment button.
        return redirect(_with_lang(f"/o/{parked.order.manage_token}"), code=303)
    if parked.payment is not None:
        return redirect(_with_lang(f"/pay/{parked.payment.token}"), code=303)
    return redirect(_with_lang(f"/o/{parked.order.manage_token}?done=parked"), code=303)


def _asked(zone: Zone, plate_key: str) -> None:
    """This browser typed ``plate_key`` on the form of ``zone`` and found it parked."""
    asked = [a for a in session.get(ASKED, []) if a != f"{zone.code}:{plate_key}"]
    session[ASKED] = [*asked, f"{zone.code}:{plate_key}"][-ASKED_KEPT:]


def _was_asked(zone: Zone, plate_key: str) -> bool:
    return f"{zone.code}:{plate_key}" in session.get(ASKED, [])


@bp.get("/p/<zone_code>/parked")
def already_parked(zone_code: str) -> WerkzeugResponse:
    """The plate already has a valid parking here: until when, and more time for it. Only
    for the browser that typed the plate on this zone's form (or made the order): anyone
    else is sent to the form and learns nothing of the plate."""
    zone = _zone_or_404(zone_code)
    plate = request.args.get("plate", "")
    k = kanava()
    now = k.clock()
    order = web_form.parked_here(db.session(), k, zone, plate, now) if plate else None
    if order is None or not (is_own(order) or _was_asked(zone, order.plate_key)):
        return redirect(_with_lang(f"/p/{zone.code}"), code=303)
    html = render_template(
        "web/parked.html",
        zone=zone,
        order=order,
        valid_until=web_form.valid_until(order, k),
        own=is_own(order),
        extensions=web_form.extensions_for_anyone(order, k, now),
        grace=k.settings.payment_grace_minutes,
        key=form_keys.new_key(),
        now=now,
        lang=_lang(),
        extended=request.args.get("extended") == "1",
        currency=order.currency,
        status_word=STATUS_WORD.get(_lang(), "STATUS"),
    )
    return _no_store(html)


@bp.post("/p/<zone_code>/extend")
def extend_parked(zone_code: str) -> WerkzeugResponse:
    zone = _zone_or_404(zone_code)
    plate = normalize_plate(request.form.get("plate", ""))[:16]
    k = kanava()
    try:
        done = web_form.extend_parked(
            db.session(),
            k,
            zone=zone,
            plate=plate,
            minutes=_minutes(request.form.get("minutes")) or -1,
            key=request.form.get("key"),
            now=k.clock(),
        )
    except OrderPageError:
        return redirect(_with_lang(f"/p/{zone.code}/parked?plate={plate}"), code=303)
    if done.payment is not None:
        return redirect(_with_lang(f"/pay/{done.payment.token}"), code=303)
    return redirect(_with_lang(f"/p/{zone.code}/parked?plate={plate}&extended=1"), code=303)


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError) -> WerkzeugResponse | HTTPException:
    """A form from a page kept open past its session: nothing is done; the driver gets the
    form back with what was typed (or, for a language switch, simply the new language)."""
    code = (request.view_args or {}).get("zone_code")
    zone = web_form.zone_for_form(db.session(), str(code)) if code else None
    if zone is None:
        return error_page(NotFound())
    if request.endpoint == "web_form.park":
        form = ParkForm(meta={"csrf": False})
        form.duration.choices = _choices(zone)
        return _no_store(_page(zone, form, {"form": "expired_form"}), 400)
    if request.endpoint == "web_form.extend_parked":
        plate = normalize_plate(request.form.get("plate", ""))[:16]
        return redirect(_with_lang(f"/p/{zone.code}/parked?plate={plate}"), code=303)
    return redirect(_with_lang(f"/p/{zone.code}"), code=303)


@bp.get("/p/<zone_code>/quote")
def quote(zone_code: str) -> tuple[Response, int]:
    zone = _zone_or_404(zone_code)
    k = kanava()
    try:
        found = web_form.quote(zone, _minutes(request.args.get("minutes")), k, k.clock())
    except web_form.FormError:
        return jsonify({"error": "bad_duration"}), 400
    from decimal import Decimal

    from flask_babel import format_currency

    return jsonify(
        {
            "minutes": found.minutes,
            "ends_at": found.ends_at.isoformat() if found.ends_at else None,
            "price_cents": found.price_cents,
            "price": format_currency(Decimal(found.price_cents) / 100, k.settings.currency),
            "end": page_time(found.ends_at, "d.M. HH:mm") if found.ends_at else None,
        }
    ), 200


@bp.get("/p/<zone_code>/sign.svg")
def sign_svg(zone_code: str) -> Response:
    zone = _zone_or_404(zone_code)
    sign = sign_code_or_none(request.args.get("s"))
    return Response(signs.sign_svg(zone, kanava().settings, sign), mimetype="image/svg+xml")


@bp.get("/p/<zone_code>/sign.pdf")
def sign_pdf(zone_code: str) -> Response:
    zone = _zone_or_404(zone_code)
    return Response(
        signs.sign_pdf(zone, kanava().settings, sign_code_or_none(request.args.get("s"))),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="kanava-sign-{zone.code}.pdf"'},
    )
