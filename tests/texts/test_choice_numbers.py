"""The numbers a driver may reply read as a list in their language: "1 tai 2", "1, 2
tai 3", never "Vastaa 1, 2."."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.texts.bookings import choice_numbers
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    application = create_app(make_settings("sqlite://"))
    with application.app_context():
        yield application


@pytest.mark.parametrize(
    ("count", "lang", "text"),
    [
        (1, "fi", "1"),
        (2, "fi", "1 tai 2"),
        (3, "fi", "1, 2 tai 3"),
        (2, "sv", "1 eller 2"),
        (3, "sv", "1, 2 eller 3"),
        (2, "en", "1 or 2"),
        (5, "en", "1, 2, 3, 4 or 5"),
    ],
)
def test_reply_numbers_are_joined_with_or(app: Flask, count: int, lang: str, text: str) -> None:
    assert choice_numbers(count, lang) == text
