"""Read-only booking views for the front doors: a zone's availability on a day.

No transaction is changed here; the session's read transaction is rolled back by the
caller's request teardown.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from app.backend import bookings, zones
from app.domain.booking_capacity import SlotAvailability
from app.kernel import Kanava


def availability(
    session: Session, kanava: Kanava, zone_code: str, day: date, now: datetime
) -> tuple[str, int, tuple[SlotAvailability, ...]] | None:
    """The zone's code, capacity and slots of ``day`` with their free counts, or None for
    a zone that is unknown or not bookable."""
    zone = zones.find(session, zone_code) if zone_code else None
    policy = zones.booking_policy_of(zone) if zone is not None else None
    if zone is None or policy is None:
        return None
    return zone.code, policy.capacity, bookings.availability(session, kanava, zone, day, now)
