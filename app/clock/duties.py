"""Time-driven duties, run by the clock process and by ``jobs tick``.

Each duty is a sweep over the database for the rows due at ``now``. Rows are taken in
batches with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (another clock skips them
and takes the next ones) and changed with a conditional UPDATE that repeats the condition
(``… WHERE reminder_sent_at IS NULL``), so two clocks, or a clock and ``jobs tick``, never
do one duty twice. On SQLite ``BEGIN IMMEDIATE`` makes every transaction a writer, which
serialises the sweeps. The SMS a duty causes is queued in the same transaction as the
claim, so it exists exactly when the duty was done, then goes out through the outbox.

After downtime a tick catches up: ended parkings are expired and ended, but no reminder is
sent for a parking that has already ended, and notices that would arrive more than
:data:`NOTICE_WINDOW` late are not sent (the timeline says so).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Integer,
    Select,
    Text,
    any_,
    bindparam,
    case,
    cast,
    column,
    func,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload, selectinload

from app.backend import billing, ledger, orders, timeline
from app.clock import booking_duties, proactive, waitlist_duties
from app.domain.pricing import money_to_decimal_str
from app.kernel import Kanava
from app.models import (
    LIVE_STATUSES,
    Channel,
    Customer,
    Event,
    EventKind,
    Order,
    OrderKind,
    OrderStatus,
    OutboundMessage,
    OutboundStatus,
    Payment,
    PaymentStatus,
    Zone,
)
from app.texts import messages
from app.usecases import outbox_dispatch as notifications
from app.usecases import privacy as privacy_usecase
from app.usecases import provider_events
from app.usecases.sms import spool as inbox_spool

log = logging.getLogger(__name__)

BATCH = 200
# Expiry, max-stay and cancellation notices later than this are not worth an SMS.
NOTICE_WINDOW = timedelta(hours=1)
# How long after its end an unpaid parking is reminded of its debt (once): the stop reply
# carried the link; this is the one reminder.
DEBT_REMINDER_AFTER = timedelta(hours=1)
# ``intent`` of the timeline event that records a debt's reminder (sent or not): at most once.
DEBT_REMINDER = "debt_reminder"


@dataclass
class TickReport:
    """What one tick did. The first three always print; the others when not zero."""

    expired: int = 0
    cancelled_unpaid: int = 0
    messages_sent: int = 0
    reminders: int = 0
    ended_at_max_stay: int = 0
    resumed_sending: int = 0
    replayed_sms: int = 0
    extensions_lapsed: int = 0
    debts_reminded: int = 0
    debts_waived: int = 0
    holds_lapsed: int = 0
    booking_reminders: int = 0
    bookings_ended: int = 0
    waitlist_offers: int = 0
    payment_reminders: int = 0
    payment_failures_told: int = 0
    still_parked_asked: int = 0
    texts_blanked: int = 0
    customers_pseudonymised: int = 0

    def __str__(self) -> str:
        text = (
            f"expired {self.expired}, cancelled unpaid {self.cancelled_unpaid}, "
            f"messages sent {self.messages_sent}"
        )
        for f in fields(self)[3:]:
            value = getattr(self, f.name)
            if value:
                text += f", {f.name.replace('_', ' ')} {value}"
        return text

    @property
    def work_done(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


def _locked_batch(session: Session, query: Select[Order]) -> list[Order]:
    """Up to :data:`BATCH` orders of ``query``, locked for this transaction; rows another
    clock holds are skipped (PostgreSQL; SQLite has no row locks and needs none)."""
    return list(
        session.scalars(
            query.order_by(Order.ends_at, Order.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=Order)
            .options(selectinload(Order.customer), selectinload(Order.zone))
            .execution_options(populate_existing=True)
        )
    )


def _claim_status(
    session: Session, order: Order, old: OrderStatus, new: OrderStatus, now: datetime
) -> bool:
    result = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == old)
        .values(status=new, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    order.status = new
    order.updated_at = now
    return True


def _notify(
    session: Session,
    kanava: Kanava,
    order: Order,
    text: str,
    *,
    purpose: str,
    due_since: datetime,
    now: datetime,
) -> None:
    """Queue a notice about something that became due at ``due_since``, unless it is
    already too late to be useful; then the timeline says it was not sent."""
    if order.customer is None:
        return
    if now - due_since > NOTICE_WINDOW:
        late = int((now - due_since).total_seconds() // 60)
        timeline.record(
            session,
            at=now,
            channel=Channel.SYSTEM,
            kind=EventKind.SYSTEM,
            customer=order.customer,
            order=order,
            body=f"SMS not sent ({purpose}): {late} min late after downtime",
            data={"purpose": purpose, "late_minutes": late},
        )
        return
    notifications.queue_sms(
        session,
        kanava,
        order.customer,
        text,
        purpose=purpose,
        order=order,
        now=now,
        expires_at=due_since + NOTICE_WINDOW,
    )


# Reminders claimed and queued per transaction: large enough that a sweep of 100 k due
# reminders is a hundred round trips of each kind, small enough that a batch holds its row
# locks for well under a second and a crash loses (rolls back) little work.
REMINDER_BATCH = 1000


# The end a reminder speaks of (``notifications.reminded_end``).
_REMINDED_END = func.coalesce(Order.unpaid_from, Order.ends_at)


def _due_reminders(kanava: Kanava, now: datetime) -> Select[int]:
    """Ids of the live parkings due their reminder at ``now``: the end to remind of (the
    paid end while an extension waits for its payment) within the lead time, not passed,
    and no reminder sent for this end (``extend_parking`` clears ``reminder_sent_at``)."""
    lead = timedelta(minutes=kanava.settings.reminder_lead_minutes)
    reminded_end = _REMINDED_END
    return select(Order.id).where(
        Order.kind == OrderKind.PARKING,
        Order.status.in_(LIVE_STATUSES),
        Order.reminder_sent_at.is_(None),
        Order.customer_id.is_not(None),
        Order.ends_at.is_not(None),
        reminded_end > now,
        reminded_end <= now + lead,
    )


# What the sweep reads of each parking it claims (on PostgreSQL returned by the claiming
# UPDATE itself): plain columns, not ORM objects (a thousand orders with their customers
# and zones built as objects cost more CPU than rendering and queueing their reminders).
_CLAIMED_COLUMNS = (
    Order.id,
    Order.channel,
    Order.plate_display,
    Order.ends_at,
    Order.open_ended,
    # ``messages.language_of``: the driver's language now, else the order's.
    func.coalesce(
        select(Customer.language)
        .where(Customer.id == Order.customer_id)
        .correlate(Order)
        .scalar_subquery(),
        Order.language,
    ).label("lang"),
    select(Zone.code)
    .where(Zone.id == Order.zone_id)
    .correlate(Order)
    .scalar_subquery()
    .label("zone_code"),
    # A pending payment may be owed (``orders.owed``): the reminder then names it.
    select(Payment.id)
    .where(Payment.order_id == Order.id, Payment.status == PaymentStatus.PENDING)
    .correlate(Order)
    .exists()
    .label("pending"),
)


class _Claimed(NamedTuple):
    id: int
    channel: Channel
    plate_display: str
    ends_at: datetime
    open_ended: bool
    lang: str
    zone_code: str
    pending: bool


def _due_reminder_ids(session: Session, kanava: Kanava, now: datetime) -> list[int]:
    """The ids of every parking due its reminder at ``now``, first ends first: read once
    for a whole pass of the sweep (no locks), then claimed a batch at a time by id. A
    locked ``ORDER BY … LIMIT`` per batch would scan and sort every due row still
    waiting again for each batch: a sweep of 100 k would sort 5 million rows."""
    return list(session.scalars(_due_reminders(kanava, now).order_by(_REMINDED_END, Order.id)))


def _claim_reminders(
    session: Session, kanava: Kanava, now: datetime, ids: list[int]
) -> list[_Claimed]:
    """Mark those of ``ids`` still due and not locked by another clock reminded, in one
    statement, and return what their texts need.

    ``UPDATE … WHERE id IN (SELECT … WHERE id IN ids AND still due FOR UPDATE SKIP
    LOCKED) RETURNING …``: rows another clock is claiming are skipped, and a row it
    claimed and committed meanwhile no longer matches (PostgreSQL re-checks the condition
    on the locked row), so two clocks share the work and never claim one reminder twice.
    SQLite serialises the whole transaction (``BEGIN IMMEDIATE``) and needs no row locks.
    """
    due = (
        _due_reminders(kanava, now)
        .where(_among(session, Order.id, ids))
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(Order)
        .where(Order.id.in_(due.scalar_subquery()), Order.reminder_sent_at.is_(None))
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if _postgres(session):
        rows = session.execute(claim.returning(*_CLAIMED_COLUMNS))
    else:
        # SQLite's RETURNING names columns without their table, which would tie the
        # subqueries to their own tables: the claimed rows are read by a SELECT instead.
        claimed = list(session.scalars(claim.returning(Order.id)))
        rows = session.execute(select(*_CLAIMED_COLUMNS).where(Order.id.in_(claimed)))
    return [_Claimed._make(row) for row in rows]


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _among(
    session: Session, column: InstrumentedAttribute[int], ids: list[int]
) -> ColumnElement[bool]:
    """``column IN ids``: on PostgreSQL one array parameter (``= ANY(…)``), so a thousand
    ids are one bound value rather than a thousand placeholders for the driver to parse."""
    if _postgres(session):
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def _orders_with_payments(session: Session, ids: list[int]) -> list[Order]:
    """The orders ``ids`` as objects, with their customers, zones and payments: for the
    few reminders that go through ``queue_sms`` or name what is owed."""
    return list(
        session.scalars(
            select(Order)
            .where(Order.id.in_(ids))
            .order_by(Order.id)
            .options(
                joinedload(Order.customer), joinedload(Order.zone), selectinload(Order.payments)
            )
        )
    )


def _queue_reminders(
    session: Session,
    kanava: Kanava,
    texts: messages.ReminderTexts,
    batch: list[_Claimed],
    now: datetime,
) -> None:
    """Queue the reminders of a claimed ``batch`` as ``queue_sms`` would: a timeline event
    and an outbox row pointing at it for each, in one ``INSERT … SELECT`` per batch on
    PostgreSQL (two on SQLite), each text in its driver's language.

    Texts come from ``texts`` (rendered once per language, zone, kind and minute of the
    end). A parking that may owe money (a pending payment) has its own text naming it
    (``messages.reminder`` with ``orders.owed``); a parking made on the web form goes
    through ``queue_sms`` itself: its first text to a typed number may need the
    introduction that says where the number came from.
    """
    bulk: list[tuple[int, str]] = []
    particular: list[int] = []
    for row in batch:
        if row.channel is Channel.WEB or row.pending:
            particular.append(row.id)
        else:
            text = texts.text(
                row.lang, row.plate_display, row.zone_code, row.ends_at, row.open_ended
            )
            bulk.append((row.id, text))
    if particular:
        for order in _orders_with_payments(session, particular):
            bulk += _queue_particular(session, kanava, order, now)
    if not bulk:
        return
    if _postgres(session):
        _insert_reminders_from_json(session, bulk, now)
    else:
        _insert_reminders_many(session, bulk, now)


def _queue_particular(
    session: Session, kanava: Kanava, order: Order, now: datetime
) -> list[tuple[int, str]]:
    """Queue the reminder of a web-form parking through ``queue_sms``, or return the text
    of another that may owe money, for the batch to insert."""
    assert order.customer is not None
    text = messages.reminder(
        order, messages.language_of(order), kanava, now, owed=orders.owed(kanava, order)
    )
    if order.channel is not Channel.WEB:
        return [(order.id, text)]
    notifications.queue_sms(
        session,
        kanava,
        order.customer,
        text,
        purpose="reminder",
        order=order,
        now=now,
        expires_at=notifications.reminded_end(order),
    )
    return []


_EVENT_COLUMNS = ("created_at", "channel", "kind", "customer_id", "order_id", "body", "data")
_OUTBOX_COLUMNS = (
    "customer_id",
    "order_id",
    "to_number",
    "body",
    "purpose",
    "status",
    "attempts",
    "next_attempt_at",
    "expires_at",
    "last_error",
    "event_id",
    "created_at",
    "updated_at",
)


def _outbox_select(
    now: datetime, event_id: ColumnElement[int], body: ColumnElement[str]
) -> Select[Any]:
    """The outbox row ``queue_sms`` would add for a reminder, by joining its order and
    customer: an opted-out number gets a ``suppressed`` row that is never sent; the
    reminder is dropped after the end it warns about (``notifications.reminded_end``)."""
    outbox = OutboundMessage.__table__.c
    suppressed = Customer.opted_out_at.is_not(None)
    return select(
        Customer.id,
        Order.id,
        Customer.phone,
        body,
        literal("reminder"),
        case(
            (suppressed, literal(OutboundStatus.SUPPRESSED, outbox.status.type)),
            else_=literal(OutboundStatus.QUEUED, outbox.status.type),
        ),
        literal(0),
        case((suppressed, null()), else_=literal(now, outbox.next_attempt_at.type)),
        _REMINDED_END,
        case((suppressed, literal("opted out")), else_=null()),
        event_id,
        literal(now, outbox.created_at.type),
        literal(now, outbox.updated_at.type),
    )


def _insert_reminders_from_json(
    session: Session, bulk: list[tuple[int, str]], now: datetime
) -> None:
    """PostgreSQL: the timeline events and the outbox rows of a batch in one statement,
    ``WITH made AS (INSERT INTO events … RETURNING …) INSERT INTO outbound_messages …``.

    The order ids and texts travel as one JSON parameter read by ``json_to_recordset``:
    ``json.dumps`` is C code, where an array parameter is dumped element by element in
    Python. Each order's customer gives the event its ``queued``/``suppressed`` status and
    the outbox row its number."""
    payload = json.dumps([{"order_id": order_id, "body": text} for order_id, text in bulk])
    texts = (
        func.json_to_recordset(cast(bindparam(None, payload, type_=Text), JSON))
        .table_valued(column("order_id", Integer), column("body", Text))
        .render_derived(with_types=True)
    )
    events = Event.__table__.c
    status = case((Customer.opted_out_at.is_not(None), "suppressed"), else_="queued")
    made = (
        insert(Event)
        .from_select(
            _EVENT_COLUMNS,
            select(
                literal(now, events.created_at.type),
                literal(Channel.SMS, events.channel.type),
                literal(EventKind.MESSAGE_OUT, events.kind.type),
                Order.customer_id,
                texts.c.order_id,
                texts.c.body,
                func.json_build_object("purpose", "reminder", "status", status),
            )
            .select_from(texts)
            .join(Order, Order.id == texts.c.order_id)
            .join(Customer, Customer.id == Order.customer_id),
        )
        .returning(events.id, events.order_id, events.body)
        .cte("made")
    )
    session.execute(
        insert(OutboundMessage).from_select(
            _OUTBOX_COLUMNS,
            _outbox_select(now, made.c.id, made.c.body)
            .select_from(made)
            .join(Order, Order.id == made.c.order_id)
            .join(Customer, Customer.id == Order.customer_id),
        )
    )


def _insert_reminders_many(session: Session, bulk: list[tuple[int, str]], now: datetime) -> None:
    """SQLite: the events in one multi-row INSERT ``RETURNING`` their ids, then the outbox
    rows by ``INSERT … SELECT`` from the events just made (matched by order)."""
    ids = [order_id for order_id, _ in bulk]
    customer_of: dict[int, tuple[int | None, bool]] = {
        order_id: (customer_id, opted_out)
        for order_id, customer_id, opted_out in session.execute(
            select(Order.id, Order.customer_id, Customer.opted_out_at.is_not(None))
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.id.in_(ids))
        )
    }
    made = session.execute(
        insert(Event).returning(Event.id),
        [
            {
                "created_at": now,
                "channel": Channel.SMS,
                "kind": EventKind.MESSAGE_OUT,
                "customer_id": customer_of[order_id][0],
                "order_id": order_id,
                "body": text,
                "data": {
                    "purpose": "reminder",
                    "status": "suppressed" if customer_of[order_id][1] else "queued",
                },
            }
            for order_id, text in bulk
        ],
    )
    event_ids = list(made.scalars())
    session.execute(
        insert(OutboundMessage).from_select(
            _OUTBOX_COLUMNS,
            _outbox_select(now, Event.__table__.c.id, Event.__table__.c.body)
            .select_from(Event)
            .join(Order, Order.id == Event.order_id)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Event.id.in_(event_ids)),
        )
    )


def send_reminders(session: Session, kanava: Kanava, now: datetime) -> int:
    """Queue one reminder for each live parking whose end is within the lead time.

    Due when ``ends_at - REMINDER_LEAD_MINUTES <= now < ends_at`` and no reminder was sent
    for this end (``extend_parking`` clears ``reminder_sent_at``). With an extension that
    waits for its payment, the end is the paid end, and the reminder names the debt and its
    link. Open-ended parkings with a longest stay are reminded before it too. Never for a
    parking that has ended. Each text is in its driver's language.

    At most once: a batch is claimed (``reminder_sent_at`` set) and its SMS queued in the
    same transaction, so a reminder is in the outbox exactly when its parking is marked;
    a tick that dies mid-way loses only its open batch, which the next tick claims again.
    Set-based: a batch of :data:`REMINDER_BATCH` costs two statements on PostgreSQL, not a
    handful per reminder. Commits per batch; returns how many reminders were claimed.
    """
    texts = messages.ReminderTexts(kanava, now)
    claimed = 0
    while due := _due_reminder_ids(session, kanava, now):
        session.commit()  # the read took no locks; each batch is its own transaction
        claimed_in_pass = 0
        for first in range(0, len(due), REMINDER_BATCH):
            batch = _claim_reminders(session, kanava, now, due[first : first + REMINDER_BATCH])
            if batch:
                _queue_reminders(session, kanava, texts, batch, now)
            session.commit()
            claimed_in_pass += len(batch)
        claimed += claimed_in_pass
        # Another pass for parkings that became due meanwhile or that a clock which gave
        # up held locked; none claimed: what is left is held by a clock still at work.
        if not claimed_in_pass:
            break
    session.commit()
    return claimed


def lapse_unpaid_extensions(session: Session, kanava: Kanava, now: datetime) -> int:
    """Extensions still unpaid when their payment grace is over lapse: the parking goes
    back to its paid end (``orders.lapse_extension``) and the driver is told once. A
    checkout paid whose event is late is applied instead. Commits per batch; returns how
    many lapsed.

    Each order is handled in its own savepoint: when the provider cannot be asked, only
    that order is left as it was (later ticks try again) and the sweep goes on.
    """
    failed: set[int] = set()
    query = select(Order).where(
        Order.status == OrderStatus.ACTIVE,
        Order.unpaid_from.is_not(None),
        Order.payment_due_at <= now,
    )
    done = 0
    while batch := _locked_batch(
        session, query.where(Order.id.not_in(failed)) if failed else query
    ):
        for order in batch:
            due = order.payment_due_at
            try:
                with session.begin_nested():
                    lapsed = orders.lapse_extension(session, kanava, order, now=now)
                    if isinstance(lapsed, orders.ExtensionPaidLate):
                        provider_events.tell_paid(
                            session, kanava, lapsed.payment, lapsed.applied, now=now
                        )
                    if not isinstance(lapsed, orders.ExtensionLapsed):
                        failed.add(order.id)  # paid or changed meanwhile: not again
                        continue
                    if lapsed.returned is not None:
                        provider_events.tell_returned(session, kanava, lapsed.returned, now=now)
                    assert due is not None
                    _notify(
                        session,
                        kanava,
                        order,
                        messages.extension_lapsed(
                            order, lapsed.lapsed_end, messages.language_of(order), kanava, now
                        ),
                        purpose="extension_lapsed",
                        due_since=due,
                        now=now,
                    )
            except Exception:
                log.exception("the unpaid extension of order %s could not lapse", order.id)
                failed.add(order.id)
                continue
            done += 1
        session.commit()
    session.commit()
    return done


def _settle_carried(session: Session, kanava: Kanava, order: Order, now: datetime) -> None:
    """An expired parking that carried an amount below the provider's minimum (never
    asked) settles it: waived and recorded (``billing.settle``)."""
    if ledger.open_payment_of(order) is not None or ledger.outstanding_cents(order) <= 0:
        return
    try:
        with session.begin_nested():
            billing.settle(session, kanava, order, order.amount_cents, now=now)
    except Exception:
        log.exception("what order %s carried could not be settled at its expiry", order.id)


def expire_ended(session: Session, kanava: Kanava, now: datetime) -> int:
    """Paid fixed-duration parkings whose end has passed become ``expired``; the driver is
    told once. What an order carried below the provider's minimum is waived then. Commits
    per batch; returns how many expired."""
    query = select(Order).where(
        Order.status == OrderStatus.ACTIVE,
        Order.open_ended.is_(False),
        Order.ends_at <= now,
    )
    done = 0
    while batch := _locked_batch(session, query):
        for order in batch:
            if not _claim_status(session, order, OrderStatus.ACTIVE, OrderStatus.EXPIRED, now):
                continue
            assert order.ends_at is not None
            order.ended_at = order.ends_at
            timeline.record(
                session,
                at=now,
                channel=Channel.SYSTEM,
                kind=EventKind.ORDER,
                customer=order.customer,
                order=order,
                body=f"parking expired: {order.plate_display} in {order.zone.code}",
                data={
                    "action": "expired",
                    "plate": order.plate_display,
                    "zone": order.zone.code,
                    "ended_at": order.ended_at.isoformat(),
                },
            )
            _settle_carried(session, kanava, order, now)
            _notify(
                session,
                kanava,
                order,
                messages.parking_expired(order, messages.language_of(order), kanava, now),
                purpose="expired",
                due_since=order.ends_at,
                now=now,
            )
            done += 1
        session.commit()
    session.commit()
    return done


SETTLE_FAILED = "settle_failed"


def _failed_before(session: Session, order: Order) -> bool:
    return (
        session.scalar(
            select(Event.id)
            .where(Event.order_id == order.id, Event.intent == SETTLE_FAILED)
            .limit(1)
        )
        is not None
    )


def end_at_max_stay(session: Session, kanava: Kanava, now: datetime) -> int:
    """Open-ended parkings that reached the zone's longest stay are ended there and charged
    for the minutes up to it (``orders.stop_parking``); the driver is told once. Commits
    per batch; returns how many were ended.

    Each order is ended in its own savepoint: when collecting its money fails (the
    provider refuses to capture an expired hold, or cannot be reached), only that order is
    left as it was, the timeline says why (once), and the sweep goes on; later ticks try
    it again.
    """
    failed: set[int] = set()
    query = select(Order).where(
        Order.status == OrderStatus.ACTIVE,
        Order.open_ended.is_(True),
        Order.ends_at <= now,
    )
    done = 0
    while batch := _locked_batch(
        session, query.where(Order.id.not_in(failed)) if failed else query
    ):
        for order in batch:
            if order.status is not OrderStatus.ACTIVE:  # re-checked under the row lock
                continue
            try:
                with session.begin_nested():
                    stopped = orders.stop_parking(
                        session, kanava, order, now=now, channel=Channel.SYSTEM, reason="max_stay"
                    )
                    link = ledger.link_to_pay(kanava, stopped.payment)
                    assert order.ended_at is not None
                    _notify(
                        session,
                        kanava,
                        order,
                        messages.max_stay_ended(
                            order,
                            stopped.amount_cents,
                            link,
                            messages.language_of(order),
                            kanava,
                            now,
                        ),
                        purpose="max_stay_ended",
                        due_since=order.ended_at,
                        now=now,
                    )
            except Exception as exc:
                log.exception("order %s could not be ended at its longest stay", order.id)
                failed.add(order.id)
                session.refresh(order)
                if not _failed_before(session, order):
                    timeline.record(
                        session,
                        at=now,
                        channel=Channel.SYSTEM,
                        kind=EventKind.SYSTEM,
                        customer=order.customer,
                        order=order,
                        intent=SETTLE_FAILED,
                        body=(
                            f"parking not ended at its longest stay: {type(exc).__name__}: {exc}"[
                                :500
                            ]
                        ),
                        data={"error": type(exc).__name__},
                    )
                continue
            done += 1
        session.commit()
    session.commit()
    return done


def cancel_unpaid(session: Session, kanava: Kanava, now: datetime) -> int:
    """Parkings still awaiting payment after the grace time are cancelled through
    ``orders.cancel_order`` (pending payments cancelled, their checkouts closed); the
    driver is told once. Commits per batch."""
    failed: set[int] = set()
    query = select(Order).where(
        Order.status == OrderStatus.AWAITING_PAYMENT, Order.payment_due_at <= now
    )
    done = 0
    while batch := _locked_batch(
        session, query.where(Order.id.not_in(failed)) if failed else query
    ):
        for order in batch:
            due = order.payment_due_at
            if order.status is not OrderStatus.AWAITING_PAYMENT or due is None:
                continue
            try:
                with session.begin_nested():
                    orders.cancel_order(
                        session,
                        kanava,
                        order,
                        now=now,
                        channel=Channel.SYSTEM,
                        reason=orders.NOT_PAID_REASON,
                    )
                    _notify(
                        session,
                        kanava,
                        order,
                        messages.unpaid_cancelled(order, messages.language_of(order)),
                        purpose="unpaid_cancelled",
                        due_since=due,
                        now=now,
                    )
            except orders.OrderError:  # paid or ended meanwhile
                failed.add(order.id)
                continue
            except Exception:
                log.exception("unpaid order %s could not be cancelled", order.id)
                failed.add(order.id)
                continue
            done += 1
        session.commit()
    session.commit()
    return done


@dataclass
class DebtSweep:
    reminded: int = 0
    waived: int = 0


def _reminded_before(session: Session, order: Order) -> bool:
    # A fresh query under the order's row lock: a clock that reminded it committed first.
    return (
        session.scalar(
            select(Event.id)
            .where(Event.order_id == order.id, Event.intent == DEBT_REMINDER)
            .limit(1)
        )
        is not None
    )


def _remind_debt(
    session: Session, kanava: Kanava, order: Order, owed: orders.Owed, now: datetime
) -> bool:
    """Text the driver the debt of ``order`` once; the timeline records it either way (an
    opted-out number or an order without a phone gets nothing). True when queued."""
    customer = order.customer
    reason = None
    if customer is None:
        reason = "no_phone"
    elif customer.opted_out:
        reason = "opted_out"
    else:
        notifications.queue_sms(
            session,
            kanava,
            customer,
            messages.debt_reminder(order, owed, messages.language_of(order), kanava, now),
            purpose="debt_reminder",
            order=order,
            now=now,
        )
    ledger.record_payment_event(
        session,
        order=order,
        customer=customer,
        now=now,
        channel=Channel.SYSTEM,
        intent=DEBT_REMINDER,
        body=(
            f"unpaid {money_to_decimal_str(owed.cents)} {owed.currency}: "
            + ("reminder sent" if reason is None else f"no reminder ({reason})")
        ),
        action="debt_reminded",
        amount_cents=owed.cents,
        currency=owed.currency,
        details={
            "sent": reason is None,
            "reason": reason,
            "plate": order.plate_display,
            "zone": order.zone.code,
            "ended_at": order.ended_at.isoformat() if order.ended_at else None,
        },
    )
    return reason is None


def chase_debts(session: Session, kanava: Kanava, now: datetime, sweep: DebtSweep) -> int:
    """Ended parkings that still owe money, :data:`DEBT_REMINDER_AFTER` after their end:
    an amount below the provider's minimum is waived and recorded (left by a stop before
    such amounts were waived at once); a larger one is reminded once, with its link,
    never to an opted-out number. Commits per batch; returns how many were reminded
    (``sweep`` counts the waived too)."""
    skip: set[int] = set()
    query = select(Order).where(
        Order.kind == OrderKind.PARKING,
        Order.status.in_((OrderStatus.ENDED, OrderStatus.EXPIRED)),
        Order.ended_at <= now - DEBT_REMINDER_AFTER,
        Order.payments.any(Payment.status == PaymentStatus.PENDING),
        ~select(Event.id).where(Event.order_id == Order.id, Event.intent == DEBT_REMINDER).exists(),
    )
    while batch := _locked_batch(session, query.where(Order.id.not_in(skip)) if skip else query):
        for order in batch:
            skip.add(order.id)
            pending = ledger.open_payment_of(order)
            if pending is None or _reminded_before(session, order):
                continue
            if not ledger.asks_for(pending.amount_cents, pending.currency):
                billing.waive_pending(session, kanava, pending, now=now)
                sweep.waived += 1
                continue
            owed = orders.owed(kanava, order)
            if owed is not None and _remind_debt(session, kanava, order, owed, now):
                sweep.reminded += 1
        session.commit()
    session.commit()
    return sweep.reminded


def _run(session: Session, duty: str, work: Callable[[], int]) -> int:
    """Run one duty; a duty that fails is logged and rolled back, and the others still run
    (one bad row must not stop reminders and the outbox for every tick after it)."""
    try:
        return work()
    except Exception:
        log.exception("duty %s failed", duty)
        session.rollback()
        return 0


def _retain(
    session: Session, kanava: Kanava, now: datetime, into: privacy_usecase.RetentionReport
) -> int:
    """Personal data's lifetime (RETENTION_MESSAGE_DAYS, RETENTION_CUSTOMER_MONTHS)."""
    settings = kanava.settings
    done = privacy_usecase.apply_retention(
        session,
        now,
        message_days=settings.retention_message_days,
        customer_months=settings.retention_customer_months,
        into=into,
    )
    return done.total


def run_due(session: Session, kanava: Kanava, now: datetime) -> TickReport:
    """Run every duty that is due at ``now``; safe to repeat and to run concurrently.

    Order matters after downtime: ends are applied before reminders are looked for, so a
    parking that ended while the clock was down gets its end, not a reminder.
    """
    report = TickReport()
    spool = kanava.settings.spool_dir
    if spool is not None:
        report.replayed_sms = _run(
            session, "spool", lambda: inbox_spool.replay(session, kanava, spool, now)
        )
    report.resumed_sending = _run(
        session, "requeue", lambda: notifications.requeue_interrupted(session, now)
    )
    report.cancelled_unpaid = _run(
        session, "cancel_unpaid", lambda: cancel_unpaid(session, kanava, now)
    )
    report.extensions_lapsed = _run(
        session, "lapse", lambda: lapse_unpaid_extensions(session, kanava, now)
    )
    report.expired = _run(session, "expire", lambda: expire_ended(session, kanava, now))
    report.ended_at_max_stay = _run(
        session, "max_stay", lambda: end_at_max_stay(session, kanava, now)
    )
    report.reminders = _run(session, "reminders", lambda: send_reminders(session, kanava, now))
    report.waitlist_offers = _run(
        session, "waitlist", lambda: waitlist_duties.offer_freed_spaces(session, kanava, now)
    )
    report.holds_lapsed = _run(
        session, "holds", lambda: booking_duties.lapse_holds(session, kanava, now)
    )
    report.bookings_ended = _run(
        session, "bookings_ended", lambda: booking_duties.end_bookings(session, kanava, now)
    )
    report.booking_reminders = _run(
        session,
        "booking_reminders",
        lambda: booking_duties.remind_starts(session, kanava, now)
        + booking_duties.remind_ends(session, kanava, now),
    )
    debts = DebtSweep()
    report.debts_reminded = _run(session, "debts", lambda: chase_debts(session, kanava, now, debts))
    report.debts_waived = debts.waived
    proactive.run(session, kanava, now, report, _run)
    retention = privacy_usecase.RetentionReport()
    _run(session, "retention", lambda: _retain(session, kanava, now, retention))
    report.texts_blanked = retention.texts_blanked
    report.customers_pseudonymised = retention.customers_pseudonymised
    report.messages_sent = _run(
        session, "outbox", lambda: notifications.dispatch_due(session, kanava, now=now)
    )
    return report
