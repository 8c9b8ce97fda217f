"""Receipts: every payment, refund and waived amount of one parking, summed, with VAT.

Read only: built from the payment records on demand (``/r/<token>``, the ``KUITTI`` SMS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backend.ledger import find_by_token, is_waived
from app.config import Settings
from app.kernel import Kanava
from app.models import Customer, Order, Payment, PaymentStatus


@dataclass(frozen=True)
class ReceiptLine:
    """One movement of money on a receipt: a payment taken, a refund, or an amount waived."""

    kind: Literal["payment", "refund", "waived"]
    at: datetime | None
    amount_cents: int


@dataclass(frozen=True)
class Receipt:
    """The receipt of one parking (order): every payment and refund of it, summed.

    ``gross_cents`` is what the driver paid in the end (charged less refunded), VAT
    included, split into ``net_cents`` and ``vat_cents``. ``waived_cents`` is what Kanava
    let go (below the provider's minimum); ``price_cents`` what the parking cost.
    """

    order: Order
    number: str
    currency: str
    lines: tuple[ReceiptLine, ...]
    charged_cents: int
    refunded_cents: int
    waived_cents: int
    gross_cents: int
    net_cents: int
    vat_cents: int
    vat_rate: Decimal
    price_cents: int
    paid_at: datetime | None
    # The payment whose receipt link (``/r/<token>``) to give for this receipt.
    link_token: str
    # The end of the parking time it covers: the end, or while an extension waits for its
    # payment the paid end (None: a parking until stopped, still running).
    ends_at: datetime | None = None


def receipt_number(order: Order) -> str:
    """The receipt's number: the order's, unique and stable, and unlike the payment's token
    it opens nothing, so a forwarded receipt gives no one its link."""
    return f"K-{order.id:07d}"


def vat_breakdown(gross_cents: int, rate_percent: Decimal) -> tuple[int, int]:
    """Split a VAT-inclusive amount into (net, vat) cents; the two add up to the gross."""
    net = (Decimal(gross_cents) * 100 / (100 + rate_percent)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return int(net), gross_cents - int(net)


def _charged(payment: Payment) -> int:
    """Money actually taken through ``payment`` (a held card counts once captured)."""
    if payment.status is PaymentStatus.AUTHORIZED:
        return 0
    return payment.captured_cents


def receipt_of_order(kanava: Kanava, order: Order) -> Receipt | None:
    """The receipt of ``order``: its payments, refunds and waived amounts, summed, with the
    VAT of what was paid. None when no money was taken or waived for it."""
    charged = [p for p in order.payments if _charged(p) > 0]
    waived = [p for p in order.payments if is_waived(p)]
    if not charged and not waived:
        return None
    lines = [ReceiptLine("payment", p.paid_at, _charged(p)) for p in charged]
    refunds = sorted(
        (p for p in charged if p.refunded_cents > 0),
        key=lambda p: (p.refunded_at or p.updated_at, p.id),
    )
    lines += [ReceiptLine("refund", p.refunded_at, p.refunded_cents) for p in refunds]
    lines += [ReceiptLine("waived", p.updated_at, p.amount_cents) for p in waived]
    charged_cents = sum(_charged(p) for p in charged)
    refunded_cents = sum(p.refunded_cents for p in charged)
    gross = charged_cents - refunded_cents
    rate = Decimal(kanava.settings.vat_rate)
    net, vat = vat_breakdown(gross, rate)
    latest = (charged or waived)[-1]
    return Receipt(
        order=order,
        number=receipt_number(order),
        currency=order.currency,
        lines=tuple(lines),
        charged_cents=charged_cents,
        refunded_cents=refunded_cents,
        waived_cents=sum(p.amount_cents for p in waived),
        gross_cents=gross,
        net_cents=net,
        vat_cents=vat,
        vat_rate=rate,
        price_cents=order.amount_cents,
        paid_at=max((p.paid_at for p in charged if p.paid_at), default=None),
        link_token=latest.token,
        ends_at=order.ended_at or order.unpaid_from or order.ends_at,
    )


def receipt_for(session: Session, kanava: Kanava, token: str) -> Receipt | None:
    """The receipt of the order that the payment with ``token`` belongs to (any of the
    order's payment links shows it); None for an unknown token or an order without money
    taken or waived."""
    payment = find_by_token(session, token)
    if payment is None:
        return None
    return receipt_of_order(kanava, payment.order)


def latest_receipt(session: Session, kanava: Kanava, customer: Customer) -> Receipt | None:
    """The receipt of the customer's latest parking that cost them something (money paid
    and not all refunded), or None."""
    candidates = session.scalars(
        select(Order)
        .where(Order.customer_id == customer.id, Order.payments.any(Payment.captured_cents > 0))
        .order_by(Order.starts_at.desc(), Order.id.desc())
        .limit(50)
    )
    for order in candidates:
        found = receipt_of_order(kanava, order)
        if found is not None and found.gross_cents > 0:
            return found
    return None


def receipt_link_of(settings: Settings, receipt: Receipt) -> str:
    return f"{settings.public_base_url}/r/{receipt.link_token}"
