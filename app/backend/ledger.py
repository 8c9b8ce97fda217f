"""Payment records: the book of an order's payments, and the lookups everyone reads.

An order has one or more :class:`~app.models.Payment` records (attempts), each with its
state, provider and provider reference; money is integer minor units. This module finds
and locks them, says what an order has paid, still owes or let go, builds the driver's
links, and writes new records and their timeline events in the one shape the panel reads
(``action``, ``amount_cents``, ``currency`` in ``Event.data``). Adds and flushes, never
commits.

The rest of the payment backend: :mod:`app.backend.billing` (what an order asks for),
:mod:`app.backend.saved_cards`, :mod:`app.backend.provider_payments` (the hosted
checkout and what the provider says), :mod:`app.backend.refunds` and
:mod:`app.backend.receipts`. The use cases that commit: :mod:`app.usecases.pay_link` and
:mod:`app.usecases.provider_events`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend import timeline
from app.backend.hot_statements import unwritten
from app.backend.zones import tariff_of
from app.config import Settings
from app.domain.inputs import looks_like_token
from app.domain.pricing import price
from app.kernel import Kanava
from app.models import (
    Channel,
    Customer,
    Event,
    EventKind,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
)

# Open-ended parking in a zone without a longest stay: hold at most a day's parking.
OPEN_ENDED_HOLD = timedelta(hours=24)


# ---- lookups -----------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, 72 bits


def pay_link(settings: Settings, payment: Payment) -> str:
    return f"{settings.public_base_url}/pay/{payment.token}"


def link_to_pay(kanava: Kanava, payment: Payment | None) -> str | None:
    """The link a message should carry for ``payment``: only while it waits for the driver
    and asks for money; None otherwise (paid, held, cancelled, nothing owed)."""
    if (
        payment is None
        or payment.status is not PaymentStatus.PENDING
        or not asks_for(payment.amount_cents, payment.currency)
    ):
        return None
    return pay_link(kanava.settings, payment)


def receipt_link(settings: Settings, payment: Payment) -> str:
    return f"{settings.public_base_url}/r/{payment.token}"


def idempotency_key(payment: Payment, purpose: str) -> str:
    """The key of one request about the committed ``payment``: the same request always has
    the same key, so a retry never charges twice. (A saved-card charge, made before its
    record is committed, has a key of its own: :mod:`app.backend.saved_cards`.)"""
    return f"kanava-payment-{payment.id}-{purpose}"


def open_payment_of(order: Order) -> Payment | None:
    """The order's payment that still waits for the driver, if any."""
    for payment in reversed(order.payments):
        if payment.status is PaymentStatus.PENDING:
            return payment
    return None


def paid_total(order: Order) -> int:
    """What the driver has paid for ``order`` so far, refunds deducted."""
    return sum(
        p.captured_cents - p.refunded_cents
        for p in order.payments
        if p.status is PaymentStatus.SUCCEEDED
    )


def held_payment_of(order: Order) -> Payment | None:
    for payment in reversed(order.payments):
        if payment.status is PaymentStatus.AUTHORIZED:
            return payment
    return None


# The smallest amount a card payment can take, in minor units, per currency: Stripe's
# minimum charge amounts (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts;
# 0.50 EUR). This is the one place it is kept. Kanava never asks a provider for less (with
# any gateway, so the demo behaves as production): a smaller amount is carried on the
# order and asked together with the next one, and waived, recorded, when the parking ends
# owing less than this (:func:`app.backend.billing.settle`).
MINIMUM_CHARGE_CENTS: dict[str, int] = {
    "EUR": 50,
    "USD": 50,
    "GBP": 30,
    "SEK": 300,
    "NOK": 300,
    "DKK": 250,
    "CHF": 50,
    "PLN": 200,
}
DEFAULT_MINIMUM_CHARGE_CENTS = 50
# ``failure_reason`` of a payment record that stands for an amount Kanava let go.
WAIVED = "waived_below_minimum"
# ``failure_reason`` of an extension's payment cancelled because it was not paid in time.
LAPSED = "extension_lapsed"
# ``failure_reason`` of a first payment cancelled with its parking, not paid in its grace.
NOT_PAID = "not_paid"
# ``failure_reason`` of a booking's payment cancelled because its hold lapsed unpaid: money
# that still arrives for it books the space if one is free (``booking_space.confirm_paid``).
HOLD_LAPSED = "hold_lapsed"


def minimum_charge_cents(currency: str) -> int:
    """The smallest amount Kanava asks a driver to pay in ``currency``."""
    return MINIMUM_CHARGE_CENTS.get(currency.upper(), DEFAULT_MINIMUM_CHARGE_CENTS)


def asks_for(amount_cents: int, currency: str) -> bool:
    """The small-amounts policy, decided here for every channel: is ``amount_cents`` ever
    asked of the driver (a payment link, a hosted checkout, a saved card or a card given by
    phone charged, a held card captured)? Only from the provider's minimum up. Less is
    never asked: it is carried on a live order (asked with the next amount) and waived,
    recorded, when the order ends owing it (:mod:`app.backend.billing`)."""
    return amount_cents >= minimum_charge_cents(currency)


def charged_at_end(amount_cents: int, currency: str) -> int:
    """What of ``amount_cents`` (what a parking cost, or what it still owes, as it ends) is
    charged or kept: all of it from the provider's minimum up (:func:`asks_for`), nothing
    below it (let go, recorded as waived). The same for every way a parking ends: a card
    held, a payment link, a saved card, or a prepaid parking stopped early (which keeps
    nothing of a cost below the minimum: all it paid is refunded)."""
    return amount_cents if asks_for(amount_cents, currency) else 0


def below_minimum(amount_cents: int, currency: str) -> bool:
    """Is ``amount_cents`` something owed that is too small to ask (see :func:`asks_for`)?"""
    return amount_cents > 0 and not asks_for(amount_cents, currency)


def is_waived(payment: Payment) -> bool:
    return payment.status is PaymentStatus.CANCELLED and payment.failure_reason == WAIVED


def waived_total(order: Order) -> int:
    """What Kanava let go of ``order`` (amounts below the provider's minimum)."""
    return sum(p.amount_cents for p in order.payments if is_waived(p))


def outstanding_cents(order: Order, amount_cents: int | None = None) -> int:
    """What of the order's price (or of ``amount_cents``) is neither paid nor waived."""
    price_cents = order.amount_cents if amount_cents is None else amount_cents
    return price_cents - paid_total(order) - waived_total(order)


def not_asked_cents(order: Order) -> int:
    """What of ``order`` the small-amounts policy let be (:func:`asks_for`): waived, or
    carried on it below the minimum with no payment asking for it; 0 when nothing."""
    carried = outstanding_cents(order) if open_payment_of(order) is None else 0
    return waived_total(order) + (carried if below_minimum(carried, order.currency) else 0)


def find_by_token(session: Session, token: str) -> Payment | None:
    if not looks_like_token(token):
        return None
    return session.scalar(select(Payment).where(Payment.token == token))


def lock_payment(session: Session, payment_id: int) -> Payment | None:
    """The payment row, locked until commit so that a webhook and the driver's browser
    returning at the same moment apply a payment once (SQLite: BEGIN IMMEDIATE)."""
    return session.scalar(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _hold_amount(order: Order, kanava: Kanava) -> int:
    """What to hold on a card for an open-ended parking: its price up to the longest stay."""
    end = order.ends_at or order.starts_at + OPEN_ENDED_HOLD
    return price(tariff_of(order.zone), order.starts_at, end, kanava.settings.tz)


def amount_to_collect(order: Order, kanava: Kanava) -> int:
    """What the first payment of a new order asks for: its price, or for an open-ended
    parking the most it can cost (held on the card, captured at stop)."""
    return order.amount_cents if not order.open_ended else _hold_amount(order, kanava)


def has_saved_card(customer: Customer | None, kanava: Kanava) -> bool:
    return bool(
        kanava.payments.saves_cards
        and customer is not None
        and customer.stripe_customer_id
        and customer.saved_payment_method_id
    )


# The front doors where an order's customer is the phone the request came from (the SMS
# ``From``, the caller ID). A number typed on the web form proves nothing: it is told
# about its order by SMS, but that customer's saved card is never charged for the order,
# no card is saved to it from the order's checkout, and no parking of theirs is ended for
# it (:func:`app.backend.orders.start_parking`).
OWN_PHONE_CHANNELS = frozenset({Channel.SMS, Channel.VOICE})


def made_from_own_phone(order: Order) -> bool:
    """Was ``order`` made from its customer's own phone (see :data:`OWN_PHONE_CHANNELS`)?"""
    return order.customer is not None and order.channel in OWN_PHONE_CHANNELS


def saved_card_pays(order: Order, kanava: Kanava) -> bool:
    """Does the customer's saved card pay for ``order`` (made from their own phone only)?"""
    return made_from_own_phone(order) and has_saved_card(order.customer, kanava)


def pending_payment(kanava: Kanava, order: Order, amount: int, now: datetime) -> Payment:
    """A new pending payment of ``amount`` for ``order``, not yet in any session, with
    every column but its id and ``order_id`` set (a writer that inserts it with Core,
    :mod:`app.backend.order_inserts`, reads them all); not linked to the order."""
    payment: Payment = unwritten(
        Payment,
        provider=kanava.payments.name,
        provider_ref=None,
        status=PaymentStatus.PENDING,
        amount_cents=amount,
        captured_cents=0,
        refunded_cents=0,
        currency=order.currency,
        token=new_token(),
        failure_reason=None,
        paid_at=None,
        checkout_ref=None,
        save_card=None,
        refunded_at=None,
        created_at=now,
        updated_at=now,
    )
    return payment


def new_payment(
    session: Session, kanava: Kanava, order: Order, amount: int, now: datetime
) -> Payment:
    """A new pending payment of ``amount`` for the written ``order``, added and flushed."""
    payment = pending_payment(kanava, order, amount, now)
    payment.order = order
    session.add(payment)
    session.flush()
    return payment


def record_payment_event(
    session: Session,
    *,
    order: Order | None,
    customer: Customer | None,
    now: datetime,
    body: str,
    action: str,
    amount_cents: int,
    currency: str | None,
    channel: Channel = Channel.PAYMENT,
    intent: str | None = None,
    external_id: str | None = None,
    actor: str | None = None,
    details: Mapping[str, object] | None = None,
) -> Event:
    """The one way a payment event enters the timeline: ``action``, ``amount_cents`` and
    ``currency`` always in ``Event.data`` (the panel words it from them, in the viewer's
    language); ``details`` adds the rest. ``body`` is the English line for logs and old
    readers."""
    return timeline.record(
        session,
        at=now,
        channel=channel,
        kind=EventKind.PAYMENT,
        customer=customer,
        order=order,
        intent=intent,
        external_id=external_id,
        actor=actor,
        body=body,
        data={
            "action": action,
            "amount_cents": amount_cents,
            "currency": currency,
            **(details or {}),
        },
    )


def record_event(
    session: Session,
    order: Order,
    now: datetime,
    body: str,
    payment: Payment,
    *,
    action: str,
    amount_cents: int,
    currency: str,
    **data: object,
) -> None:
    """A payment event about ``payment`` (:func:`record_payment_event`)."""
    record_payment_event(
        session,
        order=order,
        customer=order.customer,
        now=now,
        body=body,
        action=action,
        amount_cents=amount_cents,
        currency=currency,
        details={"payment_id": payment.id, "provider": payment.provider, **data},
    )


def mark_extension_paid(order: Order) -> None:
    """An extension's payment came in: when nothing else waits, everything up to the end
    is paid, and the reminder (sent for the paid end) is due again for the new end."""
    if order.unpaid_from is not None and open_payment_of(order) is None:
        order.unpaid_from = None
        order.payment_due_at = None
        order.reminder_sent_at = None


def activate(order: Order, now: datetime) -> bool:
    if order.status is OrderStatus.AWAITING_PAYMENT:
        order.status = OrderStatus.ACTIVE
        order.payment_due_at = None
        order.updated_at = now
        return True
    return False


def record_money_event(
    session: Session,
    order: Order,
    now: datetime,
    body: str,
    *,
    action: str,
    amount_cents: int,
    payment: Payment | None = None,
    **data: object,
) -> None:
    """A payment event about ``order``'s money with its plate and zone
    (:func:`record_payment_event`)."""
    record_payment_event(
        session,
        order=order,
        customer=order.customer,
        now=now,
        body=body,
        action=action,
        amount_cents=amount_cents,
        currency=order.currency,
        details={
            "plate": order.plate_display,
            "zone": order.zone.code,
            "payment_id": payment.id if payment is not None else None,
            **data,
        },
    )
