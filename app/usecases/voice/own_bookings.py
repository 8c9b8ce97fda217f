"""The caller's upcoming bookings on a call: each read out with its reference, and one
cancelled, refunded by its zone's terms (:func:`app.backend.bookings.cancel_booking`, the
function the SMS, the web and the panel cancel through)."""

from __future__ import annotations

from app.backend import bookings, ledger
from app.backend.orders import OrderError
from app.domain.booking_policy import refund_cents
from app.kernel.calls import GatherSpec, Spoken, VoiceTurn
from app.models import Channel, Order, OrderStatus
from app.texts import bookings as booking_texts
from app.texts import voice_prompts as P
from app.usecases import outbox_dispatch as notifications
from app.usecases.voice.dialogue import MAX_MENU_ITEMS
from app.usecases.voice.paying import PayingFlow
from app.usecases.voice.states import CallState


class OwnBookingsFlow(PayingFlow):
    """Hear the upcoming bookings of the caller's number, and cancel one."""

    def upcoming(self) -> list[Order]:
        if self.customer is None:
            return []
        return bookings.upcoming_bookings(self.session, self.customer, self.now)

    def list_bookings(self) -> VoiceTurn:
        """The main menu's bookings key."""
        if self.customer is None:
            self.say(P.hidden_number)
            return self.goto(CallState.MAIN)
        found = self.upcoming()[:MAX_MENU_ITEMS]
        if not found:
            self.say(P.no_bookings)
            return self.goto(CallState.MAIN)
        self.data["booking_ids"] = [o.id for o in found]
        return self.goto(CallState.BOOKINGS)

    def _window_words(self, order: Order) -> tuple[str, str, str]:
        assert order.ends_at is not None
        day = self.day(self.local_day(order.starts_at))
        return day, self.clock(order.starts_at), self.clock(order.ends_at)

    def ask_bookings(self) -> tuple[list[Spoken], GatherSpec]:
        texts = []
        for key, order_id in enumerate(self.data.get("booking_ids", []), 1):
            order = self._order(order_id)
            if order is None:
                continue
            line = self.t(
                P.booking_item,
                key,
                order.zone.code,
                *self._window_words(order),
                order.booking_ref or "",
            )
            if order.status is OrderStatus.AWAITING_PAYMENT:
                line += " " + self.t(P.booking_not_paid)
            texts.append(line)
        texts.append(self.t(P.bookings_keys))
        return self.lines(*texts), GatherSpec(action="")

    def on_bookings(self, digits: str, speech: str) -> VoiceTurn:
        ids: list[int] = self.data.get("booking_ids", [])
        key = digits[:1]
        if key == "0":
            return self.goto(CallState.MAIN)
        if not key.isdigit() or not 1 <= int(key) <= len(ids):
            return self.invalid(digits)
        self.data["order_id"] = ids[int(key) - 1]
        return self.goto(CallState.BOOKING_CANCEL)

    def _chosen_booking(self) -> Order | None:
        order = self._order(self.data.get("order_id"))
        if order is None or not bookings.is_upcoming(order, self.now):
            return None
        return order

    def ask_booking_cancel(self) -> tuple[list[Spoken], GatherSpec]:
        order = self._chosen_booking()
        if order is None:
            self.call.state = CallState.MAIN
            self.say(P.booking_gone)
            return self.steps[CallState.MAIN].ask(self)
        ref = order.booking_ref or ""
        back = refund_cents(
            bookings.terms_of(order.zone), ledger.paid_total(order), order.starts_at, self.now
        )
        if order.status is OrderStatus.AWAITING_PAYMENT:
            text = self.t(P.booking_cancel_unpaid, ref)
        elif back > 0:
            text = self.t(P.booking_cancel_refunds, ref, self.money(back))
        else:
            text = self.t(P.booking_cancel_no_refund, ref)
        return self.lines(text, self.t(P.booking_cancel_keys)), GatherSpec(action="")

    def on_booking_cancel(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "2":
            self.say(P.booking_kept)
            return self.goto(CallState.MAIN)
        if digits[:1] != "1":
            return self.invalid(digits)
        order = self._chosen_booking()
        if order is None:
            self.say(P.booking_gone)
            return self.goto(CallState.MAIN)
        try:
            done = bookings.cancel_booking(
                self.session, self.kanava, order, now=self.now, channel=Channel.VOICE
            )
        except OrderError:
            # Cancelled or ended meanwhile (a text message, staff, the clock).
            self.say(P.booking_gone)
            return self.goto(CallState.MAIN)
        self.say(P.booking_cancelled, order.booking_ref or "")
        if done.refunded_cents > 0:
            self.say(P.booking_refunded, self.money(done.refunded_cents))
        if self.call.can_sms and self.customer is not None:
            notifications.queue_sms(
                self.session,
                self.kanava,
                self.customer,
                booking_texts.booking_cancelled(
                    order, done.refunded_cents, done.paid_cents, self.lang
                ),
                purpose="voice_booking_cancelled",
                order=order,
                now=self.now,
            )
        self.say(P.anything_else)
        return self.goto(CallState.MAIN)
