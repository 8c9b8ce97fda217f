"""The per-number cap on SMS replies (issue 14, floods): a looping auto-responder or a
prank must not cost unlimited SMS.

Counted in the database, from the timeline: the number's inbound messages in the last
hour, the current one included. Up to ``REPLY_CAP_PER_HOUR`` of them are answered; the
next one gets one notice; after it, silence until the hour has passed. Every message is
still recorded and carried out; only the reply is withheld. The conversation holds the
customer's row lock while it counts, so every node and worker agrees on the number.
"""

from __future__ import annotations

from datetime import timedelta

from app.kernel import Kanava
from app.texts import messages

WINDOW = timedelta(hours=1)


def capped_reply(
    kanava: Kanava,
    text: str,
    lang: str,
    *,
    received: int,
) -> tuple[str, str | None]:
    """The reply to send for this message (``text``, the notice, or "" for silence) and
    what the cap did (None, ``"notice"`` or ``"silenced"``). ``received``: the number's
    inbound SMS in the last :data:`WINDOW`, this one included (:func:`received_since`
    read them under the customer's row lock, before this one was written)."""
    cap = kanava.settings.reply_cap_per_hour
    if cap <= 0 or not text or received <= cap:
        return text, None
    if received == cap + 1:
        return messages.reply_cap_notice(lang), "notice"
    return "", "silenced"
