"""The order page open in two tabs extends once (round 2, finding 8): each form carries
the end the driver saw, and a form from a page whose parking has changed since does
nothing and says so."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Order, Payment
from tests.channels.test_order_page import form_fields, pay_demo, the_order
from tests.channels.test_web_form import submit
from tests.panel.test_admin_timeline import visible


def test_a_second_tab_does_not_extend_again_and_says_the_parking_changed(
    app: Flask, client: FlaskClient
) -> None:
    pay_demo(client, submit(client, lang="en", duration="60").headers["Location"])
    link = f"/o/{the_order(app).manage_token}"
    first_tab = form_fields(client.get(link + "?lang=en").get_data(as_text=True), "extend-form")
    second_tab = form_fields(client.get(link + "?lang=en").get_data(as_text=True), "extend-form")
    assert first_tab["key"] != second_tab["key"]

    done = client.post(f"{link}/extend?lang=en", data={**first_tab, "minutes": "30"})
    assert done.status_code == 303 and "/pay/" in done.headers["Location"]
    again = client.post(f"{link}/extend?lang=en", data={**second_tab, "minutes": "30"})

    assert again.status_code == 409
    page = visible(again.get_data(as_text=True))
    assert "Your parking changed meanwhile" in page and "nothing was done" in page
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.amount_cents == 360  # 1 h + 30 min, once
        assert len(db.session.scalars(select(Payment)).all()) == 2
    # The page drawn now carries the new end and extends.
    fresh = form_fields(client.get(link + "?lang=en").get_data(as_text=True), "extend-form")
    assert client.post(f"{link}/extend?lang=en", data={**fresh, "minutes": "30"}).status_code == 303
