"""The kernel: what the services know of the outside world, and nothing more.

:class:`Kanava` holds the settings, the clock and the two ports, chosen once at start-up
by :mod:`app.bootstrap`. The ports are ``typing.Protocol``\\ s with their DTOs:
:mod:`app.kernel.payments` (a payment provider) and :mod:`app.kernel.notifier` (an SMS
sender); :mod:`app.kernel.calls` is what a phone call says next, for the telephony adapter
to render. The adapters in :mod:`app.adapters` implement them; nothing here imports Flask,
a database session, an SDK or :mod:`app.models`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app.config import Settings
from app.kernel.notifier import Notifier
from app.kernel.payments import PaymentGateway

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Kanava:
    """What the services need from the outside world, chosen once at start-up."""

    settings: Settings
    clock: Clock
    payments: PaymentGateway
    notifier: Notifier
