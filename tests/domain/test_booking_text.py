"""Tests of the booking message grammar and booking references (app.domain.booking_text)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.booking_policy import TimeRange
from app.domain.booking_text import (
    BOOKING_PROBLEMS,
    REF_ALPHABET,
    REF_LENGTH,
    BookingProblem,
    BookingRequest,
    MoveRequest,
    new_booking_ref,
    normalize_booking_ref,
    parse_booking,
    parse_move,
)
from app.domain.pricing import END_OF_DAY

TODAY = date(2026, 12, 3)  # a Thursday
KNOWN = ("EV1", "kt")


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def clock(text: str) -> time:
    hour, _, minute = text.partition(":")
    return END_OF_DAY if hour == "24" else time(int(hour), int(minute or 0))


def t(spec: str, minutes: int | None = None) -> TimeRange:
    """``"10-12"``, ``"10:30-12"``, ``"10"`` (start only), ``"10", 120`` (start, duration)."""
    start, _, end = spec.partition("-")
    return TimeRange(clock(start), clock(end) if end else None, minutes)


@dataclass(frozen=True)
class Ok:
    zone: str
    day: date
    times: TimeRange | None = None
    plate: str | None = None


@dataclass(frozen=True)
class Bad:
    code: str
    zone: str | None = None
    day: date | None = None
    times: TimeRange | None = None


R = TimeRange
TOMORROW = day(1)
FRI, SAT, SUN, MON, TUE, WED = day(1), day(2), day(3), day(4), day(5), day(6)
XMAS_EVE = date(2026, 12, 24)

# Each row: a booking message as a driver types it, and what it means (today: Thu 3.12.2026).
BOOKINGS: list[tuple[str, Ok | Bad]] = [
    # --- Finnish -----------------------------------------------------------------------
    ("VARAA 101 huomenna klo 10-12 ABC-123", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("varaa 101 huomenna 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("Varaa 101 tänään 14-16", Ok("101", TODAY, t("14-16"))),
    ("varaa 101 tanaan 14-15", Ok("101", TODAY, t("14-15"))),
    ("varaa 101 ylihuomenna 8-10", Ok("101", day(2), t("8-10"))),
    ("varaa 101 huomena 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 3.12. klo 10-12", Ok("101", TODAY, t("10-12"))),
    ("varaa 101 24.12. 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("varaa 101 24.12.2026 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("varaa 101 24.12.26 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("varaa 101 2026-12-24 10–12", Ok("101", XMAS_EVE, t("10-12"))),
    ("varaa 101 5.1. 10-12", Ok("101", date(2027, 1, 5), t("10-12"))),
    ("varaa 101 pe 10-14", Ok("101", FRI, t("10-14"))),
    ("varaa 101 perjantaina 10-14", Ok("101", FRI, t("10-14"))),
    ("varaa 101 ma 9-11", Ok("101", MON, t("9-11"))),
    ("varaa 101 maanantaina klo 9–11", Ok("101", MON, t("9-11"))),
    ("varaa 101 ti 10 2h", Ok("101", TUE, t("10", 120))),
    ("varaa 101 tiistaina 10 2 tuntia", Ok("101", TUE, t("10", 120))),
    ("varaa 101 ke 12-13", Ok("101", WED, t("12-13"))),
    ("varaa 101 keskiviikkona 12-13", Ok("101", WED, t("12-13"))),
    ("varaa 101 to 10-12", Ok("101", TODAY, t("10-12"))),
    ("varaa 101 torstaina 10-12", Ok("101", TODAY, t("10-12"))),
    ("varaa 101 to klo 10", Ok("101", TODAY, t("10"))),
    ("varaa 101 la 9-11", Ok("101", SAT, t("9-11"))),
    ("varaa 101 lauantaina 9-11", Ok("101", SAT, t("9-11"))),
    ("varaa 101 su 12-14", Ok("101", SUN, t("12-14"))),
    ("varaa 101 sunnuntaina 12-14", Ok("101", SUN, t("12-14"))),
    ("varaa 101 ensi torstaina 10-12", Ok("101", day(7), t("10-12"))),
    ("varaa 101 ensi maanantaina 10-12", Ok("101", MON, t("10-12"))),
    ("varaa huomenna 10-12 alue 101", Ok("101", TOMORROW, t("10-12"))),
    ("varaa alueelle 101 huomenna klo 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("varaa ABC-123 101 huomenna 10-12", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("VARAA abc-123 101 HUOMENNA 10-12", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("varaa 101 huomenna 10:30-12", Ok("101", TOMORROW, t("10:30-12"))),
    ("varaa 101 huomenna 10.30-12.00", Ok("101", TOMORROW, t("10:30-12"))),
    ("varaa 101 huomenna klo 10.30–12.00", Ok("101", TOMORROW, t("10:30-12"))),
    ("varaa 101 huomenna klo 10 - 12", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna klo 10 - klo 12", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna kello 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna klo10-12", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna 10:stä 12:een", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna klo 10 alkaen 12 asti", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna klo 12 asti klo 10 alkaen", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna klo 10 alkaen 3 tuntia", Ok("101", TOMORROW, t("10", 180))),
    ("varaa 101 huomenna klo 10 kahdeksi tunniksi", Ok("101", TOMORROW, t("10", 120))),
    ("varaa 101 huomenna klo 10 tunniksi", Ok("101", TOMORROW, t("10", 60))),
    ("varaa 101 huomenna klo 10 puoleksi tunniksi", Ok("101", TOMORROW, t("10", 30))),
    ("varaa 101 huomenna 10 90min", Ok("101", TOMORROW, t("10", 90))),
    ("varaa 101 huomenna 10 1,5h", Ok("101", TOMORROW, t("10", 90))),
    ("varaa 101 huomenna 10 1h30", Ok("101", TOMORROW, t("10", 90))),
    ("varaa 101 huomenna 10 1 h 30 min", Ok("101", TOMORROW, t("10", 90))),
    ("varaa 101 huomenna klo 8", Ok("101", TOMORROW, t("8"))),
    ("varaa 101 tänään 14", Ok("101", TODAY, t("14"))),
    ("varaa 101 huomenna", Ok("101", TOMORROW)),
    ("varaa 101 huomenna ABC 123", Ok("101", TOMORROW, None, "ABC-123")),
    ("varaa 101 huomenna 10-12 ABC-123:lle", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("Hei! Varaisin paikan 101 huomiseksi klo 10-12, kiitos", Ok("101", TOMORROW, t("10-12"))),
    ("haluan varata alueen 101 huomenna klo 9-17", Ok("101", TOMORROW, t("9-17"))),
    ("varaa 101 huomenna 22-6", Ok("101", TOMORROW, t("22-6"))),
    ("varaa 101 huomenna 20-24", Ok("101", TOMORROW, t("20-24"))),
    ("varaa 101 huomenna 0-6", Ok("101", TOMORROW, t("0-6"))),
    ("varaa 101 ylihuomenna klo 8 2h", Ok("101", day(2), t("8", 120))),
    ("varaa 101 3.12 10-12", Ok("101", TODAY, t("10-12"))),
    ("varaa 101 huomenna 10.30 2h", Ok("101", TOMORROW, t("10:30", 120))),
    ("varaa 101 24. joulukuuta klo 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("varaa 101 pe 4.12. 10-12", Ok("101", FRI, t("10-12"))),
    ("varaa ev1 huomenna 10-12", Ok("EV1", TOMORROW, t("10-12"))),
    ("varaa KT huomenna 10-12 ABC-123", Ok("KT", TOMORROW, t("10-12"), "ABC-123")),
    ("varaa 101 huomenna 10-12 ABC-123 kiitos", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("varaa 101 huomenna klo 1030-12", Bad("unclear", "101", TOMORROW)),
    ("varaa 101 huomenna klo 1030 2h", Ok("101", TOMORROW, t("10:30", 120))),
    ("varaa huomenna 10-12", Bad("no_zone", None, TOMORROW, t("10-12"))),
    ("varaa 101 10-12", Bad("no_date", "101", None, t("10-12"))),
    ("varaa 101 huomenna 2h", Bad("no_start_time", "101", TOMORROW)),
    ("varaa 101 huomenna 12 asti", Bad("no_start_time", "101", TOMORROW)),
    ("varaa 101 huomenna 10 asti 12", Bad("bad_time", "101", TOMORROW)),
    ("varaa 101 huomenna 10-10", Bad("bad_time", "101", TOMORROW)),
    ("varaa 101 huomenna 25-27", Bad("bad_time", "101", TOMORROW)),
    ("varaa 101 huomenna 12-10", Bad("bad_time", "101", TOMORROW)),
    ("varaa 101 huomenna klo 25", Bad("bad_time", "101", TOMORROW)),
    ("varaa 101 huomenna 10:75-12", Bad("bad_time", "101", TOMORROW)),
    ("varaa 101 1.12. 10-12", Bad("date_in_past", "101", date(2026, 12, 1), t("10-12"))),
    ("varaa 101 2.12.2026 10-12", Bad("date_in_past", "101", date(2026, 12, 2))),
    ("varaa 101 31.2. 10-12", Bad("bad_date", "101", None, t("10-12"))),
    ("varaa 101 32.12. 10-12", Bad("bad_date", "101")),
    ("varaa 101 huomenna 24.12. 10-12", Bad("conflicting_dates", "101")),
    ("varaa 101 ma 4.12. 10-12", Bad("conflicting_dates", "101")),
    ("varaa 101 102 huomenna 10-12", Bad("multiple_zones", "101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna 10-12 ABC-123 XYZ-789", Bad("multiple_plates", "101", TOMORROW)),
    ("varaa 101 huomenna 10-12 14-16", Bad("multiple_times", "101", TOMORROW)),
    ("varaa 101 huomenna 10-12 2h", Bad("multiple_times", "101", TOMORROW)),
    ("varaa", Bad("no_zone")),
    ("varaa 101 huomenna 10-12 1234567", Bad("unclear", "101", TOMORROW, t("10-12"))),
    # --- Swedish -----------------------------------------------------------------------
    ("BOKA 101 imorgon kl 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("boka 101 i morgon kl. 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("boka 101 imorron 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("boka 101 idag kl 14-16", Ok("101", TODAY, t("14-16"))),
    ("boka 101 i dag 14-16", Ok("101", TODAY, t("14-16"))),
    ("boka 101 i kväll 18-22", Ok("101", TODAY, t("18-22"))),
    ("boka 101 i övermorgon 8-10", Ok("101", day(2), t("8-10"))),
    ("boka 101 iövermorgon 8-10", Ok("101", day(2), t("8-10"))),
    ("boka 101 övermorgon 8-10", Ok("101", day(2), t("8-10"))),
    ("boka 101 på måndag kl 10-12", Ok("101", MON, t("10-12"))),
    ("boka 101 måndag 10-12", Ok("101", MON, t("10-12"))),
    ("boka 101 mån 10-12", Ok("101", MON, t("10-12"))),
    ("boka 101 mandag 10-12", Ok("101", MON, t("10-12"))),
    ("boka 101 tisdag 10-12", Ok("101", TUE, t("10-12"))),
    ("boka 101 tis 10-12", Ok("101", TUE, t("10-12"))),
    ("boka 101 onsdag 10-12", Ok("101", WED, t("10-12"))),
    ("boka 101 ons 10-12", Ok("101", WED, t("10-12"))),
    ("boka 101 torsdag 10-12", Ok("101", TODAY, t("10-12"))),
    ("boka 101 tors 10-12", Ok("101", TODAY, t("10-12"))),
    ("boka 101 fredag 10-12", Ok("101", FRI, t("10-12"))),
    ("boka 101 på fredagen 10-12", Ok("101", FRI, t("10-12"))),
    ("boka 101 fre 10-12", Ok("101", FRI, t("10-12"))),
    ("boka 101 lördag 10-12", Ok("101", SAT, t("10-12"))),
    ("boka 101 lör 10-12", Ok("101", SAT, t("10-12"))),
    ("boka 101 lordag 10-12", Ok("101", SAT, t("10-12"))),
    ("boka 101 söndag 10-12", Ok("101", SUN, t("10-12"))),
    ("boka 101 sön 10-12", Ok("101", SUN, t("10-12"))),
    ("boka 101 nästa fredag 10-12", Ok("101", FRI, t("10-12"))),
    ("boka 101 nästa torsdag 10-12", Ok("101", day(7), t("10-12"))),
    ("boka 101 på fredag kl 10 i 2 timmar", Ok("101", FRI, t("10", 120))),
    ("boka 101 imorgon kl 10 två timmar", Ok("101", TOMORROW, t("10", 120))),
    ("boka 101 imorgon kl 10 en timme", Ok("101", TOMORROW, t("10", 60))),
    ("boka 101 imorgon kl 10 en halvtimme", Ok("101", TOMORROW, t("10", 30))),
    ("boka 101 imorgon kl 10 90 minuter", Ok("101", TOMORROW, t("10", 90))),
    ("boka 101 imorgon kl 10 i 3 tim", Ok("101", TOMORROW, t("10", 180))),
    ("boka 101 imorgon mellan 10 och 12", Ok("101", TOMORROW, t("10-12"))),
    ("boka 101 imorgon från 10 till 12", Ok("101", TOMORROW, t("10-12"))),
    ("boka 101 imorgon från kl 10 till kl 12", Ok("101", TOMORROW, t("10-12"))),
    ("boka 101 imorgon kl 10.30-12", Ok("101", TOMORROW, t("10:30-12"))),
    ("boka 101 imorgon 10:30-12:00 ABC-123", Ok("101", TOMORROW, t("10:30-12"), "ABC-123")),
    ("boka 101 imorgon 10-12 ABC 12D", Ok("101", TOMORROW, t("10-12"), "ABC 12D")),
    ("boka zon 101 imorgon kl 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("boka i zon 101 imorgon 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("boka 101 den 24/12 kl 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("boka 101 24 dec 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("boka 101 den 24 december kl 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("hej, jag vill boka 101 imorgon kl 10-12 tack", Ok("101", TOMORROW, t("10-12"))),
    ("boka 101 imorgon kl 22-6", Ok("101", TOMORROW, t("22-6"))),
    ("boka imorgon 10-12", Bad("no_zone", None, TOMORROW)),
    ("boka 101 kl 10-12", Bad("no_date", "101")),
    ("boka 101 imorgon 10-9", Bad("bad_time", "101", TOMORROW)),
    ("boka 101 30.11. 10-12", Bad("date_in_past", "101", date(2026, 11, 30))),
    ("boka 101 imorgon i 2 timmar", Bad("no_start_time", "101", TOMORROW)),
    # --- English -----------------------------------------------------------------------
    ("BOOK 101 tomorrow 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 today 14-16", Ok("101", TODAY, t("14-16"))),
    ("book 101 tonight 20-23", Ok("101", TODAY, t("20-23"))),
    ("book 101 day after tomorrow 8-10", Ok("101", day(2), t("8-10"))),
    ("book 101 the day after tomorrow 8-10", Ok("101", day(2), t("8-10"))),
    ("book 101 tmrw 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 tomorow 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 monday 10-12", Ok("101", MON, t("10-12"))),
    ("book 101 on monday 10-12", Ok("101", MON, t("10-12"))),
    ("book 101 mon 10-12", Ok("101", MON, t("10-12"))),
    ("book 101 tuesday 10-12", Ok("101", TUE, t("10-12"))),
    ("book 101 tue 10-12", Ok("101", TUE, t("10-12"))),
    ("book 101 wednesday 10-12", Ok("101", WED, t("10-12"))),
    ("book 101 wed 10-12", Ok("101", WED, t("10-12"))),
    ("book 101 thursday 10-12", Ok("101", TODAY, t("10-12"))),
    ("book 101 thu 10-12", Ok("101", TODAY, t("10-12"))),
    ("book 101 friday 10-12", Ok("101", FRI, t("10-12"))),
    ("book 101 fri 10-12", Ok("101", FRI, t("10-12"))),
    ("book 101 saturday 10-12", Ok("101", SAT, t("10-12"))),
    ("book 101 sat 10-12", Ok("101", SAT, t("10-12"))),
    ("book 101 sunday 10-12", Ok("101", SUN, t("10-12"))),
    ("book 101 sun 10-12", Ok("101", SUN, t("10-12"))),
    ("book 101 next thursday 10-12", Ok("101", day(7), t("10-12"))),
    ("book 101 next monday 10-12", Ok("101", MON, t("10-12"))),
    ("book 101 tomorrow 10:30-12", Ok("101", TOMORROW, t("10:30-12"))),
    ("book 101 tomorrow from 10 to 12", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 tomorrow 10 to 12", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 tomorrow between 10 and 12", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 tomorrow from 10:30 until 12", Ok("101", TOMORROW, t("10:30-12"))),
    ("book 101 tomorrow 10am-12pm", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 tomorrow 10 am to 12 pm", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 tomorrow 2-4pm", Ok("101", TOMORROW, t("14-16"))),
    ("book 101 tomorrow 2pm-4pm", Ok("101", TOMORROW, t("14-16"))),
    ("book 101 tomorrow 11-1pm", Ok("101", TOMORROW, t("11-13"))),
    ("book 101 tomorrow 9-5", Ok("101", TOMORROW, t("9-17"))),
    ("book 101 tomorrow 12-2", Ok("101", TOMORROW, t("12-14"))),
    ("book 101 tomorrow 22-6", Ok("101", TOMORROW, t("22-6"))),
    ("book 101 tomorrow 12-10", Ok("101", TOMORROW, t("12-22"))),
    ("book 101 tomorrow at 10 for 2 hours", Ok("101", TOMORROW, t("10", 120))),
    ("book 101 tomorrow at 10 for 90 minutes", Ok("101", TOMORROW, t("10", 90))),
    ("book 101 tomorrow 10 for 2h", Ok("101", TOMORROW, t("10", 120))),
    ("book 101 tomorrow at 10 for half an hour", Ok("101", TOMORROW, t("10", 30))),
    ("book 101 tomorrow at 10 for an hour", Ok("101", TOMORROW, t("10", 60))),
    ("book 101 tomorrow at 3pm for 2 hrs", Ok("101", TOMORROW, t("15", 120))),
    ("book 101 tomorrow @10 2h", Ok("101", TOMORROW, t("10", 120))),
    ("book 101 tomorrow at 1030 for 1 hour", Ok("101", TOMORROW, t("10:30", 60))),
    ("book 101 dec 24 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("book 101 december 24th 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("book 101 24th of december 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("book 101 24/12 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("book 101 2026-12-24 10-12", Ok("101", XMAS_EVE, t("10-12"))),
    ("book 101 jan 5 2027 10-12", Ok("101", date(2027, 1, 5), t("10-12"))),
    ("book zone EV1 tomorrow 10-12 ABC-123", Ok("EV1", TOMORROW, t("10-12"), "ABC-123")),
    ("book ev1 tomorrow 10-12", Ok("EV1", TOMORROW, t("10-12"))),
    ("please book 101 for tomorrow 10-12, thanks", Ok("101", TOMORROW, t("10-12"))),
    ("book 101 tomorrow 10-12 plate abc123", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("book 101 tomorrow", Ok("101", TOMORROW)),
    ("book tomorrow 10-12", Bad("no_zone", None, TOMORROW)),
    ("book 101 10-12", Bad("no_date", "101")),
    ("book 101 tomorrow 10-10", Bad("bad_time", "101", TOMORROW)),
    ("book 101 tomorrow 25-27", Bad("bad_time", "101", TOMORROW)),
    ("book 101 tomorrow 13pm-2pm", Bad("bad_time", "101", TOMORROW)),
    ("book 101 1 dec 10-12", Bad("date_in_past", "101", date(2026, 12, 1))),
    ("book 101 feb 30 10-12", Bad("bad_date", "101")),
    ("book 101 2026-13-01 10-12", Bad("bad_date", "101")),
    ("book 101 tomorrow for 2 hours", Bad("no_start_time", "101", TOMORROW)),
    ("book 101 tomorrow 10-12 ABC-123 DEF-456", Bad("multiple_plates", "101", TOMORROW)),
    ("book 101 tomorrow 10 for 2h for 3h", Bad("multiple_times", "101", TOMORROW)),
    # --- any order, sloppy typing ------------------------------------------------------
    ("101 huomenna 10-12", Ok("101", TOMORROW, t("10-12"))),
    ("huomenna 10-12 101 ABC-123", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("ABC-123 huomenna 10-12 101", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("10-12 huomenna 101", Ok("101", TOMORROW, t("10-12"))),
    ("VARAA 101, huomenna, klo 10-12.", Ok("101", TOMORROW, t("10-12"))),
    ("varaa   101\nhuomenna\n10-12", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna 10 -12", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 101 huomenna 10- 12", Ok("101", TOMORROW, t("10-12"))),
    ("VARAA 101 HUOMENNA KLO 10-12 ABC-123 🚗", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("varaa 101 huomenna (10-12)", Ok("101", TOMORROW, t("10-12"))),
    ("varaa 5 huomenna 10", Ok("5", TOMORROW, t("10"))),
    ("varaa huomenna 10 101", Ok("101", TOMORROW, t("10"))),
    ("varaa 5 huomenna klo 10-12", Ok("5", TOMORROW, t("10-12"))),
    ("varaa 12 huomenna 10 2h", Ok("12", TOMORROW, t("10", 120))),
    ("varaa huomenna 10 2h 12", Ok("12", TOMORROW, t("10", 120))),
    ("varaa 15 2h huomenna klo 10", Ok("15", TOMORROW, t("10", 120))),
    ("varaa ABC - 123 101 huomenna 10-12", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
    ("book 101 tomorrow 10-12 abc 123", Ok("101", TOMORROW, t("10-12"), "ABC-123")),
]


def as_expected(got: BookingRequest | BookingProblem, like: Ok | Bad) -> Ok | Bad:
    """``got`` in the shape of the expectation: a problem keeps only the fields the row gives."""
    if isinstance(got, BookingRequest):
        return Ok(got.zone, got.day, got.times, got.plate)
    if isinstance(like, Ok):
        return Bad(got.code, got.zone, got.day, got.times)
    return Bad(
        got.code,
        got.zone if like.zone is not None else None,
        got.day if like.day is not None else None,
        got.times if like.times is not None else None,
    )


def test_there_are_at_least_150_real_looking_messages() -> None:
    assert len(BOOKINGS) >= 150
    assert len({message for message, _ in BOOKINGS}) == len(BOOKINGS)


@pytest.mark.parametrize(("message", "expected"), BOOKINGS, ids=[m for m, _ in BOOKINGS])
def test_booking_message(message: str, expected: Ok | Bad) -> None:
    got = parse_booking(message, today=TODAY, known_zones=KNOWN)
    assert as_expected(got, expected) == expected


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("varaa 101 huomenna 10-12", "fi"),
        ("101 huomenna 10-12", "fi"),
        ("101 pe klo 10-12", "fi"),
        ("boka 101 imorgon 10-12", "sv"),
        ("101 imorgon 10-12", "sv"),
        ("101 fredag kl 10-12", "sv"),
        ("book 101 tomorrow 10-12", "en"),
        ("101 friday 10-12", "en"),
        ("101 3.12. 10-12", None),
        ("101 4.12. 10-12 2h", None),
    ],
)
def test_the_words_reveal_the_language(message: str, language: str | None) -> None:
    assert parse_booking(message, today=TODAY).language == language


def test_a_request_lists_the_words_it_ignored() -> None:
    got = parse_booking("Hei! Varaisin paikan 101 huomenna klo 10-12", today=TODAY)
    assert isinstance(got, BookingRequest)
    assert got.ignored == ("Hei", "Varaisin", "paikan")


def test_a_problem_says_everything_found_and_the_text_not_understood() -> None:
    got = parse_booking("varaa 101 huomenna 10-10 31.2.", today=TODAY)
    assert isinstance(got, BookingProblem)
    assert got.problems == ("bad_date", "bad_time")
    assert got.text == "31.2. 10-10"
    got = parse_booking("varaa 101 huomenna 2h", today=TODAY)
    assert isinstance(got, BookingProblem)
    assert got.duration_minutes == 120
    got = parse_booking("varaa", today=TODAY)
    assert isinstance(got, BookingProblem)
    assert got.problems == ("no_zone", "no_date")


def test_every_problem_code_is_documented() -> None:
    assert set(BOOKING_PROBLEMS) >= {
        "bad_date",
        "bad_time",
        "unclear",
        "date_in_past",
        "no_zone",
        "no_date",
        "no_ref",
        "no_new_time",
    }


def test_the_year_turns() -> None:
    new_years_eve = date(2026, 12, 31)
    got = parse_booking("varaa 101 2.1. 10-12", today=new_years_eve)
    assert isinstance(got, BookingRequest)
    assert got.day == date(2027, 1, 2)
    got = parse_booking("varaa 101 huomenna 10-12", today=new_years_eve)
    assert isinstance(got, BookingRequest)
    assert got.day == date(2027, 1, 1)


# ------------------------------------------------------------------------------ moves

REF = "K7M2QX"

MOVES: list[tuple[str, MoveRequest | str]] = [
    ("SIIRRÄ K7M2QX huomenna 10-12", MoveRequest(REF, TOMORROW, t("10-12"))),
    ("siirrä k7m2qx pe 14-16", MoveRequest(REF, FRI, t("14-16"))),
    ("siirrä K7M 2QX klo 14", MoveRequest(REF, None, t("14"))),
    ("siirra K7M2QX ylihuomenna", MoveRequest(REF, day(2), None)),
    ("FLYTTA K7M2QX till 12-14", MoveRequest(REF, None, t("12-14"))),
    ("flytta K7M-2QX imorgon", MoveRequest(REF, TOMORROW, None)),
    ("flytta k7m2qx till fredag kl 9", MoveRequest(REF, FRI, t("9"))),
    ("MOVE K7M2QX to friday", MoveRequest(REF, FRI, None)),
    ("move K7M2QX 14-16", MoveRequest(REF, None, t("14-16"))),
    ("move K7M2QX tomorrow at 9", MoveRequest(REF, TOMORROW, t("9"))),
    ("move K7M2QX to 14", MoveRequest(REF, None, t("14"))),
    ("move K7M2QX to 2pm", MoveRequest(REF, None, t("14"))),
    ("K7M2QX huomenna 10-12", MoveRequest(REF, TOMORROW, t("10-12"))),
    ("siirrä huomenna 10-12", "no_ref"),
    ("move K7M2QX", "no_new_time"),
    ("move K7M2QX to zone 102", "zone_change"),
    ("move K7M2QX 1.12.", "date_in_past"),
    ("siirrä K7M2QX 25-26", "bad_time"),
    ("siirrä K7M2QX huomenna 101", "unclear"),
]


@pytest.mark.parametrize(("message", "expected"), MOVES, ids=[m for m, _ in MOVES])
def test_move_message(message: str, expected: MoveRequest | str) -> None:
    got = parse_move(message, today=TODAY)
    if isinstance(expected, str):
        assert isinstance(got, BookingProblem)
        assert got.code == expected
    else:
        assert isinstance(got, MoveRequest)
        assert (got.ref, got.day, got.times) == (expected.ref, expected.day, expected.times)


# ------------------------------------------------------------------------- references


def test_a_reference_is_six_characters_that_cannot_be_misread() -> None:
    assert len(REF_ALPHABET) == len(set(REF_ALPHABET)) == 27
    assert not set(REF_ALPHABET) & set("0O1IL" + "AEIOUYÅÄÖ")
    rng = random.Random(7)
    refs = {new_booking_ref(rng.randrange) for _ in range(2000)}
    assert len(refs) == 2000
    assert all(len(r) == REF_LENGTH and set(r) <= set(REF_ALPHABET) for r in refs)
    assert set("".join(refs)) == set(REF_ALPHABET)


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("K7M2QX", "K7M2QX"),
        ("k7m2qx", "K7M2QX"),
        (" k7m 2qx ", "K7M2QX"),
        ("K7M-2QX", "K7M2QX"),
        ("K7M–2QX", "K7M2QX"),
        ("ｋ７ｍ２ｑｘ", "K7M2QX"),
        ("K7M2Q", None),
        ("K7M2QXX", None),
        ("K7M2Q0", None),  # zero is never in a reference
        ("K7M2QO", None),
        ("K7M2Q1", None),
        ("ABC123", None),
        ("", None),
        ("K7M.2QX", None),
    ],
)
def test_normalizing_a_reference(text: str, ref: str | None) -> None:
    assert normalize_booking_ref(text) == ref


@given(st.randoms(use_true_random=False))
def test_every_new_reference_normalizes_to_itself_however_it_is_typed(
    rng: random.Random,
) -> None:
    ref = new_booking_ref(rng.randrange)
    assert normalize_booking_ref(ref) == ref
    assert normalize_booking_ref(f"{ref[:3].lower()} {ref[3:].lower()}") == ref
    assert normalize_booking_ref(f"{ref[:3]}-{ref[3:]}") == ref


# ------------------------------------------------------------------------- properties


@given(st.text(max_size=80))
@settings(max_examples=500)
def test_any_text_gives_a_request_or_a_problem(text: str) -> None:
    got = parse_booking(text, today=TODAY, known_zones=KNOWN)
    assert isinstance(got, BookingRequest | BookingProblem)
    if isinstance(got, BookingProblem):
        assert got.code == got.problems[0]
        assert set(got.problems) <= set(BOOKING_PROBLEMS)
    moved = parse_move(text, today=TODAY)
    assert isinstance(moved, MoveRequest | BookingProblem)


@given(st.text(alphabet="0123456789 .:-/,hminklotasti", max_size=60))
@settings(max_examples=500)
def test_any_numbers_and_time_words_give_a_request_or_a_problem(text: str) -> None:
    assert isinstance(parse_booking(text, today=TODAY), BookingRequest | BookingProblem)
    assert isinstance(parse_move(text, today=TODAY), MoveRequest | BookingProblem)


def test_absurdly_long_numbers_are_unclear_not_a_crash() -> None:
    got = parse_booking("varaa 101 huomenna klo 10 " + "9" * 400 + "h", today=TODAY)
    assert isinstance(got, BookingProblem)
    assert got.code == "unclear"


day_forms = st.sampled_from(
    [
        ("huomenna", TOMORROW),
        ("tänään", TODAY),
        ("ylihuomenna", day(2)),
        ("imorgon", TOMORROW),
        ("i morgon", TOMORROW),
        ("i övermorgon", day(2)),
        ("tomorrow", TOMORROW),
        ("day after tomorrow", day(2)),
        ("pe", FRI),
        ("perjantaina", FRI),
        ("på måndag", MON),
        ("monday", MON),
        ("24.12.", XMAS_EVE),
        ("24.12.2026", XMAS_EVE),
        ("2026-12-24", XMAS_EVE),
        ("24/12", XMAS_EVE),
        ("24 dec", XMAS_EVE),
    ]
)
time_forms = st.sampled_from(
    [
        ("10-12", t("10-12")),
        ("klo 10–12", t("10-12")),
        ("kl 10-12", t("10-12")),
        ("10:30-12", t("10:30-12")),
        ("10.30-12.00", t("10:30-12")),
        ("klo 8 2h", t("8", 120)),
        ("kl 14 i 3 timmar", t("14", 180)),
        ("at 9 for 90 min", t("9", 90)),
        ("from 7 to 9", t("7-9")),
        ("klo 10 alkaen 12 asti", t("10-12")),
        ("20-24", t("20-24")),
        ("22-6", t("22-6")),
    ]
)
plates = st.tuples(
    st.text("ABCDEFGHJKMNPRSTUVXYZ", min_size=2, max_size=3),
    st.integers(1, 999),
).map(lambda p: f"{p[0]}-{p[1]}")


@given(
    # a zone from 25 up cannot be an hour; one like 2027 after "24 dec" would be its year
    st.integers(25, 99999).filter(lambda z: not 2000 <= z <= 2099).map(str),
    day_forms,
    time_forms,
    st.one_of(st.none(), plates),
    st.sampled_from(["", "VARAA ", "boka ", "Book "]),
    st.permutations(range(4)),
)
@settings(max_examples=400)
def test_parts_in_any_order_mean_the_same(
    zone: str,
    day_form: tuple[str, date],
    time_form: tuple[str, TimeRange],
    plate: str | None,
    keyword: str,
    order: list[int],
) -> None:
    parts = [zone, day_form[0], time_form[0], plate or ""]
    message = keyword + " ".join(parts[i] for i in order if parts[i])
    got = parse_booking(message, today=TODAY)
    assert got == BookingRequest(
        zone=zone,
        day=day_form[1],
        times=time_form[1],
        plate=plate,
        language=got.language,
        ignored=got.ignored,
    ), message
