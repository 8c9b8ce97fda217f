"""What an operator watches, read from the database at the moment it is asked (``/metrics``).

Read from the database rather than counted in memory, so that every gunicorn worker, every
node and the clock process agree without sharing memory: the number of SMS in and out,
send and payment failures, the outbox backlog and its oldest message, and how far each
clock duty is behind (the age of the oldest row that is due and not yet done; 0 when none
is, up to one sweep interval is normal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backend import privacy
from app.models import (
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    OutboundStatus,
    Payment,
    PaymentStatus,
)

WAITING = (OutboundStatus.QUEUED, OutboundStatus.SENDING)
SEND_FAILED = (OutboundStatus.FAILED, OutboundStatus.UNDELIVERED)


@dataclass(frozen=True)
class Snapshot:
    sms_received: int
    sms_sent: int
    sms_send_failures: int
    outbox_backlog: int
    outbox_oldest_age_seconds: float
    payment_failures: int
    clock_lag_seconds: dict[str, float] = field(default_factory=dict)


def _count(session: Session, query: object) -> int:
    return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def _age(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def snapshot(
    session: Session, now: datetime, *, reminder_lead: timedelta, message_days: int
) -> Snapshot:
    """The figures at ``now``; read-only."""
    events_of = select(func.count()).select_from(Event)
    oldest_waiting = session.scalar(
        select(func.min(OutboundMessage.created_at)).where(OutboundMessage.status.in_(WAITING))
    )
    return Snapshot(
        sms_received=_count(session, events_of.where(Event.kind == EventKind.MESSAGE_IN)),
        sms_sent=_count(session, events_of.where(Event.kind == EventKind.MESSAGE_OUT)),
        sms_send_failures=_count(
            session,
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.status.in_(SEND_FAILED)),
        ),
        outbox_backlog=_count(
            session,
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.status.in_(WAITING)),
        ),
        outbox_oldest_age_seconds=_age(now, oldest_waiting),
        payment_failures=_count(
            session,
            select(func.count()).select_from(Payment).where(Payment.status == PaymentStatus.FAILED),
        ),
        clock_lag_seconds=clock_lag(
            session, now, reminder_lead=reminder_lead, message_days=message_days
        ),
    )


def clock_lag(
    session: Session, now: datetime, *, reminder_lead: timedelta, message_days: int
) -> dict[str, float]:
    """Per duty, how long its oldest due row has waited (seconds)."""
    expire_due = session.scalar(
        select(func.min(Order.ends_at)).where(
            Order.status == OrderStatus.ACTIVE, Order.ends_at < now
        )
    )
    unpaid_due = session.scalar(
        select(func.min(Order.payment_due_at)).where(
            Order.status == OrderStatus.AWAITING_PAYMENT, Order.payment_due_at < now
        )
    )
    reminder_end = session.scalar(
        select(func.min(Order.ends_at)).where(
            Order.status == OrderStatus.ACTIVE,
            Order.reminder_sent_at.is_(None),
            Order.open_ended.is_(False),
            Order.ends_at > now,
            Order.ends_at <= now + reminder_lead,
        )
    )
    outbox_due = session.scalar(
        select(func.min(OutboundMessage.next_attempt_at)).where(
            OutboundMessage.status == OutboundStatus.QUEUED,
            OutboundMessage.next_attempt_at <= now,
        )
    )
    lags = {
        "expire": _age(now, expire_due),
        "cancel_unpaid": _age(now, unpaid_due),
        "reminders": _age(now, reminder_end - reminder_lead if reminder_end else None),
        "outbox": _age(now, outbox_due),
    }
    if message_days:
        keep = timedelta(days=message_days)
        oldest_text = session.scalar(
            select(func.min(Event.created_at)).where(
                Event.kind.in_(privacy.SPOKEN_KINDS),
                Event.body != "",
                Event.created_at < now - keep,
            )
        )
        lags["retention"] = _age(now, oldest_text + keep if oldest_text else None)
    return lags
