"""The customer's vehicle for a plate (:func:`app.backend.customers.remember_vehicle`) when
the caller already read the customer's vehicles: one per plate, never two, on SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from app.backend import customers
from app.models import Vehicle
from tests.backend.conftest import Backend


def test_a_plate_missing_from_the_list_read_is_added_once(backend_at: Backend) -> None:
    b = backend_at
    driver = b.driver()
    b.commit()
    known = customers.vehicles_by_recent_use(b.session, driver)
    added = customers.remember_vehicle(b.session, driver, "abc-123", b.clock(), known=known)
    assert (added.plate_key, added.plate_display) == ("ABC123", "ABC-123")
    b.commit()

    # A list read before another message added the plate (a lost race): the row is found.
    again = customers.remember_vehicle(b.session, driver, "ABC 123", b.clock(), known=known)
    b.commit()
    rows = list(b.session.scalars(select(Vehicle).where(Vehicle.customer_id == driver.id)))
    assert [(v.id, v.plate_display) for v in rows] == [(again.id, "ABC-123")]

    # The plate in the list: that vehicle, touched.
    b.clock.advance(minutes=5)
    known = customers.vehicles_by_recent_use(b.session, driver)
    same = customers.remember_vehicle(b.session, driver, "ABC-123", b.clock(), known=known)
    b.commit()
    assert same.id == again.id and same.last_used_at == b.clock()


def test_a_vehicle_remembered_is_written_at_once_with_nothing_left_to_flush(
    backend_at: Backend,
) -> None:
    # An SMS park touches or adds the car with one statement of its own: the commit has no
    # unit of work to run for it (tests/integration/test_sms_statement_budget.py).
    b = backend_at
    driver = b.driver()
    b.commit()
    for plate in ("ABC-123", "ABC-123", "XYZ-9"):
        b.clock.advance(minutes=1)
        known = customers.vehicles_by_recent_use(b.session, driver)
        vehicle = customers.remember_vehicle(b.session, driver, plate, b.clock(), known=known)
        assert not b.session.new and not b.session.dirty
        row = b.session.connection().execute(
            select(Vehicle.__table__.c.last_used_at).where(Vehicle.__table__.c.id == vehicle.id)
        )
        assert row.scalar_one() == vehicle.last_used_at == b.clock()
        b.commit()
    assert len(customers.vehicles_by_recent_use(b.session, driver)) == 2
