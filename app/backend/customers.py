"""Customers are keyed by their phone number in E.164 (phonenumbers)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import (
    BigInteger,
    bindparam,
    cast,
    exists,
    false,
    insert,
    inspect,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.backend.hot_statements import HotStatement, as_loaded, column_keys, unwritten
from app.backend.upserts import insert_or_nothing
from app.config import LANGUAGES
from app.domain.parsing import ParsedMessage
from app.domain.plates import display_plate, normalize_plate
from app.models import Customer, Vehicle


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number that can receive calls or messages."""


def normalize_phone(text: str, default_region: str = "FI") -> str:
    """E.164 form of ``text``; raises :class:`InvalidPhoneNumber`.

    Accepts what people type: spaces, dashes, a leading 0 for a Finnish number.
    """
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(text) from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Cached per process: every SMS of a driver without a chosen language asks it again, and
# phonenumbers parses the number each time (the webhook parsed it already).
@functools.lru_cache(maxsize=4096)
def language_for_number(phone: str) -> str | None:
    """The language a number's country suggests, or None when it suggests nothing.

    Finland is Finnish (Åland, +358 18, is Swedish), Sweden Swedish, any other known
    country English.
    """
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    # A number outside the known ranges (a new series, a test range) still has a country.
    region: str | None = phonenumbers.region_code_for_number(number)
    if not region and number.country_code:
        region = phonenumbers.region_code_for_country_code(number.country_code)
    if region == "ZZ":
        region = None
    if region == "FI":
        return "fi"
    if region in ("SE", "AX"):
        return "sv"
    return "en" if region else None


def choose_language(
    parsed: ParsedMessage | None,
    customer: Customer | None,
    default: str,
    *,
    phone: str | None = None,
) -> str:
    """The language to answer ``parsed`` in (None: no message, as a call's greeting),
    strongest first:

    1. the language of the command word that opens the message (``LOPETA``, ``SLUTA``,
       ``DONE``): for this reply only, never stored (only ``KIELI``/``SPRÅK``/``LANGUAGE``
       store a choice);
    2. the customer's chosen language;
    3. a lesser word's (a unit, a number word, a greeting; a mistyped keyword) in a
       message read whole: a message not understood never switches the language;
    4. the language of the customer's last understood message (``last_language``);
    5. any word's, for a sender of whom neither is known (``Why was I charged twice?``
       from a Finnish number nobody knows yet is answered in English);
    6. the country of the number (``phone``, else the customer's);
    7. ``default``.
    """
    number = phone or (customer.phone if customer else None)
    for candidate in (
        parsed.command_language if parsed else None,
        customer.language if customer else None,
        parsed.hinted_language if parsed else None,
        customer.last_language if customer else None,
        parsed.language if parsed else None,
        language_for_number(number) if number else None,
    ):
        if candidate in LANGUAGES:
            return candidate
    return default


def remember_language(customer: Customer, parsed: ParsedMessage, understood: bool) -> None:
    """Keep the language an understood message revealed as the customer's
    ``last_language`` (the chosen language is left alone: see :func:`choose_language`)."""
    revealed = parsed.command_language or parsed.hinted_language
    if understood and revealed in LANGUAGES and customer.last_language != revealed:
        customer.last_language = revealed


def get_or_create(session: Session, phone: str, at: datetime) -> Customer:
    """The customer with this E.164 number, created if new; safe under concurrency."""
    customer = session.scalar(select(Customer).where(Customer.phone == phone))
    if customer is not None:
        return customer
    try:
        with session.begin_nested():
            customer = Customer(phone=phone, created_at=at)
            session.add(customer)
    except IntegrityError:
        customer = session.scalar(select(Customer).where(Customer.phone == phone))
        assert customer is not None
    return customer


# Built once: every SMS reads its sender this way.
_LOCKED_BY_PHONE = (
    select(Customer)
    .where(Customer.phone == bindparam("phone"))
    .with_for_update(key_share=True)
    .execution_options(populate_existing=True)
)


def pg_locked_or_created(along: Any = None) -> HotStatement:
    """PostgreSQL: the customer read and locked, or inserted when there is none, in one
    statement (a data-modifying CTE), with whether it was inserted::

        WITH found AS (SELECT … WHERE phone = :phone FOR NO KEY UPDATE),
             created AS (INSERT INTO customers (phone, created_at) SELECT :phone, :at
                         WHERE NOT EXISTS (SELECT id FROM found)
                         ON CONFLICT DO NOTHING RETURNING …)
        SELECT found.*, false AS created, NULL FROM found
        UNION ALL SELECT created.*, true, NULL FROM created
        [UNION ALL SELECT NULL, …, NULL, along.* FROM along]

    No customer row when another transaction inserted the number meanwhile (the insert
    waited for it to commit, then did nothing): the caller reads and locks it then.
    ``along``: a select of one column that the message's other work needs at the same
    time (its ``MessageSid`` claimed: :mod:`app.backend.sms_records`), its rows marked by
    a last column that is not NULL; read them with :func:`locked_or_created`."""
    table = Customer.__table__
    phone = bindparam("phone", type_=table.c.phone.type)
    found = select(table).where(table.c.phone == phone).with_for_update(key_share=True).cte("found")
    created = (
        postgresql.insert(Customer)
        .from_select(
            ["phone", "created_at"],
            select(phone, bindparam("at", type_=table.c.created_at.type)).where(
                ~exists(select(found.c.id))
            ),
        )
        .on_conflict_do_nothing()
        .returning(*table.c)
        .cte("created")
    )
    no_along = cast(null(), BigInteger).label("along")
    branches = [
        select(*found.c, false().label("created"), no_along),
        select(*created.c, true().label("created"), no_along),
    ]
    if along is not None:
        along = along.subquery("along")
        (value,) = along.c
        blanks = (null().label(column.key) for column in table.c)
        branches.append(select(*blanks, null().label("created"), value).select_from(along))
    return HotStatement(union_all(*branches))


# Run on the driver's cursor (app.backend.hot_statements): every SMS reads its sender so.
_PG_LOCKED_OR_CREATED = pg_locked_or_created()
_CUSTOMER_KEYS = column_keys(Customer)


def locked_or_created(
    session: Session, statement: HotStatement, params: dict[str, Any]
) -> tuple[Customer, bool, list[Any]]:
    """Run a statement of :func:`pg_locked_or_created` (``params``: its ``phone``, ``at``
    and ``along``'s): the customer, locked (read and locked once more when another
    transaction created it meanwhile), whether it was created, and ``along``'s values."""
    customer: Customer | None = None
    new = False
    along: list[Any] = []
    for row in statement.rows(session.connection(), params):
        if row[-1] is not None:
            along.append(row[-1])
            continue
        values = dict(zip(_CUSTOMER_KEYS, row, strict=False))
        customer, new = as_loaded(session, Customer, values), bool(row[-2])
    if customer is None:
        customer = _lock_by_phone(session, params["phone"])
    return customer, new, along


def get_or_create_locked(session: Session, phone: str, at: datetime) -> tuple[Customer, bool]:
    """The customer with this E.164 number, its row locked as :func:`lock` locks it,
    created if new; returns it and whether this transaction created it.

    On PostgreSQL one statement, known or new (:func:`pg_locked_or_created`: a row this
    transaction inserted is its own until commit). Elsewhere one statement for a known
    number (``SELECT … FOR NO KEY UPDATE``), two for a new one (``INSERT … ON CONFLICT DO
    NOTHING RETURNING``). Two first messages of one new number at once: the second insert
    waits for the first transaction, then inserts nothing; the row is then read and locked.
    A customer created here has, within this transaction, no vehicles, orders or events
    that another transaction could have written: callers may skip reading them.
    """
    if session.get_bind().dialect.name == "postgresql":
        locked, new, _ = locked_or_created(
            session, _PG_LOCKED_OR_CREATED, {"phone": phone, "at": at}
        )
        return locked, new
    found: Customer | None = session.scalar(_LOCKED_BY_PHONE, {"phone": phone})
    if found is not None:
        return found, False
    created: Customer | None = session.scalar(
        insert_or_nothing(session, Customer, phone=phone, created_at=at).returning(Customer)
    )
    if created is not None:
        return created, True
    return _lock_by_phone(session, phone), False


def _lock_by_phone(session: Session, phone: str) -> Customer:
    """The customer of a number that exists, its row locked (as :func:`lock`)."""
    customer = session.scalar(_LOCKED_BY_PHONE, {"phone": phone})
    assert customer is not None
    return customer


def lock(session: Session, customer: Customer) -> Customer:
    """Re-read the customer row locked (PostgreSQL), serialising one driver's messages.

    ``FOR NO KEY UPDATE``: rows that merely reference the customer (events, messages a
    staff action or the clock writes while holding an order's row) do not wait for it, so
    an SMS holding the customer and waiting for that order cannot deadlock with them."""
    session.execute(
        select(Customer.id).where(Customer.id == customer.id).with_for_update(key_share=True)
    )
    session.refresh(customer)
    return customer


# A vehicle row of its own, written by Core statements built once and run on the driver's
# cursor (app.backend.hot_statements), its row put in the session as loaded: no unit of
# work. They need nothing the session holds unflushed (vehicles are only ever added here),
# so they do not flush the session first: what is pending goes with the next flush.
_VEHICLES = Vehicle.__table__
_VEHICLE_KEYS = column_keys(Vehicle)
# The columns a new vehicle is written with (its id is the database's).
VEHICLE_VALUE_KEYS = ("customer_id", "plate_key", "plate_display", "created_at", "last_used_at")
_VEHICLE_VALUES = {key: bindparam(key, type_=_VEHICLES.c[key].type) for key in VEHICLE_VALUE_KEYS}


def vehicle_add_or_touch(dialect: Any, prefix: str = "") -> Any:
    """The vehicle added, or (a plate added meanwhile by another message or channel)
    touched, in one ``INSERT … ON CONFLICT DO UPDATE``, its values bound as ``prefix`` +
    each of :data:`VEHICLE_VALUE_KEYS`; the caller adds what it returns."""
    values = {
        key: bindparam(prefix + key, type_=_VEHICLES.c[key].type) for key in VEHICLE_VALUE_KEYS
    }
    statement = dialect.insert(Vehicle).values(values)
    return statement.on_conflict_do_update(
        index_elements=["customer_id", "plate_key"],
        set_={"last_used_at": statement.excluded.last_used_at},
    )


def _vehicle_upsert(dialect: Any) -> HotStatement:
    """:func:`vehicle_add_or_touch` returning the vehicle's row."""
    return HotStatement(vehicle_add_or_touch(dialect).returning(*_VEHICLES.c))


_ADD_VEHICLE = HotStatement(insert(Vehicle).values(_VEHICLE_VALUES).returning(*_VEHICLES.c))
_PG_ADD_OR_TOUCH_VEHICLE = _vehicle_upsert(postgresql)
_SQLITE_ADD_OR_TOUCH_VEHICLE = _vehicle_upsert(sqlite)
_TOUCH_VEHICLE = HotStatement(
    update(Vehicle)
    .where(_VEHICLES.c.id == bindparam("vehicle_id", type_=_VEHICLES.c.id.type))
    .values(last_used_at=bindparam("last_used_at", type_=_VEHICLES.c.last_used_at.type))
)


def _written_vehicle(session: Session, statement: HotStatement, values: dict[str, Any]) -> Vehicle:
    (row,) = statement.rows(session.connection(), values)
    vehicle: Vehicle = as_loaded(session, Vehicle, dict(zip(_VEHICLE_KEYS, row, strict=True)))
    return vehicle


def remember_vehicle(
    session: Session,
    customer: Customer,
    plate: str,
    at: datetime,
    *,
    new_customer: bool = False,
    known: Sequence[Vehicle] | None = None,
    deferred: bool = False,
) -> Vehicle:
    """The customer's vehicle for ``plate`` (any spelling), created or touched; its
    ``plate_display`` is the spelling it was first given.

    ``new_customer``: the customer was created in this transaction (see
    :func:`get_or_create_locked`), so it has no vehicle and nobody else can add one: the
    vehicle is simply added, in one ``INSERT … RETURNING``, without a read or a savepoint.
    ``known``: the customer's vehicles, read in this transaction while its row is locked:
    the plate is looked up there, not read again; one found is touched with one
    ``UPDATE``, one not found added with one ``INSERT … ON CONFLICT DO UPDATE RETURNING``
    (touched instead if another message added it meanwhile).

    ``deferred`` (with ``new_customer`` or ``known``): a vehicle to add is returned
    unwritten, its id None, for the new parking's statement to write along
    (:func:`app.backend.order_inserts.insert_parking`); :func:`write_vehicle` writes it
    when no parking follows."""
    key = normalize_plate(plate)
    values = {
        "customer_id": customer.id,
        "plate_key": key,
        "plate_display": display_plate(plate),
        "created_at": at,
        "last_used_at": at,
    }
    if known is not None:
        vehicle = next((v for v in known if v.plate_key == key), None)
        if vehicle is not None:
            touch = {"vehicle_id": vehicle.id, "last_used_at": at}
            _TOUCH_VEHICLE.rows(session.connection(), touch)
            set_committed_value(vehicle, "last_used_at", at)
            return vehicle
        if deferred:
            return _unwritten_vehicle(values)
        on_postgresql = session.get_bind().dialect.name == "postgresql"
        upsert = _PG_ADD_OR_TOUCH_VEHICLE if on_postgresql else _SQLITE_ADD_OR_TOUCH_VEHICLE
        return _written_vehicle(session, upsert, values)
    if new_customer:
        if deferred:
            return _unwritten_vehicle(values)
        return _written_vehicle(session, _ADD_VEHICLE, values)
    vehicle = session.scalar(
        select(Vehicle).where(Vehicle.customer_id == customer.id, Vehicle.plate_key == key)
    )
    if vehicle is None:
        try:
            with session.begin_nested():
                vehicle = Vehicle(
                    customer_id=customer.id,
                    plate_key=key,
                    plate_display=display_plate(plate),
                    created_at=at,
                    last_used_at=at,
                )
                session.add(vehicle)
        except IntegrityError:
            vehicle = session.scalar(
                select(Vehicle).where(Vehicle.customer_id == customer.id, Vehicle.plate_key == key)
            )
            assert vehicle is not None
    vehicle.last_used_at = at
    # The driver's first spelling stays: every message names the car the same way.
    return vehicle


def _unwritten_vehicle(values: dict[str, Any]) -> Vehicle:
    vehicle: Vehicle = unwritten(Vehicle, id=None, **values)
    return vehicle


def is_unwritten(vehicle: Vehicle | None) -> bool:
    """Whether ``vehicle`` is one :func:`remember_vehicle` left unwritten (``deferred``):
    in no session, without a row."""
    return vehicle is not None and inspect(vehicle).transient


def write_vehicle(session: Session, vehicle: Vehicle) -> Vehicle:
    """A vehicle :func:`remember_vehicle` left unwritten (``deferred``), added (or touched,
    when another message added it meanwhile): its row, in the session as loaded. Any
    other vehicle is returned as it is."""
    if not is_unwritten(vehicle):
        return vehicle
    values = {key: getattr(vehicle, key) for key in VEHICLE_VALUE_KEYS}
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    upsert = _PG_ADD_OR_TOUCH_VEHICLE if on_postgresql else _SQLITE_ADD_OR_TOUCH_VEHICLE
    return _written_vehicle(session, upsert, values)


_VEHICLES_BY_RECENT_USE = HotStatement(
    select(*_VEHICLES.c)
    .where(_VEHICLES.c.customer_id == bindparam("customer_id", type_=_VEHICLES.c.customer_id.type))
    .order_by(_VEHICLES.c.last_used_at.desc(), _VEHICLES.c.id.desc())
)


def vehicles_by_recent_use(session: Session, customer: Customer) -> list[Vehicle]:
    """The customer's vehicles, the last used first (read on the driver's cursor: a known
    driver's every park reads them)."""
    rows = _VEHICLES_BY_RECENT_USE.rows(session.connection(), {"customer_id": customer.id})
    return [
        as_loaded(
            session, Vehicle, dict(zip(_VEHICLE_KEYS, row, strict=True)), populate_existing=False
        )
        for row in rows
    ]
