"""A parking until stopped holds the most it can cost on the card and charges only the
time parked; every text says so: the start asks to reserve (not to pay) the amount, the
confirmation says it is reserved, STATUS shows the cost so far, the stop what was taken
and that the rest is released. Through the signed SMS webhook and the demo payment page.

Zone 102 (Rautatientori) costs 3,00 €/h with a longest stay of 3 h: the hold is 9,00 €.
The clock starts on Monday 23 November 2026 at 10:00 in Helsinki; each language is the
one of the sender's number (Finnish, Swedish, British).
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import OutboundMessage, Payment, PaymentStatus
from tests.channels.test_sms_conversation import SWEDISH_NUMBER, UK_NUMBER, pay_token
from tests.conftest import Clock, Phone

NUMBERS = {"fi": "+358401234567", "sv": SWEDISH_NUMBER, "en": UK_NUMBER}
STATUS = {"fi": "TILA", "sv": "STATUS", "en": "STATUS"}
DONE = {"fi": "LOPETA", "sv": "SLUTA", "en": "DONE"}
WORDS = {
    "fi": {
        "start": "Varaa kortiltasi 9,00 € 10 min kuluessa:",
        "waiting": "kunnes lopetat, tähän mennessä 0,00 € (varaamatta)",
        "reserve": "Varaa kortiltasi 9,00 €; maksat vain pysäköidystä ajasta:",
        "held": "Kortiltasi on varattu 9,00 €; maksat vain pysäköidystä ajasta.",
        "so_far": "kunnes lopetat, tähän mennessä 1,50 €",
        "stopped": "Hinta 1,50 €. Se veloitetaan kortiltasi varatusta summasta (9,00 €), "
        "loput vapautetaan.",
        "pay": "Maksa",
    },
    "sv": {
        "start": "Reservera 9,00 € på ditt kort inom 10 min:",
        "waiting": "tills du slutar, hittills 0,00 € (ej reserverat)",
        "reserve": "Reservera 9,00 € på ditt kort; du betalar bara för den tid du parkerar:",
        "held": "9,00 € har reserverats på ditt kort; du betalar bara för den tid du parkerar.",
        "so_far": "tills du slutar, hittills 1,50 €",
        "stopped": "Pris 1,50 €. Det dras från de 9,00 € som reserverats på ditt kort; "
        "resten frigörs.",
        "pay": "Betala",
    },
    "en": {
        "start": "Reserve €9.00 on your card within 10 min:",
        "waiting": "until you stop, €0.00 so far (not reserved)",
        "reserve": "Reserve €9.00 on your card; you pay only for the time parked:",
        "held": "€9.00 reserved on your card; you pay only for the time parked.",
        "so_far": "until you stop, €1.50 so far",
        "stopped": "Price €1.50. That is taken from the €9.00 reserved on your card; "
        "the rest is released.",
        "pay": "Pay",
    },
}


def _hold_payment(app: Flask) -> Payment:
    """The parking's first payment: the hold (a waived amount gets a record of its own)."""
    with app.app_context():
        payment = db.session.scalars(select(Payment).order_by(Payment.id)).first()
        assert payment is not None
        db.session.expunge(payment)
        return payment


def _confirmations(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body).where(OutboundMessage.purpose == "payment_confirmed")
            )
        )


def _reserve(client: FlaskClient, reply: str) -> None:
    token = pay_token(reply)
    assert client.get(f"/pay/{token}").status_code == 303
    assert client.post(f"/demo-pay/{token}").status_code == 303


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_until_stopped_the_texts_say_reserved_and_charge_only_the_time_parked(
    app: Flask, client: FlaskClient, clock: Clock, lang: str
) -> None:
    words = WORDS[lang]
    driver = Phone(client, number=NUMBERS[lang])

    started = driver.send("ABC-123 102")
    assert words["start"] in started
    assert f"{words['pay']} " not in started  # nothing is paid at the start

    waiting = driver.send(STATUS[lang])
    assert words["waiting"] in waiting
    assert words["reserve"] in waiting
    assert "9,00 €:" not in waiting and "€9.00:" not in waiting  # not "Pay 9,00 €: link"

    _reserve(client, started)
    assert _hold_payment(app).status is PaymentStatus.AUTHORIZED
    assert _hold_payment(app).captured_cents == 0
    (confirmation,) = _confirmations(app)
    assert words["held"] in confirmation
    assert "received" not in confirmation and "vastaanotettu" not in confirmation
    assert "mottagen" not in confirmation

    clock.advance(minutes=30)
    status = driver.send(STATUS[lang])
    assert words["so_far"] in status
    assert "/pay/" not in status

    stopped = driver.send(DONE[lang])
    assert words["stopped"] in stopped
    payment = _hold_payment(app)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert (payment.amount_cents, payment.captured_cents) == (900, 150)


def test_a_stop_below_the_minimum_releases_the_whole_hold(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    _reserve(client, phone.send("ABC-123 102"))
    clock.advance(minutes=5)  # 0,25 €: below the 0,50 € minimum, not charged

    stopped = phone.send("LOPETA")

    assert "Kortiltasi varattu 9,00 € vapautetaan." in stopped
    assert "veloitetaan" not in stopped
    payment = _hold_payment(app)
    assert payment.status is PaymentStatus.CANCELLED
    assert payment.captured_cents == 0


def test_a_prepaid_stop_names_no_reserved_amount(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    _reserve(client, phone.send("ABC-123 102 2h"))
    assert _hold_payment(app).status is PaymentStatus.SUCCEEDED  # paid, not held
    (confirmation,) = _confirmations(app)
    assert confirmation.startswith("Maksu vastaanotettu.")
    clock.advance(minutes=30)

    stopped = phone.send("LOPETA")

    assert "varat" not in stopped
