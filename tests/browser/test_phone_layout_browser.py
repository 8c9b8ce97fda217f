"""A phone-sized screen (360 x 740) in Chromium: what a thumb taps is at least 44 x 44 CSS
pixels (language links of the public pages, the panel's menu and its order actions), the
panel's cancel stands apart from the correction next to it, and the failure-demand page
fits the screen with chart text a person can read."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Order
from tests.browser import test_admin_browser as admin_browser
from tests.browser.test_admin_browser import PHONE_VIEWPORT, pay_by_demo
from tests.browser_support import browser_page, screenshot
from tests.conftest import Phone

pytestmark = pytest.mark.browser
served = admin_browser.served  # the app on loopback, demo zones and an admin (fixture)

TAP = 44  # CSS pixels: WCAG 2.5.5, Apple's and Android's smallest comfortable target


def boxes(page: Any, selector: str) -> list[dict[str, Any]]:
    """Every visible element matching ``selector`` with its text and bounding box."""
    found = page.evaluate(
        """sel => [...document.querySelectorAll(sel)]
             .filter(e => e.getClientRects().length)
             .map(e => { const r = e.getBoundingClientRect();
                         return {text: e.innerText.trim(), x: r.x, y: r.y,
                                 width: r.width, height: r.height}; })""",
        selector,
    )
    assert found, f"nothing matches {selector}"
    return list(found)


def assert_tappable(page: Any, selector: str) -> None:
    small = [b for b in boxes(page, selector) if b["height"] < TAP or b["width"] < TAP]
    assert not small, f"{selector} on {page.url}: smaller than {TAP} px: {small}"


def test_language_links_of_the_public_pages_are_thumb_sized(served: tuple[Flask, str]) -> None:
    app, url = served
    phone = Phone(app.test_client())
    reply = phone.send("ABC-123 101 1h")
    pay_by_demo(app.test_client(), reply)
    with app.app_context():
        token = db.session.scalars(select(Order.manage_token)).one()

    with browser_page(PHONE_VIEWPORT) as page:
        for path in ("/?lang=fi", "/p/101?lang=fi", f"/o/{token}?lang=fi", "/simulator/?lang=fi"):
            page.goto(url + path)  # type: ignore[attr-defined]
            assert_tappable(page, "nav.langs a, nav.langs button")
            width = page.evaluate("document.scrollingElement.scrollWidth")  # type: ignore[attr-defined]
            assert width <= PHONE_VIEWPORT["width"], (path, width)
        screenshot(page, "phone-1-simulator-languages")


def sign_in_as_admin(page: Any, url: str) -> None:
    """Signed in, the panel in Finnish: the longest menu words of the three languages."""
    admin_browser.sign_in(page, url, "boss", "admin-password-1")
    page.goto(url + "/admin/?lang=fi")


def test_panel_menu_and_order_actions_are_thumb_sized_and_cancel_stands_apart(
    served: tuple[Flask, str],
) -> None:
    app, url = served
    phone = Phone(app.test_client())
    pay_by_demo(app.test_client(), phone.send("ABC-123 101 1h"))
    with app.app_context():
        order_id = db.session.scalars(select(Order.id)).one()

    with browser_page(PHONE_VIEWPORT) as page:
        sign_in_as_admin(page, url)
        assert_tappable(page, ".panel-nav a")
        assert_tappable(page, ".langs a")
        assert_tappable(page, "header button.link")

        page.goto(url + "/admin/timeline?q=ABC-123")  # type: ignore[attr-defined]
        page.locator(f"#cancel-{order_id}").wait_for()  # type: ignore[attr-defined]
        assert_tappable(page, f"#order-{order_id} .actions button")
        assert_tappable(page, f"#order-{order_id} .order-more a")
        correct = page.locator(f"#correct-{order_id} button").bounding_box()  # type: ignore[attr-defined]
        cancel = page.locator(f"#cancel-{order_id}").bounding_box()  # type: ignore[attr-defined]
        assert correct is not None and cancel is not None
        # Cancel is the last action, on a row of its own well below "Correct…".
        assert cancel["y"] >= correct["y"] + correct["height"] + 24, (correct, cancel)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360  # type: ignore[attr-defined]
        screenshot(page, "phone-2-panel-order-actions")

        page.goto(url + "/admin/inbox")  # type: ignore[attr-defined]
        assert_tappable(page, ".inbox-filters a")


def test_failure_demand_page_fits_a_phone_and_its_text_is_readable(
    served: tuple[Flask, str],
) -> None:
    app, url = served
    phone = Phone(app.test_client())
    pay_by_demo(app.test_client(), phone.send("ABC-123 101 1h"))
    phone.send("mitä tämä on")  # not understood
    phone.send("APUA")
    phone.send("LOPETA")

    with browser_page(PHONE_VIEWPORT) as page:
        sign_in_as_admin(page, url)
        page.goto(url + "/admin/demand")  # type: ignore[attr-defined]
        page.locator("#contacts").wait_for()  # type: ignore[attr-defined]
        width = page.evaluate("document.scrollingElement.scrollWidth")  # type: ignore[attr-defined]
        assert width <= PHONE_VIEWPORT["width"], width

        # Chart text drawn at 11 px or more on the screen (SVG units times the scale).
        sizes = page.evaluate(  # type: ignore[attr-defined]
            """() => [...document.querySelectorAll('svg.chart text')].map(t => {
                 const svg = t.ownerSVGElement;
                 const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                 return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale]; })"""
        )
        assert sizes and all(size >= 11 for _, size in sizes), sizes
        # Every date under the day chart is whole, inside the chart.
        cut = page.evaluate(  # type: ignore[attr-defined]
            """() => [...document.querySelectorAll('svg.chart text.tick')].filter(t => {
                 const r = t.getBoundingClientRect();
                 const svg = t.ownerSVGElement.getBoundingClientRect();
                 return r.left < svg.left - 0.5 || r.right > svg.right + 0.5; })
               .map(t => t.textContent)"""
        )
        assert cut == [], cut
        # The reason labels never run into their bars or past the chart.
        overlaps = page.evaluate(  # type: ignore[attr-defined]
            """() => [...document.querySelectorAll('svg.reasons text.label')].filter(t => {
                 const r = t.getBoundingClientRect();
                 const svg = t.ownerSVGElement.getBoundingClientRect();
                 const bar = t.parentNode.querySelector('rect').getBoundingClientRect();
                 const overBar = bar.width > 0 && r.bottom > bar.top + 1 && r.right > bar.left;
                 return overBar || r.right > svg.right + 1; }).map(t => t.textContent)"""
        )
        assert overlaps == [], overlaps

        # Table headers wrap only between words or at their marked syllables, never inside
        # a word (lines <= spaces + soft hyphens + 1), and never spill out of their cell.
        headers = page.evaluate(  # type: ignore[attr-defined]
            """() => [...document.querySelectorAll('table.figures thead th')]
                 .filter(th => th.textContent.trim()).map(th => {
                 const style = getComputedStyle(th);
                 const range = document.createRange(); range.selectNodeContents(th);
                 const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                 const breaks = (th.textContent.trim().match(/[ \\u00ad]/g) || []).length;
                 return {text: th.textContent, lines: tops.size, allowed: breaks + 1,
                         spills: th.scrollWidth > th.clientWidth + 1}; })"""
        )
        assert headers
        for header in headers:
            assert header["lines"] <= header["allowed"] and not header["spills"], header
        # A table wider than the screen scrolls inside its own box, not the page.
        for wrapper in page.locator(".table-scroll").all():  # type: ignore[attr-defined]
            assert wrapper.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        screenshot(page, "phone-3-failure-demand")
