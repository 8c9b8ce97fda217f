"""The zone editor in Chromium, in Finnish, on a 360 px phone and on a desktop: weekdays as a
Finnish admin writes them, the phone code of a lettered zone, a bad day refused in Finnish."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.backend import users, zones
from app.extensions import db
from app.models import Zone
from tests.browser_support import browser_page, free_port, screenshot, serve
from tests.conftest import Clock, _empty_tables, _prepare_schema, make_settings

pytestmark = pytest.mark.browser


@pytest.fixture
def live(sqlite_url: str, clock: Clock) -> Iterator[tuple[Flask, str]]:
    port = free_port()
    _prepare_schema(sqlite_url)
    app = create_app(
        make_settings(sqlite_url, public_base_url=f"http://127.0.0.1:{port}"), clock=clock
    )
    _empty_tables(app)
    with app.app_context():
        zones.seed_demo(db.session(), clock())
        users.create_user(db.session(), "boss", "admin", "admin-password-1", clock())
        db.session().commit()
    with serve(app, port) as url:
        yield app, url


def sign_in_in_finnish(page: Any, url: str) -> None:
    page.goto(url + "/admin/zones/edit/EV1?lang=fi")
    page.wait_for_url("**/admin/login**")
    page.fill("#name", "boss")
    page.fill("#password", "admin-password-1")
    page.press("#password", "Enter")
    page.wait_for_selector("#paid_hours")


@pytest.mark.parametrize(
    ("viewport", "name"),
    [({"width": 360, "height": 740}, "phone"), ({"width": 1280, "height": 900}, "desktop")],
)
def test_a_finnish_admin_edits_paid_hours_in_finnish_on_a_phone_and_a_desktop(
    live: tuple[Flask, str], viewport: dict[str, int], name: str
) -> None:
    app, url = live
    with browser_page(viewport) as page:
        sign_in_in_finnish(page, url)
        p: Any = page
        assert p.input_value("#paid_hours") == "ma-su: 00:00-24:00"
        assert p.input_value("#phone_code") == "381"
        assert "ma ti ke to pe la su" in p.inner_text("#paid-hours-hint")
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert p.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"zone-editor-fi-{name}")

        p.fill("#paid_hours", "ma-pe: 07:00-21:00\nla-su: 9-18\nlx: 10-12")
        p.click("button.primary")
        p.wait_for_selector("#zone-error")
        said = p.inner_text("#zone-error")
        assert "”lx” ei ole viikonpäivä" in said and "ma-pe, la, su" in said
        screenshot(page, f"zone-editor-fi-{name}-bad-day")

        p.fill("#paid_hours", "ma-pe: 07:00-21:00\nla-su: 9-18")
        p.click("button.primary")
        p.wait_for_selector(".flash")
        assert p.input_value("#paid_hours") == "ma-pe: 07:00-21:00\nla-su: 09:00-18:00"
    with app.app_context():
        zone = db.session.scalar(select(Zone).where(Zone.code == "EV1"))
        assert zone is not None
        assert zone.paid_hours == {"mon-fri": "07:00-21:00", "sat-sun": "09:00-18:00"}
