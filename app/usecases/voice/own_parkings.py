"""The caller's own parkings on a call: extend one, stop one, hear their status."""

from __future__ import annotations

from app.backend import orders
from app.kernel.calls import GatherSpec, Spoken, VoiceTurn
from app.models import LIVE_STATUSES, Channel, Order, PaymentStatus
from app.texts import messages
from app.texts import voice_prompts as P
from app.usecases import outbox_dispatch as notifications
from app.usecases.voice.dialogue import MAX_MENU_ITEMS, takes_cards_by_phone
from app.usecases.voice.paying import PayingFlow
from app.usecases.voice.states import CallState


class OwnParkingsFlow(PayingFlow):
    """Extend, stop and status of the parkings the caller's number has."""

    def choose_order(self, action: str) -> VoiceTurn:
        if self.customer is None:
            self.say(P.hidden_number)
            return self.goto(CallState.MAIN)
        live = orders.live_orders(self.session, self.customer, self.now)
        if not live:
            self.say(P.no_live_parking)
            return self.goto(CallState.MAIN)
        self.data["action"] = action
        if len(live) == 1:
            self.data["order_id"] = live[0].id
            return self.goto(
                CallState.EXTEND_MINUTES if action == "extend" else CallState.STOP_CONFIRM
            )
        self.data["order_ids"] = [o.id for o in live[:MAX_MENU_ITEMS]]
        return self.goto(CallState.CHOOSE_ORDER)

    def ask_choose_order(self) -> tuple[list[Spoken], GatherSpec]:
        texts = []
        for i, order_id in enumerate(self.data.get("order_ids", []), 1):
            order = self._order(order_id)
            if order is not None:
                texts.append(self.t(P.choose_order_option, order.plate_display, order.zone.code, i))
        return self.lines(*texts), GatherSpec(action="")

    def on_choose_order(self, digits: str, speech: str) -> VoiceTurn:
        ids: list[int] = self.data.get("order_ids", [])
        if not digits[:1].isdigit() or not 1 <= int(digits[:1]) <= len(ids):
            return self.invalid(digits)
        self.data["order_id"] = ids[int(digits[:1]) - 1]
        action = self.data.get("action")
        return self.goto(CallState.EXTEND_MINUTES if action == "extend" else CallState.STOP_CONFIRM)

    def _live_chosen(self) -> Order | None:
        order = self._order(self.data.get("order_id"))
        if order is None or order.status not in LIVE_STATUSES:
            return None
        if order.ends_at is not None and order.ends_at <= self.now:
            return None
        return order

    def ask_extend_minutes(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.ask_extension)), GatherSpec(
            action="", num_digits=None, finish_on_key="#", timeout=8
        )

    def on_extend_minutes(self, digits: str, speech: str) -> VoiceTurn:
        order = self._live_chosen()
        if order is None:
            self.say(P.no_live_parking)
            return self.goto(CallState.MAIN)
        value = digits.rstrip("#")
        if not value.isdigit():
            return self.invalid(digits)
        try:
            extended = orders.extend_parking(
                self.session, self.kanava, order, int(value), now=self.now, channel=Channel.VOICE
            )
        except orders.OrderError as exc:
            if exc.code == "bad_duration":
                return self.reject(P.bad_duration)
            if exc.code == "open_ended":
                self.say(P.cannot_extend_open_ended)
            elif exc.code == "at_max_stay":
                self.say(P.at_max_stay, self.time(order.ends_at) or "")
            else:
                self.say(P.no_live_parking)
            return self.goto(CallState.MAIN)
        self.say(P.extended, self.time(order.ends_at) or "", self.money(extended.added_cents))
        # The pay link's SMS names the added price, and the total it asks apart.
        self.data["extension_added_cents"] = extended.added_cents
        pay = extended.payment
        if pay is not None and pay.status is PaymentStatus.PENDING and extended.added_cents > 0:
            return self.collect(order, pay, "extend")
        return self.confirm(order)

    def ask_stop_confirm(self) -> tuple[list[Spoken], GatherSpec]:
        order = self._live_chosen()
        if order is None:
            self.call.state = CallState.MAIN
            self.say(P.no_live_parking)
            return self.steps[CallState.MAIN].ask(self)
        return self.lines(self.t(P.confirm_stop, order.plate_display, order.zone.code)), GatherSpec(
            action=""
        )

    def on_stop_confirm(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "2":
            return self.goto(CallState.MAIN)
        if digits[:1] != "1":
            return self.invalid(digits)
        order = self._live_chosen()
        if order is None:
            self.say(P.no_live_parking)
            return self.goto(CallState.MAIN)
        try:
            stopped = orders.stop_parking(
                self.session, self.kanava, order, now=self.now, channel=Channel.VOICE
            )
        except orders.OrderError:
            # Stopped meanwhile by a text message, staff or the clock.
            self.say(P.no_live_parking)
            return self.goto(CallState.MAIN)
        self.say(P.stopped, self.money(stopped.amount_cents))
        if stopped.refunded_cents > 0:
            self.say(P.stop_refunded, self.money(stopped.refunded_cents))
        pay = stopped.payment
        if pay is not None and pay.status is PaymentStatus.PENDING and pay.amount_cents > 0:
            self.data["payment_id"] = pay.id
            self.data["paying_for"] = "stop"
            if takes_cards_by_phone(self.kanava):
                return self.goto(CallState.PAY_CHOICE if self.call.can_sms else CallState.PAY_CARD)
            return self.send_link_or_wait(order, pay)
        self._text_the_stop(order, stopped)
        self.say(P.anything_else)
        return self.goto(CallState.MAIN)

    def _text_the_stop(self, order: Order, stopped: orders.ParkingStopped) -> None:
        """The stop in writing, as a stop by SMS answers: the price, the refund, the
        receipt (a mobile caller whose number Kanava knows)."""
        if not self.call.can_sms or self.customer is None:
            return
        text = messages.parking_stopped(
            order,
            stopped.amount_cents,
            None,
            self.lang,
            self.kanava,
            self.now,
            refunded_cents=stopped.refunded_cents,
            held_cents=stopped.held_cents,
            released_cents=stopped.released_cents,
        )
        notifications.queue_sms(
            self.session,
            self.kanava,
            self.customer,
            text,
            purpose="voice_stopped",
            order=order,
            now=self.now,
        )
        self.say(P.stop_texted)

    def status(self) -> VoiceTurn:
        if self.customer is None:
            self.say(P.hidden_number)
            return self.goto(CallState.MAIN)
        live = orders.live_orders(self.session, self.customer, self.now)
        if not live:
            self.say(P.no_live_parking)
        for order in live[:MAX_MENU_ITEMS]:
            self.note(self.summary(order))
        self.data["heard_status"] = True
        return self.goto(CallState.MAIN)
