"""Hot statements (app.backend.hot_statements) give what SQLAlchemy's own execution gives:
the same rows with the same Python types, the listeners told, driver errors wrapped, and
rows put in the session as loaded. On PostgreSQL they run on psycopg's cursor; on SQLite
through SQLAlchemy, so every case runs on both."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.backend.hot_statements import HotStatement, as_loaded, column_keys, unwritten
from app.models import Channel, Customer, Event, EventKind, Vehicle
from tests.backend.conftest import Backend

_EVENTS = Event.__table__.c

# Enums, a UTC datetime, JSON and a constant IN list: every kind of processing.
_EVENTS_OF = select(
    _EVENTS.id, _EVENTS.channel, _EVENTS.kind, _EVENTS.created_at, _EVENTS.data
).where(
    _EVENTS.customer_id == bindparam("customer_id"),
    _EVENTS.kind.in_([EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT]),
)
_HOT_EVENTS_OF = HotStatement(_EVENTS_OF.order_by(_EVENTS.id))


def _two_events(backend: Backend) -> int:
    customer = backend.driver()
    now = backend.clock()
    for kind, data in ((EventKind.MESSAGE_IN, {"a": [1, "ä"]}), (EventKind.MESSAGE_OUT, None)):
        backend.session.add(
            Event(customer=customer, channel=Channel.SMS, kind=kind, created_at=now, data=data)
        )
    backend.session.add(
        Event(customer=customer, channel=Channel.WEB, kind=EventKind.ORDER, created_at=now)
    )
    backend.session.commit()
    return customer.id


def test_rows_are_those_sqlalchemy_gives(backend_at: Backend) -> None:
    customer_id = _two_events(backend_at)
    connection = backend_at.session.connection()
    expected = [
        tuple(r)
        for r in connection.execute(_EVENTS_OF.order_by(_EVENTS.id), {"customer_id": customer_id})
    ]
    rows = _HOT_EVENTS_OF.rows(connection, {"customer_id": customer_id})
    assert rows == expected
    assert [r[2] for r in rows] == [EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT]
    assert rows[0][3] == backend_at.clock() and rows[0][3].utcoffset() == timedelta(0)
    assert rows[0][4] == {"a": [1, "ä"]} and rows[1][4] is None
    assert _HOT_EVENTS_OF.first(connection, {"customer_id": customer_id + 1}) is None


def test_a_write_is_in_the_sessions_transaction(backend_at: Backend) -> None:
    customer = backend_at.driver()
    backend_at.session.commit()
    add = HotStatement(
        insert(Event).values(
            customer_id=bindparam("customer_id"),
            channel=bindparam("channel", type_=_EVENTS.channel.type),
            kind=EventKind.SYSTEM,
            body="",
            created_at=bindparam("at", type_=_EVENTS.created_at.type),
        )
    )
    params = {"customer_id": customer.id, "channel": Channel.WEB, "at": backend_at.clock()}
    add.rows(backend_at.session.connection(), params)
    backend_at.session.rollback()
    assert backend_at.all(Event) == []
    add.rows(backend_at.session.connection(), params)
    backend_at.commit()
    (written,) = backend_at.all(Event)
    assert isinstance(written, Event)
    assert (written.channel, written.kind) == (Channel.WEB, EventKind.SYSTEM)


def test_every_parameter_without_a_value_must_be_given(backend_at: Backend) -> None:
    with pytest.raises(SQLAlchemyError, match="customer_id"):
        _HOT_EVENTS_OF.rows(backend_at.session.connection(), {})


def test_an_in_list_given_per_call_is_refused(backend_at: Backend) -> None:
    per_call = HotStatement(
        select(_EVENTS.id).where(_EVENTS.kind.in_(bindparam("kinds", expanding=True)))
    )
    connection = backend_at.session.connection()
    if connection.dialect.name != "postgresql":
        pytest.skip("run through SQLAlchemy on SQLite, which expands it per call")
    with pytest.raises(ValueError, match="IN lists"):
        per_call.rows(connection, {"kinds": [EventKind.SYSTEM]})


def test_the_connections_listeners_see_the_statement(backend_at: Backend) -> None:
    customer_id = _two_events(backend_at)
    seen: list[tuple[str, str]] = []
    engine = backend_at.session.get_bind()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(("before", statement))

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(("after", statement))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        _HOT_EVENTS_OF.rows(backend_at.session.connection(), {"customer_id": customer_id})
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    assert [when for when, _ in seen] == ["before", "after"]
    assert "FROM events" in seen[0][1] and seen[0][1] == seen[1][1]


def test_a_driver_error_is_sqlalchemys_and_the_session_goes_on(backend_at: Backend) -> None:
    customer = backend_at.driver()
    backend_at.session.commit()
    same_phone = HotStatement(
        insert(Customer).values(
            phone=bindparam("phone", type_=Customer.__table__.c.phone.type),
            created_at=bindparam("at", type_=Customer.__table__.c.created_at.type),
        )
    )
    with pytest.raises(IntegrityError):
        same_phone.rows(
            backend_at.session.connection(), {"phone": customer.phone, "at": backend_at.clock()}
        )
    backend_at.session.rollback()
    assert [c.phone for c in backend_at.all(Customer)] == [customer.phone]


def test_as_loaded_puts_a_row_in_the_session_unchanged(backend_at: Backend) -> None:
    customer = backend_at.driver()
    phone = customer.phone
    backend_at.session.add(
        Vehicle(
            customer=customer,
            plate_key="ABC123",
            plate_display="ABC-123",
            created_at=backend_at.clock(),
            last_used_at=backend_at.clock(),
        )
    )
    backend_at.commit()
    session = backend_at.session
    session.expunge_all()
    row = session.connection().execute(select(*Customer.__table__.c)).one()
    loaded = as_loaded(session, Customer, dict(zip(column_keys(Customer), row, strict=True)))
    assert loaded in session and loaded not in session.dirty and loaded not in session.new
    assert loaded.phone == phone
    assert [v.plate_display for v in loaded.vehicles] == ["ABC-123"]  # loaded lazily
    session.flush()
    assert not session.dirty
    # The identity already in the session gets the row's values, as populate_existing.
    loaded.language = "sv"
    again = as_loaded(
        session,
        Customer,
        dict(zip(column_keys(Customer), row, strict=True)) | {"language": "en"},
    )
    assert again is loaded and loaded.language == "en" and not session.is_modified(loaded)


def test_the_first_use_in_a_fresh_process_configures_the_mappers(tmp_path: Path) -> None:
    """A worker's first message may be the first use of the mappers: building an instance
    without its constructor must configure them first (else its relationships fail)."""
    script = """
from app.backend.hot_statements import as_loaded
from app.models import Customer
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from app.extensions import Base
engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
with Session(engine) as session:
    c = as_loaded(session, Customer, {"id": 1, "phone": "+358401234567"})
    print(c.phone, c in session)
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["+358401234567", "True"]


def test_an_unwritten_instance_is_inserted_whole_by_the_unit_of_work(backend_at: Backend) -> None:
    customer = backend_at.driver()
    backend_at.session.commit()
    now = backend_at.clock()
    built = unwritten(
        Event,
        created_at=now,
        customer_id=customer.id,  # a foreign key as a column: see unwritten()
        channel=Channel.SMS,
        kind=EventKind.MESSAGE_IN,
        body="ABC-123 101",
        data={"k": 1},
    )
    assert built not in backend_at.session and built.case_id is None
    built.understood = True  # set afterwards: tracked as usual
    backend_at.session.add(built)
    backend_at.commit()
    (written,) = backend_at.all(Event)
    assert isinstance(written, Event)
    assert (written.customer_id, written.body, written.data) == (
        customer.id,
        "ABC-123 101",
        {"k": 1},
    )
    assert written.understood is True and written.created_at == now
