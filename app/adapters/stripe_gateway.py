"""The payment port (:mod:`app.kernel.payments`) on Stripe, through the official SDK's
``StripeClient``.

``STRIPE_API_BASE`` points the client at a local peer (localstripe in the tests).
Checkout Sessions: https://docs.stripe.com/api/checkout/sessions/create; off-session
charges of a saved card: https://docs.stripe.com/payments/save-during-payment#charge-saved-payment-method;
idempotent requests: https://docs.stripe.com/api/idempotent_requests; webhook signatures:
https://docs.stripe.com/webhooks#verify-official-libraries.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any, cast

from app.config import Settings
from app.kernel.payments import (
    ChargeDeclined,
    CheckoutInfo,
    CheckoutRequest,
    CustomerDetails,
    InvalidWebhook,
    PaymentInfo,
    WebhookEvent,
)

# Stripe's SDK picks its async HTTP client when it is imported, by importing httpx or
# aiohttp if installed (aiohttp is, for Twilio's SDK): about 10 MiB in every web worker
# for a client Kanava never uses (it calls Stripe synchronously, through requests).
ASYNC_HTTP_LIBRARIES = ("httpx", "anyio", "aiohttp")


@contextlib.contextmanager
def _async_http_libraries_hidden() -> Iterator[None]:
    """While importing Stripe's SDK, make its async HTTP libraries unimportable (a ``None``
    in ``sys.modules`` raises ImportError), unless something imported them already; they
    stay importable by anything else afterwards."""
    hidden = [name for name in ASYNC_HTTP_LIBRARIES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


with _async_http_libraries_hidden():
    import stripe

# Seconds to connect to Stripe and to wait for its answer (requests' (connect, read)).
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
MAX_NETWORK_RETRIES = 1

# Checkout's own page languages that Kanava speaks.
CHECKOUT_LOCALES = {"fi": "fi", "sv": "sv", "en": "en"}


def _id(value: Any) -> str | None:
    """An id from a field that may be expanded into an object."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value["id"])


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


class StripeGateway:
    """Payments on Stripe: Checkout for a first payment, saved cards off-session after."""

    name = "stripe"
    saves_cards = True

    def __init__(self, settings: Settings) -> None:
        assert settings.stripe_secret_key
        # Calls are made while the use case holds row locks (the customer, the order, the
        # payment): fail within seconds, not the SDK's default 80 s. One retry is safe,
        # every POST carries an idempotency key.
        kwargs: dict[str, Any] = {
            "max_network_retries": MAX_NETWORK_RETRIES,
            "http_client": stripe.RequestsClient(timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)),
        }
        if settings.stripe_api_base:
            kwargs["base_addresses"] = {"api": settings.stripe_api_base}
        self._client = stripe.StripeClient(settings.stripe_secret_key, **kwargs)
        self._webhook_secret = settings.stripe_webhook_secret

    # -- Checkout -------------------------------------------------------------------------

    def create_checkout(self, request: CheckoutRequest) -> CheckoutInfo:
        metadata = {
            "kanava_payment_id": str(request.payment_id),
            "kanava_order_id": str(request.order_id),
        }
        intent_data: dict[str, Any] = {"metadata": metadata}
        if request.capture_later:
            intent_data["capture_method"] = "manual"
        if request.save_card:
            intent_data["setup_future_usage"] = "off_session"
        params: dict[str, Any] = {
            "mode": "payment",
            # No payment_method_types: the methods the account enables in its Dashboard.
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount_cents,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "metadata": metadata,
            "client_reference_id": str(request.order_id),
            "payment_intent_data": intent_data,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "locale": CHECKOUT_LOCALES.get(request.locale, "auto"),
        }
        if request.customer_ref:
            params["customer"] = request.customer_ref
        if request.consent_text:
            params["custom_text"] = {"submit": {"message": request.consent_text}}
        session = self._client.v1.checkout.sessions.create(
            cast(Any, params), {"idempotency_key": request.idempotency_key}
        )
        return self._checkout(session)

    def get_checkout(self, ref: str) -> CheckoutInfo:
        return self._checkout(self._client.v1.checkout.sessions.retrieve(ref))

    def expire_checkout(self, ref: str, *, idempotency_key: str) -> None:
        # Already complete or expired: nothing to close.
        with contextlib.suppress(stripe.InvalidRequestError):
            self._client.v1.checkout.sessions.expire(
                ref, options={"idempotency_key": idempotency_key}
            )

    @staticmethod
    def _checkout(session: Any) -> CheckoutInfo:
        data = session.to_dict() if hasattr(session, "to_dict") else dict(session)
        metadata = data.get("metadata") or {}
        return CheckoutInfo(
            ref=data["id"],
            url=data.get("url"),
            status=data.get("status") or "open",
            amount_cents=int(data.get("amount_total") or 0),
            payment_ref=_id(data.get("payment_intent")),
            payment_id=_int(metadata.get("kanava_payment_id")),
        )

    # -- PaymentIntents -------------------------------------------------------------------

    def get_payment(self, ref: str) -> PaymentInfo:
        return self._payment(self._client.v1.payment_intents.retrieve(ref))

    @staticmethod
    def _payment(intent: Any) -> PaymentInfo:
        data = intent.to_dict() if hasattr(intent, "to_dict") else dict(intent)
        metadata = data.get("metadata") or {}
        status = str(data["status"])
        amount = int(data["amount"])
        received = data.get("amount_received")
        if received is None:  # localstripe has no amount_received
            received = amount if status == "succeeded" else 0
        error = data.get("last_payment_error") or {}
        return PaymentInfo(
            ref=data["id"],
            status=status,
            amount_cents=amount,
            received_cents=int(received),
            customer_ref=_id(data.get("customer")),
            payment_method_ref=_id(data.get("payment_method")),
            payment_id=_int(metadata.get("kanava_payment_id")),
            failure=(error.get("decline_code") or error.get("code")) if error else None,
        )

    def create_customer(self, customer: CustomerDetails, *, idempotency_key: str) -> str:
        created = self._client.v1.customers.create(
            {"phone": customer.phone, "metadata": {"kanava_customer_id": str(customer.id)}},
            {"idempotency_key": idempotency_key},
        )
        return str(created.id)

    def delete_customer(self, ref: str) -> bool:
        try:
            self._client.v1.customers.delete(ref)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:  # resource_missing: deleted already
                return False
            raise
        return True

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
        try:
            intent = self._client.v1.payment_intents.create(
                {
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "customer": customer_ref,
                    "payment_method": payment_method_ref,
                    "off_session": True,
                    "confirm": True,
                    "metadata": metadata,
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            # Stripe answers 402 for a decline and for authentication_required off-session.
            error = exc.error
            intent_ref = _id(error.payment_intent) if error is not None else None
            code = (error.decline_code if error is not None else None) or exc.code
            raise ChargeDeclined(code or "card_declined", intent_ref) from exc
        info = self._payment(intent)
        if info.status == "requires_action":
            # Some Stripe-compatible servers answer 200 with requires_action instead of 402.
            self.cancel(info.ref, idempotency_key=idempotency_key + "-cancel")
            raise ChargeDeclined("authentication_required", info.ref)
        if info.status != "succeeded":
            raise ChargeDeclined(info.failure or info.status, info.ref)
        return info

    def capture(self, ref: str, amount_cents: int, *, idempotency_key: str) -> PaymentInfo:
        intent = self._client.v1.payment_intents.capture(
            ref, {"amount_to_capture": amount_cents}, {"idempotency_key": idempotency_key}
        )
        return self._payment(intent)

    def cancel(self, ref: str, *, idempotency_key: str) -> None:
        # Already canceled or succeeded: nothing to release.
        with contextlib.suppress(stripe.InvalidRequestError):
            self._client.v1.payment_intents.cancel(
                ref, options={"idempotency_key": idempotency_key}
            )

    def refund(self, ref: str, amount_cents: int, *, idempotency_key: str) -> str:
        created = self._client.v1.refunds.create(
            {"payment_intent": ref, "amount": amount_cents}, {"idempotency_key": idempotency_key}
        )
        return str(created.id)

    # -- webhooks -------------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        if not self._webhook_secret or not signature:
            raise InvalidWebhook("no signature or no STRIPE_WEBHOOK_SECRET")
        try:
            event = stripe.Webhook.construct_event(payload, signature, self._webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise InvalidWebhook(str(exc)) from exc
        obj = event.data.object.to_dict()
        return WebhookEvent(
            id=str(event.id),
            type=str(event.type),
            object_type=str(obj.get("object", "")),
            object_id=str(obj.get("id", "")),
        )
