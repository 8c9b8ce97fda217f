"""The panel's bookings under ``/admin/bookings``: a bookable zone's day as an occupancy
grid and the list of its bookings, and staff cancellation (a confirmation page naming the
refund by the zone's terms, then one button). Refunds go through the panel's payment
refund page. Parses, calls :mod:`app.panel.bookings`, renders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as WerkzeugResponse

from app.channels import admin_auth, panel_words, web_book
from app.channels.admin import ERROR_WORDS, _no_store, _signed_in, _words, error_text
from app.channels.admin_auth import admin_required, safe_next, staff
from app.extensions import db, kanava
from app.models import Order
from app.panel import bookings as panel_bookings
from app.panel.queries import PanelError
from app.usecases import web_bookings

bp = Blueprint("admin_bookings", __name__, url_prefix="/admin/bookings")
bp.before_request(_signed_in)
bp.after_request(_no_store)
bp.context_processor(_words)
bp.register_error_handler(CSRFError, admin_auth.csrf_refused)


BOOKING_ERRORS = {
    "booking_refused": _l("That time cannot be booked: choose a start and a length in the list."),
    "booking_full": _l("No space is free for all of that time. Nothing was booked."),
    "bad_plate": _l("Type a plate, for example ABC-123."),
}


def _day(text: str | None, today: date) -> date:
    try:
        return date.fromisoformat(text) if text else today
    except ValueError:
        return today


@bp.get("/<code>")
def day(code: str) -> str:
    k = kanava()
    now = k.clock()
    today = now.astimezone(k.settings.tz).date()
    wanted = _day(request.args.get("date"), today)
    try:
        found = panel_bookings.booking_day(db.session(), k, code, wanted, now)
    except PanelError:
        abort(404)
    return render_template(
        "admin/bookings.html",
        found=found,
        day_name=format_date(wanted, "EEEE d.M.yyyy"),
        previous=wanted - timedelta(days=1),
        following=wanted + timedelta(days=1),
        starts=[(web_book.start_param(r.slot.start), r) for r in found.rows if r.slot.bookable],
        most_slots=web_bookings.MOST_SLOTS,
        today=today,
        now=now,
        tz=k.settings.tz,
    )


@bp.post("/<code>")
@admin_required
def create(code: str) -> WerkzeugResponse:
    """Staff book a space for a driver; the booking waits for its payment by its link."""
    k = kanava()
    now = k.clock()
    start = web_book.parse_start(request.form.get("start"))
    slots = request.form.get("slots", "")
    back = url_for("admin_bookings.day", code=code, date=request.form.get("date") or None)
    if start is None or not slots.isdigit():
        flash(str(BOOKING_ERRORS["booking_refused"]), "error")
        return redirect(back, code=303)
    try:
        made = panel_bookings.create_booking(
            db.session(), k, staff(), code, start, int(slots), request.form.get("plate", ""), now
        )
    except PanelError as exc:
        flash(str(BOOKING_ERRORS.get(exc.code, ERROR_WORDS.get(exc.code, exc.code))), "error")
        return redirect(back, code=303)
    flash(panel_words.booking_made_text(made.order, made.pay_link))
    return redirect(back, code=303)


def _back() -> str:
    return safe_next(request.values.get("next"), url_for("admin.zones_list"))


@bp.get("/orders/<int:order_id>/cancel")
@admin_required
def confirm_cancel(order_id: int) -> str | tuple[str, int]:
    """What cancelling the booking now refunds, by the zone's terms; one button does it."""
    k = kanava()
    now = k.clock()
    back = _back()
    try:
        quote = panel_bookings.cancel_quote(db.session(), order_id, now)
    except PanelError as exc:
        return render_template(
            "admin/confirm.html", action="cancel", error=error_text(exc), back=back, now=now
        ), 409
    return render_template(
        "admin/confirm.html",
        action="cancel",
        words=panel_words.booking_cancel_words(quote, now),
        hidden={},
        danger=True,
        post_url=url_for("admin_bookings.cancel", order_id=order_id),
        back=back,
        error=None,
        now=now,
    )


@bp.post("/orders/<int:order_id>/cancel")
@admin_required
def cancel(order_id: int) -> WerkzeugResponse:
    """Do a confirmed cancellation; an unconfirmed form leads to the confirmation."""
    if request.form.get("confirmed") != "1":
        return redirect(url_for("admin_bookings.confirm_cancel", order_id=order_id), code=303)
    k = kanava()
    try:
        note = request.form.get("note", "")[:500].strip()
        done = panel_bookings.cancel_booking(db.session(), k, staff(), order_id, note, k.clock())
        flash(panel_words.booking_cancelled_text(done.order, done.refunded_cents))
    except PanelError as exc:
        flash(error_text(exc), "error")
    return redirect(_back(), code=303)


def _move_args() -> tuple[datetime | None, int]:
    start = web_book.parse_start(request.values.get("start"))
    slots = request.values.get("slots", "")
    return start, int(slots) if slots.isdigit() else 0


@bp.get("/orders/<int:order_id>/move")
@admin_required
def confirm_move(order_id: int) -> str | tuple[str, int]:
    """Choose the new start and length; with both, what moving costs or refunds, and one
    button that does it."""
    k = kanava()
    now = k.clock()
    back = _back()
    start, slots = _move_args()
    session = db.session()
    order = session.get(Order, order_id)
    if order is None or not order.booking_ref:
        abort(404)
    local_day = _day(request.args.get("date"), order.starts_at.astimezone(k.settings.tz).date())
    choices = panel_bookings.move_choices(session, k, order, local_day, now)
    quote = None
    error = None
    if start is not None and slots:
        try:
            quote = panel_bookings.move_quote(session, k, order_id, start, slots, now)
        except PanelError as exc:
            error = str(BOOKING_ERRORS.get(exc.code, error_text(exc)))
    return render_template(
        "admin/booking_move.html",
        order=order,
        day=local_day,
        choices=[(web_book.start_param(c.start), c) for c in choices],
        most_slots=web_bookings.MOST_SLOTS,
        quote=quote,
        words=panel_words.booking_move_words(quote, now) if quote else None,
        start_value=web_book.start_param(start) if start else "",
        slots=slots,
        back=back,
        error=error,
        now=now,
    ), (409 if error else 200)


@bp.post("/orders/<int:order_id>/move")
@admin_required
def move(order_id: int) -> WerkzeugResponse:
    """Do a confirmed move; an unconfirmed form leads to the confirmation."""
    start, slots = _move_args()
    if request.form.get("confirmed") != "1" or start is None:
        return redirect(url_for("admin_bookings.confirm_move", order_id=order_id), code=303)
    k = kanava()
    try:
        done = panel_bookings.move_booking(
            db.session(), k, staff(), order_id, start, slots, k.clock()
        )
        flash(
            panel_words.booking_moved_text(done.order, done.difference_cents, done.refunded_cents)
        )
    except PanelError as exc:
        flash(str(BOOKING_ERRORS.get(exc.code, error_text(exc))), "error")
    return redirect(_back(), code=303)
