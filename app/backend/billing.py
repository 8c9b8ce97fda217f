"""What an order asks the driver to pay, and when: the first payment, an extension, the
settlement when it ends. :mod:`app.backend.orders` calls these.

A driver with a saved card pays without a link (:mod:`app.backend.saved_cards`);
otherwise a pending payment carries the link. Kanava never asks a provider for less than
its minimum: a smaller amount is carried on the order, asked with the next one, and
waived (recorded) when the parking ends owing less. A pending payment whose amount
changes has its checkout closed, so the driver can only pay the new amount. Adds and
flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.backend.ledger import (
    WAIVED,
    activate,
    amount_to_collect,
    asks_for,
    below_minimum,
    charged_at_end,
    held_payment_of,
    idempotency_key,
    minimum_charge_cents,
    new_payment,
    open_payment_of,
    outstanding_cents,
    paid_total,
    record_event,
    record_money_event,
    record_payment_event,
    saved_card_pays,
    waived_total,
)
from app.backend.refunds import refund_unused, unused_cents
from app.backend.saved_cards import charge_saved_card
from app.domain.pricing import money_to_decimal_str
from app.kernel import Kanava
from app.models import Order, OrderStatus, Payment, PaymentStatus


def _defer(session: Session, order: Order, amount: int, now: datetime) -> None:
    """``amount`` is below the provider's minimum: not asked now, carried on the order (it
    counts as paid meanwhile) and asked with the next amount, or waived at the end."""
    minimum = minimum_charge_cents(order.currency)
    record_money_event(
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
        payment = new_payment(session, kanava, order, amount, now)
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
    record_money_event(
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


def asked_by_link(order: Order, amount: int, kanava: Kanava) -> bool:
    """Is the first payment of the new ``order`` (asking ``amount``, not 0) simply a pending
    payment whose link the driver pays, as :func:`open_for_order` would open? Not when the
    amount is below the provider's minimum nor when a saved card pays: those need the
    order written first (:func:`open_for_order` decides them)."""
    return not below_minimum(amount, order.currency) and not saved_card_pays(order, kanava)


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
    if below_minimum(amount, order.currency):
        # A parking until stopped owes nothing yet (its most is below the minimum): what it
        # uses is settled at stop, like the rest.
        activate(order, now)
        _defer(session, order, 0 if order.open_ended else amount, now)
        return None
    if saved_card_pays(order, kanava):
        if order.open_ended:
            activate(order, now)
            # Nothing is charged now: the amount is what the parking costs at stop.
            record_payment_event(
                session,
                order=order,
                customer=order.customer,
                now=now,
                body="open-ended parking: the saved card is charged at stop",
                action="charge_at_stop",
                amount_cents=0,
                currency=order.currency,
            )
            return None
        payment = charge_saved_card(session, kanava, order, order.amount_cents, "start", now)
        if payment.status is PaymentStatus.SUCCEEDED:
            activate(order, now)
        return payment
    return new_payment(session, kanava, order, amount, now)


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
    if not asks_for(owed, order.currency):
        _defer(session, order, added_cents, now)
        return None
    if saved_card_pays(order, kanava):
        return charge_saved_card(session, kanava, order, owed, "extension", now)
    return new_payment(session, kanava, order, owed, now)


def settle(
    session: Session, kanava: Kanava, order: Order, amount_cents: int, *, now: datetime
) -> Payment | None:
    """Collect ``amount_cents`` (what the parking cost) for an order that is ending.

    A card held for an open-ended parking is captured for that amount (released when
    nothing is owed; released and the amount waived, recorded, when it is below the
    provider's minimum). Otherwise what is still owed (the cost less what was paid or waived
    already) is asked: through the pending payment (an early stop with an unpaid
    extension asks only for the minutes used), a saved card, or a new pending payment.
    Less than the provider's minimum is waived and recorded instead (``_waive``).
    When nothing is owed the pending payment is cancelled and its checkout closed, and
    anything paid beyond the cost is refunded as for an early stop
    (:func:`app.backend.refunds.refund_unused`).
    Returns the payment that collects (or waived) it, or None.
    """
    held = held_payment_of(order)
    if held is not None:
        amount = min(amount_cents, held.amount_cents)
        if below_minimum(amount, held.currency):
            # Too small to capture: the hold is released and the amount let go, recorded.
            release_hold(session, kanava, held, now=now)
            return _waive(session, kanava, order, amount, now)
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
        record_event(
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
    pending = open_payment_of(order)
    if pending is not None:
        if asks_for(owed, order.currency):
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
    if below_minimum(owed, order.currency):
        return _waive(session, kanava, order, owed, now)
    if saved_card_pays(order, kanava):
        return charge_saved_card(session, kanava, order, owed, "stop", now)
    return new_payment(session, kanava, order, owed, now)


@dataclass(frozen=True)
class StopSettlement:
    """What stopping a parking that cost ``cost_cents`` does with money: of it
    ``charge_cents`` is still collected (from the card held when ``from_hold``, the saved
    card, or by link), ``refund_cents`` of what was paid goes back to the card, and
    ``waived_cents`` is let go (below the provider's minimum)."""

    cost_cents: int
    paid_cents: int
    charge_cents: int
    refund_cents: int
    waived_cents: int
    from_hold: bool
    minimum_cents: int  # the provider's minimum, below which a charge is let go


def prepaid_stop(order: Order) -> bool:
    """Does stopping ``order`` refund its unused paid time before settling (paid for, no
    payment pending, not until stopped), as :func:`app.backend.orders.stop_parking` does?"""
    return not (
        order.open_ended
        or order.status is OrderStatus.AWAITING_PAYMENT
        or open_payment_of(order) is not None
    )


def stop_settlement(order: Order, used_cents: int, kanava: Kanava) -> StopSettlement:
    """What :func:`app.backend.orders.stop_parking` will charge, refund and waive when
    ``order`` stops having cost ``used_cents``, without doing it (the panel's preview).
    Decided as :func:`settle` and :func:`refund_unused` decide: by :func:`charged_at_end`
    and :func:`unused_cents`."""
    currency = order.currency
    minimum = minimum_charge_cents(currency)
    paid = paid_total(order)
    held = held_payment_of(order)
    if held is not None:
        amount = min(used_cents, held.amount_cents)
        charge = charged_at_end(amount, currency)
        return StopSettlement(
            used_cents, paid, charge, 0, amount - charge, from_hold=True, minimum_cents=minimum
        )
    refund, cost = 0, used_cents
    if prepaid_stop(order):
        kept = charged_at_end(used_cents, currency)
        if kept < order.amount_cents:
            refund = unused_cents(order, kept, kanava)
        cost = max(used_cents, paid - refund)
    owed = cost - (paid - refund) - waived_total(order)
    if owed > 0:
        charge = charged_at_end(owed, currency)
        return StopSettlement(
            used_cents, paid, charge, refund, owed - charge, from_hold=False, minimum_cents=minimum
        )
    if owed < 0 and open_payment_of(order) is not None:
        refund = unused_cents(order, used_cents, kanava)
    return StopSettlement(used_cents, paid, 0, refund, 0, from_hold=False, minimum_cents=minimum)


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
    refunded when its event arrives: :func:`app.backend.provider_payments.apply_paid`.)"""
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
    record_event(
        session,
        payment.order,
        now,
        f"hold of {held} {payment.currency} released",
        payment,
        action="released",
        amount_cents=payment.amount_cents,
        currency=payment.currency,
    )
