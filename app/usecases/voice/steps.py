"""The voice menu as a table: each :class:`~app.usecases.voice.states.CallState` and the
:class:`~app.usecases.voice.dialogue.Step` that asks its question and handles its answer.

A state missing here cannot be stored by this release; one stored by an older release is
apologised for and leads back to the main menu
(:meth:`~app.usecases.voice.dialogue.Dialogue.step_of_state`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from app.usecases.voice.dialogue import Step
from app.usecases.voice.menu import MenuFlow
from app.usecases.voice.states import CallState

STEPS: Mapping[CallState, Step[MenuFlow]] = MappingProxyType(
    {
        CallState.MAIN: Step[MenuFlow](MenuFlow.ask_main, MenuFlow.on_main),
        CallState.ZONE: Step[MenuFlow](MenuFlow.ask_zone, MenuFlow.on_zone),
        CallState.ZONE_CONFIRM: Step[MenuFlow](MenuFlow.ask_zone_confirm, MenuFlow.on_zone_confirm),
        CallState.PLATE: Step[MenuFlow](MenuFlow.ask_plate, MenuFlow.on_plate),
        CallState.PLATE_CONFIRM: Step[MenuFlow](
            MenuFlow.ask_plate_confirm, MenuFlow.on_plate_confirm
        ),
        CallState.DURATION: Step[MenuFlow](MenuFlow.ask_duration, MenuFlow.on_duration),
        CallState.QUOTE: Step[MenuFlow](MenuFlow.ask_quote, MenuFlow.on_quote),
        CallState.PAY_CHOICE: Step[MenuFlow](MenuFlow.ask_pay_choice, MenuFlow.on_pay_choice),
        CallState.PAY_CARD: Step[MenuFlow](MenuFlow.ask_pay_card, MenuFlow.on_pay_card),
        # Handed to <Pay>: its result comes back here; keys only by a repeat or stray key.
        CallState.PAYING: Step[MenuFlow](
            MenuFlow.ask_paying, MenuFlow.on_paying, paid=MenuFlow.on_pay_result
        ),
        CallState.CHOOSE_ORDER: Step[MenuFlow](MenuFlow.ask_choose_order, MenuFlow.on_choose_order),
        CallState.EXTEND_MINUTES: Step[MenuFlow](
            MenuFlow.ask_extend_minutes, MenuFlow.on_extend_minutes
        ),
        CallState.STOP_CONFIRM: Step[MenuFlow](MenuFlow.ask_stop_confirm, MenuFlow.on_stop_confirm),
        CallState.BOOK_ZONE: Step[MenuFlow](MenuFlow.ask_book_zone, MenuFlow.on_book_zone),
        CallState.BOOK_DAY: Step[MenuFlow](MenuFlow.ask_book_day, MenuFlow.on_book_day),
        CallState.BOOK_DATE: Step[MenuFlow](MenuFlow.ask_book_date, MenuFlow.on_book_date),
        CallState.BOOK_START: Step[MenuFlow](MenuFlow.ask_book_start, MenuFlow.on_book_start),
        CallState.BOOK_HOURS: Step[MenuFlow](MenuFlow.ask_book_hours, MenuFlow.on_book_hours),
        CallState.BOOK_QUOTE: Step[MenuFlow](MenuFlow.ask_book_quote, MenuFlow.on_book_quote),
        CallState.BOOK_ALTERNATIVE: Step[MenuFlow](
            MenuFlow.ask_book_alternative, MenuFlow.on_book_alternative
        ),
        CallState.BOOKINGS: Step[MenuFlow](MenuFlow.ask_bookings, MenuFlow.on_bookings),
        CallState.BOOKING_CANCEL: Step[MenuFlow](
            MenuFlow.ask_booking_cancel, MenuFlow.on_booking_cancel
        ),
        CallState.LANGUAGE: Step[MenuFlow](MenuFlow.ask_language, MenuFlow.on_language),
    }
)


class VoiceCall(MenuFlow):
    """Every flow of the menu, over the table of steps."""

    steps = STEPS
