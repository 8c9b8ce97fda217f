"""The payment port: what Kanava needs from a payment provider, and what it hands over.

Implemented by :class:`~app.adapters.stripe_gateway.StripeGateway` and
:class:`~app.adapters.demo_gateway.DemoGateway`; :mod:`app.bootstrap` picks one from the
settings. Amounts are integer minor units. Everything here is plain data or a Protocol:
an adapter imports this module, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CustomerDetails(Protocol):
    """The driver as a provider customer is made from: Kanava's id and the phone number."""

    @property
    def id(self) -> int: ...

    @property
    def phone(self) -> str: ...


@dataclass(frozen=True)
class CheckoutRequest:
    """A hosted checkout for one payment record."""

    payment_id: int
    order_id: int
    amount_cents: int
    currency: str
    description: str
    success_url: str
    cancel_url: str
    locale: str
    # Hold the card and capture later (open-ended parking): the amount is the most it costs.
    capture_later: bool
    # Save the card for off-session charges (only with the driver's consent).
    save_card: bool
    customer_ref: str | None
    consent_text: str | None
    idempotency_key: str


@dataclass(frozen=True)
class CheckoutInfo:
    """The provider's current view of a hosted checkout."""

    ref: str
    url: str | None
    status: str  # "open", "complete" or "expired"
    amount_cents: int
    payment_ref: str | None  # the PaymentIntent behind it, once paid
    payment_id: int | None  # Kanava's payment id, from the metadata


@dataclass(frozen=True)
class PaymentInfo:
    """The provider's current view of a payment (a PaymentIntent)."""

    ref: str
    # "succeeded", "requires_capture", "requires_action", "requires_payment_method",
    # "processing", "canceled" or "requires_confirmation"
    status: str
    amount_cents: int
    received_cents: int
    customer_ref: str | None
    payment_method_ref: str | None
    payment_id: int | None
    failure: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event: only ids and types, never trusted amounts."""

    id: str
    type: str
    object_type: str
    object_id: str


class ChargeDeclined(Exception):
    """An off-session charge failed; ``code`` is the provider's reason."""

    def __init__(self, code: str, payment_ref: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.payment_ref = payment_ref


class InvalidWebhook(Exception):
    """The webhook's signature or payload is not valid."""


class PaymentGateway(Protocol):
    """What Kanava needs from a payment provider."""

    name: str
    # Can cards be saved and charged off-session?
    saves_cards: bool

    def create_checkout(self, request: CheckoutRequest) -> CheckoutInfo:
        """Open a hosted checkout; its ``url`` is where the driver pays."""
        ...

    def get_checkout(self, ref: str) -> CheckoutInfo:
        """The checkout as the provider sees it now."""
        ...

    def expire_checkout(self, ref: str, *, idempotency_key: str) -> None:
        """Close a checkout that must not be paid any more (its amount changed)."""
        ...

    def get_payment(self, ref: str) -> PaymentInfo:
        """The payment as the provider sees it now."""
        ...

    def create_customer(self, customer: CustomerDetails, *, idempotency_key: str) -> str:
        """A provider customer for the driver, to save a card on."""
        ...

    def delete_customer(self, ref: str) -> bool:
        """Delete the provider customer ``ref`` and every card saved on it (erasure).
        True when deleted; False when the provider has no such customer (deleted already).
        Raises on any other failure (the provider unreachable), so nothing is erased."""
        ...

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
        """Charge a saved card off-session. Raises :class:`ChargeDeclined` on a decline or
        when the bank wants the driver to authenticate (``authentication_required``)."""
        ...

    def capture(self, ref: str, amount_cents: int, *, idempotency_key: str) -> PaymentInfo:
        """Capture ``amount_cents`` of a held card."""
        ...

    def cancel(self, ref: str, *, idempotency_key: str) -> None:
        """Release a held card or abandon an unfinished payment."""
        ...

    def refund(self, ref: str, amount_cents: int, *, idempotency_key: str) -> str:
        """Refund part or all of a captured payment; returns the refund id."""
        ...

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        """Verify a webhook delivery. Raises :class:`InvalidWebhook`."""
        ...
