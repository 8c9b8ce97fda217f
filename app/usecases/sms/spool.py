"""The SMS spool: nothing received is lost while the database is down.

When the SMS webhook cannot reach the database, the channel writes Twilio's request to a
file under ``instance/spool/sms/`` and answers the driver that the message arrived and a
confirmation follows. The clock replays the spool once the database answers again: each
message goes through :func:`app.usecases.sms.conversation.receive_sms` with its own
``MessageSid``, so it is handled exactly once however often it is replayed, and the reply
goes out as an SMS through the outbox. It is handled as of the replay (a parking starts
then, and its payment time runs from then), because that is what the confirmation the
driver receives can say truthfully; the moment it arrived is kept with the message.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from app.backend import customers, timeline
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.domain.parsing import parse_sms
from app.kernel import Kanava
from app.models import Channel, EventKind
from app.texts import messages
from app.usecases.sms import conversation as sms

log = logging.getLogger(__name__)

_SAFE_SID = re.compile(r"[^A-Za-z0-9]")


def sms_dir(spool_root: Path) -> Path:
    return spool_root / "sms"


def spool_sms(spool_root: Path, params: dict[str, str], received_at: datetime) -> Path:
    """Write one webhook request to the spool, atomically; returns its file.

    The file is named after the ``MessageSid``, so Twilio retrying the same message while
    the database is still down leaves one file.
    """
    directory = sms_dir(spool_root)
    directory.mkdir(parents=True, exist_ok=True)
    sid = _SAFE_SID.sub("", params.get("MessageSid") or params.get("SmsSid") or "")[:64]
    target = directory / f"{sid or 'unknown'}.json"
    record = {"params": params, "received_at": received_at.isoformat()}
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return target


def acknowledgement(body: str, from_number: str, default_language: str) -> str:
    """What the driver hears back while the database is down, in their language.

    Chosen without the database (:func:`customers.choose_language` without the customer):
    the message's own words, else the number's country.
    """
    try:
        phone: str | None = normalize_phone(from_number)
    except InvalidPhoneNumber:
        phone = None
    lang = customers.choose_language(parse_sms(body), None, default_language, phone=phone)
    return messages.received_will_confirm(lang)


def pending(spool_root: Path) -> list[Path]:
    directory = sms_dir(spool_root)
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name))


def replay(session: Session, kanava: Kanava, spool_root: Path, now: datetime) -> int:
    """Handle every spooled message, oldest first, as of ``now``; returns how many.

    A file is removed only after its message has been committed; if the database fails
    again, the rest wait for the next sweep.
    """
    done = 0
    for path in pending(spool_root):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            params: dict[str, str] = record["params"]
            received_at = datetime.fromisoformat(record["received_at"])
        except (OSError, ValueError, KeyError):
            log.exception("unreadable spool file %s; moved aside", path.name)
            path.rename(path.with_suffix(".unreadable"))
            continue
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        sender = params.get("From", "")
        body = params.get("Body", "")
        try:
            _record_acknowledgement(session, kanava, sid, sender, body, received_at)
            sms.receive_sms(
                session,
                kanava,
                message_sid=sid,
                from_number=sender,
                to_number=params.get("To", ""),
                body=body,
                now=now,
                extra={"spooled": True, "received_at": received_at.isoformat()},
                reply_by_outbox=True,
            )
        except Exception:
            session.rollback()
            log.exception("spooled SMS %s could not be replayed yet", _SAFE_SID.sub("", sid))
            break
        path.unlink(missing_ok=True)
        done += 1
    return done


def _record_acknowledgement(
    session: Session, kanava: Kanava, sid: str, sender: str, body: str, at: datetime
) -> None:
    """Put the acknowledgement the webhook gave into the timeline, once."""
    try:
        phone = normalize_phone(sender)
    except InvalidPhoneNumber:
        return
    customer = customers.get_or_create(session, phone, at)
    already = any(
        (e.data or {}).get("spool_ack") == sid
        for e in timeline.for_customer(session, customer.id, limit=50)
    )
    if not already:
        timeline.record(
            session,
            at=at,
            channel=Channel.SMS,
            kind=EventKind.MESSAGE_OUT,
            customer=customer,
            body=acknowledgement(body, sender, kanava.settings.default_language),
            data={"in_reply_to": sid, "spool_ack": sid},
        )
    session.commit()
