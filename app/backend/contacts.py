"""Every inbound contact classified as value or failure demand, on its own timeline event.

An inbound SMS (``message_in``), the start of a call (``call_step`` ``call_start``) and a web
form submission (``web_action`` ``park``) are contacts. Each gets ``demand``,
``demand_reason``, ``zone_code`` and ``sign_code`` on its event, set in the same transaction
as the work (added to the session, never committed here), so the figures are one indexed
query by day (``ix_events_demand_created``).

The rules are :func:`app.domain.demand.classify`; this module gathers the facts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.domain.demand import ContactFacts, Demand, classify
from app.models import (
    CallSession,
    Customer,
    Event,
    EventKind,
    Order,
    Payment,
    PaymentStatus,
)

# "Asking what the last reply said": within this long of a reply about the same order.
REPEAT_WINDOW = timedelta(minutes=30)
# A contact this soon after one of the customer's payments failed was caused by it.
PAYMENT_FAILURE_WINDOW = timedelta(minutes=30)
# Intents that ask for what a reply already told.
_ASKING_AGAIN = frozenset({"status", "receipt", "park"})
# Calls that ended like this were not understood.
_CALL_NOT_UNDERSTOOD = frozenset({"silence", "not_understood", "error"})


def classify_sms(
    session: Session,
    inbound: Event,
    *,
    customer: Customer,
    to_person: bool,
    zone_code: str | None,
    sign_code: str | None,
    now: datetime,
    first_contact: bool = False,
    new_order: bool = False,
    failed_before: bool | None = None,
) -> None:
    """Classify an inbound SMS (its intent, understood and order already set).

    What this message's transaction created has no past, so it is not read: with
    ``first_contact`` (the customer is new) no failed payment of theirs; with either flag
    (``new_order``: the inbound's order is new) no earlier reply about the order to repeat
    and no earlier contact of it whose sign to inherit. ``failed_before``: whether a
    payment of the customer's had failed within :data:`PAYMENT_FAILURE_WINDOW` before the
    message was handled, read by the caller with its other reads
    (:data:`FAILED_PAYMENT_LATELY`); only what this transaction failed is added to it, from
    the session, without a read. Nothing flushed: the stamp goes out with the inbound
    event's next write.
    """
    order_is_new = first_contact or new_order
    if first_contact:
        failed = False
    elif failed_before is None:
        failed = _after_failed_payment(session, customer.id, now)
    else:
        failed = failed_before or _failed_in_session(session, customer.id, now)
    facts = ContactFacts(
        intent=inbound.intent,
        understood=inbound.understood,
        to_person=to_person,
        repeats_reply=not order_is_new and _repeats_reply(session, inbound, customer, now),
        after_failed_payment=failed,
    )
    _stamp(
        session,
        inbound,
        facts,
        zone_code=zone_code,
        sign_code=sign_code,
        inherit_sign=not order_is_new,
    )


def classify_web(session: Session, event: Event, *, sign_code: str | None, now: datetime) -> None:
    """Classify a web form submission (its order set). Its order is new, so its sign is
    the form's own: no earlier contact to inherit one from (and no extra read in the
    transaction that holds the form's key)."""
    customer_id = event.customer.id if event.customer is not None else event.customer_id
    failed = customer_id is not None and _after_failed_payment(session, customer_id, now)
    _stamp(
        session,
        event,
        ContactFacts(intent="park", after_failed_payment=failed),
        zone_code=None,
        sign_code=sign_code,
        inherit_sign=False,
    )


def classify_call(session: Session, call: CallSession) -> None:
    """Classify a call (its ``call_start`` event) by how it has gone so far: to a person
    (transferred, or handed to the staff inbox), given up on (silence, an error) or two
    invalid answers in a row, help (the help key, no person), or served. Called after
    every step and at the end; a failure once seen stays."""
    start = session.scalar(
        select(Event)
        .where(
            Event.external_id == call.call_sid,
            Event.kind == EventKind.CALL_STEP,
            Event.intent == "call_start",
        )
        .limit(1)
    )
    if start is None:
        return
    reason = call.end_reason or ""
    at = call.ended_at or call.updated_at or start.created_at
    data = call.data or {}
    facts = ContactFacts(
        intent="help" if data.get("asked_help") else "call",
        to_person=reason == "transferred" or bool(data.get("to_person")),
        understood=not (reason in _CALL_NOT_UNDERSTOOD or call.invalid_count >= 2),
        after_failed_payment=call.customer_id is not None
        and _after_failed_payment(session, call.customer_id, at),
    )
    earlier = start.demand_reason
    if call.order_id is not None and start.order_id is None:
        start.order_id = call.order_id
    _stamp(session, start, facts, zone_code=None, sign_code=start.sign_code)
    if start.demand is Demand.VALUE and earlier is not None:
        start.demand, start.demand_reason = Demand.FAILURE, earlier


def _stamp(
    session: Session,
    event: Event,
    facts: ContactFacts,
    *,
    zone_code: str | None,
    sign_code: str | None,
    inherit_sign: bool = True,
) -> None:
    event.demand, event.demand_reason = classify(facts)
    order = event.order or (session.get(Order, event.order_id) if event.order_id else None)
    event.zone_code = (order.zone.code if order is not None else zone_code) or None
    # The sign of the number texted wins; only without one is the order's first read.
    if not sign_code and order is not None and inherit_sign:
        sign_code = _sign_of_order(session, order.id)
    event.sign_code = sign_code or None


def _sign_of_order(session: Session, order_id: int | None) -> str | None:
    """The sign that caused the order: the sign code of its first contact that has one."""
    if order_id is None:
        return None
    return session.scalar(
        select(Event.sign_code)
        .where(Event.order_id == order_id, Event.sign_code.is_not(None))
        .order_by(Event.created_at, Event.id)
        .limit(1)
    )


def _repeats_reply(session: Session, inbound: Event, customer: Customer, now: datetime) -> bool:
    """STATUS, RECEIPT, or the same parking asked again, about an order the customer was
    told about (a reply or a confirmation) within :data:`REPEAT_WINDOW`."""
    if inbound.intent not in _ASKING_AGAIN or inbound.understood is False:
        return False
    order = inbound.order
    if order is None:
        return False
    session.flush()  # ids order the events: only what was said before this message counts
    told = session.scalar(
        select(Event.id)
        .where(
            Event.customer_id == customer.id,
            Event.kind == EventKind.MESSAGE_OUT,
            Event.order_id == order.id,
            Event.created_at >= now - REPEAT_WINDOW,
            Event.id < inbound.id,
        )
        .limit(1)
    )
    return told is not None


# Did a payment of the customer's fail within PAYMENT_FAILURE_WINDOW up to ``failed_until``
# (``failed_since`` = ``failed_until`` - the window)? An EXISTS built once, for a caller
# to read with its own reads (:func:`failed_payment_params`, ``classify_sms(failed_before=)``).
FAILED_PAYMENT_LATELY = (
    select(Payment.id)
    .join(Order, Payment.order_id == Order.id)
    .where(
        Order.customer_id == bindparam("failed_customer_id"),
        Payment.status == PaymentStatus.FAILED,
        Payment.updated_at >= bindparam("failed_since", type_=Payment.updated_at.type),
        Payment.updated_at <= bindparam("failed_until", type_=Payment.updated_at.type),
    )
    .exists()
)


def failed_payment_params(customer_id: int, now: datetime) -> dict[str, object]:
    """The parameters of :data:`FAILED_PAYMENT_LATELY` for the customer at ``now``."""
    return {
        "failed_customer_id": customer_id,
        "failed_since": now - PAYMENT_FAILURE_WINDOW,
        "failed_until": now,
    }


def _after_failed_payment(session: Session, customer_id: int, now: datetime) -> bool:
    return bool(
        session.scalar(select(FAILED_PAYMENT_LATELY), failed_payment_params(customer_id, now))
    )


def _failed_in_session(session: Session, customer_id: int, now: datetime) -> bool:
    """A payment of the customer's failed within the window that the session holds (one
    this transaction failed, a saved card declined while handling the message, that a read
    made before could not see)."""
    since = now - PAYMENT_FAILURE_WINDOW
    return any(
        isinstance(held, Payment)
        and held.status is PaymentStatus.FAILED
        and since <= held.updated_at <= now
        and held.order.customer_id == customer_id
        for held in (*session.identity_map.values(), *session.new)
    )
