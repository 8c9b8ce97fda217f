"""The clock's booking duties: holds that lapse, the reminder before the start, the reminder
before the end (with a one-word extension when a space is free), and the end.

Claimed as the parking duties are (:mod:`app.clock.duties`): rows taken in locked batches
(``SKIP LOCKED`` on PostgreSQL), each change a conditional UPDATE that repeats its
condition, the SMS queued in the same transaction. Commits per batch.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, selectinload

from app.backend import bookings, zones
from app.kernel import Kanava
from app.models import Order, OrderKind, OrderStatus
from app.texts import bookings as texts
from app.texts.messages import language_of
from app.usecases import outbox_dispatch as notifications
from app.usecases import provider_events
from app.usecases.sms.bookings import EXTEND_BOOKING, PENDING_TTL

log = logging.getLogger(__name__)

# How long before its start a booking is reminded of (a booking made later than this
# before its start is not: its confirmation just came).
START_REMINDER_LEAD = timedelta(hours=1)
# A notice later than this after what it tells of is not sent (the outbox drops it).
NOTICE_WINDOW = timedelta(hours=1)
BATCH = 200


def _locked_batch(session: Session, query: Select[Order]) -> list[Order]:
    """Up to :data:`BATCH` bookings of ``query``, locked for this transaction; rows another
    clock holds are skipped (PostgreSQL; SQLite serialises writers)."""
    return list(
        session.scalars(
            query.order_by(Order.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=Order)
            .options(selectinload(Order.customer), selectinload(Order.zone))
            .execution_options(populate_existing=True)
        )
    )


def lapse_holds(session: Session, kanava: Kanava, now: datetime) -> int:
    """Unpaid bookings whose hold is over lapse (``bookings.lapse_hold``): the space is
    free, the checkout closed, the driver told once. A checkout paid whose event is late is
    applied instead. Each booking in its own savepoint. Returns how many lapsed."""
    failed: set[int] = set()
    query = select(Order).where(
        Order.kind == OrderKind.BOOKING,
        Order.status == OrderStatus.AWAITING_PAYMENT,
        Order.hold_expires_at <= now,
    )
    done = 0
    while batch := _locked_batch(
        session, query.where(Order.id.not_in(failed)) if failed else query
    ):
        for order in batch:
            hold = order.hold_expires_at
            try:
                with session.begin_nested():
                    lapsed = bookings.lapse_hold(session, kanava, order, now=now)
                    if isinstance(lapsed, bookings.HoldPaidLate):
                        provider_events.tell_paid(
                            session, kanava, lapsed.payment, lapsed.applied, now=now
                        )
                    if not isinstance(lapsed, bookings.HoldLapsed):
                        failed.add(order.id)
                        continue
                    assert hold is not None
                    if order.customer is not None:
                        notifications.queue_sms(
                            session,
                            kanava,
                            order.customer,
                            texts.hold_lapsed(order, language_of(order), kanava),
                            purpose="hold_lapsed",
                            order=order,
                            now=now,
                            expires_at=hold + NOTICE_WINDOW,
                        )
            except Exception:
                log.exception("the hold of booking %s could not lapse", order.id)
                failed.add(order.id)
                continue
            done += 1
        session.commit()
    session.commit()
    return done


def _claim(session: Session, order: Order, column: str, now: datetime) -> bool:
    result = session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            getattr(Order, column).is_(None),
            Order.status == OrderStatus.BOOKED,
            Order.starts_at == order.starts_at,
            Order.ends_at == order.ends_at,
        )
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    setattr(order, column, now)
    return True


def remind_starts(session: Session, kanava: Kanava, now: datetime) -> int:
    """One reminder before each booked booking's start (ref and how to cancel)."""
    query = select(Order).where(
        Order.kind == OrderKind.BOOKING,
        Order.status == OrderStatus.BOOKED,
        Order.start_reminder_sent_at.is_(None),
        Order.customer_id.is_not(None),
        Order.starts_at > now,
        Order.starts_at <= now + START_REMINDER_LEAD,
    )
    done = 0
    while batch := _locked_batch(session, query):
        for order in batch:
            if not _claim(session, order, "start_reminder_sent_at", now):
                continue
            if order.created_at > order.starts_at - START_REMINDER_LEAD:
                continue  # booked within the hour: the confirmation was the reminder
            assert order.customer is not None
            notifications.queue_sms(
                session,
                kanava,
                order.customer,
                texts.start_reminder(
                    order, bookings.terms_of(order.zone), language_of(order), kanava, now
                ),
                purpose="booking_start_reminder",
                order=order,
                now=now,
                expires_at=order.starts_at,
            )
            done += 1
        session.commit()
    session.commit()
    return done


def remind_ends(session: Session, kanava: Kanava, now: datetime) -> int:
    """One reminder before each booked booking's end; when a space is free after it, the
    driver may answer ``JATKA``/``FÖRLÄNG``/``EXTEND`` alone for one slot more."""
    lead = timedelta(minutes=kanava.settings.reminder_lead_minutes)
    query = select(Order).where(
        Order.kind == OrderKind.BOOKING,
        Order.status == OrderStatus.BOOKED,
        Order.reminder_sent_at.is_(None),
        Order.customer_id.is_not(None),
        Order.ends_at > now,
        Order.ends_at <= now + lead,
    )
    done = 0
    while batch := _locked_batch(session, query):
        for order in batch:
            if not _claim(session, order, "reminder_sent_at", now):
                continue
            customer = order.customer
            assert customer is not None and order.ends_at is not None
            policy = zones.booking_policy_of(order.zone)
            minutes = policy.slot_minutes if policy is not None else None
            if minutes and not bookings.can_extend(session, kanava, order, minutes, now):
                minutes = None
            if minutes:
                customer.pending = {
                    "kind": EXTEND_BOOKING,
                    "ref": order.booking_ref,
                    "minutes": minutes,
                    "expires": min(order.ends_at, now + PENDING_TTL).isoformat(),
                }
            notifications.queue_sms(
                session,
                kanava,
                customer,
                texts.end_reminder(order, minutes, language_of(order), kanava),
                purpose="booking_end_reminder",
                order=order,
                now=now,
                expires_at=order.ends_at,
            )
            done += 1
        session.commit()
    session.commit()
    return done


def end_bookings(session: Session, kanava: Kanava, now: datetime) -> int:
    """Booked bookings whose window is over become ``ended``."""
    query = select(Order).where(
        Order.kind == OrderKind.BOOKING,
        Order.status == OrderStatus.BOOKED,
        Order.ends_at <= now,
    )
    done = 0
    while batch := _locked_batch(session, query):
        for order in batch:
            if bookings.end_booking(session, order, now=now):
                done += 1
        session.commit()
    session.commit()
    return done
