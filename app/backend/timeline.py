"""The timeline: one record of everything said and done, in every channel.

Every inbound message, call step, outbound message, web action, payment event and staff
action goes through :func:`record`. It only adds to the session; the calling service
commits with the rest of its work, so the timeline never disagrees with the orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Channel, Customer, Event, EventKind, Order, OutboundMessage


def record(
    session: Session,
    *,
    at: datetime,
    channel: Channel,
    kind: EventKind,
    body: str = "",
    customer: Customer | None = None,
    order: Order | None = None,
    understood: bool | None = None,
    intent: str | None = None,
    external_id: str | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Add one event to the timeline (added to the session, not flushed or committed)."""
    event = Event(
        created_at=at,
        channel=channel,
        kind=kind,
        body=body,
        customer=customer,
        order=order,
        understood=understood,
        intent=intent,
        external_id=external_id,
        actor=actor,
        data=data,
    )
    session.add(event)
    return event


def event_row(
    *,
    at: datetime,
    channel: Channel,
    kind: EventKind,
    body: str = "",
    customer_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one timeline event (all but ``id`` and ``order_id``), for a writer
    that inserts it with Core in the statement that writes its order
    (:mod:`app.backend.order_inserts`) instead of adding it to the session with
    :func:`record`. What :func:`record` leaves unset is None here too."""
    return {
        "created_at": at,
        "customer_id": customer_id,
        "channel": channel,
        "kind": kind,
        "body": body,
        "understood": None,
        "intent": None,
        "external_id": None,
        "actor": None,
        "data": data,
        "case_id": None,
        "demand": None,
        "demand_reason": None,
        "zone_code": None,
        "sign_code": None,
    }


def for_customer(session: Session, customer_id: int, limit: int = 200) -> list[Event]:
    """The customer's events, newest first."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.customer_id == customer_id)
            .order_by(Event.created_at.desc(), Event.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class ThreadMessage:
    event: Event
    delivery_status: str | None  # for outbox messages: queued, delivered, failed, ...


def sms_thread(session: Session, phone: str, limit: int = 200) -> list[ThreadMessage]:
    """The SMS conversation with one number, oldest first (for the phone simulator).

    Replies given in the webhook's TwiML have no delivery status; messages sent later
    through the outbox carry theirs.
    """
    customer = session.scalar(select(Customer).where(Customer.phone == phone))
    if customer is None:
        return []
    events = list(
        session.scalars(
            select(Event)
            .where(
                Event.customer_id == customer.id,
                Event.channel == Channel.SMS,
                Event.kind.in_((EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT)),
            )
            .order_by(Event.created_at.desc(), Event.id.desc())
            .limit(limit)
        )
    )
    out_ids = [e.id for e in events if e.kind is EventKind.MESSAGE_OUT]
    statuses: dict[int, str] = {}
    if out_ids:
        rows = session.execute(
            select(OutboundMessage.event_id, OutboundMessage.status).where(
                OutboundMessage.event_id.in_(out_ids)
            )
        )
        statuses = {event_id: status.value for event_id, status in rows if event_id}
    return [ThreadMessage(e, statuses.get(e.id)) for e in reversed(events)]
