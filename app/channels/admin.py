"""The attendant and admin panel under ``/admin``: parse the form, call one panel service
function, render HTML (or CSV). Everything here needs a signed-in user; the pages that
change orders, zones, users or tokens need an admin."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_currency, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as WerkzeugResponse

from app.backend import ledger, orders
from app.channels import admin_auth, panel_words
from app.channels.admin_auth import admin_required, safe_next, staff
from app.channels.panel_words import (
    CHANNEL_WORDS,
    DELIVERY_WORDS,
    KIND_WORDS,
    PAYMENT_STATUS_WORDS,
    STATUS_WORDS,
)
from app.config import LANGUAGES
from app.domain.booking_policy import FieldProblem
from app.domain.inputs import is_ascii_number
from app.domain.pricing import DAY_ABBREVIATIONS, TariffError
from app.extensions import db, kanava, login_manager
from app.panel import queries as panel
from app.usecases import corrections

bp = Blueprint("admin", __name__, url_prefix="/admin")

ERROR_WORDS = {
    "bad_plate": _l("Type a plate, for example ABC-123."),
    "unknown_zone": _l("No such zone."),
    "unknown_order": _l("No such order."),
    "not_live": _l("The order is not running any more."),
    "changed_meanwhile": _l(
        "Nothing was done: the order changed after you looked (a double tap, or someone "
        "else). Check it and try again."
    ),
    "open_ended": _l("This parking runs until stopped; it cannot be extended."),
    "at_max_stay": _l("The parking is already at the zone's longest stay."),
    "bad_duration": _l("Give the extra time in minutes, 1 to 10080."),
    "empty_note": _l("The note is empty."),
    "unknown_customer": _l("No such customer."),
    "refund_unavailable": _l("Refunds are not available yet."),
    "refund_failed": _l("The refund failed."),
    "refund_nothing_left": _l("This payment has been refunded in full already."),
    "refund_not_paid": _l("Only a paid payment can be refunded."),
    "unknown_payment": _l("No such payment."),
    "invalid_zone": _l("The zone was not saved."),
    "bad_number": _l("Write whole numbers only."),
    "invalid_user": _l("The user was not created."),
    "unknown_user": _l("No such user."),
    "not_yourself": _l("You cannot deactivate yourself."),
    "empty_name": _l("Give the token a name."),
    "unknown_token": _l("No such token."),
    "bad_dates": _l("Give the dates as YYYY-MM-DD, the first not after the last."),
}


FIELD_WORDS = {
    "rate_per_hour": _l("Price per hour"),
    "daily_cap": _l("Daily cap"),
    "max_minutes": _l("Longest stay in minutes"),
    "capacity": _l("Bookable spaces"),
    "slot_minutes": _l("Slot length in minutes"),
    "booking_hours": _l("Booking hours"),
    "min_notice_minutes": _l("Minimum notice in minutes"),
    "max_advance_days": _l("Bookable days ahead"),
    "cancel_free_until_minutes": _l("Free cancellation until, minutes before the start"),
    "cancel_late_refund_percent": _l("Refund after that, percent"),
    "hold_minutes": _l("Unpaid hold in minutes"),
    "booking_rate_per_hour": _l("Booking price per hour"),
}


def _example_amount(cents: int) -> str:
    """An amount as the viewer writes it in a form: ``2,40`` in Finnish, ``2.40`` in English."""
    return str(format_decimal(Decimal(cents) / 100, format="0.00"))


ZONE_EDITOR_ERRORS = ("bad_day", "day_twice", "bad_hours", "bad_phone_code")
HOURS_FIELD_WORDS = {"paid_hours": _l("Paid hours"), "booking_hours": _l("Booking hours")}


def hours_error_text(details: Mapping[str, object]) -> str:
    """A refused line of paid (or booking) hours, in the viewer's language: the field, the
    line as typed, what is wrong with it and how to write it."""
    field = str(HOURS_FIELD_WORDS.get(str(details.get("field")), HOURS_FIELD_WORDS["paid_hours"]))
    line = details["line"]
    problem = details["problem"]
    if problem == "overnight":
        return str(
            _(
                "%(field)s, line “%(line)s”: %(window)s ends before it starts. Hours over "
                "midnight take two lines: %(start)s-24 on the first day, 0-%(end)s on the next.",
                field=field,
                line=line,
                window=details["window"],
                start=details["start"],
                end=details["end"],
            )
        )
    if problem == "bad_time":
        return str(
            _(
                "%(field)s, line “%(line)s”: “%(time)s” is not a time. Write hours like 8-18 "
                "or 08:00-18:00.",
                field=field,
                line=line,
                time=details["time"],
            )
        )
    if problem == "bad_window":
        return str(
            _(
                "%(field)s, line “%(line)s”: “%(window)s” needs a start and an end, like 8-18.",
                field=field,
                line=line,
                window=details["window"],
            )
        )
    if problem == "overlap":
        return str(
            _(
                "%(field)s, line “%(line)s”: the hours overlap. Give each hour once, like "
                "8-12, 13-18.",
                field=field,
                line=line,
            )
        )
    days = DAY_ABBREVIATIONS.get(str(get_locale()), DAY_ABBREVIATIONS["en"])
    return str(
        _(
            "%(field)s, line “%(line)s”: write the days, then the hours, like %(example)s.",
            field=field,
            line=line,
            example=f"{days[0]}-{days[4]} 8-18",
        )
    )


def zone_editor_error_text(exc: panel.PanelError) -> str:
    """The zone editor's refusals of days and phone codes, in the viewer's language."""
    details = exc.details
    if exc.code == "bad_day":
        days = DAY_ABBREVIATIONS.get(str(get_locale()), DAY_ABBREVIATIONS["en"])
        return str(
            _(
                "Paid hours: “%(day)s” is not a day. Write days like %(example)s.",
                day=details["day"],
                example=f"{days[0]}-{days[4]}, {days[5]}, {days[6]}",
            )
        )
    if exc.code == "day_twice":
        return str(_("Paid hours: a day is given twice (%(line)s).", line=details["line"]))
    if exc.code == "bad_hours":
        return hours_error_text(details)
    keys, other = details.get("phone_code"), details.get("other")
    if details.get("reason") == "taken_by_code":
        return str(_("%(keys)s is already the code of zone %(other)s.", keys=keys, other=other))
    if details.get("reason") == "taken_by_phone_code":
        return str(
            _("%(keys)s is already the phone code of zone %(other)s.", keys=keys, other=other)
        )
    if details.get("reason") == "digit_code":
        return str(_("Phone code: only a zone code with letters needs one."))
    return str(_("Phone code: digits only, at most 8."))


def booking_problem_text(problem: FieldProblem) -> str:
    """One problem with a bookable zone's terms, in the viewer's language."""
    # The policy's own rate is the zone's booking rate (the editor's booking price).
    name = "booking_rate_per_hour" if problem.field == "rate_per_hour" else problem.field
    field = str(FIELD_WORDS.get(name, name))
    if problem.code == "missing":
        return str(_("%(field)s: required for a bookable zone.", field=field))
    if problem.code == "too_small":
        return str(_("%(field)s: at least %(n)s.", field=field, n=problem.minimum))
    if problem.code == "too_large":
        return str(_("%(field)s: at most %(n)s.", field=field, n=problem.maximum))
    if problem.code == "bad_money":
        return str(
            _("%(field)s: write an amount such as %(example)s.", field=field, example="2,40")
        )
    if problem.code in ("unknown_day", "bad_hours", "no_hours"):
        return str(
            _("%(field)s: write one line a day group, like mon-fri: 08:00-18:00.", field=field)
        )
    return str(_("%(field)s: write a whole number.", field=field))


def error_text(exc: panel.PanelError) -> str:
    """The panel's refusal in the viewer's language, naming the form field when there is one.

    Internal reasons (validator text, gateway error names) are never shown, except the
    zones-file validator's own words for a zone it refused (``invalid_zone``)."""
    details = exc.details
    field = str(FIELD_WORDS.get(str(details.get("field", "")), details.get("field", "")))
    if exc.code == "booking_terms":
        problems: Any = details.get("problems", ())
        words = " ".join(booking_problem_text(p) for p in problems)
        return f"{ERROR_WORDS['invalid_zone']} {words}"
    if exc.code == "zone_exists":
        return str(_("Zone %(code)s exists already: edit it instead.", code=details["zone"]))
    if exc.code == "bad_money":
        return str(
            _(
                "%(field)s: write an amount such as %(example)s.",
                field=field,
                example=_example_amount(240),
            )
        )
    if exc.code == "money_too_high":
        limit = int(details["limit_cents"])  # type: ignore[call-overload]
        return str(
            _(
                "%(field)s: at most %(limit)s.",
                field=field,
                limit=format_currency(Decimal(limit) / 100, kanava().settings.currency),
            )
        )
    if exc.code in ZONE_EDITOR_ERRORS:
        return f"{ERROR_WORDS['invalid_zone']} {zone_editor_error_text(exc)}"
    if exc.code == "bad_refund_amount":
        return str(_("Write the amount as %(example)s.", example=_example_amount(120)))
    if exc.code == "refund_amount_missing":
        most = int(details["most_cents"])  # type: ignore[call-overload]
        return str(
            _(
                "Write the amount to refund, or choose to refund everything left (%(amount)s).",
                amount=format_currency(Decimal(most) / 100, str(details["currency"])),
            )
        )
    if exc.code == "refund_too_much":
        most = int(details["most_cents"])  # type: ignore[call-overload]
        return str(
            _(
                "You can refund at most %(amount)s.",
                amount=format_currency(Decimal(most) / 100, str(details["currency"])),
            )
        )
    text = str(ERROR_WORDS.get(exc.code, exc.code))
    if exc.code == "bad_number" and field:
        return f"{field}: {text}"
    reason = details.get("reason") if exc.code == "invalid_zone" else None
    return f"{text} {reason}" if reason else text


@bp.before_request
def _signed_in() -> WerkzeugResponse | None:
    """Every panel page needs a signed-in user; others go to the sign-in page."""
    if not current_user.is_authenticated:
        response: WerkzeugResponse = login_manager.unauthorized()
        return response
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    # Pages about drivers must not stay in a shared phone's cache.
    response.headers.setdefault("Cache-Control", "no-store")
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        response.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response


bp.register_error_handler(CSRFError, admin_auth.csrf_refused)


@bp.errorhandler(403)
def forbidden(error: Exception) -> tuple[str, int]:
    return render_template("admin/error.html", message=_("This page is for admins only.")), 403


@bp.context_processor
def _words() -> dict[str, object]:
    return {
        "status_words": STATUS_WORDS,
        "channel_words": CHANNEL_WORDS,
        "kind_words": KIND_WORDS,
        "payment_status_words": PAYMENT_STATUS_WORDS,
        "delivery_words": DELIVERY_WORDS,
        "money_text": panel_words.money_text,
        "local_time": panel_words.local_time,
        "is_admin": bool(getattr(current_user, "is_admin", False)),
    }


# ---- plate check (the first screen) -----------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
def plate_check() -> str | tuple[str, int]:
    session = db.session()
    zones = panel.active_zones(session)
    answer = None
    error = None
    zone = (
        request.form.get("zone", "") if request.method == "POST" else request.args.get("zone", "")
    )
    if request.method == "POST":
        k = kanava()
        try:
            answer = panel.check_plate(
                session, k, staff(), request.form.get("plate", ""), zone or None, k.clock()
            )
        except panel.PanelError as exc:
            error = error_text(exc)
    return render_template(
        "admin/check.html",
        zones=zones,
        answer=answer,
        error=error,
        zone=zone,
        now=kanava().clock(),
    ), (400 if error else 200)


# ---- zone board ------------------------------------------------------------------------


@bp.get("/zones")
def zones_list() -> str:
    session = db.session()
    zones = panel.all_zones(session) if current_user.is_admin else panel.active_zones(session)
    k = kanava()
    now = k.clock()
    previews = {z.code: panel.price_preview(z, k, now) for z in zones}
    return render_template("admin/zones.html", zones=zones, previews=previews, now=now)


@bp.get("/zones/<code>/board")
def zone_board(code: str) -> str:
    k = kanava()
    try:
        board = panel.zone_board(db.session(), k, code, k.clock())
    except panel.PanelError:
        abort(404)
    template = "admin/_board.html" if request.args.get("partial") else "admin/board.html"
    return render_template(template, board=board, now=k.clock())


# ---- customer timeline ------------------------------------------------------------------


def _positive_int(raw: str | None) -> int | None:
    return int(raw) if raw and is_ascii_number(raw, 9) else None


@bp.get("/timeline")
def timeline() -> str:
    query = request.args.get("q", "").strip()[:64]
    k = kanava()
    now = k.clock()
    story = (
        panel.customer_story(
            db.session(),
            k,
            query,
            now,
            order_id=_positive_int(request.args.get("order")),
            kind=request.args.get("kind") or None,
            page=_positive_int(request.args.get("page")) or 1,
        )
        if query
        else None
    )
    return render_template(
        "admin/timeline.html",
        query=query,
        story=story,
        now=now,
        refund_available=panel.refund_available(),
        kind_filter_words=panel_words.KIND_FILTER_WORDS,
        event_text=panel_words.event_text,
        correct_until=lambda order: corrections.correctable_until(order, k, now),
    )


def _back(default_query: str = "") -> WerkzeugResponse:
    return redirect(_next_url(request.form.get("next"), default_query), code=303)


def _next_url(target: str | None, default_query: str = "") -> str:
    fallback = (
        url_for("admin.timeline", q=default_query)
        if default_query
        else url_for("admin.plate_check")
    )
    return safe_next(target, fallback)


@bp.post("/notes")
def add_note() -> WerkzeugResponse:
    k = kanava()
    customer_id = request.form.get("customer_id", "")
    order_id = request.form.get("order_id", "")
    try:
        panel.add_note(
            db.session(),
            staff(),
            int(customer_id) if is_ascii_number(customer_id, 9) else None,
            int(order_id) if is_ascii_number(order_id, 9) else None,
            request.form.get("text", ""),
            k.clock(),
        )
        flash(_("Note added."))
    except panel.PanelError as exc:
        flash(error_text(exc), "error")
    return _back()


# ---- staff actions: a confirmation naming the amounts, then the action -------------------

ORDER_ACTIONS = ("stop", "extend", "cancel", "correct")


def _confirm_page(**context: object) -> str:
    return render_template("admin/confirm.html", now=kanava().clock(), **context)


def _minutes_arg(raw: str | None) -> int:
    return _positive_int((raw or "").strip()) or 0


@bp.get("/orders/<int:order_id>/<action>")
@admin_required
def confirm_order_action(order_id: int, action: str) -> str | tuple[str, int]:
    """The confirmation of a stop, an extension or a cancellation: what it will do, in
    amounts, and one button that does it. Nothing changes until that button is pressed."""
    if action not in ORDER_ACTIONS:
        abort(404)
    k = kanava()
    now = k.clock()
    session = db.session()
    back = _next_url(request.args.get("next"), "")
    minutes = _minutes_arg(request.args.get("minutes"))
    if action == "correct":
        return _confirm_correction(order_id, back)
    try:
        if action == "stop":
            stop = panel.stop_quote(session, k, order_id, now)
            words = panel_words.stop_words(stop, now)
            hidden: dict[str, str] = {}
            danger = True
        elif action == "extend":
            extend = panel.extend_quote(session, k, order_id, minutes, now)
            words = panel_words.extend_words(extend, now)
            hidden = {"minutes": str(minutes), "seen_end": extend.old_end.isoformat()}
            danger = False
        else:
            cancel = panel.cancel_quote(session, order_id)
            words = panel_words.cancel_words(cancel, now)
            hidden = {}
            danger = True
    except panel.PanelError as exc:
        return _confirm_page(action=action, error=error_text(exc), back=back), 409
    return _confirm_page(
        action=action,
        words=words,
        hidden=hidden,
        danger=danger,
        post_url=url_for("admin.order_action", order_id=order_id, action=action),
        back=back,
        error=None,
    )


def _correction_target() -> dict[str, str]:
    source = request.form if request.method == "POST" else request.args
    return {"plate": source.get("plate", "")[:24], "zone_code": source.get("zone", "")[:16]}


def _confirm_correction(order_id: int, back: str) -> str | tuple[str, int]:
    """The confirmation of a plate or zone correction (issue 12): before → after, and the
    money it moves; nothing changes until its button is pressed."""
    k = kanava()
    now = k.clock()
    target = _correction_target()
    try:
        quote = corrections.staff_quote(db.session(), k, order_id, now=now, **target)
    except corrections.CorrectionError as exc:
        error = panel_words.correction_error_text(exc.code)
        return _confirm_page(action="correct", error=error, back=back), 409
    return _confirm_page(
        action="correct",
        words=panel_words.correct_words(quote, now),
        hidden={"plate": target["plate"], "zone": target["zone_code"]},
        danger=False,
        post_url=url_for("admin.order_action", order_id=order_id, action="correct"),
        back=back,
        error=None,
    )


def _correct(order_id: int, note: str) -> None:
    k = kanava()
    try:
        done = corrections.correct_by_staff(
            db.session(),
            k,
            staff().name,
            order_id,
            note=note,
            now=k.clock(),
            **_correction_target(),
        )
        flash(panel_words.corrected_text(done))
    except corrections.CorrectionError as exc:
        flash(panel_words.correction_error_text(exc.code), "error")


def _done_text(action: str, result: object) -> str:
    """What the admin's confirmed action did, in amounts."""
    if isinstance(result, orders.ParkingStopped):
        currency = result.order.currency
        text = str(
            _(
                "Parking stopped; it cost %(amount)s.",
                amount=panel_words.money(result.amount_cents, currency),
            )
        )
        if result.refunded_cents:
            refunded = panel_words.money(result.refunded_cents, currency)
            text += " " + str(_("%(amount)s was refunded to the card.", amount=refunded))
        if result.waived_cents:
            text += " " + str(
                _(
                    "%(amount)s was not charged: under the %(minimum)s minimum.",
                    amount=panel_words.money(result.waived_cents, currency),
                    minimum=panel_words.money(ledger.minimum_charge_cents(currency), currency),
                )
            )
        return text + " " + str(_("The driver was told by SMS."))
    if isinstance(result, orders.ParkingExtended):
        order = result.order
        assert order.ends_at is not None
        return str(
            _(
                "Parking extended until %(time)s, %(amount)s more. The driver was told by SMS.",
                time=panel_words.local_time(order.ends_at, kanava().clock()),
                amount=panel_words.money(result.added_cents, order.currency),
            )
        )
    return str(_("Order cancelled. The driver was told by SMS."))


@bp.post("/orders/<int:order_id>/<action>")
@admin_required
def order_action(order_id: int, action: str) -> WerkzeugResponse:
    """Do a confirmed stop, extension or cancellation. A form that was not confirmed (an
    old page, a single tap) leads to the confirmation instead of acting."""
    if action not in ORDER_ACTIONS:
        abort(404)
    form = request.form
    if form.get("confirmed") != "1":
        return redirect(
            url_for(
                "admin.confirm_order_action",
                order_id=order_id,
                action=action,
                minutes=form.get("minutes") or None,
                plate=form.get("plate") or None,
                zone=form.get("zone") or None,
                next=form.get("next") or None,
            ),
            code=303,
        )
    k = kanava()
    note = form.get("note", "")[:500].strip()
    if action == "correct":
        _correct(order_id, note)
        return _back()
    session = db.session()
    try:
        result: object
        if action == "stop":
            result = panel.stop_order(session, k, staff(), order_id, note, k.clock())
        elif action == "extend":
            seen_end = _seen_time(form.get("seen_end"))
            result = panel.extend_order(
                session,
                k,
                staff(),
                order_id,
                _minutes_arg(form.get("minutes")),
                note,
                k.clock(),
                seen_end=seen_end,
            )
        else:
            result = panel.cancel_order(session, k, staff(), order_id, note, k.clock())
        flash(_done_text(action, result))
    except panel.PanelError as exc:
        flash(error_text(exc), "error")
    return _back()


def _seen_time(raw: str | None) -> datetime:
    """The end an admin confirmed an extension from (ISO 8601, as the page carried it)."""
    try:
        seen = datetime.fromisoformat(raw or "")
    except ValueError as exc:
        raise panel.PanelError("changed_meanwhile") from exc
    if seen.tzinfo is None:
        raise panel.PanelError("changed_meanwhile")
    return seen


def _refund_amount(raw: str) -> int | None:
    """The amount typed in the refund field in cents; None when empty."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return panel.parse_form_money(raw)
    except TariffError as exc:
        raise panel.PanelError("bad_refund_amount") from exc


@bp.get("/payments/<int:payment_id>/refund")
@admin_required
def confirm_refund(payment_id: int) -> str | tuple[str, int]:
    """The confirmation of a refund: "Refund 1,50 € of 4,80 € to the card". The amount is
    required; "everything left" is a choice of its own, never an empty field."""
    back = _next_url(request.args.get("next"), "")
    try:
        quote = panel.refund_quote(
            db.session(),
            payment_id,
            _refund_amount(request.args.get("amount", "")),
            everything=request.args.get("all") == "1",
        )
    except panel.PanelError as exc:
        payment = panel.payment_for_refund(db.session(), payment_id)
        return _confirm_page(
            action="refund",
            error=error_text(exc),
            back=back,
            payment=payment,
            typed=request.args.get("amount", ""),
        ), 400
    return _confirm_page(
        action="refund",
        words=panel_words.refund_words(quote, kanava().clock()),
        hidden={
            "amount_cents": str(quote.amount_cents),
            "seen_refunded_cents": str(quote.refunded_cents),
        },
        danger=True,
        post_url=url_for("admin.refund", payment_id=payment_id),
        back=back,
        error=None,
    )


@bp.post("/payments/<int:payment_id>/refund")
@admin_required
def refund(payment_id: int) -> WerkzeugResponse:
    """Do a confirmed refund of exactly the amount confirmed."""
    form = request.form
    amount = _positive_int(form.get("amount_cents"))
    seen = form.get("seen_refunded_cents", "")
    if form.get("confirmed") != "1" or amount is None or not is_ascii_number(seen, 12):
        return redirect(
            url_for(
                "admin.confirm_refund",
                payment_id=payment_id,
                amount=form.get("amount") or None,
                next=form.get("next") or None,
            ),
            code=303,
        )
    k = kanava()
    try:
        refunded = panel.refund_payment(
            db.session(),
            k,
            staff(),
            payment_id,
            amount,
            form.get("note", "")[:500].strip(),
            k.clock(),
            seen_refunded_cents=int(seen),
        )
        payment = panel.payment_for_refund(db.session(), payment_id)
        currency = payment.currency if payment else k.settings.currency
        flash(
            _(
                "Refunded %(amount)s to the card. The driver was told by SMS.",
                amount=panel_words.money(refunded, currency),
            )
        )
    except panel.PanelError as exc:
        flash(error_text(exc), "error")
    return _back()


# ---- zones and tariffs editor (admin) --------------------------------------------------


@bp.route("/zones/edit/<code>", methods=["GET", "POST"])
@bp.route("/zones/new", methods=["GET", "POST"], defaults={"code": None})
@admin_required
def zone_edit(code: str | None) -> str | WerkzeugResponse | tuple[str, int]:
    session = db.session()
    k = kanava()
    zone = None
    if code is not None:
        zone = next((z for z in panel.all_zones(session) if z.code == code), None)
        if zone is None:
            abort(404)
    if request.method == "POST":
        try:
            saved = panel.save_zone(session, staff(), request.form, k.clock(), new=code is None)
        except panel.PanelError as exc:
            return render_template(
                "admin/zone_edit.html",
                zone=zone,
                form=request.form,
                error=error_text(exc),
                preview=None,
            ), 400
        flash(_("Zone %(code)s saved.", code=saved))
        return redirect(url_for("admin.zone_edit", code=saved), code=303)
    form = panel.zone_form_values(zone, str(get_locale())) if zone is not None else {}
    preview = panel.price_preview(zone, k, k.clock()) if zone else None
    return render_template(
        "admin/zone_edit.html", zone=zone, form=form, error=None, preview=preview
    )


@bp.post("/zones/edit/<code>/active")
@admin_required
def zone_active(code: str) -> WerkzeugResponse:
    k = kanava()
    try:
        panel.set_zone_active(
            db.session(), staff(), code, request.form.get("active") == "1", k.clock()
        )
    except panel.PanelError as exc:
        flash(error_text(exc), "error")
    return redirect(url_for("admin.zones_list"), code=303)


# ---- users and API tokens (admin) -------------------------------------------------------


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> str | WerkzeugResponse | tuple[str, int]:
    session = db.session()
    k = kanava()
    if request.method == "POST":
        try:
            created = panel.create_user(
                session,
                staff(),
                request.form.get("name", ""),
                request.form.get("role", ""),
                request.form.get("password", ""),
                k.clock(),
            )
            flash(_("User %(name)s created.", name=created.name))
        except panel.PanelError as exc:
            flash(error_text(exc), "error")
        return redirect(url_for("admin.users"), code=303)
    return render_template(
        "admin/users.html",
        users=panel.list_users(session),
        tokens=panel.list_tokens(session),
        new_token=None,
    )


@bp.post("/users/<int:user_id>/active")
@admin_required
def user_active(user_id: int) -> WerkzeugResponse:
    k = kanava()
    try:
        panel.set_user_active(
            db.session(), staff(), user_id, request.form.get("active") == "1", k.clock()
        )
    except panel.PanelError as exc:
        flash(error_text(exc), "error")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/tokens")
@admin_required
def token_create() -> str | WerkzeugResponse:
    session = db.session()
    k = kanava()
    try:
        token = panel.create_token(session, staff(), request.form.get("name", ""), k.clock())
    except panel.PanelError as exc:
        flash(error_text(exc), "error")
        return redirect(url_for("admin.users"), code=303)
    # Shown once, on this response only; never stored in clear.
    return render_template(
        "admin/users.html",
        users=panel.list_users(session),
        tokens=panel.list_tokens(session),
        new_token=token,
    )


@bp.post("/tokens/<int:token_id>/revoke")
@admin_required
def token_revoke(token_id: int) -> WerkzeugResponse:
    k = kanava()
    try:
        panel.revoke_token(db.session(), staff(), token_id, k.clock())
    except panel.PanelError as exc:
        flash(error_text(exc), "error")
    return redirect(url_for("admin.users"), code=303)


# ---- CSV export (admin) -----------------------------------------------------------------


def _local_day(text: str, *, days_after: int = 0) -> datetime:
    """Local midnight starting the given day (plus ``days_after`` calendar days), in UTC.

    Days are added to the local date, not as 24 hours, so a range across a daylight-saving
    change still ends at local midnight."""
    day = datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a date, made aware below
    day += timedelta(days=days_after)
    return datetime.combine(day, time(0), tzinfo=kanava().settings.tz).astimezone(UTC)


@bp.get("/export")
@admin_required
def export() -> str | Response | tuple[str, int]:
    what = request.args.get("what")
    if what not in ("orders", "payments"):
        today = kanava().clock().astimezone(kanava().settings.tz).date()
        return render_template(
            "admin/export.html",
            today=today.isoformat(),
            month_start=today.replace(day=1).isoformat(),
            error=None,
        )
    try:
        start = _local_day(request.args.get("from", ""))
        end = _local_day(request.args.get("to", ""), days_after=1)
        if end <= start:
            raise ValueError("empty range")
    except ValueError:
        return render_template(
            "admin/export.html", today="", month_start="", error=ERROR_WORDS["bad_dates"]
        ), 400
    k = kanava()
    build = panel.orders_csv if what == "orders" else panel.payments_csv
    # A byte-order mark first: without it Excel reads UTF-8 as a legacy code page (ÅÄÖ).
    body = "\ufeff" + build(db.session(), k, start, end)
    name = f"kanava-{what}-{request.args['from']}-{request.args['to']}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
