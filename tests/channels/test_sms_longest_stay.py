"""A driver who asks for more time than the zone's longest stay is told so, by SMS.

Zone 101 (Kauppatori) allows at most 4 h and zone 202 (Kallio) 2 h. The clock starts
on Monday 23 November 2026 at 10:00 in Helsinki; each language is the one of the
sender's number (Finnish, Swedish, British).
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.channels.test_sms_conversation import (
    MONDAY,
    SWEDISH_NUMBER,
    UK_NUMBER,
    all_orders,
    local,
)
from tests.conftest import Clock, Phone

NUMBERS = {"fi": "+358401234567", "sv": SWEDISH_NUMBER, "en": UK_NUMBER}
# The reply's own words: until 14:00 (10:00 + 4 h), and why.
TOO_LONG = {
    "fi": "14.00 asti, koska alueen enimmäisaika on 4 h.",
    "sv": "till 14:00, eftersom zonens längsta tid är 4 h.",
    "en": "until 14:00, as the zone allows at most 4 h.",
}
EXTENDED_TOO_LONG = {
    "fi": "nyt 12.00 asti. Lisähinta 1,20 €. Alueen enimmäisaika on 2 h.",
    "sv": "nu till 12:00. Tillägg 1,20 €. Zonens längsta tid är 2 h.",
    "en": "now until 12:00. Added €1.20. The zone allows at most 2 h.",
}
EXTEND = {"fi": "JATKA 2h", "sv": "FÖRLÄNG 2h", "en": "EXTEND 2h"}
MORE_TIME = {"fi": "JATKA", "sv": "FÖRLÄNG", "en": "EXTEND"}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_ten_hours_in_a_four_hour_zone_say_it_ends_at_the_longest_stay(
    app: Flask, client: FlaskClient, lang: str
) -> None:
    reply = Phone(client, number=NUMBERS[lang]).send("ABC-123 101 10h")

    assert TOO_LONG[lang] in reply
    assert "9,60" in reply or "9.60" in reply  # priced for the 4 h parked, not for 10
    assert MORE_TIME[lang] not in reply  # no more time can be added to it
    (order,) = all_orders(app)
    assert order.ends_at == local(*MONDAY, 14, 0)
    assert order.amount_cents == 960
    assert order.language == lang


def test_exactly_the_longest_stay_is_not_called_shortened(app: Flask, phone: Phone) -> None:
    reply = phone.send("ABC-123 101 4h")

    assert "14.00 asti. Hinta 9,60 €." in reply
    assert "enimmäisaika" not in reply
    (order,) = all_orders(app)
    assert order.ends_at == local(*MONDAY, 14, 0)


def test_four_and_a_half_hours_are_shortened_to_four(app: Flask, phone: Phone) -> None:
    reply = phone.send("ABC-123 101 4h 30min")

    assert TOO_LONG["fi"] in reply
    (order,) = all_orders(app)
    assert order.ends_at == local(*MONDAY, 14, 0)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_an_extension_past_the_longest_stay_says_the_zone_allows_at_most_two_hours(
    app: Flask, client: FlaskClient, clock: Clock, lang: str
) -> None:
    driver = Phone(client, number=NUMBERS[lang])
    driver.send("ABC-123 202 1h")  # Kallio: 1.20 €/h, at most 120 min
    clock.advance(minutes=10)

    reply = driver.send(EXTEND[lang])

    assert EXTENDED_TOO_LONG[lang] in reply
    (order,) = all_orders(app)
    assert order.ends_at == local(*MONDAY, 12, 0)
    assert order.amount_cents == 240
