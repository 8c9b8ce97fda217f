"""A booking paid by card on the phone, as a parking is: Twilio ``<Pay>`` tokenises the card
and Kanava charges it through its Stripe gateway (here against localstripe)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.backend import zones
from app.extensions import db
from app.models import Order, OrderKind, OrderStatus, OutboundMessage, PaymentStatus
from tests.channels.test_voice_pay import UK_MOBILE, intents_of, tokenised
from tests.channels.voice_caller import Call
from tests.conftest import Clock
from tests.peers.checkout_peer import CheckoutPeer
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures

GARAGE = {
    "code": "501",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 1,
    "booking_hours": {"mon-sun": "06:00-23:00"},
}


def test_a_booking_paid_by_card_on_the_phone_is_booked_and_its_reference_sent(
    app: Flask, clock: Clock, stripe_peer: CheckoutPeer
) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()
    card = tokenised(stripe_peer, "pm_card_visa")
    call = Call(app.test_client(), number=UK_MOBILE)
    call.start()
    call.press("9")
    call.press("3")
    for keys in ("6", "501#", "2", "10#", "2#"):
        call.press(keys)
    call.say("ABC 123")
    assert "costs €4.00" in call.press("1")
    choice = call.press("1")
    assert "To pay by card now, press 1." in choice
    assert "Enter your card details" in call.press("1")

    done = call.pay("success", **card.fields())
    assert "Your card was accepted. Your booking is confirmed." in done
    assert "Your booking reference is" in done
    assert intents_of(stripe_peer, card) == [("succeeded", 400)]
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.kind == OrderKind.BOOKING)).one()
        assert order.status is OrderStatus.BOOKED and order.booking_ref in call.spelled()
        assert [p.status for p in order.payments] == [PaymentStatus.SUCCEEDED]
        [sms] = db.session.scalars(select(OutboundMessage.body)).all()
        assert order.booking_ref in sms and "booking.ics" in sms
