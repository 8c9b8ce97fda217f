"""What Kanava says about bookings by SMS, in fi, sv and en (Babel catalogs).

Every booking text names the reference, the zone and the window in local time
(``APP_TIMEZONE``), and the one-word command that acts on it in the reader's language
(``PERU``/``AVBOKA``/``UNBOOK``). Texts are made SMS-safe by :func:`app.texts.messages._render`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from babel.dates import format_date, format_datetime

from app.backend.orders import manage_link
from app.domain.booking_capacity import Alternative, SlotAvailability
from app.domain.booking_policy import CancellationTerms, Interval, WindowRefusal
from app.domain.pricing import END_OF_DAY, Window
from app.kernel import Kanava
from app.models import Order
from app.texts.messages import _, _render, money, sms_safe

_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_IE"}
_DAY = {"fi": "EEE d.M.", "sv": "EEE d/M", "en": "EEE d MMM"}
_CLOCK = {"fi": "H.mm", "sv": "HH:mm", "en": "HH:mm"}
# The dates a driver types back: what parse_booking reads in every language.
_TYPED_DAY = "d.M."


def day_text(day: date, lang: str) -> str:
    return sms_safe(format_date(day, _DAY[lang], locale=_LOCALE[lang]))


def clock_text(at: datetime, lang: str, kanava: Kanava) -> str:
    return sms_safe(
        format_datetime(at, _CLOCK[lang], tzinfo=kanava.settings.tz, locale=_LOCALE[lang])
    )


def window_text(window: Interval, lang: str, kanava: Kanava) -> str:
    """``ti 24.11. 10.00-12.00`` (the end's day too when it is another day)."""
    tz = kanava.settings.tz
    start_day = window.start.astimezone(tz).date()
    end_local = window.end.astimezone(tz)
    end = clock_text(window.end, lang, kanava)
    if end_local.date() == start_day + timedelta(days=1) and end_local.time() == time(0):
        end = "24.00" if lang == "fi" else "24:00"
    elif end_local.date() != start_day:
        end = f"{day_text(end_local.date(), lang)} {end}"
    return f"{day_text(start_day, lang)} {clock_text(window.start, lang, kanava)}-{end}"


def order_window(order: Order, lang: str, kanava: Kanava) -> str:
    assert order.ends_at is not None
    return window_text(Interval(order.starts_at, order.ends_at), lang, kanava)


def ics_link(kanava: Kanava, order: Order) -> str:
    """The booking's calendar file (``/o/<token>/booking.ics``)."""
    return f"{manage_link(kanava, order)}/booking.ics"


def _cancel_word(ref: str) -> str:
    return _("Cancel: UNBOOK %(ref)s", ref=ref)


def _terms(order: Order, terms: CancellationTerms, lang: str, kanava: Kanava, now: datetime) -> str:
    """The cancellation terms in words, with the command."""
    ref = order.booking_ref or ""
    until = order.starts_at - timedelta(minutes=terms.free_until_minutes)
    if until <= now:
        if terms.late_refund_percent:
            return _(
                "Cancel: UNBOOK %(ref)s, %(percent)s%% refunded until the start.",
                ref=ref,
                percent=terms.late_refund_percent,
            )
        return _("The free cancellation time has passed: no refund if cancelled.")
    when = _when(until, lang, kanava, now)
    if terms.late_refund_percent:
        return _(
            "Free cancellation until %(until)s (UNBOOK %(ref)s), then %(percent)s%% refunded.",
            until=when,
            ref=ref,
            percent=terms.late_refund_percent,
        )
    return _(
        "Free cancellation until %(until)s (UNBOOK %(ref)s), no refund after that.",
        until=when,
        ref=ref,
    )


def _when(at: datetime, lang: str, kanava: Kanava, now: datetime) -> str:
    tz = kanava.settings.tz
    if at.astimezone(tz).date() == now.astimezone(tz).date():
        return clock_text(at, lang, kanava)
    return f"{day_text(at.astimezone(tz).date(), lang)} {clock_text(at, lang, kanava)}"


def booking_made(
    order: Order,
    link: str | None,
    terms: CancellationTerms,
    lang: str,
    kanava: Kanava,
    now: datetime,
    *,
    already: bool = False,
) -> str:
    """The answer to a booking: reference, window, plate, price, pay link within the hold,
    cancellation terms; or, booked already (free or saved card), the calendar link.
    ``already``: the driver's own booking found again; nothing new was booked."""

    def build() -> str:
        parts = [_("You already have this booking; nothing new was booked.")] if already else []
        parts += [
            _(
                "Booking %(ref)s: zone %(zone)s %(name)s, %(window)s, %(plate)s. Price %(price)s.",
                ref=order.booking_ref,
                zone=order.zone.code,
                name=order.zone.name,
                window=order_window(order, lang, kanava),
                plate=order.plate_display,
                price=money(order.amount_cents, order.currency, lang),
            )
        ]
        if link is not None and order.hold_expires_at is not None:
            parts.append(
                _(
                    "Pay by %(until)s or the space is released: %(link)s",
                    until=clock_text(order.hold_expires_at, lang, kanava),
                    link=link,
                )
            )
        else:
            parts.append(_("Booked. Calendar: %(link)s", link=ics_link(kanava, order)))
        parts.append(_terms(order, terms, lang, kanava, now))
        return " ".join(parts)

    return _render(lang, build)


def booking_paid(order: Order, lang: str, kanava: Kanava) -> str:
    """The confirmation when a booking's payment arrives."""
    return _render(
        lang,
        lambda: _(
            "Booking %(ref)s is paid: zone %(zone)s, %(window)s, %(plate)s. Calendar: %(link)s "
            "Cancel: UNBOOK %(ref)s",
            ref=order.booking_ref,
            zone=order.zone.code,
            window=order_window(order, lang, kanava),
            plate=order.plate_display,
            link=ics_link(kanava, order),
        ),
    )


def choice_numbers(count: int, lang: str) -> str:
    """The numbers 1..``count`` a driver may reply, as a list: "1, 2 or 3"."""

    def build() -> str:
        numbers = [str(n) for n in range(1, count + 1)]
        if len(numbers) < 2:
            return "".join(numbers)
        return _("%(first)s or %(last)s", first=", ".join(numbers[:-1]), last=numbers[-1])

    return _render(lang, build)


def _alternatives(found: Sequence[Alternative], lang: str, kanava: Kanava) -> str:
    items = []
    for number, alt in enumerate(found, 1):
        where = _("zone %(zone)s ", zone=alt.zone) if alt.zone else ""
        items.append(f"{number}) {where}{window_text(alt.window, lang, kanava)}")
    numbers = choice_numbers(len(found), lang)
    return _(
        "Free: %(items)s. Reply %(numbers)s to book it.", items=" ".join(items), numbers=numbers
    )


def booking_full(
    zone: str, window: Interval, found: Sequence[Alternative], lang: str, kanava: Kanava
) -> str:
    """The answer when the window is full: the nearest free windows, numbered."""

    def build() -> str:
        text = _(
            "Zone %(zone)s is fully booked %(window)s.",
            zone=zone,
            window=window_text(window, lang, kanava),
        )
        if not found:
            return text + " " + _("Nothing free near that time; try another day.")
        return text + " " + _alternatives(found, lang, kanava)

    return _render(lang, build)


def booking_lost(
    order: Order, refunded_cents: int, found: Sequence[Alternative], lang: str, kanava: Kanava
) -> str:
    """A payment that came after the hold lapsed, with the space taken: refunded."""

    def build() -> str:
        text = _(
            "Your payment for booking %(ref)s (%(window)s) came after the space was released, "
            "and it was booked meanwhile. %(amount)s refunded.",
            ref=order.booking_ref,
            window=order_window(order, lang, kanava),
            amount=money(refunded_cents, order.currency, lang),
        )
        if found:
            text += " " + _alternatives(found, lang, kanava)
        return text

    return _render(lang, build)


def _ranges(slots: Sequence[SlotAvailability]) -> list[Interval]:
    merged: list[Interval] = []
    for slot in slots:
        if not slot.free or slot.bookable is False:
            continue
        if merged and merged[-1].end == slot.start:
            merged[-1] = Interval(merged[-1].start, slot.end)
        else:
            merged.append(Interval(slot.start, slot.end))
    return merged


def free_times(
    zone: str, day: date, slots: Sequence[SlotAvailability], lang: str, kanava: Kanava
) -> str:
    """The answer to a booking without times: the free times that day."""

    def build() -> str:
        ranges = _ranges(slots)
        if not ranges:
            return _(
                "Zone %(zone)s has no free time to book on %(day)s.",
                zone=zone,
                day=day_text(day, lang),
            )
        times = ", ".join(
            f"{clock_text(r.start, lang, kanava)}-{clock_text(r.end, lang, kanava)}"
            for r in ranges[:6]
        )
        first = ranges[0].start.astimezone(kanava.settings.tz)
        example = f"{zone} {day.strftime('%-d.%-m.')} {first.hour}-{first.hour + 1}"
        return _(
            "Free in zone %(zone)s on %(day)s: %(times)s. To book: BOOK %(example)s",
            zone=zone,
            day=day_text(day, lang),
            times=times,
            example=example,
        )

    return _render(lang, build)


def refused(refusal: WindowRefusal, zone: str, lang: str, kanava: Kanava, now: datetime) -> str:
    """Why a window cannot be booked, and what would work."""

    def build() -> str:
        code = refusal.code
        earliest = (
            _when(refusal.earliest_start, lang, kanava, now) if refusal.earliest_start else None
        )
        if code in ("in_past", "too_soon"):
            first = _("That time has passed.") if code == "in_past" else _("That is too soon.")
            if earliest is None:
                return first
            return first + " " + _("The earliest you can book is %(when)s.", when=earliest)
        if code == "too_far":
            return _("Bookings can be made up to %(day)s.", day=day_text(refusal.last_day, lang))
        if code == "too_long" and refusal.max_minutes:
            return _(
                "A booking in zone %(zone)s can be at most %(hours)s h.",
                zone=zone,
                hours=f"{refusal.max_minutes / 60:g}",
            )
        if code == "closed_day":
            text = _(
                "Zone %(zone)s cannot be booked on %(day)s.",
                zone=zone,
                day=day_text(refusal.day, lang),
            )
            if refusal.next_open_day is not None:
                text += " " + _(
                    "Next day to book: %(day)s.", day=day_text(refusal.next_open_day, lang)
                )
            return text
        hours = ", ".join(_window_hours(w) for w in refusal.day_windows)
        return _(
            "Zone %(zone)s can be booked %(hours)s on %(day)s.",
            zone=zone,
            hours=hours,
            day=day_text(refusal.day, lang),
        )

    return _render(lang, build)


def _window_hours(window: Window) -> str:
    start, end = window
    end_text = "24" if end == END_OF_DAY else end.strftime("%H:%M")
    return f"{start.strftime('%H:%M')}-{end_text}"


def not_bookable(code: str, bookable: Sequence[str], lang: str) -> str:
    def build() -> str:
        if not bookable:
            return _("Zone %(zone)s cannot be booked.", zone=code)
        return _(
            "Zone %(zone)s cannot be booked. Zones to book: %(zones)s.",
            zone=code,
            zones=", ".join(bookable),
        )

    return _render(lang, build)


def booking_help(problem: str, example_zone: str, lang: str, kanava: Kanava, now: datetime) -> str:
    """A booking message that could not be read: what is missing, and an example."""
    tomorrow = (now.astimezone(kanava.settings.tz) + timedelta(days=1)).date()
    example = f"{example_zone} {tomorrow.strftime('%-d.%-m.')} 10-12 ABC-123"

    def build() -> str:
        if problem == "no_zone":
            first = _("Which zone?")
        elif problem in ("no_date", "conflicting_dates"):
            first = _("Which day?")
        elif problem == "date_in_past":
            first = _("That day has passed.")
        elif problem == "bad_date":
            first = _("That date does not exist.")
        elif problem in ("bad_time", "no_start_time", "multiple_times"):
            first = _("Give the time as 10-12 or 10 2h.")
        elif problem == "multiple_plates":
            first = _("One plate per booking.")
        else:
            first = _("The booking was not understood.")
        return first + " " + _("For example: BOOK %(example)s", example=example)

    return _render(lang, build)


def need_plate_for_booking(lang: str) -> str:
    return _render(
        lang, lambda: _("Which car? Add the plate, e.g. BOOK EV1 tomorrow 10-12 ABC-123")
    )


def booking_cancelled(order: Order, refunded_cents: int, paid_cents: int, lang: str) -> str:
    def build() -> str:
        text = _(
            "Booking %(ref)s (zone %(zone)s) cancelled.",
            ref=order.booking_ref,
            zone=order.zone.code,
        )
        if refunded_cents:
            return (
                text
                + " "
                + _(
                    "%(amount)s refunded to your card.",
                    amount=money(refunded_cents, order.currency, lang),
                )
            )
        if paid_cents:
            return text + " " + _("No refund: the free cancellation time had passed.")
        return text + " " + _("Nothing was charged.")

    return _render(lang, build)


def _booking_line(order: Order, lang: str, kanava: Kanava) -> str:
    return f"{order.booking_ref} {order.zone.code} {order_window(order, lang, kanava)}"


def choose_booking(found: Sequence[Order], lang: str, kanava: Kanava) -> str:
    def build() -> str:
        items = " ".join(
            f"{n}) {_booking_line(o, lang, kanava)}" for n, o in enumerate(found[:5], 1)
        )
        numbers = choice_numbers(min(len(found), 5), lang)
        return _(
            "Which booking to cancel? %(items)s Reply %(numbers)s.", items=items, numbers=numbers
        )

    return _render(lang, build)


def no_bookings(lang: str) -> str:
    return _render(
        lang, lambda: _("You have no upcoming bookings. To book: BOOK EV1 tomorrow 10-12")
    )


def unknown_ref(ref: str, lang: str) -> str:
    return _render(
        lang,
        lambda: _("You have no booking %(ref)s. Your bookings: BOOKINGS", ref=ref or "?"),
    )


def bookings_list(found: Sequence[Order], lang: str, kanava: Kanava, now: datetime) -> str:
    def build() -> str:
        lines = []
        for order in found[:5]:
            line = _booking_line(order, lang, kanava)
            if order.hold_expires_at is not None:
                line += " " + _("(not paid)")
            lines.append(line)
        more = len(found) - len(lines)
        text = _("Your bookings: %(items)s.", items="; ".join(lines))
        if more > 0:
            text += " " + _("And %(count)s more.", count=more)
        return text + " " + _("Cancel: UNBOOK and the reference.")

    return _render(lang, build)


def booking_moved(
    order: Order,
    difference_cents: int,
    link: str | None,
    refunded_cents: int,
    lang: str,
    kanava: Kanava,
) -> str:
    def build() -> str:
        text = _(
            "Booking %(ref)s moved: zone %(zone)s, %(window)s. Price %(price)s.",
            ref=order.booking_ref,
            zone=order.zone.code,
            window=order_window(order, lang, kanava),
            price=money(order.amount_cents, order.currency, lang),
        )
        if link is not None and difference_cents > 0:
            text += " " + _(
                "Pay the difference %(amount)s: %(link)s",
                amount=money(difference_cents, order.currency, lang),
                link=link,
            )
        elif refunded_cents:
            text += " " + _(
                "%(amount)s refunded to your card.",
                amount=money(refunded_cents, order.currency, lang),
            )
        return text

    return _render(lang, build)


def booking_started(order: Order, lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "Booking %(ref)s has already started and cannot be moved.", ref=order.booking_ref
        ),
    )


def move_help(lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "To move a booking: MOVE, the reference and the new time, e.g. MOVE K7M2QX 14-16"
        ),
    )


def hold_lapsed(order: Order, lang: str, kanava: Kanava) -> str:
    return _render(
        lang,
        lambda: _(
            "Booking %(ref)s (zone %(zone)s, %(window)s) was not paid in time and the space "
            "was released.",
            ref=order.booking_ref,
            zone=order.zone.code,
            window=order_window(order, lang, kanava),
        ),
    )


def start_reminder(
    order: Order, terms: CancellationTerms, lang: str, kanava: Kanava, now: datetime
) -> str:
    def build() -> str:
        text = _(
            "Reminder: booking %(ref)s for %(plate)s in zone %(zone)s %(name)s, %(window)s.",
            ref=order.booking_ref,
            plate=order.plate_display,
            zone=order.zone.code,
            name=order.zone.name,
            window=order_window(order, lang, kanava),
        )
        return text + " " + _terms(order, terms, lang, kanava, now)

    return _render(lang, build)


def end_reminder(order: Order, extend_minutes: int | None, lang: str, kanava: Kanava) -> str:
    def build() -> str:
        assert order.ends_at is not None
        text = _(
            "Booking %(ref)s in zone %(zone)s ends at %(end)s.",
            ref=order.booking_ref,
            zone=order.zone.code,
            end=clock_text(order.ends_at, lang, kanava),
        )
        if extend_minutes:
            text += " " + _(
                "A space is free after it: reply EXTEND for %(minutes)s min more.",
                minutes=extend_minutes,
            )
        return text

    return _render(lang, build)


def booking_extended(
    order: Order, link: str | None, added_cents: int, lang: str, kanava: Kanava
) -> str:
    def build() -> str:
        assert order.ends_at is not None
        text = _(
            "Booking %(ref)s now ends at %(end)s.",
            ref=order.booking_ref,
            end=clock_text(order.ends_at, lang, kanava),
        )
        if link is not None:
            text += " " + _(
                "Pay %(amount)s: %(link)s",
                amount=money(added_cents, order.currency, lang),
                link=link,
            )
        return text

    return _render(lang, build)


def cannot_extend_booking(order: Order, lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "Booking %(ref)s cannot be extended: the space is booked after it.",
            ref=order.booking_ref,
        ),
    )
