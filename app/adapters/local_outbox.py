"""The local outbox: without Twilio, outbound SMS stay in the database, where the phone
simulator shows them. Chosen by :mod:`app.bootstrap` when Twilio is not configured; the
settings refuse it in production."""

from __future__ import annotations

import secrets


class LocalNotifier:
    """No Twilio: messages stay in the local outbox, where the phone simulator shows them."""

    name = "local"

    def send(self, to: str, body: str, *, status_callback: str | None) -> str:
        return "LOCAL" + secrets.token_hex(16)
