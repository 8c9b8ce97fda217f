"""The attendant and admin panel: sign-in, plate checks, zone board, timeline, staff actions.

Every function takes ``now`` from the caller (the app's clock). Functions that change
something commit once; staff actions go through :mod:`app.backend.orders` with channel
``admin`` and the staff member's name as ``actor``, tell the driver by SMS through the
outbox, and record a ``staff_action`` event, so the customer's timeline says who did what.
"""

from __future__ import annotations

import csv
import hmac
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.backend import ledger, orders, refunds, timeline, tokens, users, zones
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.domain.booking_policy import FieldProblem, booking_policy_problems
from app.domain.inputs import is_ascii_number
from app.domain.plates import normalize_plate
from app.domain.pricing import (
    TariffError,
    capped_end,
    format_days,
    is_paid_time,
    localized_paid_hours,
    money_to_decimal_str,
    next_paid_change,
    parse_money,
    price,
)
from app.kernel import Kanava
from app.models import (
    LIVE_STATUSES,
    ApiToken,
    Channel,
    Customer,
    Event,
    EventKind,
    LoginThrottle,
    Order,
    OrderKind,
    OrderStatus,
    OutboundMessage,
    Payment,
    PaymentStatus,
    PlateCheckLog,
    User,
    Vehicle,
    Zone,
)
from app.panel import zone_hours
from app.texts import messages
from app.usecases import outbox_dispatch as notifications
from app.usecases import plate_checks

# Sign-in limits: a user name is locked after 5 failures in 15 minutes, an address after
# 20 (several attendants may share one office NAT), each for 15 minutes.
NAME_MAX_FAILURES = 5
IP_MAX_FAILURES = 20
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_TIME = timedelta(minutes=15)
# Checked against when the name is unknown, so that both cases cost one scrypt.
_DUMMY_HASH = generate_password_hash("kanava-no-such-user")

RECENTLY_ENDED = timedelta(hours=2)


class PanelError(Exception):
    """A staff request the panel refuses; ``code`` says why, for the page to word."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# ---- sign-in ----------------------------------------------------------------------------


def _throttle_keys(name: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(f"name:{name.strip().lower()[:120]}", NAME_MAX_FAILURES)]
    if ip:
        keys.append((f"ip:{ip[:120]}", IP_MAX_FAILURES))
    return keys


def _locked_until(session: Session, keys: Sequence[str], now: datetime) -> datetime | None:
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    locks = [r.locked_until for r in rows if r.locked_until is not None and r.locked_until > now]
    return max(locks) if locks else None


def _count_failure(session: Session, key: str, limit: int, now: datetime) -> None:
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))
    if row is None:
        try:
            with session.begin_nested():
                session.add(LoginThrottle(key=key, failures=1, first_failure_at=now))
            return
        except IntegrityError:  # another worker inserted it first
            row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))
            assert row is not None
    if row.first_failure_at is None or row.first_failure_at <= now - FAILURE_WINDOW:
        row.failures = 0
        row.first_failure_at = now
    # Increment in SQL so that concurrent failures in two workers both count.
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.id == row.id)
        .values(failures=LoginThrottle.failures + 1, first_failure_at=row.first_failure_at)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if row.failures >= limit:
        row.locked_until = now + LOCK_TIME


def sign_in(session: Session, name: str, password: str, ip: str | None, now: datetime) -> User:
    """The active user ``name`` whose password is ``password``. Commits the attempt.

    Raises :class:`PanelError` ``locked`` (with ``until``) while the name or the address
    is locked, and ``bad_credentials`` for a wrong name or password or an inactive user,
    without saying which. A success clears the name's failures.
    """
    keys = _throttle_keys(name, ip)
    until = _locked_until(session, [k for k, _ in keys], now)
    if until is not None:
        session.rollback()
        raise PanelError("locked", until=until)
    user = session.scalar(select(User).where(User.name == name.strip()))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        for key, limit in keys:
            _count_failure(session, key, limit, now)
        session.commit()
        raise PanelError("bad_credentials")
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == keys[0][0])
        .values(failures=0, first_failure_at=None, locked_until=None)
    )
    session.commit()
    return user


def session_id_of(user: User) -> str:
    """What the session cookie keeps: the id and a fragment of the password hash, so that
    a changed password or a deactivation signs the user out everywhere."""
    return f"{user.id}:{user.password_hash[-10:]}"


def user_for_session(session: Session, session_id: str) -> User | None:
    user_id, _, fragment = session_id.partition(":")
    if not is_ascii_number(user_id, 9):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.password_hash[-10:], fragment):
        return None
    return user


# ---- an order's money, as staff see it ---------------------------------------------------


@dataclass(frozen=True)
class MoneyState:
    """What an order's money looks like now, for the page to word.

    ``state``: ``owes`` (``amount_cents`` still to pay: awaiting payment, or a stop),
    ``extension_owed`` (paid up to ``paid_until``; the extension up to ``ends_at`` waits
    for ``amount_cents``), ``hold_asked`` (a parking until stopped whose link holds up to
    ``amount_cents`` on the card: nothing owed yet), ``held`` (a card held for up to
    ``amount_cents``), ``paid`` (``amount_cents`` paid, refunds deducted,
    ``refunded_cents`` given back), ``free`` (nothing to pay) or ``not_paid`` (nothing
    paid and nothing asked any more: cancelled).
    ``free_until``: the parking is live in free time now, and paid time starts then,
    before the parking ends.
    """

    state: str
    amount_cents: int
    currency: str
    refunded_cents: int = 0
    free_until: datetime | None = None
    paid_until: datetime | None = None
    ends_at: datetime | None = None


def money_state(order: Order, kanava: Kanava, now: datetime) -> MoneyState:
    """The order's money at ``now``: what is owed as :func:`orders.owed` says it, else
    what the payments' states say (never from text)."""
    currency = order.currency
    refunded = sum(p.refunded_cents for p in order.payments if p.status is PaymentStatus.SUCCEEDED)
    free_until = _free_until(order, kanava, now)
    owed = orders.owed(kanava, order)
    held = ledger.held_payment_of(order)
    paid = ledger.paid_total(order)
    if owed is not None and owed.kind == "extension":
        return MoneyState(
            "extension_owed",
            owed.cents,
            owed.currency,
            refunded,
            free_until,
            paid_until=owed.paid_until,
            ends_at=order.ends_at,
        )
    if owed is not None and owed.kind == "hold":
        return MoneyState("hold_asked", owed.cents, owed.currency, refunded, free_until)
    if owed is not None:
        return MoneyState("owes", owed.cents, owed.currency, refunded, free_until)
    if held is not None:
        return MoneyState("held", held.amount_cents, currency, refunded, free_until)
    if paid > 0 or refunded > 0:
        return MoneyState("paid", paid, currency, refunded, free_until)
    if order.amount_cents == 0 and order.status is not OrderStatus.CANCELLED:
        return MoneyState("free", 0, currency, 0, free_until)
    return MoneyState("not_paid", 0, currency, 0, free_until)


def _free_until(order: Order, kanava: Kanava, now: datetime) -> datetime | None:
    """When a live parking standing in free time now reaches paid time (None: it does
    not, before it ends, or it is not in free time)."""
    grace = timedelta(minutes=kanava.settings.payment_grace_minutes)
    if order.kind is not OrderKind.PARKING or not orders.is_valid(order, now, grace):
        return None
    tariff = zones.tariff_of(order.zone)
    tz = kanava.settings.tz
    if is_paid_time(tariff, now, tz):
        return None
    paid_from = next_paid_change(tariff, now, tz)
    end = order.ends_at
    if paid_from is None or (end is not None and paid_from >= end):
        return None
    return paid_from


# ---- plate check ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckAnswer:
    """A plate check as the panel shows it: the handheld API's answer, and the money of
    the order it found."""

    result: orders.PlateCheck
    money: MoneyState | None


def check_plate(
    session: Session,
    kanava: Kanava,
    user: User,
    plate: str,
    zone_code: str | None,
    now: datetime,
) -> CheckAnswer:
    """The handheld API's answer for ``plate`` (:func:`orders.check_plate`), logged with
    who asked. Raises ``PanelError("bad_plate")`` for an empty or overlong plate. Commits."""
    try:
        result = plate_checks.check_and_log(session, kanava, plate, zone_code, now, user=user)
    except plate_checks.BadPlate as exc:
        raise PanelError("bad_plate") from exc
    except plate_checks.BadZone as exc:
        raise PanelError("unknown_zone") from exc
    order = session.get(Order, result.order_id) if result.order_id else None
    return CheckAnswer(result, money_state(order, kanava, now) if order else None)


def active_zones(session: Session) -> list[Zone]:
    return list(session.scalars(select(Zone).where(Zone.active.is_(True)).order_by(Zone.code)))


def all_zones(session: Session) -> list[Zone]:
    return list(session.scalars(select(Zone).order_by(Zone.code)))


def check_token_name(check: PlateCheckLog) -> str:
    """The name of the handheld that made ``check`` ("" when its token is gone); the page
    words it ("handheld NAME") in the viewer's language."""
    return check.api_token.name if check.api_token else ""


# ---- zone board -------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    order: Order
    status: str
    valid: bool
    valid_until: datetime | None
    minutes_left: int | None  # None: until stopped (or not valid any more)
    money: MoneyState


@dataclass(frozen=True)
class ZoneBoard:
    zone: Zone
    live: list[BoardRow]
    recent: list[BoardRow]


def zone_board(session: Session, kanava: Kanava, zone_code: str, now: datetime) -> ZoneBoard:
    """The zone's parkings that are live now and those that ended in the last two hours.

    Raises ``PanelError("unknown_zone")``.
    """
    zone = session.scalar(select(Zone).where(Zone.code == zone_code.strip().upper()))
    if zone is None:
        raise PanelError("unknown_zone", zone=zone_code)
    grace = timedelta(minutes=kanava.settings.payment_grace_minutes)
    since = now - RECENTLY_ENDED
    candidates = session.scalars(
        select(Order)
        .where(
            Order.zone_id == zone.id,
            Order.kind == OrderKind.PARKING,
            or_(
                Order.status.in_(LIVE_STATUSES),
                Order.ended_at >= since,
                Order.ends_at >= since,
                Order.updated_at >= since,
            ),
        )
        .order_by(Order.starts_at.desc(), Order.id.desc())
        .limit(500)
    )
    live: list[BoardRow] = []
    recent: list[BoardRow] = []
    for order in candidates:
        valid = orders.is_valid(order, now, grace)
        until = orders.valid_until(order, grace)
        left = int((until - now).total_seconds() // 60) if valid and until else None
        status = orders.effective_status(order, now).value
        row = BoardRow(order, status, valid, until, left, money_state(order, kanava, now))
        (live if valid else recent).append(row)
    far = now + timedelta(days=3650)
    live.sort(key=lambda r: (r.valid_until or far, r.order.id))
    return ZoneBoard(zone=zone, live=live, recent=recent)


# ---- customer timeline ------------------------------------------------------------------

TIMELINE_PAGE_SIZE = 50
EARLIER_ORDERS_SHOWN = 10
# The timeline's kind filter: what the viewer picks, and the events it keeps.
KIND_FILTERS: dict[str, tuple[EventKind, ...]] = {
    "sms": (EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT),
    "call": (EventKind.CALL_STEP,),
    "web": (EventKind.WEB_ACTION,),
    "order": (EventKind.ORDER,),
    "payment": (EventKind.PAYMENT,),
    "staff": (EventKind.STAFF_ACTION,),
    "check": (EventKind.API_CHECK,),  # and the plate checks of the plate
    "system": (EventKind.SYSTEM,),
}
PLATE_CHECK = "plate_check"


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened, as structured as it was recorded, for the page to word.

    ``data`` is the event's own data (``action``, ``amount_cents``, ``currency``, ISO UTC
    times, ``plate``, ``zone`` ...); ``body`` is the English fallback for rows recorded
    before the data said enough. ``plate`` and ``zone`` are the order's, for events that
    do not name them.
    """

    at: datetime
    channel: str
    kind: str
    intent: str | None
    body: str
    data: Mapping[str, Any]
    understood: bool | None
    actor: str | None
    order_id: int | None
    delivery: str | None  # outbound SMS: queued, delivered, failed, ...
    phone: str | None
    plate: str | None = None
    zone: str | None = None
    currency: str | None = None
    # The staff inbox case the message was handed to (a driver's SMS threaded into a case).
    case_id: int | None = None

    @property
    def to_person(self) -> bool:
        """An inbound message handed to a person: shown so, not as "not understood" (its
        demand is counted from ``events.demand`` all the same)."""
        return self.case_id is not None and self.kind == EventKind.MESSAGE_IN.value

    @property
    def flagged_not_understood(self) -> bool:
        return self.understood is False and not self.to_person


@dataclass(frozen=True)
class RefundChoice:
    """A payment an admin may refund: what was paid and what is left to give back."""

    payment: Payment
    left_cents: int


@dataclass(frozen=True)
class OrderCard:
    """An order on the timeline page with its money and what staff may do with it."""

    order: Order
    live: bool
    status: str
    money: MoneyState
    refundable: list[RefundChoice]


@dataclass
class CustomerStory:
    query: str
    customers: list[Customer]
    plate_key: str | None
    orders: list[Order]  # every order found, newest first (the order filter's choices)
    cards: list[OrderCard]  # live orders first, then the latest ended ones
    entries: list[TimelineEntry]  # one page, newest first
    order_filter: int | None = None
    kind_filter: str | None = None
    page: int = 1
    has_older: bool = False


def _find_customers_and_orders(
    session: Session, query: str
) -> tuple[list[Customer], str | None, list[Order]]:
    """The customers and orders that a phone number or a plate in ``query`` finds."""
    try:
        phone = normalize_phone(query)
    except InvalidPhoneNumber:
        phone = None
    if phone:
        customer = session.scalar(select(Customer).where(Customer.phone == phone))
        if customer is None:
            return [], None, []
        found = session.scalars(
            select(Order).where(Order.customer_id == customer.id).order_by(Order.id.desc())
        )
        return [customer], None, list(found)
    plate_key = normalize_plate(query)
    if not plate_key:
        return [], None, []
    order_list = list(
        session.scalars(select(Order).where(Order.plate_key == plate_key).order_by(Order.id.desc()))
    )
    ids = {o.customer_id for o in order_list if o.customer_id}
    ids |= set(session.scalars(select(Vehicle.customer_id).where(Vehicle.plate_key == plate_key)))
    customers_found = (
        list(session.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)))
        if ids
        else []
    )
    return customers_found, plate_key, order_list


def order_cards(order_list: Sequence[Order], kanava: Kanava, now: datetime) -> list[OrderCard]:
    """Live orders (and bookings still to come) first, each with its money and refundable
    payments; then the latest ended ones. So on a narrow screen the buttons that end a
    running parking come before any refund of an old one."""
    cards: list[OrderCard] = []
    for order in order_list:
        running = order.status in LIVE_STATUSES and (order.ends_at is None or order.ends_at > now)
        live = running or order.status is OrderStatus.BOOKED
        refundable = [
            RefundChoice(p, p.captured_cents - p.refunded_cents)
            for p in order.payments
            if p.status is PaymentStatus.SUCCEEDED and p.captured_cents > p.refunded_cents
        ]
        status = orders.effective_status(order, now).value
        cards.append(OrderCard(order, live, status, money_state(order, kanava, now), refundable))
    live_cards = [c for c in cards if c.live]
    ended = [c for c in cards if not c.live][:EARLIER_ORDERS_SHOWN]
    return live_cards + ended


def customer_story(
    session: Session,
    kanava: Kanava,
    query: str,
    now: datetime,
    *,
    order_id: int | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int = TIMELINE_PAGE_SIZE,
) -> CustomerStory:
    """Everything known about the phone number or plate in ``query``, newest first, one
    page of ``page_size`` at a time, optionally only one order's events (``order_id``)
    or one kind of them (``kind``, a key of :data:`KIND_FILTERS`).

    A phone number finds its customer; a plate finds every customer who parked it and
    every order of it (also those without a phone, from the web form). Entries are the
    timeline events of those customers and orders, the outbound SMS with their delivery
    state, and the panel's and handhelds' plate checks of the plate.
    """
    query = query.strip()
    page = max(page, 1)
    kind = kind if kind in KIND_FILTERS else None
    customers_found, plate_key, order_list = _find_customers_and_orders(session, query)
    if order_id is not None and order_id not in {o.id for o in order_list}:
        order_id = None
    story = CustomerStory(
        query,
        customers_found,
        plate_key,
        order_list,
        order_cards(order_list, kanava, now),
        [],
        order_filter=order_id,
        kind_filter=kind,
        page=page,
    )
    wanted = (page - 1) * page_size + page_size + 1  # one more: is there an older page?
    by_order = {o.id: o for o in order_list}
    entries = _event_entries(session, story, by_order, wanted)
    if plate_key and kind in (None, "check"):
        entries += _plate_check_entries(session, plate_key, order_id, wanted)
        entries.sort(key=lambda x: x.at, reverse=True)
    start = (page - 1) * page_size
    story.entries = entries[start : start + page_size]
    story.has_older = len(entries) > start + page_size
    return story


def _event_entries(
    session: Session, story: CustomerStory, by_order: Mapping[int, Order], limit: int
) -> list[TimelineEntry]:
    conditions = []
    if story.customers:
        conditions.append(Event.customer_id.in_([c.id for c in story.customers]))
    if by_order:
        conditions.append(Event.order_id.in_(list(by_order)))
    if not conditions:
        return []
    query = select(Event).where(or_(*conditions))
    if story.order_filter is not None:
        query = query.where(Event.order_id == story.order_filter)
    if story.kind_filter is not None:
        query = query.where(Event.kind.in_(KIND_FILTERS[story.kind_filter]))
    events = list(
        session.scalars(query.order_by(Event.created_at.desc(), Event.id.desc()).limit(limit))
    )
    out_ids = [e.id for e in events if e.kind is EventKind.MESSAGE_OUT]
    delivery: dict[int, str] = {}
    if out_ids:
        rows = session.execute(
            select(OutboundMessage.event_id, OutboundMessage.status).where(
                OutboundMessage.event_id.in_(out_ids)
            )
        )
        delivery = {event_id: status.value for event_id, status in rows if event_id}
    phones = {c.id: c.phone for c in story.customers}
    entries = []
    for e in events:
        data = e.data or {}
        order = by_order.get(e.order_id) if e.order_id else None
        entries.append(
            TimelineEntry(
                at=e.created_at,
                channel=e.channel.value,
                kind=e.kind.value,
                intent=e.intent,
                body=e.body,
                data=data,
                understood=e.understood,
                actor=e.actor,
                order_id=e.order_id,
                delivery=delivery.get(e.id) or _mirrored_status(e),
                phone=phones.get(e.customer_id) if e.customer_id else None,
                plate=order.plate_display if order else None,
                zone=order.zone.code if order else None,
                currency=order.currency if order else None,
                case_id=e.case_id,
            )
        )
    return entries


def _mirrored_status(event: Event) -> str | None:
    """An outbound SMS's delivery state as mirrored on its event (replies in TwiML have none)."""
    status = (event.data or {}).get("status")
    return str(status) if event.kind is EventKind.MESSAGE_OUT and status else None


def _plate_check_entries(
    session: Session, plate_key: str, order_id: int | None, limit: int
) -> list[TimelineEntry]:
    query = select(PlateCheckLog).where(PlateCheckLog.plate_key == plate_key)
    if order_id is not None:
        query = query.where(PlateCheckLog.order_id == order_id)
    checks = session.scalars(
        query.order_by(PlateCheckLog.checked_at.desc(), PlateCheckLog.id.desc()).limit(limit)
    )
    return [
        TimelineEntry(
            at=check.checked_at,
            channel=(Channel.ADMIN if check.user else Channel.API).value,
            kind=PLATE_CHECK,
            intent=None,
            body=f"{check.plate_display} {check.zone_code or ''} "
            f"{'valid' if check.valid else 'not valid'} ({check.status or '-'})",
            data={
                "plate": check.plate_display,
                "zone": check.zone_code,
                "valid": check.valid,
                "status": check.status,
            },
            understood=None,
            actor=check.user.name if check.user else check_token_name(check),
            order_id=check.order_id,
            delivery=None,
            phone=None,
        )
        for check in checks
    ]


# ---- staff actions ----------------------------------------------------------------------
#
# Every action that moves money or ends a parking is shown first as a quote (what it will
# do, in amounts) and done only when the admin confirms it. The confirmation carries what
# the admin saw (an extension's end, a payment's refunded amount); the action re-reads it
# under the row lock and refuses when it changed, so a double-submitted confirmation acts
# once and never on a state the admin did not see.


def _order_or_error(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise PanelError("unknown_order", order_id=order_id)
    return order


def _staff_event(
    session: Session,
    user: User,
    action: str,
    now: datetime,
    *,
    body: str | None = None,
    note: str = "",
    order: Order | None = None,
    customer: Customer | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record a staff action in the timeline: who did what, and why."""
    facts: dict[str, Any] = {"action": action}
    if order is not None:
        facts |= {"plate": order.plate_display, "zone": order.zone.code}
    if note:
        facts["note"] = note
    timeline.record(
        session,
        at=now,
        channel=Channel.ADMIN,
        kind=EventKind.STAFF_ACTION,
        customer=customer,
        order=order,
        intent=action,
        actor=user.name,
        body=body or f"{action} by {user.name}" + (f": {note}" if note else ""),
        data=facts | (data or {}),
    )


def _tell_driver(
    session: Session, kanava: Kanava, order: Order, text: str, purpose: str, now: datetime
) -> None:
    if order.customer is not None:
        notifications.queue_sms(
            session, kanava, order.customer, text, purpose=purpose, order=order, now=now
        )


def _finish(session: Session, kanava: Kanava, now: datetime) -> None:
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)


def _live_order(session: Session, order_id: int) -> Order:
    order = _order_or_error(session, order_id)
    if order.status not in (*LIVE_STATUSES, OrderStatus.BOOKED):
        raise PanelError("not_live", order_id=order_id)
    return order


@dataclass(frozen=True)
class StopQuote:
    """What stopping a parking now does: it cost ``cost_cents`` up to ``at``; of that
    ``charge_cents`` is still collected (from the card held, the saved card, or by link),
    ``refund_cents`` of what was paid goes back to the card, and ``waived_cents`` is not
    charged, being under the provider's minimum ``minimum_cents``."""

    order: Order
    at: datetime
    cost_cents: int
    paid_cents: int
    charge_cents: int
    refund_cents: int
    from_hold: bool
    waived_cents: int = 0
    minimum_cents: int = 0


def stop_quote(session: Session, kanava: Kanava, order_id: int, now: datetime) -> StopQuote:
    """The amounts :func:`stop_order` would charge, refund and waive at ``now``, decided as
    :func:`orders.stop_parking` settles them (:func:`orders.stop_preview`). Raises
    ``PanelError`` ``unknown_order``, ``not_live``."""
    order = _live_order(session, order_id)
    if order.status is OrderStatus.BOOKED:
        raise PanelError("not_live", order_id=order_id)
    settled = orders.stop_preview(order, kanava, now)
    return StopQuote(
        order,
        now,
        settled.cost_cents,
        settled.paid_cents,
        settled.charge_cents,
        settled.refund_cents,
        settled.from_hold,
        settled.waived_cents,
        settled.minimum_cents,
    )


def stop_order(
    session: Session, kanava: Kanava, user: User, order_id: int, note: str, now: datetime
) -> orders.ParkingStopped:
    """Stop a live parking for the driver, as ``LOPETA`` would; the driver gets the SMS.

    A second confirmation of the same stop finds the order ended (its row is locked
    first) and does nothing. Raises ``PanelError`` ``unknown_order`` or ``not_live``.
    Commits, then sends the outbox.
    """
    order = _order_or_error(session, order_id)
    try:
        stopped = orders.stop_parking(
            session,
            kanava,
            order,
            now=now,
            channel=Channel.ADMIN,
            actor=user.name,
            reason="stopped by staff",
        )
    except orders.OrderError as exc:
        session.rollback()
        raise PanelError(exc.code) from exc
    _staff_event(
        session,
        user,
        "stop",
        now,
        note=note,
        order=order,
        customer=order.customer,
        data={
            "amount_cents": stopped.amount_cents,
            "refunded_cents": stopped.refunded_cents,
            "currency": order.currency,
        },
    )
    link = ledger.link_to_pay(kanava, stopped.payment)
    text = messages.parking_stopped(
        order,
        stopped.amount_cents,
        link,
        messages.language_of(order),
        kanava,
        now,
        refunded_cents=stopped.refunded_cents,
        held_cents=stopped.held_cents,
        released_cents=stopped.released_cents,
    )
    _tell_driver(session, kanava, order, text, "staff_stop", now)
    _finish(session, kanava, now)
    return stopped


@dataclass(frozen=True)
class ExtendQuote:
    """What extending a parking by ``minutes`` does: it ends at ``new_end`` (``capped`` at
    the zone's longest stay) and costs ``added_cents`` more."""

    order: Order
    minutes: int
    old_end: datetime
    new_end: datetime
    added_cents: int
    capped: bool
    by_card: bool = False  # the driver's saved card is charged; else a pay link is sent


def extend_quote(
    session: Session, kanava: Kanava, order_id: int, minutes: int, now: datetime
) -> ExtendQuote:
    """The end and price :func:`extend_order` would give (as :func:`orders.extend_parking`
    prices it). Raises ``PanelError`` ``unknown_order``, ``not_live``, ``open_ended``,
    ``bad_duration``, ``at_max_stay``."""
    order = _live_order(session, order_id)
    if order.open_ended:
        raise PanelError("open_ended")
    if order.status is OrderStatus.BOOKED or order.ends_at is None or order.ends_at <= now:
        raise PanelError("not_live", order_id=order_id)
    if not 0 < minutes <= orders.MAX_DURATION_MINUTES:
        raise PanelError("bad_duration", minutes=minutes)
    tariff = zones.tariff_of(order.zone)
    wanted = order.ends_at + timedelta(minutes=minutes)
    new_end = capped_end(tariff, order.starts_at, wanted)
    assert new_end is not None
    if new_end <= order.ends_at:
        raise PanelError("at_max_stay", until=order.ends_at)
    added = price(tariff, order.starts_at, new_end, kanava.settings.tz) - order.amount_cents
    by_card = ledger.open_payment_of(order) is None and ledger.saved_card_pays(order, kanava)
    return ExtendQuote(order, minutes, order.ends_at, new_end, added, new_end < wanted, by_card)


def extend_order(
    session: Session,
    kanava: Kanava,
    user: User,
    order_id: int,
    minutes: int,
    note: str,
    now: datetime,
    *,
    seen_end: datetime,
) -> orders.ParkingExtended:
    """Give a fixed-duration parking ``minutes`` more, priced as ``JATKA`` would be; the
    driver gets the SMS. ``seen_end`` is the end the admin confirmed the extension from:
    when the order's end (read under its row lock) is no longer that, nothing is done
    (``changed_meanwhile``), so a double-submitted confirmation extends once. Raises
    ``PanelError`` with the order backend's codes. Commits."""
    order = orders.lock_order(session, _order_or_error(session, order_id))
    if order.ends_at != seen_end:
        session.rollback()
        raise PanelError("changed_meanwhile", order_id=order_id)
    try:
        extended = orders.extend_parking(
            session, kanava, order, minutes, now=now, channel=Channel.ADMIN, actor=user.name
        )
    except orders.OrderError as exc:
        session.rollback()
        raise PanelError(exc.code, **exc.details) from exc
    _staff_event(
        session,
        user,
        "extend",
        now,
        note=note,
        order=order,
        customer=order.customer,
        data={
            "minutes": minutes,
            "amount_cents": extended.added_cents,
            "currency": order.currency,
            "to": order.ends_at.isoformat() if order.ends_at else None,
        },
    )
    text = messages.parking_extended(
        order,
        extended.added_cents,
        extended.capped,
        ledger.link_to_pay(kanava, extended.payment),
        messages.language_of(order),
        kanava,
        now,
        extended_from=seen_end,
    )
    _tell_driver(session, kanava, order, text, "staff_extend", now)
    _finish(session, kanava, now)
    return extended


@dataclass(frozen=True)
class CancelQuote:
    """What cancelling an order does with its money: ``pending_cents`` is no longer asked,
    a card hold of ``held_cents`` is released, ``paid_cents`` stays paid."""

    order: Order
    pending_cents: int
    held_cents: int
    paid_cents: int


def cancel_quote(session: Session, order_id: int) -> CancelQuote:
    """Raises ``PanelError`` ``unknown_order``, ``not_live``."""
    order = _live_order(session, order_id)
    held = ledger.held_payment_of(order)
    return CancelQuote(
        order,
        orders.debt_cents(order),
        held.amount_cents if held else 0,
        ledger.paid_total(order),
    )


def cancel_order(
    session: Session, kanava: Kanava, user: User, order_id: int, note: str, now: datetime
) -> Order:
    """Cancel a live parking or a booking through :func:`orders.cancel_order`: nothing
    more is asked of the driver, open checkouts are closed and a held card is released;
    money already paid stays paid (refund it separately). The driver gets an SMS.
    A second confirmation finds the order cancelled (its row is locked first).
    Raises ``PanelError`` ``unknown_order`` or ``not_live``. Commits.
    """
    order = _order_or_error(session, order_id)
    try:
        orders.cancel_order(
            session,
            kanava,
            order,
            now=now,
            channel=Channel.ADMIN,
            actor=user.name,
            reason="cancelled by staff",
        )
    except orders.OrderError as exc:
        session.rollback()
        raise PanelError("not_live") from exc
    _staff_event(session, user, "cancel", now, note=note, order=order, customer=order.customer)
    _tell_driver(
        session, kanava, order, messages.order_cancelled_by_staff(order), "staff_cancel", now
    )
    _finish(session, kanava, now)
    return order


def refund_available() -> bool:
    """True when the payments service offers refunds (``refunds.refund``)."""
    return callable(getattr(refunds, "refund", None))


@dataclass(frozen=True)
class RefundQuote:
    """Refunding ``amount_cents`` of a payment that has ``left_cents`` still refundable
    (``captured_cents`` taken, ``refunded_cents`` given back before)."""

    payment: Payment
    amount_cents: int
    left_cents: int
    captured_cents: int
    refunded_cents: int


def payment_for_refund(session: Session, payment_id: int) -> Payment | None:
    return session.get(Payment, payment_id)


def refund_quote(
    session: Session, payment_id: int, amount_cents: int | None, *, everything: bool
) -> RefundQuote:
    """The refund an admin asked for, checked before it is confirmed: an amount is
    required, or ``everything`` (all that is left). Raises ``PanelError``
    ``unknown_payment``, ``refund_not_paid``, ``refund_nothing_left``,
    ``refund_amount_missing``, ``refund_too_much`` (``most_cents``, ``currency``)."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise PanelError("unknown_payment")
    if payment.status is not PaymentStatus.SUCCEEDED:
        raise PanelError("refund_not_paid")
    left = payment.captured_cents - payment.refunded_cents
    if left <= 0:
        raise PanelError("refund_nothing_left")
    if everything:
        amount_cents = left
    if amount_cents is None:
        raise PanelError("refund_amount_missing", most_cents=left, currency=payment.currency)
    if not 0 < amount_cents <= left:
        raise PanelError("refund_too_much", most_cents=left, currency=payment.currency)
    return RefundQuote(payment, amount_cents, left, payment.captured_cents, payment.refunded_cents)


def refund_payment(
    session: Session,
    kanava: Kanava,
    user: User,
    payment_id: int,
    amount_cents: int,
    note: str,
    now: datetime,
    *,
    seen_refunded_cents: int,
) -> int:
    """Refund ``amount_cents`` of a payment through :func:`refunds.refund`; the driver is
    told by SMS and the timeline says who did it. Returns the cents refunded.

    ``seen_refunded_cents`` is what had been refunded of the payment when the admin
    confirmed; when the payment (read under its row lock) says otherwise, nothing is
    refunded (``changed_meanwhile``): a double-submitted confirmation refunds once.
    Raises ``PanelError`` ``unknown_payment``, ``changed_meanwhile``; ``refund_too_much``
    (details ``most_cents``, ``currency``: what is left to refund),
    ``refund_nothing_left``, ``refund_not_paid``; or ``refund_failed`` (the gateway's
    error). Commits.
    """
    if session.get(Payment, payment_id) is None:
        raise PanelError("unknown_payment")
    # Locked until commit: a second confirmation waits here, then sees the first's refund.
    payment = ledger.lock_payment(session, payment_id)
    assert payment is not None
    if payment.refunded_cents != seen_refunded_cents:
        session.rollback()
        raise PanelError("changed_meanwhile")
    try:
        refunds.refund(
            session, kanava, payment, amount_cents, now=now, reason=note or "staff", actor=user.name
        )
    except refunds.RefundNotPossible as exc:
        session.rollback()
        if exc.code == "bad_amount":
            most = session.get(Payment, payment_id)
            assert most is not None
            raise PanelError(
                "refund_too_much",
                most_cents=max(most.captured_cents - most.refunded_cents, 0),
                currency=most.currency,
            ) from exc
        raise PanelError(
            "refund_nothing_left" if exc.code == "nothing_left" else "refund_not_paid"
        ) from exc
    except Exception as exc:  # the gateway's own errors: nothing was recorded
        session.rollback()
        raise PanelError("refund_failed", reason=type(exc).__name__) from exc
    order = payment.order
    refunded = payment.refunded_cents - seen_refunded_cents
    _staff_event(
        session,
        user,
        "refund",
        now,
        note=note,
        order=order,
        customer=order.customer,
        data={"amount_cents": refunded, "currency": payment.currency, "payment_id": payment.id},
    )
    _tell_driver(
        session,
        kanava,
        order,
        messages.refund_made(order, refunded, payment.currency),
        "staff_refund",
        now,
    )
    _finish(session, kanava, now)
    return refunded


def add_note(
    session: Session,
    user: User,
    customer_id: int | None,
    order_id: int | None,
    text: str,
    now: datetime,
) -> None:
    """Put a staff note on a customer's (or an order's) timeline. Commits.

    Raises ``PanelError`` ``empty_note`` or ``unknown_customer``.
    """
    text = text.strip()
    if not text:
        raise PanelError("empty_note")
    customer = session.get(Customer, customer_id) if customer_id else None
    order = session.get(Order, order_id) if order_id else None
    if customer is None and order is None:
        raise PanelError("unknown_customer")
    if customer is None and order is not None:
        customer = order.customer
    _staff_event(
        session,
        user,
        "note",
        now,
        body=text[:2000],
        customer=customer,
        order=order,
    )
    session.commit()


# ---- zones and tariffs ------------------------------------------------------------------


# Sanity limits for the editor (a slip of the keyboard, not a policy): the zones file
# itself has none, it is the operator's own format.
MAX_RATE_PER_HOUR_CENTS = 100_00
MAX_DAILY_CAP_CENTS = 1000_00


def parse_form_money(raw: str) -> int:
    """An amount typed into a panel form, with a decimal comma or dot (``"2,40"``,
    ``"2.40"``, ``"2"``), in cents. Raises :class:`TariffError`."""
    return parse_money(raw.strip().replace(",", ".", 1))


def _form_money(form: Mapping[str, str], name: str, limit_cents: int) -> str:
    """The editor's money field ``name`` in the zones file's dot form (``"2.40"``).

    Raises ``PanelError("bad_money", field=name)`` for anything that is not an amount and
    ``PanelError("money_too_high", field=name, limit_cents=...)`` above ``limit_cents``.
    """
    try:
        cents = parse_form_money(form.get(name, ""))
    except TariffError as exc:
        raise PanelError("bad_money", field=name) from exc
    if cents > limit_cents:
        raise PanelError("money_too_high", field=name, limit_cents=limit_cents)
    return money_to_decimal_str(cents)


def _form_paid_hours(text: str, field: str = "paid_hours") -> dict[str, str]:
    """The editor's paid hours, one line of days and hours each, as people write them in
    any of the three languages (``ma-pe: 08:00-18:00``, ``ma-pe 8-18``, ``lauantaisin
    9-15``, see :mod:`app.panel.zone_hours`), as zones-file keys (``mon-fri``).

    Raises ``PanelError`` ``bad_hours`` with the ``field``, the ``line`` as typed and the
    ``problem`` (a :class:`zone_hours.HoursProblem` code) and its details; a day that is
    no day is ``bad_day`` (with the ``day``), a day on two lines ``day_twice``.
    """
    paid: dict[str, str] = {}
    seen: set[int] = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            days_text, hours = zone_hours.split_line(line)
            days = zone_hours.line_days(days_text, line.strip())
            zone_hours.check_hours(hours, line.strip())
        except zone_hours.HoursProblem as exc:
            if exc.code in ("bad_day", "day_twice"):
                raise PanelError(exc.code, line=exc.line, field=field, **exc.details) from exc
            raise PanelError(
                "bad_hours", line=exc.line, field=field, problem=exc.code, **exc.details
            ) from exc
        if seen & set(days):
            raise PanelError("day_twice", line=line.strip(), field=field)
        seen.update(days)
        paid[format_days(days, "en")] = hours.strip()
    return paid


def zone_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The zones-file entry that the editor's fields describe (not validated yet).

    ``paid_hours`` is one ``days: hours`` pair a line, days written in Finnish, Swedish
    or English (see :func:`_form_paid_hours`); the entry has the zones file's English day
    keys. Money may be written with a decimal comma; it is checked here (``bad_money``,
    ``money_too_high``) and passed on in the zones file's dot form. An empty phone code
    keeps the zone's own (or has one assigned).
    """
    entry: dict[str, Any] = {
        "code": form.get("code", ""),
        "name": form.get("name", ""),
        "rate_per_hour": _form_money(form, "rate_per_hour", MAX_RATE_PER_HOUR_CENTS),
        "paid_hours": _form_paid_hours(form.get("paid_hours", "")),
    }
    if form.get("daily_cap", "").strip():
        entry["daily_cap"] = _form_money(form, "daily_cap", MAX_DAILY_CAP_CENTS)
    for name in ("max_minutes", "capacity"):
        raw = form.get(name, "").strip()
        if raw:
            if not is_ascii_number(raw, 9):
                raise PanelError("bad_number", field=name)
            entry[name] = int(raw)
    entry["bookable"] = form.get("bookable") in ("on", "1", "true")
    entry.update(_form_booking_terms(form))
    if form.get("phone_code", "").strip():
        entry["phone_code"] = form["phone_code"].strip()
    return entry


# The editor's whole-number booking terms (zones file names); empty: the default.
BOOKING_NUMBER_FIELDS = (
    "slot_minutes",
    "min_notice_minutes",
    "max_advance_days",
    "cancel_free_until_minutes",
    "hold_minutes",
)


def _form_booking_terms(form: Mapping[str, str]) -> dict[str, Any]:
    """The booking terms the editor's fields give (only those filled in): whole numbers
    (``bad_number``), booking hours as paid hours are written, a booking rate."""
    terms: dict[str, Any] = {}
    for name in BOOKING_NUMBER_FIELDS:
        raw = form.get(name, "").strip()
        if raw:
            if not raw.isdigit():
                raise PanelError("bad_number", field=name)
            terms[name] = int(raw)
    if form.get("booking_hours", "").strip():
        terms["booking_hours"] = _form_paid_hours(form["booking_hours"], "booking_hours")
    if form.get("booking_rate_per_hour", "").strip():
        terms["booking_rate_per_hour"] = _form_money(
            form, "booking_rate_per_hour", MAX_RATE_PER_HOUR_CENTS
        )
    return terms


def booking_terms_problems(entry: Mapping[str, Any]) -> tuple[FieldProblem, ...]:
    """What is wrong with a bookable zone entry's booking terms (empty when right, or
    when the zone is not bookable), for the editor to word field by field."""
    if not entry.get("bookable"):
        return ()
    fields = {**entry, "rate_per_hour": entry.get("booking_rate_per_hour")}
    try:
        rate = parse_money(str(entry.get("rate_per_hour", "")))
    except (TariffError, ValueError):
        return ()  # the zone's own rate is refused as before
    return booking_policy_problems(fields, zone_rate_per_hour_cents=rate)


def zone_form_values(zone: Zone, language: str) -> dict[str, str]:
    """The editor's fields for ``zone`` as its reader writes them: paid hours with days in
    ``language`` (``ma-pe: 08:00-18:00`` in Finnish), amounts with a decimal comma in
    Finnish and Swedish (``2,40``), a dot in English."""
    paid = localized_paid_hours(zone.paid_hours, language)

    def amount(cents: int | None) -> str:
        if cents is None:
            return ""
        text = money_to_decimal_str(cents)
        return text if language == "en" else text.replace(".", ",")

    return {
        "code": zone.code,
        "name": zone.name,
        "rate_per_hour": amount(zone.rate_per_hour_cents),
        "paid_hours": "\n".join(f"{days}: {hours}" for days, hours in paid.items()),
        "daily_cap": amount(zone.daily_cap_cents),
        "max_minutes": str(zone.max_minutes or ""),
        "capacity": str(zone.capacity or ""),
        "bookable": "on" if zone.bookable else "",
        "phone_code": zone.phone_code or "",
        **{name: str(getattr(zone, name) or "") for name in BOOKING_NUMBER_FIELDS},
        "booking_hours": "\n".join(
            f"{days}: {hours}"
            for days, hours in localized_paid_hours(zone.booking_hours or {}, language).items()
        ),
        "booking_rate_per_hour": amount(zone.booking_rate_per_hour_cents),
    }


def save_zone(
    session: Session, user: User, form: Mapping[str, str], now: datetime, *, new: bool = False
) -> str:
    """Create or update one zone from the editor, validated as the zones file is (money
    may have a decimal comma, within the editor's sanity limits; days in any language).

    With ``new``, an existing zone of the same code is never overwritten:
    ``PanelError("zone_exists", zone=code)``. Returns the zone code. Raises
    ``PanelError`` ``invalid_zone`` (with ``reason``), ``bad_money``, ``money_too_high``,
    ``bad_number``, ``bad_hours``, ``bad_day``, ``day_twice`` and ``bad_phone_code``
    (with the validator's ``reason``, ``phone_code`` and the ``other`` zone). Commits.
    """
    entry = zone_from_form(form)
    problems = booking_terms_problems(entry)
    if problems:
        raise PanelError("booking_terms", problems=problems)
    if new:
        wanted = str(entry["code"]).strip().upper()
        if session.scalar(select(Zone.id).where(Zone.code == wanted)) is not None:
            raise PanelError("zone_exists", zone=wanted)
    try:
        zones.import_zones(session, {"zones": [entry]}, now)
    except zones.PhoneCodeError as exc:
        session.rollback()
        raise PanelError(
            "bad_phone_code", reason=exc.reason, phone_code=exc.phone_code, other=exc.other
        ) from exc
    except (zones.ZoneFileError, TariffError) as exc:
        session.rollback()
        raise PanelError("invalid_zone", reason=str(exc)) from exc
    code = str(entry["code"]).strip().upper()
    _staff_event(
        session,
        user,
        "zone_saved",
        now,
        body=f"zone {code} saved by {user.name}",
        data={"zone": entry},
    )
    session.commit()
    return code


def set_zone_active(session: Session, user: User, code: str, active: bool, now: datetime) -> None:
    zone = session.scalar(select(Zone).where(Zone.code == code))
    if zone is None:
        raise PanelError("unknown_zone", zone=code)
    zone.active = active
    zone.updated_at = now
    _staff_event(
        session,
        user,
        "zone_active" if active else "zone_inactive",
        now,
        body=f"zone {code} {'activated' if active else 'deactivated'} by {user.name}",
        data={"zone": code},
    )
    session.commit()


def price_preview(zone: Zone, kanava: Kanava, now: datetime) -> list[tuple[int, int]]:
    """(minutes, cents) for parking 30 min, 1 h and 2 h from ``now`` in ``zone``."""
    tariff = zones.tariff_of(zone)
    return [
        (m, price(tariff, now, now + timedelta(minutes=m), kanava.settings.tz))
        for m in (30, 60, 120)
    ]


# ---- users and tokens -------------------------------------------------------------------


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def create_user(
    session: Session, user: User, name: str, role: str, password: str, now: datetime
) -> User:
    """Create a panel user (the ``users create`` rules). Raises ``PanelError("invalid_user")``."""
    try:
        created = users.create_user(session, name, role, password, now)
    except users.UserError as exc:
        session.rollback()
        raise PanelError("invalid_user", reason=str(exc)) from exc
    _staff_event(
        session,
        user,
        "user_created",
        now,
        body=f"user {created.name} ({created.role}) created by {user.name}",
        data={"user": created.name},
    )
    session.commit()
    return created


def set_user_active(
    session: Session, user: User, user_id: int, active: bool, now: datetime
) -> None:
    """Deactivate (signs them out everywhere) or reactivate a user; never oneself."""
    target = session.get(User, user_id)
    if target is None:
        raise PanelError("unknown_user")
    if target.id == user.id:
        raise PanelError("not_yourself")
    target.active = active
    _staff_event(
        session,
        user,
        "user_active" if active else "user_inactive",
        now,
        body=f"user {target.name} {'activated' if active else 'deactivated'} by {user.name}",
        data={"user": target.name},
    )
    session.commit()


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def create_token(session: Session, user: User, name: str, now: datetime) -> str:
    """A new handheld token, returned once. Raises ``PanelError("empty_name")``. Commits."""
    name = name.strip()
    if not name:
        raise PanelError("empty_name")
    token = tokens.create_token(session, name[:80], now)
    _staff_event(
        session,
        user,
        "token_created",
        now,
        body=f"API token {name} created by {user.name}",
        data={"token": name},
    )
    session.commit()
    return token


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise PanelError("unknown_token")
    if row.revoked_at is None:
        row.revoked_at = now
        _staff_event(
            session,
            user,
            "token_revoked",
            now,
            body=f"API token {row.name} revoked by {user.name}",
            data={"token": row.name},
        )
    session.commit()


# ---- CSV export -------------------------------------------------------------------------


def _iso(at: datetime | None, kanava: Kanava) -> str:
    return at.astimezone(kanava.settings.tz).isoformat() if at else ""


def orders_csv(session: Session, kanava: Kanava, start: datetime, end: datetime) -> str:
    """Orders created in [start, end) as CSV, times in ``APP_TIMEZONE`` with offset."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "id",
            "kind",
            "status",
            "channel",
            "plate",
            "zone",
            "phone",
            "starts_at",
            "ends_at",
            "ended_at",
            "amount_cents",
            "paid_cents",
            "currency",
            "created_at",
            "booking_ref",
        ]
    )
    rows = session.scalars(
        select(Order).where(Order.created_at >= start, Order.created_at < end).order_by(Order.id)
    )
    for o in rows:
        writer.writerow(
            [
                o.id,
                o.kind.value,
                o.status.value,
                o.channel.value,
                _safe(o.plate_display),
                o.zone.code,
                o.customer.phone if o.customer else "",
                _iso(o.starts_at, kanava),
                _iso(o.ends_at, kanava),
                _iso(o.ended_at, kanava),
                o.amount_cents,
                ledger.paid_total(o),
                o.currency,
                _iso(o.created_at, kanava),
                o.booking_ref or "",
            ]
        )
    return out.getvalue()


def payments_csv(session: Session, kanava: Kanava, start: datetime, end: datetime) -> str:
    """Payments created in [start, end) as CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "id",
            "order_id",
            "provider",
            "provider_ref",
            "status",
            "amount_cents",
            "captured_cents",
            "refunded_cents",
            "currency",
            "paid_at",
            "created_at",
        ]
    )
    rows = session.scalars(
        select(Payment)
        .where(Payment.created_at >= start, Payment.created_at < end)
        .order_by(Payment.id)
    )
    for p in rows:
        writer.writerow(
            [
                p.id,
                p.order_id,
                p.provider,
                p.provider_ref or "",
                p.status.value,
                p.amount_cents,
                p.captured_cents,
                p.refunded_cents,
                p.currency,
                _iso(p.paid_at, kanava),
                _iso(p.created_at, kanava),
            ]
        )
    return out.getvalue()


def _safe(cell: str) -> str:
    """Keep spreadsheet programs from reading a cell as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
