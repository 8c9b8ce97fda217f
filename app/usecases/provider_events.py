"""What the payment provider says, applied: its webhooks, and its current view of a
checkout or a PaymentIntent when Kanava asks. Each public function commits once, then
sends the messages it queued.

Events may come in any order, twice, or late: only ids are taken from a webhook, and the
provider's current state (fetched) decides. The driver is told once: a confirmation when
a payment is made, a text when money nobody asked for is refunded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.backend import bookings, ledger, provider_payments
from app.backend.orders import OrderError
from app.domain.booking_capacity import Alternative
from app.kernel import Kanava
from app.models import Order, OrderKind, Payment, WebhookReceipt
from app.texts import bookings as booking_texts
from app.texts.messages import language_of, payment_confirmed_text, refund_made
from app.usecases import outbox_dispatch as notifications
from app.usecases.sms.bookings import BookingDialogue

WEBHOOK_SOURCE = "stripe"


def tell_paid(
    session: Session,
    kanava: Kanava,
    payment: Payment,
    applied: provider_payments.Applied,
    *,
    now: datetime,
) -> None:
    """Queue what the driver is told of what :func:`~app.backend.ledger.apply_paid` did to
    ``payment``: one confirmation of a payment made now, or the refund of money nobody
    asked for. Does not commit."""
    order = payment.order
    if applied.paid and order.customer is not None and order.kind is OrderKind.BOOKING:
        _tell_booking_paid(session, kanava, order, payment, applied, now=now)
    elif applied.paid and order.customer is not None:
        notifications.queue_sms(
            session,
            kanava,
            order.customer,
            payment_confirmed_text(order, payment, kanava, now=now),
            purpose="payment_confirmed",
            order=order,
            now=now,
        )
    if applied.returned is not None:
        tell_returned(session, kanava, applied.returned, now=now)


def _tell_booking_paid(
    session: Session,
    kanava: Kanava,
    order: Order,
    payment: Payment,
    applied: provider_payments.Applied,
    *,
    now: datetime,
) -> None:
    """A booking's payment came: booked (with its calendar link), or, paid after its hold
    lapsed with no space left, refunded, with the nearest free windows offered as numbered
    one-word answers."""
    customer = order.customer
    assert customer is not None
    lang = language_of(order)
    if not applied.booking_lost:
        text = booking_texts.booking_paid(order, lang, kanava)
        purpose = "booking_paid"
    else:
        found: list[Alternative] = []
        try:
            offered = bookings.alternatives_for(
                session, kanava, order.zone, bookings.window_of(order), now
            )
        except OrderError:  # the zone is no longer bookable
            offered = None
        dialogue = BookingDialogue(session, kanava, customer, lang, now, [])
        found = dialogue.offer(offered, order.zone.code, order.plate_display)
        text = booking_texts.booking_lost(order, payment.refunded_cents, found, lang, kanava)
        purpose = "booking_refunded"
    notifications.queue_sms(session, kanava, customer, text, purpose=purpose, order=order, now=now)


def tell_returned(
    session: Session, kanava: Kanava, returned: provider_payments.Returned, *, now: datetime
) -> None:
    """Queue the text telling a driver that money nobody asked for was refunded to them (a
    released hold is not worth a text). Does not commit."""
    order, customer = returned.order, returned.customer
    if customer is None or order is None or returned.held:
        return
    notifications.queue_sms(
        session,
        kanava,
        customer,
        refund_made(order, returned.amount_cents, returned.currency or order.currency),
        purpose="unexpected_refund",
        order=order,
        now=now,
    )


def sync_checkout(
    session: Session, kanava: Kanava, checkout_ref: str, *, now: datetime
) -> Payment | None:
    """Apply a hosted checkout as the provider reports it now (fetched, never taken from a
    webhook's payload). Safe to repeat and to run concurrently. Commits."""
    info = kanava.payments.get_checkout(checkout_ref)
    payment_id = info.payment_id
    if payment_id is None:
        payment_id = session.scalar(select(Payment.id).where(Payment.checkout_ref == checkout_ref))
    payment = ledger.lock_payment(session, payment_id) if payment_id is not None else None
    if payment is None or payment.provider != kanava.payments.name:
        session.commit()
        return None
    if info.status == "complete" and info.payment_ref:
        paid = kanava.payments.get_payment(info.payment_ref)
        applied = provider_payments.apply_paid(session, kanava, payment, paid, now=now)
        tell_paid(session, kanava, payment, applied, now=now)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return payment


def sync_payment(
    session: Session, kanava: Kanava, payment_ref: str, *, now: datetime
) -> Payment | None:
    """Apply a PaymentIntent as the provider reports it now. Safe to repeat. Commits.

    A paid PaymentIntent that no payment owns (a saved-card charge whose use case rolled
    back) is refunded and recorded, never dropped silently."""
    info = kanava.payments.get_payment(payment_ref)
    payment_id = provider_payments.payment_id_for(session, info)
    payment = ledger.lock_payment(session, payment_id) if payment_id is not None else None
    if payment is None and info.status in ("succeeded", "requires_capture"):
        claimed = provider_payments.claim_orphan(session, kanava, info, now=now)
        if isinstance(claimed, provider_payments.Returned):
            tell_returned(session, kanava, claimed, now=now)
        else:
            payment = claimed
    if payment is None or payment.provider != kanava.payments.name:
        session.commit()
        notifications.dispatch_queued(session, kanava, now=now)
        return None
    # A charge made off-session is applied when it is made; this only completes payments
    # the driver made through a checkout, if their checkout event is late or lost.
    applied = provider_payments.apply_paid(session, kanava, payment, info, now=now)
    tell_paid(session, kanava, payment, applied, now=now)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return payment


def receive_webhook(
    session: Session, kanava: Kanava, payload: bytes, signature: str | None, *, now: datetime
) -> str:
    """``POST /stripe/webhook``: verify, claim the event id once, and apply the object it
    names as fetched from the provider. Raises
    :class:`~app.kernel.payments.InvalidWebhook`. Commits."""
    event = kanava.payments.parse_webhook(payload, signature)
    if session.scalar(
        select(WebhookReceipt.id).where(
            WebhookReceipt.source == WEBHOOK_SOURCE, WebhookReceipt.external_id == event.id
        )
    ):
        return "duplicate"
    session.add(
        WebhookReceipt(
            source=WEBHOOK_SOURCE, external_id=event.id, response_body=event.type, created_at=now
        )
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return "duplicate"
    if event.object_type == "checkout.session" and event.type.startswith("checkout.session."):
        sync_checkout(session, kanava, event.object_id, now=now)
    elif event.object_type == "payment_intent" and event.type.startswith("payment_intent."):
        sync_payment(session, kanava, event.object_id, now=now)
    else:
        session.commit()
        return "ignored"
    return "applied"
