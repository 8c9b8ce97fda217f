"""Time-driven duties, run by the clock process and by ``jobs tick``.

Each duty is a sweep over the database for rows that are due at ``now``, claimed with a
conditional UPDATE so that two clocks (or a clock and ``jobs tick``) never do one twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import Kanava
from app.models import Channel, EventKind, Order, OrderStatus, PaymentStatus
from app.services import notifications, timeline


@dataclass
class TickReport:
    expired: int = 0
    cancelled_unpaid: int = 0
    messages_sent: int = 0

    def __str__(self) -> str:
        return (
            f"expired {self.expired}, cancelled unpaid {self.cancelled_unpaid}, "
            f"messages sent {self.messages_sent}"
        )


def _claim_status(
    session: Session, order_id: int, old: OrderStatus, new: OrderStatus, now: datetime
) -> bool:
    result = session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == old)
        .values(status=new, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def expire_ended(session: Session, now: datetime) -> int:
    """Active parkings whose end has passed become ``expired``."""
    ids = list(
        session.scalars(
            select(Order.id).where(Order.status == OrderStatus.ACTIVE, Order.ends_at <= now)
        )
    )
    done = 0
    for order_id in ids:
        if _claim_status(session, order_id, OrderStatus.ACTIVE, OrderStatus.EXPIRED, now):
            order = session.get(Order, order_id)
            assert order is not None
            session.refresh(order)
            order.ended_at = order.ends_at
            timeline.record(
                session,
                at=now,
                channel=Channel.SYSTEM,
                kind=EventKind.ORDER,
                customer=order.customer,
                order=order,
                body=f"parking expired: {order.plate_display} in {order.zone.code}",
            )
            done += 1
        session.commit()
    return done


def cancel_unpaid(session: Session, now: datetime) -> int:
    """Parkings still awaiting payment after the grace time are cancelled."""
    ids = list(
        session.scalars(
            select(Order.id).where(
                Order.status == OrderStatus.AWAITING_PAYMENT, Order.payment_due_at <= now
            )
        )
    )
    done = 0
    for order_id in ids:
        if _claim_status(
            session, order_id, OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED, now
        ):
            order = session.get(Order, order_id)
            assert order is not None
            session.refresh(order)
            order.ended_at = now
            for payment in order.payments:
                if payment.status is PaymentStatus.PENDING:
                    payment.status = PaymentStatus.CANCELLED
                    payment.updated_at = now
            timeline.record(
                session,
                at=now,
                channel=Channel.SYSTEM,
                kind=EventKind.ORDER,
                customer=order.customer,
                order=order,
                body=f"parking cancelled, not paid: {order.plate_display}",
            )
            done += 1
        session.commit()
    return done


def run_due(session: Session, kanava: Kanava, now: datetime) -> TickReport:
    """Run every duty that is due at ``now``; safe to repeat and to run concurrently."""
    report = TickReport()
    report.expired = expire_ended(session, now)
    report.cancelled_unpaid = cancel_unpaid(session, now)
    report.messages_sent = notifications.dispatch_due(session, kanava, now=now)
    return report
