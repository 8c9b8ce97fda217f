"""Flask extensions, created unbound and initialised in ``create_app``, and the running
application's :class:`~app.kernel.Kanava`."""

from __future__ import annotations

import select
import time
from typing import Any

from flask import Flask, current_app, g, has_app_context
from flask_babel import Babel, Domain
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, MetaData, event, exc
from sqlalchemy.orm import DeclarativeBase, Session

from app.kernel import Kanava

# Deterministic constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
babel = Babel()


class _RequestDomain(Domain):  # type: ignore[misc]
    """Flask-Babel's message domain, whose translations are looked up once per request.

    Flask-Babel 4 resolves them again for every string (the locale, its name, a cache
    lookup), dozens of times on a page. The request's Babel context keeps them in
    ``babel_translations``, which Flask-Babel itself resets whenever the locale changes
    (``force_locale`` clears and restores it, ``refresh`` deletes it).
    """

    def get_translations(self) -> Any:
        ctx = getattr(g, "_flask_babel", None) if has_app_context() else None
        cached = getattr(ctx, "babel_translations", None)
        if cached is not None:
            return cached
        translations = super().get_translations()
        ctx = getattr(g, "_flask_babel", None) if has_app_context() else None
        if ctx is not None:
            ctx.babel_translations = translations
        return translations


babel.domain_instance = _RequestDomain()


def install_template_gettext(app: Flask) -> None:
    """Templates' ``_()``, ``ngettext()`` … straight to the request's translations (as
    Flask-Babel's own callables do, one lookup shorter: these run for every string)."""
    translations = babel.domain_instance.get_translations
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


# The panel's sign-in (app/channels/admin_auth.py sets the user loader).
login_manager = LoginManager()
# CSRF on every form. Blueprints that machines call (webhooks signed by Twilio or
# Stripe, the bearer-token JSON API) are exempted by name in create_app.
csrf = CSRFProtect()
CSRF_EXEMPT_BLUEPRINTS = ("sms", "api", "health", "simulator", "voice", "stripe_webhook")


def kanava() -> Kanava:
    """The running application's :class:`~app.kernel.Kanava` (built by
    :func:`app.bootstrap.build_kanava` in ``create_app``)."""
    ext: Kanava = current_app.extensions["kanava"]
    return ext


def session() -> Session:
    """The current request's (or app context's) database session."""
    return db.session()


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave under a multi-threaded, multi-process web server.

    WAL lets readers work while one connection writes; ``synchronous=NORMAL`` is safe with
    WAL. ``BEGIN IMMEDIATE`` takes the write lock when a transaction starts, so two
    requests queue on ``busy_timeout`` instead of failing when a read turns into a write
    (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# A pooled connection idle longer than this is pinged (a round trip) before it is handed
# out; one used more recently only gets the local check of :func:`_has_input`.
PING_AFTER_IDLE_SECONDS = 5.0


def configure_postgres_pool(engine: Engine) -> None:
    """Never hand a request a pooled connection that PostgreSQL has closed.

    This replaces ``pool_pre_ping``, which pays a ``SELECT 1`` round trip on every
    checkout, that is on every request. When PostgreSQL restarts (or a proxy, failover
    or ``idle_session_timeout`` ends a session), the server closes the socket, and an
    idle connection's socket then has something to read: its FATAL message or the end of
    the stream. So a connection whose socket is readable, or that has been idle longer
    than :data:`PING_AFTER_IDLE_SECONDS` (a vanished host sends nothing), is pinged as
    pre-ping would; a dead one is replaced by a new connection before the request sees
    it (SQLAlchemy's retry on :class:`~sqlalchemy.exc.DisconnectionError` at checkout).
    The check of the socket is one ``select()`` call, no round trip.
    """
    if engine.dialect.name != "postgresql":
        return
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive_or_replaced(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None:  # connected for this checkout
            return
        recent = time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS
        if recent and not _has_input(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(str(error)) from error
            raise


def _has_input(dbapi_connection: Any) -> bool:
    """Whether the server has sent anything to this idle connection (or it is closed)."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except Exception:  # no socket any more (psycopg raises): let the ping decide
        return True
    return bool(readable)
