"""A driver asked "which zone?" (an unknown zone, or a plate alone) who answers with
something that is no zone (the plate again, ``-5``, ``5``) is asked again, naming the
zones, instead of being handed to a person as two messages not understood in a row
(walk-through finding); a known zone then parks the car asked about. Asked again once:
a second answer that does not fit goes to a person as before."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Case, Event, Order
from tests.conftest import Clock, Phone
from tests.panel.test_inbox import inbound

UK_NUMBER = "+447911123456"  # answered in English


def _cases(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Case.reason)))


def _parked(app: Flask) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        return [
            (
                o.plate_display,
                o.zone.code,
                None if o.ends_at is None else int((o.ends_at - o.starts_at).total_seconds() // 60),
            )
            for o in db.session.scalars(select(Order))
        ]


def test_an_unknown_zone_then_the_plate_alone_is_asked_again_and_a_zone_parks(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.number = UK_NUMBER
    first = phone.send("ABC-123 999 2h")
    assert "Zone 999 was not found" in first, first
    clock.advance(minutes=1)
    again = phone.send("ABC-123")
    assert again.startswith("Which zone is ABC-123 in? Reply with the zone code on the sign (")
    assert "101, 102, 103" in again and "e.g. 101" in again, again
    assert _cases(app) == []
    clock.advance(minutes=1)
    parked = phone.send("101")
    assert "ABC-123" in parked and "101" in parked and "/pay/" in parked, parked
    assert _parked(app) == [("ABC-123", "101", 120)]  # the 2 h of the first message
    assert _cases(app) == []
    assert inbound(app, Event.understood, Event.case_id) == [
        ("ABC-123 999 2h", False, None),
        ("ABC-123", False, None),
        ("101", True, None),
    ]


def test_minus_five_is_asked_again_once_then_a_person_reads_it(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    phone.number = UK_NUMBER
    phone.send("ABC-123 999")
    clock.advance(minutes=1)
    again = phone.send("-5")
    assert again.startswith("Which zone is ABC-123 in?"), again
    assert _cases(app) == []
    clock.advance(minutes=1)
    third = phone.send("-5")
    assert "a person will read your messages" in third, third
    assert _cases(app) == ["not_understood"]
    assert _parked(app) == []


def test_a_plate_alone_then_a_number_that_is_no_zone_is_asked_again_in_finnish(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    asked = phone.send("ABC-123")
    assert "Mikä alue?" in asked, asked
    clock.advance(minutes=1)
    again = phone.send("5")
    assert again.startswith("Millä alueella ABC-123 on? Vastaa kyltin aluetunnuksella ("), again
    assert _cases(app) == []
    clock.advance(minutes=1)
    assert "102" in phone.send("102")
    assert [p[:2] for p in _parked(app)] == [("ABC-123", "102")]
