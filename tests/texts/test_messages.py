"""Every SMS text in every language fits in two GSM-7 segments with worst-case values.

The texts are rendered from in-memory model objects (no database): the longest plate a
driver can have on display, a 20-character zone name, a full payment link, four parkings
in a status reply, and times on another day (which adds the date).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from app import create_app
from app.backend import receipts
from app.backend.orders import Owed
from app.kernel import Kanava
from app.models import Order, OrderKind, OrderStatus, Payment, PaymentStatus, Zone
from app.texts import messages
from app.texts.messages import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    MAX_SEGMENTS,
    MAX_SEGMENTS_WITH_LINKS,
    sms_segments,
)
from tests.conftest import HELSINKI, make_settings

LANGS = ("fi", "sv", "en")

PLATE = "ABCD-1234"  # 9 characters, the longest display form
PLATE_2 = "XYZ-987AB"
LONGEST_STAY = 23 * 60 + 59  # "23 h 59 min", the widest longest stay
ZONE_CODE = "EV101"
ZONE_NAME = "Kauppatori Etelärant"  # 20 characters
LINK = "https://kanava.example.com/pay/AbCdEfGhIjKl"
RECEIPT_LINK = "https://kanava.example.com/r/AbCdEfGhIjKl"
BIG_CENTS = 123456  # 1 234,56 €
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=HELSINKI).astimezone(UTC)
OTHER_DAY = datetime(2026, 12, 24, 17, 45, tzinfo=HELSINKI).astimezone(UTC)

assert len(PLATE) == 9 and len(PLATE_2) == 9 and len(ZONE_NAME) == 20


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    application = create_app(make_settings("sqlite://"))
    with application.app_context():
        yield application


@pytest.fixture(scope="module")
def kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


# ---- in-memory models ------------------------------------------------------------------


def make_zone(
    code: str = ZONE_CODE,
    name: str = ZONE_NAME,
    paid_hours: dict[str, str] | None = None,
    max_minutes: int | None = None,
) -> Zone:
    return Zone(
        code=code,
        name=name,
        rate_per_hour_cents=BIG_CENTS,
        paid_hours=paid_hours or {"mon-sun": "00:00-24:00"},
        daily_cap_cents=None,
        max_minutes=max_minutes,
        active=True,
    )


def make_order(
    *,
    lang: str = "en",
    plate: str = PLATE,
    zone: Zone | None = None,
    status: OrderStatus = OrderStatus.AWAITING_PAYMENT,
    open_ended: bool = False,
    ends_at: datetime | None = OTHER_DAY,
    ended_at: datetime | None = None,
) -> Order:
    return Order(
        id=9_999_999,  # the widest receipt number of the worst case
        kind=OrderKind.PARKING,
        status=status,
        zone=zone or make_zone(),
        plate_key=plate.replace("-", ""),
        plate_display=plate,
        starts_at=NOW,
        ends_at=ends_at,
        open_ended=open_ended,
        ended_at=ended_at,
        amount_cents=BIG_CENTS,
        currency="EUR",
        language=lang,
        created_at=NOW,
    )


def make_payment(order: Order, *, status: PaymentStatus = PaymentStatus.SUCCEEDED) -> Payment:
    return Payment(
        order=order,
        provider="demo",
        status=status,
        amount_cents=BIG_CENTS,
        captured_cents=BIG_CENTS,
        currency="EUR",
        token="AbCdEfGhIjKl",
        paid_at=OTHER_DAY,
        created_at=NOW,
    )


# ---- every text with its worst cases ---------------------------------------------------

Render = Callable[[str, Kanava], str]


def _started(
    open_ended: bool,
    ends_at: datetime | None,
    free: bool = False,
    withheld: bool = False,
    shortened: bool = False,
) -> Render:
    def render(lang: str, k: Kanava) -> str:
        zone = make_zone(paid_hours={"sat": "09:00-15:00"}) if free else None
        if shortened:  # asked for longer than the zone allows
            zone = make_zone(max_minutes=LONGEST_STAY)
        order = make_order(lang=lang, open_ended=open_ended, ends_at=ends_at, zone=zone)
        order.grace_withheld = withheld  # left a parking unpaid lately: says why
        previous = make_order(lang=lang, zone=make_zone("EV102"), status=OrderStatus.ENDED)
        make_payment(previous, status=PaymentStatus.PENDING)  # not paid yet: the longest
        return messages.parking_started(
            order,
            make_payment(order, status=PaymentStatus.PENDING),
            LINK,
            lang,
            k,
            NOW,
            [previous],
            shortened=shortened,
        )

    return render


def _extended_unpaid(status: OrderStatus) -> Render:
    """An extension whose payment is due, named with its deadline and what then lapses."""

    def render(lang: str, k: Kanava) -> str:
        order = make_order(lang=lang, status=status, zone=make_zone(max_minutes=LONGEST_STAY))
        order.unpaid_from = OTHER_DAY - timedelta(hours=3)
        order.payment_due_at = OTHER_DAY - timedelta(hours=2)
        return messages.parking_extended(
            order,
            BIG_CENTS,
            True,
            LINK,
            lang,
            k,
            NOW,
            to_pay_cents=BIG_CENTS,
            extended_from=order.unpaid_from,
        )

    return render


def _extended_to_longest_stay(
    paid_hours: dict[str, str] | None = None, to_pay_cents: int | None = None
) -> Render:
    """An extension cut to the zone's longest stay (which the text names)."""

    def render(lang: str, k: Kanava) -> str:
        zone = make_zone(paid_hours=paid_hours, max_minutes=LONGEST_STAY)
        return messages.parking_extended(
            make_order(lang=lang, zone=zone),
            BIG_CENTS,
            True,
            LINK,
            lang,
            k,
            NOW,
            to_pay_cents=to_pay_cents,
        )

    return render


def _started_into_free_time(open_ended: bool) -> Render:
    """Paid now, then free, then paid again before the parking ends: both ends named."""

    def render(lang: str, k: Kanava) -> str:
        zone = make_zone(paid_hours={"mon-sun": "08:00-18:00"})
        order = make_order(lang=lang, open_ended=open_ended, zone=zone)
        previous = make_order(lang=lang, zone=make_zone("EV102"), status=OrderStatus.ENDED)
        make_payment(previous, status=PaymentStatus.PENDING)
        return messages.parking_started(
            order, make_payment(order, status=PaymentStatus.PENDING), LINK, lang, k, NOW, [previous]
        )

    return render


def _already(open_ended: bool, ends_at: datetime | None) -> Render:
    def render(lang: str, k: Kanava) -> str:
        order = make_order(lang=lang, open_ended=open_ended, ends_at=ends_at)
        return messages.already_parked(order, LINK, lang, k, NOW)

    return render


def _by_another(open_ended: bool, link: str | None) -> Render:
    def render(lang: str, k: Kanava) -> str:
        order = make_order(
            lang=lang,
            status=OrderStatus.ACTIVE,
            open_ended=open_ended,
            ends_at=None if open_ended else OTHER_DAY,
        )
        order.customer_id = 7  # parked from another number
        return messages.parked_by_another(order, link, lang, k, NOW)

    return render


def _confirmed(status: OrderStatus, ends_at: datetime | None) -> Render:
    def render(lang: str, k: Kanava) -> str:
        order = make_order(lang=lang, status=status, ends_at=ends_at, open_ended=ends_at is None)
        return messages.payment_confirmed_text(order, make_payment(order), k, now=NOW)

    return render


def _status(count: int, ends_at: datetime | None) -> Render:
    def render(lang: str, k: Kanava) -> str:
        orders = [
            make_order(lang=lang, plate=p, ends_at=ends_at, open_ended=ends_at is None)
            for p in (PLATE, PLATE_2, "QWE-456ZX", "RTY-789CV", "UIO-012BN")[:count]
        ]
        return messages.status(orders, lang, k, NOW)

    return render


def _cannot_extend(ends_at: datetime | None) -> Render:
    def render(lang: str, k: Kanava) -> str:
        order = make_order(lang=lang, open_ended=True, ends_at=ends_at)
        return messages.cannot_extend_open_ended(order, lang, k, NOW)

    return render


def _choose_order(action: str) -> Render:
    def render(lang: str, k: Kanava) -> str:
        orders = [
            make_order(lang=lang, plate=PLATE, zone=make_zone("EV101")),
            make_order(lang=lang, plate=PLATE_2, zone=make_zone("EV102")),
            make_order(lang=lang, plate="QWE-456ZX", zone=make_zone("EV103")),
            make_order(lang=lang, plate="RTY-789CV", zone=make_zone("EV104")),
        ]
        return messages.choose_order(orders, action, lang)

    return render


def _owed(kind: str, paid_until: datetime | None = None) -> Owed:
    return Owed(
        cents=BIG_CENTS, currency="EUR", kind=kind, link=LINK, paid_until=paid_until, due_at=NOW
    )


def _already_extension_unpaid(lang: str, k: Kanava) -> str:
    order = make_order(lang=lang, status=OrderStatus.ACTIVE, ends_at=OTHER_DAY)
    order.unpaid_from = OTHER_DAY - timedelta(hours=1)
    make_payment(order, status=PaymentStatus.PENDING)
    return messages.already_parked(order, LINK, lang, k, NOW)


def _status_with_debts(lang: str, k: Kanava) -> str:
    orders = []
    for plate in (PLATE, PLATE_2, "QWE-456ZX", "RTY-789CV"):
        order = make_order(lang=lang, plate=plate, status=OrderStatus.ACTIVE)
        order.unpaid_from = OTHER_DAY - timedelta(hours=1)
        make_payment(order, status=PaymentStatus.PENDING)
        orders.append(order)
    return messages.status(orders, lang, k, NOW)


def _status_with_holds(lang: str, k: Kanava) -> str:
    """Four parkings until stopped, their cards not held yet, hours after they started:
    each with its cost so far, and the first hold's link."""
    orders = []
    for plate in (PLATE, PLATE_2, "QWE-456ZX", "RTY-789CV"):
        order = make_order(lang=lang, plate=plate, open_ended=True, ends_at=None)
        make_payment(order, status=PaymentStatus.PENDING)
        orders.append(order)
    return messages.status(orders, lang, k, NOW + timedelta(hours=9))


def _stopped_with_hold(released_cents: int) -> Render:
    def render(lang: str, k: Kanava) -> str:
        order = make_order(lang=lang, status=OrderStatus.ENDED, ended_at=OTHER_DAY)
        return messages.parking_stopped(
            order,
            BIG_CENTS,
            None,
            lang,
            k,
            NOW,
            held_cents=BIG_CENTS,
            released_cents=released_cents,
        )

    return render


def _confirmed_hold(lang: str, k: Kanava) -> str:
    order = make_order(lang=lang, status=OrderStatus.ACTIVE, ends_at=None, open_ended=True)
    return messages.payment_confirmed_text(
        order, make_payment(order, status=PaymentStatus.AUTHORIZED), k, now=NOW
    )


def _status_with_ended_debts(lang: str, k: Kanava) -> str:
    live = [make_order(lang=lang, plate=p, status=OrderStatus.ACTIVE) for p in (PLATE, PLATE_2)]
    unpaid = []
    for plate in ("QWE-456ZX", "RTY-789CV"):
        order = make_order(lang=lang, plate=plate, status=OrderStatus.ENDED, ended_at=OTHER_DAY)
        make_payment(order, status=PaymentStatus.PENDING)
        unpaid.append(order)
    return messages.status(live, lang, k, NOW, unpaid=unpaid)


def _receipt(lang: str, k: Kanava) -> str:
    order = make_order(lang=lang, status=OrderStatus.ENDED, ended_at=OTHER_DAY)
    payment = make_payment(order)
    payment.refunded_cents = BIG_CENTS - 1
    found = receipts.receipt_of_order(k, order)
    return messages.receipt(found, RECEIPT_LINK, lang, k, NOW)


CASES: dict[str, Render] = {
    "parking_started fixed": _started(False, OTHER_DAY),
    "parking_started open-ended with longest stay": _started(True, OTHER_DAY),
    "parking_started open-ended without limit": _started(True, None),
    "parking_started fixed in free time": _started(False, OTHER_DAY, free=True),
    "parking_started open-ended in free time": _started(True, OTHER_DAY, free=True),
    "parking_started fixed without grace": _started(False, OTHER_DAY, withheld=True),
    "parking_started fixed shortened to the longest stay": _started(
        False, OTHER_DAY, withheld=True, shortened=True
    ),
    "already_parked fixed": _already(False, OTHER_DAY),
    "already_parked open-ended": _already(True, None),
    "parked_by_another fixed, extendable on the web": _by_another(False, LINK),
    "parked_by_another until stopped": _by_another(True, None),
    "already_parked with an unpaid extension": _already_extension_unpaid,
    "payment_confirmed_text ended": _confirmed(OrderStatus.ENDED, OTHER_DAY),
    "payment_confirmed_text until stopped": _confirmed(OrderStatus.ACTIVE, None),
    "payment_confirmed_text until end": _confirmed(OrderStatus.ACTIVE, OTHER_DAY),
    "payment_confirmed_text card held": _confirmed_hold,
    "parking_stopped hold released in part": _stopped_with_hold(BIG_CENTS - 1),
    "parking_stopped hold released": _stopped_with_hold(BIG_CENTS),
    "parking_stopped": lambda lang, k: messages.parking_stopped(
        make_order(lang=lang, status=OrderStatus.ENDED, ended_at=OTHER_DAY),
        BIG_CENTS,
        LINK,
        lang,
        k,
        NOW,
        refunded_cents=BIG_CENTS,
    ),
    "parking_extended": _extended_to_longest_stay(),
    "parking_extended with what to pay": _extended_to_longest_stay(to_pay_cents=BIG_CENTS),
    "parking_extended in free time": _extended_to_longest_stay(
        {"sat": "09:00-15:00"}, to_pay_cents=BIG_CENTS
    ),
    "parking_extended of an unpaid extension": _extended_unpaid(OrderStatus.ACTIVE),
    "parking_extended of an unpaid parking": _extended_unpaid(OrderStatus.AWAITING_PAYMENT),
    "parking_started fixed into free time": _started_into_free_time(False),
    "parking_started open-ended into free time": _started_into_free_time(True),
    "status four fixed": _status(4, OTHER_DAY),
    "status five until stopped": _status(5, None),
    "status none": _status(0, None),
    "status four with unpaid extensions": _status_with_debts,
    "status two with two ended debts": _status_with_ended_debts,
    "status four until stopped with holds to make": _status_with_holds,
    "help_text": lambda lang, k: messages.help_text(lang, k),
    "not_understood": lambda lang, k: messages.not_understood(lang),
    "unknown_zone with suggestions": lambda lang, k: messages.unknown_zone(
        "ABCDE", ["EV101", "EV102", "EV103"], lang
    ),
    "unknown_zone without suggestions": lambda lang, k: messages.unknown_zone("ABCDE", [], lang),
    "one_plate_at_a_time": lambda lang, k: messages.one_plate_at_a_time(lang),
    "stop_is_opt_out": lambda lang, k: messages.stop_is_opt_out(lang),
    "need_zone": lambda lang, k: messages.need_zone(PLATE, lang),
    "need_plate": lambda lang, k: messages.need_plate(ZONE_CODE, lang),
    "need_zone_again": lambda lang, k: messages.need_zone_again(
        PLATE, [f"{ZONE_CODE[:-1]}{n}" for n in range(10)], lang
    ),
    "choose_vehicle five": lambda lang, k: messages.choose_vehicle(
        [PLATE, PLATE_2, "QWE-456ZX", "RTY-789CV", "UIO-012BN"], ZONE_CODE, lang
    ),
    "confirm_plate": lambda lang, k: messages.confirm_plate(PLATE_2, PLATE, lang),
    "choose_order stop": _choose_order("stop"),
    "choose_order extend": _choose_order("extend"),
    "no_live_parking with plate": lambda lang, k: messages.no_live_parking(lang, PLATE),
    "no_live_parking": lambda lang, k: messages.no_live_parking(lang),
    "extend_needs_duration": lambda lang, k: messages.extend_needs_duration(lang),
    "cannot_extend_open_ended with longest stay": _cannot_extend(OTHER_DAY),
    "cannot_extend_open_ended without limit": _cannot_extend(None),
    "at_max_stay": lambda lang, k: messages.at_max_stay(make_order(lang=lang), lang, k, NOW),
    "bad_duration": lambda lang, k: messages.bad_duration(lang),
    "language_set": lambda lang, k: messages.language_set(lang),
    "bad_language": lambda lang, k: messages.bad_language(lang),
    "receipt": _receipt,
    "receipt none": lambda lang, k: messages.receipt(None, None, lang, k, NOW),
    "opted_out": lambda lang, k: messages.opted_out(lang),
    "web_number_introduction": lambda lang, k: messages.web_number_introduction(
        make_order(lang=lang), lang
    ),
    "opted_in": lambda lang, k: messages.opted_in(lang),
    "opted_out_while_parked one": lambda lang, k: messages.opted_out_while_parked(
        [make_order(lang=lang, zone=make_zone("EV101"))], lang
    ),
    "opted_out_while_parked four": lambda lang, k: messages.opted_out_while_parked(
        [
            make_order(lang=lang, plate=p, zone=make_zone("EV101"))
            for p in (PLATE, PLATE_2, "QWE-456ZX", "RTY-789CV", "UIO-012BN")
        ],
        lang,
    ),
    "nothing_to_answer": lambda lang, k: messages.nothing_to_answer(lang),
    "booking_unavailable": lambda lang, k: messages.booking_unavailable(lang),
    "technical_problem": lambda lang, k: messages.technical_problem(lang),
    "reply_cap_notice": lambda lang, k: messages.reply_cap_notice(lang),
    "received_will_confirm": lambda lang, k: messages.received_will_confirm(lang),
    "reminder fixed": lambda lang, k: messages.reminder(
        make_order(lang=lang, ends_at=OTHER_DAY), lang, k, NOW
    ),
    "reminder with an unpaid extension": lambda lang, k: messages.reminder(
        make_order(lang=lang, status=OrderStatus.ACTIVE, ends_at=OTHER_DAY),
        lang,
        k,
        NOW,
        owed=_owed("extension", paid_until=OTHER_DAY),
    ),
    "reminder not paid yet": lambda lang, k: messages.reminder(
        make_order(lang=lang, ends_at=OTHER_DAY), lang, k, NOW, owed=_owed("first_payment")
    ),
    "extension_lapsed": lambda lang, k: messages.extension_lapsed(
        make_order(lang=lang, status=OrderStatus.ACTIVE, ends_at=OTHER_DAY),
        OTHER_DAY,
        lang,
        k,
        NOW,
    ),
    "reminder open-ended at longest stay": lambda lang, k: messages.reminder(
        make_order(lang=lang, open_ended=True, ends_at=OTHER_DAY), lang, k, NOW
    ),
    "parking_expired": lambda lang, k: messages.parking_expired(
        make_order(lang=lang, ends_at=OTHER_DAY), lang, k, NOW
    ),
    "unpaid_cancelled": lambda lang, k: messages.unpaid_cancelled(make_order(lang=lang), lang),
    "max_stay_ended": lambda lang, k: messages.max_stay_ended(
        make_order(lang=lang, open_ended=True, status=OrderStatus.ENDED, ended_at=OTHER_DAY),
        BIG_CENTS,
        LINK,
        lang,
        k,
        NOW,
    ),
    "order_cancelled_by_staff": lambda lang, k: messages.order_cancelled_by_staff(
        make_order(lang=lang)
    ),
    "debt_reminder": lambda lang, k: messages.debt_reminder(
        make_order(lang=lang, status=OrderStatus.ENDED, ended_at=OTHER_DAY),
        _owed("after_end"),
        lang,
        k,
        NOW,
    ),
    "refund_made": lambda lang, k: messages.refund_made(make_order(lang=lang), BIG_CENTS, "EUR"),
}

# Texts that may take three segments: confirmations with two links, debts named one by one.
WITH_LINKS = {
    "parked_by_another fixed, extendable on the web",
    "status four with unpaid extensions",
    "status four until stopped with holds to make",
    "parking_started fixed",
    "parking_started open-ended with longest stay",
    "parking_started open-ended without limit",
    "parking_started fixed in free time",
    "parking_started open-ended in free time",
    "parking_started fixed into free time",
    "parking_started open-ended into free time",
    "parking_started fixed without grace",
    "parking_started fixed shortened to the longest stay",
    "payment_confirmed_text ended",
    "payment_confirmed_text until stopped",
    "payment_confirmed_text until end",
    "payment_confirmed_text card held",
}

# Helpers of the module that are not texts of their own.
NOT_TEXTS = {
    "sms_safe",
    "sms_segments",
    "money",
    "local_time",
    "clock_pattern",
    "page_time",
    "language_of",
    "privacy_link",
    "stay_length",
}


def test_every_text_function_of_the_messages_module_has_a_worst_case_here() -> None:
    texts = {
        name
        for name, fn in inspect.getmembers(messages, inspect.isfunction)
        if fn.__module__ == messages.__name__ and not name.startswith("_")
    } - NOT_TEXTS
    covered = {case.split()[0] for case in CASES}
    assert texts - covered == set(), "add worst cases for these new texts"
    assert covered - texts == set()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", list(CASES))
def test_every_text_fits_in_two_gsm_segments_with_all_placeholders_filled(
    kanava: Kanava, case: str, lang: str
) -> None:
    text = CASES[case](lang, kanava)

    assert text, "a text is never empty"
    assert text == text.strip()
    assert "%(" not in text and ")s" not in text, text
    outside = sorted({c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENDED})
    assert outside == [], f"not GSM-7: {outside!r} in {text!r}"
    limit = MAX_SEGMENTS_WITH_LINKS if case in WITH_LINKS else MAX_SEGMENTS
    assert 1 <= sms_segments(text) <= limit, f"{sms_segments(text)} segments: {text!r}"


@pytest.mark.parametrize("lang", ["fi", "sv"])
@pytest.mark.parametrize("case", list(CASES))
def test_every_text_is_translated_to_finnish_and_swedish(
    kanava: Kanava, case: str, lang: str
) -> None:
    assert CASES[case](lang, kanava) != CASES[case]("en", kanava)


@pytest.mark.parametrize("lang", LANGS)
def test_texts_carry_the_values_they_were_given(kanava: Kanava, lang: str) -> None:
    started = CASES["parking_started fixed"](lang, kanava)
    assert PLATE in started and ZONE_CODE in started and ZONE_NAME in started
    assert LINK in started
    assert "EV102" in started  # the replaced parking's zone
    assert CASES["status four fixed"](lang, kanava).count("\n") == 3
    assert CASES["status five until stopped"](lang, kanava).count("\n") == 3  # at most four
    receipt = CASES["receipt"](lang, kanava)
    assert RECEIPT_LINK in receipt and PLATE in receipt
    options = CASES["choose_vehicle five"](lang, kanava)
    assert all(f"{i}) " in options for i in range(1, 6))


@pytest.mark.parametrize(
    ("lang", "money", "same_day", "other_day"),
    [
        ("fi", "1 234,56 €", "12.05", "24.12. klo 17.45"),
        ("sv", "1 234,56 €", "12:05", "24/12 kl. 17:45"),
        ("en", "€1,234.56", "12:05", "24 Dec 17:45"),
    ],
)
def test_money_and_times_use_the_language_and_only_gsm_characters(
    kanava: Kanava, lang: str, money: str, same_day: str, other_day: str
) -> None:
    assert messages.money(BIG_CENTS, "EUR", lang) == money
    at_noon = NOW + timedelta(hours=2, minutes=5)
    assert messages.local_time(at_noon, lang, kanava, NOW) == same_day
    assert messages.local_time(OTHER_DAY, lang, kanava, NOW) == other_day


def test_local_time_is_in_the_app_timezone_across_midnight_utc(kanava: Kanava) -> None:
    # 23:30 UTC on Monday is 01:30 on Tuesday in Helsinki: another day than Monday 10:00.
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert messages.local_time(late, "fi", kanava, NOW) == "24.11. klo 1.30"


def test_sms_safe_replaces_typographic_characters_with_gsm_ones() -> None:
    assert messages.sms_safe("\u00a01\u202f234,56\u00a0€ \u2013 \u201cok\u201d\u2026 ") == (
        '1 234,56 € - "ok"...'
    )


# ---- sms_segments ----------------------------------------------------------------------


def test_160_gsm_characters_are_one_segment() -> None:
    assert sms_segments("a" * 160) == 1


def test_161_gsm_characters_are_two_segments() -> None:
    assert sms_segments("a" * 161) == 2


def test_306_gsm_characters_are_two_segments_and_307_three() -> None:
    assert sms_segments("a" * 306) == 2
    assert sms_segments("a" * 307) == 3


def test_the_euro_sign_counts_as_two_gsm_characters() -> None:
    assert sms_segments("€" * 80) == 1
    assert sms_segments("€" * 80 + "a") == 2
    assert sms_segments("a" * 159 + "€") == 2


def test_nordic_letters_are_gsm_characters() -> None:
    assert sms_segments("ÄÖÅäöå" + "a" * 154) == 1


def test_one_emoji_turns_the_text_into_ucs2_of_70_units_per_segment() -> None:
    # An emoji outside the BMP is two UTF-16 units.
    assert sms_segments("\U0001f697" + "a" * 68) == 1
    assert sms_segments("\U0001f697" + "a" * 69) == 2
    assert sms_segments("\U0001f697" + "a" * 132) == 2
    assert sms_segments("\U0001f697" + "a" * 133) == 3


def test_one_non_gsm_letter_turns_the_text_into_ucs2() -> None:
    assert sms_segments("ł" + "a" * 69) == 1
    assert sms_segments("ł" + "a" * 70) == 2
