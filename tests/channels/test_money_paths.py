"""Money is never taken without a record, and never kept when nothing was owed.

Through the real ``stripe`` SDK against localstripe (Checkout through the local peer in
front of it): a saved-card charge whose message then fails, a checkout paid after the
parking was cancelled, a held card released by a cancellation, an early stop with an
extension still unpaid, a refund texted for what was refunded, and a clock tick that
goes on with its other work when the provider refuses one capture.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import ledger, users
from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import (
    Event,
    Order,
    OrderStatus,
    OutboundMessage,
    Payment,
    PaymentStatus,
    User,
)
from app.panel import queries as panel
from app.texts import messages
from tests.channels.test_stripe_webhook import (
    first_time_driver_pays_and_saves_card,
    link_token,
    open_checkout,
)
from tests.conftest import Clock, Phone
from tests.peers.checkout_peer import CheckoutPeer
from tests.peers.stripe_app import *  # noqa: F403 - the Stripe fixtures


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def orders_of(app: Flask) -> list[Order]:
    with app.app_context():
        found = list(db.session.scalars(select(Order).order_by(Order.id)))
        for order in found:
            order.payments  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return found


def payments_of(app: Flask) -> list[Payment]:
    with app.app_context():
        found = list(db.session.scalars(select(Payment).order_by(Payment.id)))
        db.session.expunge_all()
        return found


def texts(app: Flask, purpose: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.purpose == purpose)
                .order_by(OutboundMessage.id)
            )
        )


def intents_of_customer(peer: CheckoutPeer, customer_ref: str) -> list[Any]:
    listed = peer.stripe.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
    return [i for i in listed if i.customer == customer_ref]


def refunded_on_stripe(peer: CheckoutPeer, intent_id: str) -> list[int]:
    return [r.amount for r in peer.stripe.v1.refunds.list({"payment_intent": intent_id}).data]


def saved_customer_ref(app: Flask) -> str:
    with app.app_context():
        from app.models import Customer

        ref = db.session.scalars(select(Customer.stripe_customer_id)).one()
        assert ref
        return ref


def staff(app: Flask, clock: Clock) -> int:
    with app.app_context():
        user = users.create_user(db.session, "anna", "admin", "a-long-password-1", clock())
        db.session.commit()
        return user.id


def as_staff(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def fail_once(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make ``messages.<name>`` raise the first time: a fault after the card was charged."""
    real = getattr(messages, name)
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the reply could not be written")
        return real(*args, **kwargs)

    monkeypatch.setattr(messages, name, flaky)


# B2: a saved-card charge in a use case that rolls back --------------------------------------


def test_a_charge_whose_message_failed_is_not_charged_again_when_the_driver_retries(
    app: Flask,
    client: FlaskClient,
    phone: Phone,
    stripe_peer: CheckoutPeer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    customer_ref = saved_customer_ref(app)
    clock.advance(hours=3)
    fail_once(monkeypatch, "parking_started")

    apology = phone.send("ABC-123 101 1h")
    assert "virhe" in apology
    assert len(orders_of(app)) == 1, "the failed message left no order behind"
    charged = [i for i in intents_of_customer(stripe_peer, customer_ref) if i.amount == 240]
    assert len(charged) == 1, "the card was charged before the failure"

    again = phone.send("ABC-123 101 1h")  # the driver tries again: a new message

    assert "ABC-123" in again and "/pay/" not in again
    charged = [i for i in intents_of_customer(stripe_peer, customer_ref) if i.amount == 240]
    assert len(charged) == 1, "the same charge, not a second one"
    last = payments_of(app)[-1]
    assert (last.status, last.provider_ref) == (PaymentStatus.SUCCEEDED, charged[0].id)

    # Its webhook finds the charge recorded: nothing is refunded.
    stripe_peer.send_event("payment_intent.succeeded", charged[0].to_dict())
    assert refunded_on_stripe(stripe_peer, charged[0].id) == []
    assert orders_of(app)[-1].status is OrderStatus.ACTIVE


def test_a_charge_left_without_a_record_is_refunded_when_its_webhook_comes(
    app: Flask,
    client: FlaskClient,
    phone: Phone,
    stripe_peer: CheckoutPeer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    customer_ref = saved_customer_ref(app)
    clock.advance(hours=3)
    fail_once(monkeypatch, "parking_started")
    phone.send("ABC-123 101 1h")
    (orphan,) = [i for i in intents_of_customer(stripe_peer, customer_ref) if i.amount == 240]

    stripe_peer.send_event("payment_intent.succeeded", orphan.to_dict())

    assert refunded_on_stripe(stripe_peer, orphan.id) == [240]
    with app.app_context():
        noted = db.session.scalars(
            select(Event).where(Event.external_id == orphan.id, Event.intent == "orphan_refunded")
        ).all()
        assert len(noted) == 1 and noted[0].customer_id is not None
        assert "refunded" in noted[0].body
    # Stripe delivers the event again: refunded once.
    stripe_peer.send_event("payment_intent.succeeded", orphan.to_dict())
    assert refunded_on_stripe(stripe_peer, orphan.id) == [240]

    # The driver parks again: a new charge, never the refunded one replayed as paid.
    reply = phone.send("ABC-123 101 1h")
    assert "ABC-123" in reply and "/pay/" not in reply
    last = payments_of(app)[-1]
    assert last.status is PaymentStatus.SUCCEEDED and last.provider_ref != orphan.id
    assert refunded_on_stripe(stripe_peer, last.provider_ref or "") == []


# M3: cancelling releases holds, closes checkouts, and late money is returned ------------------


def test_staff_cancelling_closes_the_open_checkout(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    token = link_token(phone.send("ABC-123 101 2h"))
    session_id = open_checkout(client, token, "no")
    user_id = staff(app, clock)
    with app.app_context():
        order_id = db.session.scalars(select(Order.id)).one()
        panel.cancel_order(
            db.session, _kanava(app), as_staff(user_id), order_id, "wrong car", clock()
        )

    assert stripe_peer.sessions[session_id]["status"] == "expired"
    (order,) = orders_of(app)
    assert order.status is OrderStatus.CANCELLED
    assert [p.status for p in order.payments] == [PaymentStatus.CANCELLED]


def test_staff_cancelling_releases_a_held_card(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    token = link_token(phone.send("ABC-123 101"))  # until stopped: the card is held
    stripe_peer.complete(open_checkout(client, token, "no"))
    (held,) = payments_of(app)
    assert held.status is PaymentStatus.AUTHORIZED
    user_id = staff(app, clock)
    with app.app_context():
        panel.cancel_order(db.session, _kanava(app), as_staff(user_id), held.order_id, "", clock())

    intent = stripe_peer.stripe.v1.payment_intents.retrieve(held.provider_ref or "")
    assert intent.status == "canceled"
    (released,) = payments_of(app)
    assert (released.status, released.captured_cents) == (PaymentStatus.CANCELLED, 0)


def test_a_checkout_paid_as_the_clock_cancels_the_parking_is_refunded_and_recorded(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    token = link_token(phone.send("ABC-123 101 2h"))
    session_id = open_checkout(client, token, "no")
    # The driver pays just as the grace time runs out; the event arrives after the sweep.
    payload, headers = stripe_peer.complete(session_id, deliver=False)
    clock.advance(minutes=11)
    with app.app_context():
        report = duties.run_due(db.session(), _kanava(app), clock())
    assert report.cancelled_unpaid == 1

    assert client.post("/stripe/webhook", data=payload, headers=headers).status_code == 200

    (order,) = orders_of(app)
    assert order.status is OrderStatus.CANCELLED
    (payment,) = order.payments
    assert payment.status is PaymentStatus.CANCELLED
    assert (payment.captured_cents, payment.refunded_cents) == (480, 480)
    assert payment.failure_reason == "paid_after_cancel"
    intent_id = stripe_peer.sessions[session_id]["payment_intent"]
    assert payment.provider_ref == intent_id
    assert refunded_on_stripe(stripe_peer, intent_id) == [480]
    (told,) = texts(app, "unexpected_refund")
    assert "4,80" in told and "ABC-123" in told


# M5: an early stop with an extension still unpaid ---------------------------------------------


def paid_two_hours_then_extended(
    app: Flask, client: FlaskClient, phone: Phone, peer: CheckoutPeer, clock: Clock
) -> str:
    token = link_token(phone.send("ABC-123 101 2h"))
    peer.complete(open_checkout(client, token, "no"))
    clock.advance(minutes=20)
    reply = phone.send("JATKA 1h")
    return link_token(reply)


def test_stopping_before_the_paid_time_ran_out_cancels_the_unpaid_extension(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    extension_token = paid_two_hours_then_extended(app, client, phone, stripe_peer, clock)
    extension_checkout = open_checkout(client, extension_token, "no")
    clock.advance(minutes=10)  # 30 minutes parked of the 2 h paid

    stopped = phone.send("LOPETA")

    assert "/pay/" not in stopped
    first, extension = payments_of(app)
    assert (extension.status, extension.amount_cents) == (PaymentStatus.CANCELLED, 240)
    assert stripe_peer.sessions[extension_checkout]["status"] == "expired"
    assert (first.captured_cents, first.refunded_cents) == (480, 360)
    assert orders_of(app)[0].amount_cents == 120


def test_stopping_inside_the_extension_asks_only_for_the_minutes_used(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    extension_token = paid_two_hours_then_extended(app, client, phone, stripe_peer, clock)
    clock.advance(minutes=130)  # 2 h 30 min parked: 30 minutes beyond the paid 2 h

    stopped = phone.send("LOPETA")

    assert link_token(stopped) == extension_token
    _, extension = payments_of(app)
    assert (extension.status, extension.amount_cents) == (PaymentStatus.PENDING, 120)
    assert orders_of(app)[0].amount_cents == 600


# minor: the refund SMS says what was just refunded --------------------------------------------


def test_each_refund_sms_names_the_amount_just_refunded(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    first_time_driver_pays_and_saves_card(app, client, phone, stripe_peer)
    user_id = staff(app, clock)
    (payment,) = payments_of(app)
    with app.app_context():
        panel.refund_payment(
            db.session,
            _kanava(app),
            as_staff(user_id),
            payment.id,
            100,
            "",
            clock(),
            seen_refunded_cents=0,
        )
        panel.refund_payment(
            db.session,
            _kanava(app),
            as_staff(user_id),
            payment.id,
            380,
            "",
            clock(),
            seen_refunded_cents=100,
        )

    first, rest = texts(app, "staff_refund")
    assert "1,00" in first
    assert "3,80" in rest and "4,80" not in rest
    assert refunded_on_stripe(stripe_peer, payment.provider_ref or "") in ([100, 380], [380, 100])


# M2: one failing capture does not stop the clock ----------------------------------------------


def test_a_capture_the_provider_refuses_is_recorded_and_reminders_still_go_out(
    app: Flask, client: FlaskClient, stripe_peer: CheckoutPeer, clock: Clock
) -> None:
    held_driver = Phone(client, number="+358401111111")
    token = link_token(held_driver.send("ABC-123 101"))  # until stopped, at most 4 h
    stripe_peer.complete(open_checkout(client, token, "no"))
    (held,) = payments_of(app)
    # The hold was captured by hand in Stripe's Dashboard: Stripe refuses a second capture.
    stripe_peer.stripe.v1.payment_intents.capture(held.provider_ref or "")
    clock.advance(minutes=5)
    other_driver = Phone(client, number="+358402222222")
    token = link_token(other_driver.send("XYZ-999 101 4h"))  # until 14:05
    stripe_peer.complete(open_checkout(client, token, "no"))
    at_max_stay = clock.advance(minutes=235)  # 14:00: the first parking's longest stay

    with app.app_context():
        report = duties.run_due(db.session(), _kanava(app), at_max_stay)

    assert report.reminders == 1
    (reminder,) = texts(app, "reminder")
    assert "XYZ-999" in reminder
    stuck, other = orders_of(app)
    assert stuck.status is OrderStatus.ACTIVE, "left for a later tick, not half-ended"
    assert stuck.payments[0].status is PaymentStatus.AUTHORIZED
    with app.app_context():
        why = db.session.scalars(
            select(Event.body).where(Event.order_id == stuck.id, Event.intent == "settle_failed")
        ).all()
    assert len(why) == 1 and "not ended" in why[0]

    # The next tick tries again, still fails quietly, and the timeline says it once.
    with app.app_context():
        duties.run_due(db.session(), _kanava(app), at_max_stay + timedelta(minutes=1))
        assert (
            len(
                db.session.scalars(
                    select(Event.id).where(
                        Event.order_id == stuck.id, Event.intent == "settle_failed"
                    )
                ).all()
            )
            == 1
        )
    assert other.status is OrderStatus.ACTIVE


def test_the_pay_link_helper_links_only_what_waits_for_money(
    app: Flask, client: FlaskClient, phone: Phone, stripe_peer: CheckoutPeer
) -> None:
    token = link_token(phone.send("ABC-123 101 2h"))
    with app.app_context():
        payment = ledger.find_by_token(db.session, token)
        assert payment is not None
        k = _kanava(app)
        link = ledger.link_to_pay(k, payment)
        assert link is not None and re.search(rf"/pay/{token}$", link)
        payment.amount_cents = 0
        assert ledger.link_to_pay(k, payment) is None
        payment.amount_cents = 480
        payment.status = PaymentStatus.CANCELLED
        assert ledger.link_to_pay(k, payment) is None
        assert ledger.link_to_pay(k, None) is None
        db.session.rollback()
