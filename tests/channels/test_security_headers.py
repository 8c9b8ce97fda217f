"""Security headers on every response (issue 14, operations): a test per header."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from tests.conftest import Clock, make_settings

PAGES = ["/", "/p/101", "/admin/login", "/healthz", "/o/nosuchtoken", "/static/kanava.css"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_has_a_csp_without_inline_script_or_framing(
    client: FlaskClient, path: str
) -> None:
    csp = client.get(path).headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("path", PAGES)
def test_every_response_forbids_sniffing_and_framing(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/o/abcdefgh1234", "/pay/abcdefgh1234", "/r/abc", "/demo-pay/x"])
def test_token_pages_send_no_referrer(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/", "/p/101", "/admin/login"])
def test_other_pages_send_only_the_origin_elsewhere(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_hsts_outside_production(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_in_production(app: Flask, clock: Clock) -> None:
    settings = make_settings(app.config["SQLALCHEMY_DATABASE_URI"], environment="production")
    production = create_app(settings, clock=clock)
    hsts = production.test_client().get("/healthz").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")


def test_the_templates_hold_no_inline_script_or_style(repo_root) -> None:  # type: ignore[no-untyped-def]
    for template in (repo_root / "app" / "templates").rglob("*.html"):
        text = template.read_text()
        assert "style=" not in text, template
        assert "<style" not in text, template
        assert "<script>" not in text and "<script " not in text.replace("<script src=", ""), (
            template
        )
