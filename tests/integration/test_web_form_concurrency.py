"""The web form under concurrency on PostgreSQL: one form sent several times at the same
moment (a double tap, a retried POST) parks once, through a real threaded HTTP server."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Event, EventKind, Order, Payment

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Served over plain http here: the session cookie must not be marked Secure.
    return {"public_base_url": "http://127.0.0.1"}


@pytest.fixture
def server_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page) or re.search(
        rf'type="hidden" name="{name}" value="([^"]+)"', page
    )
    assert match, name
    return match.group(1)


def _post_all_at_once(url: str, cookies: dict[str, str], form: dict[str, str], n: int):
    barrier = threading.Barrier(n)

    def post(_: int) -> requests.Response:
        barrier.wait(timeout=10)
        return requests.post(url, data=form, cookies=cookies, allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(post, range(n)))


def test_one_form_sent_eight_times_at_once_parks_once(app: Flask, server_url: str) -> None:
    browser = requests.Session()
    page = browser.get(f"{server_url}/p/101?lang=en", timeout=30).text
    form = {
        "csrf_token": _hidden(page, "csrf_token"),
        "key": _hidden(page, "key"),
        "plate": "abc-123",
        "duration": "60",
        "phone": "040 123 4567",
    }

    responses = _post_all_at_once(
        f"{server_url}/p/101?lang=en", browser.cookies.get_dict(), form, 8
    )

    assert [r.status_code for r in responses] == [303] * 8
    assert len({r.headers["Location"] for r in responses}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        parked = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == EventKind.WEB_ACTION)
        )
        assert parked == 1


def test_one_extension_sent_six_times_at_once_extends_once(app: Flask, server_url: str) -> None:
    browser = requests.Session()
    page = browser.get(f"{server_url}/p/101?lang=en", timeout=30).text
    parked = browser.post(
        f"{server_url}/p/101?lang=en",
        data={
            "csrf_token": _hidden(page, "csrf_token"),
            "key": _hidden(page, "key"),
            "plate": "abc-123",
            "duration": "60",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert parked.status_code == 303, parked.text[parked.text.find("error-summary") :][:600]
    token = parked.headers["Location"].split("/pay/")[1].split("?")[0]
    browser.post(f"{server_url}/demo-pay/{token}", timeout=30)
    with app.app_context():
        link = "/o/" + db.session.scalars(select(Order.manage_token)).one()
    page = browser.get(server_url + link, timeout=30).text
    form = {"csrf_token": _hidden(page, "csrf_token"), "key": _hidden(page, "key"), "minutes": "30"}

    responses = _post_all_at_once(f"{server_url}{link}/extend", browser.cookies.get_dict(), form, 6)

    assert [r.status_code for r in responses] == [303] * 6
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.amount_cents == 360
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 2
