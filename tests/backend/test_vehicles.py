"""The customer's vehicle for a plate (:func:`app.backend.customers.remember_vehicle`) when
the caller already read the customer's vehicles: one per plate, never two, on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.backend import customers, orders
from app.models import Channel, Customer, Order, Vehicle
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


def _park(b: Backend, driver: Customer, plate: str, minutes: int, *, new: bool) -> object:
    """An SMS park's two steps: the car remembered (a new one left for the parking's own
    statement), then the parking."""
    known = None if new else customers.vehicles_by_recent_use(b.session, driver)
    vehicle = customers.remember_vehicle(
        b.session, driver, plate, b.clock(), new_customer=new, known=known, deferred=True
    )
    return _start(b, driver, vehicle, minutes)


def _start(b: Backend, driver: Customer, vehicle: Vehicle, minutes: int) -> object:
    return orders.start_parking(
        b.session,
        b.kanava,
        customer=driver,
        vehicle=vehicle,
        plate=vehicle.plate_display,
        zone=b.zone("301"),
        minutes=minutes,
        channel=Channel.SMS,
        now=b.clock(),
        language="fi",
    )


def _vehicles(b: Backend, driver: Customer) -> list[tuple[int, str]]:
    rows = b.session.scalars(select(Vehicle).where(Vehicle.customer_id == driver.id))
    return [(v.id, v.plate_display) for v in rows]


def test_a_new_car_is_written_with_its_parking_and_the_order_names_it(backend_at: Backend) -> None:
    b = backend_at
    driver = b.driver()
    b.commit()
    started = _park(b, driver, "abc-123", 60, new=True)
    assert isinstance(started, orders.ParkingStarted)
    b.commit()
    b.session.expire_all()
    ((vehicle_id, display),) = _vehicles(b, driver)
    assert display == "ABC-123"
    assert b.session.get(Order, started.order.id).vehicle_id == vehicle_id

    # A known driver's second car: added with its parking too, the first one untouched.
    b.clock.advance(minutes=1)
    second = _park(b, driver, "XYZ-9", 30, new=False)
    assert isinstance(second, orders.ParkingStarted)
    b.commit()
    b.session.expire_all()
    assert [d for _, d in _vehicles(b, driver)] == ["ABC-123", "XYZ-9"]
    vehicle_of_second = b.session.get(Order, second.order.id).vehicle_id
    assert b.session.get(Vehicle, vehicle_of_second).plate_display == "XYZ-9"


def test_a_new_car_is_remembered_when_no_parking_follows(backend_at: Backend) -> None:
    b = backend_at
    other, driver = b.driver("+358401112222"), b.driver()
    b.commit()
    _park(b, other, "ABC-123", 60, new=True)
    b.commit()

    # Parked by someone else here: refused, and the car still remembered, as before.
    with pytest.raises(orders.OrderError, match="parked_by_another"):
        _park(b, driver, "ABC-123", 60, new=False)
    b.commit()
    assert [d for _, d in _vehicles(b, driver)] == ["ABC-123"]

    # A duration out of range: refused, the car remembered.
    with pytest.raises(orders.OrderError, match="bad_duration"):
        _park(b, driver, "XYZ-9", 60 * 24 * 8, new=False)
    b.commit()
    assert [d for _, d in _vehicles(b, driver)] == ["ABC-123", "XYZ-9"]


def test_a_car_added_meanwhile_elsewhere_is_the_one_the_parking_names(backend_at: Backend) -> None:
    b = backend_at
    driver = b.driver()
    b.commit()
    known = customers.vehicles_by_recent_use(b.session, driver)
    # Another channel adds the plate after this message read the driver's cars.
    customers.remember_vehicle(b.session, driver, "ABC 123", b.clock(), known=[])
    b.commit()
    b.clock.advance(minutes=1)
    vehicle = customers.remember_vehicle(
        b.session, driver, "ABC-123", b.clock(), known=known, deferred=True
    )
    started = _start(b, driver, vehicle, 60)
    assert isinstance(started, orders.ParkingStarted)
    b.commit()
    b.session.expire_all()
    ((vehicle_id, _display),) = _vehicles(b, driver)
    assert b.session.get(Order, started.order.id).vehicle_id == vehicle_id
    assert b.session.get(Vehicle, vehicle_id).last_used_at == b.clock()  # touched
