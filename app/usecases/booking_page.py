"""A booking's own page (``/o/<manage_token>`` of an order of kind ``booking``): what it
is, whether it is paid, its cancellation terms, and cancelling it with the refund the
terms give.

The read side (:func:`view`) gives the page what it shows; :func:`cancel` is the use case
behind its cancel form, through :func:`app.backend.bookings.cancel_booking` as every
channel cancels. It commits once, then sends what the outbox holds (the driver's SMS,
when the booking has a phone). The form carries an idempotency key
(:mod:`app.usecases.form_keys`): a double tap cancels once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.backend import bookings, ledger, orders, receipts, timeline
from app.domain.booking_policy import Interval, free_cancellation_until, refund_cents
from app.kernel import Kanava
from app.models import Channel, EventKind, Order, OrderKind, OrderStatus, Payment, PaymentStatus
from app.texts import bookings as texts
from app.texts.messages import language_of
from app.usecases import form_keys
from app.usecases import outbox_dispatch as notifications


class BookingPageError(Exception):
    """A request the page refuses: ``unknown`` (no such booking) or ``not_live``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class BookingView:
    """What a booking's page shows, computed at ``now``."""

    order: Order
    window: Interval
    # ``booked``, ``awaiting_payment`` (held, unpaid), ``cancelled``, ``expired``, ``ended``.
    status: OrderStatus
    # Whether it still holds its space and has not ended: it can be cancelled.
    upcoming: bool
    started: bool
    paid_cents: int  # charged, before refunds
    refunded_cents: int
    # The payment to make through its link while the hold lasts.
    payment: Payment | None
    free_until: datetime
    late_refund_percent: int
    # What cancelling now gives back.
    refund_now_cents: int
    receipt: receipts.Receipt | None


def booking_for_token(session: Session, token: str) -> Order | None:
    """The booking behind a manage link; None for an unknown token or a parking."""
    order = orders.find_by_manage_token(session, token) if token else None
    if order is None or order.kind is not OrderKind.BOOKING or order.ends_at is None:
        return None
    return order


def view(session: Session, kanava: Kanava, token: str, now: datetime) -> BookingView | None:
    """The page of the booking behind ``token`` at ``now``; None when there is none."""
    order = booking_for_token(session, token)
    if order is None:
        return None
    terms = bookings.terms_of(order.zone)
    upcoming = bookings.is_upcoming(order, now)
    payment = None
    if upcoming and order.status is OrderStatus.AWAITING_PAYMENT:
        due = ledger.open_payment_of(order)
        payment = due if due is not None and due.amount_cents > 0 else None
    paid = ledger.paid_total(order)  # refunds deducted: what a cancellation can give back
    succeeded = [p for p in order.payments if p.status is PaymentStatus.SUCCEEDED]
    charged = sum(p.captured_cents for p in succeeded)
    refunded = sum(p.refunded_cents for p in succeeded)
    receipt = receipts.receipt_of_order(kanava, order)
    status = order.status
    if status is OrderStatus.AWAITING_PAYMENT and not upcoming:
        status = OrderStatus.EXPIRED  # the hold lapsed; the clock has not swept it yet
    return BookingView(
        order=order,
        window=bookings.window_of(order),
        status=status,
        upcoming=upcoming,
        started=order.starts_at <= now,
        paid_cents=charged,
        refunded_cents=refunded,
        payment=payment,
        free_until=free_cancellation_until(terms, order.starts_at),
        late_refund_percent=terms.late_refund_percent,
        refund_now_cents=refund_cents(terms, paid, order.starts_at, now),
        receipt=receipt if receipt is not None and receipt.charged_cents > 0 else None,
    )


@dataclass(frozen=True)
class Cancelled:
    order: Order
    refunded_cents: int
    repeated: bool = False


def cancel(
    session: Session, kanava: Kanava, token: str, key: str | None, now: datetime
) -> Cancelled:
    """Cancel the booking behind ``token`` at ``now`` by its zone's terms (refund in full
    before the free cancellation time, the late share after it, nothing once started).
    The driver's phone, if the booking has one, gets the usual SMS. Commits, then sends.

    Sent again with the same ``key`` it does nothing more. Raises
    :class:`BookingPageError` ``unknown`` or ``not_live``.
    """
    order = booking_for_token(session, token)
    if order is None:
        raise BookingPageError("unknown")
    receipt = form_keys.claim(
        session, form_keys.claim_id("cancel_booking", form_keys.usable(key), token), now
    )
    if receipt is None:
        session.refresh(order)
        return Cancelled(order, 0, repeated=True)
    try:
        done = bookings.cancel_booking(session, kanava, order, now=now, channel=Channel.WEB)
    except orders.OrderError as exc:
        session.rollback()
        raise BookingPageError(exc.code) from exc
    timeline.record(
        session,
        at=now,
        channel=Channel.WEB,
        kind=EventKind.WEB_ACTION,
        customer=order.customer,
        order=order,
        body=f"order page: cancel booking {order.booking_ref}",
        data={
            "action": "cancel_booking",
            "ref": order.booking_ref,
            "plate": order.plate_display,
            "zone": order.zone.code,
            "amount_cents": done.refunded_cents,
            "currency": order.currency,
        },
    )
    if order.customer is not None:
        text = texts.booking_cancelled(
            order, done.refunded_cents, done.paid_cents, language_of(order)
        )
        notifications.queue_sms(
            session, kanava, order.customer, text, purpose="web_cancel", order=order, now=now
        )
    form_keys.answer(receipt, order_id=order.id)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return Cancelled(order, done.refunded_cents)
