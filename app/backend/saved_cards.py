"""Charging a driver's saved card off-session, and a card tokenised on a phone call.

A returning driver who agreed to save a card is charged without a link: fixed-duration
parking at start, open-ended parking at stop for the minutes used, an extension for the
difference (:mod:`app.backend.billing` decides when). A decline or a card that needs
authentication never loses the parking: the failed attempt is kept with its reason, a
new pending payment carries a link, and the timeline says why.

A saved-card charge is made while its payment record is not yet committed (the use case
commits once, with its reply), so its idempotency key must survive a rollback and the
retry of the same delivery: it names the customer and how many payments the customer had
before (``kanava-customer-<id>-charge-<n>-<purpose>-<amount>``), read under the
customer's row lock. If the use case rolls back after all, the charge belongs to no
payment: the ``payment_intent`` webhook finds it unmatched and refunds it
(:func:`app.backend.provider_payments.claim_orphan`). Adds and flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backend import customers
from app.backend.ledger import idempotency_key, lock_payment, new_payment, record_event
from app.backend.provider_payments import ORPHAN_INTENT, apply_paid
from app.domain.pricing import money_to_decimal_str
from app.kernel import Kanava
from app.kernel.payments import ChargeDeclined
from app.models import Customer, Event, Order, Payment, PaymentStatus


def saved_card_charge_key(
    session: Session, customer: Customer, purpose: str, amount_cents: int
) -> str:
    """The idempotency key of the customer's next saved-card charge.

    It must be the same when the transaction that charged rolls back and the same delivery
    is handled again (so Stripe answers with the first charge instead of charging twice),
    and different for the customer's next real charge. It counts what is committed (or
    flushed in this transaction) about the customer: payments, and charges refunded as
    orphans (so a charge refunded as an orphan is never replayed as if paid). Call it
    with the customer's row locked.
    """
    payments_before = session.scalar(
        select(func.count(Payment.id)).join(Order).where(Order.customer_id == customer.id)
    )
    orphans_before = session.scalar(
        select(func.count(Event.id)).where(
            Event.customer_id == customer.id, Event.intent == ORPHAN_INTENT
        )
    )
    n = int(payments_before or 0) + int(orphans_before or 0)
    return f"kanava-customer-{customer.id}-charge-{n}-{purpose}-{amount_cents}"


def charge_saved_card(
    session: Session, kanava: Kanava, order: Order, amount: int, purpose: str, now: datetime
) -> Payment:
    """Charge ``amount`` off-session; on failure keep the failed attempt and return a new
    pending payment with a link instead. Never raises for a decline.

    The customer's row is locked until the use case commits: one driver's charges are made
    one at a time, and the ``payment_intent`` webhook that checks for orphan charges
    (:func:`app.usecases.provider_events.sync_payment`) waits until this charge is
    recorded or rolled back. The key and the metadata name no uncommitted id (see
    :func:`saved_card_charge_key`).
    """
    customer = order.customer
    assert customer is not None
    customers.lock(session, customer)
    assert customer.stripe_customer_id and customer.saved_payment_method_id
    key = saved_card_charge_key(session, customer, purpose, amount)
    payment = new_payment(session, kanava, order, amount, now)
    try:
        info = kanava.payments.charge_saved_card(
            customer_ref=customer.stripe_customer_id,
            payment_method_ref=customer.saved_payment_method_id,
            amount_cents=amount,
            currency=order.currency,
            metadata={
                "kanava_customer_id": str(customer.id),
                "kanava_charge": key,
                "purpose": purpose,
            },
            idempotency_key=key,
        )
    except ChargeDeclined as exc:
        payment.status = PaymentStatus.FAILED
        payment.failure_reason = exc.code[:255]
        payment.provider_ref = exc.payment_ref
        payment.updated_at = now
        fallback = new_payment(session, kanava, order, amount, now)
        record_event(
            session,
            order,
            now,
            f"saved card not charged ({exc.code}): payment link sent instead",
            payment,
            action="charge_failed",
            amount_cents=amount,
            currency=order.currency,
            reason=exc.code,
            fallback_payment_id=fallback.id,
        )
        return fallback
    payment.provider_ref = info.ref
    payment.status = PaymentStatus.SUCCEEDED
    payment.captured_cents = info.received_cents or amount
    payment.paid_at = now
    payment.updated_at = now
    record_event(
        session,
        order,
        now,
        f"saved card charged {money_to_decimal_str(amount)} {order.currency}",
        payment,
        action="card_charged",
        amount_cents=amount,
        currency=order.currency,
        purpose=purpose,
        ref=info.ref,
    )
    return payment


@dataclass(frozen=True)
class CardCharge:
    """The outcome of :func:`charge_tokenised_card`: the payment, and why it failed."""

    payment: Payment
    failure: str | None = None


def charge_tokenised_card(
    session: Session,
    kanava: Kanava,
    payment: Payment,
    payment_method_ref: str,
    *,
    customer_ref: str | None,
    attempt: str,
    now: datetime,
) -> CardCharge:
    """Charge a card tokenised elsewhere (Twilio ``<Pay>``'s Stripe connector) for the
    exact amount of a committed pending ``payment``, and apply it like any other payment.

    The payment row is locked first, so a ``payment_intent`` webhook for the same charge
    waits and then finds it paid: the order is activated and recorded once. A payment no
    longer pending is returned as it is (a retried callback charges nothing). ``attempt``
    names the try (a second card after a decline is a new charge). No confirmation is
    queued: the caller is told on the line. Does not commit.
    """
    locked = lock_payment(session, payment.id)
    assert locked is not None
    payment = locked
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED):
        return CardCharge(payment)
    if payment.status is not PaymentStatus.PENDING:
        return CardCharge(payment, f"payment_{payment.status.value}")
    if not kanava.payments.saves_cards:
        return CardCharge(payment, "gateway_without_cards")
    order = payment.order
    try:
        info = kanava.payments.charge_saved_card(
            customer_ref=customer_ref or "",
            payment_method_ref=payment_method_ref,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            metadata={
                "kanava_payment_id": str(payment.id),
                "kanava_order_id": str(order.id),
                "purpose": "voice",
            },
            idempotency_key=idempotency_key(payment, f"card-{attempt}"),
        )
    except ChargeDeclined as exc:
        failure = exc.code
    else:
        # The caller tells the driver on the line. (Money for a payment no longer pending
        # cannot come back here: the payment was found pending under its row lock.)
        if apply_paid(session, kanava, payment, info, now=now, how="card by phone").paid:
            return CardCharge(payment)
        failure = info.failure or info.status
    payment.failure_reason = failure[:255]
    payment.updated_at = now
    record_event(
        session,
        order,
        now,
        f"card by phone failed: {payment.failure_reason}",
        payment,
        action="charge_failed",
        reason=payment.failure_reason,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
    )
    return CardCharge(payment, failure)


def no_card_by_phone(session: Session, payment: Payment, failure: str, *, now: datetime) -> None:
    """A caller gave no card Kanava can charge for the pending ``payment`` (none keyed, or
    a gateway that cannot charge tokenised cards): the payment keeps why, and the
    timeline records it."""
    payment.failure_reason = failure[:255]
    payment.updated_at = now
    record_event(
        session,
        payment.order,
        now,
        f"card by phone failed: {payment.failure_reason}",
        payment,
        action="charge_failed",
        reason=payment.failure_reason,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
    )
