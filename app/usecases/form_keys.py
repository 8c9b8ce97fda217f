"""Idempotency keys of the public web forms: a double tap or a retried POST acts once.

Every form that changes an order (park, extend, stop) carries a hidden key made when the
page was drawn. The use case claims ``<scope>:<key>:<what the form asks>`` first in its
transaction, as the SMS webhook claims a ``MessageSid``: a row in ``webhook_receipts``
(source ``web_form``) whose unique key makes a concurrent duplicate wait on PostgreSQL
until the first commits (SQLite serialises writers with ``BEGIN IMMEDIATE``). The
duplicate then finds the first submission's answer instead of doing the work again.

The claim names what the form asks, not only the key: a page brought back with the
browser's Back button and sent again for another car or another duration is a new
request, and is treated as one.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import WebhookReceipt

SOURCE = "web_form"
_KEY = re.compile(r"[A-Za-z0-9_-]{16,40}")


def new_key() -> str:
    """A fresh key for a form about to be drawn (22 characters, 128 bits)."""
    return secrets.token_urlsafe(16)


def usable(key: str | None) -> str:
    """The posted key if it is one, else a fresh one (an old page without a key still works,
    it is only not protected against a double tap)."""
    return key if key and _KEY.fullmatch(key) else new_key()


def claim_id(scope: str, key: str, *parts: object) -> str:
    """The id claimed for one request: the form's scope and key, and a digest of what it
    asks (at most 64 characters, the size of the receipt's and the order's key columns)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]
    return f"{scope}:{key}:{digest}"


def answered(session: Session, claim: str) -> dict[str, Any] | None:
    """The stored answer of a request already made with ``claim``; None if there is none."""
    row = session.execute(
        select(WebhookReceipt.id, WebhookReceipt.response_body).where(
            WebhookReceipt.source == SOURCE, WebhookReceipt.external_id == claim
        )
    ).first()
    if row is None:
        return None
    stored: dict[str, Any] = json.loads(row.response_body) if row.response_body else {}
    return stored


def claim(session: Session, claim: str, now: datetime) -> WebhookReceipt | None:
    """Claim ``claim`` for the current transaction, which must not have written anything yet
    (a duplicate rolls it back). Returns the receipt to store the answer on
    (:func:`answer`), or None when another request made with the same claim has committed:
    read its answer with :func:`answered`."""
    if answered(session, claim) is not None:
        return None
    receipt = WebhookReceipt(source=SOURCE, external_id=claim, created_at=now)
    session.add(receipt)
    try:
        # On PostgreSQL a concurrent duplicate waits here until the first commits.
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    return receipt


def answer(receipt: WebhookReceipt, **result: object) -> None:
    """Store what the claimed request did, for its duplicates (committed with the work)."""
    receipt.response_body = json.dumps(result)
