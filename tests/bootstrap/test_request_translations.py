"""Translations are looked up once per request (app/extensions.py), and still follow
every change of language within it: a page or message drawn in another language
(``force_locale``, as receipts and the order page do) and the request's own around it."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_babel import force_locale, gettext, refresh

TEMPLATE = "{{ _('Page not found') }}"


def test_a_forced_language_inside_a_request_and_the_requests_own_around_it(app: Flask) -> None:
    with app.test_request_context("/?lang=fi"):
        assert render_template_string(TEMPLATE) == "Sivua ei löydy"
        with force_locale("sv"):
            assert render_template_string(TEMPLATE) == "Sidan hittades inte"
            assert gettext("Page not found") == "Sidan hittades inte"
            with force_locale("en"):
                assert gettext("Page not found") == "Page not found"
            assert render_template_string(TEMPLATE) == "Sidan hittades inte"
        assert render_template_string(TEMPLATE) == "Sivua ei löydy"
        assert gettext("Page not found") == "Sivua ei löydy"


def test_each_request_gets_its_own_language(app: Flask) -> None:
    for lang, text in [
        ("sv", "Sidan hittades inte"),
        ("en", "Page not found"),
        ("fi", "Sivua ei löydy"),
    ]:
        with app.test_request_context(f"/?lang={lang}"):
            assert gettext("Page not found") == text
            assert render_template_string(TEMPLATE) == text


def test_refresh_takes_the_language_chosen_since(app: Flask) -> None:
    with app.test_request_context("/?lang=fi") as ctx:
        assert gettext("Page not found") == "Sivua ei löydy"
        ctx.request.args = ctx.request.args.copy()
        ctx.request.args["lang"] = "sv"  # type: ignore[index]
        refresh()
        assert gettext("Page not found") == "Sidan hittades inte"
