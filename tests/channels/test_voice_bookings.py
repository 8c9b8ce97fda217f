"""Booking a space ahead by phone, driven as Twilio drives a call (signed webhooks): the
zone by its keys, the day by one key or a date, the start, the hours, the plate, the price
and the terms, paid as a parking is; a full window's nearest free time by one key; the
caller's bookings heard and one cancelled with its refund; bad answers told plainly,
booking nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import zones
from app.channels.panel_words import CALL_STATE_WORDS, PURPOSE_WORDS
from app.extensions import db
from app.models import Channel, Event, EventKind, Order, OrderKind, OrderStatus, OutboundMessage
from app.usecases.voice.states import CallState
from tests.channels.voice_caller import Call
from tests.conftest import HELSINKI, Clock, Phone

GARAGE = {
    "code": "501",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 1,
    "booking_hours": {"mon-sun": "06:00-23:00"},
    "max_advance_days": 30,
}
CALLER = "+358401234567"


@pytest.fixture(autouse=True)
def garage(app: Flask, clock: Clock) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()


def booking_orders(app: Flask) -> list[Order]:
    with app.app_context():
        found = db.session.scalars(
            select(Order).where(Order.kind == OrderKind.BOOKING).order_by(Order.id)
        ).all()
        for order in found:
            _ = order.payments
        db.session.expunge_all()
        return list(found)


def sms_to(app: Flask, number: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.to_number == number)
                .order_by(OutboundMessage.id)
            )
        )


def in_english(call: Call) -> str:
    call.start()
    call.press("9")
    return call.press("3")


def to_the_quote(call: Call, day_key: str = "2", start: str = "10#", hours: str = "2#") -> str:
    """From the main menu: book zone 501 on the day keyed, for ABC-123; the quote heard."""
    call.press("6")
    call.press("501#")
    call.press(day_key)
    call.press(start)
    call.press(hours)
    call.say("ABC 123")
    return call.press("1")


def test_a_caller_books_by_keypad_hears_price_terms_and_reference_and_gets_the_sms(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=CALLER)
    menu = in_english(call)
    assert "To book a space ahead, press 6." in menu

    zones_heard = call.press("6")
    assert "Zones to book:" in zones_heard and "Zone 501, Garage." in zones_heard
    assert "Zone 101" not in zones_heard  # not bookable: not offered
    days = call.press("501#")
    assert "Booking in zone 501, Garage. For today, press 1. For tomorrow, press 2." in days
    start = call.press("2")
    assert "On Tuesday 24 November: enter the start time" in start
    assert "Enter how many hours to book" in call.press("10#")
    assert "Say your plate letter by letter" in call.press("2#")
    call.say("ABC 123")
    quote = call.press("1")
    assert "Zone 501 for" in quote and "ABC123" in call.spelled()
    assert "Tuesday 24 November from 10:00 to 12:00, costs €4.00." in quote
    assert "Free cancellation until Tuesday 24 November at 09:00; after that, no refund." in quote
    assert "To book, press 1. To cancel, press 2." in quote

    done = call.press("1")
    [order] = booking_orders(app)
    ref = order.booking_ref
    assert ref is not None
    assert "A payment link was sent to you by text message. Pay by 10:15" in done
    assert "Your booking reference is" in done and ref in call.spelled()  # read out one by one
    assert "The reference was sent to you by text message." in done
    assert "To park, press 1." in done  # back in the main menu
    assert (order.status, order.channel, order.plate_display) == (
        OrderStatus.AWAITING_PAYMENT,
        Channel.VOICE,
        "ABC-123",
    )
    assert order.hold_expires_at is not None
    [sms] = sms_to(app, CALLER)
    assert f"Booking {ref}: zone 501 Garage, Tue 24 Nov 10:00-12:00, ABC-123." in sms
    assert "https://kanava.test/pay/" in sms and f"UNBOOK {ref}" in sms


def test_every_step_of_a_booking_call_is_in_the_timeline(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=CALLER)
    in_english(call)
    to_the_quote(call)
    call.press("1")
    with app.app_context():
        steps = db.session.scalars(
            select(Event).where(Event.kind == EventKind.CALL_STEP).order_by(Event.id)
        ).all()
        states = [e.data.get("state") for e in steps if e.intent not in ("call_start",)]
        made = db.session.scalars(select(Event).where(Event.kind == EventKind.ORDER)).all()
    for state in ("book_zone", "book_day", "book_start", "book_hours", "plate_confirm"):
        assert state in states
    assert any(e.data.get("action") == "booking_made" and e.data.get("zone") == "501" for e in made)


def test_a_full_window_offers_the_nearest_free_time_and_one_key_books_it(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    Phone(phone.client, number="+358409999999").send("BOOK 501 tomorrow 10-12 XYZ-987")
    call = Call(client, number=CALLER)
    in_english(call)
    full = to_the_quote(call)
    assert "Zone 501 is fully booked Tuesday 24 November from 10:00 to 12:00." in full
    offer = re.search(r"The nearest free time: zone 501, Tuesday 24 November from (\S+) to", full)
    assert offer, full
    assert "To book it, press 1. To choose another time, press 2." in full
    assert "Free cancellation until" in full

    done = call.press("1")
    assert "Your booking reference is" in done
    first, second = booking_orders(app)
    assert second.channel is Channel.VOICE and second.plate_display == "ABC-123"
    assert second.ends_at is not None and first.ends_at is not None
    assert second.ends_at <= first.starts_at or second.starts_at >= first.ends_at
    assert second.starts_at.astimezone(HELSINKI).strftime("%H:%M") == offer.group(1)


def test_a_window_taken_while_the_caller_listened_is_refused_by_the_backend_with_an_offer(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    call = Call(client, number=CALLER)
    in_english(call)
    assert "To book, press 1." in to_the_quote(call)
    Phone(phone.client, number="+358409999999").send("BOOK 501 tomorrow 10-12 XYZ-987")

    full = call.press("1")
    assert "Zone 501 is fully booked Tuesday 24 November from 10:00 to 12:00." in full
    assert "To book it, press 1." in full
    [taken] = booking_orders(app)  # the capacity of one kept: the call booked nothing
    assert taken.plate_display == "XYZ-987"


def test_a_caller_hears_their_bookings_and_cancels_one_with_the_refund(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=CALLER)
    in_english(call)
    to_the_quote(call)
    call.press("1")
    [order] = booking_orders(app)
    token = sms_to(app, CALLER)[0].split("/pay/", 1)[1].split()[0]
    paid = client.post(f"/demo-pay/{token}?lang=en", follow_redirects=True)
    assert paid.status_code == 200
    assert booking_orders(app)[0].status is OrderStatus.BOOKED

    call = Call(client, number=CALLER)
    menu = call.start()
    assert "To hear or cancel your bookings, press 7." in menu  # offered: there is one
    heard = call.press("7")
    assert "Booking 1: zone 501, Tuesday 24 November from 10:00 to 12:00, reference" in heard
    assert order.booking_ref in call.spelled()
    assert "To cancel a booking, press its number. For the main menu, press 0." in heard
    confirm = call.press("1")
    assert "refunds €4.00." in confirm
    assert "To cancel it, press 1. To keep it, press 2." in confirm
    done = call.press("1")
    assert "is cancelled." in done and "€4.00 is refunded to your card." in done

    [cancelled] = booking_orders(app)
    assert cancelled.status is OrderStatus.CANCELLED
    assert [(p.captured_cents, p.refunded_cents) for p in cancelled.payments] == [(400, 400)]
    assert "4.00" in sms_to(app, CALLER)[-1] and order.booking_ref in sms_to(app, CALLER)[-1]
    assert "You have no upcoming bookings." not in done
    assert "To hear or cancel your bookings, press 7." not in done  # none left to offer


def test_a_late_cancellation_says_nothing_is_refunded_and_keeping_it_changes_nothing(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    call = Call(client, number=CALLER)
    in_english(call)
    to_the_quote(call, day_key="1", start="1030#", hours="1#")
    call.press("1")
    token = sms_to(app, CALLER)[0].split("/pay/", 1)[1].split()[0]
    client.post(f"/demo-pay/{token}?lang=en", follow_redirects=True)
    call = Call(client, number=CALLER)
    in_english(call)
    call.press("7")
    confirm = call.press("1")
    assert "refunds nothing: its free cancellation time has passed." in confirm
    assert "The booking is kept." in call.press("2")
    [kept] = booking_orders(app)
    assert kept.status is OrderStatus.BOOKED


def test_bad_answers_are_told_plainly_and_book_nothing(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=CALLER)
    in_english(call)
    call.press("6")
    assert "Zone 101 cannot be booked." in call.press("101#")
    assert "There is no zone" in call.press("999#")
    call.press("501#")
    assert "The key 7 is not in this menu." in call.press("7")
    assert "I did not hear anything." in call.silence()
    call.press("4")
    assert "There is no such date." in call.press("3102")
    assert "That day has passed." in call.press("2011")
    too_far = call.press("0103")
    assert "The last day you can book is Wednesday 23 December." in too_far
    assert "For today, press 1." in too_far  # the day asked again
    call.press("1")
    past = call.press("8#")
    assert "That time has passed. The earliest you can book is 10:00." in past
    assert "That is not a time of day." in call.press("2561#")
    call.press("22#")
    late = call.press("3#")
    assert "Zone 501 can be booked from 06:00 to 23:00 on Monday 23 November." in late
    assert "From that start you can book until 23:00." in late
    assert "Enter the length in whole hours" in call.press("0#")
    assert booking_orders(app) == []
    with app.app_context():
        missed = db.session.scalars(
            select(Event).where(Event.kind == EventKind.CALL_STEP, Event.understood.is_(False))
        ).all()
    assert len(missed) >= 9


def test_a_landline_without_card_payment_is_told_how_to_book_instead(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number="+35891234567")
    in_english(call)
    told = call.press("6")
    assert "To book by phone, call from a mobile phone." in told
    assert booking_orders(app) == []


@pytest.mark.parametrize(
    ("lang_key", "words"),
    [
        ("1", ["Jos haluat varata paikan etukäteen, paina 6.", "Varattavat alueet:"]),
        ("2", ["För att boka en plats i förväg, tryck 6.", "Zoner att boka:"]),
    ],
)
def test_the_booking_menu_speaks_finnish_and_swedish(
    app: Flask, client: FlaskClient, lang_key: str, words: list[str]
) -> None:
    call = Call(client, number=CALLER)
    call.start()
    call.press("9")
    menu = call.press(lang_key)
    assert words[0] in menu
    assert words[1] in call.press("6")
    call.press("501#")
    start = call.press("2")
    day = "Päivä tiistai 24. marraskuuta:" if lang_key == "1" else "tisdag den 24 november"
    assert day in start


def test_every_call_state_and_voice_text_has_words_in_the_panel_timeline() -> None:
    assert {state.value for state in CallState} <= set(CALL_STATE_WORDS)
    assert {"voice_booking", "voice_booking_cancelled"} <= set(PURPOSE_WORDS)
