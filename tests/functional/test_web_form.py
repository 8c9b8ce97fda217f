"""The web form behind the sign's QR code, over HTTP: the same order backend as SMS,
payment through /pay/<token> (demo and Stripe Checkout), and the printable sign."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Channel, Customer, Order, OrderStatus, Payment
from tests.conftest import PUBLIC_BASE_URL


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def submit(client: FlaskClient, zone: str = "101", lang: str = "fi", **fields: str):
    page = client.get(f"/p/{zone}?lang={lang}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "plate": "abc-123", "duration": "60", **fields}
    return client.post(f"/p/{zone}?lang={lang}", data=data)


def test_the_form_speaks_finnish_swedish_and_english_with_prices(client: FlaskClient) -> None:
    fi = client.get("/p/101").get_data(as_text=True)
    assert '<label for="plate">Rekisterinumero</label>' in fi or 'for="plate"' in fi
    assert "2,40" in fi and "4,80" in fi  # the rate, and two hours' price
    en = client.get("/p/101?lang=en").get_data(as_text=True)
    assert "Until I stop" in en and 'lang="en"' in en
    sv = client.get("/p/101?lang=sv")
    assert sv.status_code == 200 and 'lang="sv"' in sv.get_data(as_text=True)
    assert client.get("/p/999").status_code == 404


def test_the_price_follows_the_chosen_duration(client: FlaskClient) -> None:
    assert client.get("/p/101/quote?minutes=30").json["price_cents"] == 120
    assert client.get("/p/101/quote?minutes=90").json["price_cents"] == 360
    assert client.get("/p/101/quote?minutes=open").json["price_cents"] == 0
    assert client.get("/p/101/quote?minutes=-5").status_code == 400


def test_the_form_parks_through_the_order_backend_and_pays_on_the_demo_page(
    app: Flask, client: FlaskClient
) -> None:
    response = submit(client, phone="040 123 4567")
    assert response.status_code == 303
    pay = response.headers["Location"]
    assert pay.startswith("/pay/")
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.channel, order.status, order.plate_display) == (
            Channel.WEB,
            OrderStatus.AWAITING_PAYMENT,
            "ABC-123",
        )
        assert order.amount_cents == 240
        assert db.session.scalars(select(Customer.phone)).one() == "+358401234567"
        token = db.session.scalars(select(Payment.token)).one()

    demo = client.get(pay)
    assert demo.status_code == 303 and demo.headers["Location"] == f"/demo-pay/{token}"
    done = client.post(f"/demo-pay/{token}?lang=fi", follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Kiitos" in page and "11:00" in page  # paid, valid until 11:00 local time
    with app.app_context():
        assert db.session.scalars(select(Order.status)).one() is OrderStatus.ACTIVE


def test_a_form_without_its_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    response = client.post("/p/101", data={"plate": "ABC-123", "duration": "60"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def test_a_bad_plate_or_phone_is_explained_in_the_drivers_language(
    app: Flask, client: FlaskClient
) -> None:
    bad_plate = submit(client, lang="en", plate="!")
    assert bad_plate.status_code == 400
    assert "Check the plate" in bad_plate.get_data(as_text=True)
    bad_phone = submit(client, lang="en", phone="12")
    assert bad_phone.status_code == 400
    assert "Check the phone number" in bad_phone.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def test_an_operator_prints_a_sign_with_instructions_and_a_qr_code(client: FlaskClient) -> None:
    svg = client.get("/p/101/sign.svg")
    assert svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert "+358 45 1234567" in text and "ABC-123 101" in text and "Kauppatori" in text
    assert f"{PUBLIC_BASE_URL}/p/101" in text
    assert text.count("<svg") == 2  # the sign, and the QR code inside it
    pdf = client.get("/p/101/sign.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
