"""Staff inbox cases: one open case per customer, its messages threaded as timeline events.

A case's messages are :class:`~app.models.Event` rows with ``case_id``: the driver's SMS and
staff's answers, so the customer's timeline holds every one of them. Functions here add and
flush; the calling use case commits. The customer's row is locked by the caller (the SMS
conversation locks it), which keeps "one open case per customer" true under concurrency;
the partial unique index ``uq_cases_one_open_per_customer`` guards it as well.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, CaseStatus, Customer, Event, User

# A driver's reply this long after staff closed an answered case reopens it; later it
# opens a new one.
REOPEN_WITHIN = timedelta(days=7)


def open_case_of(session: Session, customer: Customer) -> Case | None:
    """The customer's open case, if any."""
    return session.scalar(
        select(Case).where(Case.customer_id == customer.id, Case.status == CaseStatus.OPEN)
    )


def reopenable_case_of(session: Session, customer: Customer, now: datetime) -> Case | None:
    """The customer's latest case closed after a staff answer within :data:`REOPEN_WITHIN`."""
    return session.scalar(
        select(Case)
        .where(
            Case.customer_id == customer.id,
            Case.status == CaseStatus.CLOSED,
            Case.answered_at.is_not(None),
            Case.closed_at >= now - REOPEN_WITHIN,
        )
        .order_by(Case.closed_at.desc(), Case.id.desc())
        .limit(1)
    )


def open_case(session: Session, customer: Customer, reason: str, now: datetime) -> Case:
    """A new open case for ``customer`` (flushed). The caller has checked there is none."""
    case = Case(
        customer=customer,
        status=CaseStatus.OPEN,
        reason=reason,
        opened_at=now,
        last_message_at=now,
    )
    session.add(case)
    session.flush()
    return case


def reopen(case: Case, now: datetime) -> Case:
    """Open a closed case again, keeping who it is assigned to."""
    case.status = CaseStatus.OPEN
    case.closed_at = None
    case.last_message_at = now
    return case


def thread(case: Case, event: Event, now: datetime) -> None:
    """Make ``event`` a message of ``case``."""
    event.case_id = case.id
    case.last_message_at = max(case.last_message_at, now)


def messages_of(session: Session, case_id: int) -> list[Event]:
    """The case's messages and staff actions, oldest first."""
    return list(
        session.scalars(
            select(Event).where(Event.case_id == case_id).order_by(Event.created_at, Event.id)
        )
    )


def assign(case: Case, user: User) -> None:
    case.assigned_to_id = user.id


def close(case: Case, now: datetime) -> None:
    case.status = CaseStatus.CLOSED
    case.closed_at = now
