"""Outbound SMS: every message is a row in the outbox first, then sent by a notifier.

The notifier is Twilio's REST API when Twilio is configured, else the local outbox that the
phone simulator shows. The contract of the outbox:

- A message is queued in the same transaction as the work that causes it (a payment, a
  reminder claim), so it exists exactly when that work happened.
- :func:`dispatch_due` claims one message at a time (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises the claim) and commits the claim
  before talking to the network: no database lock is held while Twilio answers, and no two
  dispatchers ever send one message.
- A failed send is retried with back-off; after :data:`MAX_ATTEMPTS` the message is
  ``failed`` and the timeline says so. A message interrupted mid-send (the process died)
  is taken up again after :data:`SENDING_TIMEOUT`.
- Opted-out numbers get nothing (the row is kept, ``suppressed``). A message that no longer
  makes sense when its turn comes (a reminder for a parking that has since ended or been
  extended, a debt reminder for a debt paid meanwhile, anything past its ``expires_at``)
  is dropped, ``suppressed``, and noted in the timeline.
- Twilio's status callbacks (:func:`record_delivery_status`) move a message forward only:
  ``sent`` < ``undelivered``/``failed`` < ``delivered``; a late ``sent`` changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.backend import timeline
from app.kernel import Kanava
from app.kernel.notifier import NotifierError
from app.models import (
    LIVE_STATUSES,
    Channel,
    Customer,
    Event,
    EventKind,
    Order,
    OutboundMessage,
    OutboundStatus,
    PaymentStatus,
)
from app.texts import messages

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
)
# A message still ``sending`` this long after its claim belongs to a dispatcher that died
# between claiming and recording the result: it is queued again.
SENDING_TIMEOUT = timedelta(minutes=5)
# Purposes whose message is about one planned end of the order: when that end moves (the
# driver extended) or the order is no longer live, the message is obsolete.
END_BOUND_PURPOSES = frozenset({"reminder"})

# Twilio's MessageStatus values (https://www.twilio.com/docs/messaging/api/message-resource
# #message-status-values) mapped to the outbox; the ones before "sent" change nothing.
TWILIO_STATUSES: dict[str, OutboundStatus] = {
    "sent": OutboundStatus.SENT,
    "delivered": OutboundStatus.DELIVERED,
    "read": OutboundStatus.DELIVERED,
    "undelivered": OutboundStatus.UNDELIVERED,
    "failed": OutboundStatus.FAILED,
}
_RANK = {
    OutboundStatus.QUEUED: 0,
    OutboundStatus.SENDING: 0,
    OutboundStatus.SENT: 1,
    OutboundStatus.UNDELIVERED: 2,
    OutboundStatus.FAILED: 2,
    OutboundStatus.DELIVERED: 3,
    OutboundStatus.SUPPRESSED: 4,
}
EARLY_STATUS_INTENT = "delivery_status"


# Purpose of the text that tells a number typed on the web form where it came from.
INTRODUCTION = "web_introduction"


def _never_heard_from(session: Session, customer: Customer) -> bool:
    """Whether the number has never texted or called the service, nor been texted by it."""
    spoke = session.scalar(
        select(Event.id)
        .where(
            Event.customer_id == customer.id,
            Event.kind.in_((EventKind.MESSAGE_IN, EventKind.CALL_STEP)),
        )
        .limit(1)
    )
    texted = session.scalar(
        select(OutboundMessage.id).where(OutboundMessage.customer_id == customer.id).limit(1)
    )
    return spoke is None and texted is None


def queue_sms(
    session: Session,
    kanava: Kanava,
    customer: Customer,
    body: str,
    *,
    purpose: str,
    now: datetime,
    order: Order | None = None,
    expires_at: datetime | None = None,
) -> OutboundMessage:
    """Put one SMS in the outbox (flushed, not committed).

    Opted-out customers get a ``suppressed`` row that is never sent. ``expires_at``: the
    message is dropped rather than sent after that moment (for a ``reminder``, pass the
    end it warns about; if the order's end moves, the reminder is obsolete too). The first
    text about a web-form order to a number that has never texted or called the service
    is preceded by one saying where the number came from and how to opt out.
    """
    web_order = order is not None and order.channel is Channel.WEB
    if web_order and purpose != INTRODUCTION and _never_heard_from(session, customer):
        assert order is not None
        intro = messages.web_number_introduction(order, messages.language_of(order))
        queue_sms(session, kanava, customer, intro, purpose=INTRODUCTION, now=now, order=order)
    suppressed = customer.opted_out
    event = timeline.record(
        session,
        at=now,
        channel=Channel.SMS,
        kind=EventKind.MESSAGE_OUT,
        customer=customer,
        order=order,
        body=body,
        data={"purpose": purpose, "status": "suppressed" if suppressed else "queued"},
    )
    session.flush()  # the outbox row points at its timeline event
    message = OutboundMessage(
        customer=customer,
        order_id=order.id if order else None,
        to_number=customer.phone,
        body=body,
        purpose=purpose,
        status=OutboundStatus.SUPPRESSED if suppressed else OutboundStatus.QUEUED,
        next_attempt_at=None if suppressed else now,
        expires_at=expires_at,
        last_error="opted out" if suppressed else None,
        event_id=event.id,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    session.flush()
    if not suppressed:
        session.info.setdefault(_QUEUED_HERE, []).append(message.id)
    return message


def queue_parking_confirmation(
    session: Session, kanava: Kanava, order: Order, *, now: datetime, purpose: str
) -> OutboundMessage | None:
    """Text the driver the confirmation of a parking that needs no payment link (free time,
    an amount below the provider's minimum, a saved card charged), for a front door whose
    own answer is not an SMS (the web form given a phone number): where and until when,
    the one-word commands and the order's own page. None when the order has no phone."""
    if order.customer is None:
        return None
    text = messages.parking_started(order, None, None, messages.language_of(order), kanava, now)
    return queue_sms(session, kanava, order.customer, text, purpose=purpose, order=order, now=now)


# Ids of the messages queued in this session since the last dispatch_queued().
_QUEUED_HERE = "kanava.outbox.queued_here"


def dispatch_queued(session: Session, kanava: Kanava, *, now: datetime) -> int:
    """Send the messages this session queued (after its commit), and nothing else.

    Request handlers use this so that a webhook answer never waits on the whole outbox
    backlog; the clock sweeps the rest with :func:`dispatch_due`.
    """
    ids = session.info.pop(_QUEUED_HERE, [])
    if not ids:
        return 0
    return dispatch_due(session, kanava, now=now, limit=len(ids), only=ids)


@dataclass(frozen=True)
class _Claimed:
    id: int
    to: str
    body: str


DROPPED = "dropped"


def _why_obsolete(session: Session, message: OutboundMessage, now: datetime) -> str | None:
    """Why ``message`` must not be sent now, or None when it still makes sense."""
    if message.customer.opted_out:
        return "opted out"
    if message.expires_at is not None and now >= message.expires_at:
        return "too late"
    if message.purpose == "debt_reminder":
        order = session.get(Order, message.order_id) if message.order_id else None
        if order is None or not any(p.status is PaymentStatus.PENDING for p in order.payments):
            return "paid meanwhile"
    if message.purpose in END_BOUND_PURPOSES:
        order = session.get(Order, message.order_id) if message.order_id else None
        if order is None or order.status not in LIVE_STATUSES:
            return "order no longer live"
        if reminded_end(order) != message.expires_at:
            return "order end has moved"
    return None


def reminded_end(order: Order) -> datetime | None:
    """The end a reminder about ``order`` speaks of: the paid end while an extension waits
    for its payment (paying it or letting it lapse moves it), else the planned end."""
    return order.unpaid_from or order.ends_at


def _event_status(session: Session, message: OutboundMessage, status: OutboundStatus) -> None:
    """Mirror the delivery status on the message's timeline event."""
    if message.event_id is None:
        return
    event = session.get(Event, message.event_id)
    if event is not None:
        event.data = {**(event.data or {}), "status": status.value}


def _note(
    session: Session, message: OutboundMessage, now: datetime, body: str, **data: object
) -> None:
    timeline.record(
        session,
        at=now,
        channel=Channel.SYSTEM,
        kind=EventKind.SYSTEM,
        customer=message.customer,
        order=session.get(Order, message.order_id) if message.order_id else None,
        body=body,
        data={"outbound_id": message.id, "purpose": message.purpose, **data},
    )


def _claim_next(
    session: Session, now: datetime, only: Collection[int] | None = None
) -> _Claimed | str | None:
    """Take the next due message for sending and commit the claim.

    Returns the claimed message, :data:`DROPPED` when the next message was dropped instead
    (it no longer makes sense), or None when nothing is due.
    """
    query = select(OutboundMessage).where(
        OutboundMessage.status == OutboundStatus.QUEUED,
        or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now),
    )
    if only is not None:
        query = query.where(OutboundMessage.id.in_(list(only)))
    message = session.scalars(
        query.order_by(OutboundMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()
    if message is None:
        session.commit()
        return None
    reason = _why_obsolete(session, message, now)
    if reason is not None:
        message.status = OutboundStatus.SUPPRESSED
        message.next_attempt_at = None
        message.last_error = reason
        message.updated_at = now
        _event_status(session, message, OutboundStatus.SUPPRESSED)
        _note(
            session,
            message,
            now,
            f"SMS dropped ({message.purpose}): {reason}",
            reason=reason,
            action="dropped",
        )
        session.commit()
        return DROPPED
    message.status = OutboundStatus.SENDING
    message.attempts = message.attempts + 1
    # While sending, next_attempt_at is when the claim lapses (the dispatcher died).
    message.next_attempt_at = now + SENDING_TIMEOUT
    message.updated_at = now
    claimed = _Claimed(id=message.id, to=message.to_number, body=message.body)
    session.commit()
    return claimed


def _record_sent(
    session: Session, kanava: Kanava, message_id: int, sid: str, now: datetime
) -> None:
    message = session.get(OutboundMessage, message_id)
    assert message is not None
    message.provider_sid = sid
    status = OutboundStatus.DELIVERED if kanava.notifier.name == "local" else OutboundStatus.SENT
    # Twilio may call back before this commit: apply what it already said.
    for early in session.scalars(
        select(Event).where(Event.external_id == sid, Event.intent == EARLY_STATUS_INTENT)
    ):
        reported = TWILIO_STATUSES.get(str((early.data or {}).get("status")))
        if reported is not None and _RANK[reported] > _RANK[status]:
            status = reported
    message.status = status
    message.next_attempt_at = None
    message.last_error = None
    message.updated_at = now
    _event_status(session, message, status)
    session.commit()


def _record_failure(session: Session, message_id: int, exc: NotifierError, now: datetime) -> None:
    message = session.get(OutboundMessage, message_id)
    assert message is not None
    message.last_error = str(exc)[:255]
    message.updated_at = now
    if exc.permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboundStatus.FAILED
        message.next_attempt_at = None
        _event_status(session, message, OutboundStatus.FAILED)
        _note(
            session,
            message,
            now,
            f"SMS not sent ({message.purpose}) after {message.attempts} attempts: "
            f"{message.last_error}",
            error=message.last_error,
            action="send_failed",
            attempts=message.attempts,
        )
    else:
        message.status = OutboundStatus.QUEUED
        message.next_attempt_at = now + BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
    log.warning("outbound message %s failed: %s", message.id, message.last_error)
    session.commit()


def requeue_interrupted(session: Session, now: datetime) -> int:
    """Messages left ``sending`` by a dispatcher that died are queued again. Commits.

    The interrupted attempt counts: it may have reached Twilio, and retrying it for ever
    could send it many times.
    """
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.status == OutboundStatus.SENDING,
            OutboundMessage.next_attempt_at <= now,
        )
        .values(
            status=OutboundStatus.QUEUED,
            next_attempt_at=now,
            last_error="interrupted while sending",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def dispatch_due(
    session: Session,
    kanava: Kanava,
    *,
    now: datetime,
    limit: int = 1000,
    only: Collection[int] | None = None,
) -> int:
    """Send the outbox's due messages, at most ``limit``; returns how many were sent.

    Commits the claim of each message before sending it and its result after. Stops early
    when the provider is unreachable: the remaining messages would only wait for the same
    timeout; the next sweep tries again after the back-off.
    """
    callback = (
        f"{kanava.settings.public_base_url}/twilio/status"
        if kanava.notifier.name == "twilio"
        else None
    )
    sent = 0
    for _ in range(limit):
        claimed = _claim_next(session, now, only)
        if claimed is None:
            break
        if isinstance(claimed, str):
            continue
        try:
            sid = kanava.notifier.send(claimed.to, claimed.body, status_callback=callback)
        except NotifierError as exc:
            _record_failure(session, claimed.id, exc, now)
            if exc.unreachable:
                break
        else:
            _record_sent(session, kanava, claimed.id, sid, now)
            sent += 1
    return sent


def record_delivery_status(
    session: Session,
    *,
    message_sid: str,
    status: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Apply one Twilio status callback; True when the message's status changed. Commits.

    Idempotent and order-insensitive: a status never moves a message backwards (a late
    ``sent`` after ``delivered`` changes nothing), and a repeat changes nothing. An
    undelivered or failed message is noted in the timeline, where attendants see it. A
    callback for a message whose send is not recorded yet is kept and applied when it is.
    """
    new = TWILIO_STATUSES.get(status.strip().lower())
    message = session.scalars(
        select(OutboundMessage).where(OutboundMessage.provider_sid == message_sid).with_for_update()
    ).first()
    if message is None:
        if new is not None:
            timeline.record(
                session,
                at=now,
                channel=Channel.SYSTEM,
                kind=EventKind.SYSTEM,
                body=f"delivery status {status} for an SMS not recorded yet",
                external_id=message_sid[:64],
                intent=EARLY_STATUS_INTENT,
                data={"status": status, "error_code": error_code},
            )
        session.commit()
        return False
    if new is None or _RANK[new] <= _RANK[message.status]:
        session.commit()
        return False
    message.status = new
    message.updated_at = now
    if error_code:
        message.last_error = f"twilio status {status} {error_code}"[:255]
    _event_status(session, message, new)
    if new in (OutboundStatus.UNDELIVERED, OutboundStatus.FAILED):
        _note(
            session,
            message,
            now,
            f"SMS {status} ({message.purpose})" + (f", error {error_code}" if error_code else ""),
            error_code=error_code,
            status=status,
            action="delivery_failed",
        )
    session.commit()
    return True


def undelivered_for_order(session: Session, order_id: int) -> list[OutboundMessage]:
    """The order's outbound SMS that did not reach the driver (for attendants)."""
    return list(
        session.scalars(
            select(OutboundMessage)
            .where(
                OutboundMessage.order_id == order_id,
                OutboundMessage.status.in_((OutboundStatus.UNDELIVERED, OutboundStatus.FAILED)),
            )
            .order_by(OutboundMessage.id)
        )
    )
