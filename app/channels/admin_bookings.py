"""The panel's bookings under ``/admin/bookings``: a bookable zone's day as an occupancy
grid and the list of its bookings, and staff cancellation (a confirmation page naming the
refund by the zone's terms, then one button). Refunds go through the panel's payment
refund page. Parses, calls :mod:`app.panel.bookings`, renders."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as WerkzeugResponse

from app.channels import admin_auth, panel_words
from app.channels.admin import _no_store, _signed_in, _words, error_text
from app.channels.admin_auth import admin_required, safe_next, staff
from app.extensions import db, kanava
from app.panel import bookings as panel_bookings
from app.panel.queries import PanelError

bp = Blueprint("admin_bookings", __name__, url_prefix="/admin/bookings")
bp.before_request(_signed_in)
bp.after_request(_no_store)
bp.context_processor(_words)
bp.register_error_handler(CSRFError, admin_auth.csrf_refused)


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
        today=today,
        now=now,
        tz=k.settings.tz,
    )


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
