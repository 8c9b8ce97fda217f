"""Amounts below the provider's minimum charge (0.50 EUR) are never asked and never
captured, in every channel alike (:func:`app.backend.ledger.asks_for`): no payment link,
checkout or charge is made for them, a held card is released instead of captured, and
what is let go is recorded as a ``waived`` payment event. The driver reads it plainly.

Zone 101 costs 2.40 EUR/h, paid Monday to Friday 08-18; the clock starts on Monday
23 November 2026 at 10:00 in Helsinki.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import ledger, orders, receipts
from app.extensions import db
from app.models import Event, EventKind, Order, OrderStatus, Payment, PaymentStatus
from tests.channels.test_order_page import form_fields, pay_demo
from tests.channels.test_web_form import submit
from tests.conftest import HELSINKI, Clock, Phone

NOT_CHARGED_FI = "Alle 0,50 € summia ei veloiteta"


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=HELSINKI)


def the_order(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id)).one()
        order.payments  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return order


def payment_events(app: Flask, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        found = db.session.scalars(
            select(Event).where(Event.kind == EventKind.PAYMENT).order_by(Event.id)
        ).all()
        return [dict(e.data) for e in found if (e.data or {}).get("action") == action]


def visible_text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_the_policy_is_decided_in_one_place() -> None:
    assert not ledger.asks_for(49, "EUR") and ledger.asks_for(50, "EUR")
    assert ledger.below_minimum(1, "EUR") and not ledger.below_minimum(0, "EUR")
    assert not ledger.below_minimum(50, "EUR")


def test_sms_a_held_card_is_released_not_captured_below_the_minimum(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101")  # until stopped: the link holds the card
    token = reply.split("/pay/")[1].split()[0].rstrip(".")
    client.post(f"/demo-pay/{token}")
    (held,) = the_order(app).payments
    assert held.status is PaymentStatus.AUTHORIZED
    clock.now = _at(10, 2)  # 2 min: 0.08 EUR

    stopped = phone.send("LOPETA")

    assert "0,08 €" in stopped and NOT_CHARGED_FI in stopped
    assert "/pay/" not in stopped
    order = the_order(app)
    assert (order.status, order.amount_cents) == (OrderStatus.ENDED, 8)
    first, waived = order.payments
    assert (first.status, first.captured_cents) == (PaymentStatus.CANCELLED, 0), "released"
    assert (waived.status, waived.failure_reason, waived.amount_cents) == (
        PaymentStatus.CANCELLED,
        ledger.WAIVED,
        8,
    )
    assert payment_events(app, "captured") == []
    assert [e["amount_cents"] for e in payment_events(app, "released")] == [held.amount_cents]
    (event,) = payment_events(app, "waived")
    assert (event["amount_cents"], event["currency"]) == (8, "EUR")
    assert ledger.paid_total(order) == 0 and orders.debt_cents(order) == 0


def test_web_form_a_stay_below_the_minimum_asks_nothing_and_says_so(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    clock.now = _at(17, 50)  # 30 min, of which 10 paid: 0.40 EUR
    form = visible_text(client.get("/p/101?lang=fi").get_data(as_text=True))
    assert "0,40 €" in form and "ei veloiteta" in form

    response = submit(client, duration="30")

    assert response.status_code == 303
    location = response.headers["Location"]
    assert "/pay/" not in location and "done=parked" in location
    page = visible_text(client.get(location).get_data(as_text=True))
    assert NOT_CHARGED_FI in page
    order = the_order(app)
    assert order.status is OrderStatus.ACTIVE
    assert order.payments == [], "no payment record asks for it"
    assert [e["amount_cents"] for e in payment_events(app, "deferred")] == [40]


def test_order_page_an_extension_below_the_minimum_asks_nothing(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    clock.now = _at(17, 25)
    paid = pay_demo(client, submit(client, duration="30").headers["Location"])  # until 17:55
    assert "Kiitos" in paid
    order = the_order(app)
    link = f"/o/{order.manage_token}"
    clock.now = _at(17, 40)
    fields = form_fields(client.get(link + "?lang=fi").get_data(as_text=True), "extend-form")

    extended = client.post(f"{link}/extend?lang=fi", data={**fields, "minutes": "15"})

    assert extended.status_code == 303  # 15 min more, 5 of them paid: 0.20 EUR
    assert "/pay/" not in extended.headers["Location"]
    page = visible_text(client.get(extended.headers["Location"]).get_data(as_text=True))
    assert NOT_CHARGED_FI in page
    order = the_order(app)
    assert order.ends_at == _at(18, 10) and order.unpaid_from is None
    assert [p.status for p in order.payments] == [PaymentStatus.SUCCEEDED]
    assert [e["amount_cents"] for e in payment_events(app, "deferred")] == [20]


def test_a_pending_payment_below_the_minimum_is_never_sent_to_a_checkout(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    """A link left asking less than the minimum (from before the policy) waives it."""
    token = phone.send("ABC-123 101 1h").split("/pay/")[1].split()[0].rstrip(".")
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        payment.amount_cents = 30
        db.session.commit()

    response = client.get(f"/pay/{token}?lang=fi")

    assert response.status_code in (200, 303)
    assert "/demo-pay/" not in response.headers.get("Location", "")
    (payment,) = the_order(app).payments
    assert (payment.status, payment.failure_reason) == (PaymentStatus.CANCELLED, ledger.WAIVED)
    assert [e["amount_cents"] for e in payment_events(app, "waived")] == [30]
    assert client.post(f"/demo-pay/{token}").status_code == 409


def test_order_page_stop_confirmation_says_a_small_amount_is_not_taken_from_the_hold(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    clock.now = _at(10, 0)
    paid = pay_demo(client, submit(client, duration="open").headers["Location"])  # until stopped
    assert "Kiitos" in paid
    order = the_order(app)
    assert order.payments[0].status is PaymentStatus.AUTHORIZED
    clock.now = _at(10, 1)  # 1 min: 0.04 EUR, under the minimum

    page = visible_text(client.get(f"/o/{order.manage_token}/stop?lang=fi").get_data(as_text=True))

    assert "veloitetaan korttiisi" not in page and "0,04 €" in page
    assert NOT_CHARGED_FI in page


def _kept_nothing_of_a_prepaid_hour(app: Flask) -> None:
    """The order stopped after 1 min of a prepaid hour: it cost 0.04 EUR, under the minimum,
    so all 2.40 paid went back and the 0.04 was waived, as a stop of an unpaid parking
    waives it; the receipt shows no charge, so no VAT."""
    order = the_order(app)
    assert (order.status, order.amount_cents) == (OrderStatus.ENDED, 4)
    paid, waived = order.payments
    assert (paid.status, paid.captured_cents, paid.refunded_cents) == (
        PaymentStatus.SUCCEEDED,
        240,
        240,
    )
    assert (waived.failure_reason, waived.amount_cents) == (ledger.WAIVED, 4)
    assert ledger.paid_total(order) == 0 and orders.debt_cents(order) == 0
    assert [e["amount_cents"] for e in payment_events(app, "waived")] == [4]
    with app.app_context():
        receipt = receipts.receipt_of_order(app.extensions["kanava"], the_order_in_session())
        assert receipt is not None
        assert (receipt.charged_cents, receipt.refunded_cents) == (240, 240)
        assert (receipt.waived_cents, receipt.gross_cents, receipt.vat_cents) == (4, 0, 0)


def the_order_in_session() -> Order:
    return db.session.scalars(select(Order)).one()


def test_web_a_prepaid_parking_stopped_under_the_minimum_keeps_nothing(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    clock.now = _at(10, 0)
    pay_demo(client, submit(client, duration="60").headers["Location"])  # 2.40 EUR paid
    link = f"/o/{the_order(app).manage_token}"
    clock.now = _at(10, 1)
    confirm = client.get(f"{link}/stop?lang=fi").get_data(as_text=True)
    preview = visible_text(confirm)
    assert "Maksamastasi summasta 2,40 € palautetaan" in preview and NOT_CHARGED_FI in preview

    stopped = client.post(f"{link}/stop?lang=fi", data=form_fields(confirm, "stop-confirm"))

    assert stopped.status_code == 303
    _kept_nothing_of_a_prepaid_hour(app)


def test_sms_a_prepaid_parking_stopped_under_the_minimum_keeps_nothing(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101 1h")
    client.post(f"/demo-pay/{reply.split('/pay/')[1].split()[0].rstrip('.')}")
    clock.now = _at(10, 1)

    stopped = phone.send("LOPETA")

    assert NOT_CHARGED_FI in stopped and "2,40 €" in stopped, stopped
    _kept_nothing_of_a_prepaid_hour(app)
