"""The order backend: every channel parks, extends and stops through these functions.

Functions here add to the given session and flush; the use case that called them
commits once, together with the timeline and the webhook receipt, so that a retried
delivery either sees all of the work or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Integer, Select, String, and_, bindparam, exists, literal, or_, select
from sqlalchemy.orm import Session

from app.backend import (
    billing,
    customers,
    ledger,
    order_inserts,
    provider_payments,
    refunds,
    timeline,
)
from app.backend.hot_statements import HotStatement, unwritten
from app.backend.zones import tariff_of
from app.domain.inputs import looks_like_token
from app.domain.plates import display_plate, normalize_plate
from app.domain.pricing import capped_end, price
from app.kernel import Kanava
from app.models import (
    LIVE_STATUSES,
    Channel,
    Customer,
    EventKind,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    UTCDateTime,
    Vehicle,
    Zone,
)

MAX_DURATION_MINUTES = 7 * 24 * 60
# ``cancel_order``'s reason when the clock cancels a parking not paid within its grace.
NOT_PAID_REASON = "not paid"
# How long a parking left unpaid costs its phone and its plate the payment grace.
STANDING_MEMORY = timedelta(hours=24)


class OrderError(Exception):
    """A request the order backend refuses; ``code`` says why, for the channel to word."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass
class ParkingStarted:
    order: Order
    payment: Payment | None
    replaced: list[Order] = field(default_factory=list)
    already_parked: bool = False
    shortened: bool = False  # the time asked for was cut to the zone's longest stay


@dataclass
class ParkingStopped:
    order: Order
    amount_cents: int
    payment: Payment | None
    refunded_cents: int = 0  # unused paid time given back at this stop
    waived_cents: int = 0  # owed below the provider's minimum, let go at this stop
    held_cents: int = 0  # the card hold of an open-ended parking settled at this stop
    released_cents: int = 0  # what of that hold was released, not captured


@dataclass
class ParkingExtended:
    order: Order
    added_minutes: int
    added_cents: int
    payment: Payment | None
    capped: bool


def valid_until(order: OrderTimes, grace: timedelta) -> datetime | None:
    """Until when the order makes the plate valid; None means until stopped.

    An order awaiting payment counts for the grace time after it was created, and never
    past its own end; one made without grace (``grace_withheld``: see
    :func:`in_good_standing`) not at all until paid. An active order with an extension
    not yet paid (``unpaid_from``) counts up to the paid end, and beyond it only within
    the extension's payment grace (``payment_due_at``), never past its own end.
    """
    if order.status is OrderStatus.AWAITING_PAYMENT:
        if order.grace_withheld:
            return order.starts_at  # valid only once paid
        due = order.payment_due_at or (order.created_at + grace)
        return min(due, order.ends_at) if order.ends_at else due
    if order.unpaid_from is not None and order.status is OrderStatus.ACTIVE:
        due = order.payment_due_at or order.unpaid_from
        grace_end = min(due, order.ends_at) if order.ends_at else due
        return max(order.unpaid_from, grace_end)
    return order.ends_at


def effective_status(order: OrderTimes, now: datetime) -> OrderStatus:
    """The status as a user should see it at ``now``, even before the clock has swept.

    An active order whose extension waits for its payment is ``awaiting_payment`` while
    it is valid, and ``expired`` once its paid time and the extension's grace are over.
    """
    if order.status is OrderStatus.ACTIVE and order.unpaid_from is not None:
        until = valid_until(order, timedelta(0))
        if until is not None and until <= now:
            return OrderStatus.EXPIRED
        return OrderStatus.AWAITING_PAYMENT
    if order.status is OrderStatus.ACTIVE and order.ends_at is not None and order.ends_at <= now:
        return OrderStatus.EXPIRED
    return order.status


def is_valid(order: OrderTimes, now: datetime, grace: timedelta) -> bool:
    if order.kind is OrderKind.BOOKING:
        # A paid booking is the plate's right to park in its zone for its window only.
        return (
            order.status is OrderStatus.BOOKED
            and order.starts_at <= now
            and order.ends_at is not None
            and now < order.ends_at
        )
    if order.status not in LIVE_STATUSES or order.starts_at > now:
        return False
    until = valid_until(order, grace)
    return until is None or now < until


def is_paid(order: Order) -> bool:
    """Is everything the order asks for paid (or free)? False while a first payment or an
    extension waits for the driver."""
    return (
        order.status is not OrderStatus.AWAITING_PAYMENT
        and order.unpaid_from is None
        and ledger.open_payment_of(order) is None
    )


@dataclass(frozen=True)
class Owed:
    """What an order asks of the driver now, for every display to name it.

    ``kind``: ``first_payment`` (a new parking not paid yet), ``hold`` (a parking until
    stopped not paid yet: the link holds at most ``cents`` on the card and takes only
    what is used), ``extension`` (an active parking whose extension waits; it is paid up
    to ``paid_until``), ``after_end`` (an ended parking not fully paid).
    """

    cents: int
    currency: str
    kind: str
    link: str | None
    paid_until: datetime | None
    due_at: datetime | None


def owed(kanava: Kanava, order: Order) -> Owed | None:
    """What the driver still has to pay for ``order`` through its payment link, or None.

    Amounts below the payment provider's minimum are never asked (they are carried on the
    order, then waived: see :func:`app.backend.billing.settle`), so they are not owed.
    """
    pending = ledger.open_payment_of(order)
    if pending is None or not ledger.asks_for(pending.amount_cents, pending.currency):
        return None
    if order.status in LIVE_STATUSES:
        if order.status is OrderStatus.AWAITING_PAYMENT:
            kind = "hold" if order.open_ended else "first_payment"
        else:
            kind = "extension"
    else:
        kind = "after_end"
    return Owed(
        cents=pending.amount_cents,
        currency=pending.currency,
        kind=kind,
        link=ledger.pay_link(kanava.settings, pending),
        paid_until=order.unpaid_from if kind == "extension" else None,
        due_at=order.payment_due_at if order.status in LIVE_STATUSES else None,
    )


def debt_cents(order: Order) -> int:
    """The money the driver owes for ``order`` now (0 when nothing): what its payment link
    asks, except for a parking until stopped whose card is not held yet (nothing is owed
    for it before it stops: the link only holds the card)."""
    pending = ledger.open_payment_of(order)
    if pending is None or not ledger.asks_for(pending.amount_cents, pending.currency):
        return 0
    if order.open_ended and order.status is OrderStatus.AWAITING_PAYMENT:
        return 0
    return pending.amount_cents


def live_orders(session: Session, customer: Customer, now: datetime) -> list[Order]:
    """The customer's parkings that have not ended, earliest end first."""
    orders = session.scalars(
        select(Order)
        .where(
            Order.customer_id == customer.id,
            Order.kind == OrderKind.PARKING,
            Order.status.in_(LIVE_STATUSES),
        )
        .order_by(Order.id)
    )
    return [o for o in orders if o.ends_at is None or o.ends_at > now]


def unpaid_ended(session: Session, customer: Customer, limit: int = 2) -> list[Order]:
    """The customer's ended parkings that still wait for a payment, latest first."""
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.customer_id == customer.id,
                Order.kind == OrderKind.PARKING,
                Order.status.in_((OrderStatus.ENDED, OrderStatus.EXPIRED)),
                Order.payments.any(Payment.status == PaymentStatus.PENDING),
            )
            .order_by(Order.ended_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


def parked_in_zone(
    session: Session, kanava: Kanava, zone: Zone, plate: str, now: datetime
) -> Order | None:
    """The plate's live parking in ``zone`` that is valid at ``now``, whoever made it (the
    one valid longest); None when there is none. Every channel refuses to park a plate
    again where this finds it."""
    key = normalize_plate(plate)
    live = session.scalars(
        select(Order).where(
            Order.plate_key == key,
            Order.zone_id == zone.id,
            Order.kind == OrderKind.PARKING,
            Order.status.in_(LIVE_STATUSES),
        )
    )
    return _valid_longest(kanava, live, now)


def _valid_longest(kanava: Kanava, live: Iterable[Order], now: datetime) -> Order | None:
    """Of the ``live`` parkings, the one valid at ``now`` the longest (None: none valid)."""
    grace = timedelta(minutes=kanava.settings.payment_grace_minutes)
    valid = [o for o in live if is_valid(o, now, grace)]
    far = now + timedelta(days=3650)
    return max(valid, key=lambda o: (valid_until(o, grace) or far, o.id), default=None)


def can_be_extended_by_anyone(order: Order, now: datetime) -> bool:
    """Whether someone who only knows the plate may add time to ``order`` (the web form).

    Only a paid, fixed-duration parking made without a phone number: more time then
    costs its payer alone. A parking with a phone number is extended by its driver (by
    SMS or its own page), so that no stranger's extension lands on that driver's payment
    or saved card; one still waiting for payment (a first one or an extension's,
    :func:`is_paid`) is its driver's to pay.
    """
    return (
        order.customer_id is None
        and order.status is OrderStatus.ACTIVE
        and is_paid(order)
        and not order.open_ended
        and order.ends_at is not None
        and order.ends_at > now
    )


def quote(
    zone: Zone, start: datetime, minutes: int | None, kanava: Kanava
) -> tuple[datetime | None, int]:
    """The end and price of parking ``minutes`` (None: open-ended) in ``zone`` from ``start``."""
    tariff = tariff_of(zone)
    end = start + timedelta(minutes=minutes) if minutes is not None else None
    end = capped_end(tariff, start, end)
    if minutes is None or end is None:
        return end, 0
    return end, price(tariff, start, end, kanava.settings.tz)


def lock_order(session: Session, order: Order) -> Order:
    """Re-read ``order`` with its row locked until commit (PostgreSQL ``FOR UPDATE``;
    SQLite serialises writers with ``BEGIN IMMEDIATE``). Every change of a live order
    goes through this first, so an SMS stop, a staff stop and the clock's sweep of the same
    order happen one after the other and the later ones see it ended."""
    locked = session.scalar(
        select(Order)
        .where(Order.id == order.id)
        # FOR NO KEY UPDATE: payments and events that reference the order can still be
        # written by others meanwhile; a second change of the order waits.
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


# ---- what a new parking must know, in one read ------------------------------------------
#
# start_parking runs for every park of every channel. Its three questions about the plate
# and the phone (may the new parking have the payment grace? is the plate validly parked in
# the zone by anyone? which of the phone's own parkings of the plate are live?) are
# answered by one Core query of only the columns they need, built once here. Order
# entities are loaded only when the plate has a live parking (one more read), which a new
# plate never has.

_orders = Order.__table__
_payments = Payment.__table__
_since = bindparam("since", type_=UTCDateTime())
_plate = bindparam("plate_key", type_=String())
# A payment that costs the order's phone and plate the grace (:func:`in_good_standing`):
# cancelled for not being paid or an extension lapsed unpaid lately, or still pending on a
# parking that ended lately (whether the provider could be asked for it is decided in
# Python: :func:`ledger.asks_for`).
_left_unpaid = and_(
    _payments.c.order_id == _orders.c.id,
    or_(
        and_(
            _payments.c.status == PaymentStatus.CANCELLED,
            _payments.c.failure_reason.in_((ledger.NOT_PAID, ledger.LAPSED)),
            _payments.c.updated_at >= _since,
        ),
        and_(
            _payments.c.status == PaymentStatus.PENDING,
            _orders.c.status.in_((OrderStatus.ENDED, OrderStatus.EXPIRED)),
            _orders.c.ended_at >= _since,
        ),
    ),
)


def _before_parking_query(with_phone: bool) -> Select[Any]:
    """The plate's live parkings (anyone's), and the parkings of the plate or (with a
    phone) the phone with a payment left unpaid lately, one row per such payment."""
    whose = _orders.c.plate_key == _plate
    if with_phone:
        whose = or_(whose, _orders.c.customer_id == bindparam("customer_id", type_=Integer()))
    return (
        select(
            _orders.c.id,
            _orders.c.customer_id,
            _orders.c.zone_id,
            _orders.c.plate_key,
            _orders.c.status,
            _orders.c.ends_at,
            _payments.c.status.label("payment_status"),
            _payments.c.amount_cents,
            _payments.c.currency,
        )
        .select_from(_orders.outerjoin(_payments, _left_unpaid))
        .where(
            _orders.c.kind == OrderKind.PARKING,
            whose,
            or_(
                and_(_orders.c.plate_key == _plate, _orders.c.status.in_(LIVE_STATUSES)),
                _payments.c.id.is_not(None),
            ),
        )
        .order_by(_orders.c.id)
    )


# Run on the driver's cursor (app.backend.hot_statements): every park reads them.
_BEFORE_PARKING_OF_PLATE = HotStatement(_before_parking_query(with_phone=False))
_BEFORE_PARKING_OF_PLATE_OR_PHONE = HotStatement(_before_parking_query(with_phone=True))


@dataclass(frozen=True)
class _Found:
    """A row of :data:`_BEFORE_PARKING_OF_PLATE`: an order, and one of its payments left
    unpaid (None when it has none)."""

    id: int
    customer_id: int | None
    zone_id: int
    plate_key: str
    status: OrderStatus
    ends_at: datetime | None
    payment_status: PaymentStatus | None
    amount_cents: int | None
    currency: str | None


def _read_before_parking(
    session: Session, customer: Customer | None, plate_key: str, now: datetime
) -> list[_Found]:
    """What :func:`start_parking` reads before it parks ``plate_key`` (see above).

    Run on the session's connection, it does not flush the session first: changed orders
    and payments not yet flushed (a caller's) are flushed here, while the rest (the
    message's timeline event) waits for the one flush that inserts the new order."""
    if any(isinstance(o, (Order, Payment)) for o in (*session.new, *session.dirty)):
        session.flush()
    params: dict[str, object] = {"plate_key": plate_key, "since": now - STANDING_MEMORY}
    query = _BEFORE_PARKING_OF_PLATE
    if customer is not None and customer.id is not None:
        query = _BEFORE_PARKING_OF_PLATE_OR_PHONE
        params["customer_id"] = customer.id
    return [_Found(*row) for row in query.rows(session.connection(), params)]


def in_good_standing(found: Iterable[_Found]) -> bool:
    """May a new parking of a plate by a phone count as valid while it waits for its
    payment (the payment grace), given what :func:`_read_before_parking` found? Not when
    that phone or that plate left a parking unpaid in the last :data:`STANDING_MEMORY`:
    cancelled for not being paid, an extension lapsed unpaid, or an ended parking whose
    debt the provider could be asked for (:func:`ledger.asks_for`) still open. This is the
    one place the rule is kept (with :data:`_left_unpaid`)."""
    return not any(
        f.payment_status is PaymentStatus.CANCELLED
        or (
            f.payment_status is PaymentStatus.PENDING
            and ledger.asks_for(f.amount_cents or 0, f.currency or "")
        )
        for f in found
    )


def _new_parking(
    kanava: Kanava,
    customer: Customer | None,
    vehicle: Vehicle | None,
    plate: str,
    key: str,
    zone: Zone,
    minutes: int | None,
    end: datetime | None,
    amount: int,
    channel: Channel,
    now: datetime,
    language: str,
) -> Order:
    """A new parking awaiting its payment, not yet written, with every column but its id
    set (:func:`order_inserts.insert_parking` writes them all and reads none back)."""
    order: Order = unwritten(
        Order,
        kind=OrderKind.PARKING,
        status=OrderStatus.AWAITING_PAYMENT,
        channel=channel,
        customer_id=customer.id if customer is not None else None,
        vehicle_id=vehicle.id if vehicle else None,
        zone_id=zone.id,
        plate_key=key,
        plate_display=display_plate(plate),
        starts_at=now,
        ends_at=end,
        open_ended=minutes is None,
        ended_at=None,
        payment_due_at=now + timedelta(minutes=kanava.settings.payment_grace_minutes),
        unpaid_from=None,
        grace_withheld=False,
        manage_token=ledger.new_token(),
        client_key=None,
        amount_cents=amount,
        currency=kanava.settings.currency,
        language=language,
        reminder_sent_at=None,
        booking_ref=None,
        hold_expires_at=None,
        start_reminder_sent_at=None,
        created_at=now,
        updated_at=now,
        # Linked as if loaded: no history, so nothing to cascade or write for them.
        zone=zone,
        customer=customer,
    )
    return order


def _remember(session: Session, vehicle: Vehicle | None) -> None:
    """Write a vehicle left unwritten for the new parking's statement when no parking
    follows (the car is remembered all the same)."""
    if vehicle is not None:
        customers.write_vehicle(session, vehicle)


def start_parking(
    session: Session,
    kanava: Kanava,
    *,
    customer: Customer | None,
    vehicle: Vehicle | None = None,
    plate: str,
    zone: Zone,
    minutes: int | None,
    channel: Channel,
    now: datetime,
    language: str,
) -> ParkingStarted:
    """Park ``plate`` in ``zone`` from ``now`` for ``minutes`` (None: until stopped).

    The order starts ``awaiting_payment`` with a pending payment whose link the driver
    pays; it counts as valid for ``PAYMENT_GRACE_MINUTES`` meanwhile. When the request
    comes from the customer's own phone (``channel`` in
    :data:`~app.backend.ledger.OWN_PHONE_CHANNELS`), a live parking of the same plate by
    that customer in another zone is ended first (the car moved), and one in the same zone
    is returned unchanged with ``already_parked``. A customer named by a typed phone number
    (the web form) proves nothing: their parkings are never touched nor returned.
    Raises :class:`OrderError` ``bad_duration`` for a duration outside 1 min .. 7 days,
    and ``parked_by_another`` (``details["order"]``) when the plate is validly parked in
    ``zone`` by anyone else (:func:`parked_in_zone`); nothing is changed then.

    A ``vehicle`` left unwritten (:func:`customers.remember_vehicle`, ``deferred``) is
    written with the new order, or alone when no parking is written.
    """
    if minutes is not None and not 0 < minutes <= MAX_DURATION_MINUTES:
        _remember(session, vehicle)
        raise OrderError("bad_duration", minutes=minutes)
    key = normalize_plate(plate)
    # Read before a moved car's parking ends here: its payment still has its grace.
    found = _read_before_parking(session, customer, key, now)
    standing = in_good_standing(found)
    live_ids = sorted({f.id for f in found if f.plate_key == key and f.status in LIVE_STATUSES})
    own: list[Order] = []
    if live_ids:  # the plate is parked somewhere: its orders as the callers use them
        live = list(session.scalars(select(Order).where(Order.id.in_(live_ids)).order_by(Order.id)))
        own_phone = channel in ledger.OWN_PHONE_CHANNELS
        if own_phone and customer is not None and customer.id is not None:
            own = [
                o
                for o in live
                if o.customer_id == customer.id and (o.ends_at is None or o.ends_at > now)
            ]
        for existing in own:
            if existing.zone_id == zone.id:
                _remember(session, vehicle)
                pay = ledger.open_payment_of(existing)
                return ParkingStarted(order=existing, payment=pay, already_parked=True)
        there = _valid_longest(kanava, (o for o in live if o.zone_id == zone.id), now)
        if there is not None:  # someone else's: never a second parking and payment of one car
            _remember(session, vehicle)
            raise OrderError("parked_by_another", order=there)
    replaced: list[Order] = []
    for existing in own:
        stop_parking(session, kanava, existing, now=now, channel=channel, reason="moved")
        replaced.append(existing)

    end, amount = quote(zone, now, minutes, kanava)
    if session.new:
        # Written before the new rows: they may refer to it (a customer or a vehicle just
        # added) or it happened first (the events of a moved car's parking ended above),
        # and the timeline is ordered by id.
        session.flush()
    order = _new_parking(
        kanava, customer, vehicle, plate, key, zone, minutes, end, amount, channel, now, language
    )
    # Left a parking unpaid lately: valid only once paid (kept only while it waits for
    # its payment, below).
    order.grace_withheld = not standing
    to_collect = ledger.amount_to_collect(order, kanava)
    payment: Payment | None = None
    if to_collect == 0:
        # Free time only (outside paid hours for the whole stay): nothing to pay.
        order.status = OrderStatus.ACTIVE
        order.payment_due_at = None
        order.grace_withheld = False
    elif billing.asked_by_link(order, to_collect, kanava):
        payment = ledger.pending_payment(kanava, order, to_collect, now)
    # The order, its payment and its event in one statement (Core: no unit of work).
    order_inserts.insert_parking(
        session,
        order,
        vehicle=vehicle if customers.is_unwritten(vehicle) else None,
        payment=payment,
        started=timeline.event_row(
            at=now,
            channel=channel,
            kind=EventKind.ORDER,
            customer_id=customer.id if customer is not None else None,
            body=f"parking started: {order.plate_display} in {zone.code}",
            data={
                "action": "started",
                "plate": order.plate_display,
                "zone": zone.code,
                "minutes": minutes,
                "ends_at": end.isoformat() if end else None,
                "amount_cents": amount,
                "currency": order.currency,
            },
        ),
    )
    if to_collect and payment is None:
        # Below the provider's minimum, or a saved card pays: billing decides, on the
        # written order (the unit of work writes what it changes).
        payment = billing.open_for_order(session, kanava, order, now=now)
        if order.status is not OrderStatus.AWAITING_PAYMENT:
            order.grace_withheld = False
    shortened = minutes is not None and end is not None and end < now + timedelta(minutes=minutes)
    return ParkingStarted(order=order, payment=payment, replaced=replaced, shortened=shortened)


def cost_if_stopped(order: Order, kanava: Kanava, now: datetime) -> tuple[datetime, int]:
    """When a live ``order`` stopped at ``now`` ends (``now``, or its end if earlier) and
    what it has cost by then: what :func:`stop_parking` charges, and previews show."""
    end = now if order.ends_at is None or now < order.ends_at else order.ends_at
    tariff = tariff_of(order.zone)
    return end, price(tariff, order.starts_at, max(end, order.starts_at), kanava.settings.tz)


def stop_preview(order: Order, kanava: Kanava, now: datetime) -> billing.StopSettlement:
    """What :func:`stop_parking` would charge, refund and waive if ``order`` stopped at
    ``now``, without doing it: the previews of the order page and the panel."""
    _end, cost = cost_if_stopped(order, kanava, now)
    return billing.stop_settlement(order, cost, kanava)


def stop_parking(
    session: Session,
    kanava: Kanava,
    order: Order,
    *,
    now: datetime,
    channel: Channel,
    actor: str | None = None,
    reason: str = "stopped",
) -> ParkingStopped:
    """End a live parking at ``now``.

    An open-ended parking is priced for the started minutes it ran and that amount is
    collected (captured from a held card, or asked through its payment link). A parking
    still awaiting payment is priced up to ``now`` only. A prepaid parking stopped early
    with an extension still unpaid asks only for the minutes used beyond what was paid.
    The order's row is locked first and its status checked under the lock.
    Raises ``OrderError("not_live")``.
    """
    order = lock_order(session, order)
    if order.status not in LIVE_STATUSES:
        raise OrderError("not_live", order_id=order.id)
    end, used = cost_if_stopped(order, kanava, now)
    payment = ledger.open_payment_of(order)
    held = ledger.held_payment_of(order)
    refunded = 0
    waived_before = ledger.waived_total(order)
    if billing.prepaid_stop(order):
        # A cost below the provider's minimum is not kept either: all paid goes back, and
        # the cost is waived below, as any stop waives it (ledger.charged_at_end).
        kept = ledger.charged_at_end(used, order.currency)
        if kept < order.amount_cents:
            refunded = refunds.refund_unused(session, kanava, order, kept, now=now)
        order.amount_cents = max(used, ledger.paid_total(order))
        # Anything carried on the order (below the provider's minimum) is settled now.
        payment = billing.settle(session, kanava, order, order.amount_cents, now=now)
    elif order.open_ended or order.status is OrderStatus.AWAITING_PAYMENT:
        order.amount_cents = used
        payment = billing.settle(session, kanava, order, used, now=now)
    else:
        # an unpaid extension: settling may give paid time back; the driver is told it
        refunded_before = sum(p.refunded_cents for p in order.payments)
        payment = billing.settle(session, kanava, order, used, now=now)
        refunded = sum(p.refunded_cents for p in order.payments) - refunded_before
        order.amount_cents = max(used, ledger.paid_total(order))
    order.status = OrderStatus.ENDED
    order.ended_at = end
    order.ends_at = end
    order.unpaid_from = None
    order.payment_due_at = None
    order.updated_at = now
    timeline.record(
        session,
        at=now,
        channel=channel,
        kind=EventKind.ORDER,
        customer=order.customer,
        order=order,
        actor=actor,
        body=f"parking {reason}: {order.plate_display} in {order.zone.code}",
        data={
            "action": {"moved": "moved", "max_stay": "ended_max_stay"}.get(reason, "stopped"),
            "plate": order.plate_display,
            "zone": order.zone.code,
            "ended_at": end.isoformat(),
            "amount_cents": order.amount_cents,
            "currency": order.currency,
            "reason": reason,
        },
    )
    return ParkingStopped(
        order=order,
        amount_cents=order.amount_cents,
        payment=payment,
        refunded_cents=refunded,
        waived_cents=ledger.waived_total(order) - waived_before,
        held_cents=held.amount_cents if held is not None else 0,
        released_cents=held.amount_cents - held.captured_cents if held is not None else 0,
    )


def extend_parking(
    session: Session,
    kanava: Kanava,
    order: Order,
    minutes: int,
    *,
    now: datetime,
    channel: Channel,
    actor: str | None = None,
) -> ParkingExtended:
    """Move a fixed-duration parking's end by ``minutes``, never past the zone's longest stay.

    The added price is added to the pending payment if the order is not paid yet, or asked
    as a new payment otherwise (a saved card is charged). An active order's extension that
    waits for its payment is marked (``unpaid_from`` the old end, ``payment_due_at`` the
    end of its grace): it counts as valid only once paid or within that grace, and lapses
    after it (``duties.lapse_unpaid_extensions``). Raises ``OrderError`` with
    ``not_live``, ``open_ended``, ``bad_duration`` or ``at_max_stay`` (with ``until``).
    The order's row is locked first.
    """
    order = lock_order(session, order)
    if order.status not in LIVE_STATUSES or (order.ends_at is not None and order.ends_at <= now):
        raise OrderError("not_live", order_id=order.id)
    if order.open_ended:
        raise OrderError("open_ended", until=order.ends_at)
    if not 0 < minutes <= MAX_DURATION_MINUTES:
        raise OrderError("bad_duration", minutes=minutes)
    assert order.ends_at is not None
    tariff = tariff_of(order.zone)
    wanted = order.ends_at + timedelta(minutes=minutes)
    new_end = capped_end(tariff, order.starts_at, wanted)
    assert new_end is not None
    if new_end <= order.ends_at:
        raise OrderError("at_max_stay", until=order.ends_at)
    tz = kanava.settings.tz
    new_total = price(tariff, order.starts_at, new_end, tz)
    added_cents = new_total - order.amount_cents
    added_minutes = int((new_end - order.ends_at).total_seconds() // 60)
    old_end = order.ends_at
    order.ends_at = new_end
    order.amount_cents = new_total
    order.reminder_sent_at = None
    order.updated_at = now
    payment = billing.charge_extension(session, kanava, order, added_cents, now=now)
    if (
        order.status is OrderStatus.ACTIVE
        and order.unpaid_from is None
        and payment is not None
        and payment.status is PaymentStatus.PENDING
    ):
        # Paid up to the old end; the extension counts only once paid, or for the grace.
        order.unpaid_from = old_end
        order.payment_due_at = now + timedelta(minutes=kanava.settings.payment_grace_minutes)
    timeline.record(
        session,
        at=now,
        channel=channel,
        kind=EventKind.ORDER,
        customer=order.customer,
        order=order,
        actor=actor,
        body=f"parking extended: {order.plate_display} until {new_end.isoformat()}",
        data={
            "action": "extended",
            "plate": order.plate_display,
            "zone": order.zone.code,
            "from": old_end.isoformat(),
            "to": new_end.isoformat(),
            "added_cents": added_cents,
            "amount_cents": added_cents,
            "currency": order.currency,
        },
    )
    return ParkingExtended(
        order=order,
        added_minutes=added_minutes,
        added_cents=added_cents,
        payment=payment,
        capped=new_end < wanted,
    )


@dataclass
class ExtensionLapsed:
    order: Order
    paid_end: datetime
    lapsed_end: datetime
    lapsed_cents: int
    # Money that came for the pending payment while it was being looked at, given back.
    returned: provider_payments.Returned | None = None


@dataclass
class ExtensionPaidLate:
    """The extension's checkout was paid, its event late: applied instead of lapsing."""

    payment: Payment
    applied: provider_payments.Applied


def lapse_extension(
    session: Session, kanava: Kanava, order: Order, *, now: datetime
) -> ExtensionLapsed | ExtensionPaidLate | None:
    """The extension of an active ``order`` was not paid within its grace: it lapses.

    The end goes back to the paid end (``unpaid_from``), the price to what that costs, the
    pending payment is cancelled and its checkout closed (money that still arrives for it
    is refunded: :func:`app.backend.provider_payments.apply_paid`), and the timeline records it.
    A checkout the driver completed whose event has not arrived yet is applied instead,
    and nothing lapses (:class:`ExtensionPaidLate`). Returns None when there is nothing to
    lapse (paid or changed meanwhile). The order's row is locked first. Does not commit;
    the caller tells the driver.
    """
    order = lock_order(session, order)
    due = order.payment_due_at
    if order.status is not OrderStatus.ACTIVE or order.unpaid_from is None or due is None:
        return None
    if due > now:
        return None
    pending = ledger.open_payment_of(order)
    late = provider_payments.Applied()
    if pending is not None:
        late = provider_payments.applied_if_paid(session, kanava, pending, now=now)
        if late.paid:
            return ExtensionPaidLate(pending, late)
    paid_end = order.unpaid_from
    lapsed_end = order.ends_at or paid_end
    lapsed = 0
    if pending is not None:
        lapsed = pending.amount_cents
        billing.cancel_pending(session, kanava, pending, now=now)
        pending.failure_reason = ledger.LAPSED
    order.ends_at = paid_end
    order.amount_cents = price(tariff_of(order.zone), order.starts_at, paid_end, kanava.settings.tz)
    order.unpaid_from = None
    order.payment_due_at = None
    # The notice of the lapse says when the parking ends: no reminder right after it.
    lead = timedelta(minutes=kanava.settings.reminder_lead_minutes)
    order.reminder_sent_at = now if paid_end - lead <= now else None
    order.updated_at = now
    timeline.record(
        session,
        at=now,
        channel=Channel.SYSTEM,
        kind=EventKind.ORDER,
        customer=order.customer,
        order=order,
        body=f"extension not paid, lapsed: {order.plate_display} in {order.zone.code}",
        data={
            "action": "extension_lapsed",
            "plate": order.plate_display,
            "zone": order.zone.code,
            "from": lapsed_end.isoformat(),
            "to": paid_end.isoformat(),
            "due_at": due.isoformat(),
            "amount_cents": lapsed,
            "currency": order.currency,
            "payment_id": pending.id if pending is not None else None,
        },
    )
    return ExtensionLapsed(order, paid_end, lapsed_end, lapsed, late.returned)


def cancel_order(
    session: Session,
    kanava: Kanava,
    order: Order,
    *,
    now: datetime,
    channel: Channel,
    actor: str | None = None,
    reason: str,
) -> Order:
    """Cancel a live parking or a booking: nothing more is asked of the driver.

    Pending payments are cancelled and their hosted checkouts closed; a card held for the
    order is released. Money already paid stays paid (refund it separately). A checkout
    paid in the same moment is refunded when its event arrives. The order's row is locked
    first. Does not commit. Raises ``OrderError("not_live")``.
    """
    order = lock_order(session, order)
    if order.status not in (*LIVE_STATUSES, OrderStatus.BOOKED):
        raise OrderError("not_live", order_id=order.id)
    for payment in order.payments:
        if payment.status is PaymentStatus.PENDING:
            billing.cancel_pending(session, kanava, payment, now=now)
            if reason == NOT_PAID_REASON:
                # The driver left it unpaid: their next parking has no grace.
                payment.failure_reason = ledger.NOT_PAID
        elif payment.status is PaymentStatus.AUTHORIZED:
            billing.release_hold(session, kanava, payment, now=now)
    order.status = OrderStatus.CANCELLED
    order.payment_due_at = None
    order.unpaid_from = None
    if order.starts_at < now:
        order.ended_at = now
        if order.ends_at is None or order.ends_at > now:
            order.ends_at = now
    order.updated_at = now
    timeline.record(
        session,
        at=now,
        channel=channel,
        kind=EventKind.ORDER,
        customer=order.customer,
        order=order,
        actor=actor,
        body=(
            f"{'parking' if order.kind is OrderKind.PARKING else 'booking'} cancelled"
            f" ({reason}): {order.plate_display} in {order.zone.code}"
        ),
        data={
            "action": "cancelled",
            "plate": order.plate_display,
            "zone": order.zone.code,
            "order_kind": order.kind.value,
            "reason": reason,
        },
    )
    return order


@dataclass(frozen=True)
class ValidElsewhere:
    """Where a plate that is not valid in the zone asked is validly parked now."""

    zone: str
    valid_until: datetime | None  # None: until stopped
    order_id: int


@dataclass(frozen=True)
class PlateCheck:
    plate: str
    zone: str | None
    valid: bool
    status: str | None
    valid_until: datetime | None
    order_id: int | None
    channel: str | None
    paid: bool
    # Asked about one zone and not valid there: the zone where the plate is valid now.
    elsewhere: ValidElsewhere | None = None
    # The booking's reference, when the order answered is a booking.
    booking_ref: str | None = None


class OrderTimes(Protocol):
    """What :func:`valid_until`, :func:`effective_status` and :func:`is_valid` read of an
    order: an :class:`~app.models.Order`, or a plate check's :class:`PlateCandidate`."""

    @property
    def kind(self) -> OrderKind: ...
    @property
    def status(self) -> OrderStatus: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def payment_due_at(self) -> datetime | None: ...
    @property
    def unpaid_from(self) -> datetime | None: ...
    @property
    def grace_withheld(self) -> bool: ...


class PlateCandidate(NamedTuple):
    """An order a plate check weighs: only the columns its answer needs, in the order
    :data:`_PLATE_CANDIDATES` selects them. A check reads orders and never changes them, so
    plain rows do: no ORM entity, identity map or zone to load per order."""

    id: int
    kind: OrderKind
    status: OrderStatus
    channel: Channel
    zone_code: str
    plate_display: str
    starts_at: datetime
    ends_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    payment_due_at: datetime | None
    unpaid_from: datetime | None
    grace_withheld: bool
    booking_ref: str | None
    # A payment still waits for the driver (``ledger.open_payment_of`` would find one).
    payment_pending: bool


# How far back a plate check looks for parkings that are over, and how many of them it
# weighs (the latest made first).
CHECK_HISTORY = timedelta(hours=24)
CHECK_HISTORY_LIMIT = 50
_order_c, _zone_c, _payment_c = Order.__table__.c, Zone.__table__.c, Payment.__table__.c
_now = bindparam("now", type_=_order_c.starts_at.type)
# The live statuses as fixed values of the statement: a plain ``in_(LIVE_STATUSES)`` is an
# "expanding" parameter, rendered anew into the SQL on every execution.
_LIVE_STATUS_VALUES = [literal(s, _order_c.status.type) for s in LIVE_STATUSES]
# Every order a check of one plate may weigh, in this zone and elsewhere, in one round
# trip: the parkings started by now and made in the last day, the live parkings of any
# age (open-ended ones may be older than a day), and the bookings whose window holds now.
# check_plate sorts them out in Python. Built once (a plate check is the handheld's hot
# path); the WHERE leads with plate_key, so ix_orders_plate_status finds the rows.
_PLATE_CANDIDATES = (
    select(
        _order_c.id,
        _order_c.kind,
        _order_c.status,
        _order_c.channel,
        _zone_c.code,
        _order_c.plate_display,
        _order_c.starts_at,
        _order_c.ends_at,
        _order_c.ended_at,
        _order_c.created_at,
        _order_c.payment_due_at,
        _order_c.unpaid_from,
        _order_c.grace_withheld,
        _order_c.booking_ref,
        exists()
        .where(_payment_c.order_id == _order_c.id, _payment_c.status == PaymentStatus.PENDING)
        .label("payment_pending"),
    )
    .select_from(Order.__table__.join(Zone.__table__, _zone_c.id == _order_c.zone_id))
    .where(
        _order_c.plate_key == bindparam("key"),
        or_(
            and_(
                _order_c.kind == OrderKind.PARKING,
                or_(
                    _order_c.status.in_(_LIVE_STATUS_VALUES),
                    and_(_order_c.starts_at <= _now, _order_c.created_at >= bindparam("since")),
                ),
            ),
            and_(
                _order_c.kind == OrderKind.BOOKING,
                _order_c.status == OrderStatus.BOOKED,
                _order_c.starts_at <= _now,
                _order_c.ends_at > _now,
            ),
        ),
    )
)


# For a caller that folds the candidates into a statement of its own (the handheld's check
# on PostgreSQL reads its token and the candidates in one round trip): the query, and its
# parameters for a plate key at a moment.
PLATE_CANDIDATES = _PLATE_CANDIDATES


def plate_candidate_params(key: str, now: datetime) -> dict[str, object]:
    """The parameters of :data:`PLATE_CANDIDATES` for plate key ``key`` at ``now``."""
    return {"key": key, "now": now, "since": now - CHECK_HISTORY}


def _plate_candidates(session: Session, key: str, now: datetime) -> list[PlateCandidate]:
    rows = session.execute(_PLATE_CANDIDATES, plate_candidate_params(key, now))
    return [PlateCandidate._make(row) for row in rows]


def _live_or_booked(order: PlateCandidate) -> bool:
    """A live parking, or a booking whose window holds now (the query fetches no other)."""
    return order.kind is OrderKind.BOOKING or order.status in LIVE_STATUSES


def _weighed_here(found: list[PlateCandidate], now: datetime) -> list[PlateCandidate]:
    """Of the orders found in the zone asked: the latest :data:`CHECK_HISTORY_LIMIT`
    parkings of the last day, and every live parking and booking now besides."""
    since = now - CHECK_HISTORY
    history = sorted(
        (
            o
            for o in found
            if o.kind is OrderKind.PARKING and o.starts_at <= now and o.created_at >= since
        ),
        key=lambda o: (o.created_at, o.id),
        reverse=True,
    )[:CHECK_HISTORY_LIMIT]
    weighed = {o.id for o in history}
    return [*history, *(o for o in found if o.id not in weighed and _live_or_booked(o))]


def _paid(order: PlateCandidate) -> bool:
    """:func:`is_paid` of an active order or a booking, from the row's own columns."""
    return (
        order.status in (OrderStatus.ACTIVE, OrderStatus.BOOKED)
        and order.unpaid_from is None
        and not order.payment_pending
    )


def check_plate(
    session: Session, kanava: Kanava, plate: str, zone_code: str | None, now: datetime
) -> PlateCheck:
    """Is ``plate`` (any spelling) validly parked at ``now``, in ``zone_code`` if given?

    Answers with the best live order (valid first, latest end first); with none, the most
    recent order of the last 24 hours, marked not valid; with none of those, nothing.
    Asked about one zone where the plate is not valid, ``elsewhere`` names the zone where
    it is validly parked now (the latest valid end first), so an attendant one street
    away does not take a paying driver for one who did not pay. One query.
    """
    found = _plate_candidates(session, normalize_plate(plate), now)
    return weigh_plate(kanava, found, plate, zone_code, now)


def weigh_plate(
    kanava: Kanava,
    found: list[PlateCandidate],
    plate: str,
    zone_code: str | None,
    now: datetime,
) -> PlateCheck:
    """:func:`check_plate`'s answer from the orders :data:`PLATE_CANDIDATES` found for the
    plate (read by the caller); reads nothing."""
    grace = timedelta(minutes=kanava.settings.payment_grace_minutes)
    zone_key = zone_code.strip().upper() if zone_code else None
    candidates = _weighed_here(
        [o for o in found if o.zone_code == zone_key] if zone_key else found, now
    )

    valid = [o for o in candidates if is_valid(o, now, grace)]
    far_future = now + timedelta(days=3650)
    elsewhere: ValidElsewhere | None = None
    shown = display_plate(plate)
    if zone_key and not valid:
        valid_others = [
            o
            for o in found
            if o.zone_code != zone_key and _live_or_booked(o) and is_valid(o, now, grace)
        ]
        if valid_others:
            there = max(valid_others, key=lambda o: (valid_until(o, grace) or far_future, o.id))
            elsewhere = ValidElsewhere(there.zone_code, valid_until(there, grace), there.id)
            shown = there.plate_display
    if valid:
        best = max(valid, key=lambda o: (valid_until(o, grace) or far_future, o.id))
    elif candidates:
        best = max(candidates, key=lambda o: (o.ended_at or o.ends_at or o.created_at, o.id))
    else:
        return PlateCheck(
            plate=shown,
            zone=zone_key,
            valid=False,
            status=None,
            valid_until=None,
            order_id=None,
            channel=None,
            paid=False,
            elsewhere=elsewhere,
        )
    return PlateCheck(
        plate=best.plate_display,
        zone=best.zone_code,
        valid=bool(valid),
        status=effective_status(best, now).value,
        valid_until=valid_until(best, grace),
        order_id=best.id,
        channel=best.channel.value,
        paid=_paid(best),
        elsewhere=elsewhere,
        booking_ref=best.booking_ref,
    )


def manage_link(kanava: Kanava, order: Order) -> str:
    """The link to the order's own page (``/o/<token>``): stop, extend and receipt with no
    phone. Orders made before such pages existed get their token here (flushed by the
    caller's transaction)."""
    if order.manage_token is None:
        order.manage_token = ledger.new_token()
    return f"{kanava.settings.public_base_url}/o/{order.manage_token}"


def find_by_manage_token(session: Session, token: str) -> Order | None:
    if not looks_like_token(token):
        return None
    return session.scalar(select(Order).where(Order.manage_token == token))


def get_order(session: Session, order_id: int) -> Order | None:
    return session.get(Order, order_id)
