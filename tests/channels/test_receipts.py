"""Receipts: the SMS answer to KUITTI / KVITTO / RECEIPT, the receipt page /r/<token> with
its VAT breakdown, and refunds kept on the payment record (demo gateway: no money moves)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import refunds
from app.config import Operator, load_settings
from app.extensions import db, kanava
from app.models import Payment
from tests.conftest import Clock, Phone


def park_and_pay(phone: Phone, client: FlaskClient, body: str = "ABC-123 101 2h") -> str:
    reply = phone.send(body)
    token = re.search(r"/pay/([\w-]+)", reply)
    assert token, reply
    client.post(f"/demo-pay/{token.group(1)}")
    return token.group(1)


def test_each_language_asks_for_the_receipt_and_gets_the_link(
    phone: Phone, client: FlaskClient
) -> None:
    token = park_and_pay(phone, client)
    for word in ("KUITTI", "KVITTO", "RECEIPT"):
        reply = phone.send(word)
        assert f"https://kanava.test/r/{token}" in reply
        assert "4,80" in reply or "4.80" in reply


def test_the_receipt_page_shows_the_vat_breakdown(phone: Phone, client: FlaskClient) -> None:
    token = park_and_pay(phone, client)
    page = client.get(f"/r/{token}?lang=fi").get_data(as_text=True)
    assert "ABC-123" in page and "101 Kauppatori" in page
    assert re.search(r'id="net">3,82', page)
    assert re.search(r'id="vat">0,98', page)
    assert re.search(r'id="total">4,80', page)
    assert "25,5" in page


def test_the_receipt_number_is_not_the_secret_link(
    app: Flask, phone: Phone, client: FlaskClient
) -> None:
    """A receipt forwarded to an employer must not carry the bearer token that opens it."""
    token = park_and_pay(phone, client)
    page = client.get(f"/r/{token}?lang=en").get_data(as_text=True)
    number = re.search(r'id="receipt-number">([^<]+)<', page)
    assert number, page
    assert token not in number.group(1)
    with app.app_context():
        order_id = db.session.scalars(select(Payment.order_id).where(Payment.token == token)).one()
    assert number.group(1) == f"K-{order_id:07d}"


def test_an_unpaid_or_unknown_payment_has_no_receipt(phone: Phone, client: FlaskClient) -> None:
    reply = phone.send("ABC-123 101 2h")
    token = re.search(r"/pay/([\w-]+)", reply)
    assert token
    assert client.get(f"/r/{token.group(1)}").status_code == 404
    assert client.get("/r/nothing-here").status_code == 404


def test_a_partial_refund_is_kept_on_the_payment_and_shown_on_the_receipt(
    app: Flask, phone: Phone, client: FlaskClient, clock: Clock
) -> None:
    token = park_and_pay(phone, client)
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        refunds.refund(db.session(), kanava(), payment, 80, now=clock(), reason="goodwill")
        db.session.commit()
        assert (payment.refunded_cents, payment.refunded_at) == (80, clock())
        try:
            refunds.refund(db.session(), kanava(), payment, 500, now=clock())
        except refunds.RefundNotPossible as exc:
            assert exc.code == "bad_amount"
        else:
            raise AssertionError("refunded more than was paid")
    page = client.get(f"/r/{token}?lang=en").get_data(as_text=True)
    assert re.search(r'id="total">€4.00', page) and re.search(r'id="refunded">€0.80', page)


def test_a_prepaid_parking_stopped_early_refunds_the_unused_minutes(
    app: Flask, phone: Phone, client: FlaskClient, clock: Clock
) -> None:
    park_and_pay(phone, client)
    clock.advance(minutes=60)
    reply = phone.send("LOPETA")
    assert "Hinta 2,40 €" in reply
    assert "2,40 € käyttämättömästä ajasta palautetaan kortillesi" in reply
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        assert (payment.captured_cents, payment.refunded_cents) == (480, 240)


@pytest.mark.parametrize(
    "settings_overrides",
    [{"operator": Operator(name="Pysäköinti Oy", business_id="1234567-8")}],
)
def test_the_receipt_names_the_seller_and_their_business_id(
    phone: Phone, client: FlaskClient
) -> None:
    token = park_and_pay(phone, client)
    fi = client.get(f"/r/{token}?lang=fi").get_data(as_text=True)
    assert "Myyjä" in fi and 'id="seller">Pysäköinti Oy<' in fi
    assert "Y-tunnus" in fi and 'id="business-id">1234567-8<' in fi
    sv = client.get(f"/r/{token}?lang=sv").get_data(as_text=True)
    assert "Säljare" in sv and "FO-nummer" in sv


def test_by_default_the_receipt_names_the_demo_seller_without_a_business_id(
    phone: Phone, client: FlaskClient
) -> None:
    token = park_and_pay(phone, client)
    page = client.get(f"/r/{token}?lang=en").get_data(as_text=True)
    assert 'id="seller">Kanava demo<' in page
    assert "Business ID" not in page and 'id="business-id"' not in page


def test_the_seller_comes_from_operator_name_and_operator_business_id(tmp_path: Path) -> None:
    env = {"OPERATOR_NAME": "Pysäköinti Oy", "OPERATOR_BUSINESS_ID": "1234567-8"}
    assert load_settings(env, tmp_path).operator == Operator("Pysäköinti Oy", "1234567-8")
    assert load_settings({}, tmp_path).operator == Operator("Kanava demo", None)
