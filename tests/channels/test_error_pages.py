"""Error pages: unknown zones and links, unknown paths, refused methods and failures of
ours get a branded page in the visitor's language, scaled for a phone, with a way on;
machines (the handheld API, webhooks) keep their own answers."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from tests.conftest import Clock, make_settings


def looks_like_our_page(page: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "/static/kanava.css" in page and 'class="brand"' in page
    assert 'id="home-link" href="/?lang=' in page
    assert "Not Found" not in page and "Werkzeug" not in page


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/p/ZZZ", "Zone not found"),
        ("/p/ZZZ/sign.pdf", "Zone not found"),
        ("/pay/not-a-token", "Link not found"),
        ("/r/not-a-token", "Link not found"),
        ("/o/not-a-token", "Link not found"),
        ("/demo-pay/not-a-token", "Link not found"),
        ("/no/such/page", "Page not found"),
    ],
)
def test_an_unknown_zone_link_or_page_is_our_not_found_page(
    client: FlaskClient, path: str, title: str
) -> None:
    response = client.get(path + "?lang=en")
    assert response.status_code == 404 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    looks_like_our_page(page)
    assert f'<h1 id="error-title">{title}</h1>' in page and 'html lang="en"' in page
    if title == "Zone not found":
        assert "There is no zone ZZZ." in page


def test_the_not_found_page_speaks_the_visitors_language(client: FlaskClient) -> None:
    fi = client.get("/p/ZZZ", headers={"Accept-Language": "fi-FI,fi;q=0.9"}).get_data(as_text=True)
    assert 'html lang="fi"' in fi and "Aluetta ei löydy" in fi
    sv = client.get("/p/ZZZ", headers={"Accept-Language": "sv-SE"}).get_data(as_text=True)
    assert 'html lang="sv"' in sv and "Zonen hittades inte" in sv
    client.get("/?lang=en")  # chosen once: the cookie
    en = client.get("/no/such/page", headers={"Accept-Language": "fi"}).get_data(as_text=True)
    assert 'html lang="en"' in en and "Page not found" in en


def test_a_refused_method_is_our_page_too(client: FlaskClient) -> None:
    response = client.post("/?lang=en")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    looks_like_our_page(response.get_data(as_text=True))


def test_the_api_and_the_webhooks_keep_their_own_answers(
    client: FlaskClient, api_token: str
) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    missing = client.get("/api/v1/nothing", headers=headers)
    assert missing.status_code == 404 and missing.json == {"error": "not_found"}
    order = client.get("/api/v1/orders/999", headers=headers)
    assert order.status_code == 404 and order.json == {"error": "not_found"}
    wrong = client.delete("/api/v1/orders/1", headers=headers)
    assert wrong.status_code == 405 and wrong.json == {"error": "method_not_allowed"}
    webhook = client.get("/twilio/sms")
    assert webhook.status_code == 405 and "kanava.css" not in webhook.get_data(as_text=True)
    unsigned = client.post("/twilio/sms", data={"Body": "x"})
    assert unsigned.status_code == 403 and "kanava.css" not in unsigned.get_data(as_text=True)
    stripe = client.post("/stripe/webhook", data=b"{}")
    assert stripe.status_code == 400 and stripe.is_json


def test_a_failure_of_ours_is_our_page_and_is_logged(
    tmp_path: object, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # The database cannot be opened: every page that reads it fails.
    broken = create_app(
        make_settings(f"sqlite:///{tmp_path}/missing/dir/kanava.db", proxy_hops=0), clock=clock
    )
    broken.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    with caplog.at_level(logging.ERROR):
        response = broken.test_client().get("/p/101?lang=en")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    looks_like_our_page(page)
    assert "Something went wrong on our side" in page and "Traceback" not in page
    assert "+358 45 1234567" in page  # the SMS way still works
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert logged and "OperationalError" in repr(logged[0].exc_info[1].__class__)


def test_an_expired_form_is_refused_with_the_form_back(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/p/101?lang=en", data={"csrf_token": "stale", "plate": "abc-123", "duration": "60"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The page had expired and nothing was parked." in page
    assert 'value="abc-123"' in page


def test_an_error_page_asked_again_is_the_page_drawn_afresh(app: Flask, clock: Clock) -> None:
    """Pages kept between requests (app/channels/errors.py) are exactly what a new server
    draws, whatever was asked before: language, kind of page, zone, query string."""
    asked = [
        ("/no/such/page", {"Accept-Language": "fi"}),
        ("/no/such/page", {"Accept-Language": "sv"}),
        ("/other/missing", {"Accept-Language": "en"}),
        ("/p/AAA", {"Accept-Language": "fi"}),
        ("/p/BBB", {"Accept-Language": "fi"}),
        ("/pay/not-a-token", {"Accept-Language": "sv"}),
        ("/no/such/page?x=1", {"Accept-Language": "fi"}),
        ("/no/such/page?lang=sv", {}),
    ]
    # No cookies: ``?lang=`` would keep its language for the requests after it.
    warm = app.test_client(use_cookies=False)
    for path, headers in asked + asked[::-1]:
        warm.get(path, headers=headers)
    settings = make_settings(app.config["SQLALCHEMY_DATABASE_URI"])
    for path, headers in asked:
        again = warm.get(path, headers=headers)
        fresh = create_app(settings, clock=clock).test_client(use_cookies=False)
        fresh_page = fresh.get(path, headers=headers)
        assert again.status_code == fresh_page.status_code == 404
        assert again.get_data(as_text=True) == fresh_page.get_data(as_text=True)
