"""The per-number cap on SMS replies (issue 14, floods): a looping auto-responder or a
prank must not cost unlimited SMS.

Counted in the database, from the timeline: the number's inbound messages in the last
hour, the current one included. Up to ``REPLY_CAP_PER_HOUR`` of them are answered; the
next one gets one notice; after it, silence until the hour has passed. Every message is
still recorded and carried out; only the reply is withheld. The conversation holds the
customer's row lock while it counts, so every node and worker agrees on the number.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.kernel import Kanava
from app.models import Channel, Customer, Event, EventKind
from app.texts import messages

WINDOW = timedelta(hours=1)


def capped_reply(
    session: Session,
    kanava: Kanava,
    customer: Customer,
    text: str,
    lang: str,
    now: datetime,
    *,
    first_contact: bool = False,
) -> tuple[str, str | None]:
    """The reply to send for this message (``text``, the notice, or "" for silence) and
    what the cap did (None, ``"notice"`` or ``"silenced"``). ``first_contact``: the
    customer was created by this message, which is then the only one counted (no read)."""
    cap = kanava.settings.reply_cap_per_hour
    if cap <= 0 or not text or first_contact:
        return text, None
    received = session.scalar(
        select(func.count())
        .select_from(Event)
        .where(
            Event.customer_id == customer.id,
            Event.channel == Channel.SMS,
            Event.kind == EventKind.MESSAGE_IN,
            Event.created_at > now - WINDOW,
        )
    )
    count = int(received or 0)
    if count <= cap:
        return text, None
    if count == cap + 1:
        return messages.reply_cap_notice(lang), "notice"
    return "", "silenced"
