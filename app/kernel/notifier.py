"""The SMS port: what Kanava needs from whoever sends its text messages.

Implemented by :class:`~app.adapters.twilio_sms.TwilioNotifier` (Twilio's REST API) and
:class:`~app.adapters.local_outbox.LocalNotifier` (the local outbox the phone simulator
shows); :mod:`app.bootstrap` picks one from the settings. Every message is a row in the
outbox first (:mod:`app.backend.outbox`); a notifier only sends it.
"""

from __future__ import annotations

from typing import Protocol


class NotifierError(Exception):
    """Sending failed.

    ``permanent`` when retrying cannot help (an invalid number); ``unreachable`` when the
    provider did not answer at all (connection refused, timeout), so the rest of a sweep
    would only wait for the same timeout again.
    """

    def __init__(self, message: str, *, permanent: bool = False, unreachable: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.unreachable = unreachable


class Notifier(Protocol):
    # "local" messages count as delivered once sent; "twilio" ones wait for status callbacks.
    name: str

    def send(self, to: str, body: str, *, status_callback: str | None) -> str:
        """Send one SMS; return the provider's message id. Raises :class:`NotifierError`."""
        ...
