"""A sweep's reminders rendered once per group (``ReminderTexts``) read exactly as
``messages.reminder`` writes each one: every language, fixed and open-ended parkings, ends
today and on another day, seconds apart within a minute, across the autumn's doubled hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from app import create_app
from app.kernel import Kanava
from app.models import Order, OrderKind, OrderStatus, Zone
from app.texts import messages
from tests.conftest import HELSINKI, make_settings

NOW = datetime(2026, 11, 23, 22, 55, 10, tzinfo=HELSINKI).astimezone(UTC)
PLATES = ("ABC-123", "ABCD-1234", "XYZ-987AB", "A-1", "ÅÄÖ-12")
ZONES = ("101", "EV101", "7")


@pytest.fixture(scope="module")
def kanava() -> Iterator[Kanava]:
    app: Flask = create_app(make_settings("sqlite://"))
    with app.app_context():
        yield app.extensions["kanava"]


def _order(lang: str, plate: str, zone: str, ends_at: datetime, open_ended: bool) -> Order:
    return Order(
        kind=OrderKind.PARKING,
        status=OrderStatus.ACTIVE,
        zone=Zone(code=zone, name="Kauppatori"),
        plate_key=plate.replace("-", ""),
        plate_display=plate,
        starts_at=NOW - timedelta(hours=1),
        ends_at=ends_at,
        open_ended=open_ended,
        amount_cents=240,
        currency="EUR",
        language=lang,
        created_at=NOW,
    )


def _ends(now: datetime) -> list[datetime]:
    """Ends a few seconds apart within a minute, over midnight (today, then tomorrow)."""
    return [now + timedelta(seconds=s) for s in (1, 20, 49, 50, 51, 110, 290, 300, 599)]


def test_each_text_is_the_one_reminder_writes(kanava: Kanava) -> None:
    texts = messages.ReminderTexts(kanava, NOW)
    compared = 0
    for lang in ("fi", "sv", "en"):
        for open_ended in (False, True):
            for i, ends_at in enumerate(_ends(NOW)):
                plate, zone = PLATES[i % len(PLATES)], ZONES[i % len(ZONES)]
                order = _order(lang, plate, zone, ends_at, open_ended)
                expected = messages.reminder(order, lang, kanava, NOW)
                assert texts.text(lang, plate, zone, ends_at, open_ended) == expected
                assert plate in expected
                compared += 1
    assert compared == 54


def test_the_doubled_hour_of_autumn_reads_as_reminder_writes_it(kanava: Kanava) -> None:
    # 25 Oct 2026: Helsinki's clocks go from 4.00 back to 3.00; 00:30 and 01:30 UTC are
    # both 3.30 there.
    now = datetime(2026, 10, 25, 0, 25, tzinfo=UTC)
    texts = messages.ReminderTexts(kanava, now)
    for ends_at in (now + timedelta(minutes=5), now + timedelta(minutes=65)):
        for lang in ("fi", "sv", "en"):
            order = _order(lang, "ABC-123", "101", ends_at, False)
            assert texts.text(lang, "ABC-123", "101", ends_at, False) == messages.reminder(
                order, lang, kanava, now
            )
