"""The order's own page (``/o/<manage_token>``): see, stop and extend a parking, no phone.

Whoever holds the link manages the order, as the driver's phone does by SMS: a parking
made on the web form without a phone number has no other way to be stopped. The read
side (:func:`view`) gives the page what it shows; :func:`stop` and :func:`extend` are the
use cases behind its two forms. They go through the same order backend as every other
channel, commit once, then send what the outbox holds (the driver's SMS, when the order
has a phone). Each form carries an idempotency key (:mod:`app.usecases.form_keys`): a
double tap stops or extends once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from app.backend import ledger, orders, receipts, timeline
from app.backend.zones import tariff_of
from app.domain.pricing import capped_end, is_paid_time, next_paid_change, price
from app.kernel import Kanava
from app.models import (
    LIVE_STATUSES,
    Channel,
    EventKind,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    WebhookReceipt,
    Zone,
)
from app.texts import messages
from app.usecases import form_keys
from app.usecases import outbox_dispatch as notifications

# The extensions offered on the page, in minutes.
EXTENSIONS: tuple[int, ...] = (15, 30, 60, 120)


class OrderPageError(Exception):
    """A request the page refuses: ``unknown`` (no such link), or the order backend's code
    (``not_live``, ``open_ended``, ``at_max_stay``, ``bad_duration``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ExtensionQuote:
    """More time for a fixed-duration parking: the new end (never past the longest stay)
    and what it adds to the price."""

    minutes: int
    ends_at: datetime
    added_cents: int
    capped: bool


@dataclass(frozen=True)
class StopPreview:
    """What stopping at ``now`` would do: the parking's price up to then, and what happens
    to the money: ``capture`` (taken from the held card), ``pay`` (still to pay),
    ``refund`` (the unused time goes back), ``waived`` (a cost under the provider's
    minimum ``minimum_cents``: never asked, a held card released, and ``refund_cents`` of
    what was paid goes back) or ``nothing``."""

    cost_cents: int
    outcome: Literal["capture", "pay", "refund", "waived", "nothing"]
    amount_cents: int
    minimum_cents: int = 0
    refund_cents: int = 0


@dataclass(frozen=True)
class PriceNow:
    """A zone's tariff as it stands at a moment: the hourly rate, and whether parking is
    free now (``free_until``: when the next paid time starts, None when no paid time
    comes within a week) or paid (``paid_until``: when it turns free, if it does within a
    week)."""

    rate_cents: int
    free_now: bool
    free_until: datetime | None
    paid_until: datetime | None


@dataclass(frozen=True)
class OrderView:
    """What the order's page shows, computed at ``now``."""

    order: Order
    status: OrderStatus
    valid: bool
    valid_until: datetime | None
    live: bool
    has_phone: bool
    paid_cents: int  # what the receipt says was paid, refunds deducted
    held_cents: int
    # What the driver still has to pay through its link (:func:`orders.owed`): a first
    # payment, a card hold, an unpaid extension (with the end paid so far) or a debt.
    owed: orders.Owed | None
    cost_so_far_cents: int | None  # a live open-ended parking: its price up to now
    tariff: PriceNow | None  # for a live parking: free or paid now, and until when
    receipt: receipts.Receipt | None = None  # the parking's one receipt, once money moved
    extensions: list[ExtensionQuote] = field(default_factory=list)
    # Below the provider's minimum, never asked (waived or carried): the page says so.
    not_asked_cents: int = 0
    minimum_cents: int = 0


def order_for_token(session: Session, token: str) -> Order | None:
    """The parking behind a manage link; None for an unknown token."""
    order = orders.find_by_manage_token(session, token) if token else None
    return order if order is not None and order.kind is OrderKind.PARKING else None


def _grace(kanava: Kanava) -> timedelta:
    return timedelta(minutes=kanava.settings.payment_grace_minutes)


def is_live(order: Order, now: datetime) -> bool:
    """Whether the parking can still be stopped: not ended, cancelled or run out."""
    return order.status in LIVE_STATUSES and (order.ends_at is None or order.ends_at > now)


def extension_quotes(order: Order, kanava: Kanava, now: datetime) -> list[ExtensionQuote]:
    """The extensions the page offers, priced as :func:`orders.extend_parking` prices
    them; none for an open-ended or ended parking, or one at the zone's longest stay."""
    if order.open_ended or order.ends_at is None or not is_live(order, now):
        return []
    tariff = tariff_of(order.zone)
    tz = kanava.settings.tz
    offered: list[ExtensionQuote] = []
    for minutes in EXTENSIONS:
        wanted = order.ends_at + timedelta(minutes=minutes)
        new_end = capped_end(tariff, order.starts_at, wanted)
        if new_end is None or new_end <= order.ends_at:
            continue
        if offered and new_end == offered[-1].ends_at:
            continue  # capped to the same end as the shorter choice
        added = price(tariff, order.starts_at, new_end, tz) - order.amount_cents
        offered.append(ExtensionQuote(minutes, new_end, max(added, 0), new_end < wanted))
    return offered


def stop_preview(order: Order, kanava: Kanava, now: datetime) -> StopPreview:
    """What :func:`orders.stop_parking` would charge or give back if stopped at ``now``
    (:func:`orders.stop_preview` decides it as the stop does)."""
    settled = orders.stop_preview(order, kanava, now)
    cost = settled.cost_cents
    if settled.waived_cents:
        return StopPreview(
            cost, "waived", settled.waived_cents, settled.minimum_cents, settled.refund_cents
        )
    if settled.charge_cents:
        outcome: Literal["capture", "pay"] = "capture" if settled.from_hold else "pay"
        return StopPreview(cost, outcome, settled.charge_cents)
    if settled.refund_cents:
        return StopPreview(cost, "refund", settled.refund_cents)
    return StopPreview(cost, "nothing", 0)


def price_now(zone: Zone, kanava: Kanava, now: datetime) -> PriceNow:
    """Free or paid in ``zone`` at ``now``, and until when (:func:`pricing.next_paid_change`)."""
    tariff = tariff_of(zone)
    tz = kanava.settings.tz
    if tariff.rate_per_hour_cents == 0:
        return PriceNow(0, True, None, None)
    change = next_paid_change(tariff, now, tz)
    if is_paid_time(tariff, now, tz):
        return PriceNow(tariff.rate_per_hour_cents, False, None, change)
    return PriceNow(tariff.rate_per_hour_cents, True, change, None)


def view(session: Session, kanava: Kanava, token: str, now: datetime) -> OrderView | None:
    """The page of the order behind ``token`` at ``now``; None for an unknown token."""
    order = order_for_token(session, token)
    if order is None:
        return None
    live = is_live(order, now)
    held = ledger.held_payment_of(order)
    cost_so_far = None
    if live and order.open_ended:
        cost_so_far = stop_preview(order, kanava, now).cost_cents
    receipt = receipts.receipt_of_order(kanava, order)
    status = orders.effective_status(order, now)
    if status is OrderStatus.AWAITING_PAYMENT and order.status is OrderStatus.ACTIVE:
        # Paid, only an extension waits (``owed`` of kind ``extension``): the parking runs,
        # and the page shows the extension's payment apart. (The handheld still answers
        # ``awaiting_payment``: the plate is valid only up to the paid end.)
        status = OrderStatus.ACTIVE
    return OrderView(
        order=order,
        status=status,
        valid=orders.is_valid(order, now, _grace(kanava)),
        valid_until=orders.valid_until(order, _grace(kanava)),
        live=live,
        has_phone=order.customer is not None,
        paid_cents=receipt.gross_cents if receipt is not None else 0,
        held_cents=held.amount_cents if held is not None else 0,
        owed=orders.owed(kanava, order),
        cost_so_far_cents=cost_so_far,
        tariff=price_now(order.zone, kanava, now) if live else None,
        receipt=receipt if receipt is not None and receipt.charged_cents > 0 else None,
        extensions=extension_quotes(order, kanava, now),
        not_asked_cents=ledger.not_asked_cents(order),
        minimum_cents=ledger.minimum_charge_cents(order.currency),
    )


@dataclass(frozen=True)
class Done:
    """What a form did: the order as it is now, and the payment that waits for the driver
    (None when nothing is to pay). ``repeated``: the same form had been sent before and
    nothing more was done."""

    order: Order
    payment: Payment | None
    repeated: bool = False


def _repeat(session: Session, order: Order) -> Done:
    session.refresh(order)
    due = ledger.open_payment_of(order)
    return Done(order, due if due is not None and due.amount_cents > 0 else None, repeated=True)


def _finish(session: Session, kanava: Kanava, now: datetime) -> None:
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)


def _record(order: Order, session: Session, now: datetime, action: str, **data: object) -> None:
    timeline.record(
        session,
        at=now,
        channel=Channel.WEB,
        kind=EventKind.WEB_ACTION,
        customer=order.customer,
        order=order,
        body=f"order page: {action} {order.plate_display} in {order.zone.code}",
        data={"action": action, "plate": order.plate_display, "zone": order.zone.code, **data},
    )


def stop(session: Session, kanava: Kanava, token: str, key: str | None, now: datetime) -> Done:
    """Stop the parking behind ``token`` at ``now`` through :func:`orders.stop_parking`
    (the minutes used are charged, a held card captured, unused prepaid time refunded).
    The driver's phone, if the order has one, gets the usual SMS. Commits, then sends it.

    Sent again with the same ``key`` it does nothing more and returns the order as it is.
    Raises :class:`OrderPageError` ``unknown`` or ``not_live``.
    """
    order = order_for_token(session, token)
    if order is None:
        raise OrderPageError("unknown")
    receipt = form_keys.claim(
        session, form_keys.claim_id("stop", form_keys.usable(key), token), now
    )
    if receipt is None:
        return _repeat(session, order)
    try:
        stopped = orders.stop_parking(session, kanava, order, now=now, channel=Channel.WEB)
    except orders.OrderError as exc:
        session.rollback()
        raise OrderPageError(exc.code) from exc
    order = stopped.order
    _record(order, session, now, "stop", amount_cents=stopped.amount_cents, currency=order.currency)
    link = ledger.link_to_pay(kanava, stopped.payment)
    if order.customer is not None:
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
        notifications.queue_sms(
            session, kanava, order.customer, text, purpose="web_stop", order=order, now=now
        )
    payment = stopped.payment if link else None
    form_keys.answer(receipt, order_id=order.id, payment_id=payment.id if payment else None)
    _finish(session, kanava, now)
    return Done(order, payment)


def extend(
    session: Session,
    kanava: Kanava,
    token: str,
    minutes: int,
    key: str | None,
    now: datetime,
    seen_end: str | None = None,
) -> Done:
    """Give the fixed-duration parking behind ``token`` ``minutes`` more through
    :func:`orders.extend_parking`; the returned payment asks for the added price (None when
    the added time is free or a saved card paid it). Commits, then sends the driver's SMS.

    Sent again with the same ``key`` and ``minutes`` it does nothing more. ``seen_end`` is
    the end the page showed (ISO 8601, as the form carries it): when the order's end, read
    under its row lock, is no longer that (another tab or an SMS extended it), nothing is
    done: ``changed``. Raises :class:`OrderPageError` ``unknown``, ``bad_duration``,
    ``changed``, ``not_live``, ``open_ended`` or ``at_max_stay``.
    """
    order = order_for_token(session, token)
    if order is None:
        raise OrderPageError("unknown")
    if minutes not in EXTENSIONS:
        raise OrderPageError("bad_duration")
    claim = form_keys.claim_id("extend", form_keys.usable(key), token, minutes)
    receipt = form_keys.claim(session, claim, now)
    if receipt is None:
        return _repeat(session, order)
    if seen_end is not None and not _same_end(orders.lock_order(session, order), seen_end):
        session.rollback()
        raise OrderPageError("changed")
    return extend_claimed(session, kanava, order, minutes, receipt, now, tell_driver=True)


def _same_end(order: Order, seen_end: str) -> bool:
    """Whether the order still ends where the page showed (``""``: it showed no end)."""
    if not seen_end or order.ends_at is None:
        return not seen_end and order.ends_at is None
    try:
        return datetime.fromisoformat(seen_end) == order.ends_at
    except ValueError:
        return False


def extend_claimed(
    session: Session,
    kanava: Kanava,
    order: Order,
    minutes: int,
    receipt: WebhookReceipt,
    now: datetime,
    *,
    tell_driver: bool,
) -> Done:
    """Extend ``order`` once its form's key is claimed (``receipt``); see :func:`extend`."""
    try:
        extended = orders.extend_parking(
            session, kanava, order, minutes, now=now, channel=Channel.WEB
        )
    except orders.OrderError as exc:
        session.rollback()
        raise OrderPageError(exc.code) from exc
    order = extended.order
    _record(
        order,
        session,
        now,
        "extend",
        minutes=minutes,
        amount_cents=extended.added_cents,
        currency=order.currency,
        ends_at=order.ends_at.isoformat() if order.ends_at else None,
    )
    link = ledger.link_to_pay(kanava, extended.payment)
    if tell_driver and order.customer is not None:
        text = messages.parking_extended(
            order,
            extended.added_cents,
            extended.capped,
            link,
            messages.language_of(order),
            kanava,
            now,
        )
        notifications.queue_sms(
            session, kanava, order.customer, text, purpose="web_extend", order=order, now=now
        )
    payment = extended.payment if link else None
    form_keys.answer(receipt, order_id=order.id, payment_id=payment.id if payment else None)
    _finish(session, kanava, now)
    return Done(order, payment)
