"""Personal data's lifetime: what a customer can take away (export), what is forgotten on
request (erasure) and what is forgotten with time (retention).

What identifies a driver here is the phone number, what they said (message bodies, call
speech and keys, the prompts and replies that quote them) and their saved card. Those go.
What accounting must keep (Finnish Accounting Act: six years for vouchers) stays: orders
with their plate, zone, times and amounts, payments, refunds and receipts, and the staff
actions on them. The plate stays on the order because the order is the voucher of a sale
and the plate is what was sold to; without the phone number it no longer leads to a person
through this service. The customer row itself stays as an empty shell with a pseudonym
(``erased-<id>``) so the orders keep one owner and a later SMS from the same number starts
a new customer.

Every function here adds and flushes; the calling use case commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.models import (
    LIVE_STATUSES,
    CallSession,
    Customer,
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    OutboundStatus,
    Payment,
    WebhookReceipt,
)

PSEUDONYM_PREFIX = "erased-"
BATCH = 200
# What people said or were told: blanked by retention and by erasure.
SPOKEN_KINDS = (EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT, EventKind.CALL_STEP)
# Keys of an event's data that quote the person (a call's number, keys pressed, speech).
PERSONAL_DATA_KEYS = frozenset({"from", "digits", "speech", "phone", "to"})
# Webhook receipts whose stored answer quotes the conversation (Stripe's store a type only).
CONVERSATION_SOURCES = ("twilio_sms", "twilio_voice")
# Kinds an erasure keeps on the customer's timeline: the accounting story and the audit.
KEPT_KINDS = (EventKind.ORDER, EventKind.PAYMENT, EventKind.STAFF_ACTION)
FINAL_OUTBOUND = (
    OutboundStatus.SENT,
    OutboundStatus.DELIVERED,
    OutboundStatus.UNDELIVERED,
    OutboundStatus.FAILED,
    OutboundStatus.SUPPRESSED,
)


def pseudonym(customer_id: int) -> str:
    return f"{PSEUDONYM_PREFIX}{customer_id}"


def is_erased(customer: Customer) -> bool:
    return customer.phone.startswith(PSEUDONYM_PREFIX)


def by_phone(session: Session, phone: str) -> Customer | None:
    """The customer with this E.164 number (erased customers have none)."""
    return session.scalar(select(Customer).where(Customer.phone == phone))


# ---- export ------------------------------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def export(session: Session, customer: Customer, now: datetime) -> dict[str, Any]:
    """Everything kept about ``customer``, as JSON-ready data (times ISO 8601 in UTC)."""
    orders = list(
        session.scalars(select(Order).where(Order.customer_id == customer.id).order_by(Order.id))
    )
    events = list(
        session.scalars(select(Event).where(Event.customer_id == customer.id).order_by(Event.id))
    )
    outbound = list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.customer_id == customer.id)
            .order_by(OutboundMessage.id)
        )
    )
    calls = list(
        session.scalars(
            select(CallSession)
            .where(CallSession.customer_id == customer.id)
            .order_by(CallSession.id)
        )
    )
    return {
        "exported_at": _iso(now),
        "customer": {
            "phone": customer.phone,
            "language": customer.language,
            "last_language": customer.last_language,
            "created_at": _iso(customer.created_at),
            "opted_out_at": _iso(customer.opted_out_at),
            "card_saved": customer.saved_payment_method_id is not None,
            "card_saved_at": _iso(customer.card_saved_at),
        },
        "vehicles": [
            {
                "plate": v.plate_display,
                "first_used_at": _iso(v.created_at),
                "last_used_at": _iso(v.last_used_at),
            }
            for v in customer.vehicles
        ],
        "orders": [_order_json(o) for o in orders],
        "timeline": [
            {
                "at": _iso(e.created_at),
                "channel": e.channel.value,
                "kind": e.kind.value,
                "text": e.body,
                "order_id": e.order_id,
            }
            for e in events
        ],
        "messages_sent": [
            {
                "at": _iso(m.created_at),
                "to": m.to_number,
                "text": m.body,
                "status": m.status.value,
                "order_id": m.order_id,
            }
            for m in outbound
        ],
        "calls": [
            {
                "started_at": _iso(c.created_at),
                "ended_at": _iso(c.ended_at),
                "from": c.from_number,
                "language": c.language,
            }
            for c in calls
        ],
    }


def _order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "kind": order.kind.value,
        "status": order.status.value,
        "channel": order.channel.value,
        "plate": order.plate_display,
        "zone": order.zone.code,
        "starts_at": _iso(order.starts_at),
        "ends_at": _iso(order.ended_at or order.ends_at),
        "amount_cents": order.amount_cents,
        "currency": order.currency,
        "payments": [_payment_json(p) for p in order.payments],
    }


def _payment_json(payment: Payment) -> dict[str, Any]:
    return {
        "provider": payment.provider,
        "status": payment.status.value,
        "amount_cents": payment.amount_cents,
        "captured_cents": payment.captured_cents,
        "refunded_cents": payment.refunded_cents,
        "currency": payment.currency,
        "paid_at": _iso(payment.paid_at),
    }


@dataclass(frozen=True)
class Summary:
    """What is kept about a customer, in counts, for a confirmation page."""

    orders: int
    running: int
    events: int
    messages: int
    vehicles: int


def summary(session: Session, customer: Customer) -> Summary:
    def count(model: type[Event] | type[Order] | type[OutboundMessage]) -> int:
        return (
            session.scalar(
                select(func.count()).select_from(model).where(model.customer_id == customer.id)
            )
            or 0
        )

    return Summary(
        orders=count(Order),
        running=live_orders(session, customer),
        events=count(Event),
        messages=count(OutboundMessage),
        vehicles=len(customer.vehicles),
    )


# ---- erasure -----------------------------------------------------------------------------


class CustomerBusy(Exception):
    """The customer has a parking or booking still running: erase it after it ends."""


@dataclass(frozen=True)
class Erased:
    """What an erasure did, in counts (the audit trail and the operator see these)."""

    customer_id: int
    orders_kept: int
    events_blanked: int
    messages_blanked: int
    calls_blanked: int
    vehicles_removed: int
    # The payment provider's customer (saved cards): none, deleted, already_deleted.
    payment_customer: str = "none"

    def as_data(self) -> dict[str, int | str]:
        return {
            "payment_customer": self.payment_customer,
            "orders_kept": self.orders_kept,
            "events_blanked": self.events_blanked,
            "messages_blanked": self.messages_blanked,
            "calls_blanked": self.calls_blanked,
            "vehicles_removed": self.vehicles_removed,
        }


def live_orders(session: Session, customer: Customer) -> int:
    """How many of the customer's parkings are running or bookings still ahead."""
    running = (*LIVE_STATUSES, OrderStatus.BOOKED)
    return (
        session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.customer_id == customer.id, Order.status.in_(running))
        )
        or 0
    )


def erase(session: Session, customer: Customer, now: datetime, *, force: bool = False) -> Erased:
    """Detach ``customer`` from everything kept: pseudonymise the number, drop the card and
    the vehicles list, blank every message, call and web text; keep orders and payments.

    Raises :class:`CustomerBusy` while a parking or booking is running, unless ``force``
    (the inactivity sweep never meets one: it only takes customers idle for months).
    Idempotent: an erased customer erased again changes nothing more.
    """
    if not force and live_orders(session, customer):
        raise CustomerBusy(customer.id)
    old_phone = customer.phone
    name = pseudonym(customer.id)
    sids = list(
        session.scalars(
            select(Event.external_id).where(
                Event.customer_id == customer.id,
                Event.kind.in_(SPOKEN_KINDS),
                Event.external_id.is_not(None),
            )
        )
    )
    events = session.execute(
        update(Event)
        .where(Event.customer_id == customer.id, Event.kind.not_in(KEPT_KINDS))
        .where(or_(Event.body != "", Event.data.is_not(None)))
        .values(body="", data=None)
        .execution_options(synchronize_session=False)
    )
    messages = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.customer_id == customer.id)
        .where(or_(OutboundMessage.body != "", OutboundMessage.to_number != name))
        .values(body="", to_number=name, last_error=None)
        .execution_options(synchronize_session=False)
    )
    calls = session.execute(
        update(CallSession)
        .where(or_(CallSession.customer_id == customer.id, CallSession.from_number == old_phone))
        .values(from_number=name, last_prompt=None, data={})
        .execution_options(synchronize_session=False)
    )
    if sids:
        session.execute(
            update(WebhookReceipt)
            .where(
                WebhookReceipt.source.in_(CONVERSATION_SOURCES),
                WebhookReceipt.external_id.in_(sids),
            )
            .values(response_body=None)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(Order)
        .where(Order.customer_id == customer.id)
        .values(vehicle_id=None)
        .execution_options(synchronize_session=False)
    )
    vehicles = list(customer.vehicles)
    for vehicle in vehicles:
        session.delete(vehicle)
    customer.phone = name
    customer.pending = None
    customer.stripe_customer_id = None
    customer.saved_payment_method_id = None
    customer.card_saved_at = None
    session.flush()
    kept = session.scalar(
        select(func.count()).select_from(Order).where(Order.customer_id == customer.id)
    )
    return Erased(
        customer_id=customer.id,
        orders_kept=kept or 0,
        events_blanked=getattr(events, "rowcount", 0) or 0,
        messages_blanked=getattr(messages, "rowcount", 0) or 0,
        calls_blanked=getattr(calls, "rowcount", 0) or 0,
        vehicles_removed=len(vehicles),
    )


# ---- retention ---------------------------------------------------------------------------


def _scrubbed(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not data:
        return data
    return {k: v for k, v in data.items() if k not in PERSONAL_DATA_KEYS}


def blank_old_events(session: Session, before: datetime) -> int:
    """Blank one batch of message and call-step texts older than ``before``; claimed rows
    (``FOR UPDATE SKIP LOCKED``) so two clocks share the work. Returns how many."""
    rows = list(
        session.scalars(
            select(Event)
            .where(Event.kind.in_(SPOKEN_KINDS), Event.created_at < before, Event.body != "")
            .order_by(Event.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    for event in rows:
        event.body = ""
        event.data = _scrubbed(event.data)
    session.flush()
    return len(rows)


def blank_old_messages(session: Session, before: datetime) -> int:
    """Blank outbox texts, call prompts and stored webhook answers older than ``before``
    (the outbox only once a message is final). Conditional updates: safe to repeat."""
    done = 0
    for statement in (
        update(OutboundMessage)
        .where(
            OutboundMessage.created_at < before,
            OutboundMessage.body != "",
            OutboundMessage.status.in_(FINAL_OUTBOUND),
        )
        .values(body="", last_error=None),
        update(CallSession)
        .where(CallSession.created_at < before, CallSession.last_prompt.is_not(None))
        .values(last_prompt=None),
        update(WebhookReceipt)
        .where(
            WebhookReceipt.created_at < before,
            WebhookReceipt.source.in_(CONVERSATION_SOURCES),
            WebhookReceipt.response_body.is_not(None),
        )
        .values(response_body=None),
    ):
        result = session.execute(statement.execution_options(synchronize_session=False))
        done += getattr(result, "rowcount", 0) or 0
    return done


def inactive_customers(session: Session, before: datetime) -> list[Customer]:
    """Up to :data:`BATCH` customers not yet erased with nothing since ``before``: no event,
    no order starting or ending later, nothing running. Locked for this transaction."""
    recent_event = select(Event.id).where(
        Event.customer_id == Customer.id, Event.created_at >= before
    )
    recent_order = select(Order.id).where(
        Order.customer_id == Customer.id,
        or_(
            Order.status.in_(LIVE_STATUSES),
            Order.created_at >= before,
            and_(Order.ends_at.is_not(None), Order.ends_at >= before),
        ),
    )
    return list(
        session.scalars(
            select(Customer)
            .where(
                Customer.created_at < before,
                ~Customer.phone.startswith(PSEUDONYM_PREFIX),
                ~recent_event.exists(),
                ~recent_order.exists(),
            )
            .order_by(Customer.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=Customer)
        )
    )
