"""A rendered SMS takes every sentence from its own language's catalog, looked up once per
text (app/texts/messages.py), and leaves the request's language as it found it: after
the text, after a text that failed, and around a text in another language inside it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.texts import messages
from tests.conftest import make_settings

STOP = "To stop: DONE"
IN = {"fi": "Lopetus: LOPETA", "sv": "Avsluta: SLUTA", "en": "To stop: DONE"}


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    yield create_app(make_settings("sqlite://"))


def test_each_text_is_in_its_own_language_and_the_request_keeps_its_own(app: Flask) -> None:
    with app.test_request_context("/?lang=fi"):
        for lang in ("sv", "en", "fi", "sv"):
            assert messages._render(lang, lambda: messages._(STOP)) == IN[lang]
            assert messages._(STOP) == IN["fi"]


def test_a_text_that_fails_leaves_the_requests_language(app: Flask) -> None:
    def broken() -> str:
        messages._(STOP)
        raise RuntimeError("a text that cannot be built")

    with app.test_request_context("/?lang=sv"):
        with pytest.raises(RuntimeError):
            messages._render("fi", broken)
        assert messages._(STOP) == IN["sv"]


def test_a_text_in_another_language_inside_a_text(app: Flask) -> None:
    def outer() -> str:
        first = messages._(STOP)
        inner = messages._render("en", lambda: messages._(STOP))
        return " | ".join((first, inner, messages._(STOP)))

    with app.test_request_context("/?lang=sv"):
        assert messages._render("fi", outer) == " | ".join((IN["fi"], IN["en"], IN["fi"]))


def test_variables_are_filled_in_as_flask_babel_fills_them(app: Flask) -> None:
    with app.test_request_context("/"):
        text = messages._render(
            "fi", lambda: messages._("Your parking: %(link)s", link="https://k.test/o/1")
        )
    assert text.endswith("https://k.test/o/1")
    assert not text.startswith("Your parking")
