"""The home page at ``/`` that every page's logo links to: what Kanava is, the active
zones with their prices and web forms, and how to text, in Finnish, Swedish and English."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.browser_support import browser_page, free_port, screenshot, serve


def test_the_home_page_lists_zones_and_says_how_to_text_in_three_languages(
    client: FlaskClient,
) -> None:
    finnish = client.get("/?lang=fi")
    assert finnish.status_code == 200
    page = finnish.get_data(as_text=True)
    assert "Kanava on kaupungin pysäköintipalvelu" in page
    assert 'href="/p/101?lang=fi"' in page and "Kauppatori" in page
    assert "2,40\xa0€ tunnilta" in page
    assert "Lähetä rekisteritunnus ja alue 101 numeroon +358 45 1234567" in page

    swedish = client.get("/?lang=sv").get_data(as_text=True)
    assert "Parkering med textmeddelande" in swedish and "2,40\xa0€ per timme" in swedish
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Kanava is the city's parking service" in english.replace("&#39;", "'")
    assert "€2.40 per hour" in english and 'href="/p/101?lang=en"' in english
    assert "Text your plate and zone 101 to +358 45 1234567, e.g. ABC-123 101" in english


def test_the_home_page_links_booking_and_the_privacy_notice(client: FlaskClient) -> None:
    page = client.get("/?lang=sv").get_data(as_text=True)

    assert 'href="/book?lang=sv"' in page and "Zoner som kan bokas" in page
    assert 'href="/privacy?lang=sv"' in page


def test_the_logo_on_the_web_form_leads_to_the_home_page(client: FlaskClient) -> None:
    form = client.get("/p/101?lang=en").get_data(as_text=True)
    assert 'href="/" class="brand"' in form
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/?lang=fi", "/p/101", "/book?lang=sv", "/privacy", "/admin/login", "/no-such-page"]
)
def test_every_page_names_an_empty_icon_so_no_browser_asks_for_favicon_ico(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)

    assert '<link rel="icon" href="data:,">' in response.get_data(as_text=True)
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


def test_a_visitor_follows_the_logo_home_and_opens_a_zone_in_chromium(app: Flask) -> None:
    with serve(app, free_port()) as base, browser_page({"width": 420, "height": 900}) as page:
        page.goto(f"{base}/p/101?lang=sv")  # type: ignore[attr-defined]
        page.click("a.brand")  # type: ignore[attr-defined]
        page.wait_for_selector("#zones")  # type: ignore[attr-defined]
        screenshot(page, "home-sv")
        assert "Parkering med textmeddelande" in page.inner_text("h1")  # type: ignore[attr-defined]
        page.click("#zones a")  # type: ignore[attr-defined]
        page.wait_for_selector("form.park-form")  # type: ignore[attr-defined]
        assert page.url.endswith("/p/101?lang=sv")  # type: ignore[attr-defined]
