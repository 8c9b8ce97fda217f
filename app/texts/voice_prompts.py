"""The words the voice menu says, in fi, sv and en (Flask-Babel catalogs).

Every function is called inside ``force_locale(lang)`` by :mod:`app.usecases.voice.call` and
returns one sentence. Plates and phone numbers go through :func:`spell`: they are wrapped
in markers that the TwiML renderer turns into SSML ``<say-as interpret-as="spell-out">``,
so that "ABC-123" is read "A, B, C, 1, 2, 3" and never "abc one hundred twenty-three".
"""

from __future__ import annotations

import re

from flask_babel import gettext, ngettext

from app.domain.plates import normalize_plate
from app.kernel.calls import SPELL

# The language menu speaks each option in its own language (not translated on purpose).
LANGUAGE_OPTIONS = (
    ("fi", "1", "Suomeksi, paina 1."),
    ("sv", "2", "På svenska, tryck 2."),
    ("en", "3", "For English, press 3."),
)


def _(text: str, **variables: object) -> str:
    return str(gettext(text, **variables))


def spell(text: str) -> str:
    """Mark ``text`` to be read character by character (plates, phone numbers)."""
    return SPELL + normalize_plate(text) + SPELL


_BRACKETS = re.compile(r"\s*[(\[]\s*(.*?)\s*[)\]]")
_HOURS = re.compile(r"\b(\d+)\s?h\b")


def spoken_name(name: str) -> str:
    """A zone's name as it is read aloud: brackets become a pause and an hour sign a
    word ("Satama (24 h)" -> "Satama, 24 hours"), so the voice reads no symbols."""
    text = _BRACKETS.sub(lambda m: f", {m[1]}", name).strip()
    return _HOURS.sub(
        lambda m: str(ngettext("%(num)s hour", "%(num)s hours", int(m[1]))), text
    )


def zone_words(code: str) -> str:
    """A zone code as it is said: a code with letters letter by letter ("E, V, 1"), an
    all-digit code as a number."""
    return code if code.isascii() and code.isdigit() else spell(code)


# ---- greeting and main menu ------------------------------------------------------------


def welcome() -> str:
    return _("Welcome to Kanava parking.")


def welcome_back() -> str:
    return _("Welcome back to Kanava parking.")


def live_summary(plate: str, zone: str, until: str | None) -> str:
    if until is None:
        return _(
            "%(plate)s is parked in zone %(zone)s until you stop.", plate=spell(plate), zone=zone
        )
    return _(
        "%(plate)s is parked in zone %(zone)s until %(time)s.",
        plate=spell(plate),
        zone=zone,
        time=until,
    )


def live_summary_extension_unpaid(plate: str, zone: str, paid: str, until: str, price: str) -> str:
    return _(
        "%(plate)s is parked in zone %(zone)s, paid until %(paid)s. The extension until "
        "%(time)s, %(price)s, is not paid yet.",
        plate=spell(plate),
        zone=zone,
        paid=paid,
        time=until,
        price=price,
    )


def menu_park_again(plate: str, zone: str) -> str:
    return _("To park %(plate)s in zone %(zone)s again, press 1.", plate=spell(plate), zone=zone)


def menu_park_first() -> str:
    return _("To park, press 1.")


def menu_park_other() -> str:
    return _("To park another car or in another zone, press 2.")


def menu_extend() -> str:
    return _("To extend a parking, press 3.")


def menu_stop() -> str:
    return _("To stop a parking, press 4.")


def menu_status() -> str:
    return _("To hear your parkings and their end times, press 5.")


def menu_zones() -> str:
    return _("To hear the zones and their numbers, press 8.")


def menu_language() -> str:
    return _("To change the language, press 9.")


def menu_help() -> str:
    return _("For help, press 0.")


def menu_repeat() -> str:
    return _("To hear this again, press the star key.")


def anything_else() -> str:
    return _("Can I help you with anything else?")


# ---- never stuck ---------------------------------------------------------------------


def no_input() -> str:
    return _("I did not hear anything.")


def invalid_key(key: str) -> str:
    return _("The key %(key)s is not in this menu.", key=key)


def use_the_keys() -> str:
    return _("Please answer with the keys of your phone.")


def not_understood() -> str:
    return _("I did not understand that.")


def cannot_understand() -> str:
    return _("I am sorry, I could not understand your answers.")


def goodbye_after_silence(service_number: str | None) -> str:
    if not service_number:
        return _("I will end the call now. You can also park by text message. Goodbye.")
    return _(
        "I will end the call now. You can also park by text message: send your plate and "
        "zone to %(number)s. Goodbye.",
        number=spell(service_number),
    )


def goodbye() -> str:
    return _("Thank you for calling. Goodbye.")


def technical_problem(service_number: str | None) -> str:
    if not service_number:
        return _("Sorry, something went wrong. Please call again a little later.")
    return _(
        "Sorry, something went wrong. Please call again, or park by text message to %(number)s.",
        number=spell(service_number),
    )


def lost_our_place() -> str:
    return _("Sorry, I lost track of where we were. Let us start again from the main menu.")


def hidden_number() -> str:
    return _("Your number is hidden, so I cannot find your parkings.")


# ---- help ----------------------------------------------------------------------------


def connecting_operator() -> str:
    return _("Connecting you to customer service. Please hold.")


def help_by_sms(service_number: str | None, landline: bool) -> str:
    number = spell(service_number) if service_number else ""
    if landline:
        return _(
            "Customer service cannot take calls right now. From a mobile phone, text the word "
            "HELP to %(number)s, and you will get the instructions by text message.",
            number=number,
        )
    return _(
        "Customer service cannot take calls right now. Text the word HELP to %(number)s, and "
        "you will get the instructions by text message.",
        number=number,
    )


# ---- parking -------------------------------------------------------------------------


def ask_zone() -> str:
    return _(
        "Enter the zone number from the sign, then press the hash key. You can also say the zone."
    )


def ask_zone_again() -> str:
    return _("Enter the zone again, or press 8 and the hash key to hear the zones.")


def unknown_zone(code: str) -> str:
    return _("There is no zone %(zone)s.", zone=spell(code))


def zone_not_understood() -> str:
    return _("I did not catch the zone.")


def zones_intro() -> str:
    return _("These are the zones.")


def zone_item(code: str, name: str) -> str:
    return _("Zone %(zone)s, %(name)s.", zone=code, name=spoken_name(name))


def lettered_zone_item(code: str, name: str, keys: str) -> str:
    return _(
        "Zone %(zone)s, %(name)s: key %(keys)s.",
        zone=spell(code),
        name=spoken_name(name),
        keys=spell(keys),
    )


def more_zones_on_signs() -> str:
    return _("The other zones: key the number on the sign.")


def confirm_zone(code: str, name: str) -> str:
    return _(
        "Zone %(zone)s, %(name)s. If this is right, press 1. To enter another zone, press 2.",
        zone=zone_words(code),
        name=spoken_name(name),
    )


def choose_plate_option(plate: str, key: int) -> str:
    return _("For %(plate)s, press %(key)s.", plate=spell(plate), key=key)


def say_other_plate() -> str:
    return _("For another car, say its plate letter by letter.")


def say_plate() -> str:
    return _("Say your plate letter by letter, for example A B C 1 2 3.")


def plate_not_understood() -> str:
    return _("I could not make out a plate.")


def confirm_plate(plate: str) -> str:
    return _(
        "I heard %(plate)s. If this is right, press 1. To say it again, press 2.",
        plate=spell(plate),
    )


def ask_duration() -> str:
    return _(
        "Enter the parking time in minutes, then press the hash key. To park until you stop, "
        "enter 0 and the hash key."
    )


def bad_duration() -> str:
    return _("That parking time is not possible.")


def free_until(until: str, rate: str) -> str:
    """Said before a quote in free time: until when it is free, and the rate after."""
    return _("Parking is free until %(time)s, then %(rate)s an hour.", time=until, rate=rate)


def free_here() -> str:
    """Said before a quote in a zone with no paid time in the coming week."""
    return _("Parking is free here.")


def quote_fixed(plate: str, zone: str, minutes: int, until: str, price: str) -> str:
    return _(
        "Parking %(plate)s in zone %(zone)s for %(minutes)s minutes, until %(time)s, costs "
        "%(price)s. To confirm, press 1. To cancel, press 2.",
        plate=spell(plate),
        zone=zone,
        minutes=minutes,
        time=until,
        price=price,
    )


def quote_open(plate: str, zone: str, rate: str, latest: str | None) -> str:
    if latest is None:
        return _(
            "Parking %(plate)s in zone %(zone)s until you stop costs %(rate)s an hour, by the "
            "minute. To confirm, press 1. To choose a parking time, press 2. To cancel, press 3.",
            plate=spell(plate),
            zone=zone,
            rate=rate,
        )
    return _(
        "Parking %(plate)s in zone %(zone)s until you stop costs %(rate)s an hour, by the "
        "minute, at most until %(time)s. To confirm, press 1. To choose a parking time, "
        "press 2. To cancel, press 3.",
        plate=spell(plate),
        zone=zone,
        rate=rate,
        time=latest,
    )


def cancelled() -> str:
    return _("Nothing was parked.")


def already_parked(plate: str, zone: str) -> str:
    return _("%(plate)s is already parked in zone %(zone)s.", plate=spell(plate), zone=zone)


def parked_by_another(plate: str, zone: str, until: str | None) -> str:
    if until is None:
        return _(
            "%(plate)s is already parked in zone %(zone)s by someone else, until it is "
            "stopped. Nothing new was parked. Ask the one who parked it, or wait until it ends.",
            plate=spell(plate),
            zone=zone,
        )
    return _(
        "%(plate)s is already parked in zone %(zone)s by someone else, until %(time)s. "
        "Nothing new was parked. Ask the one who parked it, or wait until it ends.",
        plate=spell(plate),
        zone=zone,
        time=until,
    )


def parked_until(until: str | None) -> str:
    if until is None:
        return _("You are parked until you stop. To stop, call again and press 4.")
    return _("You are parked until %(time)s.", time=until)


def parked_until_extension_unpaid(paid: str, until: str, price: str) -> str:
    return _(
        "You are parked and paid until %(paid)s. The extension until %(time)s, %(price)s, "
        "is not paid yet.",
        paid=paid,
        time=until,
        price=price,
    )


def parked_until_stopped_at_most(until: str) -> str:
    return _(
        "You are parked until you stop, at most until %(time)s. To stop, call again and press 4.",
        time=until,
    )


def confirmation_sent() -> str:
    return _("A confirmation was sent to you by text message.")


# ---- paying --------------------------------------------------------------------------


def saved_card_charged(price: str) -> str:
    return _("Your saved card was charged %(price)s.", price=price)


def pay_choice() -> str:
    return _("To pay by card now, press 1. To get a payment link by text message, press 2.")


def pay_card_only() -> str:
    return _("To pay by card now, press 1. To cancel the parking, press 2.")


def pay_intro() -> str:
    return _("Enter your card details on the keypad. To cancel, press the star key.")


def pay_card_number() -> str:
    return _("Enter your card number, then press the hash key.")


def pay_expiry() -> str:
    return _("Enter the expiry date as four digits, month and year.")


def pay_security_code() -> str:
    return _("Enter the security code from the back of the card.")


def pay_processing() -> str:
    return _("Please wait while the payment is processed.")


def pay_accepted() -> str:
    return _("Thank you. Your card was accepted.")


def pay_failed() -> str:
    return _("The card payment did not go through.")


def pay_link_sent(minutes: int) -> str:
    return _(
        "A payment link was sent to you by text message. Please pay within %(minutes)s minutes.",
        minutes=minutes,
    )


def landline_awaiting_payment(minutes: int) -> str:
    return _(
        "Your parking is registered and waits for payment; it is valid for %(minutes)s "
        "minutes. Card payment by phone is not available right now. To get a payment link, "
        "call again from a mobile phone.",
        minutes=minutes,
    )


def landline_choose_duration() -> str:
    return _("Paying by card on the phone needs a parking time. Please choose how long you park.")


def parking_cancelled_unpaid() -> str:
    return _("The parking was cancelled because it was not paid.")


# ---- extend, stop, status ------------------------------------------------------------


def no_live_parking() -> str:
    return _("You have no parking going on.")


def choose_order_option(plate: str, zone: str, key: int) -> str:
    return _(
        "For %(plate)s in zone %(zone)s, press %(key)s.", plate=spell(plate), zone=zone, key=key
    )


def ask_extension() -> str:
    return _("Enter how many minutes to add, then press the hash key.")


def extended(until: str, price: str) -> str:
    return _(
        "Your parking now ends at %(time)s. The extension costs %(price)s.",
        time=until,
        price=price,
    )


def cannot_extend_open_ended() -> str:
    return _("This parking runs until you stop, so it needs no extension.")


def at_max_stay(until: str) -> str:
    return _("This parking already lasts as long as the zone allows, until %(time)s.", time=until)


def confirm_stop(plate: str, zone: str) -> str:
    return _(
        "To stop parking %(plate)s in zone %(zone)s, press 1. To go back, press 2.",
        plate=spell(plate),
        zone=zone,
    )


def stopped(price: str) -> str:
    return _("The parking has ended. It cost %(price)s.", price=price)


def stop_refunded(amount: str) -> str:
    return _("%(amount)s of what you paid goes back to your card.", amount=amount)


def stop_texted() -> str:
    return _("I sent you the details by text message.")


def status_line(plate: str, zone: str, until: str | None, awaiting_payment: bool) -> str:
    line = live_summary(plate, zone, until)
    if awaiting_payment:
        line += " " + _("It is not paid yet.")
    return line


def language_set() -> str:
    return _("I will speak English from now on.")


# ---- bookings ------------------------------------------------------------------------
# Days are said with the weekday and the month's name, times as the clock in parking.


def menu_book() -> str:
    return _("To book a space ahead, press 6.")


def menu_bookings() -> str:
    return _("To hear or cancel your bookings, press 7.")


def nothing_to_book() -> str:
    return _("No zone can be booked right now.")


def booking_needs_mobile() -> str:
    return _(
        "To book by phone, call from a mobile phone. You can also book by text message or "
        "on the web."
    )


def bookable_zones_intro() -> str:
    return _("Zones to book:")


def ask_book_zone() -> str:
    return _("Enter the number of the zone to book, then press the hash key.")


def not_bookable_zone(code: str) -> str:
    return _("Zone %(zone)s cannot be booked.", zone=zone_words(code))


def ask_book_day(code: str, name: str) -> str:
    return _(
        "Booking in zone %(zone)s, %(name)s. For today, press 1. For tomorrow, press 2. For "
        "the day after tomorrow, press 3. For another date, press 4.",
        zone=zone_words(code),
        name=name,
    )


def ask_book_date() -> str:
    return _(
        "Enter the date as four digits, the day and then the month. For example, for the "
        "fifth of March, enter 0 5 0 3."
    )


def no_such_date() -> str:
    return _("There is no such date.")


def day_passed() -> str:
    return _("That day has passed.")


def book_too_far(day: str) -> str:
    return _("The last day you can book is %(day)s.", day=day)


def book_closed_day(code: str, day: str) -> str:
    return _("Zone %(zone)s cannot be booked on %(day)s.", zone=zone_words(code), day=day)


def book_next_open_day(day: str) -> str:
    return _("The next day to book is %(day)s.", day=day)


def ask_book_start(day: str) -> str:
    return _(
        "On %(day)s: enter the start time, the hour or the hour and minutes, then press the "
        "hash key. For example, for half past two in the afternoon, enter 1 4 3 0.",
        day=day,
    )


def bad_start_time() -> str:
    return _("That is not a time of day.")


def book_time_passed() -> str:
    return _("That time has passed.")


def book_too_soon() -> str:
    return _("That is too soon.")


def book_earliest(when: str) -> str:
    return _("The earliest you can book is %(time)s.", time=when)


def from_to(start: str, end: str) -> str:
    return _("from %(start)s to %(end)s", start=start, end=end)


def book_hours_of_day(code: str, hours: str, day: str) -> str:
    return _(
        "Zone %(zone)s can be booked %(hours)s on %(day)s.",
        zone=zone_words(code),
        hours=hours,
        day=day,
    )


def book_until_latest(until: str) -> str:
    return _("From that start you can book until %(time)s.", time=until)


def ask_book_hours() -> str:
    return _("Enter how many hours to book, then press the hash key.")


def bad_book_hours() -> str:
    return _("Enter the length in whole hours, from 1 to 24.")


def book_too_long(code: str, hours: str) -> str:
    return _(
        "A booking in zone %(zone)s can last at most %(hours)s hours.",
        zone=zone_words(code),
        hours=hours,
    )


def booking_quote(code: str, plate: str, day: str, start: str, end: str, price: str) -> str:
    return _(
        "Zone %(zone)s for %(plate)s, %(day)s from %(start)s to %(end)s, costs %(price)s.",
        zone=zone_words(code),
        plate=spell(plate),
        day=day,
        start=start,
        end=end,
        price=price,
    )


def book_confirm_keys() -> str:
    return _("To book, press 1. To cancel, press 2.")


def free_cancellation(until: str, late_percent: int) -> str:
    """The cancellation terms of a booking whose free cancellation time is ahead."""
    if late_percent:
        return _(
            "Free cancellation until %(time)s; after that, %(percent)s percent is refunded.",
            time=until,
            percent=late_percent,
        )
    return _("Free cancellation until %(time)s; after that, no refund.", time=until)


def late_cancellation(late_percent: int) -> str:
    """The cancellation terms once the free cancellation time has passed."""
    if late_percent:
        return _(
            "The free cancellation time has passed: if you cancel before the start, "
            "%(percent)s percent is refunded.",
            percent=late_percent,
        )
    return _("The free cancellation time has passed: a cancelled booking is not refunded.")


def nothing_booked() -> str:
    return _("Nothing was booked.")


def book_full(code: str, day: str, start: str, end: str) -> str:
    return _(
        "Zone %(zone)s is fully booked %(day)s from %(start)s to %(end)s.",
        zone=zone_words(code),
        day=day,
        start=start,
        end=end,
    )


def book_nothing_near() -> str:
    return _("Nothing is free near that time. Please choose another time.")


def book_alternative(code: str, day: str, start: str, end: str, price: str) -> str:
    return _(
        "The nearest free time: zone %(zone)s, %(day)s from %(start)s to %(end)s, %(price)s.",
        zone=zone_words(code),
        day=day,
        start=start,
        end=end,
        price=price,
    )


def book_alternative_keys() -> str:
    return _("To book it, press 1. To choose another time, press 2.")


def booking_pay_link_sent(until: str) -> str:
    return _(
        "A payment link was sent to you by text message. Pay by %(time)s, or the space is "
        "released.",
        time=until,
    )


def booking_confirmed() -> str:
    return _("Your booking is confirmed.")


def booking_reference(ref: str) -> str:
    return _("Your booking reference is %(ref)s.", ref=spell(ref))


def booking_reference_sent() -> str:
    return _("The reference was sent to you by text message.")


def pay_card_only_booking() -> str:
    return _("To pay by card now, press 1. To cancel the booking, press 2.")


def booking_cancelled_unpaid() -> str:
    return _("The booking was cancelled because it was not paid.")


def booking_lost() -> str:
    return _(
        "Sorry, the space was taken while you paid. Your payment is refunded, and a text "
        "message tells you the nearest free times."
    )


def no_bookings() -> str:
    return _("You have no upcoming bookings.")


def booking_item(key: int, code: str, day: str, start: str, end: str, ref: str) -> str:
    return _(
        "Booking %(key)s: zone %(zone)s, %(day)s from %(start)s to %(end)s, reference %(ref)s.",
        key=key,
        zone=zone_words(code),
        day=day,
        start=start,
        end=end,
        ref=spell(ref),
    )


def booking_not_paid() -> str:
    return _("It is not paid yet.")


def bookings_keys() -> str:
    return _("To cancel a booking, press its number. For the main menu, press 0.")


def booking_cancel_refunds(ref: str, price: str) -> str:
    return _("Cancelling booking %(ref)s refunds %(price)s.", ref=spell(ref), price=price)


def booking_cancel_unpaid(ref: str) -> str:
    return _("Booking %(ref)s is not paid yet: cancelling it releases its space.", ref=spell(ref))


def booking_cancel_no_refund(ref: str) -> str:
    return _(
        "Cancelling booking %(ref)s refunds nothing: its free cancellation time has passed.",
        ref=spell(ref),
    )


def booking_cancel_keys() -> str:
    return _("To cancel it, press 1. To keep it, press 2.")


def booking_cancelled(ref: str) -> str:
    return _("Booking %(ref)s is cancelled.", ref=spell(ref))


def booking_refunded(price: str) -> str:
    return _("%(price)s is refunded to your card.", price=price)


def booking_kept() -> str:
    return _("The booking is kept.")


def booking_gone() -> str:
    return _("That booking can no longer be cancelled.")


def day_at(day: str, time: str) -> str:
    return _("%(day)s at %(time)s", day=day, time=time)
