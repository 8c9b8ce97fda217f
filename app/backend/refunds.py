"""Refunds: money paid back to the driver, in full or in part, once.

The refund state is kept on the payment (``refunded_cents``, ``refunded_at``); every
refund is a timeline event. Adds and flushes, never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.backend.ledger import idempotency_key, lock_payment, paid_total, record_payment_event
from app.domain.pricing import money_to_decimal_str
from app.kernel import Kanava
from app.models import Order, Payment, PaymentStatus


def unused_cents(order: Order, used_cents: int, kanava: Kanava) -> int:
    """What :func:`refund_unused` gives back of ``order`` kept at ``used_cents``."""
    if not kanava.settings.refund_unused:
        return 0
    return max(0, paid_total(order) - used_cents)


def refund_unused(
    session: Session, kanava: Kanava, order: Order, used_cents: int, *, now: datetime
) -> int:
    """A prepaid parking stopped early: refund what was paid beyond ``used_cents``
    (when ``REFUND_UNUSED`` is on), newest payments first. Returns the cents refunded."""
    paid = [p for p in order.payments if p.status is PaymentStatus.SUCCEEDED]
    excess = unused_cents(order, used_cents, kanava)
    refunded = 0
    for payment in reversed(paid):
        if excess <= 0:
            break
        amount = min(excess, payment.captured_cents - payment.refunded_cents)
        if amount <= 0:
            continue
        refund(session, kanava, payment, amount, now=now, reason="unused time")
        excess -= amount
        refunded += amount
    return refunded


class RefundNotPossible(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def refund(
    session: Session,
    kanava: Kanava,
    payment: Payment,
    amount_cents: int | None = None,
    *,
    now: datetime,
    reason: str = "requested",
    actor: str | None = None,
) -> Payment:
    """Refund ``amount_cents`` (default: all that is left) of a succeeded payment.

    The refund state is kept on the payment (``refunded_cents``, ``refunded_at``). The
    idempotency key names the payment and how much had been refunded before, so retrying
    the same refund never refunds twice. Does not commit. Raises
    :class:`RefundNotPossible` (``not_paid``, ``nothing_left``, ``bad_amount``).

    The payment row is locked and re-read first, so two clicks (or a staff refund and an
    early stop) refund from the same balance one after the other, never twice.
    """
    locked = lock_payment(session, payment.id)
    assert locked is not None
    payment = locked
    if payment.status is not PaymentStatus.SUCCEEDED:
        raise RefundNotPossible("not_paid")
    left = payment.captured_cents - payment.refunded_cents
    amount = left if amount_cents is None else amount_cents
    if left <= 0:
        raise RefundNotPossible("nothing_left")
    if not 0 < amount <= left:
        raise RefundNotPossible("bad_amount")
    refund_id = None
    if payment.provider_ref:
        refund_id = kanava.payments.refund(
            payment.provider_ref,
            amount,
            idempotency_key=idempotency_key(payment, f"refund-{payment.refunded_cents}-{amount}"),
        )
    payment.refunded_cents += amount
    payment.refunded_at = now
    payment.updated_at = now
    record_payment_event(
        session,
        order=payment.order,
        customer=payment.order.customer,
        now=now,
        actor=actor,
        body=f"refunded {money_to_decimal_str(amount)} {payment.currency} ({reason})",
        action="refunded",
        amount_cents=amount,
        currency=payment.currency,
        details={"payment_id": payment.id, "refund_id": refund_id, "reason": reason},
    )
    return payment
