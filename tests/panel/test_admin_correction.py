"""Staff correct a parking's plate or zone within the correction window (issue 12): a
confirmation naming the change and the money, then one parking moved, the driver told by
SMS, the timeline showing before and after. SQLite and PostgreSQL."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.models import PaymentStatus
from tests.channels.test_sms_corrections import corrected_events, payments
from tests.conftest import Clock, Phone
from tests.panel.test_admin import confirmation, park_and_pay, the_order
from tests.panel.test_admin_confirm import admin, sms_count


def test_staff_correct_the_zone_after_a_confirmation_naming_the_difference(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 2h")
    admin(app, client, clock)
    order = the_order(app)
    clock.advance(minutes=5)
    timeline = client.get("/admin/timeline?q=%2B358401234567&lang=en").get_data(as_text=True)
    assert f'id="correct-{order.id}"' in timeline

    text, action, fields = confirmation(
        client, f"/admin/orders/{order.id}/correct", lang="en", plate="", zone="102"
    )
    assert "ABC-123 in zone 101 → ABC-123 in zone 102" in text
    assert "€1.20 more" in text
    assert the_order(app).zone_id == order.zone_id  # nothing yet

    done = client.post(action + "?lang=en", data=fields, follow_redirects=True)
    again = client.post(action + "?lang=en", data=fields, follow_redirects=True)

    assert "Parking corrected" in done.get_data(as_text=True)
    assert "nothing changed" in again.get_data(as_text=True)
    corrected = the_order(app)
    assert corrected.amount_cents == 600
    assert payments(app) == [
        (PaymentStatus.SUCCEEDED, 480, 480, 0),
        (PaymentStatus.PENDING, 120, 0, 0),
    ]
    (event,) = corrected_events(app)
    assert (event["from_zone"], event["to_zone"]) == ("101", "102")
    assert sms_count(app, "corrected") == 1


def test_after_the_window_staff_are_told_it_is_too_late(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 2h")
    admin(app, client, clock)
    order = the_order(app)
    clock.advance(minutes=20)

    timeline = client.get("/admin/timeline?q=%2B358401234567&lang=en").get_data(as_text=True)
    page = client.get(f"/admin/orders/{order.id}/correct?lang=en&plate=XYZ-789")

    assert f'id="correct-{order.id}"' not in timeline
    assert page.status_code == 409
    assert "Too late to correct" in page.get_data(as_text=True)
