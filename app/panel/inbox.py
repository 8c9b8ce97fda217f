"""The staff inbox: open cases (queries) and what staff do with one (actions).

Queries return plain rows for the pages. Actions take the staff member and ``now``, record
a ``staff_action`` event on the case, commit once, and (for an answer) send the SMS
through the outbox afterwards. An answer to an opted-out number is kept, ``suppressed``,
like every outbox message to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.backend import cases, timeline
from app.kernel import Kanava
from app.models import Case, CaseStatus, Channel, Event, EventKind, User
from app.panel import queries as panel
from app.usecases import outbox_dispatch as notifications

FILTERS = ("mine", "unassigned", "all", "closed")
MAX_ANSWER = 600  # characters: four SMS segments at most
CLOSED_SHOWN = 50
COURTESY = "courtesy"  # the intent of a message of only thanks or greetings


class InboxError(Exception):
    """A staff request about a case that the inbox refuses; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CaseRow:
    """One case in the inbox list."""

    id: int
    phone: str
    reason: str
    status: str
    age: timedelta
    opened_at: datetime
    assigned_to: str | None
    last_body: str
    last_from_driver: bool
    #: What the list shows of the case: the driver's first question staff have not answered
    #: yet, else the message that opened the case (never a later "thanks").
    preview: str
    answered: bool


def inbox(session: Session, user: User, which: str, now: datetime) -> list[CaseRow]:
    """Open cases, oldest first (they have waited longest); ``which`` is ``mine``,
    ``unassigned`` or ``all`` (open), or ``closed`` (the latest closed, newest first)."""
    query = select(Case)
    if which == "closed":
        query = query.where(Case.status == CaseStatus.CLOSED).order_by(Case.closed_at.desc())
        query = query.limit(CLOSED_SHOWN)
    else:
        query = query.where(Case.status == CaseStatus.OPEN).order_by(Case.opened_at, Case.id)
        if which == "mine":
            query = query.where(Case.assigned_to_id == user.id)
        elif which == "unassigned":
            query = query.where(Case.assigned_to_id.is_(None))
    found = list(session.scalars(query))
    ids = [c.id for c in found]
    last = _last_messages(session, ids)
    previews = _previews(session, ids)
    return [_row(case, last.get(case.id), now, previews.get(case.id)) for case in found]


def open_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count(Case.id)).where(Case.status == CaseStatus.OPEN)) or 0
    )


def _last_messages(session: Session, case_ids: list[int]) -> dict[int, Event]:
    if not case_ids:
        return {}
    latest = (
        select(func.max(Event.id))
        .where(
            Event.case_id.in_(case_ids),
            Event.kind.in_((EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT)),
        )
        .group_by(Event.case_id)
    )
    events = session.scalars(select(Event).where(Event.id.in_(latest)))
    return {e.case_id: e for e in events if e.case_id is not None}


def _previews(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Per case, the body of its first driver message after the latest staff answer that is
    more than a thank-you (``courtesy``), else of the message that opened it."""
    if not case_ids:
        return {}
    inbound = (Event.case_id.in_(case_ids), Event.kind == EventKind.MESSAGE_IN)
    opening = select(func.min(Event.id)).where(*inbound).group_by(Event.case_id)
    unanswered = (
        select(func.min(Event.id))
        .join(Case, Case.id == Event.case_id)
        .where(
            *inbound,
            or_(Case.answered_at.is_(None), Event.created_at > Case.answered_at),
            or_(Event.intent.is_(None), Event.intent != COURTESY),
        )
        .group_by(Event.case_id)
    )
    rows = session.execute(
        select(Event.id, Event.case_id, Event.body).where(
            or_(Event.id.in_(opening), Event.id.in_(unanswered))
        )
    )
    chosen: dict[int, tuple[int, str]] = {}
    for event_id, case_id, body in rows:
        # The later of the two: the open question when there is one, else the opening.
        if case_id is not None and event_id > chosen.get(case_id, (0, ""))[0]:
            chosen[case_id] = (event_id, body or "")
    return {case_id: body for case_id, (_, body) in chosen.items()}


def _row(case: Case, last: Event | None, now: datetime, preview: str | None = None) -> CaseRow:
    return CaseRow(
        id=case.id,
        phone=case.customer.phone,
        reason=case.reason,
        status=case.status.value,
        age=now - case.opened_at,
        opened_at=case.opened_at,
        assigned_to=case.assigned_to.name if case.assigned_to else None,
        last_body=last.body if last is not None else "",
        last_from_driver=last is not None and last.kind is EventKind.MESSAGE_IN,
        preview=preview if preview is not None else (last.body if last is not None else ""),
        answered=case.answered_at is not None,
    )


@dataclass
class CasePage:
    """A case with its messages and the customer's whole timeline beside it."""

    case: Case
    row: CaseRow
    messages: list[Event]
    story: panel.CustomerStory


def case_page(session: Session, kanava: Kanava, case_id: int, now: datetime) -> CasePage:
    """Raises :class:`InboxError` ``unknown_case``."""
    case = session.get(Case, case_id)
    if case is None:
        raise InboxError("unknown_case")
    messages = cases.messages_of(session, case.id)
    said = [m for m in messages if m.kind in (EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT)]
    story = panel.customer_story(session, kanava, case.customer.phone, now)
    return CasePage(case, _row(case, said[-1] if said else None, now), messages, story)


def _case(session: Session, case_id: int) -> Case:
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        raise InboxError("unknown_case")
    return case


def _staff_event(session: Session, case: Case, user: User, action: str, now: datetime) -> None:
    event = timeline.record(
        session,
        at=now,
        channel=Channel.ADMIN,
        kind=EventKind.STAFF_ACTION,
        customer=case.customer,
        intent=action,
        actor=user.name,
        body=f"case #{case.id}: {action} by {user.name}",
        data={"action": action, "case": case.id},
    )
    event.case_id = case.id


def answer(
    session: Session, kanava: Kanava, user: User, case_id: int, text: str, now: datetime
) -> None:
    """Send ``text`` to the case's driver by SMS (through the outbox) as a message of the
    case. Takes an unassigned case. Commits, then dispatches the outbox.

    Raises :class:`InboxError` ``unknown_case`` or ``empty_answer``.
    """
    text = text.strip()
    if not text:
        raise InboxError("empty_answer")
    case = _case(session, case_id)
    message = notifications.queue_sms(
        session, kanava, case.customer, text[:MAX_ANSWER], purpose="case_answer", now=now
    )
    event = session.get(Event, message.event_id) if message.event_id else None
    if event is not None:
        event.actor = user.name
        cases.thread(case, event, now)
    case.answered_at = now
    if case.assigned_to_id is None:
        cases.assign(case, user)
    session.commit()
    notifications.dispatch_queued(session, kanava, now=now)


def assign_to_me(session: Session, user: User, case_id: int, now: datetime) -> None:
    """Take the case. Commits. Raises :class:`InboxError` ``unknown_case``."""
    case = _case(session, case_id)
    cases.assign(case, user)
    _staff_event(session, case, user, "case_assigned", now)
    session.commit()


def close(session: Session, user: User, case_id: int, now: datetime) -> None:
    """Close the case (a later reply within a week reopens it). Commits.
    Raises :class:`InboxError` ``unknown_case``."""
    case = _case(session, case_id)
    if case.status is CaseStatus.OPEN:
        cases.close(case, now)
        _staff_event(session, case, user, "case_closed", now)
    session.commit()
