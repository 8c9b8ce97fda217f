"""Words used in every language do not change the language of the reply (issue 9, round
2, point 10): HELP, INFO and STATUS from a Finnish- or Swedish-speaking driver are
answered in their language."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import Phone

ENGLISH = ("text plate", "zone", "until")


@pytest.mark.parametrize("word", ["HELP", "help", "INFO", "STATUS", "Status"])
def test_a_finnish_driver_is_answered_in_finnish(phone: Phone, word: str) -> None:
    phone.send("ABC-123 101 1h")

    reply = phone.send(word)

    assert "alue" in reply.lower(), reply
    assert not any(english in reply for english in ENGLISH), reply


@pytest.mark.parametrize("word", ["HELP", "INFO", "STATUS"])
def test_a_swedish_driver_is_answered_in_swedish(client: FlaskClient, word: str) -> None:
    swedish = Phone(client, number="+46701234567")
    swedish.send("ABC-123 101 1h")

    reply = swedish.send(word)

    assert "zon" in reply, reply
    assert not any(english in reply for english in ENGLISH), reply


def test_help_from_a_finnish_number_leaves_later_replies_in_finnish(phone: Phone) -> None:
    phone.send("HELP")

    assert "Pysäköinti alkoi" in phone.send("ABC-123 101 1h")


def test_help_from_a_british_number_is_answered_in_english(client: FlaskClient) -> None:
    reply = Phone(client, number="+447911123456").send("HELP")

    assert "text plate and zone" in reply, reply
