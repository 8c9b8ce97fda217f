"""What one inbound SMS writes besides its work: the ``MessageSid``'s receipt, the inbound
event, the reply event and the reply stored on the receipt, in as few statements as the
database allows.

Every message pays for these, so they are Core statements built once, here, at import,
run on the session's connection (on PostgreSQL on the driver's cursor:
:mod:`app.backend.hot_statements`): no unit of work, no autoflush.

On PostgreSQL, two statements with data-modifying CTEs
(https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING):

1. the claim: ``WITH claim AS (INSERT INTO webhook_receipts … ON CONFLICT DO NOTHING
   RETURNING id) SELECT nextval(<the events' id sequence>) FROM claim``. A claimed
   ``MessageSid`` inserts nothing and returns nothing; a concurrent duplicate's claim
   waits for the first transaction, as a plain claim does. The id taken is the inbound
   event's: it orders the event before whatever its handling records, as the timeline
   shows them, although the event itself is written only at the end.
2. the outcome: ``WITH inbound AS (INSERT INTO events …), reply AS (INSERT INTO events …)
   UPDATE webhook_receipts SET response_body …``: the inbound event written once, whole,
   with what the handling found (understood, intent, order, case, demand), its reply, and
   the reply on the receipt for a retry. Both in the message's one transaction: the
   receipt never stands without its event.

SQLite has neither data-modifying CTEs nor sequences: there the claim inserts the receipt
and the inbound event, and the outcome updates the event, inserts the reply and stores it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import KeyedColumnElement

from app.backend import customers
from app.backend.hot_statements import HotStatement, unwritten
from app.models import Channel, Customer, Event, EventKind, WebhookReceipt

SOURCE = "twilio_sms"

_EVENTS = Event.__table__.c
_RECEIPTS = WebhookReceipt.__table__.c

# The inbound event's columns known when it is claimed, and the ones its handling decides.
_INBOUND_FIRST = ("created_at", "customer_id", "channel", "kind", "body", "external_id")
_INBOUND_FINAL = (
    "order_id", "understood", "intent", "data", "case_id",
    "demand", "demand_reason", "zone_code", "sign_code",
)  # fmt: skip
_INBOUND_WHOLE = ("id", *_INBOUND_FIRST, *(k for k in _INBOUND_FINAL if k not in _INBOUND_FIRST))
_REPLY = ("created_at", "customer_id", "order_id", "channel", "kind", "body", "data")


def _param(prefix: str, column: KeyedColumnElement[Any]) -> BindParameter[Any]:
    """A bound parameter of the column's type (UTC datetimes, enums, JSON processed)."""
    return bindparam(prefix + column.key, type_=column.type)


def _claim(dialect: Any) -> Any:
    return (
        dialect.insert(WebhookReceipt)
        .values(
            source=bindparam("receipt_source", type_=_RECEIPTS.source.type),
            external_id=bindparam("receipt_sid", type_=_RECEIPTS.external_id.type),
            created_at=bindparam("receipt_at", type_=_RECEIPTS.created_at.type),
        )
        .on_conflict_do_nothing()
        .returning(WebhookReceipt.id)
    )


_SQLITE_CLAIM = _claim(sqlite)
_INBOUND_INSERT = (
    insert(Event)
    .values({key: _param("in_", _EVENTS[key]) for key in _INBOUND_FIRST})
    .returning(Event.id)
)
# The sender read and locked (or created), the claim, and the inbound event's id taken
# from the events' sequence, in one statement.
_PG_SENDER_AND_CLAIM = customers.pg_locked_or_created(
    along=select(
        func.nextval(func.pg_get_serial_sequence(text("'events'"), text("'id'")))
    ).select_from(_claim(postgresql).cte("claim"))
)
_INBOUND_UPDATE = (
    update(Event)
    .where(_EVENTS.id == bindparam("in_id", type_=_EVENTS.id.type))
    .values({key: _param("in_", _EVENTS[key]) for key in _INBOUND_FINAL})
)
_INBOUND_WRITE = insert(Event).values({key: _param("in_", _EVENTS[key]) for key in _INBOUND_WHOLE})
_REPLY_INSERT = insert(Event).values({key: _param("out_", _EVENTS[key]) for key in _REPLY})
_STORE_REPLY = (
    update(WebhookReceipt)
    .where(
        _RECEIPTS.source == bindparam("receipt_source", type_=_RECEIPTS.source.type),
        _RECEIPTS.external_id == bindparam("receipt_sid", type_=_RECEIPTS.external_id.type),
    )
    .values(response_body=bindparam("reply", type_=_RECEIPTS.response_body.type))
)
_PG_OUTCOME = HotStatement(_STORE_REPLY.add_cte(_INBOUND_WRITE.cte("inbound")))
_PG_OUTCOME_WITH_REPLY = HotStatement(
    _STORE_REPLY.add_cte(_INBOUND_WRITE.cte("inbound"), _REPLY_INSERT.cte("reply"))
)
_STORED_REPLY = select(_RECEIPTS.response_body).where(
    _RECEIPTS.source == bindparam("receipt_source"),
    _RECEIPTS.external_id == bindparam("receipt_sid"),
)


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def stored_reply(session: Session, message_sid: str) -> str:
    """The reply stored for an already claimed ``MessageSid`` ("" for none)."""
    params = {"receipt_source": SOURCE, "receipt_sid": message_sid}
    return session.connection().execute(_STORED_REPLY, params).scalar() or ""


def claim(
    session: Session, phone: str, *, message_sid: str, body: str, now: datetime
) -> tuple[Customer, bool, Event | None]:
    """Read and lock the sender's customer (created if new: see
    :func:`customers.get_or_create_locked`) and claim the ``MessageSid``: the customer,
    whether it was created, and the message's inbound event, or None when the
    ``MessageSid`` was claimed already (nothing written then).

    On PostgreSQL one statement (the customer's with the claim along, which gives the
    inbound event its id); elsewhere the customer's, the claim and the inbound event's
    first write. The event returned is not in the session and carries its id: the
    handling sets its fields (intent, data, order, understood, case, demand …) in Python
    and :func:`write_outcome` writes them. It must not be added to the session.
    """
    params: dict[str, Any] = {
        "receipt_source": SOURCE,
        "receipt_sid": message_sid,
        "receipt_at": now,
    }
    on_postgresql = _on_postgresql(session)
    event_id: int | None = None
    if on_postgresql:
        params |= {"phone": phone, "at": now}
        customer, new, along = customers.locked_or_created(session, _PG_SENDER_AND_CLAIM, params)
        event_id = along[0] if along else None
    else:
        customer, new = customers.get_or_create_locked(session, phone, now)
    first = {
        "created_at": now,
        "customer_id": customer.id,
        "channel": Channel.SMS,
        "kind": EventKind.MESSAGE_IN,
        "body": body,
        "external_id": message_sid,
    }
    if not on_postgresql:
        connection = session.connection()
        if connection.execute(_SQLITE_CLAIM, params).scalar() is not None:
            params.update({"in_" + key: value for key, value in first.items()})
            event_id = connection.execute(_INBOUND_INSERT, params).scalar()
    if event_id is None:
        return customer, new, None
    inbound: Event = unwritten(Event, id=event_id, customer=customer, **first)
    return customer, new, inbound


def write_outcome(
    session: Session,
    inbound: Event,
    *,
    reply: str,
    reply_event: bool,
) -> None:
    """Write the inbound event with what the handling found, the reply as an outbound
    event (with ``reply_event``: the reply goes back in the webhook's TwiML) and the reply
    on the receipt, for a retry to answer the same."""
    order = inbound.order
    if order is not None and order in session.new:
        session.flush()  # the order the event names must exist before the event names it
    customer_id = inbound.customer.id if inbound.customer else inbound.customer_id
    params: dict[str, Any] = {
        "receipt_source": SOURCE,
        "receipt_sid": inbound.external_id,
        "reply": reply,
        "in_id": inbound.id,
        "in_order_id": order.id if order is not None else inbound.order_id,
        "in_understood": inbound.understood,
        "in_intent": inbound.intent,
        "in_data": inbound.data,
        "in_case_id": inbound.case_id,
        "in_demand": inbound.demand,
        "in_demand_reason": inbound.demand_reason,
        "in_zone_code": inbound.zone_code,
        "in_sign_code": inbound.sign_code,
    }
    if reply_event:
        params.update(
            out_created_at=inbound.created_at,
            out_customer_id=customer_id,
            out_order_id=params["in_order_id"],
            out_channel=Channel.SMS,
            out_kind=EventKind.MESSAGE_OUT,
            out_body=reply,
            out_data={"in_reply_to": inbound.external_id},
        )
    connection = session.connection()
    if _on_postgresql(session):
        params.update(
            in_created_at=inbound.created_at,
            in_customer_id=customer_id,
            in_channel=Channel.SMS,
            in_kind=EventKind.MESSAGE_IN,
            in_body=inbound.body,
            in_external_id=inbound.external_id,
        )
        (_PG_OUTCOME_WITH_REPLY if reply_event else _PG_OUTCOME).rows(connection, params)
        return
    connection.execute(_INBOUND_UPDATE, params)
    if reply_event:
        connection.execute(_REPLY_INSERT, params)
    connection.execute(_STORE_REPLY, params)
