"""The main menu of a call, the language menu and help (an operator, or the SMS service)."""

from __future__ import annotations

from sqlalchemy import select

from app.backend import orders, zones
from app.config import LANGUAGES
from app.kernel.calls import GatherSpec, Spoken, VoiceTurn
from app.models import Order, OrderKind
from app.texts import voice_prompts as P
from app.usecases.voice import support
from app.usecases.voice.booking import BookingFlow
from app.usecases.voice.dialogue import service_number
from app.usecases.voice.own_bookings import OwnBookingsFlow
from app.usecases.voice.own_parkings import OwnParkingsFlow
from app.usecases.voice.states import CallState

# Seconds the main menu waits for a key after it has been read, and after a key for the
# next one (Twilio's one <Gather timeout> is both).
MAIN_MENU_TIMEOUT = 4


class MenuFlow(OwnBookingsFlow, BookingFlow, OwnParkingsFlow):
    """What the caller hears first and comes back to."""

    def _last_parking(self, live: list[Order]) -> Order | None:
        if self.customer is None:
            return None
        last = self.session.scalar(
            select(Order)
            .where(Order.customer_id == self.customer.id, Order.kind == OrderKind.PARKING)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(1)
        )
        if last is None or not last.zone.active:
            return None
        if any(o.plate_key == last.plate_key and o.zone_id == last.zone_id for o in live):
            return None
        return last

    def ask_main(self) -> tuple[list[Spoken], GatherSpec]:
        live = orders.live_orders(self.session, self.customer, self.now) if self.customer else []
        last = self._last_parking(live)
        texts: list[str] = []
        # Just told (the status, or the end of the parking just made): not said again.
        heard = self.data.pop("heard_end", None)
        summarized = [] if self.data.pop("heard_status", False) else live
        for order in [o for o in summarized if o.id != heard][:3]:
            texts.append(self.summary(order))
        if live:
            texts += [self.t(P.menu_stop), self.t(P.menu_extend)]
        if last is not None:
            self.data["again"] = {"plate": last.plate_display, "zone": last.zone.code}
            texts += [
                self.t(P.menu_park_again, last.plate_display, last.zone.code),
                self.t(P.menu_park_other),
            ]
        else:
            self.data.pop("again", None)
            texts.append(self.t(P.menu_park_first))
        texts.append(self.t(P.menu_status))
        if zones.bookable_zones(self.session):
            texts.append(self.t(P.menu_book))
        if self.upcoming():
            texts.append(self.t(P.menu_bookings))
        texts += [
            self.t(P.menu_zones),
            self.t(P.menu_language),
            self.t(P.menu_help),
        ]
        self.call.data = dict(self.data)
        # More than one key: a zone's code keyed as its sign says ("101#"). A single key
        # is taken after the timeout, or at once with # (README, "The voice menu").
        return self.lines(*texts), GatherSpec(
            action="", num_digits=None, finish_on_key="#", timeout=MAIN_MENU_TIMEOUT
        )

    def on_main(self, digits: str, speech: str) -> VoiceTurn:
        keyed = digits.rstrip("#")
        if len(keyed) > 1 and keyed.isdigit():
            # A zone keyed at the main menu: park there (confirmed before anything else).
            self.data.pop("booking", None)
            self.data.pop("plate", None)
            self.move(CallState.ZONE)
            return self.zone_keyed(keyed)
        key = digits[:1]
        if key in ("1", "2"):
            self.data.pop("booking", None)
        if key == "1" and self.data.get("again"):
            again = self.data["again"]
            self.data.update(zone=again["zone"], plate=again["plate"], minutes=None)
            return self.goto(CallState.QUOTE)
        if key in ("1", "2"):
            self.data.pop("plate", None)
            return self.goto(CallState.ZONE)
        if key == "3":
            return self.choose_order("extend")
        if key == "4":
            return self.choose_order("stop")
        if key == "5":
            return self.status()
        if key == "6":
            return self.start_booking()
        if key == "7" and self.upcoming():  # offered only to a caller with bookings
            return self.list_bookings()
        if key == "8":
            self.say_zone_list()
            return self.goto(CallState.ZONE)
        if key == "9":
            return self.goto(CallState.LANGUAGE)
        if key == "0":
            return self.help()
        return self.invalid(digits)

    def ask_language(self) -> tuple[list[Spoken], GatherSpec]:
        return [Spoken(text, lang) for lang, _key, text in P.LANGUAGE_OPTIONS], GatherSpec(
            action=""
        )

    def on_language(self, digits: str, speech: str) -> VoiceTurn:
        chosen = {key: lang for lang, key, _text in P.LANGUAGE_OPTIONS}.get(digits[:1])
        if chosen is None or chosen not in LANGUAGES:
            return self.invalid(digits)
        self.call.language = chosen
        if self.customer is not None:
            self.customer.language = chosen
        self.say(P.language_set)
        return self.goto(CallState.MAIN)

    def help(self) -> VoiceTurn:
        transfer = self.transfer()
        if transfer is not None:
            return transfer
        self.say(P.help_by_sms, service_number(self.kanava), not self.call.can_sms)
        support.hand_over(self, "to_person")
        return self.goto(CallState.MAIN)
