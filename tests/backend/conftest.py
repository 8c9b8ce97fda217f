"""The order backend called directly, without HTTP: a session in an app context (SQLite
and PostgreSQL, through the shared ``app`` fixture), the running Kanava, and a driver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend import customers, zones
from app.extensions import db
from app.kernel import Kanava
from app.models import Customer, Zone
from tests.conftest import Clock

DRIVER = "+358401234567"


@dataclass
class Backend:
    """What a use case has at hand: the session, Kanava and the clock's ``now``."""

    session: Session
    kanava: Kanava
    clock: Clock

    def zone(self, code: str) -> Zone:
        found = zones.find(self.session, code)
        assert found is not None
        return found

    def driver(self, phone: str = DRIVER) -> Customer:
        return customers.get_or_create(self.session, phone, self.clock())

    def commit(self) -> None:
        """End the transaction as a use case would, and read everything fresh."""
        self.session.commit()
        self.session.expire_all()

    def all(self, model: type[object]) -> list[object]:
        return list(self.session.scalars(select(model)))


@pytest.fixture
def backend_at(app: Flask, clock: Clock) -> Iterator[Backend]:
    with app.app_context():
        yield Backend(db.session(), app.extensions["kanava"], clock)
        db.session.remove()
