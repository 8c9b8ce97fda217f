"""An extension counts only when it is paid, or for the payment grace after it was asked.

The driver texts the signed webhook, pays on the demo page (or does not), the attendant's
handheld asks ``/api/v1/plates``, and the clock's duties run at a moved clock as
``jobs tick`` would. Zone 101 costs 2.40 EUR/h; the clock starts on Monday 23 November
2026 at 10:00 in Helsinki, and the payment grace is 10 minutes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import orders
from app.clock import duties
from app.extensions import db
from app.kernel import Kanava
from app.models import Event, EventKind, Order, OrderStatus, OutboundMessage, PaymentStatus
from tests.conftest import HELSINKI, PUBLIC_BASE_URL, Clock, Phone


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=HELSINKI)


def pay_token(reply: str) -> str:
    assert "/pay/" in reply, reply
    return reply.split("/pay/")[1].split()[0].rstrip(".")


def pay(client: FlaskClient, reply: str) -> None:
    assert client.post(f"/demo-pay/{pay_token(reply)}").status_code == 303


def check(client: FlaskClient, token: str, plate: str = "ABC-123", zone: str = "101") -> Any:
    response = client.get(
        f"/api/v1/plates/{plate}?zone={zone}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def tick(app: Flask, clock: Clock, hour: int, minute: int) -> duties.TickReport:
    clock.now = _at(hour, minute)
    with app.app_context():
        return duties.run_due(db.session(), _kanava(app), clock())


def the_order(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order is not None
        order.payments  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return order


def texts(app: Flask, purpose: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.purpose == purpose)
                .order_by(OutboundMessage.id)
            )
        )


def order_events(app: Flask, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        found = db.session.scalars(
            select(Event).where(Event.kind == EventKind.ORDER).order_by(Event.id)
        ).all()
        return [dict(e.data) for e in found if (e.data or {}).get("action") == action]


def paid_until_noon_then_extended(client: FlaskClient, phone: Phone, clock: Clock) -> str:
    """10:00 park 2 h and pay; 10:20 JATKA 30 without paying. Returns the extension reply."""
    pay(client, phone.send("ABC-123 101 2h"))
    clock.now = _at(10, 20)
    return phone.send("JATKA 30")


# ---- what the handheld says -------------------------------------------------------------


def test_an_unpaid_extension_is_not_valid_past_the_paid_end(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    reply = paid_until_noon_then_extended(client, phone, clock)
    assert "12.30" in reply and "/pay/" in reply
    clock.now = _at(10, 25)

    body = check(client, api_token)

    assert body["valid"] is True
    assert body["status"] == "awaiting_payment", "an extension waits for its payment"
    assert body["valid_until"] == "2026-11-23T12:00:00+02:00", "the paid end, not 12:30"
    with app.app_context():
        found = orders.check_plate(db.session(), _kanava(app), "ABC-123", "101", clock())
        assert found.paid is False
        order = db.session.get(Order, found.order_id)
        assert order is not None
        assert orders.debt_cents(order) == 120
        owed = orders.owed(_kanava(app), order)
        assert owed is not None and owed.cents == 120 and owed.paid_until == _at(12, 0)
        assert owed.link is not None and pay_token(reply) in owed.link


def test_an_extension_asked_at_the_end_counts_for_the_grace_only(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    pay(client, phone.send("ABC-123 101 30min"))  # until 10:30
    clock.now = _at(10, 25)
    phone.send("JATKA 30")  # until 11:00, unpaid; grace until 10:35

    clock.now = _at(10, 32)
    inside = check(client, api_token)
    assert (inside["valid"], inside["status"]) == (True, "awaiting_payment")
    assert inside["valid_until"] == "2026-11-23T10:35:00+02:00"

    clock.now = _at(10, 36)  # the grace is over; the clock has not swept yet
    after = check(client, api_token)
    assert (after["valid"], after["status"]) == (False, "expired")
    assert after["valid_until"] == "2026-11-23T10:35:00+02:00"


def test_a_paid_extension_is_valid_until_its_end(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    pay(client, paid_until_noon_then_extended(client, phone, clock))
    clock.now = _at(10, 40)  # past the grace: paid, so nothing lapses

    tick(app, clock, 10, 40)
    body = check(client, api_token)

    assert (body["valid"], body["status"]) == (True, "active")
    assert body["valid_until"] == "2026-11-23T12:30:00+02:00"
    order = the_order(app)
    assert (order.ends_at, order.unpaid_from, order.amount_cents) == (_at(12, 30), None, 600)
    with app.app_context():
        found = orders.check_plate(db.session(), _kanava(app), "ABC-123", "101", clock())
        assert found.paid is True
    assert texts(app, "extension_lapsed") == []


def test_an_order_still_awaiting_its_first_payment_grows_its_payment_and_keeps_its_grace(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    first = phone.send("ABC-123 101 2h")
    clock.now = _at(10, 2)
    phone.send("JATKA 30")

    clock.now = _at(10, 5)
    unpaid = check(client, api_token)
    assert (unpaid["status"], unpaid["valid_until"]) == (
        "awaiting_payment",
        "2026-11-23T10:10:00+02:00",
    )
    (payment,) = the_order(app).payments
    assert (payment.status, payment.amount_cents) == (PaymentStatus.PENDING, 600)

    pay(client, first)
    paid = check(client, api_token)
    assert (paid["status"], paid["valid_until"]) == ("active", "2026-11-23T12:30:00+02:00")
    assert the_order(app).unpaid_from is None


def test_a_new_unpaid_parking_counts_for_the_grace(
    client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    phone.send("ABC-123 101 2h")
    clock.now = _at(10, 9)

    body = check(client, api_token)

    assert (body["valid"], body["status"]) == (True, "awaiting_payment")
    assert body["valid_until"] == "2026-11-23T10:10:00+02:00"


# ---- when the grace passes -----------------------------------------------------------


def test_an_unpaid_extension_lapses_after_the_grace_and_the_driver_is_told_once(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    paid_until_noon_then_extended(client, phone, clock)

    assert tick(app, clock, 10, 29).extensions_lapsed == 0
    report = tick(app, clock, 10, 30)
    assert report.extensions_lapsed == 1
    tick(app, clock, 10, 31)

    order = the_order(app)
    assert order.status is OrderStatus.ACTIVE
    assert (order.ends_at, order.unpaid_from, order.payment_due_at) == (_at(12, 0), None, None)
    assert order.amount_cents == 480
    first, extension = order.payments
    assert first.status is PaymentStatus.SUCCEEDED
    assert (extension.status, extension.amount_cents) == (PaymentStatus.CANCELLED, 120)
    (told,) = texts(app, "extension_lapsed")
    assert "ABC-123" in told and "12.00" in told and "JATKA 15" in told
    (lapsed,) = order_events(app, "extension_lapsed")
    assert lapsed["plate"] == "ABC-123" and lapsed["zone"] == "101"
    assert (lapsed["amount_cents"], lapsed["currency"]) == (120, "EUR")
    assert lapsed["from"] == _at(12, 30).astimezone(UTC).isoformat()
    assert lapsed["to"] == _at(12, 0).astimezone(UTC).isoformat()
    body = check(client, api_token)
    assert (body["valid"], body["status"]) == (True, "active")
    assert body["valid_until"] == "2026-11-23T12:00:00+02:00"

    # The link of the lapsed extension no longer takes money.
    client.post(f"/demo-pay/{extension.token}")
    after = the_order(app)
    assert after.payments[1].status is PaymentStatus.CANCELLED
    assert after.ends_at == _at(12, 0)


def test_an_extension_lapsing_after_the_paid_end_ends_the_parking_there(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    pay(client, phone.send("ABC-123 101 30min"))  # until 10:30
    clock.now = _at(10, 25)
    phone.send("JATKA 30")

    report = tick(app, clock, 10, 36)

    assert report.extensions_lapsed == 1 and report.expired == 1
    order = the_order(app)
    assert order.status is OrderStatus.EXPIRED
    assert (order.ends_at, order.ended_at, order.amount_cents) == (_at(10, 30), _at(10, 30), 120)
    assert check(client, api_token)["valid"] is False


def test_an_extension_paid_within_the_grace_stands(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = paid_until_noon_then_extended(client, phone, clock)
    clock.now = _at(10, 29)
    pay(client, reply)

    assert tick(app, clock, 10, 31).extensions_lapsed == 0
    assert the_order(app).ends_at == _at(12, 30)
    (confirmed,) = texts(app, "payment_confirmed")[1:]
    assert "12.30" in confirmed


# ---- what the driver is told ---------------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [{"payment_grace_minutes": 30}])
def test_the_reminder_names_the_paid_end_and_the_debt_with_its_link(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 101 30min"))  # until 10:30
    clock.now = _at(10, 15)
    extension = phone.send("JATKA 30")  # until 11:00, 1.20 EUR unpaid, grace until 10:45

    tick(app, clock, 10, 20)  # ten minutes before the paid end

    (reminder,) = texts(app, "reminder")
    assert "10.30" in reminder, "the paid end"
    assert "11.00" not in reminder or "1,20" in reminder
    assert "1,20" in reminder and pay_token(extension) in reminder


def test_status_names_the_paid_end_and_the_debt(
    client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    extension = paid_until_noon_then_extended(client, phone, clock)
    clock.now = _at(10, 22)

    status = phone.send("TILA")

    assert "12.00" in status and "12.30" in status
    assert "1,20" in status and pay_token(extension) in status


def test_parking_again_names_the_paid_end_and_the_debt_of_the_extension(
    client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    extension = paid_until_noon_then_extended(client, phone, clock)
    clock.now = _at(10, 22)

    again = phone.send("ABC-123 101 2h")

    assert "ABC-123" in again and "maksettu 12.00 asti" in again
    assert "12.30" in again and "ei ole maksettu" in again
    assert f"1,20 €: {PUBLIC_BASE_URL}/pay/{pay_token(extension)}" in again
    assert "on jo pysäköitynä alueella 101 12.30 asti" not in again


def test_stopping_with_an_unpaid_extension_charges_only_the_time_used(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    paid_until_noon_then_extended(client, phone, clock)
    clock.now = _at(10, 25)

    stopped = phone.send("LOPETA")

    assert "/pay/" not in stopped
    order = the_order(app)
    assert (order.status, order.amount_cents, order.unpaid_from) == (OrderStatus.ENDED, 100, None)
    first, extension = order.payments
    assert (first.captured_cents, first.refunded_cents) == (480, 380)
    assert extension.status is PaymentStatus.CANCELLED
    assert orders.debt_cents(order) == 0


def test_the_order_page_of_a_paid_parking_says_it_is_valid_and_names_the_unpaid_extension(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    extension = pay_token(paid_until_noon_then_extended(client, phone, clock))
    clock.now = _at(10, 25)
    link = f"/o/{the_order(app).manage_token}"

    page = client.get(f"{link}?lang=en").get_data(as_text=True)

    assert '<h1 id="result">Parking is valid</h1>' in page
    assert "Paid until 12:00. The extension until 12:30 is not paid yet." in page
    assert re.search(rf'id="pay" href="[^"]*/pay/{extension}\?lang=en">Pay €1.20<', page)
    finnish = client.get(f"{link}?lang=fi").get_data(as_text=True)
    assert '<h1 id="result">Pysäköinti on voimassa</h1>' in finnish
    assert "Odottaa maksua" not in finnish


def test_the_first_payments_page_names_the_extension_not_paid_yet(
    client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    first = pay_token(phone.send("ABC-123 101 2h"))
    assert client.post(f"/demo-pay/{first}").status_code == 303
    clock.now = _at(10, 20)
    extension = pay_token(phone.send("JATKA 30"))

    page = client.get(f"/pay/{first}?lang=en").get_data(as_text=True)

    assert "Thank you, payment received" in page
    assert (
        "Paid until 23.11.2026 12:00. The extension until 23.11.2026 12:30 is not paid yet."
        in page
    )
    assert "valid until 23.11.2026 12:30" not in page.lower()
    assert f"/pay/{extension}" in page
