"""Booking a space ahead on a call: a bookable zone by its keys, the day by one key (or a
date as four digits), the start hour, the length in hours, the plate, then the price and
the cancellation terms; when full, the nearest free time to take by one key.

The booking itself is :func:`app.backend.bookings.make_booking`, the function the SMS and
the web book through (its capacity lock is taken inside this step's transaction); it is
paid as a parking is (:class:`~app.usecases.voice.paying.PayingFlow`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from app.backend import bookings, customers, zones
from app.backend.orders import OrderError
from app.domain.booking_capacity import Alternative, Alternatives, fits
from app.domain.booking_policy import (
    BookingPolicy,
    Interval,
    WindowRefusal,
    booking_price,
    check_window,
    first_instant,
    last_bookable_day,
)
from app.domain.pricing import END_OF_DAY
from app.kernel.calls import GatherSpec, Spoken, VoiceTurn
from app.models import Channel, Zone
from app.texts import voice_prompts as P
from app.usecases.voice.dialogue import takes_cards_by_phone
from app.usecases.voice.parking import MAX_LISTED_ZONES, ParkingFlow
from app.usecases.voice.states import CallState

# The day menu: today, tomorrow, the day after (key 4 asks for a date).
DAY_KEYS = {"1": 0, "2": 1, "3": 2}
MAX_BOOKED_HOURS = 24
# A date keyed without a year that lies at most this far back is taken as passed, not as
# next year's (as the SMS reads "3.12.").
PAST_DATE_DAYS = 31


class BookingFlow(ParkingFlow):
    """A new booking: zone, day, start, hours, plate, price and terms, then :meth:`book`."""

    # ---- reading the call's data -----------------------------------------------------

    def _zone(self) -> tuple[Zone, BookingPolicy] | None:
        zone = zones.find(self.session, str(self.data.get("zone", "")))
        policy = zones.booking_policy_of(zone) if zone is not None else None
        if zone is None or policy is None:
            return None
        return zone, policy

    def _day(self) -> date:
        return date.fromisoformat(self.data["book_day"])

    def _window(self) -> Interval:
        return Interval(
            datetime.fromisoformat(self.data["book_start"]),
            datetime.fromisoformat(self.data["book_end"]),
        )

    def _lost_zone(self) -> VoiceTurn:
        """The zone stopped being bookable during the call."""
        self.say(P.nothing_to_book)
        return self.goto(CallState.MAIN)

    # ---- the zone --------------------------------------------------------------------

    def start_booking(self) -> VoiceTurn:
        """The main menu's booking key."""
        if not zones.bookable_zones(self.session):
            self.say(P.nothing_to_book)
            return self.goto(CallState.MAIN)
        if not self.call.can_sms and not takes_cards_by_phone(self.kanava):
            # Neither a pay link nor a card: the held space could never be paid.
            self.say(P.booking_needs_mobile)
            return self.goto(CallState.MAIN)
        for key in ("zone", "plate", "book_day", "book_start", "book_end", "order_id"):
            self.data.pop(key, None)
        self.data["booking"] = True
        return self.goto(CallState.BOOK_ZONE)

    def ask_book_zone(self) -> tuple[list[Spoken], GatherSpec]:
        self._ensure_phone_codes()
        texts = [self.t(P.bookable_zones_intro)]
        for zone in zones.bookable_zones(self.session)[:MAX_LISTED_ZONES]:
            keys = zones.keyed_code(zone)
            if zones.is_digit_code(zone.code):
                texts.append(self.t(P.zone_item, zone.code, zone.name))
            elif keys is not None:
                texts.append(self.t(P.lettered_zone_item, zone.code, zone.name, keys))
        texts.append(self.t(P.ask_book_zone))
        return self.lines(*texts), GatherSpec(
            action="", num_digits=None, finish_on_key="#", timeout=8
        )

    def on_book_zone(self, digits: str, speech: str) -> VoiceTurn:
        self._ensure_phone_codes()
        code = digits.rstrip("#")
        zone = zones.find_by_keys(self.session, code) if code else None
        if zone is None:
            return self.reject(P.unknown_zone, code) if code else self.invalid(digits)
        if zones.booking_policy_of(zone) is None:
            return self.reject(P.not_bookable_zone, zone.code)
        self.data["zone"] = zone.code
        return self.goto(CallState.BOOK_DAY)

    # ---- the day ---------------------------------------------------------------------

    def ask_book_day(self) -> tuple[list[Spoken], GatherSpec]:
        found = self._zone()
        if found is None:
            return self.lines(self.t(P.nothing_to_book)), GatherSpec(action="")
        zone, _policy = found
        return self.lines(self.t(P.ask_book_day, zone.code, zone.name)), GatherSpec(action="")

    def on_book_day(self, digits: str, speech: str) -> VoiceTurn:
        key = digits[:1]
        if key == "4":
            return self.goto(CallState.BOOK_DATE)
        if key not in DAY_KEYS:
            return self.invalid(digits)
        return self._take_day(self.local_day(self.now) + timedelta(days=DAY_KEYS[key]))

    def ask_book_date(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.ask_book_date)), GatherSpec(
            action="", num_digits=4, finish_on_key="#", timeout=8
        )

    def on_book_date(self, digits: str, speech: str) -> VoiceTurn:
        keyed = digits.rstrip("#")
        day = self._keyed_date(keyed) if len(keyed) == 4 and keyed.isdigit() else None
        if day is None:
            return self.reject(P.no_such_date)
        if day < self.local_day(self.now):
            return self.reject(P.day_passed)
        return self._take_day(day)

    def _keyed_date(self, keyed: str) -> date | None:
        """DDMM: this year's date, or next year's when this year's is long past."""
        today = self.local_day(self.now)
        try:
            this_year = date(today.year, int(keyed[2:]), int(keyed[:2]))
        except ValueError:
            try:  # 29 February of next year
                return date(today.year + 1, int(keyed[2:]), int(keyed[:2]))
            except ValueError:
                return None
        if this_year >= today or (today - this_year).days <= PAST_DATE_DAYS:
            return this_year
        return this_year.replace(year=today.year + 1)

    def _take_day(self, day: date) -> VoiceTurn:
        found = self._zone()
        if found is None:
            return self._lost_zone()
        zone, policy = found
        last = last_bookable_day(policy, self.now, self.kanava.settings.tz)
        if day > last:
            self.say(P.book_too_far, self.day(last))
            return self.reject_to(CallState.BOOK_DAY)
        if day.weekday() not in policy.booking_hours:
            self.say(P.book_closed_day, zone.code, self.day(day))
            return self.reject_to(CallState.BOOK_DAY)
        self.data["book_day"] = day.isoformat()
        return self.goto(CallState.BOOK_START)

    def reject_to(self, state: CallState) -> VoiceTurn:
        """After saying why an answer cannot be taken: ask ``state``'s question (the step
        counts as not understood)."""
        self.problem = True
        self.call.invalid_count += 1
        self.call.state = state
        return self.prompt()

    # ---- the start and the length --------------------------------------------------

    def ask_book_start(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.ask_book_start, self.day(self._day()))), GatherSpec(
            action="", num_digits=None, finish_on_key="#", timeout=8
        )

    def on_book_start(self, digits: str, speech: str) -> VoiceTurn:
        clock = _keyed_clock(digits.rstrip("#"))
        if clock is None:
            return self.reject(P.bad_start_time)
        found = self._zone()
        if found is None:
            return self._lost_zone()
        zone, policy = found
        tz = self.kanava.settings.tz
        start = first_instant(self._day(), clock, tz)
        first_slot = Interval(start, start + timedelta(minutes=policy.slot_minutes))
        refusal = check_window(policy, first_slot, now=self.now, tz=tz)
        if refusal is not None and _refuses_start(refusal):
            self.say_refusal(refusal, zone)
            return self.reject_to(CallState.BOOK_START)
        self.data["book_start"] = start.isoformat()
        return self.goto(CallState.BOOK_HOURS)

    def ask_book_hours(self) -> tuple[list[Spoken], GatherSpec]:
        return self.lines(self.t(P.ask_book_hours)), GatherSpec(
            action="", num_digits=None, finish_on_key="#", timeout=8
        )

    def on_book_hours(self, digits: str, speech: str) -> VoiceTurn:
        value = digits.rstrip("#")
        if not value.isdigit() or not 1 <= int(value) <= MAX_BOOKED_HOURS:
            return self.reject(P.bad_book_hours)
        found = self._zone()
        if found is None:
            return self._lost_zone()
        zone, policy = found
        start = datetime.fromisoformat(self.data["book_start"])
        window = Interval(start, start + timedelta(hours=int(value)))
        refusal = check_window(policy, window, now=self.now, tz=self.kanava.settings.tz)
        if refusal is not None:
            self.say_refusal(refusal, zone)
            again = CallState.BOOK_HOURS
            if refusal.code in ("in_past", "too_soon"):
                again = CallState.BOOK_START  # time passed while the caller listened
            return self.reject_to(again)
        self.data["book_end"] = window.end.isoformat()
        return self.goto(CallState.PLATE)

    def say_refusal(self, refusal: WindowRefusal, zone: Zone) -> None:
        """Why the window cannot be booked, and what would work, in plain words."""
        code = refusal.code
        if code in ("in_past", "too_soon"):
            self.say(P.book_time_passed if code == "in_past" else P.book_too_soon)
            if refusal.earliest_start is not None:
                self.say(P.book_earliest, self.when(refusal.earliest_start))
        elif code == "too_far":
            self.say(P.book_too_far, self.day(refusal.last_day))
        elif code == "too_long" and refusal.max_minutes:
            self.say(P.book_too_long, zone.code, f"{refusal.max_minutes / 60:g}")
        elif code == "closed_day":
            self.say(P.book_closed_day, zone.code, self.day(refusal.day))
            if refusal.next_open_day is not None:
                self.say(P.book_next_open_day, self.day(refusal.next_open_day))
        else:
            hours = ", ".join(
                self.t(P.from_to, self._wall(start), self._wall(end))
                for start, end in refusal.day_windows
            )
            self.say(P.book_hours_of_day, zone.code, hours, self.day(refusal.day))
            if refusal.latest_end is not None:
                self.say(P.book_until_latest, self.clock(refusal.latest_end))

    def _wall(self, clock: time) -> str:
        """A wall-clock time of the booking hours, as the clock is said elsewhere."""
        if clock == END_OF_DAY:
            return "24.00" if self.lang == "fi" else "24:00"
        return clock.strftime("%-H.%M" if self.lang == "fi" else "%H:%M")

    # ---- the price, the terms, a full window ----------------------------------------

    def after_plate(self) -> VoiceTurn:
        """The plate is known: in a booking, the price (or, when full, the nearest free
        time); in a parking, the duration."""
        if not self.data.get("booking"):
            return super().after_plate()
        found = self._zone()
        if found is None:
            return self._lost_zone()
        zone, policy = found
        window = self._window()
        taken = bookings.occupancy(self.session, zone, window.start, window.end, self.now)
        if not fits(policy.capacity, taken, window):
            return self.offer_alternative(zone, window)
        return self.goto(CallState.BOOK_QUOTE)

    def terms(self, zone: Zone, start: datetime) -> str:
        """The zone's cancellation terms for a booking starting at ``start``."""
        terms = bookings.terms_of(zone)
        until = start - timedelta(minutes=terms.free_until_minutes)
        if until <= self.now:
            return self.t(P.late_cancellation, terms.late_refund_percent)
        return self.t(P.free_cancellation, self.when(until), terms.late_refund_percent)

    def _price(self, zone: Zone, policy: BookingPolicy, window: Interval) -> str:
        return self.money(booking_price(policy, window, self.kanava.settings.tz))

    def ask_book_quote(self) -> tuple[list[Spoken], GatherSpec]:
        found = self._zone()
        if found is None:
            return self.lines(self.t(P.nothing_to_book)), GatherSpec(action="")
        zone, policy = found
        window = self._window()
        quote = self.t(
            P.booking_quote,
            zone.code,
            self.data["plate"],
            self.day(self.local_day(window.start)),
            self.clock(window.start),
            self.clock(window.end),
            self._price(zone, policy, window),
        )
        return self.lines(
            quote, self.terms(zone, window.start), self.t(P.book_confirm_keys)
        ), GatherSpec(action="")

    def on_book_quote(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            return self.book()
        if digits[:1] == "2":
            self.say(P.nothing_booked)
            return self.goto(CallState.MAIN)
        return self.invalid(digits)

    def offer_alternative(
        self, zone: Zone, window: Interval, offered: Alternatives | None = None
    ) -> VoiceTurn:
        """The window is full: say so, and offer the nearest free time by one key."""
        tz_day = self.day(self.local_day(window.start))
        self.say(P.book_full, zone.code, tz_day, self.clock(window.start), self.clock(window.end))
        if offered is None:
            offered = bookings.alternatives_for(self.session, self.kanava, zone, window, self.now)
        nearest = _nearest(offered)
        if nearest is None:
            self.say(P.book_nothing_near)
            return self.reject_to(CallState.BOOK_START)
        self.data["alternative"] = {
            "zone": nearest.zone or zone.code,
            "start": nearest.window.start.isoformat(),
            "end": nearest.window.end.isoformat(),
        }
        return self.goto(CallState.BOOK_ALTERNATIVE)

    def ask_book_alternative(self) -> tuple[list[Spoken], GatherSpec]:
        offer: dict[str, Any] = self.data["alternative"]
        zone = zones.find(self.session, offer["zone"])
        policy = zones.booking_policy_of(zone) if zone is not None else None
        if zone is None or policy is None:
            return self.lines(self.t(P.nothing_to_book)), GatherSpec(action="")
        window = Interval(
            datetime.fromisoformat(offer["start"]), datetime.fromisoformat(offer["end"])
        )
        text = self.t(
            P.book_alternative,
            zone.code,
            self.day(self.local_day(window.start)),
            self.clock(window.start),
            self.clock(window.end),
            self._price(zone, policy, window),
        )
        return self.lines(
            text, self.terms(zone, window.start), self.t(P.book_alternative_keys)
        ), GatherSpec(action="")

    def on_book_alternative(self, digits: str, speech: str) -> VoiceTurn:
        if digits[:1] == "1":
            offer: dict[str, Any] = self.data.pop("alternative")
            self.data.update(zone=offer["zone"], book_start=offer["start"], book_end=offer["end"])
            self.data["book_day"] = self.local_day(
                datetime.fromisoformat(offer["start"])
            ).isoformat()
            return self.book()
        if digits[:1] == "2":
            self.data.pop("alternative", None)
            return self.goto(CallState.BOOK_START)
        return self.invalid(digits)

    # ---- booking ---------------------------------------------------------------------

    def book(self) -> VoiceTurn:
        """Book through the backend every channel uses; then pay as a parking is paid."""
        found = self._zone()
        if found is None:
            return self._lost_zone()
        zone, _policy = found
        plate: str = self.data["plate"]
        window = self._window()
        vehicle = None
        if self.customer is not None:
            customers.lock(self.session, self.customer)
            vehicle = customers.remember_vehicle(self.session, self.customer, plate, self.now)
        try:
            made = bookings.make_booking(
                self.session,
                self.kanava,
                customer=self.customer,
                vehicle=vehicle,
                plate=plate,
                zone=zone,
                window=window,
                channel=Channel.VOICE,
                now=self.now,
                language=self.lang,
            )
        except OrderError as error:
            return self._not_booked(error, zone, window)
        self.data.pop("booking", None)
        self.data["order_id"] = made.order.id
        self.call.order_id = made.order.id
        return self.collect(made.order, made.payment, "book")

    def _not_booked(self, error: OrderError, zone: Zone, window: Interval) -> VoiceTurn:
        self.problem = True
        if error.code == "full":
            offered = error.details.get("alternatives")
            return self.offer_alternative(
                zone, window, offered if isinstance(offered, Alternatives) else None
            )
        refusal = error.details.get("refusal")
        if error.code == "refused" and isinstance(refusal, WindowRefusal):
            self.say_refusal(refusal, zone)
            return self.reject_to(CallState.BOOK_START)
        return self._lost_zone()


def _keyed_clock(keyed: str) -> time | None:
    """The start keyed as H, HH, HMM or HHMM; None when it is not a time of day."""
    if not keyed.isdigit() or not 1 <= len(keyed) <= 4:
        return None
    hour, minute = (int(keyed), 0) if len(keyed) <= 2 else (int(keyed[:-2]), int(keyed[-2:]))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _refuses_start(refusal: WindowRefusal) -> bool:
    """Whether a refusal of the first slot from a start is about the start itself (not
    about a length the caller has not chosen yet)."""
    if refusal.code == "outside_hours":
        return refusal.latest_end is None
    return refusal.code != "too_long"


def _nearest(offered: Alternatives) -> Alternative | None:
    """The first free time offered: the same zone's nearest, else another zone's."""
    return next(iter([*offered.same_zone, *offered.other_zones]), None)
