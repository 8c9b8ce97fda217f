"""The hand-over texts in fi, sv and en: the answer time in words, within two SMS segments."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from app.extensions import kanava
from app.texts import support
from app.texts.messages import MAX_SEGMENTS, sms_segments

HELSINKI = ZoneInfo("Europe/Helsinki")


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=HELSINKI).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("lang", "at", "phrase"),
    [
        ("fi", _at(2026, 11, 23, 10), "tänään klo 16.00 mennessä"),
        ("sv", _at(2026, 11, 23, 10), "i dag senast kl. 16:00"),
        ("en", _at(2026, 11, 23, 10), "today by 16:00"),
        ("fi", _at(2026, 11, 23, 17), "huomenna klo 8.00 jälkeen"),
        ("sv", _at(2026, 11, 27, 17), "på måndag efter kl. 08:00"),
        ("fi", _at(2026, 11, 27, 17), "maanantaina klo 8.00 jälkeen"),
        ("en", _at(2026, 11, 23, 6), "today after 08:00"),
    ],
)
def test_the_driver_is_told_when_a_person_answers(
    app: Flask, lang: str, at: datetime, phrase: str
) -> None:
    with app.app_context():
        k = kanava()
        texts = [
            support.handed_over(lang, k, at),
            support.added_to_case(lang, k, at),
            support.not_understood_twice(lang, k, at),
        ]
    for text in texts:
        assert phrase in text, text
        assert sms_segments(text) <= MAX_SEGMENTS, text
