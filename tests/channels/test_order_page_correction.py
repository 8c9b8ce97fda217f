"""The order page's "wrong plate or zone?" form (issue 12, the correction window): within
``CORRECTION_MINUTES`` of the start it moves the parking, with no second parking and no
second charge; after it, the form is gone. SQLite and PostgreSQL."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.models import PaymentStatus
from tests.channels.test_order_page import form_fields, pay_demo, the_order
from tests.channels.test_sms_conversation import all_orders, pay, pay_token
from tests.channels.test_sms_corrections import corrected_events, payments
from tests.channels.test_web_form import submit
from tests.conftest import Clock, Phone


def test_the_page_corrects_the_plate_within_the_window(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    pay_demo(client, submit(client, lang="en", duration="open").headers["Location"])
    link = f"/o/{the_order(app).manage_token}"
    clock.advance(minutes=3)
    page = client.get(link + "?lang=en").get_data(as_text=True)
    assert "Wrong plate or zone?" in page

    fields = form_fields(page, "correct-form")
    response = client.post(
        f"{link}/correct?lang=en", data={**fields, "plate": "XYZ-789", "zone": ""}
    )

    assert response.status_code == 303
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Corrected." in after and "XYZ-789" in after
    (order,) = all_orders(app)
    assert order.plate_display == "XYZ-789"
    (event,) = corrected_events(app)
    assert (event["from_plate"], event["to_plate"]) == ("ABC-123", "XYZ-789")


def test_a_dearer_zone_from_the_page_goes_to_pay_the_difference(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, pay_token(phone.send("ABC-123 101 2h")))
    link = f"/o/{the_order(app).manage_token}"
    fields = form_fields(client.get(link).get_data(as_text=True), "correct-form")

    response = client.post(f"{link}/correct", data={**fields, "plate": "", "zone": "102"})

    assert response.status_code == 303 and "/pay/" in response.headers["Location"]
    pay_demo(client, response.headers["Location"])
    (order,) = all_orders(app)
    assert order.zone.code == "102" and order.amount_cents == 600
    assert payments(app) == [
        (PaymentStatus.SUCCEEDED, 480, 480, 0),
        (PaymentStatus.SUCCEEDED, 120, 120, 0),
    ]


def test_after_the_window_the_page_offers_no_correction(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    link = f"/o/{the_order(app).manage_token}"
    fields = form_fields(client.get(link).get_data(as_text=True), "correct-form")
    clock.advance(minutes=16)

    assert "correct-form" not in client.get(link).get_data(as_text=True)
    late = client.post(f"{link}/correct", data={**fields, "plate": "XYZ-789", "zone": ""})
    assert late.status_code == 409
    assert "LOPETA" in late.get_data(as_text=True) or "myöhä" in late.get_data(as_text=True)
    (order,) = all_orders(app)
    assert order.plate_display == "ABC-123"
