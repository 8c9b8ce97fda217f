"""A driver's plate reads one way in every SMS (issue 9, round 2, point 10): a Finnish
plate as ABC-123, any other plate in the spelling they first used, whatever spelling a
later message has."""

from __future__ import annotations

from tests.conftest import Phone


def test_a_later_message_without_the_dash_is_answered_with_the_first_spelling(
    phone: Phone,
) -> None:
    phone.send("XYZ-789 101 1h")

    reply = phone.send("XYZ789 102 1h")

    assert "XYZ-789" in reply and "XYZ789" not in reply, reply
    assert "alue 102" in reply, reply


def test_the_status_names_a_finnish_plate_the_finnish_way(phone: Phone) -> None:
    phone.send("abc 123 101 1h")
    phone.send("ABC123 102 1h")

    reply = phone.send("TILA")

    assert "ABC-123 alue 102," in reply and "ABC 123" not in reply, reply
    assert "ABC123" not in reply, reply


def test_the_status_names_another_plate_as_first_spelt(phone: Phone) -> None:
    phone.send("ab 12345 101 1h")  # Norwegian
    phone.send("AB-12345 102 1h")

    reply = phone.send("TILA")

    assert "AB 12345 alue 102," in reply and "AB-12345" not in reply, reply
