"""What a driver can reach from the demo payment page and the phone simulator: the way back
to the order's own page, the fi/sv/en switch, and times written as each language writes
them (16.57 in Finnish, 16:57 in English), as the SMS write them."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Order
from tests.conftest import Phone


def _demo_token(reply: str) -> str:
    token = re.search(r"/pay/([\w-]+)", reply)
    assert token, reply
    return token.group(1)


def test_the_demo_payment_page_links_back_to_the_order_in_its_language(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    token = _demo_token(phone.send("ABC-123 101 1h"))
    with app.app_context():
        manage = db.session.scalars(select(Order.manage_token)).one()

    for lang, words in (("fi", "Takaisin pysäköintiini"), ("sv", "Tillbaka till min parkering")):
        page = html.unescape(client.get(f"/demo-pay/{token}?lang={lang}").get_data(as_text=True))
        link = re.search(r'<a href="([^"]+)" id="back-to-order"[^>]*>([^<]+)</a>', page)
        assert link, page
        assert link.group(1) == f"/o/{manage}?lang={lang}" and link.group(2) == words
        assert client.get(link.group(1)).status_code == 200  # the order's own page

    assert client.post(f"/demo-pay/{token}").status_code == 303
    paid = html.unescape(client.get(f"/demo-pay/{token}?lang=en").get_data(as_text=True))
    assert "Already paid." in paid and "Back to my parking" in paid


def test_the_phone_simulator_has_the_language_switch_and_writes_times_per_language(
    client: FlaskClient, phone: Phone
) -> None:
    phone.send("ABC-123 101 1h")  # Monday 10:00 on the test clock

    page = client.get("/simulator/?lang=sv").get_data(as_text=True)
    switch = re.search(r'<nav class="langs".*?</nav>', page, re.S)
    assert switch, page
    assert re.findall(r'href="\?lang=(\w+)"', switch.group(0)) == ["fi", "sv", "en"]
    assert 'lang="sv" aria-current="true"' in switch.group(0)
    assert '<html lang="sv">' in page  # the page itself in Swedish

    times = {}
    for lang in ("fi", "en"):
        client.get(f"/simulator/?lang={lang}")  # the choice is remembered (cookie)
        thread = client.get("/simulator/api/thread", query_string={"phone": phone.number})
        times[lang] = {m["at"] for m in thread.get_json()["messages"]}
    assert times == {"fi": {"10.00"}, "en": {"10:00"}}
