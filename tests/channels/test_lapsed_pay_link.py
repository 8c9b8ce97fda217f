"""The pay link of an extension that lapsed unpaid says so (round 2, finding 1): not
"nothing to pay" beside the amount, but what happened, until when the parking is valid,
and (for the driver's own browser) the order page to extend again."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.channels.test_unpaid_extensions import (
    paid_until_noon_then_extended,
    the_order,
    tick,
)
from tests.conftest import Clock, Phone
from tests.panel.test_admin_timeline import visible


def test_a_lapsed_extensions_link_says_it_lapsed_and_how_to_extend_again(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    paid_until_noon_then_extended(client, phone, clock)
    assert tick(app, clock, 10, 30).extensions_lapsed == 1
    order = the_order(app)
    extension = order.payments[1]

    page = visible(client.get(f"/pay/{extension.token}?lang=en").get_data(as_text=True))
    assert "Nothing to pay" not in page
    assert "The extension lapsed unpaid" in page
    assert "was not paid in time" in page and "valid until 23.11.2026 12:00" in page
    assert "Not paid 1,20" in page or "Not paid €1.20" in page
    assert "open your parking's page from the link in its confirmation" in page
    assert f"/o/{order.manage_token}" not in client.get(f"/pay/{extension.token}").get_data(
        as_text=True
    )

    finnish = visible(client.get(f"/pay/{extension.token}?lang=fi").get_data(as_text=True))
    assert "Jatko raukesi maksamattomana" in finnish

    # The driver's own browser (it opened the order's page) gets the page to extend again.
    assert client.get(f"/o/{order.manage_token}").status_code == 200
    html = client.get(f"/pay/{extension.token}?lang=en").get_data(as_text=True)
    assert re.search(rf'id="extend-again" href="[^"]*/o/{order.manage_token}', html)
