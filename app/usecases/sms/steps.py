"""What every step of the SMS dialogue can use: the reply, and the conversation's state.

:class:`Steps` declares the state and the helpers that ``conversation._Conversation``
provides, so that dialogue steps can live in modules of their own (suggestions, prices,
corrections) as mixins of the conversation without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.domain.parsing import ParsedMessage
from app.kernel import Kanava
from app.models import Customer, Order


@dataclass
class Reply:
    text: str
    understood: bool
    intent: str
    order: Order | None = None
    # ``order`` was created by this message (no earlier contact or reply about it).
    new_order: bool = False
    # The reply asks the grammar's own question again, after an answer that did not fit:
    # the driver is in a dialogue, so the message is not handed to a person.
    reasked: bool = False


class Steps:
    """The conversation as its steps see it (implemented by ``_Conversation``)."""

    session: Session
    kanava: Kanava
    customer: Customer
    parsed: ParsedMessage
    lang: str
    now: datetime
    known_zones: list[str]
    pending: dict[str, Any] | None

    def handle(self) -> Reply:
        raise NotImplementedError

    def status(self) -> Reply:
        raise NotImplementedError

    def _reply(self, text: str, *, understood: bool = True, order: Order | None = None) -> Reply:
        raise NotImplementedError

    def _unknown_zone(self, code: str) -> Reply:
        raise NotImplementedError

    def _minutes_until(self, until: str) -> int:
        raise NotImplementedError

    def _ask(self, **question: Any) -> None:
        raise NotImplementedError

    def _ask_for(self, ttl: timedelta, **question: Any) -> None:
        """Ask a question whose answer is awaited for ``ttl`` only."""
        question["expires"] = (self.now + ttl).isoformat()
        self.customer.pending = question
        self.pending = question

    def _clear(self) -> None:
        raise NotImplementedError
