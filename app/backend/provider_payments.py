"""The payment provider's side of a payment: the hosted checkout Kanava opens, and what
the provider says about it, applied to the payment records.

Only ids come from the provider's events; amounts and states are fetched (the use case
:mod:`app.usecases.provider_events` does that). Money that arrives for a payment that is no
longer pending (a checkout paid after the order was cancelled), or for no payment at all
(a saved-card charge whose use case rolled back), is recorded and returned, never kept
silently. Adds and flushes, never commits; the caller tells the driver (:class:`Applied`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend import booking_space, customers
from app.backend.ledger import (
    HOLD_LAPSED,
    activate,
    idempotency_key,
    lock_payment,
    mark_extension_paid,
    record_event,
    record_payment_event,
)
from app.domain.pricing import money_to_decimal_str
from app.kernel import Kanava
from app.kernel.payments import CheckoutInfo, CheckoutRequest, PaymentInfo
from app.models import (
    Customer,
    Event,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
)

log = logging.getLogger(__name__)

# ``intent`` of the timeline event that records money returned because nobody asked for it.
ORPHAN_INTENT = "orphan_refunded"


def _ensure_provider_customer(session: Session, kanava: Kanava, customer: Customer) -> None:
    """Give ``customer`` a customer at the payment provider, to save a card on."""
    if customer.stripe_customer_id:
        return
    customer.stripe_customer_id = kanava.payments.create_customer(
        customer, idempotency_key=f"kanava-customer-{customer.id}"
    )
    session.flush()


def open_checkout(
    session: Session,
    kanava: Kanava,
    payment: Payment,
    *,
    previous: str | None,
    consent: str | None,
    now: datetime,
) -> CheckoutInfo:
    """Open a fresh hosted checkout for the pending ``payment`` (``previous`` is the one it
    replaces, closed already) and record it. With ``consent`` (the words the driver agreed
    to) the checkout saves the card, on a provider customer made for the driver if needed.
    Flushes."""
    order = payment.order
    customer = order.customer
    saving = consent is not None and customer is not None
    if saving:
        assert customer is not None
        _ensure_provider_customer(session, kanava, customer)
    base = kanava.settings.public_base_url
    info = kanava.payments.create_checkout(
        CheckoutRequest(
            payment_id=payment.id,
            order_id=order.id,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            description=f"{order.plate_display} / {order.zone.code} {order.zone.name}",
            success_url=f"{base}/pay/{payment.token}/return?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}/pay/{payment.token}",
            locale=order.language,
            capture_later=order.open_ended and order.status is not OrderStatus.ENDED,
            save_card=saving,
            customer_ref=customer.stripe_customer_id if saving and customer else None,
            consent_text=consent if saving else None,
            idempotency_key=idempotency_key(
                payment, f"checkout-{previous or 'first'}-{payment.amount_cents}"
            ),
        )
    )
    payment.checkout_ref = info.ref
    payment.updated_at = now
    record_event(
        session,
        order,
        now,
        "checkout opened",
        payment,
        action="checkout_opened",
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        checkout=info.ref,
    )
    return info


@dataclass(frozen=True)
class Returned:
    """Money nobody asked for, given back (:func:`return_unexpected`). The driver is told
    of a refund (not of a released hold) when it belongs to one of their orders."""

    order: Order | None
    customer: Customer | None
    amount_cents: int
    currency: str | None
    held: bool


@dataclass(frozen=True)
class Applied:
    """What applying the provider's word to a payment did (:func:`apply_paid`): ``paid``
    when the payment was paid (or its card held) now, so the driver's confirmation is due;
    ``returned`` when the money was not asked for and went back."""

    paid: bool = False
    returned: Returned | None = None
    # A booking paid after its hold lapsed, when no space was left: refunded in full.
    booking_lost: bool = False


def apply_paid(
    session: Session,
    kanava: Kanava,
    payment: Payment,
    info: PaymentInfo,
    *,
    now: datetime,
    how: str = "",
) -> Applied:
    """Mark the locked ``payment`` paid (or held) as the provider's ``info`` says, and
    activate the order. The caller tells the driver (see :class:`Applied`).

    Money for a payment that is no longer pending (cancelled with its order, or already
    paid through another checkout) is never kept: it is recorded and returned
    (:func:`return_unexpected`). A booking is booked instead of activated; one paid after
    its hold lapsed is booked only if a space is still free, else refunded
    (:func:`app.backend.booking_space.confirm_paid`; ``booking_lost``).
    """
    if info.status not in ("succeeded", "requires_capture"):
        if (
            payment.status is PaymentStatus.PENDING
            and info.status in ("requires_payment_method", "canceled")
            and info.failure
        ):
            record_event(
                session,
                payment.order,
                now,
                f"payment failed: {info.failure}",
                payment,
                action="charge_failed",
                reason=info.failure,
                amount_cents=payment.amount_cents,
                currency=payment.currency,
                ref=info.ref,
            )
        return Applied()
    if _paid_after_hold_lapsed(payment):
        payment.status = PaymentStatus.PENDING  # applied below, then capacity decides
    if payment.status is not PaymentStatus.PENDING:
        if payment.provider_ref != info.ref:
            return Applied(
                returned=return_unexpected(session, kanava, info, now=now, payment=payment)
            )
        return Applied()
    order = payment.order
    held = info.status == "requires_capture"
    payment.provider_ref = info.ref
    payment.status = PaymentStatus.AUTHORIZED if held else PaymentStatus.SUCCEEDED
    payment.captured_cents = 0 if held else (info.received_cents or info.amount_cents)
    payment.failure_reason = None
    payment.paid_at = now
    payment.updated_at = now
    customer = order.customer
    if (
        payment.save_card
        and customer is not None
        and info.payment_method_ref
        and info.customer_ref
        and info.customer_ref == customer.stripe_customer_id
    ):
        customer.saved_payment_method_id = info.payment_method_ref
        customer.card_saved_at = now
    if order.kind is not OrderKind.BOOKING:
        activate(order, now)
        mark_extension_paid(order)
    record_event(
        session,
        order,
        now,
        ("card held" if held else "paid")
        + f" {money_to_decimal_str(info.amount_cents)} {payment.currency}"
        + (f" ({how})" if how else ""),
        payment,
        action="held" if held else "paid",
        amount_cents=info.amount_cents,
        currency=payment.currency,
        how=how or None,
        ref=info.ref,
        card_saved=bool(payment.save_card and customer and customer.card_saved_at == now),
    )
    lost = order.kind is OrderKind.BOOKING and not booking_space.confirm_paid(
        session, kanava, order, payment, now=now
    )
    return Applied(paid=True, booking_lost=lost)


def _paid_after_hold_lapsed(payment: Payment) -> bool:
    """Money for a booking's payment cancelled only because its hold lapsed."""
    return (
        payment.order.kind is OrderKind.BOOKING
        and payment.status is PaymentStatus.CANCELLED
        and payment.failure_reason == HOLD_LAPSED
        and payment.provider_ref is None
        and payment.order.status is OrderStatus.EXPIRED
    )


def _already_returned(session: Session, ref: str) -> bool:
    return (
        session.scalar(
            select(Event.id).where(Event.external_id == ref, Event.intent == ORPHAN_INTENT).limit(1)
        )
        is not None
    )


def return_unexpected(
    session: Session,
    kanava: Kanava,
    info: PaymentInfo,
    *,
    now: datetime,
    payment: Payment | None = None,
    customer: Customer | None = None,
) -> Returned | None:
    """Give back money Kanava did not ask for: a charge no payment record owns (its use
    case rolled back), or one for a payment no longer pending. A hold is released, a
    charge refunded in full; the timeline records it (``intent`` ``orphan_refunded``, the
    PaymentIntent as ``external_id``). Once per PaymentIntent: None when it was returned
    already. The caller tells the driver (:class:`Returned`)."""
    if _already_returned(session, info.ref):
        return None
    gateway = kanava.payments
    held = info.status == "requires_capture"
    amount = info.amount_cents if held else (info.received_cents or info.amount_cents)
    refund_id = None
    if held:
        gateway.cancel(info.ref, idempotency_key=f"kanava-unexpected-{info.ref}-release")
    else:
        refund_id = gateway.refund(
            info.ref, amount, idempotency_key=f"kanava-unexpected-{info.ref}-refund"
        )
    order = payment.order if payment is not None else None
    if order is not None:
        customer = order.customer
    if payment is not None and payment.provider_ref is None:
        # The money arrived for this record (a checkout paid after cancelling): keep it here.
        payment.provider_ref = info.ref
        payment.captured_cents = 0 if held else amount
        payment.refunded_cents = 0 if held else amount
        payment.refunded_at = now
        payment.failure_reason = "paid_after_cancel"
        payment.updated_at = now
    what = "released" if held else "refunded"
    log.warning(
        "%s %s: %s %s for %s",
        info.ref,
        info.status,
        what,
        amount,
        f"payment {payment.id} ({payment.status.value})" if payment else "no payment",
    )
    currency = payment.currency if payment else (order.currency if order else None)
    record_payment_event(
        session,
        order=order,
        customer=customer,
        now=now,
        intent=ORPHAN_INTENT,
        external_id=info.ref,
        body=(
            f"{info.ref} ({money_to_decimal_str(amount)} {payment.currency if payment else ''})"
            " was not asked for"
            f" by any pending payment: {what}"
        ),
        action=what,
        amount_cents=amount,
        currency=currency,
        details={
            "unexpected": True,
            "payment_id": payment.id if payment else None,
            "payment_status": payment.status.value if payment else None,
            "ref": info.ref,
            "refund_id": refund_id,
        },
    )
    return Returned(order, customer, amount, currency, held)


def payment_id_for(session: Session, info: PaymentInfo) -> int | None:
    """The payment a PaymentIntent belongs to: the one that recorded it, else the one its
    metadata names (a checkout's intent, made for a committed payment)."""
    by_ref = session.scalar(select(Payment.id).where(Payment.provider_ref == info.ref).limit(1))
    return by_ref if by_ref is not None else info.payment_id


def claim_orphan(
    session: Session, kanava: Kanava, info: PaymentInfo, *, now: datetime
) -> Payment | Returned | None:
    """A paid PaymentIntent no payment owns. The customer's row is locked first: a
    saved-card charge holds it until its use case commits or rolls back, so a charge whose
    record is on its way is found (its locked payment is returned), and one that was
    rolled back is returned to the driver (:func:`return_unexpected`)."""
    customer = (
        session.scalar(select(Customer).where(Customer.stripe_customer_id == info.customer_ref))
        if info.customer_ref
        else None
    )
    if customer is not None:
        customers.lock(session, customer)
        payment_id = payment_id_for(session, info)
        if payment_id is not None:
            return lock_payment(session, payment_id)
    return return_unexpected(session, kanava, info, now=now, customer=customer)


def applied_if_paid(
    session: Session, kanava: Kanava, payment: Payment, *, now: datetime
) -> Applied:
    """Ask the provider whether the pending ``payment``'s checkout was paid (its event may
    be late) and apply it if so (:func:`apply_paid`; ``paid`` when it was paid now). Locks
    the payment row."""
    if payment.status is not PaymentStatus.PENDING or not payment.checkout_ref:
        return Applied()
    info = kanava.payments.get_checkout(payment.checkout_ref)
    if info.status != "complete" or not info.payment_ref:
        return Applied()
    locked = lock_payment(session, payment.id)
    assert locked is not None
    return apply_paid(
        session, kanava, locked, kanava.payments.get_payment(info.payment_ref), now=now
    )
