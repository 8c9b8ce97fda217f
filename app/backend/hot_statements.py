"""Statements every message runs, executed with as little Python as the driver allows.

SQLAlchemy's Core execution costs about 0.1 to 0.2 ms of Python per statement (the compiled
cache's key, an execution context, parameter processing, result metadata): more than
PostgreSQL takes to run the small, indexed statements of an SMS park, of which there are
six. A :class:`HotStatement` is a Core statement compiled once per dialect; on PostgreSQL
it runs on the psycopg cursor of the caller's :class:`~sqlalchemy.engine.Connection`, in
its transaction, with the bind and result processing SQLAlchemy itself would apply (UTC
datetimes, enums, JSON), the connection's ``before_cursor_execute`` and
``after_cursor_execute`` listeners told as for any statement (the statement budgets count
them), and a driver error wrapped and handled (a lost connection invalidated) by the
connection as SQLAlchemy does. Elsewhere (SQLite, the tests' default) it simply runs
through :meth:`Connection.execute`.

What it refuses, at compile time: positional parameter styles, bind names that need
escaping, and ``IN`` lists given per call (a constant list, ``status.in_([…])``, is
expanded once). Every bind parameter without a value in the statement must be given.

:func:`as_loaded` puts a row read this way into the session as the ORM puts a loaded row:
no history, no flush, lazy loads for what was not read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql import ClauseElement

Row = tuple[Any, ...]
_Processor = Callable[[Any], Any]


class _Compiled:
    """One statement compiled for one dialect, with what running it needs."""

    __slots__ = ("constants", "processors", "required", "result_types", "results", "string")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled: Any = statement.compile(dialect=dialect)
        if compiled.positional or compiled.escaped_bind_names:
            raise ValueError(f"not a hot statement (positional or escaped names): {compiled}")
        later = [*compiled.post_compile_params, *compiled.literal_execute_params]
        params = compiled.construct_params(escape_names=False, _check=False)
        names = compiled.bind_names
        given_later = [names[bind] for bind in later if params.get(names[bind]) is None]
        if given_later:
            raise ValueError(f"IN lists given per call cannot be hot: {given_later}")
        self.required = frozenset(name for bind, name in names.items() if bind.required)
        processors: dict[str, _Processor] = dict(compiled._bind_processors)
        self.string: str = compiled.string
        if later:
            expanded = compiled._process_parameters_for_postcompile(params)
            self.string = expanded.statement
            processors.update(expanded.processors)
            params = dict(expanded.parameters)
        self.processors = processors
        # Values the statement itself holds (literals, expanded lists), processed once.
        self.constants = {
            key: (processors[key](value) if key in processors else value)
            for key, value in params.items()
            if key not in self.required
        }
        self.result_types = [entry[3] for entry in compiled._result_columns or ()]
        self.results: list[_Processor | None] | None = None

    def parameters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        missing = self.required.difference(params)
        if missing:
            raise InvalidRequestError(f"A value is required for bind parameters {sorted(missing)}")
        values = dict(self.constants)
        processors = self.processors
        for key, value in params.items():
            processor = processors.get(key)
            values[key] = value if processor is None else processor(value)
        return values

    def result_processors(self, dialect: Dialect, description: Any) -> list[_Processor | None]:
        processors = [
            type_._cached_result_processor(dialect, column.type_code)
            for type_, column in zip(self.result_types, description, strict=True)
        ]
        self.results = processors if any(processors) else []  # []: rows as they come
        return self.results


class HotStatement:
    """A Core statement run often: see the module's docstring."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _Compiled(self.statement, dialect)
        return found

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[Row]:
        """Run the statement in the connection's transaction; its rows (none for a
        statement that returns none)."""
        dialect = connection.dialect
        if dialect.name != "postgresql":
            result = connection.execute(self.statement, params)
            return [tuple(row) for row in result] if result.returns_rows else []
        return _run(connection, self.compiled(dialect), params)

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Row | None:
        rows = self.rows(connection, params)
        return rows[0] if rows else None


def _run(connection: Connection, compiled: _Compiled, params: Mapping[str, Any]) -> list[Row]:
    statement = compiled.string
    values: Any = compiled.parameters(params)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    events = connection._has_events or connection.engine._has_events
    try:
        if events:
            for before in connection.dispatch.before_cursor_execute:
                statement, values = before(connection, cursor, statement, values, None, False)
        cursor.execute(statement, values)
        # ``rownumber`` is None when the statement returned no rows to fetch; asked
        # instead of ``description``, which psycopg builds anew on every access.
        rows: list[Row] = cursor.fetchall() if cursor.rownumber is not None else []  # type: ignore[assignment]
        processors = compiled.results
        if processors is None and rows:
            processors = compiled.result_processors(connection.dialect, cursor.description)
        if events:
            for after in connection.dispatch.after_cursor_execute:
                after(connection, cursor, statement, values, None, False)
    except BaseException as error:
        connection._handle_dbapi_exception(error, statement, values, cursor, None)
    finally:
        cursor.close()
    if not rows or not processors:
        return rows
    return [
        tuple(value if p is None else p(value) for p, value in zip(processors, row, strict=True))
        for row in rows
    ]


_mappers_configured = False


def _configured() -> None:
    global _mappers_configured
    if not _mappers_configured:
        # Mappers configure on first use; building an instance without the usual
        # constructor must not be that first use (a fresh worker's first message).
        configure_mappers()
        _mappers_configured = True


def unwritten(model: type[Any], **values: Any) -> Any:
    """A new ``model`` instance holding ``values`` (columns and related objects), built
    without the constructor's attribute events (a tenth of a new parking's Python): for
    rows a Core statement writes (:mod:`app.backend.order_inserts`), or that the unit of
    work inserts, which reads every column value it holds. A related object given here
    is there to be read, as if loaded: the unit of work does not copy its key into the
    foreign key column, so give that column too, or set the relationship afterwards
    (attributes set afterwards are tracked as usual)."""
    _configured()
    instance = model.__mapper__.class_manager.new_instance()
    instance_state(instance).dict.update(values)
    return instance


def as_loaded(
    session: Session, model: type[Any], values: Mapping[str, Any], *, populate_existing: bool = True
) -> Any:
    """The ``model`` instance of ``values`` (every column, by attribute key) in the session
    as if a query had loaded it: persistent, unchanged, its relationships loaded lazily on
    first use. An instance of that identity already in the session is returned, with the
    values unless ``populate_existing`` is false (as a query's option of that name)."""
    _configured()
    mapper = model.__mapper__
    key = mapper.identity_key_from_primary_key(
        [values[column.key] for column in mapper.primary_key]
    )
    existing = session.identity_map.get(key)
    if existing is not None:
        if not populate_existing:
            return existing
        for name, value in values.items():
            set_committed_value(existing, name, value)
        return existing
    instance = mapper.class_manager.new_instance()
    instance_state(instance).dict.update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def column_keys(model: type[Any]) -> Sequence[str]:
    """The model's column attributes in the order of its table's columns: the keys of
    :func:`as_loaded`'s values for a row of ``*table.c``."""
    mapper = model.__mapper__
    return tuple(mapper.get_property_by_column(column).key for column in model.__table__.c)
