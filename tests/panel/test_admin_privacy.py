"""An admin answers a data subject's request in the panel: from the customer's timeline,
a confirmation page, then the JSON download or the erasure; both recorded with the admin's
name. Attendants cannot do either."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Customer, Event, Order
from tests.conftest import Clock, Phone
from tests.panel.test_admin import (
    ADMIN_PASSWORD,
    ATTENDANT_PASSWORD,
    confirmation,
    make_user,
    park_and_pay,
    sign_in,
)

DRIVER = "+358401234567"


def customer_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(select(Customer.id)).one()


def audit(app: Flask) -> list[tuple[str | None, str | None]]:
    with app.app_context():
        return [
            (e.intent, e.actor)
            for e in db.session.scalars(
                select(Event).where(Event.intent.like("privacy_%")).order_by(Event.id)
            )
        ]


def test_an_admin_exports_a_customers_data_from_the_timeline(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 1h")
    phone.send("LOPETA")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    timeline = client.get("/admin/timeline", query_string={"q": DRIVER, "lang": "en"})
    page = timeline.get_data(as_text=True)
    link = re.search(r'href="(/admin/customers/\d+/export)"', page)
    assert link, page

    text, action, fields = confirmation(client, link.group(1), lang="en")
    assert "Export the data of +358401234567?" in text
    response = client.post(action, data=fields)

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["customer"]["phone"] == DRIVER
    assert data["orders"][0]["plate"] == "ABC-123"
    assert audit(app) == [("privacy_export", "boss")]


def test_an_admin_erases_a_customer_after_the_confirmation(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 1h")
    phone.send("LOPETA")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    cid = customer_id(app)

    text, action, fields = confirmation(client, f"/admin/customers/{cid}/erase", lang="en")
    assert "Erase +358401234567?" in text
    assert "Orders, payments and receipts stay for accounting" in text
    done = client.post(action + "?lang=en", data=fields, follow_redirects=True)

    assert "Customer erased. 1 orders kept for accounting" in done.get_data(as_text=True)
    with app.app_context():
        customer = db.session.get(Customer, cid)
        assert customer is not None and customer.phone == f"erased-{cid}"
        assert db.session.scalars(select(Order.plate_display)).one() == "ABC-123"
    assert audit(app) == [("privacy_erase", "boss")]
    gone = client.get("/admin/timeline", query_string={"q": DRIVER, "lang": "en"})
    assert f"Nothing found for {DRIVER}." in gone.get_data(as_text=True)
    assert client.get(f"/admin/customers/{cid}/erase").status_code == 404


def test_a_get_or_an_unconfirmed_post_erases_nothing(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("OHJE")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    cid = customer_id(app)
    _, action, fields = confirmation(client, f"/admin/customers/{cid}/erase", lang="en")
    fields.pop("confirmed")
    response = client.post(action, data=fields)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/customers/{cid}/erase")
    assert audit(app) == []


def test_a_running_parking_is_not_erased(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 1h")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    page = client.get(f"/admin/customers/{customer_id(app)}/erase?lang=en")
    assert page.status_code == 409
    assert "Erase after it has ended" in page.get_data(as_text=True)


def test_attendants_can_neither_export_nor_erase(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("OHJE")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    cid = customer_id(app)
    assert client.get(f"/admin/customers/{cid}/export").status_code == 403
    assert client.get(f"/admin/customers/{cid}/erase").status_code == 403
    timeline = client.get("/admin/timeline", query_string={"q": DRIVER})
    assert "/erase" not in timeline.get_data(as_text=True)
