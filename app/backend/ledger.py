"""Payment records: every change to them, through the payment port. Adds and flushes;
the use cases commit and tell the driver.

The payment gateway (the port :class:`~app.kernel.payments.PaymentGateway`) is chosen once
at start-up by :mod:`app.bootstrap`: Stripe when ``STRIPE_SECRET_KEY`` is set, otherwise
the demo gateway, a local page clearly marked as a demo.

An order has one or more :class:`~app.models.Payment` records (attempts). The driver's
link ``/pay/<token>`` names a payment, never a provider session:
:func:`app.usecases.pay_link.checkout_for_token` sends the driver to the payment's current
hosted checkout, opened by :func:`open_checkout`.

A returning driver who agreed to save a card is charged off-session, without a link:
fixed-duration parking at start, open-ended parking at stop for the minutes used, an
extension for the difference. A decline or a card that needs authentication never loses
the parking: the failed attempt is kept with its reason, a new pending payment carries a
link, and the timeline says why.

Every request that moves money carries an idempotency key, so a retry never charges
twice. A request about a committed payment record names it (``kanava-payment-<id>-...``).
A saved-card charge is made while its payment record is not yet committed (the use case
commits once, with its reply), so its key must survive a rollback and the retry of the same
delivery: it names the customer and how many payments the customer had before
(``kanava-customer-<id>-charge-<n>-<purpose>-<amount>``), read under the customer's row
lock. If the use case rolls back after all, the charge belongs to no payment: the
``payment_intent`` webhook finds it unmatched and refunds it (:func:`claim_orphan`).
Money that arrives for a payment that is no longer pending (a checkout paid after the
order was cancelled) is recorded on that payment and refunded, never kept silently.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.backend import customers, timeline
from app.backend.zones import tariff_of
from app.config import Settings
from app.domain.pricing import money_to_decimal_str, price
from app.kernel import Kanava
from app.kernel.payments import ChargeDeclined, CheckoutInfo, CheckoutRequest, PaymentInfo
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

log = logging.getLogger(__name__)

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
    if payment is None or payment.status is not PaymentStatus.PENDING or payment.amount_cents <= 0:
        return None
    return pay_link(kanava.settings, payment)


def receipt_link(settings: Settings, payment: Payment) -> str:
    return f"{settings.public_base_url}/r/{payment.token}"


def idempotency_key(payment: Payment, purpose: str) -> str:
    """The key of one request about ``payment``: the same request always has the same key."""
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
# owing less than this (:func:`settle`).
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


def minimum_charge_cents(currency: str) -> int:
    """The smallest amount Kanava asks a driver to pay in ``currency``."""
    return MINIMUM_CHARGE_CENTS.get(currency.upper(), DEFAULT_MINIMUM_CHARGE_CENTS)


def is_waived(payment: Payment) -> bool:
    return payment.status is PaymentStatus.CANCELLED and payment.failure_reason == WAIVED


def waived_total(order: Order) -> int:
    """What Kanava let go of ``order`` (amounts below the provider's minimum)."""
    return sum(p.amount_cents for p in order.payments if is_waived(p))


def outstanding_cents(order: Order, amount_cents: int | None = None) -> int:
    """What of the order's price (or of ``amount_cents``) is neither paid nor waived."""
    price_cents = order.amount_cents if amount_cents is None else amount_cents
    return price_cents - paid_total(order) - waived_total(order)


def find_by_token(session: Session, token: str) -> Payment | None:
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


def _saved_card_pays(order: Order, kanava: Kanava) -> bool:
    """Does the customer's saved card pay for ``order`` (made from their own phone only)?"""
    return made_from_own_phone(order) and has_saved_card(order.customer, kanava)


def _new_payment(
    session: Session, kanava: Kanava, order: Order, amount: int, now: datetime
) -> Payment:
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


def _record(
    session: Session, order: Order, now: datetime, body: str, payment: Payment, **data: object
) -> None:
    timeline.record(
        session,
        at=now,
        channel=Channel.PAYMENT,
        kind=EventKind.PAYMENT,
        customer=order.customer,
        order=order,
        body=body,
        data={"payment_id": payment.id, "provider": payment.provider, **data},
    )


def _extension_paid(order: Order) -> None:
    """An extension's payment came in: when nothing else waits, everything up to the end
    is paid, and the reminder (sent for the paid end) is due again for the new end."""
    if order.unpaid_from is not None and open_payment_of(order) is None:
        order.unpaid_from = None
        order.payment_due_at = None
        order.reminder_sent_at = None


def _activate(order: Order, now: datetime) -> bool:
    if order.status is OrderStatus.AWAITING_PAYMENT:
        order.status = OrderStatus.ACTIVE
        order.payment_due_at = None
        order.updated_at = now
        return True
    return False


# ---- charging a saved card ---------------------------------------------------------------


ORPHAN_INTENT = "orphan_refunded"


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


def _charge_saved_card(
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
    payment = _new_payment(session, kanava, order, amount, now)
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
        fallback = _new_payment(session, kanava, order, amount, now)
        _record(
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
    _record(
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
    _record(
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


# ---- what orders.py calls ----------------------------------------------------------------


def _money_event(
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
    """A payment event in the shape every new one has: action, amount, currency, plate
    and zone (the panel renders it from these keys; ``body`` is the English fallback)."""
    timeline.record(
        session,
        at=now,
        channel=Channel.PAYMENT,
        kind=EventKind.PAYMENT,
        customer=order.customer,
        order=order,
        body=body,
        data={
            "action": action,
            "amount_cents": amount_cents,
            "currency": order.currency,
            "plate": order.plate_display,
            "zone": order.zone.code,
            "payment_id": payment.id if payment is not None else None,
            **data,
        },
    )


def _defer(session: Session, order: Order, amount: int, now: datetime) -> None:
    """``amount`` is below the provider's minimum: not asked now, carried on the order (it
    counts as paid meanwhile) and asked with the next amount, or waived at the end."""
    minimum = minimum_charge_cents(order.currency)
    _money_event(
        session,
        order,
        now,
        f"{money_to_decimal_str(amount)} {order.currency} not asked now: below the smallest"
        f" card payment ({money_to_decimal_str(minimum)}); carried on the order",
        action="deferred",
        amount_cents=amount,
        minimum_cents=minimum,
    )


def _waive(
    session: Session,
    kanava: Kanava,
    order: Order,
    amount: int,
    now: datetime,
    payment: Payment | None = None,
) -> Payment:
    """Let go of ``amount`` (below the provider's minimum) owed by an ending order.

    It is kept as a cancelled payment record marked :data:`WAIVED` (the pending ``payment``
    whose link asked for it, its checkout closed, or a new record), so the order's price
    stays what the parking cost and the receipt shows what was waived."""
    if payment is None:
        payment = _new_payment(session, kanava, order, amount, now)
    elif payment.checkout_ref:
        kanava.payments.expire_checkout(
            payment.checkout_ref,
            idempotency_key=idempotency_key(payment, f"expire-{payment.checkout_ref}"),
        )
    payment.amount_cents = amount
    payment.status = PaymentStatus.CANCELLED
    payment.failure_reason = WAIVED
    payment.updated_at = now
    # The receipt dates the waiver by it: written even when unchanged, so that the
    # column's onupdate (the wall clock) never replaces it.
    flag_modified(payment, "updated_at")
    minimum = minimum_charge_cents(order.currency)
    _money_event(
        session,
        order,
        now,
        f"waived {money_to_decimal_str(amount)} {order.currency}: below the smallest card"
        f" payment ({money_to_decimal_str(minimum)})",
        action="waived",
        amount_cents=amount,
        payment=payment,
        minimum_cents=minimum,
        reason="below_provider_minimum",
    )
    return payment


def waive_pending(session: Session, kanava: Kanava, payment: Payment, *, now: datetime) -> Payment:
    """Let go of what the pending ``payment`` asks (below the provider's minimum): it is
    marked :data:`WAIVED`, its checkout closed, and the timeline records it."""
    return _waive(session, kanava, payment.order, payment.amount_cents, now, payment=payment)


def open_for_order(
    session: Session, kanava: Kanava, order: Order, *, now: datetime
) -> Payment | None:
    """Ask for the first payment of a new order.

    A driver with a saved card pays without a link: a fixed-duration parking is charged
    now and becomes active; an open-ended one becomes active now and is charged at stop
    (returns None). Otherwise, and when the saved card fails, a pending payment is
    returned whose link the driver pays; the order stays ``awaiting_payment``. An amount
    below the provider's minimum is not asked: the order becomes active and the amount is
    carried on it (returns None).
    """
    amount = amount_to_collect(order, kanava)
    if 0 < amount < minimum_charge_cents(order.currency):
        # A parking until stopped owes nothing yet (its most is below the minimum): what it
        # uses is settled at stop, like the rest.
        _activate(order, now)
        _defer(session, order, 0 if order.open_ended else amount, now)
        return None
    if _saved_card_pays(order, kanava):
        if order.open_ended:
            _activate(order, now)
            timeline.record(
                session,
                at=now,
                channel=Channel.PAYMENT,
                kind=EventKind.PAYMENT,
                customer=order.customer,
                order=order,
                body="open-ended parking: the saved card is charged at stop",
                data={"action": "charge_at_stop"},
            )
            return None
        payment = _charge_saved_card(session, kanava, order, order.amount_cents, "start", now)
        if payment.status is PaymentStatus.SUCCEEDED:
            _activate(order, now)
        return payment
    return _new_payment(session, kanava, order, amount, now)


def charge_extension(
    session: Session, kanava: Kanava, order: Order, added_cents: int, *, now: datetime
) -> Payment | None:
    """Ask for the price of an extension (``order.amount_cents`` already includes it): grow
    the pending payment, or ask for what the order owes (the extension and anything below
    the minimum carried on it) by charging the saved card or opening a new pending
    payment. What owed stays below the provider's minimum is carried on the order and not
    asked (returns None)."""
    if added_cents <= 0:
        return open_payment_of(order)
    pending = open_payment_of(order)
    if pending is not None:
        change_amount(session, kanava, pending, pending.amount_cents + added_cents, now=now)
        return pending
    owed = outstanding_cents(order)
    if owed < minimum_charge_cents(order.currency):
        _defer(session, order, added_cents, now)
        return None
    if _saved_card_pays(order, kanava):
        return _charge_saved_card(session, kanava, order, owed, "extension", now)
    return _new_payment(session, kanava, order, owed, now)


def settle(
    session: Session, kanava: Kanava, order: Order, amount_cents: int, *, now: datetime
) -> Payment | None:
    """Collect ``amount_cents`` (what the parking cost) for an order that is ending.

    A card held for an open-ended parking is captured for that amount (released when
    nothing is owed). Otherwise what is still owed (the cost less what was paid or waived
    already) is asked: through the pending payment (an early stop with an unpaid
    extension asks only for the minutes used), a saved card, or a new pending payment.
    Less than the provider's minimum is waived and recorded instead (:func:`_waive`).
    When nothing is owed the pending payment is cancelled and its checkout closed, and
    anything paid beyond the cost is refunded as for an early stop (:func:`refund_unused`).
    Returns the payment that collects (or waived) it, or None.
    """
    held = held_payment_of(order)
    if held is not None:
        amount = min(amount_cents, held.amount_cents)
        if held.provider_ref:
            if amount > 0:
                kanava.payments.capture(
                    held.provider_ref, amount, idempotency_key=idempotency_key(held, "capture")
                )
            else:
                kanava.payments.cancel(
                    held.provider_ref, idempotency_key=idempotency_key(held, "release")
                )
        held.captured_cents = amount
        held.status = PaymentStatus.SUCCEEDED if amount > 0 else PaymentStatus.CANCELLED
        held.paid_at = now
        held.updated_at = now
        captured = f"{money_to_decimal_str(amount)} of {money_to_decimal_str(held.amount_cents)}"
        _record(
            session,
            order,
            now,
            f"captured {captured} {held.currency} held",
            held,
            action="captured",
            amount_cents=amount,
            held_cents=held.amount_cents,
            currency=held.currency,
        )
        return held
    owed = outstanding_cents(order, amount_cents)
    minimum = minimum_charge_cents(order.currency)
    pending = open_payment_of(order)
    if pending is not None:
        if owed >= minimum:
            change_amount(session, kanava, pending, owed, now=now)
            return pending
        if owed > 0:
            return _waive(session, kanava, order, owed, now, payment=pending)
        cancel_pending(session, kanava, pending, now=now)
        if owed < 0:
            refund_unused(session, kanava, order, amount_cents, now=now)
        return pending
    if owed <= 0:
        return None
    if owed < minimum:
        return _waive(session, kanava, order, owed, now)
    if _saved_card_pays(order, kanava):
        return _charge_saved_card(session, kanava, order, owed, "stop", now)
    return _new_payment(session, kanava, order, owed, now)


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


def change_amount(
    session: Session, kanava: Kanava, payment: Payment, amount_cents: int, *, now: datetime
) -> None:
    """Ask for ``amount_cents`` through the pending ``payment``. A checkout already opened
    for the old amount is closed, so the driver can only pay the new one (the link opens a
    fresh checkout: :func:`app.usecases.pay_link.checkout_for_token`)."""
    if payment.amount_cents == amount_cents:
        return
    if payment.checkout_ref:
        kanava.payments.expire_checkout(
            payment.checkout_ref,
            idempotency_key=idempotency_key(payment, f"expire-{payment.checkout_ref}"),
        )
    payment.amount_cents = amount_cents
    payment.updated_at = now


def cancel_pending(session: Session, kanava: Kanava, payment: Payment, *, now: datetime) -> None:
    """Nothing more is asked through ``payment``: it is cancelled and its hosted checkout
    closed, so the driver can no longer pay it. (A checkout paid in the same moment is
    refunded when its event arrives: :func:`apply_paid`.)"""
    if payment.status is not PaymentStatus.PENDING:
        return
    if payment.checkout_ref:
        kanava.payments.expire_checkout(
            payment.checkout_ref,
            idempotency_key=idempotency_key(payment, f"expire-{payment.checkout_ref}"),
        )
    payment.status = PaymentStatus.CANCELLED
    payment.updated_at = now


def release_hold(session: Session, kanava: Kanava, payment: Payment, *, now: datetime) -> None:
    """Release a card held for ``payment`` without taking anything."""
    if payment.status is not PaymentStatus.AUTHORIZED:
        return
    if payment.provider_ref:
        kanava.payments.cancel(
            payment.provider_ref, idempotency_key=idempotency_key(payment, "release")
        )
    payment.status = PaymentStatus.CANCELLED
    payment.updated_at = now
    held = money_to_decimal_str(payment.amount_cents)
    _record(
        session,
        payment.order,
        now,
        f"hold of {held} {payment.currency} released",
        payment,
        action="released",
        amount_cents=payment.amount_cents,
        currency=payment.currency,
    )


def refund_unused(
    session: Session, kanava: Kanava, order: Order, used_cents: int, *, now: datetime
) -> int:
    """A prepaid parking stopped early: refund what was paid beyond ``used_cents``
    (when ``REFUND_UNUSED`` is on), newest payments first. Returns the cents refunded."""
    if not kanava.settings.refund_unused:
        return 0
    paid = [p for p in order.payments if p.status is PaymentStatus.SUCCEEDED]
    excess = sum(p.captured_cents - p.refunded_cents for p in paid) - used_cents
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
    timeline.record(
        session,
        at=now,
        channel=Channel.PAYMENT,
        kind=EventKind.PAYMENT,
        customer=payment.order.customer,
        order=payment.order,
        actor=actor,
        body=f"refunded {money_to_decimal_str(amount)} {payment.currency} ({reason})",
        data={
            "action": "refunded",
            "amount_cents": amount,
            "currency": payment.currency,
            "payment_id": payment.id,
            "refund_id": refund_id,
            "reason": reason,
        },
    )
    return payment


# ---- the hosted checkout ------------------------------------------------------------------


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
    _record(
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


# ---- applying what the provider says -----------------------------------------------------


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
    (:func:`return_unexpected`).
    """
    if info.status not in ("succeeded", "requires_capture"):
        if (
            payment.status is PaymentStatus.PENDING
            and info.status in ("requires_payment_method", "canceled")
            and info.failure
        ):
            _record(
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
    _activate(order, now)
    _extension_paid(order)
    _record(
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
    return Applied(paid=True)


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
    timeline.record(
        session,
        at=now,
        channel=Channel.PAYMENT,
        kind=EventKind.PAYMENT,
        customer=customer,
        order=order,
        intent=ORPHAN_INTENT,
        external_id=info.ref,
        body=(
            f"{info.ref} ({money_to_decimal_str(amount)} {payment.currency if payment else ''})"
            " was not asked for"
            f" by any pending payment: {what}"
        ),
        data={
            "action": what,
            "unexpected": True,
            "payment_id": payment.id if payment else None,
            "payment_status": payment.status.value if payment else None,
            "ref": info.ref,
            "amount_cents": amount,
            "currency": currency,
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


# ---- receipts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLine:
    """One movement of money on a receipt: a payment taken, a refund, or an amount waived."""

    kind: Literal["payment", "refund", "waived"]
    at: datetime | None
    amount_cents: int


@dataclass(frozen=True)
class Receipt:
    """The receipt of one parking (order): every payment and refund of it, summed.

    ``gross_cents`` is what the driver paid in the end (charged less refunded), VAT
    included, split into ``net_cents`` and ``vat_cents``. ``waived_cents`` is what Kanava
    let go (below the provider's minimum); ``price_cents`` what the parking cost.
    """

    order: Order
    number: str
    currency: str
    lines: tuple[ReceiptLine, ...]
    charged_cents: int
    refunded_cents: int
    waived_cents: int
    gross_cents: int
    net_cents: int
    vat_cents: int
    vat_rate: Decimal
    price_cents: int
    paid_at: datetime | None
    # The payment whose receipt link (``/r/<token>``) to give for this receipt.
    link_token: str
    # The end of the parking time it covers: the end, or while an extension waits for its
    # payment the paid end (None: a parking until stopped, still running).
    ends_at: datetime | None = None


def vat_breakdown(gross_cents: int, rate_percent: Decimal) -> tuple[int, int]:
    """Split a VAT-inclusive amount into (net, vat) cents; the two add up to the gross."""
    net = (Decimal(gross_cents) * 100 / (100 + rate_percent)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return int(net), gross_cents - int(net)


def _charged(payment: Payment) -> int:
    """Money actually taken through ``payment`` (a held card counts once captured)."""
    if payment.status is PaymentStatus.AUTHORIZED:
        return 0
    return payment.captured_cents


def receipt_of_order(kanava: Kanava, order: Order) -> Receipt | None:
    """The receipt of ``order``: its payments, refunds and waived amounts, summed, with the
    VAT of what was paid. None when no money was taken or waived for it."""
    charged = [p for p in order.payments if _charged(p) > 0]
    waived = [p for p in order.payments if is_waived(p)]
    if not charged and not waived:
        return None
    lines = [ReceiptLine("payment", p.paid_at, _charged(p)) for p in charged]
    refunds = sorted(
        (p for p in charged if p.refunded_cents > 0),
        key=lambda p: (p.refunded_at or p.updated_at, p.id),
    )
    lines += [ReceiptLine("refund", p.refunded_at, p.refunded_cents) for p in refunds]
    lines += [ReceiptLine("waived", p.updated_at, p.amount_cents) for p in waived]
    charged_cents = sum(_charged(p) for p in charged)
    refunded_cents = sum(p.refunded_cents for p in charged)
    gross = charged_cents - refunded_cents
    rate = Decimal(kanava.settings.vat_rate)
    net, vat = vat_breakdown(gross, rate)
    first = (charged or waived)[0]
    latest = (charged or waived)[-1]
    return Receipt(
        order=order,
        number=first.token,
        currency=order.currency,
        lines=tuple(lines),
        charged_cents=charged_cents,
        refunded_cents=refunded_cents,
        waived_cents=sum(p.amount_cents for p in waived),
        gross_cents=gross,
        net_cents=net,
        vat_cents=vat,
        vat_rate=rate,
        price_cents=order.amount_cents,
        paid_at=max((p.paid_at for p in charged if p.paid_at), default=None),
        link_token=latest.token,
        ends_at=order.ended_at or order.unpaid_from or order.ends_at,
    )


def receipt_for(session: Session, kanava: Kanava, token: str) -> Receipt | None:
    """The receipt of the order that the payment with ``token`` belongs to (any of the
    order's payment links shows it); None for an unknown token or an order without money
    taken or waived."""
    payment = find_by_token(session, token)
    if payment is None:
        return None
    return receipt_of_order(kanava, payment.order)


def latest_receipt(session: Session, kanava: Kanava, customer: Customer) -> Receipt | None:
    """The receipt of the customer's latest parking that cost them something (money paid
    and not all refunded), or None."""
    candidates = session.scalars(
        select(Order)
        .where(Order.customer_id == customer.id, Order.payments.any(Payment.captured_cents > 0))
        .order_by(Order.starts_at.desc(), Order.id.desc())
        .limit(50)
    )
    for order in candidates:
        found = receipt_of_order(kanava, order)
        if found is not None and found.gross_cents > 0:
            return found
    return None


def receipt_link_of(settings: Settings, receipt: Receipt) -> str:
    return f"{settings.public_base_url}/r/{receipt.link_token}"
