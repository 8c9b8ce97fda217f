"""The attendant and admin panel: sign-in, plate checks, zone board, timeline, staff actions.

Every function takes ``now`` from the caller (the app's clock). Functions that change
something commit once; staff actions go through :mod:`app.services.orders` with channel
``admin`` and the staff member's name as ``actor``, tell the driver by SMS through the
outbox, and record a ``staff_action`` event, so the customer's timeline says who did what.
"""

from __future__ import annotations

import csv
import hmac
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

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
    OutboundMessage,
    Payment,
    PlateCheckLog,
    User,
    Zone,
)
from app.services import (
    messages,
    notifications,
    orders,
    payments,
    plate_checks,
    timeline,
    tokens,
    zones,
)
from app.services.customers import InvalidPhoneNumber, normalize_phone
from app.services.plates import normalize_plate
from app.services.pricing import (
    TariffError,
    UnknownDayError,
    format_days,
    localized_paid_hours,
    money_to_decimal_str,
    parse_days,
    parse_money,
    price,
)

if TYPE_CHECKING:
    from app import Kanava

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
    if not user_id.isdigit():
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.password_hash[-10:], fragment):
        return None
    return user


# ---- plate check ------------------------------------------------------------------------


def check_plate(
    session: Session,
    kanava: Kanava,
    user: User,
    plate: str,
    zone_code: str | None,
    now: datetime,
) -> orders.PlateCheck:
    """The handheld API's answer for ``plate`` (:func:`orders.check_plate`), logged with
    who asked. Raises ``PanelError("bad_plate")`` for an empty or overlong plate. Commits."""
    try:
        return plate_checks.check_and_log(session, kanava, plate, zone_code, now, user=user)
    except plate_checks.BadPlate as exc:
        raise PanelError("bad_plate") from exc


def active_zones(session: Session) -> list[Zone]:
    return list(session.scalars(select(Zone).where(Zone.active.is_(True)).order_by(Zone.code)))


def all_zones(session: Session) -> list[Zone]:
    return list(session.scalars(select(Zone).order_by(Zone.code)))


def check_token_name(check: PlateCheckLog) -> str:
    return f"handheld {check.api_token.name}" if check.api_token else "handheld"


# ---- zone board -------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    order: Order
    status: str
    valid: bool
    valid_until: datetime | None
    minutes_left: int | None  # None: until stopped (or not valid any more)


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
        row = BoardRow(order, orders.effective_status(order, now).value, valid, until, left)
        (live if valid else recent).append(row)
    far = now + timedelta(days=3650)
    live.sort(key=lambda r: (r.valid_until or far, r.order.id))
    return ZoneBoard(zone=zone, live=live, recent=recent)


# ---- customer timeline ------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    channel: str
    kind: str
    body: str
    understood: bool | None
    actor: str | None
    order_id: int | None
    delivery: str | None  # outbound SMS: queued, delivered, failed, ...
    phone: str | None
    # A payment event's money, read from its body, for the page to word and format in
    # the viewer's language: action ("paid", "refunded", ...), cents, currency, the rest.
    payment: PaymentWords | None = None


@dataclass(frozen=True)
class PaymentWords:
    action: str
    amount_cents: int
    currency: str
    rest: str


# The bodies app.services.payments writes: "paid 3.80 EUR (card by phone)".
_PAYMENT_BODY = re.compile(
    r"(paid|card held|refunded|saved card charged) (\d+)\.(\d\d) ([A-Z]{3})(.*)", re.DOTALL
)


def payment_words(body: str) -> PaymentWords | None:
    """A payment event body's action and amount (None for any other body)."""
    match = _PAYMENT_BODY.fullmatch(body)
    if match is None:
        return None
    action, whole, cents, currency, rest = match.groups()
    return PaymentWords(action, int(whole) * 100 + int(cents), currency, rest)


@dataclass
class CustomerStory:
    query: str
    customers: list[Customer]
    plate_key: str | None
    orders: list[Order]
    entries: list[TimelineEntry]


def customer_story(session: Session, query: str, limit: int = 500) -> CustomerStory:
    """Everything known about the phone number or plate in ``query``, newest first.

    A phone number finds its customer; a plate finds every customer who parked it and
    every order of it (also those without a phone, from the web form). Entries are the
    timeline events of those customers and orders, the outbound SMS with their delivery
    state, and the panel's plate checks of the plate.
    """
    query = query.strip()
    customers_found: list[Customer] = []
    plate_key: str | None = None
    try:
        phone = normalize_phone(query)
    except InvalidPhoneNumber:
        phone = None
    if phone:
        customer = session.scalar(select(Customer).where(Customer.phone == phone))
        customers_found = [customer] if customer else []
        order_list = (
            list(
                session.scalars(
                    select(Order).where(Order.customer_id == customer.id).order_by(Order.id.desc())
                )
            )
            if customer
            else []
        )
    else:
        plate_key = normalize_plate(query)
        if not plate_key:
            return CustomerStory(query, [], None, [], [])
        order_list = list(
            session.scalars(
                select(Order).where(Order.plate_key == plate_key).order_by(Order.id.desc())
            )
        )
        ids = {o.customer_id for o in order_list if o.customer_id}
        from app.models import Vehicle

        ids |= set(
            session.scalars(select(Vehicle.customer_id).where(Vehicle.plate_key == plate_key))
        )
        if ids:
            customers_found = list(
                session.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id))
            )
    customer_ids = [c.id for c in customers_found]
    order_ids = [o.id for o in order_list]
    conditions = []
    if customer_ids:
        conditions.append(Event.customer_id.in_(customer_ids))
    if order_ids:
        conditions.append(Event.order_id.in_(order_ids))
    events: list[Event] = []
    if conditions:
        events = list(
            session.scalars(
                select(Event)
                .where(or_(*conditions))
                .order_by(Event.created_at.desc(), Event.id.desc())
                .limit(limit)
            )
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
    phones = {c.id: c.phone for c in customers_found}
    entries = [
        TimelineEntry(
            at=e.created_at,
            channel=e.channel.value,
            kind=e.kind.value,
            body=e.body,
            understood=e.understood,
            actor=e.actor,
            order_id=e.order_id,
            delivery=delivery.get(e.id)
            or ((e.data or {}).get("status") if e.kind is EventKind.MESSAGE_OUT else None),
            phone=phones.get(e.customer_id) if e.customer_id else None,
            payment=payment_words(e.body) if e.kind is EventKind.PAYMENT else None,
        )
        for e in events
    ]
    if plate_key:
        checks = session.scalars(
            select(PlateCheckLog)
            .where(PlateCheckLog.plate_key == plate_key)
            .order_by(PlateCheckLog.checked_at.desc())
            .limit(limit)
        )
        for check in checks:
            entries.append(
                TimelineEntry(
                    at=check.checked_at,
                    channel=(Channel.ADMIN if check.user else Channel.API).value,
                    kind="plate_check",
                    body=f"{check.plate_display} {check.zone_code or ''} "
                    f"{'valid' if check.valid else 'not valid'} ({check.status or '-'})",
                    understood=None,
                    actor=check.user.name if check.user else check_token_name(check),
                    order_id=check.order_id,
                    delivery=None,
                    phone=None,
                )
            )
        entries.sort(key=lambda x: x.at, reverse=True)
    return CustomerStory(query, customers_found, plate_key, order_list, entries[:limit])


# ---- staff actions ----------------------------------------------------------------------


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
        data=data,
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


def stop_order(
    session: Session, kanava: Kanava, user: User, order_id: int, note: str, now: datetime
) -> Order:
    """Stop a live parking for the driver, as ``LOPETA`` would; the driver gets the SMS.

    Raises ``PanelError`` ``unknown_order`` or ``not_live``. Commits, then sends the outbox.
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
    _staff_event(session, user, "stop", now, note=note, order=order, customer=order.customer)
    link = payments.link_to_pay(kanava, stopped.payment)
    text = messages.parking_stopped(
        order,
        stopped.amount_cents,
        link,
        messages.language_of(order),
        kanava,
        now,
        refunded_cents=stopped.refunded_cents,
    )
    _tell_driver(session, kanava, order, text, "staff_stop", now)
    _finish(session, kanava, now)
    return order


def extend_order(
    session: Session,
    kanava: Kanava,
    user: User,
    order_id: int,
    minutes: int,
    note: str,
    now: datetime,
) -> Order:
    """Give a fixed-duration parking ``minutes`` more, priced as ``JATKA`` would be; the
    driver gets the SMS. Raises ``PanelError`` with the order backend's codes. Commits."""
    order = _order_or_error(session, order_id)
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
        data={"minutes": minutes},
    )
    text = messages.parking_extended(
        order,
        extended.added_cents,
        extended.capped,
        payments.link_to_pay(kanava, extended.payment),
        messages.language_of(order),
        kanava,
        now,
    )
    _tell_driver(session, kanava, order, text, "staff_extend", now)
    _finish(session, kanava, now)
    return order


def cancel_order(
    session: Session, kanava: Kanava, user: User, order_id: int, note: str, now: datetime
) -> Order:
    """Cancel a live parking or a booking through :func:`orders.cancel_order`: nothing
    more is asked of the driver, open checkouts are closed and a held card is released;
    money already paid stays paid (refund it separately). The driver gets an SMS.
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
    """True when the payments service offers refunds (``payments.refund``)."""
    return callable(getattr(payments, "refund", None))


def refund_payment(
    session: Session,
    kanava: Kanava,
    user: User,
    payment_id: int,
    amount_cents: int | None,
    note: str,
    now: datetime,
) -> Payment:
    """Refund ``amount_cents`` of a payment (None: all that is left) through
    :func:`payments.refund`; the driver is told by SMS and the timeline says who did it.

    Raises ``PanelError`` ``unknown_payment``; ``refund_too_much`` (details
    ``most_cents``, ``currency``: what is left to refund), ``refund_nothing_left``,
    ``refund_not_paid``; or ``refund_failed`` (the gateway's error). Commits.
    """
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise PanelError("unknown_payment")
    # Locked until commit: a second click waits, then refunds from the new balance.
    payment = payments.lock_payment(session, payment.id) or payment
    refunded_before = payment.refunded_cents
    try:
        payments.refund(
            session, kanava, payment, amount_cents, now=now, reason=note or "staff", actor=user.name
        )
    except payments.RefundNotPossible as exc:
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
    refunded = payment.refunded_cents - refunded_before
    _staff_event(
        session,
        user,
        "refund",
        now,
        note=note,
        order=order,
        customer=order.customer,
        data={"amount_cents": refunded},
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
    return payment


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


def _form_paid_hours(text: str) -> dict[str, str]:
    """The editor's paid hours, one ``days: hours`` pair a line, days in any of the three
    languages (``ma-pe: 08:00-18:00``), as zones-file keys (``mon-fri``).

    Raises ``PanelError`` ``bad_paid_hours`` (a line without ``:``), ``bad_day`` (with
    the ``day`` not understood) and ``day_twice`` (a day on two lines, with the ``line``).
    """
    paid: dict[str, str] = {}
    seen: set[int] = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        days_text, sep, hours = line.partition(":")
        if not sep:
            raise PanelError("bad_paid_hours", line=line.strip())
        try:
            days = parse_days(days_text)
        except UnknownDayError as exc:
            raise PanelError("bad_day", day=exc.day, line=line.strip()) from exc
        except TariffError as exc:
            raise PanelError("day_twice", line=line.strip()) from exc
        if seen & set(days):
            raise PanelError("day_twice", line=line.strip())
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
            if not raw.isdigit():
                raise PanelError("bad_number", field=name)
            entry[name] = int(raw)
    entry["bookable"] = form.get("bookable") in ("on", "1", "true")
    if form.get("phone_code", "").strip():
        entry["phone_code"] = form["phone_code"].strip()
    return entry


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
    }


def save_zone(
    session: Session, user: User, form: Mapping[str, str], now: datetime, *, new: bool = False
) -> str:
    """Create or update one zone from the editor, validated as the zones file is (money
    may have a decimal comma, within the editor's sanity limits; days in any language).

    With ``new``, an existing zone of the same code is never overwritten:
    ``PanelError("zone_exists", zone=code)``. Returns the zone code. Raises
    ``PanelError`` ``invalid_zone`` (with ``reason``), ``bad_money``, ``money_too_high``,
    ``bad_number``, ``bad_paid_hours``, ``bad_day``, ``day_twice`` and ``bad_phone_code``
    (with the validator's ``reason``, ``phone_code`` and the ``other`` zone). Commits.
    """
    entry = zone_from_form(form)
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
    from app.services import users

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
                payments.paid_total(o),
                o.currency,
                _iso(o.created_at, kanava),
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
