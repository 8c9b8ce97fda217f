"""The demo payment gateway: a page on this server with a "pay" button; no money moves.

Chosen by :mod:`app.bootstrap` when no ``STRIPE_SECRET_KEY`` is set, and never then; the
settings refuse it in production. Its checkouts are served by the channel
(``/demo-pay/<token>``), which completes them through
:func:`app.usecases.pay_link.complete_demo_payment`.
"""

from __future__ import annotations

import secrets

from app.config import Settings
from app.kernel.payments import (
    CheckoutInfo,
    CheckoutRequest,
    CustomerDetails,
    InvalidWebhook,
    PaymentInfo,
    WebhookEvent,
)


class DemoGateway:
    """Local demo payments: a page on this server with a "pay" button, no money moves."""

    name = "demo"
    saves_cards = False

    def __init__(self, settings: Settings) -> None:
        self._base = settings.public_base_url

    def create_checkout(self, request: CheckoutRequest) -> CheckoutInfo:
        return CheckoutInfo(
            ref=f"demo_cs_{request.payment_id}_{request.amount_cents}",
            url=None,  # the channel serves the demo page for the payment's token
            status="open",
            amount_cents=request.amount_cents,
            payment_ref=None,
            payment_id=request.payment_id,
        )

    def get_checkout(self, ref: str) -> CheckoutInfo:
        _, _, payment_id, amount = ref.split("_")
        return CheckoutInfo(ref, None, "open", int(amount), None, int(payment_id))

    def expire_checkout(self, ref: str, *, idempotency_key: str) -> None:
        return None

    def get_payment(self, ref: str) -> PaymentInfo:
        raise NotImplementedError("the demo gateway keeps no payments of its own")

    def create_customer(self, customer: CustomerDetails, *, idempotency_key: str) -> str:
        raise NotImplementedError("the demo gateway saves no cards")

    def delete_customer(self, ref: str) -> bool:
        return False  # it never created one

    def charge_saved_card(
        self,
        *,
        customer_ref: str,
        payment_method_ref: str,
        amount_cents: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> PaymentInfo:
        raise NotImplementedError("the demo gateway saves no cards")

    def capture(self, ref: str, amount_cents: int, *, idempotency_key: str) -> PaymentInfo:
        return PaymentInfo(ref, "succeeded", amount_cents, amount_cents, None, None, None)

    def cancel(self, ref: str, *, idempotency_key: str) -> None:
        return None

    def refund(self, ref: str, amount_cents: int, *, idempotency_key: str) -> str:
        return f"demo_re_{secrets.token_hex(6)}"

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        raise InvalidWebhook("the demo gateway receives no webhooks")
