"""The order's own page: ``GET /o/<token>``, its stop confirmation and its two forms
(``POST /o/<token>/stop``, ``POST /o/<token>/extend``).

Parses, calls :mod:`app.usecases.order_page`, and renders; every POST answers 303 to a
page (post/redirect/get), so a reload repeats nothing. The browser remembers, in its
signed session, the orders it made or opened by their link (:func:`remember`): the
payment result page then links back to the order only for them, never for someone who
merely paid for more time.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, redirect, render_template, request, session
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Response as WerkzeugResponse

from app.backend import orders
from app.channels.errors import error_page
from app.config import LANGUAGES
from app.extensions import db, kanava
from app.models import Order
from app.texts.booking_calendar import booking_ics
from app.texts.messages import page_time
from app.usecases import booking_page, corrections, form_keys, order_page

bp = Blueprint("order_page", __name__)

# Session key: ids of the orders this browser made on the form or opened by their link.
OWN_ORDERS = "own_orders"
REMEMBERED = 10

ERRORS = {
    "bad_duration": _l("Choose how much more time you want."),
    "not_live": _l("This parking has already ended."),
    "open_ended": _l("A parking until you stop cannot be extended: it runs until you stop it."),
    "at_max_stay": _l("This parking already lasts as long as the zone allows."),
    "expired_form": _l("The page had expired and nothing was done. Please try again."),
    "changed": _l(
        "Your parking changed meanwhile (in another window or by text message), so nothing"
        " was done. Check its end below and choose again."
    ),
    "too_late": _l(
        "Too late to correct: a parking can be corrected only just after it starts. Stop it"
        " and park again with the right plate and zone."
    ),
    "unchanged": _l("That is what the parking already has: nothing changed."),
    "bad_plate": _l("Check the plate: it should look like ABC-123."),
    "unknown_zone": _l("There is no such zone. The zone code is on the sign."),
    "nothing": _l("Give the right plate or the right zone."),
    "booking_not_live": _l("This booking can no longer be cancelled."),
}


def remember(order: Order) -> None:
    """This browser holds the order's link (it made the order, or opened its page)."""
    known = session.get(OWN_ORDERS, [])
    if known and known[-1] == order.id:
        return  # already the latest: leave the session cookie as it is
    ids = [i for i in known if i != order.id]
    session[OWN_ORDERS] = [*ids, order.id][-REMEMBERED:]


def is_own(order: Order) -> bool:
    return order.id in session.get(OWN_ORDERS, [])


@bp.app_template_global()
def own_order_link(order: Order) -> str | None:
    """The order's page, for pages this browser may see it from (see the module doc)."""
    if order.manage_token is None or not is_own(order):
        return None
    return f"{kanava().settings.public_base_url}/o/{order.manage_token}"


@bp.app_template_global()
def when(at: datetime | None, now: datetime) -> str:
    """A moment as a driver reads it: the clock time today, with the weekday otherwise."""
    if at is None:
        return ""
    tz = kanava().settings.tz
    same_day = at.astimezone(tz).date() == now.astimezone(tz).date()
    return page_time(at, "HH:mm" if same_day else "EEE d.M. HH:mm")


def page_language(order: Order) -> str:
    """``?lang=``, else the language this browser chose before, else the order's own."""
    for wanted in (request.args.get("lang"), request.cookies.get("lang"), order.language):
        if wanted in LANGUAGES:
            return wanted
    return kanava().settings.default_language


def _private(response: Response) -> Response:
    # The link is the key to the order: no caches, no search engines, no referrer abroad.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.app_template_global()
def booking_window(start: datetime, end: datetime) -> str:
    """A booking's window in local time: ``Thu 3.12. 10:00–12:00`` (the end's day too
    when it ends on another day)."""
    tz = kanava().settings.tz
    first = page_time(start, "EEE d.M. HH:mm")
    same_day = start.astimezone(tz).date() == end.astimezone(tz).date()
    last = page_time(end, "HH:mm" if same_day else "EEE d.M. HH:mm")
    return f"{first}\u2013{last}"


def _booking_page(
    found: booking_page.BookingView, token: str, error: str | None, status: int
) -> WerkzeugResponse:
    remember(found.order)
    lang = page_language(found.order)
    notice = request.args.get("done")
    with force_locale(lang):
        html = render_template(
            "order/booking.html",
            view=found,
            order=found.order,
            now=kanava().clock(),
            lang=lang,
            notice=notice if notice == "cancelled" else None,
            error=str(ERRORS[error]) if error in ERRORS else None,
            manage_url=f"{kanava().settings.public_base_url}/o/{token}",
        )
    return _private(Response(html, status=status))


def _page(token: str, error: str | None = None, status: int = 200) -> WerkzeugResponse:
    k = kanava()
    now = k.clock()
    booking = booking_page.view(db.session(), k, token, now)
    if booking is not None:
        return _booking_page(booking, token, error, status)
    found = order_page.view(db.session(), k, token, now)
    if found is None:
        abort(404)
    remember(found.order)
    lang = page_language(found.order)
    notice = request.args.get("done")
    with force_locale(lang):
        html = render_template(
            "order/page.html",
            view=found,
            order=found.order,
            now=now,
            lang=lang,
            key=form_keys.new_key(),
            currency=found.order.currency,
            notice=notice if notice in ("stopped", "extended", "parked", "corrected") else None,
            correct_until=corrections.correctable_until(found.order, k, now),
            error=str(ERRORS[error]) if error in ERRORS else None,
            manage_url=f"{k.settings.public_base_url}/o/{token}",
        )
    return _private(Response(html, status=status))


def _to_page(token: str, **args: str) -> WerkzeugResponse:
    query = "&".join(f"{name}={value}" for name, value in args.items() if value)
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        query = f"{query}&lang={lang}" if query else f"lang={lang}"
    return redirect(f"/o/{token}" + (f"?{query}" if query else ""), code=303)


@bp.get("/o/<token>")
def show(token: str) -> WerkzeugResponse:
    return _page(token)


@bp.get("/o/<token>/booking.ics")
def booking_calendar(token: str) -> Response:
    """The booking's calendar file, for the link in its confirmation."""
    order = orders.find_by_manage_token(db.session(), token)
    if order is None or order.booking_ref is None:
        raise NotFound()
    body = booking_ics(order, kanava(), kanava().clock())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{order.booking_ref}.ics"'
    return _private(response)


@bp.get("/o/<token>/cancel")
def confirm_cancel(token: str) -> WerkzeugResponse:
    """The booking's cancel confirmation: what comes back, by its terms, if cancelled now."""
    k = kanava()
    found = booking_page.view(db.session(), k, token, k.clock())
    if found is None:
        abort(404)
    if not found.upcoming:
        return _to_page(token)
    remember(found.order)
    lang = page_language(found.order)
    with force_locale(lang):
        html = render_template(
            "order/cancel_booking.html",
            view=found,
            order=found.order,
            lang=lang,
            key=form_keys.new_key(),
        )
    return _private(Response(html))


@bp.post("/o/<token>/cancel")
def cancel(token: str) -> WerkzeugResponse:
    k = kanava()
    try:
        booking_page.cancel(db.session(), k, token, request.form.get("key"), k.clock())
    except booking_page.BookingPageError as exc:
        if exc.code == "unknown":
            abort(404)
        return _page(token, error="booking_not_live", status=409)
    return _to_page(token, done="cancelled")


@bp.get("/o/<token>/stop")
def confirm_stop(token: str) -> WerkzeugResponse:
    k = kanava()
    now = k.clock()
    found = order_page.view(db.session(), k, token, now)
    if found is None:
        abort(404)
    if not found.live:
        return _to_page(token)
    remember(found.order)
    lang = page_language(found.order)
    with force_locale(lang):
        html = render_template(
            "order/stop.html",
            view=found,
            order=found.order,
            preview=order_page.stop_preview(found.order, k, now),
            now=now,
            lang=lang,
            key=form_keys.new_key(),
            currency=found.order.currency,
        )
    return _private(Response(html))


@bp.post("/o/<token>/stop")
def stop(token: str) -> WerkzeugResponse:
    k = kanava()
    try:
        order_page.stop(db.session(), k, token, request.form.get("key"), k.clock())
    except order_page.OrderPageError as exc:
        if exc.code == "unknown":
            abort(404)
        return _to_page(token)
    return _to_page(token, done="stopped")


@bp.post("/o/<token>/extend")
def extend(token: str) -> WerkzeugResponse:
    k = kanava()
    try:
        minutes = int(request.form.get("minutes", ""))
    except ValueError:
        minutes = -1
    try:
        done = order_page.extend(
            db.session(),
            k,
            token,
            minutes,
            request.form.get("key"),
            k.clock(),
            seen_end=request.form.get("seen_end"),
        )
    except order_page.OrderPageError as exc:
        if exc.code == "unknown":
            abort(404)
        return _page(token, error=exc.code, status=400 if exc.code == "bad_duration" else 409)
    if done.payment is not None:
        lang = request.args.get("lang")
        suffix = f"?lang={lang}" if lang in LANGUAGES else ""
        return redirect(f"/pay/{done.payment.token}{suffix}", code=303)
    return _to_page(token, done="extended")


@bp.post("/o/<token>/correct")
def correct(token: str) -> WerkzeugResponse:
    """The "wrong plate or zone?" form, within ``CORRECTION_MINUTES`` of the start."""
    k = kanava()
    try:
        done = corrections.correct_from_page(
            db.session(),
            k,
            token,
            plate=request.form.get("plate", "")[:24],
            zone_code=request.form.get("zone", "")[:16],
            key=request.form.get("key"),
            now=k.clock(),
        )
    except corrections.CorrectionError as exc:
        if exc.code == "unknown":
            abort(404)
        return _page(token, error=exc.code, status=409 if exc.code == "too_late" else 400)
    if done.payment is not None:
        lang = request.args.get("lang")
        suffix = f"?lang={lang}" if lang in LANGUAGES else ""
        return redirect(f"/pay/{done.payment.token}{suffix}", code=303)
    return _to_page(token, done="corrected")


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError) -> WerkzeugResponse | HTTPException:
    """A form from a page kept open past its session: nothing done, the page again."""
    token = str((request.view_args or {}).get("token") or "")
    known = order_page.order_for_token(db.session(), token) or booking_page.booking_for_token(
        db.session(), token
    )
    if known is None:
        return error_page(NotFound())
    return _page(token, error="expired_form", status=400)
