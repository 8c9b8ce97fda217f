"""A plate search on the timeline can find several customers: each export / erase pair
names whose it is (the number masked), so staff do not erase the wrong driver."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Customer
from tests.conftest import Clock, Phone
from tests.panel.test_admin import ADMIN_PASSWORD, make_user, sign_in


def test_each_customers_export_and_erase_links_name_the_masked_number(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 1h")
    clock.advance(minutes=1)
    phone.send("LOPETA")
    Phone(client, number="+358401110005").send("ABC-123 102 1h")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    with app.app_context():
        ids = {c.phone: c.id for c in db.session.scalars(select(Customer))}

    page = client.get("/admin/timeline?lang=en&q=ABC-123").get_data(as_text=True)

    pairs = re.findall(r'<p class="privacy-actions">(.*?)</p>', page, re.S)
    assert len(pairs) == 2
    for number, masked in (("+358401234567", "+358…4567"), ("+358401110005", "+358…0005")):
        (pair,) = [p for p in pairs if f"/customers/{ids[number]}/" in p]
        assert masked in pair and number not in pair
