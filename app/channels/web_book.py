"""Booking on the web: ``GET /book`` (the bookable zones), ``GET /book/<zone>?date=``
(a day's slots with free counts; ``&start=`` opens the form for that slot), ``POST
/book/<zone>`` (book, then 303 to the payment or to the done page) and ``GET
/book/done/<token>`` (reference, window, terms, calendar file).

Works without JavaScript: every slot is a link, every day a link, the form a plain POST.
Parses, calls :mod:`app.usecases.web_bookings`, renders.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, Response, abort, redirect, render_template, request
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as WerkzeugResponse

from app.channels.order_page import remember
from app.config import LANGUAGES
from app.domain.booking_capacity import Alternative, SlotAvailability
from app.extensions import db, kanava
from app.texts.messages import page_time
from app.usecases import form_keys, web_bookings, web_form
from app.usecases.web_bookings import BookableZone

bp = Blueprint("web_book", __name__)

ERRORS = {
    "bad_plate": _l("Check the plate, e.g. ABC-123."),
    "bad_phone": _l("Check the phone number, e.g. 040 123 4567."),
    "bad_length": _l("Choose how long you book."),
    "refused": _l("This time cannot be booked any more. Choose another time."),
    "expired_form": _l("The page had expired and nothing was booked. Check and press again."),
}
# How many days the day navigation lists at once.
DAYS_SHOWN = 7
START_FORMAT = "%Y-%m-%dT%H:%MZ"


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale and locale.language in LANGUAGES else "fi"


def _no_store(html: str, status: int = 200) -> Response:
    return Response(html, status=status, headers={"Cache-Control": "no-store"})


def _zone_or_404(code: str) -> BookableZone:
    found = web_bookings.bookable_zone(db.session(), code)
    if found is None:
        abort(404)
    return found


def _day(text: str | None, first: date, last: date) -> date:
    try:
        wanted = date.fromisoformat(text) if text else first
    except ValueError:
        return first
    return min(max(wanted, first), last)


def parse_start(text: str | None) -> datetime | None:
    """A slot's start as the pages carry it (``2026-11-24T08:00Z``); None if it is not one."""
    try:
        return datetime.strptime(text or "", START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def start_param(at: datetime) -> str:
    return at.astimezone(UTC).strftime(START_FORMAT)


def _clock(at: datetime) -> str:
    return page_time(at, "HH:mm")


def _span(start: datetime, end: datetime) -> str:
    return f"{_clock(start)}–{_clock(end)}"


def _day_name(day: date) -> str:
    return str(format_date(day, "EEE d.M."))


@bp.get("/book")
def zones_page() -> Response:
    found = web_bookings.bookable(db.session())
    return _no_store(render_template("book/zones.html", zones=found, lang=_lang()))


def _page(
    found: BookableZone,
    day: date,
    start: datetime | None,
    *,
    errors: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    taken: web_bookings.SlotTaken | None = None,
    status: int = 200,
) -> Response:
    k = kanava()
    now = k.clock()
    first = web_bookings.today(k, now)
    last = web_bookings.last_day(k, found.policy, now)
    grid = web_bookings.day_grid(db.session(), k, found.zone, day, now)
    lengths = web_bookings.lengths(k, found.policy, grid, start) if start else []
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = days.index(day) if day in days else 0
    shown = days[max(0, min(index - 1, len(days) - DAYS_SHOWN)) :][:DAYS_SHOWN]
    html = render_template(
        "book/day.html",
        zone=found.zone,
        can_park=found.zone.active,
        policy=found.policy,
        day=day,
        day_name=_day_name(day),
        days=[(d, _day_name(d)) for d in shown],
        previous=day - timedelta(days=1) if day > first else None,
        following=day + timedelta(days=1) if day < last else None,
        grid=grid,
        rows=[_row(slot) for slot in grid],
        start=start,
        start_param=start_param(start) if start else "",
        chosen=_span(lengths[0].window.start, lengths[0].window.end) if lengths else "",
        lengths=[(length, _span(length.window.start, length.window.end)) for length in lengths],
        errors={field: str(ERRORS[code]) for field, code in (errors or {}).items()},
        fields=fields or {},
        key=(fields or {}).get("key") or form_keys.new_key(),
        taken=taken,
        alternatives=[_alternative(alt, found.zone.code) for alt in taken.alternatives]
        if taken
        else [],
        lang=_lang(),
        currency=k.settings.currency,
    )
    return _no_store(html, status)


def _row(slot: SlotAvailability) -> dict[str, object]:
    return {
        "slot": slot,
        "span": _span(slot.start, slot.end),
        "start": start_param(slot.start),
        "open": bool(slot.bookable) and slot.free > 0,
    }


def _alternative(alt: Alternative, zone_code: str) -> dict[str, str]:
    window = alt.window
    code = alt.zone or zone_code
    local = window.start.astimezone(kanava().settings.tz).date()
    return {
        "zone": code,
        "text": f"{_day_name(local)} {_span(window.start, window.end)}",
        "href": f"/book/{code}?date={local.isoformat()}&start={start_param(window.start)}"
        f"&lang={_lang()}#book-form",
        "other_zone": "yes" if code != zone_code else "",
    }


def _not_bookable(code: str) -> Response:
    """``/book/<zone>`` of a zone that exists but cannot be booked: say so, and lead to
    its parking form and the bookable zones (an unknown zone is a plain 404)."""
    zone = web_form.zone_for_form(db.session(), code)
    if zone is None:
        abort(404)
    html = render_template("book/not_bookable.html", zone=zone, lang=_lang())
    return _no_store(html, 404)


@bp.get("/book/<zone_code>")
def day_page(zone_code: str) -> Response:
    if web_bookings.bookable_zone(db.session(), zone_code) is None:
        return _not_bookable(zone_code)
    found = _zone_or_404(zone_code)
    k = kanava()
    now = k.clock()
    first = web_bookings.today(k, now)
    day = _day(request.args.get("date"), first, web_bookings.last_day(k, found.policy, now))
    return _page(found, day, parse_start(request.args.get("start")))


@bp.post("/book/<zone_code>")
def book(zone_code: str) -> WerkzeugResponse:
    found = _zone_or_404(zone_code)
    k = kanava()
    now = k.clock()
    start = parse_start(request.form.get("start"))
    fields = {name: request.form.get(name, "")[:40] for name in ("plate", "phone", "slots", "key")}
    first = web_bookings.today(k, now)
    last = web_bookings.last_day(k, found.policy, now)
    day = start.astimezone(k.settings.tz).date() if start else first
    day = _day(day.isoformat(), first, last)
    grid = web_bookings.day_grid(db.session(), k, found.zone, day, now)
    lengths = web_bookings.lengths(k, found.policy, grid, start) if start else []
    chosen = next((x for x in lengths if str(x.slots) == fields["slots"]), None)
    if chosen is None:
        code = "bad_length" if lengths else "refused"
        return _page(found, day, start, errors={"slots": code}, fields=fields, status=400)
    try:
        booked = web_bookings.book_from_form(
            db.session(),
            k,
            zone=found.zone,
            window=chosen.window,
            plate=fields["plate"],
            phone=fields["phone"],
            language=_lang(),
            now=now,
            key=fields["key"],
        )
    except web_bookings.BookingFormError as exc:
        field = exc.field if exc.field in ("plate", "phone") else "slots"
        code = exc.code if exc.code in ERRORS else "refused"
        return _page(found, day, start, errors={field: code}, fields=fields, status=400)
    except web_bookings.SlotTaken as taken:
        return _page(found, day, None, fields=fields, taken=taken, status=409)
    remember(booked.order)
    suffix = f"?lang={_lang()}"
    if booked.payment is not None:
        return redirect(f"/pay/{booked.payment.token}{suffix}", code=303)
    return redirect(f"/book/done/{booked.order.manage_token}{suffix}", code=303)


@bp.get("/book/done/<token>")
def done_page(token: str) -> Response:
    k = kanava()
    view = web_bookings.done_view(db.session(), token, k.clock())
    if view is None:
        abort(404)
    local_day = view.window.start.astimezone(k.settings.tz).date()
    html = render_template(
        "book/done.html",
        view=view,
        order=view.order,
        zone=view.zone,
        when=f"{_day_name(local_day)} {_span(view.window.start, view.window.end)}",
        lang=_lang(),
    )
    return _no_store(html)


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError) -> Response:
    """A form from a page kept open past its session: nothing is booked; the form comes
    back with what was typed."""
    code = str((request.view_args or {}).get("zone_code") or "")
    found = _zone_or_404(code)
    k = kanava()
    start = parse_start(request.form.get("start"))
    day = start.astimezone(k.settings.tz).date() if start else web_bookings.today(k, k.clock())
    fields = {name: request.form.get(name, "")[:40] for name in ("plate", "phone", "slots")}
    return _page(found, day, start, errors={"form": "expired_form"}, fields=fields, status=400)
