"""Payments: the payment port and the records of payment attempts.

A :class:`PaymentGateway` is chosen once at start-up. Until Stripe is configured, the
:class:`DemoGateway` serves a local page, clearly marked as a demo, behind the same
``/pay/<token>`` link that the SMS carries. It is never active when
``STRIPE_SECRET_KEY`` is set.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import (
    Channel,
    EventKind,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
)
from app.services import timeline
from app.services.pricing import price

if TYPE_CHECKING:
    from app import Kanava

# Open-ended parking in a zone without a longest stay: hold at most a day's parking.
OPEN_ENDED_HOLD = timedelta(hours=24)


class PaymentGateway(Protocol):
    """What Kanava needs from a payment provider."""

    name: str

    def checkout_url(self, payment: Payment, settings: Settings) -> str:
        """Where the driver's ``/pay/<token>`` link sends them to pay ``payment``."""
        ...


class DemoGateway:
    """Local demo payments: a page on this server with a "pay" button, no money moves."""

    name = "demo"

    def checkout_url(self, payment: Payment, settings: Settings) -> str:
        return f"{settings.public_base_url}/demo-pay/{payment.token}"


class PaymentConfigurationError(RuntimeError):
    pass


def build_payment_gateway(settings: Settings) -> PaymentGateway:
    if settings.stripe_configured:
        raise PaymentConfigurationError(
            "STRIPE_SECRET_KEY is set but this build has no Stripe gateway yet; "
            "unset it to use the demo payment page"
        )
    return DemoGateway()


def new_token() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, 72 bits


def pay_link(settings: Settings, payment: Payment) -> str:
    return f"{settings.public_base_url}/pay/{payment.token}"


def open_payment_of(order: Order) -> Payment | None:
    """The order's payment that still waits for the driver, if any."""
    for payment in reversed(order.payments):
        if payment.status is PaymentStatus.PENDING:
            return payment
    return None


def held_payment_of(order: Order) -> Payment | None:
    for payment in reversed(order.payments):
        if payment.status is PaymentStatus.AUTHORIZED:
            return payment
    return None


def _hold_amount(order: Order, kanava: Kanava) -> int:
    """What to hold on a card for an open-ended parking: its price up to the longest stay."""
    from app.services.zones import tariff_of

    end = order.ends_at or order.starts_at + OPEN_ENDED_HOLD
    return price(tariff_of(order.zone), order.starts_at, end, kanava.settings.tz)


def amount_to_collect(order: Order, kanava: Kanava) -> int:
    """What the first payment of a new order asks for: its price, or for an open-ended
    parking the most it can cost (held on the card, captured at stop)."""
    return order.amount_cents if not order.open_ended else _hold_amount(order, kanava)


def open_for_order(session: Session, kanava: Kanava, order: Order, *, now: datetime) -> Payment:
    """Create the first payment of a new order, pending until the driver pays via the link."""
    amount = amount_to_collect(order, kanava)
    payment = Payment(
        order=order,
        provider=kanava.payments.name,
        status=PaymentStatus.PENDING,
        amount_cents=amount,
        currency=order.currency,
        token=new_token(),
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    session.flush()
    return payment


def charge_extension(
    session: Session, kanava: Kanava, order: Order, added_cents: int, *, now: datetime
) -> Payment | None:
    """Ask for the price of an extension: grow the pending payment, or open a new one."""
    if added_cents <= 0:
        return open_payment_of(order)
    pending = open_payment_of(order)
    if pending is not None:
        pending.amount_cents += added_cents
        pending.updated_at = now
        return pending
    payment = Payment(
        order=order,
        provider=kanava.payments.name,
        status=PaymentStatus.PENDING,
        amount_cents=added_cents,
        currency=order.currency,
        token=new_token(),
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    session.flush()
    return payment


def settle(
    session: Session, kanava: Kanava, order: Order, amount_cents: int, *, now: datetime
) -> Payment | None:
    """Collect ``amount_cents`` for an order that is ending.

    A card held for an open-ended parking is captured for that amount; a payment still
    pending is reduced to it (and cancelled when nothing is owed).
    """
    held = held_payment_of(order)
    if held is not None:
        held.captured_cents = min(amount_cents, held.amount_cents)
        held.status = PaymentStatus.SUCCEEDED
        held.paid_at = now
        held.updated_at = now
        timeline.record(
            session,
            at=now,
            channel=Channel.PAYMENT,
            kind=EventKind.PAYMENT,
            customer=order.customer,
            order=order,
            body=f"captured {held.captured_cents} of {held.amount_cents} held",
            data={"payment_id": held.id, "provider": held.provider},
        )
        return held
    pending = open_payment_of(order)
    if pending is not None:
        pending.amount_cents = amount_cents
        pending.updated_at = now
        if amount_cents == 0:
            pending.status = PaymentStatus.CANCELLED
        return pending
    return None


def find_by_token(session: Session, token: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.token == token))


class PaymentNotPayable(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def complete_demo_payment(
    session: Session, kanava: Kanava, token: str, *, now: datetime
) -> Payment:
    """The driver pressed "pay" on the demo page: the payment succeeds and the order is active.

    Repeating it changes nothing (the button may be pressed twice). Commits. Queues one
    confirmation SMS. Raises :class:`PaymentNotPayable` when the link is unknown, the
    payment was cancelled, or the gateway is not the demo one.
    """
    from app.services import notifications
    from app.services.messages import payment_confirmed_text

    if kanava.payments.name != "demo":
        raise PaymentNotPayable("not_demo")
    payment = find_by_token(session, token)
    if payment is None:
        raise PaymentNotPayable("unknown")
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED):
        return payment
    if payment.status is not PaymentStatus.PENDING:
        raise PaymentNotPayable(payment.status.value)
    order = payment.order
    if order.status is OrderStatus.CANCELLED:
        raise PaymentNotPayable("order_cancelled")
    held = order.open_ended and order.status is not OrderStatus.ENDED
    payment.status = PaymentStatus.AUTHORIZED if held else PaymentStatus.SUCCEEDED
    payment.captured_cents = 0 if held else payment.amount_cents
    payment.paid_at = now
    payment.provider_ref = f"demo_{payment.token}"
    payment.updated_at = now
    became_active = order.status is OrderStatus.AWAITING_PAYMENT
    if became_active:
        order.status = OrderStatus.ACTIVE
        order.payment_due_at = None
        order.updated_at = now
    timeline.record(
        session,
        at=now,
        channel=Channel.PAYMENT,
        kind=EventKind.PAYMENT,
        customer=order.customer,
        order=order,
        body=("card held" if held else "paid")
        + f" {payment.amount_cents} {payment.currency} (demo)",
        data={"payment_id": payment.id, "provider": payment.provider},
    )
    if order.customer is not None:
        notifications.queue_sms(
            session,
            kanava,
            order.customer,
            payment_confirmed_text(order, payment, kanava, now=now),
            purpose="payment_confirmed",
            order=order,
            now=now,
        )
    session.commit()
    notifications.dispatch_due(session, kanava, now=now)
    return payment
