"""Paying on a call: a card keyed on the line (``<Pay>``) or a payment link by SMS."""

from __future__ import annotations

from app.backend import bookings, ledger, orders, saved_cards
from app.kernel.calls import GatherSpec, PaySpec, Spoken, VoiceTurn
from app.models import (
    LIVE_STATUSES,
    Channel,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
)
from app.texts import messages
from app.texts import voice_prompts as P
from app.usecases import outbox_dispatch as notifications
from app.usecases.voice.dialogue import PAY_URL, CallInput, Dialogue, takes_cards_by_phone
from app.usecases.voice.states import CallState


class PayingFlow(Dialogue):
    """After parking, extending or stopping: the money asked for, and how."""

    def collect(self, order: Order, payment: Payment | None, paying_for: str = "park") -> VoiceTurn:
        """After parking or extending: make sure the money is asked for, then confirm."""
        if (
            payment is None
            or payment.status is not PaymentStatus.PENDING
            or payment.amount_cents == 0
        ):
            if any(
                p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED)
                and p.paid_at == self.now
                for p in order.payments
            ):
                self.say(P.saved_card_charged, self.money(order.amount_cents))
            return self.confirm(order)
        self.data["order_id"] = order.id
        self.data["payment_id"] = payment.id
        self.data["paying_for"] = paying_for
        if takes_cards_by_phone(self.kanava) and not order.open_ended:
            # A card by phone is charged an exact amount; a parking until stopped is held
            # through the payment link instead (checked for landlines in on_quote).
            return self.goto(CallState.PAY_CHOICE if self.call.can_sms else CallState.PAY_CARD)
        return self.send_link_or_wait(order, payment)

    def send_link_or_wait(self, order: Order, payment: Payment) -> VoiceTurn:
        if order.kind is OrderKind.BOOKING:
            return self.send_booking_link(order, payment)
        grace = self.kanava.settings.payment_grace_minutes
        if self.call.can_sms and self.customer is not None:
            link = ledger.pay_link(self.kanava.settings, payment)
            if order.status is OrderStatus.ENDED:
                text = messages.parking_stopped(
                    order, order.amount_cents, link, self.lang, self.kanava, self.now
                )
            elif self.data.get("paying_for") == "extend":
                added = self.data.get("extension_added_cents")
                text = messages.parking_extended(
                    order,
                    added if isinstance(added, int) else payment.amount_cents,
                    False,
                    link,
                    self.lang,
                    self.kanava,
                    self.now,
                    to_pay_cents=payment.amount_cents,
                )
            else:
                text = messages.parking_started(
                    order, payment, link, self.lang, self.kanava, self.now
                )
            notifications.queue_sms(
                self.session,
                self.kanava,
                self.customer,
                text,
                purpose="voice_pay_link",
                order=order,
                now=self.now,
            )
            self.say(P.pay_link_sent, grace)
        else:
            self.say(P.landline_awaiting_payment, grace)
        if order.status is not OrderStatus.ENDED:
            self.say_end(order)
        return self.goto(CallState.MAIN)

    def send_booking_link(self, order: Order, payment: Payment) -> VoiceTurn:
        """A booking waits for its payment until its hold lapses: the link goes by SMS with
        the booking's reference (a booking is never offered to a caller who can neither
        take an SMS nor pay by card)."""
        link = ledger.pay_link(self.kanava.settings, payment)
        if order.hold_expires_at is not None:
            self.say(P.booking_pay_link_sent, self.clock(order.hold_expires_at))
        return self.booked(order, link)

    def ask_pay_choice(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.pay_choice)), GatherSpec(action="")

    def on_pay_choice(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            return self.start_card_payment()
        if digits[:1] == "2":
            order, payment = self._payment()
            if order is None or payment is None:
                return self.goto(CallState.MAIN)
            return self.send_link_or_wait(order, payment)
        return self.invalid(digits)

    def ask_pay_card(self) -> tuple[list[Spoken], GatherSpec]:
        if self.data.get("paying_for") == "book":
            return self.lines(self.t(P.pay_card_only_booking)), GatherSpec(action="")
        return self.lines(self.t(P.pay_card_only)), GatherSpec(action="")

    def on_pay_card(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            return self.start_card_payment()
        if digits[:1] == "2":
            order, _payment = self._payment()
            if order is not None and order.kind is OrderKind.BOOKING:
                return self.drop_unpaid_booking(order)
            if order is not None and order.status in LIVE_STATUSES:
                orders.stop_parking(
                    self.session,
                    self.kanava,
                    order,
                    now=self.now,
                    channel=Channel.VOICE,
                    reason="not paid",
                )
            self.say(P.parking_cancelled_unpaid)
            return self.goto(CallState.MAIN)
        return self.invalid(digits)

    def drop_unpaid_booking(self, order: Order) -> VoiceTurn:
        """The caller on a landline would not pay by card: the held space is released."""
        if bookings.is_upcoming(order, self.now) and order.status is OrderStatus.AWAITING_PAYMENT:
            bookings.cancel_booking(
                self.session,
                self.kanava,
                order,
                now=self.now,
                channel=Channel.VOICE,
                reason="not paid",
            )
        self.say(P.booking_cancelled_unpaid)
        return self.goto(CallState.MAIN)

    def _payment(self) -> tuple[Order | None, Payment | None]:
        order = self._order(self.data.get("order_id"))
        payment_id = self.data.get("payment_id")
        payment = self.session.get(Payment, payment_id) if isinstance(payment_id, int) else None
        if order is None or payment is None or payment.order_id != order.id:
            return None, None
        return order, payment

    def start_card_payment(self) -> VoiceTurn:
        order, payment = self._payment()
        if order is None or payment is None or payment.status is not PaymentStatus.PENDING:
            return self.goto(CallState.MAIN)
        self.call.state = CallState.PAYING
        self.call.step += 1
        self.call.data = dict(self.data)
        self.say(P.pay_intro)
        prompts = {
            "payment-card-number": self.t(P.pay_card_number),
            "expiration-date": self.t(P.pay_expiry),
            "security-code": self.t(P.pay_security_code),
            "payment-processing": self.t(P.pay_processing),
        }
        return VoiceTurn(
            lang=self.lang,
            say=self.notes,
            pay=PaySpec(
                action=f"{PAY_URL}?n={self.call.step}",
                currency=payment.currency.lower(),
                description=f"Kanava {order.plate_display} {order.zone.code}",
                prompts=prompts,
            ),
        )

    def ask_paying(self) -> tuple[list[Spoken], GatherSpec]:
        # Reached only by a repeat or a stray key: offer the card again.
        self.call.state = CallState.PAY_CHOICE if self.call.can_sms else "pay_card"
        if not self.call.can_sms:
            return self.ask_pay_card()
        return self.lines(self.t(P.pay_choice)), GatherSpec(action="")

    def charge_card(self, payment: Payment, given: CallInput) -> str | None:
        """Charge the card ``<Pay>`` tokenised for the exact amount of ``payment``, through
        :func:`saved_cards.charge_tokenised_card` (the one place that completes a payment);
        the Stripe customer (``ProfileId``) and payment method (``PaymentToken``) are the
        ones the connector created. Returns why it failed, or None when it is paid."""
        if (
            given.pay_result != "success"
            or not given.payment_token
            or not (takes_cards_by_phone(self.kanava))
        ):
            # No card to charge: record why (a charge records its own outcome).
            failure = (
                "gateway_without_cards"
                if given.pay_result == "success" and given.payment_token
                else given.payment_error or given.pay_result or "no_card"
            )
            saved_cards.no_card_by_phone(self.session, payment, failure, now=self.now)
            return failure
        charged = saved_cards.charge_tokenised_card(
            self.session,
            self.kanava,
            payment,
            given.payment_token,
            customer_ref=given.profile_id,
            # One key per attempt: a second card after a decline is a new charge.
            attempt=f"voice-{self.call.step}",
            now=self.now,
        )
        return charged.failure

    def on_paying(self, digits: str, speech: str) -> VoiceTurn:
        if self.call.can_sms:
            return self.on_pay_choice(digits, speech)
        return self.on_pay_card(digits, speech)

    def on_pay_result(self, given: CallInput) -> VoiceTurn:
        order, payment = self._payment()
        if order is None or payment is None:
            return self.goto(CallState.MAIN)
        if given.pay_result == "caller-hung-up":
            self.call.end_reason = "hung_up_in_payment"
            return VoiceTurn(lang=self.lang, hangup=True)
        if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED):
            self.say(P.pay_accepted)
            return self.confirm(order)
        failure = self.charge_card(payment, given)
        if failure is not None:
            self.say(P.pay_failed)
            return self.goto(CallState.PAY_CHOICE if self.call.can_sms else CallState.PAY_CARD)
        self.say(P.pay_accepted)
        return self.confirm(order)
