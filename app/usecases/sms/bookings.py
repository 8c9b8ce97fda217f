"""The booking dialogue by SMS: ``VARAA``/``BOKA``/``BOOK``, ``PERU``/``AVBOKA``/``UNBOOK``,
``VARAUKSET``/``BOKNINGAR``/``BOOKINGS``, ``SIIRRÄ``/``FLYTTA``/``MOVE``, and the one-word
answers to its questions (a number for an alternative or for which booking to cancel,
``JATKA``/``EXTEND`` after the reminder before the end).

Called by :mod:`app.usecases.sms.conversation` inside its transaction (it commits once);
this module only talks to :mod:`app.backend.bookings` and words the answer. Every message
that books nothing says why and what would work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.backend import bookings, customers, ledger, zones
from app.backend.orders import OrderError
from app.domain.booking_capacity import Alternative, Alternatives
from app.domain.booking_policy import Interval, requested_window
from app.domain.booking_text import (
    BookingProblem,
    MoveRequest,
    normalize_booking_ref,
    parse_booking,
    parse_move,
)
from app.kernel import Kanava
from app.models import Channel, Customer, Order
from app.texts import bookings as texts
from app.texts import waitlist as waitlist_texts

PENDING_TTL = timedelta(minutes=15)
# Pending questions this dialogue asks (``Customer.pending["kind"]``).
ALTERNATIVE = "book_alternative"
CHOOSE_BOOKING = "choose_booking"
EXTEND_BOOKING = "extend_booking"
KINDS = frozenset({ALTERNATIVE, CHOOSE_BOOKING, EXTEND_BOOKING})
# The window a "full" answer refused, kept in its question for ``WAITLIST`` alone.
WAIT = "wait"


@dataclass
class BookingReply:
    text: str
    understood: bool = True
    order: Order | None = None


@dataclass
class BookingDialogue:
    """One inbound message's booking work for ``customer`` (its row locked by the caller)."""

    session: Session
    kanava: Kanava
    customer: Customer
    lang: str
    now: datetime
    known_zones: list[str]

    # -- pending questions ---------------------------------------------------------------

    def _ask(self, **question: Any) -> None:
        question["expires"] = (self.now + PENDING_TTL).isoformat()
        self.customer.pending = question

    def _clear(self) -> None:
        self.customer.pending = None

    def _today(self) -> Any:
        return self.now.astimezone(self.kanava.settings.tz).date()

    # -- VARAA ---------------------------------------------------------------------------

    def book(self, body: str) -> BookingReply:
        """A booking message: book, or list the free times, or say what would work."""
        parsed = parse_booking(body, today=self._today(), known_zones=self.known_zones)
        if isinstance(parsed, BookingProblem):
            return self._problem(parsed)
        zone = zones.find(self.session, parsed.zone)
        if zone is None or zones.booking_policy_of(zone) is None:
            return self._not_bookable(parsed.zone)
        if parsed.times is None:
            slots = bookings.availability(self.session, self.kanava, zone, parsed.day, self.now)
            return BookingReply(
                texts.free_times(zone.code, parsed.day, slots, self.lang, self.kanava)
            )
        policy = zones.booking_policy_of(zone)
        assert policy is not None
        window = requested_window(
            parsed.day, parsed.times, self.kanava.settings.tz, default_minutes=policy.slot_minutes
        )
        if window is None:
            return self._problem(BookingProblem("bad_time", ("bad_time",), zone=zone.code))
        plate = parsed.plate or self._usual_plate()
        if plate is None:
            return BookingReply(texts.need_plate_for_booking(self.lang), understood=False)
        return self._make(zone.code, window, plate)

    def _usual_plate(self) -> str | None:
        vehicles = customers.vehicles_by_recent_use(self.session, self.customer)
        return vehicles[0].plate_display if vehicles else None

    def _make(self, zone_code: str, window: Interval, plate: str) -> BookingReply:
        zone = zones.find(self.session, zone_code)
        if zone is None:
            return self._not_bookable(zone_code)
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
                channel=Channel.SMS,
                now=self.now,
                language=self.lang,
            )
        except OrderError as refusal:
            return self._refusal(refusal, plate)
        self._clear()
        link = ledger.link_to_pay(self.kanava, made.payment)
        text = texts.booking_made(
            made.order,
            link,
            bookings.terms_of(zone),
            self.lang,
            self.kanava,
            self.now,
            already=made.already,
        )
        return BookingReply(text, order=made.order)

    def _refusal(self, error: OrderError, plate: str) -> BookingReply:
        zone = str(error.details.get("zone", ""))
        if error.code == "not_bookable":
            return self._not_bookable(zone)
        if error.code == "refused" and error.details.get("refusal") is not None:
            refusal: Any = error.details["refusal"]
            return BookingReply(
                texts.refused(refusal, zone, self.lang, self.kanava, self.now), understood=False
            )
        window: Any = error.details.get("window")
        found = self.offer(error.details.get("alternatives"), zone, plate)
        text = texts.booking_full(zone, window, found, self.lang, self.kanava)
        if isinstance(window, Interval):
            text += " " + self._remember_full(zone, window, plate)
        return BookingReply(text)

    def _remember_full(self, zone: str, window: Interval, plate: str) -> str:
        """After a "full" answer: keep what was asked for under ``WAIT``, so ``WAITLIST``
        alone waits for it (:mod:`app.usecases.sms.waitlist`); says so."""
        pending = dict(self.customer.pending or {})
        if pending.get("kind") != ALTERNATIVE:
            pending = {"kind": ALTERNATIVE, "plate": plate, "options": []}
            pending["expires"] = (self.now + PENDING_TTL).isoformat()
        wanted = {"zone": zone, "start": window.start.isoformat(), "end": window.end.isoformat()}
        pending[WAIT] = {**wanted, "plate": plate}
        self.customer.pending = pending
        return waitlist_texts.how_to_wait(self.lang)

    def offer(self, alternatives: Any, zone: str, plate: str) -> list[Alternative]:
        """Offer ``alternatives`` (an :class:`Alternatives`) as numbered one-word answers;
        returns them in the order offered."""
        if not isinstance(alternatives, Alternatives):
            return []
        found = [*alternatives.same_zone, *alternatives.other_zones][:3]
        if found:
            self._ask(
                kind=ALTERNATIVE,
                plate=plate,
                options=[
                    {
                        "zone": alt.zone or zone,
                        "start": alt.window.start.isoformat(),
                        "end": alt.window.end.isoformat(),
                    }
                    for alt in found
                ],
            )
        return found

    def _problem(self, problem: BookingProblem) -> BookingReply:
        example = problem.zone or next((z.code for z in zones.bookable_zones(self.session)), "EV1")
        text = texts.booking_help(problem.code, example, self.lang, self.kanava, self.now)
        return BookingReply(text, understood=False)

    def _not_bookable(self, code: str) -> BookingReply:
        bookable = [z.code for z in zones.bookable_zones(self.session)]
        return BookingReply(texts.not_bookable(code, bookable, self.lang), understood=False)

    # -- PERU ----------------------------------------------------------------------------

    def unbook(self, body: str) -> BookingReply:
        """Cancel the booking named, or the only upcoming one; ask which when several."""
        rest = _after_keyword(body)
        upcoming = bookings.upcoming_bookings(self.session, self.customer, self.now)
        if rest:
            ref = normalize_booking_ref(rest)
            order = bookings.find_by_ref(self.session, ref) if ref else None
            if order is None or order.customer_id != self.customer.id:
                return BookingReply(texts.unknown_ref(rest.upper(), self.lang), understood=False)
            return self._cancel(order)
        if not upcoming:
            return BookingReply(texts.no_bookings(self.lang))
        if len(upcoming) == 1:
            return self._cancel(upcoming[0])
        self._ask(kind=CHOOSE_BOOKING, order_ids=[o.id for o in upcoming[:5]])
        return BookingReply(texts.choose_booking(upcoming, self.lang, self.kanava))

    def _cancel(self, order: Order) -> BookingReply:
        self._clear()
        try:
            done = bookings.cancel_booking(
                self.session, self.kanava, order, now=self.now, channel=Channel.SMS
            )
        except OrderError:
            return BookingReply(texts.unknown_ref(order.booking_ref or "", self.lang), order=order)
        text = texts.booking_cancelled(order, done.refunded_cents, done.paid_cents, self.lang)
        return BookingReply(text, order=order)

    # -- VARAUKSET -----------------------------------------------------------------------

    def list(self) -> BookingReply:
        upcoming = bookings.upcoming_bookings(self.session, self.customer, self.now)
        if not upcoming:
            return BookingReply(texts.no_bookings(self.lang))
        return BookingReply(
            texts.bookings_list(upcoming, self.lang, self.kanava, self.now),
            order=upcoming[0] if len(upcoming) == 1 else None,
        )

    # -- SIIRRÄ --------------------------------------------------------------------------

    def move(self, body: str) -> BookingReply:
        parsed = parse_move(body, today=self._today(), known_zones=self.known_zones)
        if isinstance(parsed, BookingProblem):
            if parsed.code in ("no_ref", "no_new_time", "zone_change"):
                return BookingReply(texts.move_help(self.lang), understood=False)
            return self._problem(parsed)
        order = bookings.find_by_ref(self.session, parsed.ref)
        if order is None or order.customer_id != self.customer.id:
            return BookingReply(texts.unknown_ref(parsed.ref, self.lang), understood=False)
        window = self._moved_window(order, parsed)
        if window is None:
            return self._problem(BookingProblem("bad_time", ("bad_time",)))
        try:
            moved = bookings.move_booking(
                self.session, self.kanava, order, window, now=self.now, channel=Channel.SMS
            )
        except OrderError as error:
            if error.code == "started":
                return BookingReply(texts.booking_started(order, self.lang), order=order)
            if error.code == "not_live":
                return BookingReply(texts.unknown_ref(parsed.ref, self.lang), understood=False)
            return self._refusal(error, order.plate_display)
        link = ledger.link_to_pay(self.kanava, moved.payment)
        text = texts.booking_moved(
            order, moved.difference_cents, link, moved.refunded_cents, self.lang, self.kanava
        )
        return BookingReply(text, order=order)

    def _moved_window(self, order: Order, parsed: MoveRequest) -> Interval | None:
        tz = self.kanava.settings.tz
        current = bookings.window_of(order)
        day = parsed.day or current.start.astimezone(tz).date()
        length = int(current.length.total_seconds() // 60)
        if parsed.times is None:
            local = current.start.astimezone(tz)
            start = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=tz)
            start = start.astimezone(current.start.tzinfo)
            return Interval(start, start + current.length)
        return requested_window(day, parsed.times, tz, default_minutes=length)

    # -- one-word answers ----------------------------------------------------------------

    def answer_choice(self, pending: dict[str, Any], number: int) -> BookingReply:
        """A number answering this dialogue's question (``pending``)."""
        if pending.get("kind") == ALTERNATIVE:
            options = pending.get("options") or []
            if not 1 <= number <= len(options):
                return BookingReply(texts.no_bookings(self.lang), understood=False)
            chosen = options[number - 1]
            window = Interval(
                datetime.fromisoformat(chosen["start"]), datetime.fromisoformat(chosen["end"])
            )
            return self._make(chosen["zone"], window, pending["plate"])
        upcoming = {
            o.id: o for o in bookings.upcoming_bookings(self.session, self.customer, self.now)
        }
        candidates = [upcoming[i] for i in pending.get("order_ids", []) if i in upcoming]
        if not candidates:
            self._clear()
            return BookingReply(texts.no_bookings(self.lang))
        if not 1 <= number <= len(candidates):
            return BookingReply(
                texts.choose_booking(candidates, self.lang, self.kanava), understood=False
            )
        return self._cancel(candidates[number - 1])

    def extend(self, pending: dict[str, Any], minutes: int | None) -> BookingReply:
        """``JATKA`` after the reminder before the end: the booking runs longer."""
        self._clear()
        order = bookings.find_by_ref(self.session, str(pending.get("ref", "")))
        if order is None or order.customer_id != self.customer.id:
            return BookingReply(texts.no_bookings(self.lang), understood=False)
        wanted = minutes or int(pending.get("minutes") or 60)
        try:
            extended = bookings.extend_booking(
                self.session, self.kanava, order, wanted, now=self.now, channel=Channel.SMS
            )
        except OrderError:
            return BookingReply(texts.cannot_extend_booking(order, self.lang), order=order)
        link = ledger.link_to_pay(self.kanava, extended.payment)
        text = texts.booking_extended(
            order, link, extended.difference_cents, self.lang, self.kanava
        )
        return BookingReply(text, order=order)


def _after_keyword(body: str) -> str:
    """The message without its first word (the keyword)."""
    parts = body.strip().split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""


def is_booking_question(pending: dict[str, Any] | None) -> bool:
    return bool(pending) and (pending or {}).get("kind") in KINDS


__all__ = ["BookingDialogue", "BookingReply", "is_booking_question"]
