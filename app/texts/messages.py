"""The words Kanava says by SMS, in fi, sv and en (Babel catalogs under ``translations/``).

Every text is rendered for one language with :func:`flask_babel.force_locale` and made
SMS-safe: characters outside the GSM 03.38 alphabet that Babel likes (no-break spaces,
typographic dashes and quotes) are replaced so a reply stays in cheap 7-bit segments.
Every reply must fit in two segments (:data:`MAX_SEGMENTS`), confirmations with their links
in three (:data:`MAX_SEGMENTS_WITH_LINKS`); ``tests/texts/test_messages.py`` checks the
longest cases in every language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency
from babel.support import NullTranslations
from flask_babel import force_locale, get_locale, get_translations, gettext
from flask_babel import format_datetime as format_in_request

from app.backend import ledger
from app.backend.orders import Owed, cost_if_stopped, debt_cents, manage_link, valid_until
from app.backend.orders import owed as owed_of
from app.backend.receipts import Receipt
from app.backend.zones import tariff_of
from app.domain.pricing import is_paid_time, next_paid_change
from app.kernel import Kanava
from app.models import Order, OrderStatus, Payment, PaymentStatus

# GSM 03.38 basic alphabet, and the extension table whose characters cost two septets.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
_REPLACEMENTS = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2007": " ",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
)
MAX_SEGMENTS = 2
# Confirmations carry two links (the order's own page and a payment or receipt link) and
# the one-word stop and extend commands; a status naming several debts names each: these
# may take a third segment, never more.
MAX_SEGMENTS_WITH_LINKS = 3

# A clock time as each language writes it: 16.57 in Finnish (CLDR's fi), 16:57 otherwise.
_TIME_PATTERN = {"fi": "H.mm", "sv": "HH:mm", "en": "HH:mm"}
_DATE_TIME_PATTERN = {"fi": "d.M. 'klo' H.mm", "sv": "d/M 'kl.' HH:mm", "en": "d MMM HH:mm"}
_BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_IE"}
# Babel's locales, parsed once per process: parsing a name again for every amount, time and
# render costs more than the formatting it serves (issue 13). ``_FORMAT_LOCALE`` formats
# numbers and dates; ``_CATALOG_LOCALE`` picks the catalog, as ``force_locale(lang)`` would.
_FORMAT_LOCALE = {lang: Locale.parse(name) for lang, name in _BABEL_LOCALE.items()}
_CATALOG_LOCALE = {lang: Locale.parse(lang) for lang in _BABEL_LOCALE}
# While :func:`_render` builds a text: the catalog of its language, looked up once for the
# whole text instead of once per sentence.
_CATALOG: ContextVar[NullTranslations | None] = ContextVar("catalog", default=None)


def _(text: str, **variables: object) -> str:
    """``text`` translated (Flask-Babel's ``gettext``), from the catalog :func:`_render`
    looked up when inside one."""
    catalog = _CATALOG.get()
    if catalog is None:
        return str(gettext(text, **variables))
    translated = catalog.ugettext(text)
    return translated % variables if variables else translated


def clock_pattern(pattern: str, lang: str) -> str:
    """Babel's ``pattern`` with its clock (``HH:mm``) written as ``lang`` writes one, as the
    SMS write it: ``d.M. HH:mm`` is ``d.M. H.mm`` in Finnish (2.12. 16.57)."""
    return pattern.replace("HH:mm", _TIME_PATTERN.get(lang, "HH:mm"))


def page_time(at: datetime, pattern: str = "d.M.yyyy HH:mm") -> str:
    """``at`` on a web page: in ``APP_TIMEZONE`` and the request's language (Flask-Babel's
    timezone and locale), its clock in that language's convention (:func:`clock_pattern`).
    Every time the pages show goes through here, so a Finnish page says 16.57 as its SMS do."""
    locale = get_locale()
    lang = locale.language if locale is not None else "fi"
    return str(format_in_request(at, clock_pattern(pattern, lang)))


def language_of(order: Order) -> str:
    """The language to write to an order's driver in now: their current preference (a
    ``KIELI SV`` after parking counts), else the language the order was made in."""
    customer = order.customer
    return (customer.language if customer is not None else None) or order.language


def sms_safe(text: str) -> str:
    return text.translate(_REPLACEMENTS).strip()


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` takes (GSM-7 if it can, else UCS-2)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        septets = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


# Babel's formatting of an amount never changes: kept per process (every reply has one).
@functools.lru_cache(maxsize=4096)
def money(cents: int, currency: str, lang: str) -> str:
    return sms_safe(format_currency(Decimal(cents) / 100, currency, locale=_FORMAT_LOCALE[lang]))


# One rule per message (see :func:`_render`): while a text is built, whether every time
# in it is dated (True), and the times that were not today (a list the first pass fills).
_DATED: ContextVar[bool] = ContextVar("dated", default=False)
_NOT_TODAY: ContextVar[list[datetime] | None] = ContextVar("not_today", default=None)


def local_time(at: datetime, lang: str, kanava: Kanava, now: datetime) -> str:
    """Clock time in ``APP_TIMEZONE``; with the date when it is not today, or when another
    time in the same message is not today (inside :func:`_render`)."""
    tz = kanava.settings.tz
    same_day = at.astimezone(tz).date() == now.astimezone(tz).date()
    not_today = _NOT_TODAY.get()
    if not same_day and not_today is not None:
        not_today.append(at)
    dated = _DATED.get() or not same_day
    pattern = _DATE_TIME_PATTERN[lang] if dated else _TIME_PATTERN[lang]
    return sms_safe(format_datetime(at, pattern, tzinfo=tz, locale=_FORMAT_LOCALE[lang]))


def _render(lang: str, build: Callable[[], str] | object) -> str:
    """``build()`` in ``lang``, SMS-safe. One rule for the times of one message: all as
    clock times when all are today, else every one with its date (never "22.17" beside
    "1.12. klo 0.01"). The sentences of ``build`` come from the catalog of ``lang``
    (:func:`_`): render a text in another language with its own ``_render``."""
    with force_locale(_CATALOG_LOCALE.get(lang, lang)):
        if not callable(build):
            return sms_safe(str(build))
        catalog = _CATALOG.set(get_translations())
        try:
            text = _build_with_one_time_rule(build)
        finally:
            _CATALOG.reset(catalog)
    return sms_safe(str(text))


def _build_with_one_time_rule(build: Callable[[], str]) -> str:
    found: list[datetime] = []
    token = _NOT_TODAY.set(found)
    try:
        text = build()
    finally:
        _NOT_TODAY.reset(token)
    if found:
        dated = _DATED.set(True)
        try:
            text = build()
        finally:
            _DATED.reset(dated)
    return text


# ---- texts -----------------------------------------------------------------------------


def _pay_part(payment: Payment | None, link: str | None, grace: int) -> str:
    if payment is None or link is None:
        return ""
    return " " + _("Pay within %(minutes)s min: %(link)s", minutes=grace, link=link)


def _hold_part(payment: Payment, link: str, grace: int, lang: str) -> str:
    """The link of an open-ended parking's first payment: a card hold of the most it can
    cost (captured at stop for the minutes parked, as the rate before it says), not a
    payment of that amount."""
    return _(
        "Reserve %(amount)s on your card within %(minutes)s min: %(link)s",
        amount=money(payment.amount_cents, payment.currency, lang),
        minutes=grace,
        link=link,
    )


def _cost_so_far(order: Order, lang: str, kanava: Kanava, now: datetime) -> str:
    """ ", 1,50 EUR so far": what a parking until stopped has cost by ``now``."""
    _end, cents = cost_if_stopped(order, kanava, now)
    return _(", %(amount)s so far", amount=money(cents, order.currency, lang))


def _free_part(order: Order, lang: str, kanava: Kanava, now: datetime) -> str:
    """ "Parking is free until 8.00, then 2,40 EUR/h." when ``now`` is outside the zone's
    paid hours (with the date when the free time ends on another day); "" otherwise."""
    tz = kanava.settings.tz
    tariff = tariff_of(order.zone)
    if is_paid_time(tariff, now, tz):
        return ""
    change = next_paid_change(tariff, now, tz)
    if change is None:
        return _("Parking is free here.")
    return _(
        "Parking is free until %(until)s, then %(rate)s/h.",
        until=local_time(change, lang, kanava, now),
        rate=money(order.zone.rate_per_hour_cents, order.currency, lang),
    )


def _paid_end_part(order: Order, lang: str, kanava: Kanava, start: datetime, now: datetime) -> str:
    """ "Paid until 18.00, then free." when the paid time running at ``start`` ends before
    the parking does (an open-ended one: always when it ends), with the end of the free
    time when the parking reaches the next paid time; "" otherwise."""
    tz = kanava.settings.tz
    tariff = tariff_of(order.zone)
    if not is_paid_time(tariff, start, tz):
        return ""
    paid_end = next_paid_change(tariff, start, tz)
    if paid_end is None or (order.ends_at is not None and order.ends_at <= paid_end):
        return ""
    free_end = next_paid_change(tariff, paid_end, tz)
    paid = local_time(paid_end, lang, kanava, now)
    if free_end is not None and (order.ends_at is None or free_end < order.ends_at):
        return _(
            "Paid until %(paid)s, then free until %(free)s.",
            paid=paid,
            free=local_time(free_end, lang, kanava, now),
        )
    return _("Paid until %(paid)s, then free.", paid=paid)


def _free_extension(order: Order, kanava: Kanava, extended_from: datetime | None) -> bool:
    """Whether all the time added after ``extended_from`` is outside the paid hours."""
    if extended_from is None or order.ends_at is None:
        return False
    tz = kanava.settings.tz
    tariff = tariff_of(order.zone)
    if is_paid_time(tariff, extended_from, tz):
        return False
    change = next_paid_change(tariff, extended_from, tz)
    return change is None or change >= order.ends_at


def _lapse_part(order: Order, lang: str, kanava: Kanava, now: datetime) -> str:
    """When an extended parking's payment is due, and what happens if it is not paid: an
    active parking's extension lapses, an unpaid parking is cancelled; "" otherwise."""
    if order.payment_due_at is None:
        return ""
    if order.status is OrderStatus.AWAITING_PAYMENT:
        return _(
            "If it is not paid by %(due)s, the parking is cancelled.",
            due=local_time(order.payment_due_at, lang, kanava, now),
        )
    if order.status is not OrderStatus.ACTIVE or order.unpaid_from is None:
        return ""
    return _(
        "If it is not paid by %(due)s, the extension lapses and the parking ends at %(paid)s.",
        due=local_time(order.payment_due_at, lang, kanava, now),
        paid=local_time(order.unpaid_from, lang, kanava, now),
    )


def _commands(order: Order) -> str:
    """The one-word commands for ``order``: stop, and extend unless it runs until stopped
    or ends at the zone's longest stay."""
    if order.open_ended or order.ends_at is None or _at_longest_stay(order):
        return _("To stop: DONE")
    return _("Stop: DONE. More time: EXTEND 30")


def _manage_part(order: Order, kanava: Kanava) -> str:
    return _("Your parking: %(link)s", link=manage_link(kanava, order))


def _replaced_part(replaced: Order, lang: str) -> str:
    """How a parking ended because the car was parked elsewhere: its price, and whether it
    is still to pay or was too small to charge."""
    price = money(replaced.amount_cents, replaced.currency, lang)
    if debt_cents(replaced):
        return _(
            "Parking in zone %(zone)s ended, price %(price)s, not paid yet.",
            zone=replaced.zone.code,
            price=price,
        )
    text = _(
        "Parking in zone %(zone)s ended, price %(price)s.", zone=replaced.zone.code, price=price
    )
    if ledger.waived_total(replaced):
        text += " " + _not_charged(replaced.currency, lang)
    return text


def _not_valid_until_paid() -> str:
    """Why a new parking is not valid before it is paid (``orders.in_good_standing``)."""
    return _(
        "Valid only once paid: a parking of this number or car was left unpaid in the last"
        " 24 hours."
    )


def stay_length(minutes: int) -> str:
    """A length of stay as the texts write it: "4 h", "1 h 30 min", "45 min"."""
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return f"{hours} h"
    return f"{hours} h {rest} min" if hours else f"{minutes} min"


def _at_longest_stay(order: Order) -> bool:
    """Does ``order`` end at its zone's longest stay (no more time can be added)?"""
    limit = order.zone.max_minutes
    return (
        limit is not None
        and order.ends_at is not None
        and order.ends_at >= order.starts_at + timedelta(minutes=limit)
    )


def _not_charged(currency: str, lang: str) -> str:
    minimum = money(ledger.minimum_charge_cents(currency), currency, lang)
    return _("Amounts under %(minimum)s are not charged.", minimum=minimum)


def parking_started(
    order: Order,
    payment: Payment | None,
    link: str | None,
    lang: str,
    kanava: Kanava,
    now: datetime,
    replaced: Sequence[Order] = (),
    shortened: bool = False,
) -> str:
    """The confirmation of a new parking (SMS reply, voice's SMS): where and until when,
    that the time asked for was cut to the zone's longest stay (``shortened``), its price
    or rate and free time, the payment link if one is due, the one-word commands and the
    order's own page."""

    def build() -> str:
        zone = order.zone
        parts: list[str] = []
        if replaced:
            parts.append(_replaced_part(replaced[0], lang))
        free = _free_part(order, lang, kanava, now)
        if order.open_ended:
            if order.ends_at is not None:
                parts.append(
                    _(
                        "Parked %(plate)s in zone %(zone)s %(name)s until you stop, "
                        "at most until %(end)s.",
                        plate=order.plate_display,
                        zone=zone.code,
                        name=zone.name,
                        end=local_time(order.ends_at, lang, kanava, now),
                    )
                )
            else:
                parts.append(
                    _(
                        "Parked %(plate)s in zone %(zone)s %(name)s until you stop.",
                        plate=order.plate_display,
                        zone=zone.code,
                        name=zone.name,
                    )
                )
            rate = money(zone.rate_per_hour_cents, order.currency, lang)
            paid_end = "" if free else _paid_end_part(order, lang, kanava, now, now)
            parts.append(free or _("%(rate)s/h by the minute.", rate=rate))
            parts.append(paid_end)
        else:
            assert order.ends_at is not None
            fixed = {
                "plate": order.plate_display,
                "zone": zone.code,
                "name": zone.name,
                "end": local_time(order.ends_at, lang, kanava, now),
                "price": money(order.amount_cents, order.currency, lang),
            }
            if shortened and zone.max_minutes is not None:
                sentence = _(
                    "Parked %(plate)s in zone %(zone)s %(name)s until %(end)s, as the zone "
                    "allows at most %(stay)s. Price %(price)s.",
                    stay=stay_length(zone.max_minutes),
                    **fixed,
                )
            else:
                sentence = _(
                    "Parked %(plate)s in zone %(zone)s %(name)s until %(end)s. Price %(price)s.",
                    **fixed,
                )
            parts.append(sentence)
            parts.append(free or _paid_end_part(order, lang, kanava, now, now))
        if link is None and not order.open_ended and ledger.outstanding_cents(order) > 0:
            # Below the provider's minimum: carried on the order, not asked.
            parts.append(_not_charged(order.currency, lang))
        text = " ".join(part for part in parts if part)
        if order.grace_withheld and link is not None:
            text += " " + _not_valid_until_paid()
        grace = kanava.settings.payment_grace_minutes
        if order.open_ended and payment is not None and link is not None:
            text += " " + _hold_part(payment, link, grace, lang)
        else:
            text += _pay_part(payment, link, grace)
        text += " " + _commands(order)
        # The links on lines of their own: a phone shows where each ends.
        text += "\n" + _manage_part(order, kanava)
        return text

    return _render(lang, build)


def parked_by_another(
    order: Order, extend_link: str | None, lang: str, kanava: Kanava, now: datetime
) -> str:
    """The answer to parking a plate that someone else has validly parked in the zone
    (``order``): until when, that nothing new was parked, and what the sender can do: add
    time on the web (``extend_link``) where anyone may, else ask the one who parked it or
    wait. Never whose number it is."""

    def build() -> str:
        grace = timedelta(minutes=kanava.settings.payment_grace_minutes)
        # an open-ended parking's end is only its longest stay: it runs until stopped
        open_ended = order.open_ended and order.status is OrderStatus.ACTIVE
        until = None if open_ended else valid_until(order, grace)
        args = {"plate": order.plate_display, "zone": order.zone.code}
        by_phone = order.customer_id is not None
        if until is None and by_phone:
            text = _(
                "%(plate)s is already parked in zone %(zone)s until it is stopped, from "
                "another number.",
                **args,
            )
        elif until is None:
            text = _(
                "%(plate)s is already parked in zone %(zone)s until it is stopped, on the web.",
                **args,
            )
        elif by_phone:
            text = _(
                "%(plate)s is already parked in zone %(zone)s until %(end)s, from another "
                "number.",
                end=local_time(until, lang, kanava, now),
                **args,
            )
        else:
            text = _(
                "%(plate)s is already parked in zone %(zone)s until %(end)s, on the web.",
                end=local_time(until, lang, kanava, now),
                **args,
            )
        text += " " + _("Nothing new was parked.")
        if extend_link:
            return text + " " + _("Add time to it on the web: %(link)s", link=extend_link)
        return text + " " + _("Ask the one who parked it to add time, or wait until it ends.")

    return _render(lang, build)


def already_parked(order: Order, link: str | None, lang: str, kanava: Kanava, now: datetime) -> str:
    """The answer to parking a plate that is already parked there: until when; with an
    extension that waits for its payment, the paid end and the debt with its link."""

    def build() -> str:
        owed = owed_of(kanava, order)
        if owed is not None and owed.kind == "extension" and owed.paid_until is not None:
            assert order.ends_at is not None
            text = _(
                "%(plate)s is already parked in zone %(zone)s, paid until %(paid)s; the "
                "extension until %(end)s is not paid.",
                plate=order.plate_display,
                zone=order.zone.code,
                paid=local_time(owed.paid_until, lang, kanava, now),
                end=local_time(order.ends_at, lang, kanava, now),
            )
            return text + " " + _(
                "Pay %(amount)s: %(link)s",
                amount=money(owed.cents, owed.currency, lang),
                link=owed.link,
            )
        if order.open_ended or order.ends_at is None:
            text = _(
                "%(plate)s is already parked in zone %(zone)s until you stop.",
                plate=order.plate_display,
                zone=order.zone.code,
            )
        else:
            text = _(
                "%(plate)s is already parked in zone %(zone)s until %(end)s.",
                plate=order.plate_display,
                zone=order.zone.code,
                end=local_time(order.ends_at, lang, kanava, now),
            )
        if link and order.status is OrderStatus.AWAITING_PAYMENT:
            text += " " + _("Pay: %(link)s", link=link)
        if not order.open_ended:
            text += " " + _("More time: EXTEND 30")
        return text

    return _render(lang, build)


def payment_confirmed_text(order: Order, payment: Payment, kanava: Kanava, *, now: datetime) -> str:
    """The confirmation sent when a payment came in (payment link, web form, demo page):
    for a live parking until when it runs, the one-word commands, the receipt and the
    order's own page; for an ended one what was paid and the receipt."""
    lang = language_of(order)

    def build() -> str:
        receipt = (
            _("Receipt: %(link)s", link=ledger.receipt_link(kanava.settings, payment))
            if payment.status is PaymentStatus.SUCCEEDED
            else ""
        )
        if order.status is OrderStatus.ENDED:
            text = _(
                "Thank you, %(amount)s paid for %(plate)s in zone %(zone)s.",
                amount=money(payment.amount_cents, payment.currency, lang),
                plate=order.plate_display,
                zone=order.zone.code,
            )
            return f"{text}\n{receipt}".strip()
        if payment.status is PaymentStatus.AUTHORIZED:
            text = _(
                "%(amount)s reserved on your card; you pay only for the time parked. "
                "%(plate)s is parked in zone %(zone)s until you stop. To stop: DONE",
                amount=money(payment.amount_cents, payment.currency, lang),
                plate=order.plate_display,
                zone=order.zone.code,
            )
        elif order.open_ended or order.ends_at is None:
            text = _(
                "Payment received. %(plate)s is parked in zone %(zone)s until you stop. "
                "To stop: DONE",
                plate=order.plate_display,
                zone=order.zone.code,
            )
        else:
            text = _(
                "Payment received. %(plate)s is parked in zone %(zone)s until %(end)s.",
                plate=order.plate_display,
                zone=order.zone.code,
                end=local_time(order.ends_at, lang, kanava, now),
            )
            text += " " + _commands(order)
        if receipt:
            text += "\n" + receipt
        return text + "\n" + _manage_part(order, kanava)

    return _render(lang, build)


def parking_stopped(
    order: Order,
    amount_cents: int,
    link: str | None,
    lang: str,
    kanava: Kanava,
    now: datetime,
    refunded_cents: int = 0,
    held_cents: int = 0,
    released_cents: int = 0,
) -> str:
    """The answer to a stop: when it ended and its price; what goes back to the card
    (``refunded_cents``), or of a card hold of ``held_cents`` that the rest of it is
    released (``released_cents``); the payment link if something is still to pay."""

    def build() -> str:
        text = _(
            "Parking of %(plate)s in zone %(zone)s ended at %(end)s. Price %(price)s.",
            plate=order.plate_display,
            zone=order.zone.code,
            end=local_time(order.ended_at or now, lang, kanava, now),
            price=money(amount_cents, order.currency, lang),
        )
        if refunded_cents:
            text += " " + _(
                "%(amount)s for the unused time goes back to your card.",
                amount=money(refunded_cents, order.currency, lang),
            )
        held = money(held_cents, order.currency, lang)
        if held_cents and released_cents >= held_cents:
            text += " " + _("The %(held)s reserved on your card is released.", held=held)
        elif held_cents and released_cents:
            text += " " + _(
                "That is taken from the %(held)s reserved on your card; the rest is released.",
                held=held,
            )
        if link:
            text += " " + _("Pay: %(link)s", link=link)
        elif ledger.waived_total(order):
            text += " " + _not_charged(order.currency, lang)
        return text

    return _render(lang, build)


def parking_extended(
    order: Order,
    added_cents: int,
    capped: bool,
    link: str | None,
    lang: str,
    kanava: Kanava,
    now: datetime,
    to_pay_cents: int | None = None,
    extended_from: datetime | None = None,
) -> str:
    """The answer to an extension: the new end and the added price (or that the added time
    is free, given the old end ``extended_from``), when its paid time turns free; with a
    link, the pay deadline and that an unpaid extension lapses; with ``to_pay_cents`` the
    link names what it asks (the extension, and anything still unpaid before it)."""

    def build() -> str:
        assert order.ends_at is not None
        end = local_time(order.ends_at, lang, kanava, now)
        free_extension = added_cents == 0 and _free_extension(order, kanava, extended_from)
        if free_extension:
            text = _(
                "%(plate)s in zone %(zone)s now until %(end)s. The added time is free.",
                plate=order.plate_display,
                zone=order.zone.code,
                end=end,
            )
        else:
            text = _(
                "%(plate)s in zone %(zone)s now until %(end)s. Added %(price)s.",
                plate=order.plate_display,
                zone=order.zone.code,
                end=end,
                price=money(added_cents, order.currency, lang),
            )
        if capped and order.zone.max_minutes is not None:
            text += " " + _(
                "The zone allows at most %(stay)s.", stay=stay_length(order.zone.max_minutes)
            )
        free = "" if free_extension else _free_part(order, lang, kanava, now)
        if not free and extended_from is not None and not free_extension:
            free = _paid_end_part(order, lang, kanava, max(extended_from, now), now)
        if free:
            text += " " + free
        if link:
            lapse = _lapse_part(order, lang, kanava, now)
            if lapse:
                text += " " + lapse
        if link and to_pay_cents is not None:
            text += " " + _(
                "Pay %(amount)s: %(link)s",
                amount=money(to_pay_cents, order.currency, lang),
                link=link,
            )
        elif link:
            text += " " + _("Pay: %(link)s", link=link)
        return text

    return _render(lang, build)


def status(
    orders: Sequence[Order],
    lang: str,
    kanava: Kanava,
    now: datetime,
    unpaid: Sequence[Order] = (),
) -> str:
    """The driver's live parkings with their ends, then ended parkings still ``unpaid``;
    what is owed is named, and the first debt's payment link closes the message. An
    extension that waits for its payment shows the paid end first."""

    def build() -> str:
        lines = []
        first_debt = None
        if not orders:
            lines.append(
                _("You have no active parking. To park, text plate and zone, e.g. ABC-123 101")
            )
        for order in orders[:4]:
            owed = owed_of(kanava, order)
            if owed is not None and owed.kind == "extension" and owed.paid_until is not None:
                assert order.ends_at is not None
                line = _(
                    "%(plate)s zone %(zone)s paid until %(paid)s (extension until %(end)s "
                    "not paid)",
                    plate=order.plate_display,
                    zone=order.zone.code,
                    paid=local_time(owed.paid_until, lang, kanava, now),
                    end=local_time(order.ends_at, lang, kanava, now),
                )
            elif order.open_ended or order.ends_at is None:
                line = _(
                    "%(plate)s zone %(zone)s until you stop",
                    plate=order.plate_display,
                    zone=order.zone.code,
                ) + _cost_so_far(order, lang, kanava, now)
            else:
                line = _(
                    "%(plate)s zone %(zone)s until %(end)s",
                    plate=order.plate_display,
                    zone=order.zone.code,
                    end=local_time(order.ends_at, lang, kanava, now),
                )
            if owed is not None and owed.kind == "hold":
                line += " " + _("(not reserved)")
            elif order.status is OrderStatus.AWAITING_PAYMENT:
                line += " " + _("(not paid)")
            if first_debt is None and owed is not None and owed.link:
                first_debt = owed
            lines.append(line)
        for ended in unpaid[:2]:
            owed = owed_of(kanava, ended)
            if owed is None:
                continue
            lines.append(
                _(
                    "%(plate)s zone %(zone)s ended %(end)s, not paid: %(amount)s",
                    plate=ended.plate_display,
                    zone=ended.zone.code,
                    end=local_time(ended.ended_at or now, lang, kanava, now),
                    amount=money(owed.cents, owed.currency, lang),
                )
            )
            first_debt = first_debt or owed
        text = "\n".join(lines)
        if first_debt is not None and first_debt.kind == "hold":
            text += "\n" + _(
                "Reserve %(amount)s on your card; you pay only for the time parked: %(link)s",
                amount=money(first_debt.cents, first_debt.currency, lang),
                link=first_debt.link,
            )
        elif first_debt is not None:
            text += "\n" + _(
                "Pay %(amount)s: %(link)s",
                amount=money(first_debt.cents, first_debt.currency, lang),
                link=first_debt.link,
            )
        return text

    return _render(lang, build)


def privacy_link(kanava: Kanava, lang: str) -> str:
    """The privacy notice in ``lang`` (the help SMS links it)."""
    return f"{kanava.settings.public_base_url.rstrip('/')}/privacy?lang={lang}"


def help_text(lang: str, kanava: Kanava) -> str:
    return _render(
        lang,
        lambda: _(
            "Kanava parking: text plate and zone, e.g. ABC-123 101, or ABC-123 101 2h for 2 hours. "
            "DONE stops, EXTEND 30 adds 30 min, STATUS shows your parking, RECEIPT the last "
            "payment. KIELI FI / SPRÅK SV."
        )
        + " "
        + _("Privacy: %(link)s", link=privacy_link(kanava, lang)),
    )


def not_understood(lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "Sorry, I did not understand. To park, text plate and zone, e.g. ABC-123 101. "
            "Help: HELP"
        ),
    )


def unknown_zone(code: str, suggestions: Sequence[str], lang: str) -> str:
    def build() -> str:
        if suggestions:
            return _(
                "Zone %(code)s was not found. Did you mean %(codes)s? "
                "The zone code is on the sign.",
                code=code,
                codes=", ".join(suggestions),
            )
        return _("Zone %(code)s was not found. The zone code is on the sign.", code=code)

    return _render(lang, build)


def one_plate_at_a_time(lang: str) -> str:
    return _render(lang, lambda: _("One car at a time: text plate and zone, e.g. ABC-123 101"))


def stop_is_opt_out(lang: str) -> str:
    return _render(
        lang,
        lambda: _("To end parking, text DONE. STOP alone stops all messages from Kanava."),
    )


def need_zone(plate: str, lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "Which zone? Text the plate and the zone code on the sign, e.g. %(plate)s 101",
            plate=plate,
        ),
    )


# At most this many zone codes are named when "which zone?" is asked again.
ZONES_NAMED = 8


def need_zone_again(plate: str, codes: Sequence[str], lang: str) -> str:
    """Ask "which zone?" again after an answer that named no known zone, with the zones."""
    named = ", ".join(sorted(codes)[:ZONES_NAMED]) + (", …" if len(codes) > ZONES_NAMED else "")
    example = sorted(codes)[0] if codes else "101"
    return _render(
        lang,
        lambda: _(
            "Which zone is %(plate)s in? Reply with the zone code on the sign (%(codes)s), "
            "e.g. %(example)s",
            plate=plate,
            codes=named,
            example=example,
        ),
    )


def need_plate(zone: str, lang: str) -> str:
    return _render(
        lang, lambda: _("Which car? Text the plate and zone, e.g. ABC-123 %(zone)s", zone=zone)
    )


def choose_vehicle(plates: Sequence[str], zone: str, lang: str) -> str:
    def build() -> str:
        options = " ".join(f"{i}) {p}" for i, p in enumerate(plates, start=1))
        return _(
            "Which car to park in zone %(zone)s? %(options)s. Reply with the number.",
            zone=zone,
            options=options,
        )

    return _render(lang, build)


def confirm_plate(typed: str, usual: str, lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "Did you mean %(usual)s? Reply YES to park %(usual)s, or NO to park %(typed)s.",
            usual=usual,
            typed=typed,
        ),
    )


def choose_order(orders: Sequence[Order], action: str, lang: str) -> str:
    def build() -> str:
        options = " ".join(
            f"{i}) {o.plate_display} ({o.zone.code})" for i, o in enumerate(orders, start=1)
        )
        if action == "extend":
            return _(
                "Which parking to extend? %(options)s. Reply with the number.", options=options
            )
        return _("Which parking to stop? %(options)s. Reply with the number.", options=options)

    return _render(lang, build)


def no_live_parking(lang: str, plate: str | None = None) -> str:
    def build() -> str:
        if plate:
            return _("%(plate)s has no active parking. STATUS shows your parking.", plate=plate)
        return _("You have no active parking. To park, text plate and zone, e.g. ABC-123 101")

    return _render(lang, build)


def extend_needs_duration(lang: str) -> str:
    return _render(lang, lambda: _("How much more time? E.g. EXTEND 30 or EXTEND 1h"))


def cannot_extend_open_ended(order: Order, lang: str, kanava: Kanava, now: datetime) -> str:
    def build() -> str:
        if order.ends_at is None:
            return _(
                "%(plate)s is parked until you stop, no need to extend. To stop: DONE",
                plate=order.plate_display,
            )
        return _(
            "%(plate)s is parked until you stop, at most until %(end)s. To stop: DONE",
            plate=order.plate_display,
            end=local_time(order.ends_at, lang, kanava, now),
        )

    return _render(lang, build)


def at_max_stay(order: Order, lang: str, kanava: Kanava, now: datetime) -> str:
    def build() -> str:
        assert order.ends_at is not None
        return _(
            "%(plate)s cannot be extended: %(end)s is the longest stay in zone %(zone)s.",
            plate=order.plate_display,
            zone=order.zone.code,
            end=local_time(order.ends_at, lang, kanava, now),
        )

    return _render(lang, build)


def bad_duration(lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "I did not understand the time. Write it like 2h, 90min or 1:30, e.g. ABC-123 101 2h"
        ),
    )


def language_set(lang: str) -> str:
    return _render(lang, lambda: _("Kanava will now write to you in English."))


def bad_language(lang: str) -> str:
    return _render(lang, lambda: _("Choose a language: KIELI FI, SPRÅK SV or LANG EN"))


def receipt(
    found: Receipt | None, receipt_link: str | None, lang: str, kanava: Kanava, now: datetime
) -> str:
    """The answer to KUITTI: the parking, what it cost in the end (what was charged and
    refunded when something was), and the receipt page."""

    def build() -> str:
        if found is None:
            return _("You have no paid parkings, so there is no receipt yet.")
        order = found.order
        end = found.ends_at
        period = local_time(order.starts_at, lang, kanava, now)
        if end is not None:
            period += "-" + local_time(end, lang, kanava, now)
        values = {
            "plate": order.plate_display,
            "zone": order.zone.code,
            "period": period,
            "total": money(found.gross_cents, found.currency, lang),
            "link": receipt_link or "",
        }
        if found.refunded_cents:
            return _(
                "Parking %(plate)s zone %(zone)s %(period)s: charged %(charged)s, refunded "
                "%(refunded)s, paid %(total)s. Receipt: %(link)s",
                charged=money(found.charged_cents, found.currency, lang),
                refunded=money(found.refunded_cents, found.currency, lang),
                **values,
            )
        return _(
            "Parking %(plate)s zone %(zone)s %(period)s: paid %(total)s. Receipt: %(link)s",
            **values,
        )

    return _render(lang, build)


def web_number_introduction(order: Order, lang: str) -> str:
    """The first text to a number typed on the web form: where it came from, how to stop."""
    return _render(
        lang,
        lambda: _(
            "Kanava: this number was given on the parking web form for %(plate)s. Not you, or"
            " no texts wanted? Reply STOP.",
            plate=order.plate_display,
        ),
    )


def opted_out(lang: str) -> str:
    return _render(
        lang, lambda: _("You will get no more messages from Kanava. Text START to start again.")
    )


def opted_in(lang: str) -> str:
    return _render(lang, lambda: _("Welcome back. To park, text plate and zone, e.g. ABC-123 101"))


def nothing_to_answer(lang: str) -> str:
    return _render(
        lang, lambda: _("There is no open question. To park, text plate and zone, e.g. ABC-123 101")
    )


def booking_unavailable(lang: str) -> str:
    return _render(
        lang,
        lambda: _(
            "Booking by text message is not available yet. To park now, text plate and zone, "
            "e.g. ABC-123 101"
        ),
    )


def reply_cap_notice(lang: str) -> str:
    """The one notice to a number that has sent more messages in an hour than are
    answered (REPLY_CAP_PER_HOUR); silence follows until the hour has passed."""
    return _render(
        lang,
        lambda: _(
            "Many messages from this number in the last hour: we will not reply until the "
            "hour has passed. What you send is still carried out."
        ),
    )


def technical_problem(lang: str) -> str:
    return _render(
        lang, lambda: _("Sorry, something went wrong on our side. Please try again in a minute.")
    )


def order_cancelled_by_staff(order: Order) -> str:
    """The driver's SMS when customer service cancels an order (panel, issue 6)."""
    return _render(
        language_of(order),
        lambda: _(
            "Customer service cancelled the parking of %(plate)s in zone %(zone)s. "
            "Nothing more will be charged for it.",
            plate=order.plate_display,
            zone=order.zone.code,
        ),
    )


# ---- the clock's messages (reminders, expiries; issue 5) ---------------------------------
# The keyword is put in as a variable, not left to the translator: it must be a word the
# parser accepts in that language, and it must be there even before the catalogs catch up.
EXTEND_WORD = {"fi": "JATKA", "sv": "FÖRLÄNG", "en": "EXTEND"}
STOP_WORD = {"fi": "LOPETA", "sv": "SLUTA", "en": "DONE"}
# The keyword that answers with a parking's payment link (the web form names it).
STATUS_WORD = {"fi": "TILA", "sv": "STATUS", "en": "STATUS"}
REMINDER_EXTEND_MINUTES = 15


def reminder(
    order: Order, lang: str, kanava: Kanava, now: datetime, owed: Owed | None = None
) -> str:
    """Sent ``REMINDER_LEAD_MINUTES`` before the end: the end in local time and how to
    extend in one word (``JATKA 15``); for an open-ended parking, that it stops at the
    zone's longest stay and how to stop it now. With an extension that waits for its
    payment, the paid end, and the debt with its link (``owed``)."""

    def build() -> str:
        assert order.ends_at is not None
        if owed is not None and owed.kind == "extension" and owed.paid_until is not None:
            return _(
                "%(plate)s in zone %(zone)s: paid until %(end)s. The extension until "
                "%(until)s is not paid: %(amount)s, %(link)s",
                plate=order.plate_display,
                zone=order.zone.code,
                end=local_time(owed.paid_until, lang, kanava, now),
                until=local_time(order.ends_at, lang, kanava, now),
                amount=money(owed.cents, owed.currency, lang),
                link=owed.link or "",
            )
        end = local_time(order.ends_at, lang, kanava, now)
        if order.open_ended:
            text = _(
                "%(plate)s in zone %(zone)s: the longest stay ends at %(end)s and your "
                "parking stops then. To stop now: %(command)s",
                plate=order.plate_display,
                zone=order.zone.code,
                end=end,
                command=STOP_WORD[lang],
            )
        else:
            text = _(
                "%(plate)s in zone %(zone)s: your parking ends at %(end)s. "
                "More time: reply %(command)s",
                plate=order.plate_display,
                zone=order.zone.code,
                end=end,
                command=f"{EXTEND_WORD[lang]} {REMINDER_EXTEND_MINUTES}",
            )
        if owed is not None and owed.kind == "first_payment" and owed.link:
            text += " " + _(
                "Not paid yet: %(amount)s, %(link)s",
                amount=money(owed.cents, owed.currency, lang),
                link=owed.link,
            )
        return text

    return _render(lang, build)


# Stands for the plate while a reminder is rendered once for many parkings (a private-use
# character: no plate, zone code or translation holds it, and ``sms_safe`` leaves it be).
_PLATE_SLOT = "\ue000"


def _shows_seconds(pattern: str) -> bool:
    """Whether a Babel date pattern shows anything finer than the minute (quoted literal
    text such as ``'klo'`` aside)."""
    fields = "".join(pattern.split("'")[::2])
    return any(letter in fields for letter in "sSA")


# Every time in a reminder is shown to the minute: parkings ending within one minute share
# their text but for the plate (``ReminderTexts``).
_TO_THE_MINUTE = not any(
    _shows_seconds(p) for p in (*_TIME_PATTERN.values(), *_DATE_TIME_PATTERN.values())
)


@dataclass(frozen=True)
class _ZoneCode:
    code: str


@dataclass(frozen=True)
class _ReminderFor:
    """What :func:`reminder` reads of an order when nothing is owed on it."""

    plate_display: str
    zone: _ZoneCode
    ends_at: datetime
    open_ended: bool


class ReminderTexts:
    """:func:`reminder` for the many parkings a sweep at ``now`` reminds, each text exactly
    the one :func:`reminder` gives, without Babel for each: it renders once per language,
    zone, kind (fixed or open-ended) and minute of the end, with a placeholder for the
    plate, and puts each plate in afterwards (a sweep of 100 k reminders renders a few
    hundred texts instead of 100 k). Only for parkings that owe nothing (``owed`` None);
    a parking that owes takes :func:`reminder` itself."""

    def __init__(self, kanava: Kanava, now: datetime) -> None:
        self._kanava = kanava
        self._now = now
        self._tz = kanava.settings.tz
        self._templates: dict[tuple[object, ...], str] = {}

    def text(
        self, lang: str, plate: str, zone_code: str, ends_at: datetime, open_ended: bool
    ) -> str:
        """The reminder of a parking of ``plate`` in ``zone_code`` ending at ``ends_at``."""
        end = ends_at.astimezone(self._tz).replace(tzinfo=None)
        if _TO_THE_MINUTE:
            end = end.replace(second=0, microsecond=0)
        key = (lang, zone_code, open_ended, end)
        template = self._templates.get(key)
        if template is None:
            stand_in = _ReminderFor(_PLATE_SLOT, _ZoneCode(zone_code), ends_at, open_ended)
            template = reminder(cast(Order, stand_in), lang, self._kanava, self._now)
            self._templates[key] = template
        # sms_safe maps character by character and strips the ends: on the whole text as
        # on the template, so the plate is treated as reminder() treats it.
        return sms_safe(template.replace(_PLATE_SLOT, plate))


def extension_lapsed(
    order: Order, lapsed_end: datetime, lang: str, kanava: Kanava, now: datetime
) -> str:
    """Sent once when an extension was not paid within its grace and lapsed: the parking
    is back to its paid end (``order.ends_at``)."""

    def build() -> str:
        assert order.ends_at is not None
        text = _(
            "The extension of %(plate)s in zone %(zone)s until %(until)s was not paid and "
            "has been cancelled. The parking is paid until %(end)s.",
            plate=order.plate_display,
            zone=order.zone.code,
            until=local_time(lapsed_end, lang, kanava, now),
            end=local_time(order.ends_at, lang, kanava, now),
        )
        if order.ends_at > now:
            text += " " + _(
                "More time: reply %(command)s",
                command=f"{EXTEND_WORD[lang]} {REMINDER_EXTEND_MINUTES}",
            )
        return text

    return _render(lang, build)


def parking_expired(order: Order, lang: str, kanava: Kanava, now: datetime) -> str:
    """Sent once when a fixed-duration parking's time has run out."""

    def build() -> str:
        assert order.ends_at is not None
        return _(
            "Parking of %(plate)s in zone %(zone)s ended at %(end)s. "
            "To park again, text %(plate)s %(zone)s",
            plate=order.plate_display,
            zone=order.zone.code,
            end=local_time(order.ends_at, lang, kanava, now),
        )

    return _render(lang, build)


def unpaid_cancelled(order: Order, lang: str) -> str:
    """Sent once when a parking still awaiting payment after the grace time is cancelled."""
    return _render(
        lang,
        lambda: _(
            "Parking of %(plate)s in zone %(zone)s was cancelled because it was not paid. "
            "To park, text %(plate)s %(zone)s",
            plate=order.plate_display,
            zone=order.zone.code,
        ),
    )


def max_stay_ended(
    order: Order, amount_cents: int, link: str | None, lang: str, kanava: Kanava, now: datetime
) -> str:
    """Sent once when an open-ended parking reaches the zone's longest stay and is ended."""

    def build() -> str:
        text = _(
            "Parking of %(plate)s in zone %(zone)s ended at %(end)s, the longest stay in "
            "the zone. Price %(price)s.",
            plate=order.plate_display,
            zone=order.zone.code,
            end=local_time(order.ended_at or now, lang, kanava, now),
            price=money(amount_cents, order.currency, lang),
        )
        if link:
            text += " " + _("Pay: %(link)s", link=link)
        return text

    return _render(lang, build)


def debt_reminder(order: Order, owed: Owed, lang: str, kanava: Kanava, now: datetime) -> str:
    """Sent once, a while after an ended parking was left unpaid: what it cost and its link."""

    def build() -> str:
        return _(
            "Parking of %(plate)s in zone %(zone)s, ended %(end)s, is not paid yet: "
            "%(amount)s. Pay: %(link)s",
            plate=order.plate_display,
            zone=order.zone.code,
            end=local_time(order.ended_at or order.ends_at or now, lang, kanava, now),
            amount=money(owed.cents, owed.currency, lang),
            link=owed.link or "",
        )

    return _render(lang, build)


def refund_made(order: Order, amount_cents: int, currency: str) -> str:
    """The driver's SMS when customer service refunds a payment (panel, issue 6)."""
    lang = language_of(order)
    return _render(
        lang,
        lambda: _(
            "Customer service refunded %(amount)s for the parking of %(plate)s in zone %(zone)s.",
            amount=money(amount_cents, currency, lang),
            plate=order.plate_display,
            zone=order.zone.code,
        ),
    )


def opted_out_while_parked(orders: Sequence[Order], lang: str) -> str:
    """The opt-out confirmation when parkings still run: opting out does not end them."""

    def build() -> str:
        if len(orders) == 1:
            running = _(
                "Parking of %(plate)s in zone %(zone)s is still running: DONE ends it.",
                plate=orders[0].plate_display,
                zone=orders[0].zone.code,
            )
        else:
            running = _(
                "%(count)s parkings are still running (%(plates)s): DONE ends them.",
                count=len(orders),
                plates=", ".join(o.plate_display for o in orders[:4]),
            )
        stopped = _("You will get no more messages from Kanava.")
        return f"{stopped} {running} " + _("Text START to get messages again.")

    return _render(lang, build)


def received_will_confirm(lang: str) -> str:
    """The webhook's answer while the database is down: the message is kept (spooled)."""
    return _render(
        lang,
        lambda: _(
            "Message received. Our system is busy; the confirmation will follow by text "
            "message in a moment."
        ),
    )
