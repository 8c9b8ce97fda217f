"""The per-process zone cache (:func:`app.backend.zones.cached`): a zone change committed by
this process is seen by the next message at once; one committed elsewhere within
``ZONE_CACHE_SECONDS`` (README, "Benchmarks")."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, text

from app.backend import zones
from app.extensions import db
from app.models import Zone
from tests.conftest import Phone


def _edit(app: Flask, code: str, **values: object) -> None:
    with app.app_context():
        zone = db.session.scalars(select(Zone).where(Zone.code == code)).one()
        for name, value in values.items():
            setattr(zone, name, value)
        db.session.commit()
        db.session.remove()


def test_a_committed_tariff_change_prices_the_next_parking(app: Flask, phone: Phone) -> None:
    assert "ABC-123" in phone.send("ABC-123 301 1h")  # zones now cached
    with app.app_context():
        before = zones.find(db.session, "301")
        assert before is not None
        rate = before.rate_per_hour_cents
        db.session.remove()

    _edit(app, "301", rate_per_hour_cents=rate * 3)

    with app.app_context():
        after = zones.find(db.session, "301")
        assert after is not None and after.rate_per_hour_cents == rate * 3
        db.session.remove()


def test_a_deactivated_zone_is_no_longer_parked_in(app: Flask, phone: Phone) -> None:
    assert "ABC-123" in phone.send("ABC-123 301 1h")

    _edit(app, "301", active=False)

    reply = phone.send("XYZ-999 301 1h")
    assert "301" in reply and "XYZ-999" not in reply
    with app.app_context():
        assert "301" not in zones.active_codes(db.session)
        db.session.remove()


def test_a_change_made_by_another_process_is_seen_once_the_cache_expires(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        assert "301" in zones.active_codes(db.session)
        # Raw SQL, as another worker's commit looks to this one: no event here.
        db.session.execute(text("UPDATE zones SET active = false WHERE code = '301'"))
        db.session.commit()
        monkeypatch.setattr(zones, "ZONE_CACHE_SECONDS", 0.0)
        assert "301" not in zones.active_codes(db.session)
        db.session.remove()
