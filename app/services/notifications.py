"""Outbound SMS: every message is a row in the outbox first, then sent by a notifier.

The notifier is Twilio's REST API when Twilio is configured, else the local outbox that the
phone simulator shows. Opted-out numbers get nothing (the row is kept, ``suppressed``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import (
    Channel,
    Customer,
    EventKind,
    Order,
    OutboundMessage,
    OutboundStatus,
)
from app.services import timeline

if TYPE_CHECKING:
    from app import Kanava

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
)


class NotifierError(Exception):
    """Sending failed; ``permanent`` when retrying cannot help (an invalid number)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Notifier(Protocol):
    name: str

    def send(self, to: str, body: str, *, status_callback: str | None) -> str:
        """Send one SMS; return the provider's message id. Raises :class:`NotifierError`."""
        ...


class LocalNotifier:
    """No Twilio: messages stay in the local outbox, where the phone simulator shows them."""

    name = "local"

    def send(self, to: str, body: str, *, status_callback: str | None) -> str:
        import secrets

        return "LOCAL" + secrets.token_hex(16)


class TwilioNotifier:
    """Twilio's Messages API through the official SDK.

    ``TWILIO_API_BASE`` points the client at another host (a local test peer): the SDK's
    HTTP client is given a subclass that rewrites scheme and host of every request.
    """

    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        base = settings.twilio_api_base

        class _RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
            def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
                if base:
                    parts = urlsplit(url)
                    target = urlsplit(base)
                    url = parts._replace(scheme=target.scheme, netloc=target.netloc).geturl()
                return super().request(method, url, *args, **kwargs)

        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=_RebasedHttpClient(timeout=10),
        )
        self._from = settings.twilio_from_number
        self._service = settings.twilio_messaging_service_sid

    def send(self, to: str, body: str, *, status_callback: str | None) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        kwargs: dict[str, str] = {"to": to, "body": body}
        if self._service:
            kwargs["messaging_service_sid"] = self._service
        elif self._from:
            kwargs["from_"] = self._from
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self._client.messages.create(**kwargs)
        except TwilioRestException as exc:
            # 21211 invalid To, 21610 unsubscribed recipient, 21614 not a mobile number.
            permanent = exc.status == 400 and exc.code in (21211, 21610, 21614)
            raise NotifierError(f"twilio {exc.status} {exc.code}", permanent=permanent) from exc
        except (TwilioException, OSError) as exc:
            raise NotifierError(f"twilio unreachable: {type(exc).__name__}") from exc
        return str(message.sid)


def build_notifier(settings: Settings) -> Notifier:
    return TwilioNotifier(settings) if settings.twilio_configured else LocalNotifier()


def queue_sms(
    session: Session,
    kanava: Kanava,
    customer: Customer,
    body: str,
    *,
    purpose: str,
    now: datetime,
    order: Order | None = None,
) -> OutboundMessage:
    """Put one SMS in the outbox (not committed). Opted-out customers get a suppressed row."""
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
        event_id=event.id,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    session.flush()
    return message


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    """Take one due message for sending; False if another process took it first."""
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == message_id,
            OutboundMessage.status == OutboundStatus.QUEUED,
            or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now),
        )
        .values(
            status=OutboundStatus.SENDING, updated_at=now, attempts=OutboundMessage.attempts + 1
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def dispatch_due(session: Session, kanava: Kanava, *, now: datetime, limit: int = 100) -> int:
    """Send the outbox's due messages; returns how many were sent. Commits per message."""
    ids = list(
        session.scalars(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.status == OutboundStatus.QUEUED,
                or_(
                    OutboundMessage.next_attempt_at.is_(None),
                    OutboundMessage.next_attempt_at <= now,
                ),
            )
            .order_by(OutboundMessage.id)
            .limit(limit)
        )
    )
    sent = 0
    callback = f"{kanava.settings.public_base_url}/twilio/status"
    for message_id in ids:
        if not _claim(session, message_id, now):
            continue
        message = session.get(OutboundMessage, message_id)
        assert message is not None
        session.refresh(message)
        try:
            sid = kanava.notifier.send(
                message.to_number,
                message.body,
                status_callback=callback if kanava.notifier.name == "twilio" else None,
            )
        except NotifierError as exc:
            message.last_error = str(exc)[:255]
            if exc.permanent or message.attempts >= MAX_ATTEMPTS:
                message.status = OutboundStatus.FAILED
                message.next_attempt_at = None
            else:
                message.status = OutboundStatus.QUEUED
                message.next_attempt_at = now + BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
            log.warning("outbound message %s failed: %s", message.id, message.last_error)
        else:
            message.provider_sid = sid
            message.status = (
                OutboundStatus.DELIVERED if kanava.notifier.name == "local" else OutboundStatus.SENT
            )
            message.next_attempt_at = None
            message.last_error = None
            sent += 1
        message.updated_at = now
        session.commit()
    return sent
