"""A call that needs a person goes to the staff inbox, as an SMS does
(:mod:`app.usecases.sms.support`), and a call is attributed to the sign that caused it.

- :func:`sign_of_call`: the sign group whose own number was called (``SIGN_NUMBERS``).
- :func:`staffed`: whether a person answers now (``SUPPORT_HOURS``).
- :func:`hand_over`: the help key (0), or a second answer in a row not understood, opens
  a case for a known caller (or joins their open one) with a timeline event threaded in,
  and the caller hears that a person will get back to them and roughly when
  (``SUPPORT_HOURS``). At most once per reason and call. The facts it leaves in the call's
  data (``to_person``, ``asked_help``) classify the call
  (:func:`app.backend.contacts.classify_call`).

Neither commits: the call's step commits once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from app.backend import cases, customers, timeline
from app.kernel import Kanava
from app.models import CallSession, Channel, Customer, EventKind
from app.texts import support as texts


class Dialogue(Protocol):
    """What a hand-over needs of the call's step
    (:class:`app.usecases.voice.dialogue.Dialogue`, which calls it: no import back)."""

    session: Session
    kanava: Kanava
    call: CallSession
    now: datetime
    customer: Customer | None
    data: dict[str, Any]

    @property
    def lang(self) -> str: ...

    def note(self, text: str, lang: str | None = None) -> None: ...


Why = Literal["to_person", "not_understood"]
# The case a call opens, by why it went to a person (the inbox words both).
_CASE_REASON: dict[Why, str] = {"to_person": "call", "not_understood": "not_understood"}
_EVENT = {
    "to_person": ("asked for a person", "call_to_person"),
    "not_understood": ("not understood twice", "call_not_understood"),
}


def staffed(kanava: Kanava, now: datetime) -> bool:
    """Whether customer service is staffed at ``now`` (inside a ``SUPPORT_HOURS`` window),
    so that a call put through finds a person."""
    answer = texts.answer_time(kanava, now)
    return answer is not None and answer.kind == "by"


def sign_of_call(kanava: Kanava, to_number: str | None) -> str | None:
    """The sign code of the number called, when a sign group has its own number."""
    return kanava.settings.sign_for_number(to_number)


def hand_over(dialogue: Dialogue, why: Why, *, say: bool = True) -> bool:
    """Put the call in the caller's case (opened, or their open one joined); returns
    whether it did. A hidden or invalid number has no customer: nothing is opened, and a
    caller who asked for help is noted as such. ``say`` adds the sentence telling when a
    person gets back (not when the call is being put through to one)."""
    done = f"handed_{why}"
    if why == "to_person":
        dialogue.data["asked_help"] = True
    customer = dialogue.customer
    if customer is None or dialogue.data.get(done):
        dialogue.call.data = dict(dialogue.data)
        return False
    session, now = dialogue.session, dialogue.now
    customers.lock(session, customer)
    case = cases.open_case_of(session, customer) or cases.open_case(
        session, customer, _CASE_REASON[why], now
    )
    body, intent = _EVENT[why]
    event = timeline.record(
        session,
        at=now,
        channel=Channel.VOICE,
        kind=EventKind.CALL_STEP,
        customer=customer,
        body=body,
        external_id=dialogue.call.call_sid,
        understood=why == "to_person",
        intent=intent,
        data={"step": dialogue.call.step, "state": dialogue.call.state, "case_id": case.id},
    )
    cases.thread(case, event, now)
    dialogue.data[done] = True
    if why == "to_person":
        dialogue.data["to_person"] = True
    dialogue.call.data = dict(dialogue.data)
    if say:
        dialogue.note(texts.call_handed_over(dialogue.lang, dialogue.kanava, now))
    return True
