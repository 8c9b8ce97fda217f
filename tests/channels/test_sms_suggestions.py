"""A mistyped keyword is offered back in one word ("Tarkoititko JATKA 30? Vastaa K"), never
acted on silently: the driver's yes acts on it, anything else drops it (issue 12, point 1).

Texts through the signed webhook (``phone``), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from tests.channels.test_sms_conversation import all_orders, customer, last_inbound
from tests.conftest import Clock, Phone


def test_a_mistyped_extend_is_offered_and_changes_nothing(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 1h")
    (before,) = all_orders(app)

    reply = phone.send("JATAK 30")

    assert reply == "Tarkoititko JATKA 30? Vastaa K"
    (after,) = all_orders(app)
    assert after.ends_at == before.ends_at
    assert customer(app).pending is not None
    assert customer(app).pending["suggestion"] == "JATKA 30"  # type: ignore[index]
    assert last_inbound(app).intent == "did_you_mean"


def test_k_acts_on_the_suggestion_as_if_the_driver_had_sent_it(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 1h")
    (before,) = all_orders(app)
    phone.send("JATAK 30")
    clock.advance(minutes=1)

    reply = phone.send("K")

    assert "ABC-123" in reply and "11.30" in reply
    (after,) = all_orders(app)
    assert before.ends_at is not None
    assert after.ends_at == before.ends_at + timedelta(minutes=30)
    assert customer(app).pending is None
    assert last_inbound(app).intent == "extend"


def test_swedish_and_english_suggestions_ask_in_their_language(phone: Phone) -> None:
    assert phone.send("FÖRLNG 30") == "Menade du FÖRLÄNG 30? Svara J"
    assert phone.send("EXTNED 30") == "Did you mean EXTEND 30? Reply Y"


def test_yes_in_english_stops_after_a_mistyped_stop(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101")
    clock.advance(minutes=20)
    phone.send("LOEPTA")
    (running,) = all_orders(app)
    assert running.ended_at is None

    reply = phone.send("YES")

    (ended,) = all_orders(app)
    assert ended.ended_at is not None
    assert "ABC-123" in reply


def test_anything_else_drops_the_suggestion_and_is_handled_as_itself(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101")
    phone.send("LOEPTA")

    reply = phone.send("TILA")

    assert "ABC-123" in reply
    assert customer(app).pending is None
    later = phone.send("K")
    assert "Avointa kysymystä ei ole" in later
    (running,) = all_orders(app)
    assert running.ended_at is None


def test_no_drops_the_suggestion_and_does_nothing(app: Flask, phone: Phone) -> None:
    phone.send("ABC-123 101")
    phone.send("LOEPTA")

    reply = phone.send("EI")

    assert reply == "Selvä, mitään ei tehty."
    assert customer(app).pending is None
    (running,) = all_orders(app)
    assert running.ended_at is None


def test_a_suggestion_expires_after_ten_minutes(app: Flask, phone: Phone, clock: Clock) -> None:
    phone.send("ABC-123 101")
    phone.send("LOEPTA")
    clock.advance(minutes=11)

    reply = phone.send("K")

    assert "Avointa kysymystä ei ole" in reply
    (running,) = all_orders(app)
    assert running.ended_at is None
