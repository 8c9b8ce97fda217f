"""An in-process card gateway for the voice random walk, which checks that every step
answers valid TwiML, not how money moves (payments are tested against localstripe with
the real ``stripe`` SDK: test_voice_pay.py, test_stripe_webhook.py, test_money_paths.py).
"""

from __future__ import annotations

import secrets

from app.config import Settings
from app.services import payments


class LocalCardGateway(payments.DemoGateway):
    """Charges tokenised cards locally; remembers every charge it made."""

    name = "localcard"
    saves_cards = True

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.charges: list[tuple[str, str, int]] = []

    def charge_saved_card(
        self,
        *,
        customer_ref: str,
        payment_method_ref: str,
        amount_cents: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> payments.PaymentInfo:
        if payment_method_ref == "pm_card_chargeCustomerFail":
            raise payments.ChargeDeclined("card_declined", "pi_declined")
        self.charges.append((customer_ref, payment_method_ref, amount_cents))
        payment_id = metadata.get("kanava_payment_id")
        return payments.PaymentInfo(
            ref="pi_" + secrets.token_hex(8),
            status="succeeded",
            amount_cents=amount_cents,
            received_cents=amount_cents,
            customer_ref=customer_ref,
            payment_method_ref=payment_method_ref,
            payment_id=int(payment_id) if payment_id else None,
        )
