"""The clock's waitlist duty: offers not taken in time pass on, freed spaces are offered to
the first in line, lines for windows that began are closed.

Exactly once, even with two clocks: the entries are taken ``FOR UPDATE SKIP LOCKED``, and
the offers of a zone are made under its capacity lock (taken before its line is read, so a
second clock waits and then sees the first one's offers). Every offer is its SMS, queued in
the same transaction through the outbox, which never sends to an opted-out number; an
opted-out driver is not offered anything (the space goes to the next). Commits per zone.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from app.backend import booking_space, waitlist
from app.kernel import Kanava
from app.models import OrderStatus, WaitlistEntry, WaitlistStatus
from app.texts import waitlist as texts
from app.usecases import outbox_dispatch as notifications

log = logging.getLogger(__name__)

BATCH = 200


def _locked(session: Session, query: Select[WaitlistEntry]) -> list[WaitlistEntry]:
    return list(
        session.scalars(
            query.order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=WaitlistEntry)
            .options(
                selectinload(WaitlistEntry.customer),
                selectinload(WaitlistEntry.zone),
                selectinload(WaitlistEntry.order),
            )
            .execution_options(populate_existing=True)
        )
    )


def pass_on_lapsed_offers(session: Session, kanava: Kanava, now: datetime) -> int:
    """Offers whose time is over lapse: the held booking expires, the driver is told the
    space went on. Returns how many passed on."""
    query = select(WaitlistEntry).where(
        WaitlistEntry.status == WaitlistStatus.OFFERED,
        WaitlistEntry.offer_expires_at <= now,
    )
    done = 0
    for entry in _locked(session, query):
        held = entry.order is not None and entry.order.status is OrderStatus.AWAITING_PAYMENT
        if not waitlist.pass_on(session, kanava, entry, now):
            continue
        done += 1
        if not held:
            continue  # the driver cancelled the offered booking: nothing lapsed to tell
        notifications.queue_sms(
            session,
            kanava,
            entry.customer,
            texts.offer_passed(entry, entry.language, kanava),
            purpose="waitlist_passed",
            order=entry.order,
            now=now,
            expires_at=entry.starts_at,
        )
    session.commit()
    return done


def close_started_lines(session: Session, now: datetime) -> int:
    """Entries whose window began while they waited are closed (no SMS: nothing freed)."""
    query = select(WaitlistEntry).where(
        WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.starts_at <= now
    )
    found = _locked(session, query)
    for entry in found:
        waitlist.expire(entry, now)
    session.commit()
    return len(found)


def _zones_waiting(session: Session, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(WaitlistEntry.zone_id)
            .where(WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.starts_at > now)
            .distinct()
            .order_by(WaitlistEntry.zone_id)
        )
    )


def _offer_in_zone(session: Session, kanava: Kanava, zone_id: int, now: datetime) -> int:
    # The zone's lock first, then its line: a second clock waits here and then reads the
    # line as the first one left it.
    booking_space.lock_capacity(session, zone_id)
    query = select(WaitlistEntry).where(
        WaitlistEntry.zone_id == zone_id,
        WaitlistEntry.status == WaitlistStatus.WAITING,
        WaitlistEntry.starts_at > now,
    )
    done = 0
    for entry in _locked(session, query):
        if entry.customer.opted_out:
            waitlist.expire(entry, now)
            continue
        if not waitlist.offer_space(session, kanava, entry, now):
            continue
        assert entry.order is not None
        notifications.queue_sms(
            session,
            kanava,
            entry.customer,
            texts.offer(entry, entry.order, entry.language, kanava),
            purpose="waitlist_offer",
            order=entry.order,
            now=now,
            expires_at=entry.offer_expires_at,
        )
        done += 1
    return done


def offer_freed_spaces(session: Session, kanava: Kanava, now: datetime) -> int:
    """Pass on lapsed offers, close lines whose window began, then offer every freed
    space to the first in line whose window it fits. Returns how many offers went out."""
    pass_on_lapsed_offers(session, kanava, now)
    close_started_lines(session, now)
    offered = 0
    for zone_id in _zones_waiting(session, now):
        try:
            offered += _offer_in_zone(session, kanava, zone_id, now)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("waitlist offers in zone %s failed", zone_id)
    return offered
