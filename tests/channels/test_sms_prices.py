"""Price questions answered by SMS (issue 12, point 2): ``HINTA/PRIS/PRICE [zone]
[duration]`` and questions in words give the zone's price now, its paid hours, the daily
cap, the longest stay and the price of the duration asked; status and help questions in
words answer as STATUS and HELP. The clock starts Monday 23 Nov 2026 10:00 in Helsinki.
"""

from __future__ import annotations

from flask import Flask

from app.texts.messages import MAX_SEGMENTS, sms_segments
from tests.channels.test_sms_conversation import all_orders, customer, last_inbound
from tests.conftest import Clock, Phone


def test_hinta_with_a_zone_gives_rate_hours_cap_and_longest_stay(
    app: Flask, phone: Phone
) -> None:
    reply = phone.send("HINTA 101")

    assert "Alue 101 Kauppatori" in reply
    assert "2,40 €/h" in reply
    assert "ma-pe 08:00-18:00" in reply and "la 09:00-15:00" in reply
    assert "15,00 €" in reply  # the daily cap
    assert "4 h" in reply  # the longest stay
    assert all_orders(app) == []
    assert last_inbound(app).understood is True
    assert last_inbound(app).intent == "price"


def test_price_of_a_duration_is_quoted(phone: Phone) -> None:
    reply = phone.send("how much for 2 hours in 102")

    assert reply.startswith("Zone 102 Rautatientori")
    assert "€3.00/h" in reply
    assert "2 h from now: €6.00" in reply


def test_outside_paid_hours_the_free_time_is_named(phone: Phone, clock: Clock) -> None:
    clock.set_local(2026, 11, 23, 6, 30)

    reply = phone.send("HINTA 101")

    assert "Nyt maksuton 8.00 asti" in reply


def test_swedish_price_question_in_words(phone: Phone) -> None:
    reply = phone.send("vad kostar det i zon 102?")

    assert reply.startswith("Zon 102 Rautatientori")
    assert "3,00 €/h" in reply


def test_without_a_zone_the_zone_of_the_current_parking_is_priced(
    phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 103")
    clock.advance(minutes=5)

    reply = phone.send("paljonko maksaa?")

    assert "Alue 103 Kamppi" in reply and "4,20 €/h" in reply


def test_without_a_zone_or_a_parking_the_zone_is_asked_and_the_answer_priced(
    app: Flask, phone: Phone
) -> None:
    asked = phone.send("PRICE")

    assert "Which zone" in asked
    reply = phone.send("202")
    assert reply.startswith("Zone 202 Kallio")
    assert all_orders(app) == []
    assert customer(app).pending is None


def test_an_unknown_zone_is_named(phone: Phone) -> None:
    reply = phone.send("HINTA 999")

    assert "Aluetta 999 ei löytynyt" in reply


def test_a_status_question_in_words_answers_as_status(phone: Phone, clock: Clock) -> None:
    phone.send("ABC-123 101 2h")
    clock.advance(minutes=5)

    reply = phone.send("onko autoni parkissa?")

    assert "ABC-123" in reply and "12.00" in reply


def test_a_help_question_in_words_answers_with_help(phone: Phone) -> None:
    reply = phone.send("how does this work?")

    assert reply.startswith("Kanava parking")
    assert "did not understand" not in reply


def test_the_longest_price_answer_fits_in_two_segments_in_every_language(
    phone: Phone, clock: Clock
) -> None:
    clock.set_local(2026, 11, 23, 6, 30)  # free now: the longest answer
    for body in ("HINTA 101 2h", "PRIS 101 2h", "PRICE 101 2h"):
        reply = phone.send(body)
        assert sms_segments(reply) <= MAX_SEGMENTS, reply
