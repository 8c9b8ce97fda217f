"""Writing a new parking: the order, its first payment and its ``started`` event, in one
statement on PostgreSQL.

Every park of every channel writes these three rows (:func:`app.backend.orders.start_parking`).
Through the unit of work that was one flush of three ORM inserts, about a third of an SMS
park's CPU; here they are Core statements built once, at import, with bound parameters of
the columns' types, executed on the session's connection. On PostgreSQL one statement with
data-modifying CTEs (https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING)::

    WITH [new_vehicle AS (INSERT INTO vehicles … ON CONFLICT … DO UPDATE … RETURNING id),]
         new_order AS (INSERT INTO orders … RETURNING id),
         new_payment AS (INSERT INTO payments (order_id, …) SELECT new_order.id, … RETURNING id),
         started AS (INSERT INTO events (order_id, …) SELECT new_order.id, …)
    SELECT new_order.id, new_payment.id [, new_vehicle.id] FROM new_order, new_payment …

The vehicle's insert joins when the SMS names a car new to its driver (a new driver's first
park, a known driver's new plate): one round trip fewer.

SQLite has no data-modifying CTEs: there the same inserts run one by one.

The order and the payment were built as ORM objects with every column set; once written
they join the session as if just loaded (:func:`sqlalchemy.orm.make_transient_to_detached`,
then ``Session.add``): no flush and no read, and whatever the caller changes on them later
is written by the unit of work as usual. The event is not in the session: nobody changes it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, bindparam, insert, null, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql.elements import KeyedColumnElement

from app.backend import customers
from app.backend.hot_statements import HotStatement
from app.models import Event, Order, Payment, Vehicle

_ORDERS = Order.__table__.c
_PAYMENTS = Payment.__table__.c
_EVENTS = Event.__table__.c

# Columns a new parking, its first payment and its event always leave NULL: not in the
# statements (the rows get the columns' NULL), and checked None on what is written. Fewer
# parameters matter: psycopg caches its parsing of a query only up to 50 parameters
# (psycopg/_queries.py, MAX_CACHED_STATEMENT_PARAMS), and parsed again it cost about a
# tenth of an SMS park.
_ORDER_UNSET = frozenset(
    {"id", "ended_at", "unpaid_from", "client_key", "reminder_sent_at", "booking_ref",
     "hold_expires_at", "start_reminder_sent_at"}
)  # fmt: skip
_PAYMENT_UNSET = frozenset(
    {"id", "order_id", "provider_ref", "failure_reason", "paid_at", "checkout_ref", "save_card",
     "refunded_at"}
)  # fmt: skip
_EVENT_UNSET = frozenset(
    {"id", "order_id", "understood", "intent", "external_id", "actor", "case_id", "demand",
     "demand_reason", "zone_code", "sign_code"}
)  # fmt: skip
# Every other column (the order's id is the statement's own).
_ORDER_KEYS = tuple(c.key for c in Order.__table__.columns if c.key not in _ORDER_UNSET)
_PAYMENT_KEYS = tuple(c.key for c in Payment.__table__.columns if c.key not in _PAYMENT_UNSET)
_EVENT_KEYS = tuple(c.key for c in Event.__table__.columns if c.key not in _EVENT_UNSET)


def _param(prefix: str, column: KeyedColumnElement[Any]) -> BindParameter[Any]:
    """A bound parameter of the column's type (UTC datetimes, enums, JSON processed)."""
    return bindparam(prefix + column.key, type_=column.type)


def _values(prefix: str, columns: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: _param(prefix, columns[key]) for key in keys}


_ORDER_INSERT = insert(Order).values(_values("o_", _ORDERS, _ORDER_KEYS)).returning(_ORDERS.id)
_PAYMENT_INSERT = (
    insert(Payment)
    .values(order_id=_param("p_", _PAYMENTS.order_id), **_values("p_", _PAYMENTS, _PAYMENT_KEYS))
    .returning(_PAYMENTS.id)
)
_EVENT_INSERT = insert(Event).values(
    order_id=_param("e_", _EVENTS.order_id), **_values("e_", _EVENTS, _EVENT_KEYS)
)


# The order's columns but its vehicle's id, which the vehicle's insert gives.
_ORDER_KEYS_BUT_VEHICLE = tuple(key for key in _ORDER_KEYS if key != "vehicle_id")


def _pg_statement(with_payment: bool, with_vehicle: bool = False) -> Any:
    if with_vehicle:
        # customers.write_vehicle's statement, as a CTE.
        new_vehicle = (
            customers.vehicle_add_or_touch(postgresql, prefix="v_")
            .returning(Vehicle.__table__.c.id)
            .cte("new_vehicle")
        )
        order_values = (_param("o_", _ORDERS[key]) for key in _ORDER_KEYS_BUT_VEHICLE)
        new_order = (
            insert(Order)
            .from_select(
                [*_ORDER_KEYS_BUT_VEHICLE, "vehicle_id"],
                select(*order_values, new_vehicle.c.id),
            )
            .returning(_ORDERS.id)
            .cte("new_order")
        )
    else:
        new_order = _ORDER_INSERT.cte("new_order")

    def from_new_order(table: Any, prefix: str, columns: Any, keys: tuple[str, ...]) -> Any:
        params = (_param(prefix, columns[key]) for key in keys)
        return insert(table).from_select(["order_id", *keys], select(new_order.c.id, *params))

    started = from_new_order(Event, "e_", _EVENTS, _EVENT_KEYS).cte("started")
    vehicle_columns = [new_vehicle.c.id] if with_vehicle else []
    if not with_payment:
        rows = new_order.join(new_vehicle, true()) if with_vehicle else new_order
        return select(new_order.c.id, null(), *vehicle_columns).select_from(rows).add_cte(started)
    new_payment = (
        from_new_order(Payment, "p_", _PAYMENTS, _PAYMENT_KEYS)
        .returning(_PAYMENTS.id, _PAYMENTS.order_id)
        .cte("new_payment")
    )
    joined = new_order.join(new_payment, new_payment.c.order_id == new_order.c.id)
    if with_vehicle:
        joined = joined.join(new_vehicle, true())
    statement = select(new_order.c.id, new_payment.c.id, *vehicle_columns).select_from(joined)
    return statement.add_cte(started)


# Run on the driver's cursor (app.backend.hot_statements): every park writes so. By
# (with a payment, with a new vehicle).
_PG_STATEMENTS = {
    (payment, vehicle): HotStatement(_pg_statement(with_payment=payment, with_vehicle=vehicle))
    for payment in (True, False)
    for vehicle in (True, False)
}


def _params(
    prefix: str, loaded: dict[str, Any], keys: tuple[str, ...], unset: frozenset[str]
) -> dict[str, Any]:
    """The columns of an object (its ``__dict__``) or of a row as bound parameters. Every
    column must be set (one left unset would be expired once written, and read back with
    a query), those not written None."""
    written = [k for k in unset if k not in ("id", "order_id") and loaded[k] is not None]
    if written:
        raise ValueError(f"a new parking's row has no value for {written}")
    return {prefix + key: loaded[key] for key in keys}


def insert_parking(
    session: Session,
    order: Order,
    *,
    payment: Payment | None,
    started: dict[str, Any],
    vehicle: Vehicle | None = None,
) -> None:
    """Write the new ``order`` (transient, every column set), its first ``payment``
    (transient, every column but ``order_id`` set; None for none) and its ``started``
    event (the columns of :func:`app.backend.timeline.event_row`); then put the order and
    the payment in the session as written, linked to each other.

    ``vehicle``: the order's vehicle left unwritten by
    :func:`app.backend.customers.remember_vehicle` (``deferred``), written here first (on
    PostgreSQL in the same statement) and its id given to the order; the object itself
    stays out of the session (``order.vehicle`` loads the row when asked).

    The session must hold nothing added and unwritten that these rows refer to (the
    caller flushes first), since the unit of work does not see these inserts."""
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    if vehicle is not None and not on_postgresql:
        order.vehicle_id = customers.write_vehicle(session, vehicle).id
        vehicle = None
    order_keys = _ORDER_KEYS if vehicle is None else _ORDER_KEYS_BUT_VEHICLE
    params = _params("o_", instance_state(order).dict, order_keys, _ORDER_UNSET)
    params |= _params("e_", started, _EVENT_KEYS, _EVENT_UNSET)
    if payment is not None:
        params |= _params("p_", instance_state(payment).dict, _PAYMENT_KEYS, _PAYMENT_UNSET)
    connection = session.connection()
    if on_postgresql:
        if vehicle is not None:
            params |= {"v_" + key: getattr(vehicle, key) for key in customers.VEHICLE_VALUE_KEYS}
        statement = _PG_STATEMENTS[payment is not None, vehicle is not None]
        ((order_id, payment_id, *vehicle_id),) = statement.rows(connection, params)
        if vehicle_id:
            order.vehicle_id = vehicle_id[0]
    else:
        order_id = connection.execute(_ORDER_INSERT, params).scalar_one()
        params |= {"p_order_id": order_id, "e_order_id": order_id}
        payment_id = None
        if payment is not None:
            payment_id = connection.execute(_PAYMENT_INSERT, params).scalar_one()
        connection.execute(_EVENT_INSERT, params)
    order.id = order_id
    set_committed_value(order, "payments", [payment] if payment is not None else [])
    make_transient_to_detached(order)
    if payment is not None:
        payment.id = payment_id
        payment.order_id = order_id
        set_committed_value(payment, "order", order)
        make_transient_to_detached(payment)
    session.add(order)  # and its payment: the relationship cascades
