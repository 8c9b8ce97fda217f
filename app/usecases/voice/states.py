"""The states of a phone call: which question the caller was last asked.

Stored on :attr:`app.models.CallSession.state` (a plain string column: a
:class:`~enum.StrEnum` member is one), so any worker can answer the next step. The table
from each state to the step that asks its question and handles its answer is
:data:`app.usecases.voice.steps.STEPS`.
"""

from __future__ import annotations

from enum import StrEnum


class CallState(StrEnum):
    """Where a call stands. The values are stored: renaming one strands live calls (they
    would be apologised to and taken back to the main menu)."""

    MAIN = "main"
    # parking: zone, plate, duration, then the price
    ZONE = "zone"
    ZONE_CONFIRM = "zone_confirm"
    PLATE = "plate"
    PLATE_CONFIRM = "plate_confirm"
    DURATION = "duration"
    QUOTE = "quote"
    # paying: a card on the line or a link by SMS
    PAY_CHOICE = "pay_choice"
    PAY_CARD = "pay_card"
    PAYING = "paying"
    # the caller's own parkings
    CHOOSE_ORDER = "choose_order"
    EXTEND_MINUTES = "extend_minutes"
    STOP_CONFIRM = "stop_confirm"
    # booking a space ahead: zone, day (or a date), start, hours, then plate and price
    BOOK_ZONE = "book_zone"
    BOOK_DAY = "book_day"
    BOOK_DATE = "book_date"
    BOOK_START = "book_start"
    BOOK_HOURS = "book_hours"
    BOOK_QUOTE = "book_quote"
    BOOK_ALTERNATIVE = "book_alternative"
    # the caller's upcoming bookings: hear them, cancel one
    BOOKINGS = "bookings"
    BOOKING_CANCEL = "booking_cancel"
    # the menu's own questions
    LANGUAGE = "language"
