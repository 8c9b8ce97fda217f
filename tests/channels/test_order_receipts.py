"""A receipt per parking: every payment and refund of the order summed, by SMS (KUITTI,
KVITTO, RECEIPT) and on ``/r/<token>``, whichever of the order's payment links it names.

The numbers are worked out by hand: zone 101 costs 2.40 EUR/h by the started minute,
VAT 25.5 % is included (net = gross / 1.255, rounded half up; VAT = gross - net), and
the demo gateway pays at once.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.backend import receipts
from app.extensions import db
from app.kernel import Kanava
from app.models import Customer, Order
from tests.conftest import HELSINKI, Clock, Phone

RECEIPT_LINK = re.compile(r"https://kanava\.test/r/([\w-]+)")


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def _at(hour: int, minute: int, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HELSINKI)


def pay_token(reply: str) -> str:
    assert "/pay/" in reply, reply
    return reply.split("/pay/")[1].split()[0].rstrip(".")


def pay(client: FlaskClient, reply: str) -> str:
    token = pay_token(reply)
    assert client.post(f"/demo-pay/{token}").status_code == 303
    return token


def receipt_token(reply: str) -> str:
    match = RECEIPT_LINK.search(reply)
    assert match, reply
    return match.group(1)


def cell(page: str, id_: str) -> str:
    match = re.search(rf'id="{id_}">([^<]*)<', page)
    assert match, f"no #{id_} in the page"
    return match.group(1).replace("\xa0", " ")


def paid_extended_then_stopped_early(client: FlaskClient, phone: Phone, clock: Clock) -> list[str]:
    """10:00 park 2 h, pay 4.80; 10:20 extend 1 h, pay 2.40; 11:00 stop.

    1 h used costs 2.40: of the 7.20 paid, 4.80 goes back, newest payment first: the
    extension's 2.40 in full, then 2.40 of the first payment. Returns both pay tokens.
    """
    first = pay(client, phone.send("ABC-123 101 2h"))
    clock.now = _at(10, 20)
    extension = pay(client, phone.send("JATKA 1h"))
    clock.now = _at(11, 0)
    stopped = phone.send("LOPETA")
    assert "2,40" in stopped
    return [first, extension]


def test_kuitti_sums_the_parkings_payments_and_refunds(
    client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    first, extension = paid_extended_then_stopped_early(client, phone, clock)

    for word in ("KUITTI", "KVITTO", "RECEIPT"):
        reply = phone.send(word)
        assert "ABC-123" in reply and "101" in reply
        assert "7,20" in reply or "7.20" in reply, "what was charged"
        assert "4,80" in reply or "4.80" in reply, "what was refunded"
        assert "2,40" in reply or "2.40" in reply, "what the parking cost in the end"
        assert not re.search(r"\b0,00 €|€0\.00", reply), "not the empty receipt of a refund"
        assert receipt_token(reply) in (first, extension)


def test_the_receipt_page_lists_each_payment_and_refund_with_the_vat_of_the_total(
    client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    tokens = paid_extended_then_stopped_early(client, phone, clock)

    pages = [client.get(f"/r/{token}?lang=fi") for token in tokens]

    assert [p.status_code for p in pages] == [200, 200]
    page = pages[0].get_data(as_text=True)
    assert page == pages[1].get_data(as_text=True), "every link shows the parking's receipt"
    assert "ABC-123" in page and "101 Kauppatori" in page
    assert cell(page, "charged") == "7,20 €"
    assert cell(page, "refunded") == "4,80 €"
    assert cell(page, "total") == "2,40 €"
    assert cell(page, "net") == "1,91 €"  # 240 / 1.255 = 191.2
    assert cell(page, "vat") == "0,49 €"
    line = r"<tr class=\"line (payment|refund|waived)\">.*?<td[^>]*>([^<]*)</td>"
    lines = re.findall(line, page, re.S)
    amounts = [(kind, amount.replace("\xa0", " ")) for kind, amount in lines]
    assert amounts == [
        ("payment", "4,80 €"),
        ("payment", "2,40 €"),
        ("refund", "-2,40 €"),
        ("refund", "-2,40 €"),
    ]


def test_kuitti_answers_with_the_latest_parking_that_cost_something(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    paid = pay(client, phone.send("ABC-123 101 1h"))  # 10:00-11:00, 2.40
    clock.now = _at(19, 0)
    evening = phone.send("ABC-123 101 1h")  # free after 18:00: nothing to pay
    assert "/pay/" not in evening
    clock.now = _at(19, 30)
    phone.send("XYZ-789 102 1h")  # 102 is paid until 21:00; never paid

    reply = phone.send("KUITTI")

    assert receipt_token(reply) == paid
    assert "ABC-123" in reply and "2,40" in reply


def test_kuitti_says_there_is_nothing_to_receipt(client: FlaskClient, phone: Phone) -> None:
    phone.send("ABC-123 101 1h")  # not paid

    reply = phone.send("KUITTI")

    assert "/r/" not in reply
    assert "kuittia" in reply.lower() or "maksettu" in reply.lower()


def test_an_amount_waived_below_the_minimum_shows_on_the_receipt(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    first = pay(client, phone.send("ABC-123 101 2h"))  # 4.80 paid
    clock.now = _at(11, 55)
    extended = phone.send("JATKA 10 min")  # 0.40: below the 0.50 minimum, carried on the order
    assert "/pay/" not in extended
    clock.now = _at(12, 5)  # 2 h 5 min: 5.00, of which 0.20 was never paid
    stopped = phone.send("LOPETA")
    assert "/pay/" not in stopped

    page = client.get(f"/r/{first}?lang=en").get_data(as_text=True)

    assert cell(page, "price") == "€5.00"
    assert cell(page, "waived") == "€0.20"
    assert cell(page, "total") == "€4.80"
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.amount_cents == 500, "the order keeps what the parking cost"
        receipt = receipts.receipt_of_order(_kanava(app), order)
        assert receipt is not None
        assert (receipt.charged_cents, receipt.refunded_cents) == (480, 0)
        assert (receipt.waived_cents, receipt.gross_cents) == (20, 480)
        assert (receipt.net_cents, receipt.vat_cents) == (382, 98)
        assert receipt.lines[-1] == receipts.ReceiptLine("waived", _at(12, 5), 20)


def test_a_receipt_token_of_another_drivers_order_is_only_that_order(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    token = pay(client, phone.send("ABC-123 101 1h"))
    other = Phone(client, number="+358409999999")
    other_token = pay(client, other.send("XYZ-789 101 2h"))

    mine = client.get(f"/r/{token}").get_data(as_text=True)
    theirs = client.get(f"/r/{other_token}").get_data(as_text=True)

    assert "ABC-123" in mine and "XYZ-789" not in mine
    assert "XYZ-789" in theirs and "ABC-123" not in theirs
    with app.app_context():
        assert len(db.session.scalars(select(Customer)).all()) == 2


def test_the_receipt_of_a_parking_whose_extension_is_not_paid_covers_the_paid_time(
    client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    token = pay(client, phone.send("ABC-123 101 2h"))  # 10:00-12:00, 4.80 paid
    clock.now = _at(10, 20)
    assert "/pay/" in phone.send("JATKA 30")  # to 12:30, not paid

    reply = phone.send("KUITTI")
    page = client.get(f"/r/{token}?lang=fi").get_data(as_text=True)

    assert "10.00-12.00" in reply and "12.30" not in reply
    assert "4,80" in reply
    assert "12.30" not in page and "12.00" in page
    assert cell(page, "total") == "4,80 €"
