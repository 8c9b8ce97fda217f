"""What Kanava says in the dialogue steps of issue 12: offered keywords, prices,
corrections, and the clock's proactive messages (fi, sv, en through Babel).

Rendered like :mod:`app.texts.messages` (SMS-safe, one language at a time).
"""

from __future__ import annotations

from datetime import datetime

from app.backend.zones import tariff_of
from app.domain.pricing import is_paid_time, localized_paid_hours, next_paid_change
from app.kernel import Kanava
from app.models import Order, Zone
from app.texts.messages import STOP_WORD, _, _render, local_time, money, stay_length

#: The one-letter yes the driver is asked for, in the language of the question.
YES_WORD = {"fi": "K", "sv": "J", "en": "Y"}


def did_you_mean(suggestion: str, lang: str) -> str:
    """ "Tarkoititko JATKA 30? Vastaa K": a mistyped keyword offered back, to confirm."""
    return _render(
        lang,
        lambda: _(
            "Did you mean %(command)s? Reply %(yes)s",
            command=suggestion,
            yes=YES_WORD.get(lang, "Y"),
        ),
    )


def nothing_done(lang: str) -> str:
    return _render(lang, lambda: _("OK, nothing was done."))


def zone_price(
    zone: Zone,
    lang: str,
    kanava: Kanava,
    now: datetime,
    *,
    minutes: int | None = None,
    quoted_cents: int | None = None,
) -> str:
    """A zone's price list in one SMS: the rate and its paid hours, whether it is free now
    (and until when), the daily cap, the longest stay, and the price of ``minutes`` from
    now when asked (``quoted_cents``)."""
    tz = kanava.settings.tz
    tariff = tariff_of(zone)
    currency = kanava.settings.currency

    def build() -> str:
        hours = ", ".join(
            f"{days} {span}" for days, span in localized_paid_hours(zone.paid_hours, lang).items()
        )
        change = next_paid_change(tariff, now, tz)
        paid_now = is_paid_time(tariff, now, tz)
        parts = [
            _(
                "Zone %(zone)s %(name)s: %(rate)s/h %(hours)s.",
                zone=zone.code,
                name=zone.name,
                rate=money(zone.rate_per_hour_cents, currency, lang),
                hours=hours,
            )
            if hours
            else _("Zone %(zone)s %(name)s: free.", zone=zone.code, name=zone.name)
        ]
        if hours and not paid_now:
            parts.append(
                _("Free now.")
                if change is None
                else _("Free now until %(until)s.", until=local_time(change, lang, kanava, now))
            )
        elif hours and change is not None:
            parts.append(_("Free at other times."))
        if zone.daily_cap_cents is not None:
            parts.append(
                _("At most %(cap)s a day.", cap=money(zone.daily_cap_cents, currency, lang))
            )
        if zone.max_minutes is not None:
            parts.append(_("Longest stay %(stay)s.", stay=stay_length(zone.max_minutes)))
        if minutes is not None and quoted_cents is not None:
            parts.append(
                _(
                    "%(stay)s from now: %(price)s.",
                    stay=stay_length(minutes),
                    price=money(quoted_cents, currency, lang),
                )
            )
        return " ".join(parts)

    return _render(lang, build)


def price_needs_zone(lang: str, keyword: str) -> str:
    return _render(
        lang,
        lambda: _(
            "Which zone? Text the zone code on the sign, e.g. %(example)s",
            example=f"{keyword} 101",
        ),
    )


PRICE_WORD = {"fi": "HINTA", "sv": "PRIS", "en": "PRICE"}


CORRECT_WORD = {"fi": "KORJAA", "sv": "ÄNDRA", "en": "FIX"}


def corrected(
    order: Order,
    pay_cents: int | None,
    link: str | None,
    refunded_cents: int,
    lang: str,
    kanava: Kanava,
    now: datetime,
) -> str:
    """The parking after a correction: plate, zone, end, and what the change costs: the
    amount to pay with its link, or what was refunded."""

    def build() -> str:
        parts = [
            _(
                "Corrected: %(plate)s in zone %(zone)s %(name)s.",
                plate=order.plate_display,
                zone=order.zone.code,
                name=order.zone.name,
            )
        ]
        if order.ends_at is not None and not order.open_ended:
            parts.append(_("Until %(end)s.", end=local_time(order.ends_at, lang, kanava, now)))
        if pay_cents is not None and link is not None:
            parts.append(
                _(
                    "To pay: %(amount)s, %(link)s",
                    amount=money(pay_cents, order.currency, lang),
                    link=link,
                )
            )
        if refunded_cents > 0:
            parts.append(
                _("Refunded %(amount)s.", amount=money(refunded_cents, order.currency, lang))
            )
        return " ".join(parts)

    return _render(lang, build)


def correction_too_late(order: Order, lang: str, kanava: Kanava, now: datetime) -> str:
    return _render(
        lang,
        lambda: _(
            "Too late to correct: %(plate)s in zone %(zone)s started at %(start)s, and a "
            "parking can be corrected within %(minutes)s min. Text %(stop)s and park again.",
            plate=order.plate_display,
            zone=order.zone.code,
            start=local_time(order.starts_at, lang, kanava, now),
            minutes=kanava.settings.correction_minutes,
            stop=STOP_WORD.get(lang, "DONE"),
        ),
    )


def correction_needs_target(order: Order, lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "%(plate)s in zone %(zone)s: what is right? Reply with the plate or the zone, "
            "e.g. ABC-123 or 101.",
            plate=order.plate_display,
            zone=order.zone.code,
        ),
    )


def correction_unchanged(order: Order, lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "%(plate)s is already parked in zone %(zone)s: nothing changed.",
            plate=order.plate_display,
            zone=order.zone.code,
        ),
    )


# ---- proactive messages (the clock; issue 12, point 4) ------------------------------------


def pay_reminder(
    order: Order, amount_cents: int, link: str, lang: str, kanava: Kanava, now: datetime
) -> str:
    """A payment link still unpaid shortly before its grace ends: pay now, or what lapses."""
    due = order.payment_due_at or now

    def build() -> str:
        amount = money(amount_cents, order.currency, lang)
        if order.unpaid_from is not None:
            return _(
                "%(plate)s in zone %(zone)s: the extension is not paid yet. Pay by %(time)s "
                "or it lapses: %(amount)s, %(link)s",
                plate=order.plate_display,
                zone=order.zone.code,
                time=local_time(due, lang, kanava, now),
                amount=amount,
                link=link,
            )
        return _(
            "%(plate)s in zone %(zone)s: not paid yet. Pay by %(time)s or the parking is "
            "cancelled: %(amount)s, %(link)s",
            plate=order.plate_display,
            zone=order.zone.code,
            time=local_time(due, lang, kanava, now),
            amount=amount,
            link=link,
        )

    return _render(lang, build)


def _failure_words(reason: str) -> str:
    """A card failure code as a driver understands it."""
    code = reason.lower()
    if "insufficient" in code:
        return _("there was not enough money on the card")
    if "expired" in code:
        return _("the card has expired")
    if "authentication" in code or "3d" in code:
        return _("the bank asked for a confirmation that was not given")
    if "incorrect" in code or "invalid" in code:
        return _("the card details were not accepted")
    if "declined" in code or "fail" in code:
        return _("the bank declined the card")
    return _("the card payment did not go through")


def payment_failed(order: Order, reason: str, amount_cents: int, link: str, lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "%(plate)s in zone %(zone)s: the card payment failed: %(reason)s. Pay %(amount)s "
            "with another card here: %(link)s",
            plate=order.plate_display,
            zone=order.zone.code,
            reason=_failure_words(reason),
            amount=money(amount_cents, order.currency, lang),
            link=link,
        ),
    )


def still_parked(order: Order, lang: str, kanava: Kanava, now: datetime) -> str:
    """An open-ended parking still running long after it started, or after the zone
    became free: is the car still there? The stop word ends it."""
    return _render(
        lang,
        lambda: _(
            "%(plate)s in zone %(zone)s is still parked (since %(start)s). Is the car still "
            "there? If not, text %(stop)s to stop the parking.",
            plate=order.plate_display,
            zone=order.zone.code,
            start=local_time(order.starts_at, lang, kanava, now),
            stop=STOP_WORD.get(lang, "DONE"),
        ),
    )
