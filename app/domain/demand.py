"""Value and failure demand: what an inbound contact was, from facts about it.

Seddon's distinction: value demand is what the service exists for (park, stop, extend);
failure demand is caused by a failure to do something or to do it right. Every inbound
contact (an SMS, a call, a web form submission, a message to a person) gets one
:class:`Demand` and, for failure, one :class:`DemandReason`. Pure: the facts are gathered
by :mod:`app.backend.contacts`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Demand(enum.StrEnum):
    VALUE = "value"
    FAILURE = "failure"


class DemandReason(enum.StrEnum):
    """Why a contact was failure demand."""

    NOT_UNDERSTOOD = "not_understood"
    REPEAT = "repeat"  # asking again what the last reply already said
    CORRECTION = "correction"
    HELP = "help"
    COMPLAINT = "complaint"
    PAYMENT_FAILED = "payment_failed"
    OPERATOR = "operator"  # a call or message to a person


@dataclass(frozen=True)
class ContactFacts:
    """What is known about one inbound contact when it is classified.

    ``intent``: the parser's (SMS) or the step's intent; ``understood``: whether the
    service understood it; ``to_person``: it went to a person (a question handed over, a
    message threaded into a staff case, a call transferred); ``repeats_reply``: it asks
    what a reply about the same order said within the repeat window; ``after_failed_payment``:
    a payment of the customer's failed shortly before.
    """

    intent: str | None = None
    understood: bool | None = True
    to_person: bool = False
    repeats_reply: bool = False
    after_failed_payment: bool = False


_BY_INTENT = {
    "complaint": DemandReason.COMPLAINT,
    "correct": DemandReason.CORRECTION,
    "help": DemandReason.HELP,
}


def classify(facts: ContactFacts) -> tuple[Demand, DemandReason | None]:
    """The contact's demand and reason; the first rule that holds wins:
    complaint, correction, to a person (operator), not understood (also a typo offered
    back), help, repeat, payment failed; else value."""
    intent = facts.intent or ""
    if intent in ("complaint", "correct"):
        return Demand.FAILURE, _BY_INTENT[intent]
    if facts.to_person or intent == "question":
        return Demand.FAILURE, DemandReason.OPERATOR
    if facts.understood is False or intent in ("unknown", "did_you_mean", "error"):
        return Demand.FAILURE, DemandReason.NOT_UNDERSTOOD
    if intent == "help":
        return Demand.FAILURE, DemandReason.HELP
    if facts.repeats_reply:
        return Demand.FAILURE, DemandReason.REPEAT
    if facts.after_failed_payment:
        return Demand.FAILURE, DemandReason.PAYMENT_FAILED
    return Demand.VALUE, None


_SIGN_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,23}")


def sign_code_or_none(raw: str | None) -> str | None:
    """A sign code as a QR link or a form carries it (``?s=101-A``), or None for anything
    that is not one (1-24 letters, digits, ``-``, ``_``, ``.``; upper-cased)."""
    text = (raw or "").strip()
    return text.upper() if _SIGN_CODE.fullmatch(text) else None
