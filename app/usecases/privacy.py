"""Export, erasure and retention of personal data, each one transaction, each recorded in
the timeline as an audit trail (who, when, what; never the phone number itself)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.backend import privacy, timeline
from app.backend.customers import InvalidPhoneNumber, normalize_phone
from app.kernel.payments import PaymentGateway
from app.models import Channel, Customer, EventKind

log = logging.getLogger(__name__)

AUDIT_EXPORT = "privacy_export"
AUDIT_ERASE = "privacy_erase"
AUDIT_PSEUDONYMISED = "privacy_inactive"


class UnknownCustomer(LookupError):
    """No customer has that number (or it is not a phone number)."""


class PaymentProviderUnavailable(RuntimeError):
    """The payment provider could not delete the customer's saved cards: nothing was
    erased; try again."""


def find(session: Session, phone_text: str) -> Customer:
    """The customer with the number as typed (``040 123 4567``, ``+35840…``)."""
    try:
        phone = normalize_phone(phone_text.strip())
    except InvalidPhoneNumber as exc:
        raise UnknownCustomer(phone_text) from exc
    customer = privacy.by_phone(session, phone)
    if customer is None:
        raise UnknownCustomer(phone_text)
    return customer


def _audit(
    session: Session,
    customer: Customer,
    intent: str,
    body: str,
    actor: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    timeline.record(
        session,
        at=now,
        channel=Channel.ADMIN if actor != "retention" else Channel.SYSTEM,
        kind=EventKind.STAFF_ACTION if actor != "retention" else EventKind.SYSTEM,
        customer=customer,
        intent=intent,
        actor=actor[:64],
        body=body,
        data=data,
    )


def export_customer(
    session: Session, customer: Customer, actor: str, now: datetime
) -> dict[str, Any]:
    """The customer's data as JSON-ready data; the export is recorded. Commits."""
    data = privacy.export(session, customer, now)
    _audit(session, customer, AUDIT_EXPORT, f"data exported by {actor}", actor, now)
    session.commit()
    return data


def erase_customer(
    session: Session,
    customer: Customer,
    actor: str,
    now: datetime,
    *,
    payments: PaymentGateway,
) -> privacy.Erased:
    """Erase the customer (see :func:`app.backend.privacy.erase`) and delete their customer
    at the payment provider, with every card saved on it; recorded. Commits.

    Raises :class:`app.backend.privacy.CustomerBusy` while something of theirs runs, and
    :class:`PaymentProviderUnavailable` (nothing erased) when the provider cannot delete
    the saved cards. The provider is asked last, before the commit: a commit failing after
    it leaves a customer whose next erasure finds the provider's customer deleted already.
    """
    provider_ref = customer.stripe_customer_id
    erased = privacy.erase(session, customer, now)
    erased = replace(erased, payment_customer=_delete_at_provider(session, payments, provider_ref))
    _audit(
        session,
        customer,
        AUDIT_ERASE,
        f"customer erased by {actor}",
        actor,
        now,
        data=erased.as_data(),
    )
    session.commit()
    return erased


def _delete_at_provider(session: Session, payments: PaymentGateway, ref: str | None) -> str:
    if not ref:
        return "none"
    try:
        deleted = payments.delete_customer(ref)
    except Exception as exc:  # any failure of the provider's: keep the data, say so
        log.warning("payment provider customer not deleted: %s", type(exc).__name__)
        session.rollback()
        raise PaymentProviderUnavailable() from exc
    return "deleted" if deleted else "already_deleted"


@dataclass
class RetentionReport:
    texts_blanked: int = 0
    customers_pseudonymised: int = 0

    @property
    def total(self) -> int:
        return self.texts_blanked + self.customers_pseudonymised


# Months as the settings count them: a calendar month's average length.
MONTH = timedelta(days=30.44)


def apply_retention(
    session: Session,
    now: datetime,
    *,
    message_days: int,
    customer_months: int,
    into: RetentionReport | None = None,
) -> RetentionReport:
    """Blank texts older than ``message_days`` and pseudonymise customers idle for
    ``customer_months`` (0 turns either off). Commits per batch; safe to run concurrently.
    Counts go ``into`` the report given (so a failure halfway still reports the batches
    committed)."""
    report = into if into is not None else RetentionReport()
    if message_days:
        before = now - timedelta(days=message_days)
        while batch := privacy.blank_old_events(session, before):
            report.texts_blanked += batch
            session.commit()
        report.texts_blanked += privacy.blank_old_messages(session, before)
        session.commit()
    if customer_months:
        before = now - customer_months * MONTH
        while customers := privacy.inactive_customers(session, before):
            for customer in customers:
                erased = privacy.erase(session, customer, now, force=True)
                _audit(
                    session,
                    customer,
                    AUDIT_PSEUDONYMISED,
                    f"pseudonymised after {customer_months} months without activity",
                    "retention",
                    now,
                    data=erased.as_data(),
                )
            report.customers_pseudonymised += len(customers)
            session.commit()
    return report
