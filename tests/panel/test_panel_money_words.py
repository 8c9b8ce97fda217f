"""The panel's money named right (issue 9, round 2, point 10): an extension's confirmation
names the booked price and what was refunded of it; the zone board's ended parkings show
their money."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Clock, Phone
from tests.panel.test_admin import (
    ADMIN_PASSWORD,
    ATTENDANT_PASSWORD,
    confirmation,
    make_user,
    park_and_pay,
    sign_in,
    the_order,
)
from tests.panel.test_admin_confirm import admin, only_payment


def test_the_extend_confirmation_names_the_booked_price_and_the_refund(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 2h")
    admin(app, client, clock)
    payment = only_payment(app)
    _, action, fields = confirmation(
        client, f"/admin/payments/{payment.id}/refund", lang="en", amount="1,50"
    )
    client.post(action + "?lang=en", data=fields)
    order = the_order(app)

    text, _, _ = confirmation(client, f"/admin/orders/{order.id}/extend", lang="en", minutes="30")

    assert "Price before this extension €4.80" in text, text
    assert "Refunded €1.50" in text, text
    assert "Price so far" not in text


def test_the_zone_board_shows_the_money_of_ended_parkings(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 1h")
    clock.advance(minutes=30)
    phone.send("LOPETA")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    page = client.get("/admin/zones/101/board?lang=en").get_data(as_text=True)

    _, ended = page.split("Ended in the last two hours")
    assert "ABC-123" in ended
    assert "paid €1.20 (€1.20 refunded)" in ended, ended  # net paid, and given back


__all__ = ["ADMIN_PASSWORD"]
