"""Parking on a call: the zone (keys or words), the plate, the duration, the price."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.backend import customers, ledger, orders, zones
from app.domain.pricing import is_paid_time, next_paid_change
from app.domain.speech import asks_for_zone_list, spoken_plate, spoken_zone
from app.kernel.calls import GatherSpec, Spoken, VoiceTurn
from app.models import Channel, Order, Zone
from app.texts import voice_prompts as P
from app.usecases.voice.dialogue import MAX_MENU_ITEMS, takes_cards_by_phone
from app.usecases.voice.paying import PayingFlow
from app.usecases.voice.states import CallState

# Google's class token for spelled sequences, a hint that <Gather> accepts for speech.
ALPHANUMERIC_HINT = "$OOV_CLASS_ALPHANUMERIC_SEQUENCE"
# Read out in full up to this many zones; beyond it only those with letters, whose phone
# codes no sign shows as the zone's own number.
MAX_LISTED_ZONES = 12
MAX_ZONE_HINTS = 60
# Keyed where a zone is asked: the list of zones (as 8 is on the main menu), unless a
# zone is keyed so.
ZONE_LIST_KEY = "8"


class ParkingFlow(PayingFlow):
    """A new parking: zone, plate, duration and price, then :meth:`park`."""

    # The list of zones was read in this step (the question after it need not offer it).
    zones_read_now = False

    def ask_zone(self) -> tuple[list[Spoken], GatherSpec]:
        # After a miss, with the list heard earlier in the call: asked again briefly,
        # with the list on 8.
        again = self.call.invalid_count > 0 and not self.zones_read_now
        return self.lines(self.t(P.ask_zone_again if again else P.ask_zone)), GatherSpec(
            action="",
            input="speech dtmf",
            num_digits=None,
            finish_on_key="#",
            hints=self._zone_hints(),
            timeout=8,
        )

    def _ensure_phone_codes(self) -> None:
        """Zones from before phone codes get theirs on first need (the import gives them
        to new zones): a lettered zone must be reachable by keys."""
        try:
            with self.session.begin_nested():
                zones.assign_phone_codes(self.session)
        except IntegrityError:
            pass  # another call assigned them at the same moment; those stand

    def _zone_hints(self) -> str:
        """Speech hints: the zone codes, lettered ones also spelled ("E V 1")."""
        hints: list[str] = []
        for zone in zones.active_zones(self.session):
            hints.append(zone.code)
            if not zones.is_digit_code(zone.code):
                hints.append(" ".join(zone.code))
        return ",".join([*hints[:MAX_ZONE_HINTS], ALPHANUMERIC_HINT])

    def say_zone_list(self) -> None:
        """Say the zones with what to key for each: all of them when there are few, else
        those with letters (the others key the number on their sign)."""
        self._ensure_phone_codes()
        self.data["zones_heard"] = True
        self.zones_read_now = True
        active = zones.active_zones(self.session)
        lettered = [z for z in active if not zones.is_digit_code(z.code)]
        listed = active if len(active) <= MAX_LISTED_ZONES else lettered[:MAX_LISTED_ZONES]
        self.say(P.zones_intro)
        for zone in listed:
            keys = zones.keyed_code(zone)
            if zones.is_digit_code(zone.code):
                self.say(P.zone_item, zone.code, zone.name)
            elif keys is not None:
                self.say(P.lettered_zone_item, zone.code, zone.name, keys)
        if len(listed) < len(active):
            self.say(P.more_zones_on_signs)

    def zone_refused(self, build: Any, *args: Any) -> VoiceTurn:
        """An unknown or unheard zone: say why, and ask again. The list of zones is read
        the first time only (once in a call); after that the question offers it on 8."""
        self.say(build, *args)
        if (end := self.missed()) is not None:
            return end
        if not self.data.get("zones_heard"):
            self.say_zone_list()
        return self.prompt()

    def zone_keyed(self, code: str) -> VoiceTurn:
        """The zone keyed as ``code`` (its code, or a lettered zone's phone code), to be
        confirmed; ``8`` alone (no zone keyed so) reads the list of zones."""
        self._ensure_phone_codes()
        zone = zones.find_by_keys(self.session, code)
        if zone is None and code == ZONE_LIST_KEY:
            self.say_zone_list()
            return self.prompt()
        if zone is None:
            if not code:
                return self.zone_refused(P.zone_not_understood)
            return self.zone_refused(P.unknown_zone, code)
        self.data["zone"] = zone.code
        return self.goto(CallState.ZONE_CONFIRM)

    def on_zone(self, digits: str, speech: str) -> VoiceTurn:
        self._ensure_phone_codes()
        if digits:
            return self.zone_keyed(digits.rstrip("#"))
        active = zones.active_zones(self.session)
        by_words = {z.code: z for z in active} | {z.phone_code: z for z in active if z.phone_code}
        heard = spoken_zone(speech, by_words)
        if heard is None:
            if asks_for_zone_list(speech):
                self.say_zone_list()
                return self.prompt()
            return self.zone_refused(P.zone_not_understood)
        self.data["zone"] = by_words[heard].code
        return self.goto(CallState.ZONE_CONFIRM)

    def ask_zone_confirm(self) -> tuple[list[Spoken], GatherSpec]:
        zone = zones.find(self.session, self.data["zone"])
        assert zone is not None
        return self.lines(self.t(P.confirm_zone, zone.code, zone.name)), GatherSpec(action="")

    def on_zone_confirm(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            return self.goto(CallState.PLATE)
        if digits[:1] == "2":
            return self.goto(CallState.ZONE)
        return self.invalid(digits)

    def _saved_plates(self) -> list[str]:
        if self.customer is None:
            return []
        vehicles = customers.vehicles_by_recent_use(self.session, self.customer)
        return [v.plate_display for v in vehicles[:MAX_MENU_ITEMS]]

    def ask_plate(self) -> tuple[list[Spoken], GatherSpec]:
        plates = self._saved_plates()
        self.data["plates"] = plates
        self.call.data = dict(self.data)
        if plates:
            texts = [self.t(P.choose_plate_option, p, i) for i, p in enumerate(plates, 1)]
            texts.append(self.t(P.say_other_plate))
        else:
            texts = [self.t(P.say_plate)]
        hints = ",".join([*(p.replace("-", " ") for p in plates), ALPHANUMERIC_HINT])
        return self.lines(*texts), GatherSpec(action="", input="speech dtmf", hints=hints)

    def on_plate(self, digits: str, speech: str) -> VoiceTurn:
        plates: list[str] = self.data.get("plates") or []
        if digits:
            if digits[:1].isdigit() and 1 <= int(digits[:1]) <= len(plates):
                self.data["plate"] = plates[int(digits[:1]) - 1]
                return self.after_plate()
            return self.invalid(digits)
        plate = spoken_plate(speech)
        if plate is None:
            return self.reject(P.plate_not_understood)
        self.data["heard"] = plate
        return self.goto(CallState.PLATE_CONFIRM)

    def ask_plate_confirm(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.confirm_plate, self.data["heard"])), GatherSpec(action="")

    def on_plate_confirm(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            self.data["plate"] = self.data["heard"]
            return self.after_plate()
        if digits[:1] == "2":
            return self.goto(CallState.PLATE)
        return self.invalid(digits)

    def after_plate(self) -> VoiceTurn:
        """The plate is known: a parking asks its duration (a booking its price)."""
        return self.goto(CallState.DURATION)

    def ask_duration(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.ask_duration)), GatherSpec(
            action="", num_digits=None, finish_on_key="#", timeout=8
        )

    def on_duration(self, digits: str, speech: str) -> VoiceTurn:
        value = digits.rstrip("#")
        if not value.isdigit() or int(value) > orders.MAX_DURATION_MINUTES:
            return self.reject(P.bad_duration)
        self.data["minutes"] = int(value) or None
        return self.goto(CallState.QUOTE)

    def ask_quote(self) -> tuple[list[Spoken], GatherSpec]:
        zone = zones.find(self.session, self.data["zone"])
        assert zone is not None
        minutes: int | None = self.data.get("minutes")
        end, amount = orders.quote(zone, self.now, minutes, self.kanava)
        plate = self.data["plate"]
        if minutes is not None and end is not None:
            text = self.t(
                P.quote_fixed, plate, zone.code, minutes, self.time(end) or "", self.money(amount)
            )
        else:
            rate = self.money(zone.rate_per_hour_cents)
            text = self.t(P.quote_open, plate, zone.code, rate, self.time(end))
        free = self.free_time(zone)
        return (self.lines(free, text) if free else self.lines(text)), GatherSpec(action="")

    def free_time(self, zone: Zone) -> str | None:
        """In free time, until when it is free and the rate after (as the SMS says it);
        None in paid time."""
        tz = self.kanava.settings.tz
        tariff = zones.tariff_of(zone)
        if is_paid_time(tariff, self.now, tz):
            return None
        change = next_paid_change(tariff, self.now, tz)
        if change is None:
            return self.t(P.free_here)
        return self.t(P.free_until, self.time(change), self.money(zone.rate_per_hour_cents))

    def on_quote(self, digits: str, speech: str) -> VoiceTurn:
        key = digits[:1]
        open_ended = self.data.get("minutes") is None
        if key == "1":
            if open_ended and not self.call.can_sms and self._card_needed():
                self.say(P.landline_choose_duration)
                return self.goto(CallState.DURATION)
            return self.park()
        if key == "2" and open_ended:
            return self.goto(CallState.DURATION)
        if key == "2" or (key == "3" and open_ended):
            self.say(P.cancelled)
            return self.goto(CallState.MAIN)
        return self.invalid(digits)

    def _card_needed(self) -> bool:
        return takes_cards_by_phone(self.kanava) and not ledger.has_saved_card(
            self.customer, self.kanava
        )

    def park(self) -> VoiceTurn:
        zone = zones.find(self.session, self.data["zone"])
        assert zone is not None
        plate: str = self.data["plate"]
        if self.customer is not None:
            customers.lock(self.session, self.customer)
        vehicle = (
            customers.remember_vehicle(self.session, self.customer, plate, self.now)
            if self.customer is not None
            else None
        )
        try:
            started = orders.start_parking(
                self.session,
                self.kanava,
                customer=self.customer,
                vehicle=vehicle,
                plate=plate,
                zone=zone,
                minutes=self.data.get("minutes"),
                channel=Channel.VOICE,
                now=self.now,
                language=self.lang,
            )
        except orders.OrderError as refusal:
            there = refusal.details.get("order")
            if isinstance(there, Order):  # parked there by someone else: nothing parked
                grace = timedelta(minutes=self.kanava.settings.payment_grace_minutes)
                until = self.time(orders.valid_until(there, grace))
                self.say(P.parked_by_another, there.plate_display, zone.code, until)
                return self.goto(CallState.MAIN)
            self.say(P.bad_duration)
            return self.goto(CallState.DURATION)
        order = started.order
        self.data["order_id"] = order.id
        self.call.order_id = order.id
        if started.already_parked:
            self.say(P.already_parked, order.plate_display, zone.code)
            self.say_end(order)
            return self.goto(CallState.MAIN)
        return self.collect(order, started.payment)
