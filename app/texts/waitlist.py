"""What Kanava says about the waitlist by SMS, in fi, sv and en (Babel catalogs).

The keywords are the reader's own (``JONOON``/``KÖA``/``WAITLIST``; an offer is taken with
``K``/``JA``/``YES``), carried by the translations of the English texts.
"""

from __future__ import annotations

from app.domain.booking_policy import Interval
from app.kernel import Kanava
from app.models import Order, WaitlistEntry
from app.texts.bookings import clock_text, order_window, window_text
from app.texts.messages import _, _render, money


def how_to_wait(lang: str) -> str:
    """Appended to a "full" answer: the one word that joins the line for that window."""
    return _render(lang, lambda: _("To wait for a space to free, reply WAITLIST."))


def joined(
    zone: str, window: Interval, place: int, already: bool, lang: str, kanava: Kanava
) -> str:
    def build() -> str:
        where = {"zone": zone, "window": window_text(window, lang, kanava), "place": place}
        first = (
            _("You are already in line for zone %(zone)s, %(window)s: number %(place)s.", **where)
            if already
            else _("You are in line for zone %(zone)s, %(window)s: number %(place)s.", **where)
        )
        return (
            first + " " + _("When a space frees we text you an offer, held for you a short while.")
        )

    return _render(lang, build)


def need_window(example_zone: str, lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "Which booking would you wait for? Send e.g. WAITLIST %(zone)s tomorrow 10-12.",
            zone=example_zone,
        ),
    )


def offer(entry: WaitlistEntry, order: Order, lang: str, kanava: Kanava) -> str:
    """A space freed: the booking held for the driver, and the one word that takes it."""
    held_until = order.hold_expires_at
    assert held_until is not None
    return _render(
        lang,
        lambda: _(
            "A space freed in zone %(zone)s, %(window)s (%(plate)s, %(price)s). It is held "
            "for you until %(until)s: reply YES to take it (booking %(ref)s).",
            zone=order.zone.code,
            window=order_window(order, lang, kanava),
            plate=order.plate_display,
            price=money(order.amount_cents, order.currency, lang),
            until=clock_text(held_until, lang, kanava),
            ref=order.booking_ref,
        ),
    )


def offer_passed(entry: WaitlistEntry, lang: str, kanava: Kanava) -> str:
    window = Interval(entry.starts_at, entry.ends_at)
    return _render(
        lang,
        lambda: _(
            "The space offered in zone %(zone)s, %(window)s was not taken in time and went "
            "to the next in line.",
            zone=entry.zone.code,
            window=window_text(window, lang, kanava),
        ),
    )
