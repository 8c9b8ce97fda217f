"""Dialogue step: ``KORJAA/ÄNDRA/FIX <plate or zone>`` corrects the driver's latest parking
within ``CORRECTION_MINUTES`` of its start (issue 12; :mod:`app.backend.corrections`).

Without a target (``väärä rekkari``) the driver is asked which plate or zone is right; a
plate alone or a zone alone as the next message answers it.
"""

from __future__ import annotations

from app.backend import corrections, ledger, orders, zones
from app.domain.parsing import Intent
from app.models import Channel, Order, Zone
from app.texts import dialogue as texts
from app.texts import messages
from app.usecases.sms.steps import Reply, Steps

KIND = "correct_target"


class CorrectionSteps(Steps):
    def correct(self) -> Reply:
        order = self._latest_live()
        if order is None:
            return self._reply(messages.no_live_parking(self.lang))
        if not corrections.can_correct(order, self.kanava, self.now):
            text = texts.correction_too_late(order, self.lang, self.kanava, self.now)
            return self._reply(text, order=order)
        if self.parsed.plate is None and self.parsed.zone is None:
            self._ask(kind=KIND, order_id=order.id, lang=self.lang)
            return self._reply(texts.correction_needs_target(order, self.lang), order=order)
        return self._correct(order, self.parsed.plate, self.parsed.zone)

    def answers_correction(self) -> bool:
        """A plate alone or a zone alone, right after "which plate or zone?"."""
        p = self.parsed
        return (
            (self.pending or {}).get("kind") == KIND
            and p.intent is Intent.PARK
            and (p.plate is None) != (p.zone is None)
        )

    def answer_correction(self) -> Reply:
        pending = self.pending or {}
        self._clear()
        self.pending = None
        if self.parsed.language is None:
            self.lang = str(pending.get("lang") or self.lang)
        live = {o.id: o for o in orders.live_orders(self.session, self.customer, self.now)}
        order = live.get(int(pending.get("order_id", 0)))
        reply = (
            self._reply(messages.no_live_parking(self.lang))
            if order is None
            else self._correct(order, self.parsed.plate, self.parsed.zone)
        )
        reply.intent = Intent.CORRECT.value
        return reply

    def _correct(self, order: Order, plate: str | None, zone_code: str | None) -> Reply:
        zone: Zone | None = None
        if zone_code is not None:
            zone = zones.find(self.session, zone_code)
            if zone is None:
                return self._unknown_zone(zone_code)
        try:
            done = corrections.correct_parking(
                self.session,
                self.kanava,
                order,
                plate=plate,
                zone=zone,
                now=self.now,
                channel=Channel.SMS,
            )
        except orders.OrderError as exc:
            if exc.code == "unchanged":
                return self._reply(texts.correction_unchanged(order, self.lang), order=order)
            return self._reply(
                texts.correction_too_late(order, self.lang, self.kanava, self.now), order=order
            )
        link = ledger.link_to_pay(self.kanava, done.payment)
        pay_cents = done.payment.amount_cents if done.payment is not None and link else None
        text = texts.corrected(
            done.order, pay_cents, link, done.refunded_cents, self.lang, self.kanava, self.now
        )
        return self._reply(text, order=done.order)

    def _latest_live(self) -> Order | None:
        live = orders.live_orders(self.session, self.customer, self.now)
        return max(live, key=lambda o: (o.starts_at, o.id), default=None)
