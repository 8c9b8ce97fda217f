"""Fast, realistic data for ``make bench``, written with plain SQL (INSERT … SELECT from
``generate_series``, then ANALYZE): a million orders take seconds, not the hours that
going through the services would.

The rows hold every column the schema requires (``orders``: kind, status, channel, zone,
plate key and display form, start, open-ended flag, amount, currency, language, created
and updated), in the shapes the services write them. Seeded drivers have phone numbers
``+35845…`` (history) and ``+35846…`` (reminders); the SMS bench's drivers are ``+35840…``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

Connection = psycopg.Connection[tuple[Any, ...]]

# A driver's plate parks about this many times in the history.
ORDERS_PER_PLATE = 5
# Plates are ``ABC-123`` shapes numbered from this index (the SMS bench uses lower ones).
HISTORY_PLATE_BASE = 10_000_000
REMINDER_PLATE_BASE = 12_000_000

_PLATE_SQL = """
    chr(65 + ({k} / 999 / 676 %% 26)::int) || chr(65 + ({k} / 999 / 26 %% 26)::int)
    || chr(65 + ({k} / 999 %% 26)::int)"""


def _letters(k: str) -> str:
    return _PLATE_SQL.format(k=k)


def _digits(k: str) -> str:
    return f"lpad(({k} %% 999 + 1)::text, 3, '0')"


def connect(url: str) -> Connection:
    """A connection for bulk loading: no JIT (it costs seconds on one INSERT), room for
    index builds, and foreign keys not re-checked row by row (``replica`` role: the rows
    are consistent by construction; the throwaway cluster's user is a superuser)."""
    conn = psycopg.connect(url)
    conn.execute("SET jit = off")
    conn.execute("SET maintenance_work_mem = '256MB'")
    conn.execute("SET session_replication_role = replica")
    conn.commit()
    return conn


@contextmanager
def indexes_rebuilt(conn: Connection, table: str) -> Iterator[None]:
    """Drop ``table``'s secondary indexes and unique constraints for a bulk insert and
    build them again afterwards, exactly as the checkout's migrations made them (building
    an index over a million sorted rows is many times faster than a million index
    inserts). The definitions come from the catalog, so any checkout's schema works."""
    constraints = conn.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = %(t)s::regclass AND contype = 'u'""",
        {"t": table},
    ).fetchall()
    indexes = conn.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           WHERE x.indrelid = %(t)s::regclass AND NOT x.indisprimary
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)""",
        {"t": table},
    ).fetchall()
    for name, _ in constraints:
        conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        for _, definition in indexes:
            conn.execute(definition)
        for name, definition in constraints:
            conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        conn.commit()


def clear_orders(conn: Connection) -> None:
    """Empty orders and customers and everything that points at them (payments, events,
    outbox, plate checks, vehicles, calls); zones and API tokens stay."""
    wait_idle(conn)
    conn.execute("TRUNCATE orders, customers RESTART IDENTITY CASCADE")
    conn.commit()


def count(conn: Connection, sql: str) -> int:
    """The single number ``sql`` selects; ends the transaction, so no lock is kept."""
    row = conn.execute(sql).fetchone()
    if not conn.autocommit:
        conn.commit()
    assert row is not None
    return int(row[0])


def wait_idle(conn: Connection, timeout: float = 30) -> None:
    """Wait until no other session of this database is running a statement: requests that
    were still in flight when wrk stopped have finished (they may still park or log)."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        busy = count(
            conn,
            """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
               AND pid <> pg_backend_pid() AND state NOT IN ('idle')""",
        )
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 0.5:
            return
        time.sleep(0.1)


_HISTORY_SQL = f"""
WITH z AS (SELECT array_agg(id ORDER BY id) AS ids FROM zones WHERE active AND NOT bookable),
g AS (
    SELECT i, i %% %(plates)s AS p, (i::bigint * 2654435761) %% 4294967296 AS h
    FROM generate_series(%(first)s, %(last)s - 1) AS i
),
s AS (
    SELECT g.p, g.h, g.h %% 100 < 3 AS live,
        CASE WHEN g.h %% 100 < 3 THEN 'active'
             WHEN g.h %% 100 < 5 THEN 'cancelled'
             WHEN g.h %% 100 < 40 THEN 'expired'
             ELSE 'ended' END AS status,
        CASE WHEN g.h %% 100 < 3 THEN %(now)s - make_interval(mins => (g.h / 7 %% 60)::int)
             ELSE %(now)s - make_interval(mins => (300 + g.h / 13 %% 525600)::int)
        END AS starts_at,
        (15 + g.h / 100 %% 226)::int AS minutes,
        {_letters(f"({HISTORY_PLATE_BASE} + g.p)")} AS letters,
        {_digits(f"({HISTORY_PLATE_BASE} + g.p)")} AS digits
    FROM g
)
INSERT INTO orders (kind, status, channel, customer_id, zone_id, plate_key, plate_display,
    starts_at, ends_at, open_ended, ended_at, payment_due_at, amount_cents, currency,
    language, reminder_sent_at, created_at, updated_at)
SELECT 'parking', s.status, 'sms', c.id, z.ids[1 + (s.h / 11 %% array_length(z.ids, 1))::int],
    s.letters || s.digits, s.letters || '-' || s.digits, s.starts_at,
    CASE WHEN s.live THEN %(now)s + make_interval(mins => (5 + s.h / 17 %% 120)::int)
         ELSE s.starts_at + make_interval(mins => s.minutes) END,
    false,
    CASE WHEN s.live THEN NULL
         WHEN s.status = 'cancelled' THEN s.starts_at
         WHEN s.status = 'ended' THEN s.starts_at + make_interval(mins => s.minutes * 3 / 4)
         ELSE s.starts_at + make_interval(mins => s.minutes) END,
    NULL, CASE WHEN s.status = 'cancelled' THEN 0 ELSE s.minutes * 4 END, 'EUR',
    (ARRAY['fi', 'fi', 'fi', 'fi', 'sv', 'en'])[1 + (s.h / 3 %% 6)::int],
    CASE WHEN s.live OR s.status = 'cancelled' THEN NULL
         ELSE s.starts_at + make_interval(mins => s.minutes - 10) END,
    s.starts_at, s.starts_at + make_interval(mins => s.minutes)
FROM s CROSS JOIN z
JOIN customers c ON c.phone = '+35845' || lpad(s.p::text, 7, '0')
"""


def grow_history(conn: Connection, total: int, now: datetime) -> None:
    """Add parkings until the database holds ``total`` orders: one plate per driver, about
    :data:`ORDERS_PER_PLATE` parkings per plate over the last year, 3 % of them live now
    (active, ending within two hours), the rest ended, expired or cancelled."""
    wait_idle(conn)
    first = count(conn, "SELECT count(*) FROM orders")
    plates = max(1, total // ORDERS_PER_PLATE)
    drivers = count(conn, "SELECT count(*) FROM customers WHERE phone LIKE '+35845%'")
    conn.execute(
        """INSERT INTO customers (phone, created_at)
           SELECT '+35845' || lpad(p::text, 7, '0'), %(now)s - interval '400 days'
           FROM generate_series(%(first)s, %(last)s - 1) AS p""",
        {"first": drivers, "last": plates, "now": now},
    )
    with indexes_rebuilt(conn, "orders"):
        conn.execute(_HISTORY_SQL, {"first": first, "last": total, "plates": plates, "now": now})
        conn.commit()
    analyze(conn)


def conversations(conn: Connection) -> None:
    """What the history's parkings left besides their orders, as a running service has it:
    each driver's vehicle, and for each parking the ``MessageSid`` receipt, the inbound
    message, the reply and the ``started`` event; then statistics. The SMS bench writes to
    these tables on every message; on empty ones the planner's cached plans would scan
    what the bench itself adds."""
    wait_idle(conn)
    conn.execute(
        """INSERT INTO vehicles (customer_id, plate_key, plate_display, created_at, last_used_at)
           SELECT customer_id, plate_key, min(plate_display), min(created_at), max(created_at)
           FROM orders GROUP BY customer_id, plate_key
           ON CONFLICT DO NOTHING"""
    )
    conn.execute(
        """INSERT INTO webhook_receipts (source, external_id, response_body, created_at)
           SELECT 'twilio_sms', 'SM' || md5('history' || id), 'Parked.', created_at
           FROM orders
           ON CONFLICT DO NOTHING"""
    )
    conn.execute(
        """INSERT INTO events (created_at, customer_id, order_id, channel, kind, body,
               understood, intent, external_id, demand)
           SELECT o.created_at, o.customer_id, o.id, 'sms', e.kind, e.body,
               e.understood, e.intent,
               CASE WHEN e.kind = 'message_in' THEN 'SM' || md5('history' || o.id) END,
               CASE WHEN e.kind = 'message_in' THEN 'value' END
           FROM orders o CROSS JOIN (VALUES
               ('message_in', 'PARK', true, 'park'), ('order', 'started', NULL, NULL),
               ('message_out', 'Parked.', NULL, NULL)
           ) AS e(kind, body, understood, intent)"""
    )
    conn.commit()
    analyze(conn)


def analyze(conn: Connection) -> None:
    """Statistics for the planner, and a vacuum, as a database in steady state has had: a
    table just grown by a million rows would otherwise be vacuumed by autovacuum during
    the measurement, on the same two cores."""
    conn.autocommit = True
    try:
        conn.execute("VACUUM (ANALYZE)")
        # The seed's writes flushed now, not by a checkpoint during the measurement.
        conn.execute("CHECKPOINT")
    finally:
        conn.autocommit = False


_DUE_SQL = f"""
WITH z AS (SELECT array_agg(id ORDER BY id) AS ids FROM zones WHERE active AND NOT bookable),
s AS (
    SELECT i, (i::bigint * 2654435761) %% 4294967296 AS h,
        {_letters(f"({REMINDER_PLATE_BASE} + i)")} AS letters,
        {_digits(f"({REMINDER_PLATE_BASE} + i)")} AS digits
    FROM generate_series(0, %(n)s - 1) AS i
)
INSERT INTO orders (kind, status, channel, customer_id, zone_id, plate_key, plate_display,
    starts_at, ends_at, open_ended, amount_cents, currency, language, created_at, updated_at)
SELECT 'parking', 'active', 'sms', c.id, z.ids[1 + (s.h / 11 %% array_length(z.ids, 1))::int],
    s.letters || s.digits, s.letters || '-' || s.digits,
    %(at)s - interval '50 minutes',
    %(at)s + make_interval(secs => 1 + s.i %% (%(lead)s * 60 - 1)),
    s.h %% 10 = 0, 240, 'EUR',
    (ARRAY['fi', 'fi', 'fi', 'fi', 'sv', 'en'])[1 + (s.h / 3 %% 6)::int],
    %(at)s - interval '50 minutes', %(at)s - interval '50 minutes'
FROM s CROSS JOIN z
JOIN customers c ON c.phone = '+35846' || lpad(s.i::text, 7, '0')
"""


def due_reminders(conn: Connection, n: int, at: datetime, lead_minutes: int) -> None:
    """``n`` live parkings, each by its own driver, all ending within ``lead_minutes`` after
    ``at`` (so each is due its reminder at ``at``), none reminded yet; one in ten is an
    open-ended parking whose longest stay ends then."""
    conn.execute(
        """INSERT INTO customers (phone, created_at)
           SELECT '+35846' || lpad(i::text, 7, '0'), %(at)s - interval '30 days'
           FROM generate_series(0, %(n)s - 1) AS i""",
        {"n": n, "at": at},
    )
    with indexes_rebuilt(conn, "orders"):
        conn.execute(_DUE_SQL, {"n": n, "at": at, "lead": lead_minutes})
        conn.commit()
    analyze(conn)


def plate_checks_file(conn: Connection, path: Path, n: int = 10_000) -> int:
    """Write the plates a handheld checks, ``plate<TAB>zone`` a line: half parked now and
    checked in their zone, half any plate of the history checked in a random zone (not
    parked, or parked elsewhere). Returns the number of lines."""
    live = conn.execute(
        """SELECT o.plate_display, z.code FROM orders o JOIN zones z ON z.id = o.zone_id
           WHERE o.status IN ('active', 'awaiting_payment')
           ORDER BY random() LIMIT %(n)s""",
        {"n": n // 2},
    ).fetchall()
    anyone = [
        row[0]
        for row in conn.execute(
            "SELECT plate_display FROM orders ORDER BY random() LIMIT %(n)s", {"n": n // 2}
        )
    ]
    codes = [row[0] for row in conn.execute("SELECT code FROM zones WHERE active AND NOT bookable")]
    rng = random.Random(13)
    lines = [f"{plate}\t{code}" for plate, code in live]
    lines += [f"{plate}\t{rng.choice(codes)}" for plate in anyone]
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n")
    return len(lines)
