"""Correcting a parking's plate or zone from the order's page (``/o/<token>``) and by
staff in the panel (issue 12; the SMS step is :mod:`app.usecases.sms.corrections`).

Both go through :func:`app.backend.corrections.correct_parking` (no second parking, no
second charge, the difference settled on the order), commit once, then send the driver's
SMS (when the order has a phone) through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.backend import corrections, ledger, orders, zones
from app.domain.plates import looks_like_plate
from app.kernel import Kanava
from app.models import Channel, Order, Payment, Zone
from app.texts import dialogue as texts
from app.texts import messages
from app.usecases import form_keys
from app.usecases import outbox_dispatch as notifications
from app.usecases.order_page import order_for_token


class CorrectionError(Exception):
    """Refused: ``unknown`` (no such order), ``too_late``, ``unchanged``, ``bad_plate``,
    ``unknown_zone``, ``nothing`` (neither a plate nor a zone given)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CorrectionDone:
    order: Order
    payment: Payment | None  # the payment that asks for the difference, with a link
    refunded_cents: int
    repeated: bool = False


def correctable_until(order: Order, kanava: Kanava, now: datetime) -> datetime | None:
    """Until when the page may offer a correction of ``order``; None when it may not."""
    if not corrections.can_correct(order, kanava, now):
        return None
    return corrections.correction_deadline(order, kanava)


def _target(session: Session, plate: str, zone_code: str) -> tuple[str | None, Zone | None]:
    plate, zone_code = plate.strip(), zone_code.strip().upper()
    if not plate and not zone_code:
        raise CorrectionError("nothing")
    if plate and not looks_like_plate(plate):
        raise CorrectionError("bad_plate")
    zone = zones.find(session, zone_code) if zone_code else None
    if zone_code and (zone is None or not zone.active):
        raise CorrectionError("unknown_zone")
    return plate or None, zone


def _apply(
    session: Session,
    kanava: Kanava,
    order: Order,
    plate: str | None,
    zone: Zone | None,
    now: datetime,
    *,
    channel: Channel,
    actor: str | None = None,
    note: str = "",
) -> CorrectionDone:
    try:
        done = corrections.correct_parking(
            session,
            kanava,
            order,
            plate=plate,
            zone=zone,
            now=now,
            channel=channel,
            actor=actor,
            note=note,
        )
    except orders.OrderError as exc:
        session.rollback()
        raise CorrectionError(exc.code) from exc
    link = ledger.link_to_pay(kanava, done.payment)
    payment = done.payment if link else None
    if done.order.customer is not None:
        lang = messages.language_of(done.order)
        text = texts.corrected(
            done.order,
            payment.amount_cents if payment else None,
            link,
            done.refunded_cents,
            lang,
            kanava,
            now,
        )
        notifications.queue_sms(
            session,
            kanava,
            done.order.customer,
            text,
            purpose="corrected",
            order=done.order,
            now=now,
        )
    return CorrectionDone(done.order, payment, done.refunded_cents)


def correct_from_page(
    session: Session,
    kanava: Kanava,
    token: str,
    *,
    plate: str,
    zone_code: str,
    key: str | None,
    now: datetime,
) -> CorrectionDone:
    """The order page's "wrong plate or zone?" form. Commits, then sends the SMS.
    Sent again with the same ``key`` it does nothing more. Raises :class:`CorrectionError`."""
    order = order_for_token(session, token)
    if order is None:
        raise CorrectionError("unknown")
    new_plate, zone = _target(session, plate, zone_code)
    receipt = form_keys.claim(
        session, form_keys.claim_id("correct", form_keys.usable(key), token), now
    )
    if receipt is None:
        session.refresh(order)
        return CorrectionDone(order, None, 0, repeated=True)
    done = _apply(session, kanava, order, new_plate, zone, now, channel=Channel.WEB)
    form_keys.answer(
        receipt, order_id=order.id, payment_id=done.payment.id if done.payment else None
    )
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return done


def _live_parking(session: Session, kanava: Kanava, order_id: int, now: datetime) -> Order:
    order = orders.get_order(session, order_id)
    if order is None:
        raise CorrectionError("unknown")
    if not corrections.can_correct(order, kanava, now):
        raise CorrectionError("too_late")
    return order


def staff_quote(
    session: Session,
    kanava: Kanava,
    order_id: int,
    *,
    plate: str,
    zone_code: str,
    now: datetime,
) -> corrections.CorrectionQuote:
    """What :func:`correct_by_staff` would do, for its confirmation page. Raises
    :class:`CorrectionError` (``unchanged`` when it would change nothing)."""
    order = _live_parking(session, kanava, order_id, now)
    new_plate, zone = _target(session, plate, zone_code)
    quoted = corrections.quote(order, new_plate, zone, kanava)
    if quoted.plate == order.plate_display and quoted.zone.id == order.zone_id:
        raise CorrectionError("unchanged")
    return quoted


def correct_by_staff(
    session: Session,
    kanava: Kanava,
    actor: str,
    order_id: int,
    *,
    plate: str,
    zone_code: str,
    note: str,
    now: datetime,
) -> CorrectionDone:
    """Staff's confirmed correction (the panel); the driver gets the SMS. A second
    confirmation of the same change finds nothing to change (``unchanged``). Commits."""
    order = _live_parking(session, kanava, order_id, now)
    new_plate, zone = _target(session, plate, zone_code)
    done = _apply(
        session, kanava, order, new_plate, zone, now, channel=Channel.ADMIN, actor=actor, note=note
    )
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)
    return done
