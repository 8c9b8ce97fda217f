"""Dialogue step: the price of a zone (``HINTA/PRIS/PRICE [zone] [duration]`` and price
questions in words; issue 12, point 2).

Without a zone, the zone of the driver's current parking, else of their last one, is
priced; a driver who never parked is asked for the zone, and a zone code alone as the next
message (within the pending question's life) answers it.
"""

from __future__ import annotations

from sqlalchemy import select

from app.backend import orders, zones
from app.domain.parsing import Intent
from app.models import Order, Zone
from app.texts import dialogue as texts
from app.usecases.sms.steps import Reply, Steps

KIND = "price_zone"


class PriceSteps(Steps):
    def price(self) -> Reply:
        code = self.parsed.zone
        if code is None:
            zone = self._zone_of_last_parking()
            if zone is None:
                self._ask(kind=KIND, minutes=self.parsed.duration_minutes, lang=self.lang)
                keyword = texts.PRICE_WORD.get(self.lang, "PRICE")
                return self._reply(texts.price_needs_zone(self.lang, keyword))
            return self._price_of(zone, self.parsed.duration_minutes, self.parsed.until_time)
        found = zones.find(self.session, code)
        if found is None:
            return self._unknown_zone(code)
        return self._price_of(found, self.parsed.duration_minutes, self.parsed.until_time)

    def answers_price_zone(self) -> bool:
        """A zone code alone, right after "which zone?" for a price."""
        p = self.parsed
        return (
            (self.pending or {}).get("kind") == KIND
            and p.intent is Intent.PARK
            and p.zone is not None
            and p.plate is None
        )

    def answer_price_zone(self) -> Reply:
        minutes = (self.pending or {}).get("minutes")
        if self.parsed.language is None:  # a bare zone code: answer in the question's language
            self.lang = str((self.pending or {}).get("lang") or self.lang)
        self._clear()
        self.pending = None
        assert self.parsed.zone is not None
        found = zones.find(self.session, self.parsed.zone)
        if found is None:
            return self._unknown_zone(self.parsed.zone)
        reply = self._price_of(found, self.parsed.duration_minutes or minutes, None)
        reply.intent = Intent.PRICE.value
        return reply

    def _price_of(self, zone: Zone, minutes: int | None, until: str | None) -> Reply:
        if until is not None:
            minutes = self._minutes_until(until)
        quoted = None
        if minutes is not None:
            _, quoted = orders.quote(zone, self.now, minutes, self.kanava)
        return self._reply(
            texts.zone_price(
                zone, self.lang, self.kanava, self.now, minutes=minutes, quoted_cents=quoted
            )
        )

    def _zone_of_last_parking(self) -> Zone | None:
        live = orders.live_orders(self.session, self.customer, self.now)
        if live:
            return live[0].zone
        last = self.session.scalar(
            select(Order)
            .where(Order.customer_id == self.customer.id)
            .order_by(Order.starts_at.desc(), Order.id.desc())
            .limit(1)
        )
        return last.zone if last is not None else None
