"""Proactive messages, so the driver need not ask (issue 12, point 4): claimed clock duties
like :mod:`app.clock.duties`, each at most once per order, through the outbox.

* :func:`remind_unpaid`: a payment link still unpaid :data:`PAY_REMINDER_LEAD` before its
  grace ends gets one reminder;
* :func:`tell_failed_payments`: a failed card payment gets the reason in words and the
  link of the payment that replaced it;
* :func:`ask_still_parked`: an open-ended parking still running when its zone's paid hours
  end (it becomes free) or after :data:`STILL_PARKED_AFTER` is asked once whether the car
  is still there (the stop word ends it).

The outbox row itself records that a message was sent (``OutboundMessage.purpose`` and
``order_id``; a suppressed row for an opted-out number, which is never sent): a duty looks
for it with a fresh query under the order's row lock, so a retried or second clock never
sends twice. Orders are taken in locked batches (``SKIP LOCKED`` on PostgreSQL; SQLite
serialises writers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, selectinload

from app.backend import ledger
from app.backend.zones import tariff_of
from app.domain.pricing import is_paid_time, next_paid_change
from app.kernel import Kanava
from app.models import (
    LIVE_STATUSES,
    Order,
    OrderKind,
    OutboundMessage,
    Payment,
    PaymentStatus,
)
from app.texts import dialogue as texts
from app.texts import messages
from app.usecases import outbox_dispatch as notifications

BATCH = 200
PAY_REMINDER_LEAD = timedelta(minutes=5)
STILL_PARKED_AFTER = timedelta(hours=12)
# A failure older than this is not worth a message any more (after downtime).
FAILURE_NEWS_WINDOW = timedelta(hours=1)

PAY_REMINDER = "pay_reminder"
PAYMENT_FAILED = "payment_failed"
STILL_PARKED = "still_parked"


def _not_sent(purpose: str) -> ColumnElement[bool]:
    return (
        ~select(OutboundMessage.id)
        .where(OutboundMessage.order_id == Order.id, OutboundMessage.purpose == purpose)
        .exists()
    )


def _sent_before(session: Session, order: Order, purpose: str) -> bool:
    # A fresh query under the order's row lock: a clock that sent it committed first.
    return (
        session.scalar(
            select(OutboundMessage.id)
            .where(OutboundMessage.order_id == order.id, OutboundMessage.purpose == purpose)
            .limit(1)
        )
        is not None
    )


def _sweep(session: Session, query: Select[Order], purpose: str) -> Iterator[list[Order]]:
    """Locked batches of ``query``'s orders not yet sent ``purpose``, each looked at once;
    the caller commits each batch before asking for the next."""
    seen: set[int] = set()
    while True:
        q = query.where(Order.id.not_in(seen)) if seen else query
        batch = list(
            session.scalars(
                q.order_by(Order.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True, of=Order)
                .options(selectinload(Order.customer), selectinload(Order.zone))
                .execution_options(populate_existing=True)
            )
        )
        if not batch:
            return
        seen.update(o.id for o in batch)
        yield [o for o in batch if not _sent_before(session, o, purpose)]


def _send(
    session: Session, kanava: Kanava, order: Order, text: str, purpose: str, now: datetime
) -> None:
    assert order.customer is not None
    notifications.queue_sms(
        session, kanava, order.customer, text, purpose=purpose, order=order, now=now
    )


def remind_unpaid(session: Session, kanava: Kanava, now: datetime) -> int:
    """One reminder for a live parking (or its extension) whose payment link is still
    unpaid :data:`PAY_REMINDER_LEAD` before its grace ends. Commits; returns how many."""
    query = select(Order).where(
        Order.kind == OrderKind.PARKING,
        Order.status.in_(LIVE_STATUSES),
        Order.customer_id.is_not(None),
        Order.payment_due_at.is_not(None),
        Order.payment_due_at > now,
        Order.payment_due_at <= now + PAY_REMINDER_LEAD,
        Order.payments.any(Payment.status == PaymentStatus.PENDING),
        _not_sent(PAY_REMINDER),
    )
    sent = 0
    for batch in _sweep(session, query, PAY_REMINDER):
        for order in batch:
            payment = ledger.open_payment_of(order)
            link = ledger.link_to_pay(kanava, payment)
            if payment is None or link is None or order.payment_due_at is None:
                continue
            lang = messages.language_of(order)
            text = texts.pay_reminder(order, payment.amount_cents, link, lang, kanava, now)
            _send(session, kanava, order, text, PAY_REMINDER, now)
            sent += 1
        session.commit()
    session.commit()
    return sent


def tell_failed_payments(session: Session, kanava: Kanava, now: datetime) -> int:
    """A card payment that failed within :data:`FAILURE_NEWS_WINDOW`, with a pending payment
    asking for the money instead: the reason in words and the new link, once per order.
    Commits; returns how many."""
    query = select(Order).where(
        Order.kind == OrderKind.PARKING,
        Order.customer_id.is_not(None),
        Order.payments.any(
            (Payment.status == PaymentStatus.FAILED)
            & (Payment.updated_at >= now - FAILURE_NEWS_WINDOW)
        ),
        Order.payments.any(Payment.status == PaymentStatus.PENDING),
        _not_sent(PAYMENT_FAILED),
    )
    sent = 0
    for batch in _sweep(session, query, PAYMENT_FAILED):
        for order in batch:
            failed = [p for p in order.payments if p.status is PaymentStatus.FAILED]
            payment = ledger.open_payment_of(order)
            link = ledger.link_to_pay(kanava, payment)
            if not failed or payment is None or link is None:
                continue
            lang = messages.language_of(order)
            reason = failed[-1].failure_reason or ""
            text = texts.payment_failed(order, reason, payment.amount_cents, link, lang)
            _send(session, kanava, order, text, PAYMENT_FAILED, now)
            sent += 1
        session.commit()
    session.commit()
    return sent


def _still_parked_due(order: Order, kanava: Kanava, now: datetime) -> bool:
    """Running since :data:`STILL_PARKED_AFTER`, or past the end of the paid hours it was
    parked in (the zone is free now)."""
    if now - order.starts_at >= STILL_PARKED_AFTER:
        return True
    tz = kanava.settings.tz
    tariff = tariff_of(order.zone)
    if not is_paid_time(tariff, order.starts_at, tz) or is_paid_time(tariff, now, tz):
        return False
    paid_end = next_paid_change(tariff, order.starts_at, tz)
    return paid_end is not None and paid_end <= now


def ask_still_parked(session: Session, kanava: Kanava, now: datetime) -> int:
    """Ask once whether the car of a long-running open-ended parking is still there.
    Commits; returns how many were asked."""
    query = select(Order).where(
        Order.kind == OrderKind.PARKING,
        Order.status.in_(LIVE_STATUSES),
        Order.open_ended.is_(True),
        Order.customer_id.is_not(None),
        (Order.ends_at.is_(None)) | (Order.ends_at > now),
        _not_sent(STILL_PARKED),
    )
    sent = 0
    for batch in _sweep(session, query, STILL_PARKED):
        for order in batch:
            if not _still_parked_due(order, kanava, now):
                continue
            lang = messages.language_of(order)
            _send(
                session,
                kanava,
                order,
                texts.still_parked(order, lang, kanava, now),
                STILL_PARKED,
                now,
            )
            sent += 1
        session.commit()
    session.commit()
    return sent


class _Counts(Protocol):
    payment_reminders: int
    payment_failures_told: int
    still_parked_asked: int


def run(
    session: Session,
    kanava: Kanava,
    now: datetime,
    report: _Counts,
    guarded: Callable[[Session, str, Callable[[], int]], int],
) -> None:
    """The three duties, each guarded like the others (``duties._run``), into ``report``."""
    report.payment_reminders = guarded(
        session, "pay_reminders", lambda: remind_unpaid(session, kanava, now)
    )
    report.payment_failures_told = guarded(
        session, "payment_failures", lambda: tell_failed_payments(session, kanava, now)
    )
    report.still_parked_asked = guarded(
        session, "still_parked", lambda: ask_still_parked(session, kanava, now)
    )
