"""What the grammar cannot do goes to a person, and every inbound SMS is counted.

Called by the SMS conversation (:mod:`app.usecases.sms.conversation`) inside its
transaction, after the message was understood or not and before the reply is recorded:

- :func:`hand_over` threads the message into the driver's case, or opens one, for a
  complaint, a question the grammar cannot answer, a second message in a row not
  understood, and a driver's reply after a staff answer; it returns the reply that tells
  the driver a person will answer and roughly when (``SUPPORT_HOURS``).
- :func:`count_contact` classifies the message as value or failure demand.

Neither commits: the conversation commits once and then sends the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend import cases, contacts
from app.domain.parsing import Intent, ParsedMessage
from app.kernel import Kanava
from app.models import Case, Customer, Event, EventKind
from app.texts import support as texts

# Parser intents that are for a person by nature.
FOR_A_PERSON = {Intent.COMPLAINT: "complaint", Intent.QUESTION: "question"}

# A driver who has just been told a person will answer is not told again: a follow-up
# within this time of the last message that was answered so (and no staff answer since)
# joins the case silently. A thought split over three SMS gets one acknowledgement.
QUIET_AFTER_ACK = timedelta(minutes=30)
# Marks (in ``events.data``) a message that joined its case without a reply.
SILENT = {"case_reply": "silent"}


@dataclass(frozen=True)
class Handover:
    """The reply that replaces the conversation's own, and the case the message joined."""

    text: str
    case: Case
    opened: bool


def route(
    session: Session,
    kanava: Kanava,
    *,
    customer: Customer,
    inbound: Event,
    parsed: ParsedMessage,
    understood: bool,
    known_zones: list[str],
    lang: str,
    to_number: str | None,
    now: datetime,
    first_contact: bool = False,
    new_order: bool = False,
    failed_before: bool | None = None,
    in_dialogue: bool = False,
) -> Handover | None:
    """Hand the message to a person when it is for one (:func:`hand_over`), then count it
    (:func:`count_contact`). Returns the hand-over, whose text replaces the reply.
    ``first_contact``: the customer was created by this message (nothing of theirs to read);
    ``new_order``: so was the inbound's order; ``failed_before``: a payment of the customer's
    failed lately, read before (:func:`app.backend.contacts.classify_sms`);
    ``in_dialogue``: the reply asks the grammar's question again (never handed over)."""
    handover = (
        None
        if in_dialogue
        else hand_over(
            session,
            kanava,
            customer=customer,
            inbound=inbound,
            intent=parsed.intent,
            understood=understood,
            courtesy=parsed.problem == "courtesy",
            second_not_understood=bool((inbound.data or {}).get("repeat")),
            lang=lang,
            now=now,
        )
    )
    zone = (parsed.zone or "").upper()
    count_contact(
        session,
        kanava,
        customer=customer,
        inbound=inbound,
        handover=handover,
        zone_code=zone if zone in known_zones else None,
        to_number=to_number,
        now=now,
        first_contact=first_contact,
        new_order=new_order,
        failed_before=failed_before,
    )
    return handover


def hand_over(
    session: Session,
    kanava: Kanava,
    *,
    customer: Customer,
    inbound: Event,
    intent: Intent,
    understood: bool,
    courtesy: bool,
    second_not_understood: bool,
    lang: str,
    now: datetime,
) -> Handover | None:
    """Put the message in a case when it is for a person; None when it is not.

    For a person: a complaint or question; a message not understood (or a thank-you)
    while the driver has an open case, or within a week of staff closing an answered one
    (it reopens); a second message in a row not understood (a new case, with the first
    one threaded in too). A thank-you joins the case silently (empty reply), and so does
    a follow-up sent within :data:`QUIET_AFTER_ACK` of the last one acknowledged, unless
    staff answered since.
    """
    reason = FOR_A_PERSON.get(intent)
    reply_like = not understood or courtesy
    if reason is None and not reply_like:
        return None
    case = cases.open_case_of(session, customer)
    if case is None and reply_like:
        case = cases.reopenable_case_of(session, customer, now)
        if case is not None:
            cases.reopen(case, now)
    if case is not None:
        quiet = courtesy or _acknowledged_lately(session, case, inbound, now)
        cases.thread(case, inbound, now)
        if quiet:
            inbound.data = {**(inbound.data or {}), **SILENT}
            return Handover("", case, opened=False)
        return Handover(texts.added_to_case(lang, kanava, now), case, opened=False)
    if reason is not None:
        case = cases.open_case(session, customer, reason, now)
        cases.thread(case, inbound, now)
        return Handover(texts.handed_over(lang, kanava, now), case, opened=True)
    if not understood and second_not_understood:
        case = cases.open_case(session, customer, "not_understood", now)
        earlier = _previous_inbound(session, customer, inbound)
        if earlier is not None:
            cases.thread(case, earlier, now)
        cases.thread(case, inbound, now)
        return Handover(texts.not_understood_twice(lang, kanava, now), case, opened=True)
    return None


def _acknowledged_lately(session: Session, case: Case, inbound: Event, now: datetime) -> bool:
    """Whether a message of the driver's in ``case`` got a "a person will answer" reply
    within :data:`QUIET_AFTER_ACK`, after the latest staff answer."""
    since = now - QUIET_AFTER_ACK
    if case.answered_at is not None and case.answered_at >= since:
        since = case.answered_at
    recent = session.scalars(
        select(Event.data).where(
            Event.case_id == case.id,
            Event.kind == EventKind.MESSAGE_IN,
            Event.created_at > since,
            Event.id != inbound.id,
        )
    )
    return any((data or {}).get("case_reply") != SILENT["case_reply"] for data in recent)


def _previous_inbound(session: Session, customer: Customer, inbound: Event) -> Event | None:
    session.flush()
    return session.scalar(
        select(Event)
        .where(
            Event.customer_id == customer.id,
            Event.kind == EventKind.MESSAGE_IN,
            Event.id < inbound.id,
        )
        .order_by(Event.id.desc())
        .limit(1)
    )


def count_contact(
    session: Session,
    kanava: Kanava,
    *,
    customer: Customer,
    inbound: Event,
    handover: Handover | None,
    zone_code: str | None,
    to_number: str | None,
    now: datetime,
    first_contact: bool = False,
    new_order: bool = False,
    failed_before: bool | None = None,
) -> None:
    """Classify the inbound SMS. A message that joined a case is a message to a person,
    except the one whose misunderstanding opened it (failure: not understood)."""
    to_person = handover is not None and (
        not handover.opened or handover.case.reason in FOR_A_PERSON.values()
    )
    contacts.classify_sms(
        session,
        inbound,
        customer=customer,
        to_person=to_person,
        zone_code=zone_code,
        sign_code=kanava.settings.sign_for_number(to_number),
        now=now,
        first_contact=first_contact,
        new_order=new_order,
        failed_before=failed_before,
    )
