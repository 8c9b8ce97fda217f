"""Tests for app.domain.parsing: the SMS keyword contract and real-world forms."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.domain.parsing import (
    MAX_DURATION_MINUTES,
    Intent,
    ParsedMessage,
    parse_duration,
    parse_sms,
)
from app.domain.plates import display_plate

# Letter codes need known zones; 101 is known too, as every zone is in production: a
# number that is not a known zone may be part of a neighbouring country's plate ("123 ABC").
KNOWN = ("KT", "a1", "Satama", "101")

# No timed assertions (the machine is shared): hypothesis runs without its deadline here.

P = Intent.PARK


def pm(intent: Intent, **fields: object) -> ParsedMessage:
    """Build the full expected message; every field not given must be None."""
    return ParsedMessage(intent, **fields)  # type: ignore[arg-type]


# Each row: message as typed, the complete expected ParsedMessage.
CASES: list[tuple[str, ParsedMessage]] = [
    # --- park: the basic form and sloppy typing ---------------------------------
    ("ABC-123 101", pm(P, plate="ABC-123", zone="101")),
    ("abc-123 101", pm(P, plate="ABC-123", zone="101")),
    ("  abc-123    101  ", pm(P, plate="ABC-123", zone="101")),
    ("ABC-123\n101", pm(P, plate="ABC-123", zone="101")),
    ("ABC-123\t101\n2h", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    ("ABC-123, 101", pm(P, plate="ABC-123", zone="101")),
    ("ABC-123 101.", pm(P, plate="ABC-123", zone="101")),
    ("ABC-123,101", pm(P, plate="ABC-123", zone="101")),
    ("101, ABC-123; 2h", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    ("101 ABC-123", pm(P, plate="ABC-123", zone="101")),
    ("ABC–123 101", pm(P, plate="ABC-123", zone="101")),  # en dash
    ("ABC—123 101", pm(P, plate="ABC-123", zone="101")),  # em dash
    ("abc−123 101", pm(P, plate="ABC-123", zone="101")),  # minus sign
    ("ABC‑123 101", pm(P, plate="ABC-123", zone="101")),  # non-breaking hyphen
    ("ABC - 123 101", pm(P, plate="ABC-123", zone="101")),
    ("ABC123 101", pm(P, plate="ABC-123", zone="101")),
    ("ABC 123 101", pm(P, plate="ABC-123", zone="101")),
    ("101 ABC 123", pm(P, plate="ABC-123", zone="101")),
    ("abc 123 101 2h", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    ("ABC 12D 101", pm(P, plate="ABC 12D", zone="101")),  # Swedish format
    ("CD-1234 5", pm(P, plate="CD-1234", zone="5")),  # diplomatic
    ("ZZ-9 101", pm(P, plate="ZZ-9", zone="101")),
    ("B-AB-1234 101", pm(P, plate="B-AB-1234", zone="101")),
    ("ÅÄÖ-12 101", pm(P, plate="ÅÄÖ-12", zone="101")),
    ("“ABC-123 101”", pm(P, plate="ABC-123", zone="101")),  # smart quotes
    ("ABC-123 101 🚗", pm(P, plate="ABC-123", zone="101")),
    ("ABC-123 101 thanks 😊", pm(P, language="en", plate="ABC-123", zone="101")),
    ("ABC-123 101 kiitos!", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("ABC-123 101 tack", pm(P, language="sv", plate="ABC-123", zone="101")),
    ("hei, ABC-123 101 kiitos", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("ABC-123 101 please", pm(P, language="en", plate="ABC-123", zone="101")),
    # --- park: prefixes and zone words -----------------------------------------
    ("P ABC-123 101", pm(P, plate="ABC-123", zone="101")),
    ("p abc 123 101", pm(P, plate="ABC-123", zone="101")),
    ("PARK ABC-123 101 2 hours", pm(P, language="en", plate="ABC-123", zone="101",
                                    duration_minutes=120)),
    ("pysäköi ABC-123 101", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("PYSAKOI ABC-123 101", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("Parkera ABC-123 101", pm(P, language="sv", plate="ABC-123", zone="101")),
    ("ABC-123 alue 101", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("alue:101 ABC-123", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("ABC-123 vyöhyke 101", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("ABC-123 zon 101", pm(P, language="sv", plate="ABC-123", zone="101")),
    ("ABC-123 i zon 101", pm(P, language="sv", plate="ABC-123", zone="101")),
    ("ABC-123 zone 101", pm(P, language="en", plate="ABC-123", zone="101")),
    ("zone#101 ABC-123", pm(P, language="en", plate="ABC-123", zone="101")),
    ("PYSÄKÖI ABC-123 alue 101 2 t", pm(P, language="fi", plate="ABC-123", zone="101",
                                        duration_minutes=120)),
    # --- park: zone only / plate only -------------------------------------------
    ("101", pm(P, zone="101")),
    ("12", pm(P, zone="12")),
    ("P 101", pm(P, zone="101")),
    ("alue 101", pm(P, language="fi", zone="101")),
    ("zon 101 2h", pm(P, language="sv", zone="101", duration_minutes=120)),
    ("ABC-123", pm(P, plate="ABC-123", problem="no_zone")),
    ("ABC 123", pm(P, plate="ABC-123", problem="no_zone")),
    ("P", pm(P, problem="no_zone")),
    ("PARK ABC-123", pm(P, language="en", plate="ABC-123", problem="no_zone")),
    # --- park: letter zones from known_zones -------------------------------------
    ("ABC-123 KT", pm(P, plate="ABC-123", zone="KT")),
    ("kt abc-123", pm(P, plate="ABC-123", zone="KT")),
    ("ABC-123 KT 2", pm(P, plate="ABC-123", zone="KT", duration_minutes=120)),
    ("ABC-123 A1", pm(P, plate="ABC-123", zone="A1")),  # in known_zones: zone, not plate
    ("ABC-123 satama", pm(P, plate="ABC-123", zone="SATAMA")),
    ("zone XY ABC-123", pm(P, language="en", plate="ABC-123", zone="XY")),
    ("KT 123 101", pm(P, plate="KT-123", zone="101")),
    # --- park: durations of every form ------------------------------------------
    ("ABC-123 101 2h", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    ("ABC-123 101 2 h", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    ("ABC-123 101 2t", pm(P, language="fi", plate="ABC-123", zone="101", duration_minutes=120)),
    ("ABC-123 101 2 t", pm(P, language="fi", plate="ABC-123", zone="101",
                           duration_minutes=120)),
    ("ABC-123 101 2 tuntia", pm(P, language="fi", plate="ABC-123", zone="101",
                                duration_minutes=120)),
    ("ABC-123 101 1 tunti", pm(P, language="fi", plate="ABC-123", zone="101",
                               duration_minutes=60)),
    ("ABC-123 101 2 tim", pm(P, language="sv", plate="ABC-123", zone="101",
                             duration_minutes=120)),
    ("ABC-123 101 2 timmar", pm(P, language="sv", plate="ABC-123", zone="101",
                                duration_minutes=120)),
    ("ABC-123 101 1 timme", pm(P, language="sv", plate="ABC-123", zone="101",
                               duration_minutes=60)),
    ("ABC-123 101 2 hours", pm(P, language="en", plate="ABC-123", zone="101",
                               duration_minutes=120)),
    ("ABC-123 101 1 hour", pm(P, language="en", plate="ABC-123", zone="101",
                              duration_minutes=60)),
    ("ABC-123 101 2hrs", pm(P, language="en", plate="ABC-123", zone="101",
                            duration_minutes=120)),
    ("ABC-123 101 for 2 hours", pm(P, language="en", plate="ABC-123", zone="101",
                                   duration_minutes=120)),
    ("ABC-123 101 90min", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 90 min", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 90 minutes", pm(P, language="en", plate="ABC-123", zone="101",
                                  duration_minutes=90)),
    ("ABC-123 101 90 minuuttia", pm(P, language="fi", plate="ABC-123", zone="101",
                                    duration_minutes=90)),
    ("ABC-123 101 90 minuter", pm(P, language="sv", plate="ABC-123", zone="101",
                                  duration_minutes=90)),
    ("ABC-123 101 90m", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 1h30", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 1h 30min", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 1 h 30 min", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 1:30", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 1.5h", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 1,5 h", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 0:45", pm(P, plate="ABC-123", zone="101", duration_minutes=45)),
    ("ABC-123 101 45min", pm(P, plate="ABC-123", zone="101", duration_minutes=45)),
    ("ABC-123 101 2 days", pm(P, language="en", plate="ABC-123", zone="101",
                              duration_minutes=2880)),
    ("2h ABC-123 101", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    ("2 h 101 ABC-123", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    # --- park: the bare-number rule ---------------------------------------------
    ("ABC-123 101 3", pm(P, plate="ABC-123", zone="101", duration_minutes=180)),
    ("ABC-123 101 12", pm(P, plate="ABC-123", zone="101", duration_minutes=720)),
    ("ABC-123 101 13", pm(P, plate="ABC-123", zone="101", duration_minutes=13)),
    ("ABC-123 101 45", pm(P, plate="ABC-123", zone="101", duration_minutes=45)),
    ("ABC-123 101 1440", pm(P, plate="ABC-123", zone="101", duration_minutes=1440)),
    ("101 ABC-123 2", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    ("ABC-123 101 1,5", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 1.30", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    # --- park: problems ---------------------------------------------------------
    ("ABC-123 101 0", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 101 0h", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 101 -2h", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 101 2000", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 101 8 days", pm(P, language="en", plate="ABC-123", zone="101",
                              problem="bad_duration")),
    ("ABC-123 101 xyz", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 101 2x", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 101 1h 30", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 XYZ-789 101", pm(P, plate="ABC-123", zone="101", problem="multiple_plates")),
    ("101 XYZ", pm(P, zone="101", problem="bad_plate")),
    ("ABC-123 101 2h blah", pm(P, plate="ABC-123", zone="101", duration_minutes=120,
                               problem="extra_text")),
    # --- stop parking (never STOP/END/CANCEL/QUIT) ------------------------------
    ("LOPETA", pm(Intent.STOP, language="fi")),
    ("lopeta ABC-123", pm(Intent.STOP, language="fi", plate="ABC-123")),
    ("Lopeta abc 123", pm(Intent.STOP, language="fi", plate="ABC-123")),
    ("LOPETA.", pm(Intent.STOP, language="fi")),
    ("SLUTA", pm(Intent.STOP, language="sv")),
    ("Sluta abc-123", pm(Intent.STOP, language="sv", plate="ABC-123")),
    ("DONE", pm(Intent.STOP, language="en")),
    ("done!", pm(Intent.STOP, language="en")),
    ("LEAVE", pm(Intent.STOP, language="en")),
    ("leave ABC–123", pm(Intent.STOP, language="en", plate="ABC-123")),
    # --- opt out / opt in: only the single word ---------------------------------
    ("STOP", pm(Intent.OPT_OUT)),
    ("stop", pm(Intent.OPT_OUT)),
    ("  Stop!  ", pm(Intent.OPT_OUT)),
    ("STOP.", pm(Intent.OPT_OUT)),
    ("STOPALL", pm(Intent.OPT_OUT)),
    ("unsubscribe", pm(Intent.OPT_OUT)),
    ("CANCEL", pm(Intent.OPT_OUT)),
    ("END", pm(Intent.OPT_OUT)),
    ("end.", pm(Intent.OPT_OUT)),
    ("QUIT", pm(Intent.OPT_OUT)),
    ("START", pm(Intent.OPT_IN)),
    ("Unstop.", pm(Intent.OPT_IN)),
    ("STOP ABC-123", pm(Intent.UNKNOWN, problem="opt_out_word")),
    ("stop parking", pm(Intent.UNKNOWN, problem="opt_out_word")),
    ("stop please", pm(Intent.UNKNOWN, language="en", problem="opt_out_word")),
    ("END parking", pm(Intent.STOP, language="en")),  # the phrase, not END alone
    ("cancel booking 1234", pm(Intent.UNKNOWN, problem="opt_out_word")),
    # --- extend -----------------------------------------------------------------
    ("JATKA 30", pm(Intent.EXTEND, language="fi", duration_minutes=30)),
    ("JATKA 2", pm(Intent.EXTEND, language="fi", duration_minutes=120)),
    ("jatka 1h", pm(Intent.EXTEND, language="fi", duration_minutes=60)),
    ("JATKA 1h 30min ABC-123", pm(Intent.EXTEND, language="fi", plate="ABC-123",
                                  duration_minutes=90)),
    ("JATKA ABC-123 45", pm(Intent.EXTEND, language="fi", plate="ABC-123",
                            duration_minutes=45)),
    ("FÖRLÄNG 2 timmar", pm(Intent.EXTEND, language="sv", duration_minutes=120)),
    ("forlang 30 min", pm(Intent.EXTEND, language="sv", duration_minutes=30)),
    ("EXTEND 1:30", pm(Intent.EXTEND, language="en", duration_minutes=90)),
    ("extend ABC-123 2 hours", pm(Intent.EXTEND, language="en", plate="ABC-123",
                                  duration_minutes=120)),
    ("EXTEND", pm(Intent.EXTEND, language="en", problem="extend_no_duration")),
    ("JATKA ABC-123", pm(Intent.EXTEND, language="fi", plate="ABC-123",
                         problem="extend_no_duration")),
    ("extend 0", pm(Intent.EXTEND, language="en", problem="bad_duration")),
    ("JATKA 9 days", pm(Intent.EXTEND, language="fi", problem="bad_duration")),
    # --- status, help, receipt -------------------------------------------------
    ("TILA", pm(Intent.STATUS, language="fi")),
    ("status", pm(Intent.STATUS)),
    ("STATUS ABC-123", pm(Intent.STATUS, plate="ABC-123")),
    ("OHJE", pm(Intent.HELP, language="fi")),
    ("apua!", pm(Intent.HELP, language="fi")),
    ("HJÄLP", pm(Intent.HELP, language="sv")),
    ("hjalp", pm(Intent.HELP, language="sv")),
    ("help", pm(Intent.HELP)),  # used in every language: reveals none
    ("INFO", pm(Intent.HELP)),
    ("?", pm(Intent.HELP)),
    (" ?? ", pm(Intent.HELP)),
    ("KUITTI", pm(Intent.RECEIPT, language="fi")),
    ("kvitto", pm(Intent.RECEIPT, language="sv")),
    ("Receipt", pm(Intent.RECEIPT, language="en")),
    # --- language ---------------------------------------------------------------
    ("KIELI FI", pm(Intent.LANGUAGE, language="fi", target_language="fi")),
    ("kieli sv", pm(Intent.LANGUAGE, language="fi", target_language="sv")),
    ("KIELI ruotsi", pm(Intent.LANGUAGE, language="fi", target_language="sv")),
    ("SPRÅK EN", pm(Intent.LANGUAGE, language="sv", target_language="en")),
    ("språk finska", pm(Intent.LANGUAGE, language="sv", target_language="fi")),
    ("sprak svenska", pm(Intent.LANGUAGE, language="sv", target_language="sv")),
    ("LANG fi", pm(Intent.LANGUAGE, language="en", target_language="fi")),
    ("language english", pm(Intent.LANGUAGE, language="en", target_language="en")),
    ("LANG englanti", pm(Intent.LANGUAGE, language="en", target_language="en")),
    ("lang engelska", pm(Intent.LANGUAGE, language="en", target_language="en")),
    ("language swedish", pm(Intent.LANGUAGE, language="en", target_language="sv")),
    ("KIELI: suomi", pm(Intent.LANGUAGE, language="fi", target_language="fi")),
    ("svenska", pm(Intent.LANGUAGE, target_language="sv")),
    ("KIELI", pm(Intent.LANGUAGE, language="fi", problem="bad_language")),
    ("KIELI DE", pm(Intent.LANGUAGE, language="fi", problem="bad_language")),
    # --- bookings ---------------------------------------------------------------
    ("VARAUKSET", pm(Intent.BOOKINGS, language="fi")),
    ("bokningar", pm(Intent.BOOKINGS, language="sv")),
    ("MOVE K7M2QX 14-16", pm(Intent.MOVE, language="en")),
    ("siirrä K7M2QX huomenna", pm(Intent.MOVE, language="fi")),
    ("FLYTTA K7M2QX 14-16", pm(Intent.MOVE, language="sv")),
    ("JONOON", pm(Intent.WAITLIST, language="fi")),
    ("köa 103 imorgon 10-12", pm(Intent.WAITLIST, language="sv")),
    ("WAITLIST EV1 tomorrow 10-12", pm(Intent.WAITLIST, language="en")),
    ("VARAA 101 24.12. 10-12", pm(Intent.BOOK, language="fi", zone="101",
                                  booking_date="24.12", booking_from="10:00",
                                  booking_to="12:00")),
    ("VARAA 101 24.12. 10-12 ABC-123", pm(Intent.BOOK, language="fi", zone="101",
                                          plate="ABC-123", booking_date="24.12",
                                          booking_from="10:00", booking_to="12:00")),
    ("BOKA 101 2025-12-24 10:00 - 12:30", pm(Intent.BOOK, language="sv", zone="101",
                                             booking_date="2025-12-24",
                                             booking_from="10:00", booking_to="12:30")),
    ("book 101 Tomorrow 8-9", pm(Intent.BOOK, language="en", zone="101",
                                 booking_date="Tomorrow", booking_from="08:00",
                                 booking_to="09:00")),
    ("VARAA alue 5 huomenna klo 10.00–12.00", pm(Intent.BOOK, language="fi", zone="5",
                                                 booking_date="huomenna",
                                                 booking_from="10:00", booking_to="12:00")),
    ("VARAA 101 10-12", pm(Intent.BOOK, language="fi", zone="101", booking_from="10:00",
                           booking_to="12:00", problem="no_date")),
    ("VARAA 24.12. 10-12", pm(Intent.BOOK, language="fi", booking_date="24.12",
                              booking_from="10:00", booking_to="12:00", problem="no_zone")),
    ("VARAA 101 24.12. 14-12", pm(Intent.BOOK, language="fi", zone="101",
                                  booking_date="24.12", problem="bad_time")),
    ("VARAA 101 24.12.", pm(Intent.BOOK, language="fi", zone="101", booking_date="24.12",
                            problem="bad_time")),
    ("PERU 1234", pm(Intent.UNBOOK, language="fi", booking_ref="1234")),
    ("peru #k7f3", pm(Intent.UNBOOK, language="fi", booking_ref="K7F3")),
    ("AVBOKA 1234", pm(Intent.UNBOOK, language="sv", booking_ref="1234")),
    ("UNBOOK B-42", pm(Intent.UNBOOK, language="en", booking_ref="B-42")),
    ("UNBOOK", pm(Intent.UNBOOK, language="en", problem="no_booking_ref")),
    # --- yes / no / choice ------------------------------------------------------
    ("KYLLÄ", pm(Intent.YES, language="fi")),
    ("kylla", pm(Intent.YES, language="fi")),
    ("joo", pm(Intent.YES, language="fi")),
    ("Joo kiitos", pm(Intent.YES, language="fi")),
    ("K", pm(Intent.YES)),
    ("ja", pm(Intent.YES, language="sv")),
    ("Ja tack", pm(Intent.YES, language="sv")),
    ("YES", pm(Intent.YES, language="en")),
    ("y", pm(Intent.YES)),
    ("ok", pm(Intent.YES)),
    ("Ok!", pm(Intent.YES)),
    ("EI", pm(Intent.NO, language="fi")),
    ("Nej.", pm(Intent.NO, language="sv")),
    ("no", pm(Intent.NO, language="en")),
    ("n", pm(Intent.NO)),
    ("1", pm(Intent.CHOICE, choice=1)),
    (" 2 ", pm(Intent.CHOICE, choice=2)),
    ("9.", pm(Intent.CHOICE, choice=9)),
    ("2)", pm(Intent.CHOICE, choice=2)),
    ("10", pm(P, zone="10")),
    # --- nothing understood -----------------------------------------------------
    ("", pm(Intent.UNKNOWN, problem="empty")),
    ("   \n\t ", pm(Intent.UNKNOWN, problem="empty")),
    ("hello there", pm(Intent.UNKNOWN, language="en", problem="unrecognised")),
    ("mitä kuuluu", pm(Intent.UNKNOWN, problem="unrecognised")),
    ("👍", pm(Intent.UNKNOWN, problem="unrecognised")),
    ("...", pm(Intent.UNKNOWN, problem="unrecognised")),
    ("kiitos!", pm(Intent.UNKNOWN, language="fi", problem="courtesy")),
    ("thanks", pm(Intent.UNKNOWN, language="en", problem="courtesy")),
    # === QA round: clock times, glued keywords, natural phrasing, synonyms ====
    # --- 1. an end given as a clock time is "until", never minutes -------------
    ("ABC-123 101 till 18", pm(P, plate="ABC-123", zone="101", until_time="18:00")),
    ("ABC-123 101 till 18:00", pm(P, plate="ABC-123", zone="101", until_time="18:00")),
    ("ABC-123 101 until 18", pm(P, language="en", plate="ABC-123", zone="101",
                                until_time="18:00")),
    ("ABC-123 101 until 6pm", pm(P, language="en", plate="ABC-123", zone="101",
                                 until_time="18:00")),
    ("ABC-123 101 until 6 PM", pm(P, language="en", plate="ABC-123", zone="101",
                                  until_time="18:00")),
    ("ABC-123 101 until 18.30", pm(P, language="en", plate="ABC-123", zone="101",
                                   until_time="18:30")),
    ("ABC-123 101 klo 17 asti", pm(P, language="fi", plate="ABC-123", zone="101",
                                   until_time="17:00")),
    ("ABC-123 101 klo 17", pm(P, language="fi", plate="ABC-123", zone="101",
                              until_time="17:00")),
    ("ABC-123 101 17 asti", pm(P, language="fi", plate="ABC-123", zone="101",
                               until_time="17:00")),
    ("klo 17 asti ABC-123 101", pm(P, language="fi", plate="ABC-123", zone="101",
                                   until_time="17:00")),
    ("ABC-123 101 -> 18", pm(P, plate="ABC-123", zone="101", until_time="18:00")),
    ("ABC-123 101 → 18", pm(P, plate="ABC-123", zone="101", until_time="18:00")),
    ("ABC-123 101 kl 18", pm(P, language="sv", plate="ABC-123", zone="101",
                             until_time="18:00")),
    ("ABC-123 101 kl. 18", pm(P, language="sv", plate="ABC-123", zone="101",
                              until_time="18:00")),
    ("ABC-123 101 tills 18", pm(P, language="sv", plate="ABC-123", zone="101",
                                until_time="18:00")),
    ("ABC-123 101 fram till 18", pm(P, plate="ABC-123", zone="101", until_time="18:00")),
    ("ABC-123 101 till 24", pm(P, plate="ABC-123", zone="101", until_time="00:00")),
    # the rule for an unmarked H:MM / H.MM: hour 5..24 is a clock time, 0..4 a duration
    ("ABC-123 101 17:00", pm(P, plate="ABC-123", zone="101", until_time="17:00")),
    ("ABC-123 101 17.30", pm(P, plate="ABC-123", zone="101", until_time="17:30")),
    ("ABC-123 101 5:00", pm(P, plate="ABC-123", zone="101", until_time="05:00")),
    ("ABC-123 101 4:30", pm(P, plate="ABC-123", zone="101", duration_minutes=270)),
    ("ABC-123 101 2.15", pm(P, plate="ABC-123", zone="101", duration_minutes=135)),
    ("ABC-123 101 18", pm(P, plate="ABC-123", zone="101", duration_minutes=18)),  # bare
    ("ABC-123 101 25:00", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 101 till 25", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("ABC-123 101 until 13pm", pm(P, language="en", plate="ABC-123", zone="101",
                                  problem="bad_duration")),
    ("ABC-123 101 2h till 18", pm(P, plate="ABC-123", zone="101", problem="bad_duration")),
    ("parkera ABC-123 till zon 101", pm(P, language="sv", plate="ABC-123", zone="101")),
    ("JATKA klo 18", pm(Intent.EXTEND, language="fi", until_time="18:00")),
    ("VARAA 101 24.12. klo 10-12", pm(Intent.BOOK, language="fi", zone="101",
                                      booking_date="24.12", booking_from="10:00",
                                      booking_to="12:00")),
    # --- 2. a keyword glued to its number is the keyword -----------------------
    ("jatka30", pm(Intent.EXTEND, language="fi", duration_minutes=30)),
    ("JATKA30", pm(Intent.EXTEND, language="fi", duration_minutes=30)),
    ("förläng30", pm(Intent.EXTEND, language="sv", duration_minutes=30)),
    ("extend30", pm(Intent.EXTEND, language="en", duration_minutes=30)),
    ("JATKA1h", pm(Intent.EXTEND, language="fi", duration_minutes=60)),
    # --- 5. natural sentences, inflected and glued zone words, spelled durations --
    ("pysäköi abc-123 alueelle 101", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("ABC-123 alueella 101", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("Hei, haluaisin pysäköidä ABC-123 alueelle 101",
     pm(P, language="fi", plate="ABC-123", zone="101")),
    ("ABC-123 på zon 101", pm(P, language="sv", plate="ABC-123", zone="101")),
    ("ABC-123 i zonen 101", pm(P, language="sv", plate="ABC-123", zone="101")),
    ("ABC-123 in zone 101", pm(P, language="en", plate="ABC-123", zone="101")),
    ("ABC-123 at zone 101", pm(P, language="en", plate="ABC-123", zone="101")),
    ("ABC-123 alue101 1h", pm(P, language="fi", plate="ABC-123", zone="101",
                              duration_minutes=60)),
    ("ABC-123 101 puoli tuntia", pm(P, language="fi", plate="ABC-123", zone="101",
                                    duration_minutes=30)),
    ("ABC-123 101 half an hour", pm(P, language="en", plate="ABC-123", zone="101",
                                    duration_minutes=30)),
    ("ABC-123 101 en halvtimme", pm(P, language="sv", plate="ABC-123", zone="101",
                                    duration_minutes=30)),
    ("ABC-123 101 vartti", pm(P, language="fi", plate="ABC-123", zone="101",
                              duration_minutes=15)),
    ("ABC-123 101 <b>2h</b>", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    # --- 6. stop and extend: typos and synonyms ---------------------------------
    ("lopetta", pm(Intent.STOP, language="fi")),
    ("loppu", pm(Intent.STOP, language="fi")),
    ("lopetan", pm(Intent.STOP, language="fi")),
    ("avsluta", pm(Intent.STOP, language="sv")),
    ("stopp", pm(Intent.STOP, language="sv")),  # Swedish; carriers reserve only STOP
    ("Stopp ABC-123", pm(Intent.STOP, language="sv", plate="ABC-123")),
    ("slut", pm(Intent.STOP, language="sv")),
    ("finish", pm(Intent.STOP, language="en")),
    ("end parking ABC-123", pm(Intent.STOP, language="en", plate="ABC-123")),
    ("more time 30", pm(Intent.EXTEND, language="en", duration_minutes=30)),
    ("lisää aikaa 30", pm(Intent.EXTEND, language="fi", duration_minutes=30)),
    ("mer tid 30", pm(Intent.EXTEND, language="sv", duration_minutes=30)),
    # --- 7. a greeting alone asks for help; thanks alone needs no answer -------
    ("hello", pm(Intent.HELP, language="en")),
    ("hei", pm(Intent.HELP, language="fi")),
    ("Moi!", pm(Intent.HELP, language="fi")),
    ("hej", pm(Intent.HELP, language="sv")),
    ("kiitos hei", pm(Intent.UNKNOWN, language="fi", problem="courtesy")),
    # === issue 12: understand more, first time ===================================
    # --- numbers and fractions in words, Finnish case forms ----------------------
    ("ABC-123 101 kaksi tuntia", pm(P, language="fi", plate="ABC-123", zone="101",
                                    duration_minutes=120)),
    ("ABC-123 101 kahdeksi tunniksi", pm(P, language="fi", plate="ABC-123", zone="101",
                                         duration_minutes=120)),
    ("ABC-123 101 tunniksi", pm(P, language="fi", plate="ABC-123", zone="101",
                                duration_minutes=60)),
    ("ABC-123 101 puoleksi tunniksi", pm(P, language="fi", plate="ABC-123", zone="101",
                                         duration_minutes=30)),
    ("ABC-123 101 kahden tunnin", pm(P, language="fi", plate="ABC-123", zone="101",
                                     duration_minutes=120)),
    ("ABC-123 101 puolitoista tuntia", pm(P, language="fi", plate="ABC-123", zone="101",
                                          duration_minutes=90)),
    ("ABC-123 101 kolme varttia", pm(P, language="fi", plate="ABC-123", zone="101",
                                     duration_minutes=45)),
    ("ABC-123 101 två timmar", pm(P, language="sv", plate="ABC-123", zone="101",
                                  duration_minutes=120)),
    ("ABC-123 101 en och en halv timme", pm(P, language="sv", plate="ABC-123", zone="101",
                                            duration_minutes=90)),
    ("ABC-123 101 three hours", pm(P, language="en", plate="ABC-123", zone="101",
                                   duration_minutes=180)),
    ("ABC-123 101 an hour and a half", pm(P, language="en", plate="ABC-123", zone="101",
                                          duration_minutes=90)),
    ("ABC-123 101 1½h", pm(P, plate="ABC-123", zone="101", duration_minutes=90)),
    ("ABC-123 101 kaksi", pm(P, language="fi", plate="ABC-123", zone="101",
                             duration_minutes=120)),
    ("ABC-123 101 kaksi kolme", pm(P, language="fi", plate="ABC-123", zone="101",
                                   problem="bad_duration")),
    # --- plates of the neighbouring countries -------------------------------------
    ("123 ABC 101", pm(P, plate="123 ABC", zone="101")),  # Estonia: 123 is no known zone
    ("123 ABC", pm(P, plate="123 ABC", problem="no_zone")),
    ("101 ABC", pm(P, zone="101", problem="bad_plate")),  # 101 is a zone, ABC no plate
    ("101 ABC KT", pm(P, plate="101 ABC", zone="KT")),  # ... unless another zone follows
    ("101 ABC 12", pm(P, plate="ABC-12", zone="101")),
    ("AB 12345 101", pm(P, plate="AB 12345", zone="101")),  # Norway
    ("AB 12 345 101", pm(P, plate="AB 12345", zone="101")),  # Denmark
    ("AB 12 101", pm(P, plate="AB-12", zone="101")),  # ... but 101 is a zone
    ("AB 1234 101 1h", pm(P, plate="AB 1234", zone="101", duration_minutes=60)),  # Latvia
    ("KR 1AB23 101", pm(P, plate="KR 1AB23", zone="101")),  # Poland
    ("WPR 1234A 101", pm(P, plate="WPR 1234A", zone="101")),
    ("A123BC 77 101", pm(P, plate="A123BC 77", zone="101")),  # Russia, region 77
    ("A123BC 101", pm(P, plate="A123BC", zone="101")),  # ... 101 is a zone, not a region
    ("А123ВС777 101", pm(P, plate="A123BC777", zone="101")),  # typed in Cyrillic
    ("ABC-123 101 2 min", pm(P, plate="ABC-123", zone="101", duration_minutes=2)),
    # --- a zone typed with O or I, or with a space --------------------------------
    ("ABC-123 1O1", pm(P, plate="ABC-123", zone="101")),
    ("ABC-123 IOI 2h", pm(P, plate="ABC-123", zone="101", duration_minutes=120)),
    ("1O1", pm(P, zone="101")),
    ("ABC-123 alue 1O1", pm(P, language="fi", plate="ABC-123", zone="101")),
    ("KT0 1O1", pm(P, plate="KT-0", zone="101")),
    ("IO1 101", pm(P, plate="IO-1", zone="101")),  # 101 follows: IO1 is the plate
    ("ABC-123 k t", pm(P, plate="ABC-123", zone="KT")),
    # --- extend and stop in the words drivers use ---------------------------------
    ("+15", pm(Intent.EXTEND, duration_minutes=15)),
    ("+1h", pm(Intent.EXTEND, duration_minutes=60)),
    ("+ 30 min", pm(Intent.EXTEND, duration_minutes=30)),
    ("+358401234567", pm(P, problem="bad_duration")),  # not a duration: read as before
    ("jatka tunnilla", pm(Intent.EXTEND, language="fi", duration_minutes=60)),
    ("30 min lisää", pm(Intent.EXTEND, language="fi", duration_minutes=30)),
    ("förläng med en timme", pm(Intent.EXTEND, language="sv", duration_minutes=60)),
    ("en timme till", pm(Intent.EXTEND, language="sv", duration_minutes=60)),
    ("add 30 min", pm(Intent.EXTEND, language="en", duration_minutes=30)),
    ("another hour", pm(Intent.EXTEND, language="en", duration_minutes=60)),
    ("haluan jatkaa", pm(Intent.EXTEND, language="fi", problem="extend_no_duration")),
    ("lähden nyt", pm(Intent.STOP, language="fi")),
    ("olen lähtenyt ABC-123", pm(Intent.STOP, language="fi", plate="ABC-123")),
    ("jag åker nu", pm(Intent.STOP, language="sv")),
    ("I'm leaving", pm(Intent.STOP, language="en")),
    ("stop my parking", pm(Intent.UNKNOWN, problem="opt_out_word")),  # the contract
    ("can you stop my parking?", pm(Intent.STOP, language="en")),
    ("lähden klo 18", pm(P, language="fi", until_time="18:00", problem="no_zone")),
    # --- keyword typos: offered, never acted on -----------------------------------
    ("LOEPTA", pm(Intent.DID_YOU_MEAN, language="fi", suggestion="LOPETA")),
    ("LOPTA ABC-123", pm(Intent.DID_YOU_MEAN, language="fi", suggestion="LOPETA ABC-123")),
    ("FÖRLNG 30", pm(Intent.DID_YOU_MEAN, language="sv", suggestion="FÖRLÄNG 30")),
    ("EXTNED 30", pm(Intent.DID_YOU_MEAN, language="en", suggestion="EXTEND 30")),
    ("STAUTS", pm(Intent.DID_YOU_MEAN, suggestion="STATUS")),
    ("Jatak30", pm(Intent.DID_YOU_MEAN, language="fi", suggestion="JATKA 30")),
    ("SATAMAA", pm(Intent.UNKNOWN, problem="unrecognised")),  # no keyword near
    ("PARKERAR ABC-123 101", pm(Intent.DID_YOU_MEAN, language="sv",
                                suggestion="PARKERA ABC-123 101")),
    # --- price, correction, status and help in words ------------------------------
    ("HINTA 101", pm(Intent.PRICE, language="fi", zone="101")),
    ("PRIS", pm(Intent.PRICE, language="sv")),
    ("what does 202 cost", pm(Intent.PRICE, language="en", zone="202")),
    ("paljonko maksaa 2h alueella 101?", pm(Intent.PRICE, language="fi", zone="101",
                                             duration_minutes=120)),
    ("KORJAA ABC-124", pm(Intent.CORRECT, language="fi", plate="ABC-124")),
    ("ÄNDRA 102", pm(Intent.CORRECT, language="sv", zone="102")),
    ("FIX ABC124", pm(Intent.CORRECT, language="en", plate="ABC-124")),
    ("väärä rekkari", pm(Intent.CORRECT, language="fi", problem="no_target")),
    ("korjaa ABC-123 -> ABC-124", pm(Intent.CORRECT, language="fi", plate="ABC-124")),
    ("change language to swedish", pm(Intent.LANGUAGE, language="en",
                                      target_language="sv")),
    ("onko autoni parkissa?", pm(Intent.STATUS, language="fi")),
    ("is ABC-123 parked?", pm(Intent.STATUS, language="en", plate="ABC-123")),
    ("miten tämä toimii?", pm(Intent.HELP, language="fi")),
    ("how do I park?", pm(Intent.HELP, language="en")),
    ("how much is it?", pm(Intent.PRICE, language="en")),
    # --- for a person: complaints and questions the grammar cannot answer ---------
    ("sain sakon vaikka maksoin", pm(Intent.COMPLAINT, language="fi")),
    ("I got a fine for ABC-123 although I paid", pm(Intent.COMPLAINT, language="en",
                                                    plate="ABC-123")),
    ("fick böter fast jag betalade", pm(Intent.COMPLAINT, language="sv")),
    ("fine thanks", pm(Intent.UNKNOWN, language="en", problem="unrecognised")),
    ("voiko alueella 101 pysäköidä yöllä?", pm(Intent.QUESTION, language="fi", zone="101")),
    ("can I park here overnight?", pm(Intent.QUESTION, language="en")),
    # --- opt-out words from Twilio's list, language names in a phrase -------------
    ("REVOKE", pm(Intent.OPT_OUT)),
    ("optout", pm(Intent.OPT_OUT)),
    ("på svenska tack", pm(Intent.LANGUAGE, language="sv", target_language="sv")),
    ("lähetä kuitti", pm(Intent.RECEIPT, language="fi")),
    ("Hyvää päivää", pm(Intent.HELP, language="fi")),
    # --- from the corpus messages written after the parser work -------------------
    ("voisitko pysäköidä ABC-123 alueelle 101?", pm(P, language="fi", plate="ABC-123",
                                                    zone="101")),
    ("kuinka kauan minulla on aikaa?", pm(Intent.STATUS, language="fi")),
    ("is my parking still on?", pm(Intent.STATUS, language="en")),
    ("wrong zone: KT not 101", pm(Intent.CORRECT, language="en", zone="KT")),
    ("fel, ABC-124 inte ABC-123", pm(Intent.CORRECT, language="sv", plate="ABC-124")),
    ("I was charged 3 times", pm(Intent.COMPLAINT, language="en")),
    ("jag vill ha tillbaka mina pengar", pm(Intent.COMPLAINT, language="sv")),
    ("sain lapun vaikka maksoin", pm(Intent.COMPLAINT, language="fi")),
    # a receipt said to be wrong is a complaint about it, not a request for it
    ("ja kuitti oli myös väärin", pm(Intent.COMPLAINT, language="fi")),
    ("and also the receipt was wrong", pm(Intent.COMPLAINT, language="en")),
    ("kvittot var fel", pm(Intent.COMPLAINT, language="sv")),
    ("ABC-123 101 puol tuntia", pm(P, language="fi", plate="ABC-123", zone="101",
                                   duration_minutes=30)),
    ("ABC-123 101 tunnin verran", pm(P, language="fi", plate="ABC-123", zone="101",
                                     duration_minutes=60)),
]


@pytest.mark.parametrize(("body", "expected"), CASES, ids=[repr(c[0]) for c in CASES])
def test_parse_sms_table(body: str, expected: ParsedMessage) -> None:
    assert parse_sms(body, KNOWN) == expected


def test_table_is_large_and_unique() -> None:
    bodies = [body for body, _ in CASES]
    assert len(bodies) >= 60
    assert len(set(bodies)) == len(bodies)


def test_every_intent_is_covered_by_the_table() -> None:
    assert {expected.intent for _, expected in CASES} == set(Intent)


OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
@pytest.mark.parametrize("dress", ["{}", "{}.", "{}!", " {} ", "{}!!", "\n{}\n"])
def test_opt_out_words_alone_in_any_case(word: str, dress: str) -> None:
    for variant in (word, word.lower(), word.capitalize()):
        assert parse_sms(dress.format(variant)).intent is Intent.OPT_OUT


@pytest.mark.parametrize("word", ["STOP", "END", "CANCEL", "QUIT", "REVOKE", "OPTOUT"])
def test_opt_out_words_never_stop_a_parking(word: str) -> None:
    for body in (f"{word} ABC-123", f"{word} it", f"{word} 101", f"{word} now please"):
        parsed = parse_sms(body)
        assert parsed.intent is Intent.UNKNOWN
        assert parsed.problem == "opt_out_word"


@pytest.mark.parametrize("word", ["LOPETA", "SLUTA", "DONE", "LEAVE"])
def test_stop_words_are_never_opt_out(word: str) -> None:
    for body in (word, word.lower(), f"{word}!", f"{word} ABC-123"):
        assert parse_sms(body).intent is Intent.STOP


def test_letter_zone_needs_known_zones() -> None:
    assert parse_sms("ABC-123 KT").zone is None
    assert parse_sms("ABC-123 KT", ["kt"]).zone == "KT"
    # a letters+digits code is a plate unless it is a known zone
    assert parse_sms("ABC-123 A1").problem == "multiple_plates"
    assert parse_sms("ABC-123 A1", ["A1"]) == pm(P, plate="ABC-123", zone="A1")


def test_zone_keeps_leading_zeros() -> None:
    assert parse_sms("ABC-123 0101").zone == "0101"


# --------------------------------------------------------------------------
# parse_duration
# --------------------------------------------------------------------------

DURATIONS: list[tuple[str, int | None]] = [
    ("2h", 120),
    ("2 h", 120),
    ("2H", 120),
    ("2t", 120),
    ("2 t", 120),
    ("2 tuntia", 120),
    ("1 tunti", 60),
    ("2 tim", 120),
    ("2 timmar", 120),
    ("1 timme", 60),
    ("2 hours", 120),
    ("1 hour", 60),
    ("2hrs", 120),
    ("for 2 hours", 120),
    ("90min", 90),
    ("90 min", 90),
    ("90 minutes", 90),
    ("90 minuuttia", 90),
    ("90 minuter", 90),
    ("90m", 90),
    ("1h30", 90),
    ("1h30min", 90),
    ("1h 30min", 90),
    ("1 h 30 min", 90),
    ("1 tunti 30 minuuttia", 90),
    ("1:30", 90),
    ("1.5h", 90),
    ("1,5 h", 90),
    ("0:45", 45),
    ("45min", 45),
    ("1 day", 1440),
    ("7 days", MAX_DURATION_MINUTES),
    ("2 vrk", 2880),
    ("1 dygn", 1440),
    # the bare-number rule
    ("1", 60),
    ("12", 720),
    ("13", 13),
    ("90", 90),
    ("1440", 1440),
    ("1,5", 90),
    ("1.30", 90),
    ("for 90", 90),
    # not valid
    ("0", None),
    ("1441", None),
    ("0h", None),
    ("-2h", None),
    ("8 days", None),
    ("1:75", None),
    ("", None),
    ("h", None),
    ("abc", None),
    ("2 h extra", None),
    ("two hours", 120),  # numbers in words (issue 12)
    ("kaksi tuntia", 120),
    ("tunniksi", 60),
    ("puoleksi tunniksi", 30),
    ("kahdeksi tunniksi", 120),
    ("kahden tunnin", 120),
    ("puolitoista tuntia", 90),
    ("en och en halv timme", 90),
    ("två timmar", 120),
    ("an hour and a half", 90),
    ("three quarters of an hour", 45),
    ("two", 120),  # a number word follows the bare-number rule
    ("fifteen minutes", 15),
    ("101 quarters", None),
    ("half", None),
    ("an", None),
]


@pytest.mark.parametrize(("text", "minutes"), DURATIONS, ids=[repr(d[0]) for d in DURATIONS])
def test_parse_duration(text: str, minutes: int | None) -> None:
    assert parse_duration(text) == minutes


@settings(deadline=None)
@given(st.integers(0, 167), st.integers(0, 59))
def test_parse_duration_hours_glued_minutes(hours: int, minutes: int) -> None:
    total = hours * 60 + minutes
    assume(0 < total <= MAX_DURATION_MINUTES)
    assert parse_duration(f"{hours}h{minutes}") == total
    assert parse_duration(f"{hours}h {minutes}min") == total
    assert parse_duration(f"{hours}:{minutes:02d}") == total
    assert parse_duration(f"{hours}H{minutes}M") == total


@settings(deadline=None)
@given(st.integers(1, 12))
def test_bare_small_numbers_are_hours(n: int) -> None:
    assert parse_duration(str(n)) == n * 60


@settings(deadline=None)
@given(st.integers(13, 1440))
def test_bare_large_numbers_are_minutes(n: int) -> None:
    assert parse_duration(str(n)) == n


@settings(deadline=None)
@given(st.text())
def test_parse_duration_never_raises(text: str) -> None:
    result = parse_duration(text)
    assert result is None or 0 < result <= MAX_DURATION_MINUTES


# --------------------------------------------------------------------------
# Property tests for parse_sms
# --------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.text(), st.lists(st.text(max_size=5), max_size=3))
def test_parse_sms_never_raises(body: str, zones: list[str]) -> None:
    parsed = parse_sms(body, zones)
    assert isinstance(parsed, ParsedMessage)
    assert isinstance(parsed.intent, Intent)
    assert parsed.duration_minutes is None or 0 < parsed.duration_minutes <= MAX_DURATION_MINUTES
    assert parsed.language in (None, "fi", "sv", "en")
    assert parsed.choice is None or 1 <= parsed.choice <= 9


@settings(deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_parse_sms_never_raises_on_wide_unicode(body: str) -> None:
    assert isinstance(parse_sms(body), ParsedMessage)


# Letters that never spell a keyword, unit, filler or courtesy word, so that a
# plate typed with a space ("BCF 123") is unambiguous.
SAFE_LETTERS = "BCFGJLRXZ"
ALL_LETTERS = "ABCDEFGHIJKLMNOPRSTUVXYZÅÄÖ"

DURATION_FORMS: list[tuple[str, int]] = [
    ("{h}h", 60),
    ("{h} h", 60),
    ("{h}t", 60),
    ("{h} tuntia", 60),
    ("{h} timmar", 60),
    ("{h} hours", 60),
    ("for {h} hours", 60),
    ("{m}min", 1),
    ("{m} min", 1),
    ("{m} minuuttia", 1),
    ("{m} minuter", 1),
    ("{m}m", 1),
]


@st.composite
def plate_texts(draw: st.DrawFn) -> tuple[str, str]:
    """A plate as someone might type it, and its expected display form."""
    digits = draw(st.text(alphabet="0123456789", min_size=1, max_size=3))
    style = draw(st.sampled_from(["dash", "en_dash", "glued", "space"]))
    alphabet = SAFE_LETTERS if style == "space" else ALL_LETTERS
    letters = draw(st.text(alphabet=alphabet, min_size=2, max_size=3))
    sep = {"dash": "-", "en_dash": "–", "glued": "", "space": " "}[style]
    typed = f"{letters}{sep}{digits}"
    return typed, display_plate(typed)


def random_case(data: st.DataObject, text: str) -> str:
    flags = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.lower() if flag else ch for ch, flag in zip(text, flags, strict=True))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_park_messages_recover_plate_zone_and_duration(data: st.DataObject) -> None:
    typed_plate, expected_plate = data.draw(plate_texts())
    zone = data.draw(st.from_regex(r"[0-9]{1,5}", fullmatch=True))
    form, per_unit = data.draw(st.sampled_from(DURATION_FORMS))
    amount = data.draw(st.integers(1, 12) if per_unit == 60 else st.integers(1, 600))
    duration_text = form.format(h=amount, m=amount)
    with_duration = data.draw(st.booleans())
    prefix = data.draw(st.sampled_from(["", "P ", "park ", "PYSÄKÖI ", "parkera "]))
    parts = [random_case(data, typed_plate), zone]
    if with_duration:
        parts.append(random_case(data, duration_text))
    order = data.draw(st.permutations(parts))
    seps = data.draw(
        st.lists(
            st.sampled_from([" ", "  ", ", ", "; ", "\n", "\t", " \n ", ". "]),
            min_size=len(order) - 1,
            max_size=len(order) - 1,
        )
    )
    body = order[0] + "".join(sep + part for sep, part in zip(seps, order[1:], strict=True))
    body = prefix + body + data.draw(st.sampled_from(["", ".", "!", " kiitos", " thanks"]))

    parsed = parse_sms(body)

    assert parsed.intent is Intent.PARK, body
    assert parsed.plate == expected_plate, body
    assert parsed.zone == zone, body
    assert parsed.duration_minutes == (amount * per_unit if with_duration else None), body
    assert parsed.problem is None, body


@settings(deadline=None)
@given(st.from_regex(r"[0-9]{2,5}", fullmatch=True))
def test_lone_number_of_two_or_more_digits_is_a_zone(zone: str) -> None:
    assert parse_sms(zone) == pm(P, zone=zone)


@settings(deadline=None)
@given(st.integers(1, 9))
def test_lone_digit_is_a_choice(n: int) -> None:
    assert parse_sms(f" {n} ") == pm(Intent.CHOICE, choice=n)


@settings(deadline=None)
@given(plate_texts())
def test_plate_alone_asks_for_zone(plate: tuple[str, str]) -> None:
    typed, expected = plate
    assert parse_sms(typed) == pm(P, plate=expected, problem="no_zone")


# --------------------------------------------------------------------------
# Issue 12: words, typos, neighbours' plates, zones typed with O or I
# --------------------------------------------------------------------------

DEMO_ZONES = ("101", "102", "103", "201", "202", "301", "EV1")
#: the command keywords a mistyped word is offered back as, and what each one does
TYPO_KEYWORDS = {
    "LOPETA": Intent.STOP,
    "AVSLUTA": Intent.STOP,
    "JATKA": Intent.EXTEND,
    "FÖRLÄNG": Intent.EXTEND,
    "EXTEND": Intent.EXTEND,
    "STATUS": Intent.STATUS,
    "KUITTI": Intent.RECEIPT,
    "KVITTO": Intent.RECEIPT,
    "RECEIPT": Intent.RECEIPT,
    "KORJAA": Intent.CORRECT,
    "HINTA": Intent.PRICE,
    "LANGUAGE": Intent.LANGUAGE,
}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.lists(st.sampled_from(DEMO_ZONES), max_size=7))
def test_a_suggestion_is_only_offered(body: str, zones: list[str]) -> None:
    parsed = parse_sms(body, zones)
    if parsed.intent is Intent.DID_YOU_MEAN:
        assert parsed.suggestion
        assert (parsed.plate, parsed.zone, parsed.duration_minutes) == (None, None, None)
        meant = parse_sms(parsed.suggestion, zones)
        assert meant.intent not in (Intent.DID_YOU_MEAN, Intent.UNKNOWN)
    else:
        assert parsed.suggestion is None


@settings(deadline=None)
@given(st.sampled_from(sorted(TYPO_KEYWORDS)), st.data())
def test_two_letters_swapped_in_a_keyword_are_offered_back(
    keyword: str, data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(keyword) - 2))
    assume(keyword[i] != keyword[i + 1])
    typed = keyword[:i] + keyword[i + 1] + keyword[i] + keyword[i + 2 :]
    tail = data.draw(st.sampled_from(["", " 30", " ABC-123"]))
    case = data.draw(st.sampled_from([str.upper, str.lower, str.capitalize]))

    parsed = parse_sms(case(typed) + tail, DEMO_ZONES)

    assert parsed.intent is Intent.DID_YOU_MEAN, typed
    assert parsed.suggestion == keyword + tail
    assert parse_sms(parsed.suggestion, DEMO_ZONES).intent is TYPO_KEYWORDS[keyword]


@settings(deadline=None)
@given(st.data())
def test_plates_and_zones_are_never_read_as_mistyped_keywords(data: st.DataObject) -> None:
    typed_plate, _shown = data.draw(plate_texts())
    zone = data.draw(st.sampled_from(DEMO_ZONES))
    parts = data.draw(st.permutations([typed_plate, zone]))
    parsed = parse_sms(" ".join(parts), DEMO_ZONES)
    assert parsed.intent is Intent.PARK
    assert parsed.zone == zone


FI_HOURS = {
    1: "yksi yhden yhdeksi", 2: "kaksi kahden kahdeksi kahdella kaks", 3: "kolme kolmen kolmeksi",
    4: "neljä neljän neljäksi", 5: "viisi viiden viideksi", 6: "kuusi kuuden kuudeksi",
    7: "seitsemän seitsemäksi", 8: "kahdeksan kahdeksaksi", 9: "yhdeksän yhdeksäksi",
    10: "kymmenen kymmeneksi", 11: "yksitoista", 12: "kaksitoista",
}
SV_HOURS = {2: "två", 3: "tre", 4: "fyra", 5: "fem", 6: "sex", 7: "sju", 8: "åtta", 9: "nio",
            10: "tio", 11: "elva", 12: "tolv"}
EN_HOURS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
            8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}
SPOKEN_HOURS = [
    *((f"{word} {unit}", n, "fi") for n, words in FI_HOURS.items() for word in words.split()
      for unit in ("tuntia", "tunnin", "tunniksi", "tunnilla")),
    *((f"{word} timmar", n, "sv") for n, word in SV_HOURS.items()),
    *((f"{word} hours", n, "en") for n, word in EN_HOURS.items()),
]


@settings(deadline=None)
@given(st.sampled_from(SPOKEN_HOURS), st.sampled_from(["", "jatka "]))
def test_hours_in_words(spoken: tuple[str, int, str], keyword: str) -> None:
    text, hours, language = spoken
    if keyword:
        parsed = parse_sms(keyword + text, DEMO_ZONES)
        assert (parsed.intent, parsed.duration_minutes) == (Intent.EXTEND, hours * 60), text
    else:
        parsed = parse_sms(f"ABC-123 101 {text}", DEMO_ZONES)
        assert parsed == pm(P, language=language, plate="ABC-123", zone="101",
                            duration_minutes=hours * 60), text


@settings(deadline=None)
@given(
    st.from_regex(r"[2-9][0-9]{2}", fullmatch=True),
    st.text(alphabet=SAFE_LETTERS, min_size=3, max_size=3),
    st.sampled_from(DEMO_ZONES),
    st.booleans(),
)
def test_estonian_plates_beside_known_zones(
    digits: str, letters: str, zone: str, zone_first: bool
) -> None:
    assume(digits not in DEMO_ZONES)
    plate = f"{digits} {letters}"
    body = f"{zone} {plate}" if zone_first else f"{plate} {zone}"
    assert parse_sms(body, DEMO_ZONES) == pm(P, plate=plate, zone=zone)


@settings(deadline=None)
@given(st.sampled_from(["101", "102", "103", "201", "202", "301", "EV1"]), st.data())
def test_a_zone_typed_with_o_or_i_is_that_zone(zone: str, data: st.DataObject) -> None:
    swaps = {"0": "Oo", "1": "Ii"}
    typed = "".join(data.draw(st.sampled_from(swaps.get(ch, ch) + ch)) for ch in zone)
    assume(typed.upper() != zone)
    assert parse_sms(f"ABC-123 {typed}", DEMO_ZONES) == pm(P, plate="ABC-123", zone=zone)


@settings(deadline=None)
@given(st.integers(1, 1440), st.sampled_from(["+{}", "+ {}", " +{} ", "＋{}"]))
def test_plus_a_number_extends(n: int, form: str) -> None:
    expected = n * 60 if n <= 12 else n
    assert parse_sms(form.format(n)) == pm(Intent.EXTEND, duration_minutes=expected)
