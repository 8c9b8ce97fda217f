"""The driver's payment link ``/pay/<token>``: where it leads now, the return from a
hosted checkout, and the local demo payment. Each public function commits once, then
sends the messages it queued.

The link names a payment, never a provider session: :func:`checkout_for_token` sends the
driver to the payment's current hosted checkout and opens a fresh one when the old one
has expired or no longer matches the amount, so the link outlives any session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.backend import billing, ledger, provider_payments
from app.kernel import Kanava
from app.kernel.payments import PaymentInfo
from app.models import OrderStatus, Payment, PaymentStatus
from app.usecases import outbox_dispatch as notifications
from app.usecases.provider_events import sync_checkout, tell_paid


@dataclass(frozen=True)
class CheckoutStep:
    """What ``/pay/<token>`` does next."""

    action: Literal["redirect", "ask_consent", "done", "demo"]
    payment: Payment
    url: str | None = None


class PaymentNotPayable(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def consent_text(lang: str) -> str:
    """The plain words the driver agrees to when saving a card."""
    with force_locale(lang):
        return str(
            _(
                "Save my card for my next parkings: Kanava will charge this card for the time "
                "I park, without a payment link, and send the receipt by text message."
            )
        )


def _waived_as_too_small(session: Session, kanava: Kanava, payment: Payment, now: datetime) -> bool:
    """A pending ``payment`` that asks less than the provider's minimum (left from before
    the policy, or shrunk by a correction) is never sent to a checkout: it is waived,
    recorded, and its order counts as paid (:func:`ledger.asks_for`). Commits then."""
    if not ledger.below_minimum(payment.amount_cents, payment.currency):
        return False
    billing.waive_pending(session, kanava, payment, now=now)
    ledger.activate(payment.order, now)
    ledger.mark_extension_paid(payment.order)
    session.commit()
    return True


def checkout_for_token(
    session: Session,
    kanava: Kanava,
    token: str,
    *,
    now: datetime,
    save_card: bool | None = None,
) -> CheckoutStep:
    """Where the driver's link ``/pay/<token>`` leads now. Commits.

    A payment no longer pending shows its result. With Stripe, a driver who could save a
    card is asked first (``ask_consent``) unless ``save_card`` answers it; then the
    payment's checkout is reused while it is open and still asks for the right amount,
    and replaced by a fresh one otherwise. Raises :class:`PaymentNotPayable` ``unknown``.
    """
    payment = ledger.find_by_token(session, token)
    if payment is None:
        raise PaymentNotPayable("unknown")
    if payment.status is not PaymentStatus.PENDING:
        return CheckoutStep("done", payment)
    if _waived_as_too_small(session, kanava, payment, now):
        return CheckoutStep("done", payment)
    gateway = kanava.payments
    if gateway.name == "demo":
        return CheckoutStep("demo", payment)
    order = payment.order
    customer = order.customer
    own_phone = ledger.made_from_own_phone(order)
    if save_card is not None:
        payment.save_card = save_card and own_phone
    can_save = gateway.saves_cards and own_phone and not ledger.has_saved_card(customer, kanava)
    if can_save and payment.save_card is None:
        session.commit()
        return CheckoutStep("ask_consent", payment)

    previous = payment.checkout_ref
    if previous:
        current = gateway.get_checkout(previous)
        if current.status == "complete":
            sync_checkout(session, kanava, current.ref, now=now)
            return CheckoutStep("done", payment)
        if (
            current.status == "open"
            and current.amount_cents == payment.amount_cents
            and current.url
        ):
            session.commit()
            return CheckoutStep("redirect", payment, current.url)
        if current.status == "open":
            gateway.expire_checkout(
                previous, idempotency_key=ledger.idempotency_key(payment, f"expire-{previous}")
            )
    saving = bool(payment.save_card) and own_phone and customer is not None
    info = provider_payments.open_checkout(
        session,
        kanava,
        payment,
        previous=previous,
        consent=consent_text(order.language) if saving else None,
        now=now,
    )
    session.commit()
    return CheckoutStep("redirect", payment, info.url)


def return_from_checkout(
    session: Session, kanava: Kanava, token: str, checkout_ref: str | None, *, now: datetime
) -> Payment:
    """The driver's browser came back from the checkout: apply it if the webhook has not
    yet (commits then). Raises :class:`PaymentNotPayable` ``unknown``."""
    payment = ledger.find_by_token(session, token)
    if payment is None:
        raise PaymentNotPayable("unknown")
    ref = payment.checkout_ref
    if checkout_ref and checkout_ref == ref and payment.status is PaymentStatus.PENDING:
        sync_checkout(session, kanava, ref, now=now)
        session.refresh(payment)
    return payment


def complete_demo_payment(
    session: Session, kanava: Kanava, token: str, *, now: datetime
) -> Payment:
    """The driver pressed "pay" on the demo page: the payment succeeds and the order is active.

    Repeating it changes nothing (the button may be pressed twice). Commits. Queues one
    confirmation SMS. Raises :class:`PaymentNotPayable` when the link is unknown, the
    payment was cancelled, or the gateway is not the demo one.
    """
    if kanava.payments.name != "demo":
        raise PaymentNotPayable("not_demo")
    payment = ledger.find_by_token(session, token)
    if payment is None:
        raise PaymentNotPayable("unknown")
    payment = ledger.lock_payment(session, payment.id)
    assert payment is not None
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED):
        return payment
    if payment.status is not PaymentStatus.PENDING:
        raise PaymentNotPayable(payment.status.value)
    order = payment.order
    if order.status is OrderStatus.CANCELLED:
        raise PaymentNotPayable("order_cancelled")
    if _waived_as_too_small(session, kanava, payment, now):
        raise PaymentNotPayable(PaymentStatus.CANCELLED.value)
    held = order.open_ended and order.status is not OrderStatus.ENDED
    info = PaymentInfo(
        ref=f"demo_{payment.token}",
        status="requires_capture" if held else "succeeded",
        amount_cents=payment.amount_cents,
        received_cents=0 if held else payment.amount_cents,
        customer_ref=None,
        payment_method_ref=None,
        payment_id=payment.id,
    )
    applied = provider_payments.apply_paid(session, kanava, payment, info, now=now)
    tell_paid(session, kanava, payment, applied, now=now)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return payment
