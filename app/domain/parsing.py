"""Parser for incoming SMS messages (Finnish, Swedish, English).

Pure module: no I/O, no Flask, no database. :func:`parse_sms` never raises
for any ``str`` input and always returns a :class:`ParsedMessage`.

How a message is read
---------------------
1. *Cleaning*: NFKC, every dash-like character becomes ``-``, emoji and
   other symbols become spaces, quotes and brackets become spaces; an
   apostrophe inside a word is dropped (``I'm`` -> ``Im``), ``½`` is ``,5``,
   and the Cyrillic letters of a Russian plate become their Latin look-alikes.
2. *Whole-message words*: an empty message is ``UNKNOWN/"empty"``; a message
   made only of ``?`` is ``HELP``; a message that is exactly one opt-out
   word (``STOP``, ``STOPALL``, ``UNSUBSCRIBE``, ``CANCEL``, ``END``,
   ``QUIT``, ``REVOKE``, ``OPTOUT``: Twilio's list) or opt-in word
   (``START``, ``UNSTOP``), ignoring case, surrounding whitespace, trailing
   punctuation and emoji, is ``OPT_OUT`` / ``OPT_IN``. Those words followed by
   anything else are *never* parsed as another intent: they give ``UNKNOWN``
   with problem ``"opt_out_word"`` so the service can explain "send LOPETA to
   end parking, STOP alone to unsubscribe" (``stop parking`` too: the contract
   never lets STOP, END, CANCEL or QUIT stop a parking; the one old exception is
   the phrase ``end parking``). A sentence that only contains the word
   (``can you stop my parking?``) is read as a sentence (step 7).
   A message that starts with ``+`` and a duration (``+15``, ``+1h``) extends.
3. *Tokens*: whitespace, commas, semicolons, periods, colons, ``#``, ``/``
   and other punctuation separate tokens, except inside numeric forms that
   need them (``1:30``, ``1,5h``, ``24.12.2025``, ``10:00-12:00``).
   A token is compared in upper case.
4. Leading greetings (``hei``, ``hej``, ``hi``, ``hyvää päivää``, ``tere`` ...)
   and courtesy words (``kiitos``, ``tack``, ``thanks``, ``aitäh`` ...) at
   either end are dropped; a message of only such words is
   ``UNKNOWN/"courtesy"`` (only greetings: ``HELP``).
5. A one-token message that is a yes/no word is ``YES``/``NO``; a single
   digit 1-9 is ``CHOICE``; a language name alone (``svenska``, also ``på
   svenska``, ``in English``) is ``LANGUAGE``.
6. The first token (or a phrase: ``end parking``, ``more time``, ``lisää
   aikaa``, ``mer tid``) selects a keyword intent (``LOPETA``, ``JATKA``,
   ``HINTA``, ``KORJAA`` ...), also when glued to its number (``jatka30``); a
   greeting alone (``hei``, ``hej``, ``hello``) is ``HELP``.
7. Otherwise the message is read as a sentence when it holds a cue word, in
   this order: a complaint (``sakko``, ``böter``, ``fine``, ``refund``,
   ``charged twice``), a correction (``väärä rekkari``, ``wrong zone, it's
   202``), a status question (``onko autoni parkissa?``, ``time left``), a
   price question (``paljonko maksaa``, ``vad kostar``, ``how much``), a help
   question (``miten tämä toimii``, ``how do I park``, ``en ymmärrä``), a
   receipt request (a complaint when it says the receipt is wrong: ``kuitti oli
   väärin``, ``the receipt was wrong``), an extension (``30 min lisää``, ``add an hour``, ``en
   timme till``) or a stop (``lähden nyt``, ``jag åker nu``, ``leaving now``).
8. Otherwise a first word that is one edit away from a command keyword
   (``LOEPTA``, ``FÖRLNG 30``, ``EXTNED``, ``STAUTS``) gives ``DID_YOU_MEAN``
   with ``suggestion`` set to the message as the keyword would have read
   (``"LOPETA"``, ``"FÖRLÄNG 30"``): never acted on, only offered. Plates,
   zone codes and words of three letters or fewer are never read as typos.
9. Otherwise the message is read as a park message (``P``/``PARK``/...
   prefix optional); when that finds nothing or leaves words unread and the
   message is a question (``?``, ``voinko``, ``can I`` ...), it is
   ``QUESTION``, for a person to answer.

Inside keyword and park messages, tokens are classified left to right by
small rules into plate, zone, duration (and for bookings date and time range).

Plates and zones
----------------
A token with letters and digits is a plate (``ABC-123``, ``ABC123``), also the
plates of the neighbouring countries typed with spaces: ``ABC 123`` (Finland,
Sweden, Lithuania), ``ABC 12A`` (Sweden), ``AB 12345`` (Norway, Poland),
``AB 12 345`` (Denmark), ``123 ABC`` (Estonia), ``AB 1234`` (Latvia),
``KR 1AB23``/``WPR 1234A`` (Poland), ``A123BC 77`` (Russia, with its region).
A 1-5 digit token is a zone. Where a number could be either, the zone wins
only when it is a zone and the rest still makes sense: with ``known_zones``
given, ``123 ABC`` is an Estonian plate when 123 is not a zone, and ``101
ABC 202`` is the plate ``101 ABC`` in zone 202; a region after a Russian plate
and the last group of a Danish one are read as a zone only when they are a
known zone and no other zone follows. A zone typed with the letter ``O`` or
``I`` (``1O1``, ``IO2``) or with a space (``ev 1``) is that zone when exactly
one known zone reads so.

The bare-number rule
--------------------
A number without a unit is a duration only where a duration is expected: in
a park message once the zone is already known (the *first* 1-5 digit number
is the zone, a later one the duration), and after ``JATKA``/``FÖRLÄNG``/
``EXTEND`` or ``for``. Then an integer 1..12 means hours and 13..1440 means
minutes; any other integer (0, or above 1440) is a ``"bad_duration"``. A
bare decimal (``1,5``) means hours, and ``H.MM`` with two fractional digits
below 60 (``1.30``) means hours and minutes, as does ``H:MM`` (``1:30``).
A number word (``kaksi``, ``två``, ``two``) follows the same rule.

Durations in words
------------------
Numbers and fractions in words in the three languages, with the Finnish case
forms: ``kaksi tuntia``, ``kahdeksi tunniksi``, ``kahden tunnin``, ``kahdella
tunnilla``, ``tunniksi``, ``puoleksi tunniksi``, ``puolitoista tuntia``,
``kaksi ja puoli tuntia``, ``tunti ja vartti``, ``viisitoista minuuttia``;
``två timmar``, ``en och en halv timme``, ``halvannan timme``, ``en
halvtimme``, ``tre kvart``; ``three hours``, ``an hour and a half``, ``one
and a half hours``, ``forty-five minutes``, ``a couple of hours``, ``three
quarters of an hour``. A unit alone in the singular is one of it
(``tunniksi``, ``timme``, ``vartti``, ``päiväksi``).

End times (clock times)
-----------------------
In park and extend messages an end may be given as a local clock time instead
of a duration; it fills ``until_time`` ("HH:MM") and never ``duration_minutes``:

* after a marker word: ``till``, ``tills``, ``fram till``, ``until``, ``klo``,
  ``kello``, ``kl``/``kl.``, an arrow (``->``, ``=>``, ``→``), or before
  ``asti``: ``till 18``, ``until 6pm``, ``klo 17 asti``, ``17 asti``,
  ``-> 18.30``. The hour is 0..24 (``24`` is midnight), or 1..12 with
  ``am``/``pm``;
* without a marker, ``H:MM`` or ``H.MM`` is a clock time when H is 5..24
  (``17:00``, ``17.30``, ``5:00``) and a duration when H is 0..4 (``1:30``,
  ``0:45``, ``4.30``): drivers write short stays as ``1:30``, and nobody writes
  "5 hours" as ``5:00``; a bare integer keeps the bare-number rule (``18`` is
  18 minutes); ``6pm`` is always a clock time.

An impossible clock time (``25:00``, ``till 25``, ``13pm``) or a duration and an
end time together is ``"bad_duration"``.

Every valid duration is 1 minute .. 7 days (:data:`MAX_DURATION_MINUTES`);
a duration-shaped token outside that range, a negative one or a second
duration gives problem ``"bad_duration"`` while the intent is kept.
"""

from __future__ import annotations

import enum
import functools
import itertools
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple, TypeAlias

from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.domain.plates import CYRILLIC_LOOKALIKES, display_plate, is_dash, looks_like_plate

__all__ = [
    "MAX_DURATION_MINUTES",
    "Intent",
    "ParsedMessage",
    "parse_duration",
    "parse_sms",
]

#: Longest duration accepted anywhere (7 days).
MAX_DURATION_MINUTES = 7 * 24 * 60


class Intent(enum.StrEnum):
    """What the sender wants. Values are stable lowercase strings."""

    PARK = "park"
    STOP = "stop"
    EXTEND = "extend"
    STATUS = "status"
    HELP = "help"
    LANGUAGE = "language"
    RECEIPT = "receipt"
    BOOK = "book"
    UNBOOK = "unbook"
    #: the sender's upcoming bookings
    BOOKINGS = "bookings"
    #: move a booking (its reference and the new time are read by ``booking_text.parse_move``)
    MOVE = "move"
    #: wait in line for a full booking window (after a "full" answer, or with its parts)
    WAITLIST = "waitlist"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    YES = "yes"
    NO = "no"
    CHOICE = "choice"
    #: the price of a zone (``zone`` when named; ``duration_minutes``/``until_time`` when given)
    PRICE = "price"
    #: move the parking just started to another plate or zone (``plate``/``zone``: the new one)
    CORRECT = "correct"
    #: a fine, a double charge, a refund: for a person
    COMPLAINT = "complaint"
    #: a question the grammar cannot answer: for a person
    QUESTION = "question"
    #: a mistyped keyword: ``suggestion`` is the message to offer, never acted on
    DID_YOU_MEAN = "did_you_mean"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ParsedMessage:
    """The result of :func:`parse_sms`.

    ``until_time`` ("HH:MM", 00:00-23:59) is an end given as a local clock time
    (``till 18``, ``klo 17 asti``, ``17:30``); it is never set together with
    ``duration_minutes``. Turning it into minutes needs the zone's time zone
    and the current time, so that is the caller's job.

    ``suggestion`` is set only with ``DID_YOU_MEAN``: the message as the driver
    probably meant it (``"JATKA 30"`` for ``JATAK 30``), with the keyword in
    upper case and the rest as typed. ``parse_sms(suggestion)`` reads it as
    that keyword's intent; the caller asks before acting on it.

    Fields per intent: PARK, EXTEND: ``plate``, ``zone``, ``duration_minutes``
    or ``until_time``; STOP, STATUS, RECEIPT: ``plate``, ``zone``; PRICE:
    ``zone``, ``duration_minutes`` or ``until_time``; CORRECT: the new
    ``plate`` and/or ``zone`` (the last ones typed: ``KORJAA ABC-123 ->
    ABC-124`` gives ``ABC-124``); COMPLAINT, QUESTION: ``plate`` and a known
    ``zone`` when the message names them.

    ``problem`` is None when the message was fully understood. Otherwise it
    is one of these machine codes (the intent is kept when it was clear):

    * ``"empty"`` (UNKNOWN): nothing but whitespace;
    * ``"unrecognised"`` (UNKNOWN): nothing recognisable;
    * ``"courtesy"`` (UNKNOWN): only greetings/thanks, e.g. ``kiitos!``;
    * ``"opt_out_word"`` (UNKNOWN): an opt-out/opt-in word followed by more
      text (``STOP ABC-123``); never acted on as opt-out nor as stop;
    * ``"no_zone"`` (PARK, BOOK): no zone code found;
    * ``"bad_plate"`` (PARK): a zone but no plate and some unrecognised text;
    * ``"multiple_plates"`` (PARK, EXTEND, STOP, STATUS, RECEIPT, BOOK):
      more than one plate; ``plate`` is the first one;
    * ``"bad_duration"`` (PARK, EXTEND, PRICE): a duration that is zero,
      negative, longer than 7 days, given twice, an impossible clock time
      (``till 25``), both a duration and an end time, or (PARK with plate and
      zone) some unrecognised text where the duration goes;
    * ``"extra_text"`` (PARK): plate, zone and duration all found, plus
      unrecognised text;
    * ``"extend_no_duration"`` (EXTEND): no duration;
    * ``"bad_language"`` (LANGUAGE): missing or unknown language argument;
    * ``"no_date"``, ``"bad_time"`` (BOOK): missing date / missing or
      invalid time range;
    * ``"no_booking_ref"`` (UNBOOK): no reference given;
    * ``"no_target"`` (CORRECT): neither the right plate nor the right zone
      given (``väärä rekkari``), so it must be asked for.
    """

    intent: Intent
    language: str | None = None
    plate: str | None = None
    zone: str | None = None
    duration_minutes: int | None = None
    until_time: str | None = None
    target_language: str | None = None
    choice: int | None = None
    booking_date: str | None = None
    booking_from: str | None = None
    booking_to: str | None = None
    booking_ref: str | None = None
    problem: str | None = None
    suggestion: str | None = None
    #: ``language`` was revealed by the command word that opens the message (``LOPETA``,
    #: ``SLUTA``, ``DONE``, ``PARKERA``, ``KYLLÄ``), not by a lesser word (a unit, a
    #: number word, a greeting, thanks, a sentence word). How sure, not what: left out of
    #: comparisons.
    language_by_keyword: bool = field(default=False, compare=False)

    @property
    def command_language(self) -> str | None:
        """The language of the command word that opens the message, else None."""
        return self.language if self.language_by_keyword else None

    @property
    def hinted_language(self) -> str | None:
        """The language a lesser word (or a mistyped keyword) hints at, only in a message
        read whole: None for a message not understood or read with a ``problem``, or a
        question or complaint for a person (one word of those must not switch the
        language)."""
        if self.intent in _NOT_READ or self.problem is not None:
            return None
        return self.language


# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

#: Twilio's default opt-out words; carriers answer them as a whole message.
_OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
_OPT_IN_WORDS = frozenset({"START", "UNSTOP"})

_ASCII_FOLD = str.maketrans("ÄÖÅ", "AOA")


#: intents of messages whose request the parser did not read (see ``hinted_language``)
_NOT_READ = frozenset({Intent.UNKNOWN, Intent.QUESTION, Intent.COMPLAINT})


def _with_ascii(words: Mapping[str, str | None]) -> dict[str, str | None]:
    """``words`` plus each word spelled without Ä, Ö, Å (phones without a Nordic keyboard)."""
    out = dict(words)
    for word, language in words.items():
        out.setdefault(word.translate(_ASCII_FOLD), language)
    return out


def _words(fi: str = "", sv: str = "", en: str = "", other: str = "") -> dict[str, str | None]:
    """Words given as space-separated strings per language -> the language they reveal
    (``other``: words that reveal none)."""
    words: dict[str, str | None] = {}
    for language, text in (("fi", fi), ("sv", sv), ("en", en), (None, other)):
        for word in text.split():
            words.setdefault(word, language)
    return words


def _word_set(*texts: str) -> frozenset[str]:
    """The words of space-separated strings."""
    return frozenset(word for text in texts for word in text.split())


def _lexicon(fi: str = "", sv: str = "", en: str = "", other: str = "") -> dict[str, str | None]:
    """:func:`_words` with the ASCII spelling of each word too."""
    return _with_ascii(_words(fi, sv, en, other))


def _keywords(
    intent: Intent, fi: str = "", sv: str = "", en: str = "", other: str = ""
) -> dict[str, tuple[Intent, str | None]]:
    return {word: (intent, lang) for word, lang in _words(fi, sv, en, other).items()}


#: word -> language revealed (None = ambiguous)
_YES_WORDS = _words(fi="KYLLÄ KYLLA JOO", sv="JA", en="YES", other="K Y OK")
_NO_WORDS: dict[str, str | None] = {"EI": "fi", "NEJ": "sv", "NO": "en", "N": None}

_PARK_PREFIXES = _words(fi="PYSÄKÖI PYSAKOI", sv="PARKERA", en="PARK", other="P")

#: first-token keyword -> (intent, language revealed). Besides the keywords on the signs,
#: the typos and synonyms drivers really send ("stopp" is Swedish for stop; carriers
#: reserve only Twilio's opt-out words as whole messages).
_KEYWORDS: dict[str, tuple[Intent, str | None]] = {
    **_keywords(
        Intent.STOP,
        fi="LOPETA LOPETTA LOPETAN LOPPU LOPETUS",
        sv="SLUTA AVSLUTA STOPP SLUT",
        en="DONE LEAVE FINISH FINISHED",
    ),
    **_keywords(Intent.EXTEND, fi="JATKA LISÄÄ LISAA", sv="FÖRLÄNG FORLANG", en="EXTEND"),
    **_keywords(Intent.STATUS, fi="TILA", other="STATUS"),
    # HELP, INFO and STATUS are used in every language: they reveal none (the sender's
    # stored language or number decides), so a Finnish driver's HELP is answered in Finnish.
    **_keywords(Intent.HELP, fi="OHJE APUA", sv="HJÄLP HJALP", other="HELP INFO"),
    **_keywords(Intent.LANGUAGE, fi="KIELI", sv="SPRÅK SPRAK", en="LANG LANGUAGE"),
    **_keywords(Intent.RECEIPT, fi="KUITTI", sv="KVITTO", en="RECEIPT"),
    **_keywords(Intent.BOOK, fi="VARAA", sv="BOKA", en="BOOK"),
    **_keywords(Intent.UNBOOK, fi="PERU", sv="AVBOKA", en="UNBOOK"),
    **_keywords(Intent.BOOKINGS, fi="VARAUKSET", sv="BOKNINGAR", en="BOOKINGS"),
    **_keywords(Intent.MOVE, fi="SIIRRÄ SIIRRA", sv="FLYTTA", en="MOVE"),
    **_keywords(Intent.WAITLIST, fi="JONOON", sv="KÖA KOA", en="WAITLIST"),
    **_keywords(
        Intent.PRICE,
        fi="HINTA HINNAT HINNASTO TAKSA TAKSAT",
        sv="PRIS PRISER PRISET TAXA",
        en="PRICE PRICES TARIFF RATES COST",
    ),
    **_keywords(
        Intent.CORRECT,
        fi="KORJAA KORJAUS VAIHDA",
        sv="ÄNDRA ANDRA RÄTTA RATTA",
        en="FIX CORRECT CORRECTION CHANGE",
    ),
}

#: keyword phrases (checked before single keywords, longest first) -> (intent, language)
_KEYWORD_PHRASES: dict[tuple[str, ...], tuple[Intent, str | None]] = {
    ("END", "PARKING"): (Intent.STOP, "en"),
    ("MORE", "TIME"): (Intent.EXTEND, "en"),
    ("LISÄÄ", "AIKAA"): (Intent.EXTEND, "fi"),
    ("LISAA", "AIKAA"): (Intent.EXTEND, "fi"),
    ("MER", "TID"): (Intent.EXTEND, "sv"),
}
_PHRASES_BY_HEAD: dict[str, list[tuple[tuple[str, ...], Intent, str | None]]] = {}
for _phrase, (_intent, _lang) in sorted(_KEYWORD_PHRASES.items(), key=lambda kv: -len(kv[0])):
    _PHRASES_BY_HEAD.setdefault(_phrase[0], []).append((_phrase, _intent, _lang))

#: language argument (code or name, in any of the three languages) -> code
_LANGUAGE_ARGS: dict[str, str] = {
    "FI": "fi",
    "FIN": "fi",
    "SUOMI": "fi",
    "SUOMEKSI": "fi",
    "FINSKA": "fi",
    "FINNISH": "fi",
    "SV": "sv",
    "SE": "sv",
    "SWE": "sv",
    "SVENSKA": "sv",
    "RUOTSI": "sv",
    "RUOTSIKSI": "sv",
    "SWEDISH": "sv",
    "EN": "en",
    "ENG": "en",
    "ENGLISH": "en",
    "ENGLANTI": "en",
    "ENGLANNIKSI": "en",
    "ENGELSKA": "en",
}
#: language names accepted as a whole message (codes alone are too ambiguous)
_LANGUAGE_NAMES = frozenset(k for k in _LANGUAGE_ARGS if len(k) > 3)
#: small words allowed around a language name: "på svenska", "in English"
_LANGUAGE_NAME_FILLERS = frozenset({"PÅ", "PA", "IN", "ON"})

_ZONE_WORDS = _words(
    fi="ALUE ALUEELLE ALUEELLA ALUEEN ALUEESEEN ALUEELTA VYÖHYKE VYOHYKE VYÖHYKKEELLE VYÖHYKKEELLÄ",
    sv="ZON ZONEN",
    en="ZONE",
)
#: words between a zone word and its code in a correction: "zone to 201", "zon ska vara
#: 103", "alue piti olla 102", "zone it's 202"
_CODE_LEADERS = frozenset(
    {"TO", "IS", "ITS", "SHOULD", "BE", "SKA", "SKALL", "VARA", "PITI", "PITÄÄ", "OLLA", "ON"}
)

#: courtesy words ignored anywhere in keyword/park messages -> language hint (the last
#: ones: the neighbours' thanks, Estonian, Latvian, Lithuanian, Norwegian/Danish, Polish,
#: Russian)
_COURTESY = _words(
    fi="KIITOS KIITTI KITOS KIITOKSIA PALJON HYVÄÄ HYVAA PÄIVÄNJATKOA PAIVANJATKOA",
    sv="TACK TACKAR MYCKET SÅ",
    en="THANKS THANK YOU THX KTHX TY CHEERS PLEASE PLS PLZ",
    other="AITÄH AITAH PALDIES AČIŪ ACIU TAKK DZIĘKUJĘ DZIEKUJE СПАСИБО",
)
#: what follows a thank-you: "kiitos, toimi hyvin", "thank you, it worked", "tack för
#: hjälpen"; a message of only these and courtesy words needs no answer
_PLEASANTRIES = _word_set(
    "TOIMI TOIMII HYVIN KIVA HIENOA LOISTAVAA MAHTAVAA FÖR HJÄLPEN BRA PERFEKT IT WORKED "
    "WORKS GREAT PERFECT SUPER NICE COOL GOOD ALL FOR THE"
)
#: greetings ignored at the start of a message -> language hint
_GREETINGS = _words(
    fi="HEI MOI MOIKKA MOIKKU MORO MORJENS TERVE HUOMENTA",
    sv="HEJ HEJSAN TJENA HALLÅ",
    en="HI HELLO HEY",
    other="HALLO TERE SVEIKI LABAS CZEŚĆ CZESC ПРИВЕТ",
)
#: two-word greetings at the start of a message -> language hint
_GREETING_PHRASES: dict[tuple[str, str], str | None] = {
    ("HYVÄÄ", "PÄIVÄÄ"): "fi",
    ("HYVAA", "PAIVAA"): "fi",
    ("HYVÄÄ", "HUOMENTA"): "fi",
    ("HYVÄÄ", "ILTAA"): "fi",
    ("GOD", "MORGON"): "sv",
    ("GOD", "DAG"): "sv",
    ("GOOD", "MORNING"): "en",
    ("GOOD", "AFTERNOON"): "en",
    ("GOOD", "EVENING"): "en",
}
#: small words ignored inside park/keyword messages ("i zon 101", "klo 10-12"), the
#: verbs of a polite sentence ("haluaisin pysäköidä ABC-123 alueelle 101", "I parked at
#: 101 with ABC-123") and the nouns around a plate ("rekkari ABC-123", "reg ABC-123")
#: -> language hint (the words of a sentence, in `other`, reveal none); also "about"
#: ("tunnin verran") and charging ("2h lataus")
_FILLER_WORDS = _words(
    fi="AJAKSI REKKARI REKKARIN REK REKNRO REKISTERI REKISTERINUMERO REKISTERINRO KILPI "
    "PYSÄKÖINTI PYSAKOINTI PARKKI AUTO AUTON PARKKEERASIN VOISITKO VOITKO VOISITTEKO "
    "VOITTEKO VERRAN NOIN SUUNNILLEEN LATAUS LATAUSTA LATAUKSEEN LATAAN",
    sv="MED REGNR REGNUMMER REGISTRERINGSNUMMER PARKERING BIL BILEN PARKERAD UNGEFÄR CIRKA "
    "LADDNING LADDA",
    en="BY REGNO PLATE PARKING CAR MY OF WITH PARKED ABOUT AROUND APPROX APPROXIMATELY CHARGING",
    other="IN AT I PÅ KLO KL FRAM HALUAISIN HALUAN PYSÄKÖIDÄ PYSAKOIDA PYSÄKÖIN PYSAKOIN "
    "JAG VILL SKULLE VILJA WANT WOULD LIKE REG",
)
_FILLERS = frozenset(_FILLER_WORDS)
#: words announcing an end given as a clock time: "till 18", "klo 17", "-> 18"
#: ("->" is read as TILL); "asti" follows the time ("17 asti", "klo 17 asti").
_UNTIL_BEFORE: dict[str, str | None] = {
    "TILL": None,
    "TILLS": "sv",
    "UNTIL": "en",
    "UNTILL": "en",
    "KLO": "fi",
    "KELLO": "fi",
    "KL": "sv",
}
_UNTIL_AFTER: dict[str, str | None] = {"ASTI": "fi", "SAAKKA": "fi"}
#: durations spelled as fixed phrases -> (minutes, tokens, language); the general word
#: grammar (:func:`_match_spoken`) reads these too, the list keeps the contract explicit.
_WORD_DURATIONS: list[tuple[tuple[str, ...], int, str | None]] = [
    (("PUOLI", "TUNTIA"), 30, "fi"),
    (("PUOLI", "TUNTI"), 30, "fi"),
    (("PUOLEKSI", "TUNNIKSI"), 30, "fi"),
    (("PUOLITUNTIA",), 30, "fi"),
    (("PUOLITUNTI",), 30, "fi"),
    (("VARTTI",), 15, "fi"),
    (("VARTIKSI",), 15, "fi"),
    (("VARTIN",), 15, "fi"),
    (("EN", "HALVTIMME"), 30, "sv"),
    (("HALVTIMME",), 30, "sv"),
    (("EN", "HALV", "TIMME"), 30, "sv"),
    (("HALV", "TIMME"), 30, "sv"),
    (("EN", "KVART"), 15, "sv"),
    (("KVART",), 15, "sv"),
    (("HALF", "AN", "HOUR"), 30, "en"),
    (("HALF", "HOUR"), 30, "en"),
    (("A", "HALF", "HOUR"), 30, "en"),
    (("A", "QUARTER", "HOUR"), 15, "en"),
    (("QUARTER", "HOUR"), 15, "en"),
    (("AN", "HOUR"), 60, "en"),
]
_WORD_DURATIONS_BY_HEAD: dict[str, list[tuple[tuple[str, ...], int, str | None]]] = {}
for _entry in sorted(_WORD_DURATIONS, key=lambda e: -len(e[0])):
    _WORD_DURATIONS_BY_HEAD.setdefault(_entry[0][0], []).append(_entry)

#: duration unit -> language revealed ("timer": Norwegian and Danish hours, from drivers
#: of the neighbouring countries)
_HOUR_UNITS = _words(
    fi="T TUNTI TUNTIA TUNNIN TUNNIKSI TUNNIKS TUNNILLA TUNTEJA TUNNEIKSI",
    sv="TIM TIMME TIMMAR TIMMEN TIMMARNA",
    en="HR HRS HOUR HOURS",
    other="H TIMER",
)
_MINUTE_UNITS = _words(
    fi="MINUUTTI MINUUTTIA MINUUTIN MINUUTIKSI MINUUTIKS MINUUTILLA MINUUTEIKSI MINSAA",
    sv="MINUT MINUTER MINUTERNA",
    en="MINS MINUTE MINUTES",
    other="M MIN",
)
_DAY_UNITS = _words(
    fi="PV VRK PÄIVÄ PÄIVÄÄ PÄIVÄKSI PÄIVÄN PAIVA PAIVAA PAIVAKSI VUOROKAUSI VUOROKAUDEKSI "
    "VUOROKAUDEN",
    sv="DAG DAGAR DYGN",
    en="DAY DAYS",
    other="D",
)
#: a quarter of an hour and half an hour as units: "kolme varttia", "tre kvart"
_QUARTER_UNITS = _words(
    fi="VARTTI VARTTIA VARTIN VARTIKSI VARTIKS VARTILLA", sv="KVART KVARTS", en="QUARTER QUARTERS"
)
_HALF_HOUR_UNITS = _words(fi="PUOLITUNTIA PUOLITUNTI", sv="HALVTIMME HALVTIMMA HALVTIMMEN")
_UNITS: dict[str, tuple[int, str | None]] = {
    **{w: (60, lang) for w, lang in _HOUR_UNITS.items()},
    **{w: (1, lang) for w, lang in _MINUTE_UNITS.items()},
    **{w: (24 * 60, lang) for w, lang in _with_ascii(_DAY_UNITS).items()},
    **{w: (15, lang) for w, lang in _QUARTER_UNITS.items()},
    **{w: (30, lang) for w, lang in _HALF_HOUR_UNITS.items()},
}
#: units that mean one of themselves when no number comes before them: "tunniksi" is
#: "for an hour", "en timme till" needs no "1"; the plural forms never do.
_UNIT_ALONE = _word_set(
    "TUNTI TUNNIN TUNNIKSI TUNNIKS TUNNILLA TIMME TIMMEN PÄIVÄKSI PÄIVÄN PAIVAKSI VUOROKAUSI "
    "VUOROKAUDEKSI VUOROKAUDEN DYGN",
    *_QUARTER_UNITS,
    *_HALF_HOUR_UNITS,
)


def _finnish_numbers() -> dict[str, tuple[int, str | None]]:
    """Finnish number words 1..99 in the forms used with a unit: nominative,
    genitive, translative, adessive and the spoken short forms."""
    forms: dict[int, tuple[str, ...]] = {
        1: ("YKSI", "YHDEN", "YHDEKSI", "YHDELLÄ", "YKS", "YHDEKS"),
        2: ("KAKSI", "KAHDEN", "KAHDEKSI", "KAHDELLA", "KAKS", "KAHDEKS"),
        3: ("KOLME", "KOLMEN", "KOLMEKSI", "KOLMELLA", "KOLMEKS"),
        4: ("NELJÄ", "NELJÄN", "NELJÄKSI", "NELJÄLLÄ", "NELJÄKS"),
        5: ("VIISI", "VIIDEN", "VIIDEKSI", "VIIDELLÄ", "VIIS", "VIIDEKS"),
        6: ("KUUSI", "KUUDEN", "KUUDEKSI", "KUUDELLA", "KUUS", "KUUDEKS"),
        7: ("SEITSEMÄN", "SEITSEMÄKSI", "SEITSEMÄLLÄ", "SEITTEMÄN"),
        8: ("KAHDEKSAN", "KAHDEKSAKSI", "KAHDEKSALLA", "KAHEKSAN"),
        9: ("YHDEKSÄN", "YHDEKSÄKSI", "YHDEKSÄLLÄ", "YHEKSÄN"),
    }
    words: dict[str, tuple[int, str | None]] = {}
    for n, spelled in forms.items():
        for form in spelled:
            words[form] = (n, "fi")
            words[form + "TOISTA"] = (10 + n, "fi")  # yksitoista, viideksitoista
    for tens in range(2, 10):
        for unit in range(10):
            name = forms[tens][0] + "KYMMENTÄ" + (forms[unit][0] if unit else "")
            words[name] = (tens * 10 + unit, "fi")
        words[forms[tens][1] + "KYMMENEN"] = (tens * 10, "fi")  # kahdenkymmenen
        words[forms[tens][2] + "KYMMENEKSI"] = (tens * 10, "fi")  # kolmeksikymmeneksi
    words.update({w: (10, "fi") for w in ("KYMMENEN", "KYMMENEKSI", "KYMMENELLÄ", "KYMMENEKS")})
    words["PARI"] = (2, "fi")  # "pari tuntia": a couple of hours
    return words


def _swedish_numbers() -> dict[str, tuple[int, str | None]]:
    units = ["", "ETT", "TVÅ", "TRE", "FYRA", "FEM", "SEX", "SJU", "ÅTTA", "NIO"]
    words: dict[str, tuple[int, str | None]] = {
        name: (n, "sv") for n, name in enumerate(units) if n >= 2
    }
    teens = ["TIO", "ELVA", "TOLV", "TRETTON", "FJORTON", "FEMTON", "SEXTON", "SJUTTON"]
    words.update({name: (10 + n, "sv") for n, name in enumerate(teens)})
    words.update({"ARTON": (18, "sv"), "NITTON": (19, "sv"), "PAR": (2, "sv")})
    tens = {20: "TJUGO", 30: "TRETTIO", 40: "FYRTIO", 50: "FEMTIO", 60: "SEXTIO", 90: "NITTIO"}
    for value, name in tens.items():
        words[name] = (value, "sv")
        for n, unit in enumerate(units):
            if n:
                words[name + unit] = (value + n, "sv")  # tjugofem, fyrtiofem
    return words


_EN_UNITS = ["", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"]
_EN_TENS = {
    "TWENTY": 20,
    "THIRTY": 30,
    "FORTY": 40,
    "FOURTY": 40,
    "FIFTY": 50,
    "SIXTY": 60,
    "NINETY": 90,
}


def _english_numbers() -> dict[str, tuple[int, str | None]]:
    words: dict[str, tuple[int, str | None]] = {
        name: (n, "en") for n, name in enumerate(_EN_UNITS) if n
    }
    teens = ["TEN", "ELEVEN", "TWELVE", "THIRTEEN", "FOURTEEN", "FIFTEEN", "SIXTEEN"]
    words.update({name: (10 + n, "en") for n, name in enumerate(teens)})
    words.update({"SEVENTEEN": (17, "en"), "EIGHTEEN": (18, "en"), "NINETEEN": (19, "en")})
    words.update({name: (value, "en") for name, value in _EN_TENS.items()})
    words["COUPLE"] = (2, "en")
    return words


def _number_words() -> dict[str, tuple[int, str | None]]:
    words = {**_english_numbers(), **_swedish_numbers(), **_finnish_numbers()}
    folded = {w.translate(_ASCII_FOLD): v for w, v in words.items()}
    return {**folded, **words}


#: number word -> (value, language)
_NUMBER_WORDS = _number_words()
#: words that stand for "one" only before a unit or a fraction: "an hour", "en timme",
#: "another hour", "a couple of hours"
_ARTICLES: dict[str, str | None] = {"A": "en", "AN": "en", "ANOTHER": "en", "EN": "sv", "ETT": "sv"}
#: fraction words -> (value, language): "puoli tuntia", "puolitoista tuntia", "halvannan timme"
_FRACTIONS: dict[str, tuple[float, str | None]] = {
    **{
        w: (0.5, "fi")
        for w in ("PUOLI", "PUOL", "PUOLEKSI", "PUOLEKS", "PUOLEN", "PUOLELLA", "PUOLIKAS")
    },
    **{w: (1.5, "fi") for w in ("PUOLITOISTA", "PUOLENTOISTA", "PUOLEKSITOISTA", "PUOLELLATOISTA")},
    "HALV": (0.5, "sv"),
    "HALVANNAN": (1.5, "sv"),
    "HALVTANNAN": (1.5, "sv"),
    "HALF": (0.5, "en"),
}
_CONJUNCTIONS: dict[str, str | None] = {"JA": "fi", "OCH": "sv", "AND": "en"}
#: words that may start a duration in words (see :func:`_match_spoken`)
_SPOKEN_STARTS = frozenset({*_NUMBER_WORDS, *_ARTICLES, *_FRACTIONS, *_UNIT_ALONE})

_DATE_WORDS = _word_set(
    "TODAY TOMORROW TÄNÄÄN TANAAN HUOMENNA YLIHUOMENNA IDAG IMORGON ÖVERMORGON",
    "MAANANTAI TIISTAI KESKIVIIKKO TORSTAI PERJANTAI LAUANTAI SUNNUNTAI",
    "MÅNDAG TISDAG ONSDAG TORSDAG FREDAG LÖRDAG SÖNDAG",
    "MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY SUNDAY",
)

#: words that never start a spaced plate ("FOR 2 hours", "ALUE 101", ...)
_NOT_PLATE_START = frozenset(
    {
        "FOR",
        *_ZONE_WORDS,
        *_FILLERS,
        *_COURTESY,
        *_GREETINGS,
        *_PARK_PREFIXES,
        *_KEYWORDS,
        *_UNTIL_BEFORE,
        *_UNTIL_AFTER,
    }
)

# --------------------------------------------------------------------------
# Regular expressions (all applied to upper-case tokens)
# --------------------------------------------------------------------------

_L = "A-ZÅÄÖÜ"
_DIGITS_RE = re.compile(r"\d+")
_INT_RE = re.compile(r"-?\d+")
_LETTERS_RE = re.compile(rf"[{_L}]+")
_CHOICE_RE = re.compile(r"[1-9]")
_DIGITS_THEN_LETTERS_RE = re.compile(rf"\d+[{_L}]+")
_ZONE_DIGITS_RE = re.compile(r"\d{1,5}")
_ZONE_CODE_RE = re.compile(rf"[{_L}0-9]{{1,5}}")
#: second half of a plate typed with a space: "123", "12D" (Swedish)
_PLATE_TAIL_RE = re.compile(rf"\d{{1,3}}[{_L}]?")
#: a longer second half: "12345" (Norway, Poland), "1234" (Latvia), "1AB23", "1234A" (Poland)
_LONG_PLATE_TAIL_RE = re.compile(rf"\d{{4,5}}|\d[{_L}0-9]{{3,4}}")
#: the first half of a Russian plate: letter, three digits, two letters ("A123BC")
_RUSSIAN_PLATE_RE = re.compile(r"[ABEKMHOPCTYX]\d{3}[ABEKMHOPCTYX]{2}")
_RUSSIAN_REGION_RE = re.compile(r"\d{2,3}")
#: tokens that keep inner '.', ',', ':', '/' (durations, dates, time ranges)
_NUMERIC_KEEP_RES = (
    re.compile(rf"-?\d{{1,3}}[.,:]\d{{1,2}}[{_L}]*"),
    re.compile(r"\d{1,2}(?:[:.]\d{2})?-\d{1,2}(?:[:.]\d{2})?"),
    re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}"),
    re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?"),
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}"),
)
_NUMBER_UNIT_RE = re.compile(rf"(-?\d+(?:[.,]\d+)?)([{_L}]+)")
_GLUED_HM_RE = re.compile(r"(-?\d+)(?:H|T|TIM)(\d{1,2})(?:M|MIN)?")
_COLON_RE = re.compile(r"(-?\d+):(\d{1,2})")
_DECIMAL_RE = re.compile(r"(-?\d+)[.,](\d+)")
_PLAIN_NUMBER_RE = re.compile(r"-?\d+(?:[.,]\d+)?")
_TIME_RANGE_RE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?-(\d{1,2})(?:[:.](\d{2}))?")
_DATE_RES = (
    re.compile(r"\d{1,2}\.\d{1,2}(?:\.(?:\d{2}|\d{4}))?"),
    re.compile(r"\d{1,2}/\d{1,2}(?:/(?:\d{2}|\d{4}))?"),
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}"),
)

# --------------------------------------------------------------------------
# Cleaning and tokenising
# --------------------------------------------------------------------------

#: Unicode categories turned into a token separator (emoji, symbols, quotes,
#: brackets, controls, unassigned/private).
_SEPARATOR_CATEGORIES = frozenset(
    {"So", "Sk", "Sm", "Sc", "Cc", "Co", "Cn", "Cs", "Pi", "Pf", "Ps", "Pe", "Zl", "Zp"}
)
#: Unicode categories dropped without a trace (variation selectors, joiners).
_DROP_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


#: markup some phone apps and copy-paste leave in a text: "<b>2h</b>"
_MARKUP_RE = re.compile(r"</?[A-Za-z][^<>]{0,20}>")
#: an arrow before an end time: "ABC-123 101 -> 18"
_ARROW_RE = re.compile(r"[-\u2010-\u2015\u2212=]+>|[\u2192\u21d2\u2794\u279c\u27f6]")
#: an apostrophe inside a word ("I'm", "don't", "it's"): dropped, so "I'm" is one word
#: and its "m" is never read as minutes
_APOSTROPHE_RE = re.compile(r"(?<=[^\W\d_])['\u2019\u02bc`\u00b4](?=[^\W\d_])")
#: vulgar fractions typed with a number ("1½h"): read as a decimal
_VULGAR_FRACTIONS = {"½": ",5", "¼": ",25", "¾": ",75"}
_VULGAR_RE = re.compile(r"(\d?)([½¼¾])")
#: a word with a Cyrillic letter: a Russian plate typed on a Russian phone ("А123ВС")
_CYRILLIC_WORD_RE = re.compile(r"\S*[\u0400-\u04ff]\S*")


class _CleanTable(dict[int, str | None]):
    """``str.translate`` table for :func:`_clean`, filled per character on first use."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        out: str | None
        if ch.isspace():
            out = " "
        elif is_dash(ch):
            out = "-"
        else:
            category = unicodedata.category(ch)
            if category in _DROP_CATEGORIES:
                out = None
            else:
                out = " " if category in _SEPARATOR_CATEGORIES else ch
        self[code] = out
        return out


_CLEAN_TABLE = _CleanTable()


def _vulgar(match: re.Match[str]) -> str:
    return (match.group(1) or "0") + _VULGAR_FRACTIONS[match.group(2)]


def _latin_plate_word(match: re.Match[str]) -> str:
    word = match.group(0)
    # Only plate-shaped words: one with a digit ("А123ВС77"), or a short one ("ВС").
    if any(ch.isdigit() for ch in word) or len(word) <= 3:
        return word.translate(CYRILLIC_LOOKALIKES)
    return word


def _clean(body: str) -> str:
    """NFKC-normalise, drop markup, read arrows as TILL, map dashes to '-',
    symbols/emoji/quotes to spaces (see the module docstring, step 1)."""
    text = body if body.isascii() else unicodedata.normalize("NFKC", _VULGAR_RE.sub(_vulgar, body))
    if "<" in text:
        text = _MARKUP_RE.sub(" ", text)
    if ">" in text or not text.isascii():
        text = _ARROW_RE.sub(" TILL ", text)
    if "'" in text or "`" in text or not text.isascii():
        text = _APOSTROPHE_RE.sub("", text)
    if not text.isascii():
        text = _CYRILLIC_WORD_RE.sub(_latin_plate_word, text)
    return text.translate(_CLEAN_TABLE)


class _Tok(NamedTuple):
    """One token: as typed (after cleaning) and in upper case."""

    raw: str
    up: str


def _is_token_char(ch: str) -> bool:
    return ch.isalnum() or ch == "-"


#: a word that is one token as it stands (the common case, read without the loop)
_SIMPLE_WORD_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def _split_word(word: str) -> list[str]:
    """Split one whitespace-delimited word into tokens (see module docstring)."""
    if _SIMPLE_WORD_RE.fullmatch(word):
        return [word]
    # Strip surrounding punctuation, but keep a leading '-' before a digit
    # (negative durations must be seen to be rejected).
    start, end = 0, len(word)
    while start < end and not word[start].isalnum():
        if word[start] == "-" and start + 1 < end and word[start + 1].isdigit():
            break
        start += 1
    while end > start and not word[end - 1].isalnum():
        end -= 1
    core = word[start:end]
    if not core:
        return []
    upper = core.upper()
    if any(pattern.fullmatch(upper) for pattern in _NUMERIC_KEEP_RES):
        return [core]
    parts: list[str] = []
    current: list[str] = []
    for ch in core:
        if _is_token_char(ch):
            current.append(ch)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return [p for p in parts if p.strip("-")]


def _is_clock(text: str) -> bool:
    return re.fullmatch(r"\d{1,2}(?:[:.]\d{2})?", text) is not None


def _strip_punct(word: str) -> str:
    return word.strip("".join(ch for ch in set(word) if not _is_token_char(ch)))


def _dash_joinable(left: str, right: str) -> bool:
    """True when ``left - right`` is a plate (1-3 letters, then a digit) or a clock range."""
    left, right = _strip_punct(left), _strip_punct(right)
    if not left or not right:
        return False
    if _LETTERS_RE.fullmatch(left.upper()) and len(left) <= 3 and right[0].isdigit():
        return True
    return _is_clock(left) and _is_clock(right)


def _merge_dashes(words: list[str]) -> list[str]:
    """Re-join whitespace-separated words around a dash.

    ``ABC - 123`` / ``ABC- 123`` / ``ABC -123`` -> ``ABC-123`` (1-3 letters
    then a digit), ``10 - 12`` / ``10:00 - 12:00`` -> one time-range word.
    Any other spacing around dashes is left alone (``101 -2h`` stays a
    negative duration).
    """
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        word = words[i]
        nxt = words[i + 1] if i + 1 < n else None
        after = words[i + 2] if i + 2 < n else None
        if (
            nxt is not None
            and after is not None
            and not nxt.strip("-")
            and _dash_joinable(word, after)
        ):
            words[i + 2] = f"{word}-{after}"
            i += 2
            continue
        if (
            nxt is not None
            and word.endswith("-")
            and word.strip("-")
            and _dash_joinable(word.rstrip("-"), nxt)
        ):
            words[i + 1] = word + nxt
            i += 1
            continue
        if (
            nxt is not None
            and nxt.startswith("-")
            and nxt.strip("-")
            and _dash_joinable(word, nxt.lstrip("-"))
        ):
            words[i + 1] = word + nxt
            i += 1
            continue
        out.append(word)
        i += 1
    return out


_GLUED_WORD_NUMBER_RE = re.compile(rf"([{_L}]{{3,}})(\d[{_L}0-9.,:]*)")


def _unglue(raw: str) -> list[str]:
    """Split a keyword or zone word glued to its number: ``jatka30``, ``alue101``.

    A token that starts with a keyword and goes on with a number (``JATKA30``,
    ``jatka1h``) is the keyword, never a plate: plates have at most three letters
    before the digits, so only words of four letters or more are split (``ZON12`` may be
    a Swedish plate and stays whole).
    """
    if raw.isalpha() or raw.isdigit():
        return [raw]
    glued = _GLUED_WORD_NUMBER_RE.fullmatch(raw.upper())
    if glued is None or len(raw) != len(raw.upper()):
        return [raw]
    word = glued.group(1)
    if len(word) >= 4 and (word in _KEYWORDS or word in _ZONE_WORDS):
        return [raw[: len(word)], raw[len(word) :]]
    return [raw]


def _tokenize(cleaned: str) -> list[_Tok]:
    """Split a cleaned message into tokens (see module docstring, step 3)."""
    raw_tokens: list[str] = []
    words = cleaned.split()
    if "-" in cleaned:
        words = _merge_dashes(words)
    for word in words:
        for part in _split_word(word):
            raw_tokens.extend(_unglue(part))
    return [_Tok(raw, raw.upper()) for raw in raw_tokens]


# --------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------


class _Bad(enum.Enum):
    """Marker for a duration-shaped text whose value is not acceptable."""

    BAD = "bad"


_BAD = _Bad.BAD
_DurationValue: TypeAlias = int | _Bad


def _checked(minutes: float) -> _DurationValue:
    value = round(minutes)
    if value <= 0 or value > MAX_DURATION_MINUTES:
        return _BAD
    return value


def _bare_integer_minutes(n: int) -> _DurationValue:
    """The bare-number rule for an integer: 1..12 hours, 13..1440 minutes."""
    if 1 <= n <= 12:
        return n * 60
    if 13 <= n <= 1440:
        return n
    return _BAD


def _bare_number_minutes(text: str) -> _DurationValue | None:
    """Apply the bare-number rule to one token; None when it is not a number."""
    if _INT_RE.fullmatch(text):
        return _bare_integer_minutes(int(text))
    colon = _COLON_RE.fullmatch(text)
    if colon:
        return _hours_minutes(colon.group(1), colon.group(2))
    decimal = _DECIMAL_RE.fullmatch(text)
    if decimal:
        whole, frac = decimal.groups()
        if len(frac) == 2 and int(frac) < 60:
            return _hours_minutes(whole, frac)
        return _checked(float(f"{whole}.{frac}") * 60)
    return None


def _hours_minutes(hours: str, minutes: str) -> _DurationValue:
    if int(minutes) >= 60 or hours.startswith("-"):
        return _BAD
    return _checked(int(hours) * 60 + int(minutes))


def _number(text: str) -> float | None:
    if _PLAIN_NUMBER_RE.fullmatch(text) is None:
        return None
    return float(text.replace(",", "."))


@dataclass
class _DurationMatch:
    value: _DurationValue
    consumed: int
    language: str | None


def _match_unit_component(
    toks: Sequence[_Tok], i: int
) -> tuple[float, int, int, str | None] | None:
    """Match ``<number><unit>`` or ``<number> <unit>`` at ``i``.

    Returns (amount, minutes per unit, tokens consumed, language) or None.
    """
    if i >= len(toks):
        return None
    up = toks[i].up
    glued = _NUMBER_UNIT_RE.fullmatch(up)
    if glued and glued.group(2) in _UNITS:
        per_unit, lang = _UNITS[glued.group(2)]
        amount, consumed = float(glued.group(1).replace(",", ".")), 1
    else:
        number = _number(up)
        if number is None or i + 1 >= len(toks) or toks[i + 1].up not in _UNITS:
            return None
        (per_unit, lang), amount, consumed = _UNITS[toks[i + 1].up], number, 2
    if per_unit in (15, 30) and amount > 4:
        return None  # "101 vartti" is zone 101 for a quarter, not 101 quarters
    return amount, per_unit, consumed, lang


#: what an amount was read from: a number, an article (a/an/en: one, never a bare number)
#: or a fraction (half, puoli: needs a unit, "half an hour")
_AmountKind: TypeAlias = Literal["number", "article", "fraction"]


class _Amount(NamedTuple):
    """A number read from words or digits, before a unit."""

    value: float
    consumed: int
    language: str | None
    kind: _AmountKind


def _number_word(toks: Sequence[_Tok], i: int) -> tuple[int, int, str | None] | None:
    """A number in words at ``i``: (value, tokens, language). ``forty five``, ``forty-five``."""
    up = toks[i].up
    if up in _NUMBER_WORDS:
        value, language = _NUMBER_WORDS[up]
        if up in _EN_TENS and i + 1 < len(toks) and toks[i + 1].up in _EN_UNITS[1:]:
            return value + _EN_UNITS.index(toks[i + 1].up), 2, language
        return value, 1, language
    if "-" in up:
        tens, _, unit = up.partition("-")
        if tens in _EN_TENS and unit in _EN_UNITS[1:]:
            return _EN_TENS[tens] + _EN_UNITS.index(unit), 1, "en"
    return None


def _amount(toks: Sequence[_Tok], i: int) -> _Amount | None:
    """Read the amount of a duration in words at ``i`` (see :func:`_match_spoken`)."""
    n = len(toks)
    if i >= n:
        return None
    up = toks[i].up
    j = i + 1
    kind: _AmountKind = "number"
    digits = _number(up)
    word = None if digits is not None else _number_word(toks, i)
    if digits is not None:
        value, language = digits, None
    elif word is not None:
        value, consumed, language = word
        j = i + consumed
        if up == "COUPLE" and j < n and toks[j].up == "OF":
            j += 1  # "couple of hours"
    elif up in _ARTICLES:
        value, language, kind = 1.0, _ARTICLES[up], "article"
        nxt = toks[j].up if j < n else ""
        if nxt in ("COUPLE", "PAR"):
            value, kind, j = 2.0, "number", j + 1  # "a couple of hours", "ett par timmar"
            if j < n and toks[j].up == "OF":
                j += 1
        elif nxt in _FRACTIONS:
            value, kind, j = _FRACTIONS[nxt][0], "fraction", j + 1  # "a half", "en halv"
    elif up in _FRACTIONS:
        value, language = _FRACTIONS[up]
        kind = "fraction"
    else:
        return None
    # "two and a half", "kaksi ja puoli", "en och en halv"
    if kind != "fraction" and j < n and toks[j].up in _CONJUNCTIONS:
        k = j + 1
        if k < n and toks[k].up in _ARTICLES:
            k += 1
        if k < n and _FRACTIONS.get(toks[k].up, (0.0, None))[0] == 0.5:
            value, kind, j = value + 0.5, "number", k + 1
    return _Amount(float(value), j - i, language, kind)


class _Tail(NamedTuple):
    """The smaller part of a duration after whole hours (see :func:`_duration_tail`)."""

    minutes: float
    half: bool  # "and a half": half of the unit before it
    consumed: int
    language: str | None


_NO_TAIL = _Tail(0.0, False, 0, None)


def _duration_tail(toks: Sequence[_Tok], j: int) -> _Tail:
    """Read what may follow whole hours at ``j``: ``and a half``, ``ja puoli``, ``och en
    halv``; ``ja vartti``, ``and a quarter``, ``and 15 minutes``, ``30 minuuttia``."""
    n = len(toks)
    conjunction = j < n and toks[j].up in _CONJUNCTIONS
    k = j + 1 if conjunction else j
    if conjunction:
        h = k + 1 if k < n and toks[k].up in _ARTICLES else k
        if h < n and _FRACTIONS.get(toks[h].up, (0.0, None))[0] == 0.5:
            return _Tail(0.0, True, h + 1 - j, _FRACTIONS[toks[h].up][1])
    amount = _amount(toks, k)
    start = k + amount.consumed if amount is not None else k
    if start >= n or toks[start].up not in _UNITS:
        return _NO_TAIL
    per_unit, language = _UNITS[toks[start].up]
    if per_unit not in (1, 15):
        return _NO_TAIL
    if amount is None and not (conjunction and toks[start].up in _UNIT_ALONE):
        return _NO_TAIL
    value = amount.value if amount is not None else 1.0
    return _Tail(value * per_unit, False, start + 1 - j, language)


def _add_tail(total: float, per_unit: int, tail: _Tail) -> float:
    return total + (per_unit / 2 if tail.half else tail.minutes)


_QUARTER_OF_HOUR = (("OF", "AN", "HOUR"), ("OF", "A", "HOUR"), ("OF", "HOUR"), ("HOUR",))


def _match_spoken(toks: Sequence[_Tok], i: int) -> _DurationMatch | None:
    """Read a duration in words at ``i``; None when there is none.

    ``[amount] unit [tail]``: the amount is digits, a number word in any of the
    three languages (Finnish case forms too: ``kahdeksi``, ``kahden``), an article
    (``an``, ``en``: one), a fraction (``puoli``, ``puolitoista``, ``halvannan``,
    ``half``), optionally with ``and a half``/``ja puoli``/``och en halv``; the unit
    any unit word (``tuntia``, ``tunniksi``, ``timmar``, ``hours``, ``vartti``,
    ``kvart``); a singular unit alone is one of it (``tunniksi``, ``timme``); the
    tail ``and a half``, ``ja vartti``, ``and 15 minutes``. ``quarter of an hour``
    and ``half an hour`` read as spoken.
    """
    n = len(toks)
    amount = _amount(toks, i)
    j = i
    if amount is not None:
        j += amount.consumed
        if amount.kind == "fraction" and j < n and toks[j].up in _ARTICLES:
            j += 1  # "half an hour"
    if j >= n or toks[j].up not in _UNITS:
        return None
    unit = toks[j].up
    per_unit, language = _UNITS[unit]
    if amount is None:
        if unit not in _UNIT_ALONE:
            return None
        value = 1.0
    else:
        value = amount.value
        language = language or amount.language
    j += 1
    if per_unit == 15:
        for words in _QUARTER_OF_HOUR:
            if tuple(t.up for t in toks[j : j + len(words)]) == words:
                j += len(words)
                break
    total = value * per_unit
    if per_unit >= 60:
        tail = _duration_tail(toks, j)
        if tail.consumed:
            total = _add_tail(total, per_unit, tail)
            j += tail.consumed
            language = language or tail.language
    if value < 0:
        return _DurationMatch(_BAD, j - i, language)
    return _DurationMatch(_checked(total), j - i, language)


def _starts_spoken(toks: Sequence[_Tok], i: int) -> bool:
    """Whether a duration in words may start at ``i`` (a cheap test before reading it)."""
    up = toks[i].up
    if up in _SPOKEN_STARTS or ("-" in up and up.partition("-")[0] in _EN_TENS):
        return True
    # "1 and a half hours", "2 ja puoli tuntia"
    return i + 1 < len(toks) and toks[i + 1].up in _CONJUNCTIONS and _number(up) is not None


def _match_duration(toks: Sequence[_Tok], i: int, *, bare: bool) -> _DurationMatch | None:
    """Try to read one duration starting at token ``i``.

    Forms: ``2h``, ``2 h``, ``1.5h``, ``1,5 h``, ``90min``, ``1h30``,
    ``1h 30min``, ``1 tunti 30 minuuttia``, ``1:30``, ``1.30``/``1,5`` (bare
    decimals), durations in words (:func:`_match_spoken`), an optional ``for``
    in front; with ``bare=True`` also a bare integer or number word (see the
    bare-number rule). Returns None when the tokens at ``i`` are not a duration.
    """
    n = len(toks)
    if i >= n:
        return None
    up = toks[i].up
    if up.isalpha() and up not in _SPOKEN_STARTS and up != "FOR":
        return None  # (every duration has a digit or starts with one of those words)
    if up.isdecimal():
        # The common bare number ("101", "30"): a unit or "and a half" may follow it.
        after = toks[i + 1].up if i + 1 < n else ""
        if after not in _UNITS and after not in _CONJUNCTIONS:
            return _DurationMatch(_bare_integer_minutes(int(up)), 1, None) if bare else None
    if up == "FOR":
        inner = _match_duration(toks, i + 1, bare=True)
        if inner is None:
            return None
        return _DurationMatch(inner.value, inner.consumed + 1, inner.language or "en")

    if _starts_spoken(toks, i):
        spoken = _match_spoken(toks, i)
        if spoken is not None:
            return spoken
        for words, minutes, language in _WORD_DURATIONS_BY_HEAD.get(up, ()):
            if tuple(t.up for t in toks[i : i + len(words)]) == words:
                return _DurationMatch(minutes, len(words), language)
        word = _number_word(toks, i)
        if word is not None:
            if not bare:
                return None
            number, consumed, language = word
            return _DurationMatch(_bare_integer_minutes(number), consumed, language)
        if _number(up) is None:
            return None

    if up[0].isdigit() or up[0] == "-":
        glued_hm = _GLUED_HM_RE.fullmatch(up)
        if glued_hm:
            return _DurationMatch(_hours_minutes(glued_hm.group(1), glued_hm.group(2)), 1, None)

    first = _match_unit_component(toks, i)
    if first is not None:
        amount, per_unit, consumed, lang = first
        total = amount * per_unit
        # "1h 30min", "1 tunti 30 minuuttia": a minutes part after whole hours
        if per_unit == 60 and amount == int(amount) and amount >= 0:
            second = _match_unit_component(toks, i + consumed)
            if second is not None and second[1] == 1 and second[0] >= 0:
                total += second[0]
                consumed += second[2]
                lang = lang or second[3]
            else:
                tail = _duration_tail(toks, i + consumed)
                if tail.consumed:
                    total = _add_tail(total, per_unit, tail)
                    consumed += tail.consumed
                    lang = lang or tail.language
        if amount < 0:
            return _DurationMatch(_BAD, consumed, lang)
        return _DurationMatch(_checked(total), consumed, lang)

    # Bare colon/decimal forms are unambiguous durations anywhere.
    if _COLON_RE.fullmatch(up) or _DECIMAL_RE.fullmatch(up):
        value = _bare_number_minutes(up)
        if value is not None:
            return _DurationMatch(value, 1, None)
    if bare and _INT_RE.fullmatch(up):
        value = _bare_number_minutes(up)
        if value is not None:
            return _DurationMatch(value, 1, None)
    return None


def parse_duration(text: str) -> int | None:
    """Parse a whole text as a duration; return minutes, or None.

    Accepts every form :func:`parse_sms` accepts (``2h``, ``2 t``,
    ``90 min``, ``1h30``, ``1 h 30 min``, ``1:30``, ``1,5 h``, ``for 2
    hours``, ``2 tuntia``, ``2 timmar``, ``1 day``, ``kaksi tuntia``,
    ``tunniksi``, ``an hour and a half`` ...), case-insensitively,
    including a bare number under the bare-number rule (1..12 -> hours,
    13..1440 -> minutes). Returns None when the text is not a duration or
    when its value is not within 1 minute .. 7 days, so a returned value is
    always valid. Never raises.
    """
    toks = _tokenize(_clean(text))
    if not toks:
        return None
    match = _match_duration(toks, 0, bare=True)
    if match is None or match.consumed != len(toks) or isinstance(match.value, _Bad):
        return None
    return match.value


# --------------------------------------------------------------------------
# Slot scanning (plate / zone / duration / date / time range)
# --------------------------------------------------------------------------


_CLOCK_TOKEN_RE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(AM|PM)?")
#: below this hour an unmarked ``H:MM`` is a duration (``1:30``), from it a clock time
CLOCK_FROM_HOUR = 5


def _clock_at(toks: Sequence[_Tok], i: int, *, marked: bool) -> tuple[str | _Bad, int] | None:
    """Read a clock time at ``i``; return ("HH:MM" or _BAD, tokens consumed) or None.

    Forms: ``18``, ``18:00``, ``18.30``, ``6pm``, ``6 pm``, ``6:30pm``. Without a
    marker word (``marked=False``) only ``H:MM``/``H.MM`` with H >= 5 and the am/pm
    forms are clock times (see the module docstring).
    """
    if i >= len(toks):
        return None
    m = _CLOCK_TOKEN_RE.fullmatch(toks[i].up)
    if m is None:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    consumed = 1
    if half is None and i + 1 < len(toks) and toks[i + 1].up in ("AM", "PM"):
        half, consumed = toks[i + 1].up, 2
    if half is None and not marked and (m.group(2) is None or hour < CLOCK_FROM_HOUR):
        return None
    if half is not None:
        if not 1 <= hour <= 12 or minute > 59:
            return _BAD, consumed
        hour = hour % 12 + (12 if half == "PM" else 0)
    elif hour > 24 or minute > 59 or (hour == 24 and minute):
        return _BAD, consumed
    return f"{hour % 24:02d}:{minute:02d}", consumed


def _match_until(toks: Sequence[_Tok], i: int) -> tuple[str | _Bad, int, str | None] | None:
    """Read an end clock time at ``i``: ``till 18``, ``klo 17 asti``, ``17 asti``, ``17:30``.

    Returns (value, tokens consumed, language revealed) or None.
    """
    up = toks[i].up
    if not (up in _UNTIL_BEFORE or up[0].isdigit()):
        return None
    if up.isdigit():
        following = toks[i + 1].up if i + 1 < len(toks) else ""
        if following not in _UNTIL_AFTER and following not in ("AM", "PM"):
            return None  # a bare number is never an unmarked clock time
    language: str | None = None
    start = i
    if up in _UNTIL_BEFORE:
        language = _UNTIL_BEFORE[up]
        start = i + 1
        found = _clock_at(toks, start, marked=True)
    else:
        plain = _clock_at(toks, i, marked=True)
        after = i + plain[1] if plain is not None else i
        if plain is not None and after < len(toks) and toks[after].up in _UNTIL_AFTER:
            found = plain
        else:
            found = _clock_at(toks, i, marked=False)
    if found is None:
        return None
    value, consumed = found
    end = start + consumed
    if end < len(toks) and toks[end].up in _UNTIL_AFTER:
        language = language or _UNTIL_AFTER[toks[end].up]
        end += 1
    return value, end - i, language


class _Mode(enum.Enum):
    PARK = "park"  # first 1-5 digit number = zone, later ones = duration
    EXTEND = "extend"  # every bare number = duration
    BOOK = "book"  # first 1-5 digit number = zone; dates and time ranges


@dataclass
class _Scan:
    plates: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    durations: list[_DurationValue] = field(default_factory=list)
    untils: list[str | _Bad] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    ranges: list[tuple[str, str] | None] = field(default_factory=list)
    zone_word_without_code: bool = False
    leftovers: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    #: zone_after[k]: a zone may follow from token k on (see :func:`_zone_ahead`)
    zone_after: list[bool] | None = None

    def hint(self, language: str | None) -> None:
        if language is not None:
            self.languages.append(language)

    @property
    def found_anything(self) -> bool:
        return bool(
            self.plates
            or self.zones
            or self.durations
            or self.untils
            or self.zone_word_without_code
        )


def _is_date(up: str) -> bool:
    return up in _DATE_WORDS or any(p.fullmatch(up) for p in _DATE_RES)


def _time_range(up: str) -> tuple[str, str] | _Bad | None:
    """Return (from, to) as zero-padded HH:MM, _BAD for an invalid range, None if no range."""
    m = _TIME_RANGE_RE.fullmatch(up)
    if m is None:
        return None
    h1, m1, h2, m2 = int(m.group(1)), int(m.group(2) or 0), int(m.group(3)), int(m.group(4) or 0)
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        return _BAD
    if (h1 == 24 and m1) or (h2 == 24 and m2) or (h1, m1) >= (h2, m2):
        return _BAD
    return f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"


# -- zones typed with the letter O or I, or with a space ----------------------------------

_LOOKS_LIKE_DIGITS = str.maketrans("OI", "01")
_CONFUSABLE_RE = re.compile(rf"[{_L}0-9]{{2,5}}")


@functools.lru_cache(maxsize=16)
def _zones_as_read(known: frozenset[str]) -> dict[str, str | None]:
    """Known zones by their code with O read as 0 and I as 1; None where two collide."""
    out: dict[str, str | None] = {}
    for code in known:
        key = code.translate(_LOOKS_LIKE_DIGITS)
        out[key] = None if key in out and out[key] != code else code
    return out


def _confused_zone(up: str, known: frozenset[str]) -> str | None:
    """The known zone ``up`` stands for when typed with O for 0 or I for 1 (``1O1``, ``IO2``,
    ``EVI``), or None: not such a token, or not exactly one known zone reads so."""
    if not known or up in known or ("O" not in up and "I" not in up):
        return None
    if not _CONFUSABLE_RE.fullmatch(up) or up in _VOCABULARY:
        return None
    if not any(ch.isdigit() for ch in up) and len(up) < 3:
        return None
    return _zones_as_read(known).get(up.translate(_LOOKS_LIKE_DIGITS))


def _zone_code(up: str, known: frozenset[str]) -> str | None:
    """The zone code ``up`` is, after a zone word: a known or O/I-typed zone, digits, or an
    unknown short code that is not a word this parser knows."""
    if up in known:
        return up
    confused = _confused_zone(up, known)
    if confused is not None:
        return confused
    if _ZONE_CODE_RE.fullmatch(up) and up not in _UNITS and up not in _VOCABULARY:
        return up
    return None


def _is_zone_candidate(up: str, known: frozenset[str]) -> bool:
    """Whether ``up`` may be a zone: a known zone, or any 1-5 digits when none are known."""
    if known:
        return up in known or _confused_zone(up, known) is not None
    return _ZONE_DIGITS_RE.fullmatch(up) is not None


def _zone_ahead(toks: Sequence[_Tok], start: int, known: frozenset[str], scan: _Scan) -> bool:
    """Whether a zone may follow from ``start`` on (a number before a unit is a duration).

    Computed once per scan for every position, so long messages stay linear."""
    if scan.zone_after is None:
        after = [False] * (len(toks) + 1)
        for k in range(len(toks) - 1, -1, -1):
            candidate = _is_zone_candidate(toks[k].up, known) and not _unit_at(toks, k + 1)
            after[k] = candidate or after[k + 1]
        scan.zone_after = after
    return start < len(toks) and scan.zone_after[start]


def _zone_wins(
    toks: Sequence[_Tok], i: int, known: frozenset[str], scan: _Scan, after: int
) -> bool:
    """Whether token ``i`` is read as a zone rather than part of a plate: it may be a zone,
    no zone was read before it and none follows from ``after`` on."""
    return (
        _is_zone_candidate(toks[i].up, known)
        and not scan.zones
        and not _zone_ahead(toks, after, known, scan)
    )


# -- plates typed in two or three tokens ----------------------------------------------------


def _is_zone_like(tok: _Tok | None, known: frozenset[str]) -> bool:
    if tok is None:
        return False
    return bool(_ZONE_DIGITS_RE.fullmatch(tok.up)) or tok.up in known or tok.up in _ZONE_WORDS


def _plate_head(up: str, most: int = 3) -> bool:
    return bool(_LETTERS_RE.fullmatch(up)) and len(up) <= most and up not in _NOT_PLATE_START


def _is_number_with_unit(up: str) -> bool:
    """``2h``, ``30min``: a number glued to a unit."""
    glued = _NUMBER_UNIT_RE.fullmatch(up)
    return glued is not None and glued.group(2) in _UNITS


def _plate_tail(up: str, known: frozenset[str]) -> bool:
    if _PLATE_TAIL_RE.fullmatch(up):
        return True
    # Longer tails (Norway, Poland, Latvia) never when they read as a zone or a duration.
    return (
        _LONG_PLATE_TAIL_RE.fullmatch(up) is not None
        and up not in known
        and not _is_number_with_unit(up)
        and _GLUED_HM_RE.fullmatch(up) is None
    )


def _spaced_plate(toks: Sequence[_Tok], i: int, known: frozenset[str], scan: _Scan) -> str | None:
    """Return the display form of a plate typed as two tokens (``ABC 123``) at ``i``.

    The first token must be 1-3 letters that are not a reserved word, the
    second 1-3 digits optionally followed by one letter (``ABC 12D``), or a
    longer tail (``AB 12345``, ``KR 1AB23``, ``WPR 1234A``) that is not a known zone.
    If the first token is a known zone, it is taken as a plate only when it is
    followed by another zone-like token and no zone has been seen yet.
    """
    if i + 1 >= len(toks):
        return None
    head, tail = toks[i], toks[i + 1]
    if not _plate_head(head.up) or not _plate_tail(tail.up, known):
        return None
    if scan.plates and _is_number_with_unit(tail.up):
        return None  # "ABC-123 IOI 2h": after a plate, "2h" is the duration
    # "2 h" is a duration even if a spaced plate could start before it.
    if i + 2 < len(toks) and toks[i + 2].up in _UNITS and _DIGITS_RE.fullmatch(tail.up):
        return None
    if head.up in known:
        following = toks[i + 2] if i + 2 < len(toks) else None
        if scan.zones or not _is_zone_like(following, known):
            return None
    candidate = f"{head.raw} {tail.raw}"
    return display_plate(candidate) if looks_like_plate(candidate) else None


def _unit_at(toks: Sequence[_Tok], i: int) -> bool:
    """Whether a duration unit is at ``i`` (the number before it is a duration)."""
    return i < len(toks) and toks[i].up in _UNITS


def _letters_start_a_plate(
    toks: Sequence[_Tok], i: int, known: frozenset[str], scan: _Scan
) -> bool:
    """Whether the letters at ``i`` begin a plate of their own (``101 ABC 123``): with
    known zones, only when the number after them is not a zone (``123 ABC 101``)."""
    if _spaced_plate(toks, i, known, scan) is None:
        return False
    tail = toks[i + 1].up
    if _is_number_with_unit(tail):
        return False  # "789 TKL 1h": the "1h" is the duration
    return not known or not _is_zone_candidate(tail, known)


def _foreign_plate(
    toks: Sequence[_Tok], i: int, known: frozenset[str], scan: _Scan
) -> tuple[str, int] | None:
    """A neighbouring country's plate that a zone could otherwise take, at ``i``:
    (display form, tokens). Danish ``AB 12 345``, Estonian ``123 ABC``, Russian
    ``A123BC 77``; the number is read as a zone instead only when :func:`_zone_wins`."""
    n = len(toks)
    up = toks[i].up
    if i + 1 >= n:
        return None
    nxt = toks[i + 1].up
    if up[0].isdigit():
        # Estonia: three digits, three letters ("123 ABC"), unless the letters start
        # a plate of their own ("101 ABC 123").
        if (
            len(up) == 3
            and up.isdigit()
            and len(nxt) == 3
            and _plate_head(nxt)
            and nxt not in _VOCABULARY
            and not _letters_start_a_plate(toks, i + 1, known, scan)
            and not _zone_wins(toks, i, known, scan, i + 2)
        ):
            return display_plate(f"{toks[i].raw} {toks[i + 1].raw}"), 2
        return None
    if _RUSSIAN_PLATE_RE.fullmatch(up) and _RUSSIAN_REGION_RE.fullmatch(nxt):
        if _zone_wins(toks, i + 1, known, scan, i + 2) or _unit_at(toks, i + 2):
            return None
        return display_plate(f"{toks[i].raw} {toks[i + 1].raw}"), 2
    # Denmark: two letters, two digits, three digits ("AB 12 345").
    if (
        i + 2 < n
        and len(up) == 2
        and _plate_head(up)
        and len(nxt) == 2
        and nxt.isdigit()
        and len(toks[i + 2].up) == 3
        and toks[i + 2].up.isdigit()
        and not _unit_at(toks, i + 3)
        and not _zone_wins(toks, i + 2, known, scan, i + 3)
    ):
        return display_plate(" ".join(t.raw for t in toks[i : i + 3])), 3
    return None


def _joined_zone(toks: Sequence[_Tok], i: int, known: frozenset[str]) -> str | None:
    """A known zone typed in two tokens (``ev 1``), or None."""
    if i + 1 >= len(toks) or not known or not toks[i].up.isalpha() or len(toks[i].up) > 3:
        return None
    joined = toks[i].up + toks[i + 1].up
    return joined if joined in known else None


def _zone_after_word(toks: Sequence[_Tok], i: int, known: frozenset[str]) -> tuple[str, int] | None:
    """The code after a zone word at ``i``: (code, index after it), skipping the small words
    of a correction (``zone to 201``, ``zon ska vara 103``)."""
    j = i + 1
    while j < len(toks) and j <= i + 3 and toks[j].up in _CODE_LEADERS:
        j += 1
    if j >= len(toks):
        return None
    code = _zone_code(toks[j].up, known)
    return (code, j + 1) if code is not None else None


def _may_be_bare(up: str) -> bool:
    """Whether reading ``up`` as a bare number (the bare-number rule) could find more."""
    return up[0].isdigit() or up[0] == "-" or up in _NUMBER_WORDS or "-" in up


def _scan(toks: Sequence[_Tok], known: frozenset[str], mode: _Mode) -> _Scan:
    """Classify tokens left to right into slots (see module docstring)."""
    scan = _Scan()
    i = 0
    n = len(toks)
    while i < n:
        tok = toks[i]
        up = tok.up

        if up in _COURTESY:
            scan.hint(_COURTESY[up])
            i += 1
            continue
        if up in _ZONE_WORDS:
            scan.hint(_ZONE_WORDS[up])
            after_word = _zone_after_word(toks, i, known)
            if after_word is not None:
                scan.zones.append(after_word[0])
                i = after_word[1]
            else:
                scan.zone_word_without_code = True
                i += 1
            continue
        if mode is not _Mode.BOOK:
            until = _match_until(toks, i)
            if until is not None:
                scan.untils.append(until[0])
                scan.hint(until[2])
                i += until[1]
                continue
            if up in _UNTIL_BEFORE or up in _UNTIL_AFTER:
                i += 1  # "till" without a time: "parkera ABC-123 till zon 101"
                continue
        if mode is _Mode.BOOK:
            if _is_date(up):
                scan.dates.append(tok.raw)
                i += 1
                continue
            rng = _time_range(up)
            if rng is not None:
                scan.ranges.append(None if isinstance(rng, _Bad) else rng)
                i += 1
                continue
        joined = None if scan.zones else _joined_zone(toks, i, known)
        if joined is not None:
            scan.zones.append(joined)
            i += 2
            continue
        foreign = _foreign_plate(toks, i, known, scan)
        if foreign is not None:
            scan.plates.append(foreign[0])
            i += foreign[1]
            continue
        plate = _spaced_plate(toks, i, known, scan)
        if plate is not None:
            scan.plates.append(plate)
            i += 2
            continue
        if up in known:
            scan.zones.append(up)
            i += 1
            continue
        confused = _confused_zone(up, known)
        if confused is not None and not scan.zones and not _zone_ahead(toks, i + 1, known, scan):
            scan.zones.append(confused)
            i += 1
            continue
        # A duration with a unit or in H:MM form wins over a zone: "2 h 101".
        match = None if mode is _Mode.BOOK else _match_duration(toks, i, bare=False)
        if match is None:
            digits_only = _DIGITS_RE.fullmatch(up) is not None
            if digits_only and mode is not _Mode.EXTEND and not scan.zones and len(up) <= 5:
                scan.zones.append(up)
                i += 1
                continue
            if mode is not _Mode.BOOK and _may_be_bare(up):
                match = _match_duration(toks, i, bare=True)
        if match is not None:
            scan.durations.append(match.value)
            scan.hint(match.language)
            i += match.consumed
            continue
        if (
            not up.isalpha()
            and looks_like_plate(up)
            and not (scan.plates and _DIGITS_THEN_LETTERS_RE.fullmatch(up))
        ):
            # (a digits-then-letters token after a plate, like "2x", is a
            # mistyped duration rather than a second, digit-first plate)
            scan.plates.append(display_plate(tok.raw))
            i += 1
            continue
        if up in _FILLERS:
            scan.hint(_FILLER_WORDS[up])
            i += 1
            continue
        if up in _PARK_PREFIXES and up != "P":
            scan.hint(_PARK_PREFIXES[up])  # "jag vill parkera ABC 123 på zon 102"
            i += 1
            continue
        scan.leftovers.append(tok.raw)
        i += 1
    return scan


# --------------------------------------------------------------------------
# Intent builders
# --------------------------------------------------------------------------


def _first(items: Sequence[str]) -> str | None:
    return items[0] if items else None


def _last(items: Sequence[str]) -> str | None:
    return items[-1] if items else None


def _language(*hints: str | None, scan: _Scan | None = None) -> str | None:
    for hint in hints:
        if hint is not None:
            return hint
    if scan is not None and scan.languages:
        return scan.languages[0]
    return None


def _duration_slot(scan: _Scan) -> tuple[int | None, str | None, bool]:
    """Return (minutes or None, until "HH:MM" or None, is_bad) for the duration slot."""
    if len(scan.durations) + len(scan.untils) > 1:
        return None, None, True
    if scan.durations:
        value = scan.durations[0]
        return (None, None, True) if isinstance(value, _Bad) else (value, None, False)
    if scan.untils:
        until = scan.untils[0]
        return (None, None, True) if isinstance(until, _Bad) else (None, until, False)
    return None, None, False


def _park_from_scan(scan: _Scan, prefix_language: str | None) -> ParsedMessage:
    minutes, until, bad_duration = _duration_slot(scan)
    plate = _first(scan.plates)
    zone = _first(scan.zones)
    problem: str | None = None
    if len(scan.plates) > 1:
        problem = "multiple_plates"
    elif bad_duration:
        problem = "bad_duration"
    elif zone is None:
        problem = "no_zone"
    elif scan.leftovers:
        if plate is None:
            problem = "bad_plate"
        elif not scan.durations and not scan.untils:
            problem = "bad_duration"
        else:
            problem = "extra_text"
    return ParsedMessage(
        Intent.PARK,
        language=_language(prefix_language, scan=scan),
        plate=plate,
        zone=zone,
        duration_minutes=minutes,
        until_time=until,
        problem=problem,
    )


def _parse_park(
    toks: Sequence[_Tok], known: frozenset[str], prefix_language: str | None, has_prefix: bool
) -> tuple[ParsedMessage, _Scan]:
    """A park message, and the scan it was read from (its leftovers tell a question)."""
    scan = _scan(toks, known, _Mode.PARK)
    if not has_prefix and not scan.found_anything:
        language = _language(scan=scan)
        return ParsedMessage(Intent.UNKNOWN, language=language, problem="unrecognised"), scan
    return _park_from_scan(scan, prefix_language), scan


def _parse_extend(
    toks: Sequence[_Tok], known: frozenset[str], language: str | None
) -> ParsedMessage:
    scan = _scan(toks, known, _Mode.EXTEND)
    minutes, until, bad = _duration_slot(scan)
    problem: str | None = None
    if bad:
        problem = "bad_duration"
    elif minutes is None and until is None:
        problem = "extend_no_duration"
    elif len(scan.plates) > 1:
        problem = "multiple_plates"
    return ParsedMessage(
        Intent.EXTEND,
        language=_language(language, scan=scan),
        plate=_first(scan.plates),
        zone=_first(scan.zones),
        duration_minutes=minutes,
        until_time=until,
        problem=problem,
    )


def _parse_simple(
    intent: Intent, toks: Sequence[_Tok], known: frozenset[str], language: str | None
) -> ParsedMessage:
    """STOP, STATUS, RECEIPT, HELP: an optional plate (and zone); other words ignored."""
    if intent is Intent.HELP:
        return ParsedMessage(intent, language=language)
    scan = _scan(toks, known, _Mode.PARK)
    return ParsedMessage(
        intent,
        language=_language(language, scan=scan),
        plate=_first(scan.plates),
        zone=_first(scan.zones),
        problem="multiple_plates" if len(scan.plates) > 1 else None,
    )


def _parse_price(
    toks: Sequence[_Tok], known: frozenset[str], language: str | None
) -> ParsedMessage:
    """PRICE: the zone asked about and the length of stay, when given; other words ignored."""
    scan = _scan(toks, known, _Mode.PARK)
    minutes, until, bad = _duration_slot(scan)
    return ParsedMessage(
        Intent.PRICE,
        language=_language(language, scan=scan),
        zone=_first(scan.zones),
        duration_minutes=minutes,
        until_time=until,
        problem="bad_duration" if bad else None,
    )


def _parse_correct(
    toks: Sequence[_Tok], known: frozenset[str], language: str | None
) -> ParsedMessage:
    """CORRECT: the right plate and/or zone, the last ones typed (``ABC-123 -> ABC-124``).

    ``VAIHDA KIELI``/``CHANGE LANGUAGE``/``ÄNDRA SPRÅK``: the language, not a correction.
    """
    ups = {tok.up for tok in toks}
    if ups & {"KIELI", "KIELEKSI", "SPRÅK", "SPRAK", "LANGUAGE", "LANG"} or ups & _LANGUAGE_NAMES:
        return _parse_language(toks, language)
    scan = _scan(_without_negated(toks), known, _Mode.PARK)
    plate, zone = _last(scan.plates), _last(scan.zones)
    return ParsedMessage(
        Intent.CORRECT,
        language=_language(language, scan=scan),
        plate=plate,
        zone=zone,
        problem="no_target" if plate is None and zone is None else None,
    )


#: "202 not 201", "ABC-124 eikä ABC-123": what follows is the wrong one
_NEGATIONS = frozenset({"NOT", "INTE", "EI", "EIKÄ", "EIKA"})


def _without_negated(toks: Sequence[_Tok]) -> list[_Tok]:
    """``toks`` without a negation word and the plate or zone it negates."""
    out: list[_Tok] = []
    skip = 0
    for k, tok in enumerate(toks):
        if skip:
            skip -= 1
        elif tok.up in _NEGATIONS:
            spaced = k + 2 < len(toks) and _plate_head(toks[k + 1].up) and toks[k + 2].up.isdigit()
            skip = 2 if spaced else 1
        else:
            out.append(tok)
    return out


def _parse_for_person(
    intent: Intent, toks: Sequence[_Tok], known: frozenset[str], language: str | None
) -> ParsedMessage:
    """COMPLAINT, QUESTION: the plate and a known zone when named, for the person who answers."""
    scan = _scan(toks, known, _Mode.PARK)
    zone = _first([z for z in scan.zones if not known or z in known])
    return ParsedMessage(
        intent, language=_language(language, scan=scan), plate=_first(scan.plates), zone=zone
    )


def _parse_language(toks: Sequence[_Tok], language: str | None) -> ParsedMessage:
    for tok in toks:
        if tok.up in _LANGUAGE_ARGS:
            return ParsedMessage(
                Intent.LANGUAGE, language=language, target_language=_LANGUAGE_ARGS[tok.up]
            )
    return ParsedMessage(Intent.LANGUAGE, language=language, problem="bad_language")


def _parse_book(toks: Sequence[_Tok], known: frozenset[str], language: str | None) -> ParsedMessage:
    scan = _scan(toks, known, _Mode.BOOK)
    rng = scan.ranges[0] if scan.ranges else None
    problem: str | None = None
    if not scan.zones:
        problem = "no_zone"
    elif not scan.dates:
        problem = "no_date"
    elif rng is None:
        problem = "bad_time"
    elif len(scan.plates) > 1:
        problem = "multiple_plates"
    return ParsedMessage(
        Intent.BOOK,
        language=_language(language, scan=scan),
        plate=_first(scan.plates),
        zone=_first(scan.zones),
        booking_date=_first(scan.dates),
        booking_from=rng[0] if rng else None,
        booking_to=rng[1] if rng else None,
        problem=problem,
    )


def _parse_unbook(toks: Sequence[_Tok], language: str | None) -> ParsedMessage:
    for tok in toks:
        if tok.up not in _COURTESY and tok.up not in _FILLERS:
            return ParsedMessage(Intent.UNBOOK, language=language, booking_ref=tok.up)
    return ParsedMessage(Intent.UNBOOK, language=language, problem="no_booking_ref")


# --------------------------------------------------------------------------
# Sentences: questions, complaints and requests in the driver's own words
# --------------------------------------------------------------------------


#: a fine, a double charge, a refund
_COMPLAINT_WORDS = _lexicon(
    fi="SAKKO SAKON SAKKOA SAKOT SAKKOJA SAKOTETTU SAKOTTIVAT PARKKISAKKO PARKKISAKON "
    "PARKKISAKKOA PYSÄKÖINTIVIRHEMAKSU PYSÄKÖINTIVIRHEMAKSUN VIRHEMAKSU VIRHEMAKSUN "
    "VALITUS VALITTAA VALITAN REKLAMAATIO HYVITYS HYVITYSTÄ HUIJAUS",
    sv="BÖTER BÖTESLAPP P-BOT PBOT PARKERINGSBOT FELPARKERINGSAVGIFT FELPARKERINGSAVGIFTEN "
    "KONTROLLAVGIFT KLAGA KLAGOMÅL REKLAMATION ÅTERBETALNING BEDRÄGERI",
    en="FINED PENALTY COMPLAINT COMPLAIN REFUND SCAM OVERCHARGED FRAUD",
)
#: "a fine" is a complaint, "fine, thanks" is not: the word before tells
_FINE_BEFORE = frozenset({"A", "THE", "MY", "PARKING", "GOT"})
_CHARGED = _lexicon(
    fi="VELOITETTIIN VELOITITTE VELOITTI VELOITIT VELOITETTU VELOITUS VEITTE",
    sv="DROG DRAGIT DEBITERADE DEBITERAT",
    en="CHARGED BILLED",
)
_TWICE = _lexicon(fi="KAHDESTI KERTAA", sv="GÅNGER DUBBELT", en="TWICE DOUBLE TIMES")
#: money back, in either order: "rahat takaisin", "tillbaka mina pengar"
_MONEY_BACK = (
    (_word_set("RAHAT RAHANI RAHOJA RAHAA"), "TAKAISIN"),
    (_word_set("PENGAR PENGARNA"), "TILLBAKA"),
    (_word_set("MONEY"), "BACK"),
)

#: "wrong", for a correction in words: "väärä rekkari", "fel zon, ska vara 103"
_WRONG_WORDS = _lexicon(
    fi="VÄÄRÄ VÄÄRÄN VÄÄRIN VIRHEELLINEN",
    sv="FEL FELAKTIG FELAKTIGT",
    en="WRONG INCORRECT MISTYPED TYPO",
)
#: what a correction is about
_TARGET_NOUNS = frozenset(
    {
        *_ZONE_WORDS,
        "REKKARI",
        "REKKARIN",
        "REKISTERI",
        "REKISTERINUMERO",
        "REKISTERINUMERON",
        "REKISTERINRO",
        "KILPI",
        "ALUENUMERO",
        "REGNR",
        "REGNUMMER",
        "REGISTRERINGSNUMMER",
        "NUMMER",
        "NUMMERPLÅT",
        "PLATE",
        "REG",
        "REGISTRATION",
        "NUMBER",
    }
)

#: words that ask about the parking running now
_STATUS_WORDS = _lexicon(
    fi="PARKISSA PARKKEERATTU PYSÄKÖITY PYSÄKÖITYNÄ VOIMASSA PÄÄLLÄ KÄYNNISSÄ AKTIIVINEN "
    "JÄLJELLÄ TOIMIKO ONNISTUIKO MENIKÖ JATKUUKO PÄÄTTYIKÖ LOPPUIKO VOIMASSAKO",
    sv="PARKERAD PARKERADE AKTIV IGÅNG GILTIG KVAR FUNGERADE",
    en="PARKED ACTIVE RUNNING REMAINING VALID",
)
#: (question word, one of these words) anywhere in the message: a status question
_STATUS_PAIRS: dict[str, frozenset[str]] = {
    "ONKO": frozenset({"MAKSETTU", "MAKSETTUA"}),
    "DID": frozenset({"WORK", "WORKED", "GO"}),
    "GICK": frozenset({"IGENOM", "BRA"}),
    "MILLOIN": frozenset({"LOPPUU", "PÄÄTTYY", "PAATTYY", "LOPPU", "PÄÄTTYYKÖ"}),
    "NÄR": frozenset({"SLUT", "SLUTAR", "UPPHÖR", "GÅR"}),
    "NAR": frozenset({"SLUT", "SLUTAR"}),
    "WHEN": frozenset({"END", "ENDS", "EXPIRE", "EXPIRES", "FINISH", "FINISHES"}),
    "LEFT": frozenset({"TIME", "MINUTES", "HOW", "MUCH", "LONG", "ANY"}),
    "STILL": frozenset({"ON", "RUNNING", "ACTIVE", "VALID", "PARKED", "GOING"}),
    "KAUAN": frozenset({"AIKAA", "MINULLA", "JÄLJELLÄ"}),
    "KAUANKO": frozenset({"AIKAA", "MINULLA", "JÄLJELLÄ"}),
}

#: words that ask a price
_PRICE_WORDS = _lexicon(
    fi="HINTA HINNAT HINTAA HINNASTO HINTOJA TAKSA TAKSAT PALJONKO MAKSAAKO",
    sv="PRIS PRISER PRISET KOSTAR KOSTA KOSTNAD KOSTNADEN TAXA",
    en="PRICE PRICES PRICING COST COSTS TARIFF RATE RATES FEE FEES",
)
_PRICE_PHRASES = {("HOW", "MUCH"): "en", ("KUINKA", "PALJON"): "fi", ("HUR", "MYCKET"): "sv"}

#: "how ...?" is a help question unless it is "how much" (price) or "how long" (status)
_HOW_WORDS = _lexicon(fi="MITEN KUINKA", sv="HUR", en="HOW")
_HELP_WORDS = _lexicon(
    fi="OHJEET OHJEITA OHJE APUA KOMENNOT YMMÄRRÄ",
    sv="HJÄLP INSTRUKTIONER KOMMANDON FÖRSTÅR",
    en="HELP INSTRUCTIONS COMMANDS UNDERSTAND MANUAL",
)
#: "what do I send", "mitä pitää lähettää", "vad ska jag skriva": the first word, then the verb
_WHAT_WORDS = _lexicon(fi="MITÄ", sv="VAD", en="WHAT")
_SEND_WORDS = _lexicon(
    fi="LÄHETTÄÄ KIRJOITTAA LÄHETÄN KIRJOITAN",
    sv="SKRIVA SKICKA",
    en="SEND WRITE TYPE TEXT",
)

_RECEIPT_WORDS = _lexicon(
    fi="KUITTI KUITIN KUITTIA KUITTEJA",
    sv="KVITTO KVITTOT KVITTON KVITTOT",
    en="RECEIPT RECEIPTS INVOICE",
)

#: asking for more time; the strong ones without a duration too ("haluan jatkaa")
_EXTEND_STRONG = _lexicon(
    fi="JATKA JATKAA JATKAN JATKETAAN JATKAKAA JATKATKAA PIDENNÄ PIDENTÄÄ PIDENNÄN LISÄAIKAA",
    sv="FÖRLÄNG FÖRLÄNGA FÖRLÄNGER FÖRLÄNGNING",
    en="EXTEND EXTENSION",
)
#: the weak ones only with a duration: "30 min lisää", "add an hour", "en timme till"
_EXTEND_WEAK = _lexicon(fi="LISÄÄ", sv="MER YTTERLIGARE", en="ADD MORE EXTRA ANOTHER")

#: leaving: "lähden nyt", "jag åker nu", "leaving now", "I'm done"
_STOP_WORDS = _lexicon(
    fi="LÄHDEN LÄHDIN LÄHTENYT LÄHDETTY LÄHDÖSSÄ LÄHTI LÄHDETÄÄN LÄHDEMME LÄHDIMME POISTUN "
    "POISTUIN POISTUNUT POISTUMASSA LOPETA LOPETTAA LOPETTAKAA LOPETAN LOPETETAAN LOPETIN "
    "PÄÄTÄ PÄÄTTÄKÄÄ POISSA",
    sv="ÅKER ÅKT ÅKTE LÄMNAR LÄMNAT LÄMNADE AVSLUTA AVSLUTAR KLAR STOPPA",
    en="LEAVING LEFT GONE DONE FINISHED DEPARTED DEPARTING",
)
_PARKING_NOUNS = frozenset(
    {"PARKING", "PARKERING", "PARKERINGEN", "PYSÄKÖINTI", "PYSÄKÖINNIN", "PARKKI", "PARKKIA"}
)

#: words a question starts with: an unanswerable question goes to a person
_QUESTION_STARTS = _lexicon(
    fi="VOINKO VOIKO SAANKO SAAKO SAAKS MIKSI MISSÄ MILLOIN KUKA MIKÄ ONKO ONKS VOITTEKO "
    "OLISIKO PITÄÄKÖ",
    sv="KAN FÅR VARFÖR VAR NÄR VEM VILKEN FINNS GÅR ÄR",
    en="CAN MAY WHY WHERE WHEN WHO WHICH IS ARE DO DOES COULD",
)
#: common words that tell the language of a sentence (never used to act, only to answer
#: in the driver's language); words shared by two languages are left out
_SENTENCE_WORDS = _lexicon(
    fi="MINÄ MINUN MINULLA MINULTA OLEN OLI ON JO NYT TÄMÄ TÄÄ TÄSSÄ PITÄÄ AUTONI VAIKKA "
    "MUTTA SAIN MAKSOIN HALUAN VOIT VOITKO OIKEA PITI OLLA TEILLÄ TUNNIN PYSÄKÖINTI EI "
    "RAHAT TAKAISIN",
    sv="JAG DET ÄR HAR INTE VI NI BILEN FAST TROTS ATT SKA HÄR NU DU HUR VAD PENGARNA "
    "TILLBAKA TILL",
    en="IM MY IS IT THE THIS YOU DO DOES WHAT GOT ALTHOUGH BUT PAID SHOULD BE ITS ME ALL "
    "NOW CAN HAVE TO MONEY BACK",
)
_SENTENCE_LANGUAGE: dict[str, str | None] = {}
for _table in (
    _SENTENCE_WORDS,
    _QUESTION_STARTS,
    _STOP_WORDS,
    _EXTEND_WEAK,
    _EXTEND_STRONG,
    _RECEIPT_WORDS,
    _SEND_WORDS,
    _WHAT_WORDS,
    _HELP_WORDS,
    _HOW_WORDS,
    _PRICE_WORDS,
    _STATUS_WORDS,
    _WRONG_WORDS,
    _TWICE,
    _CHARGED,
    _COMPLAINT_WORDS,
):
    for _word, _lang in _table.items():
        _SENTENCE_LANGUAGE.setdefault(_word, _lang)

#: every word that may make a message a sentence (checked first, so park messages pass fast)
_CUE_WORDS = frozenset(
    {
        *_COMPLAINT_WORDS,
        "FINE",
        "TICKET",
        *_CHARGED,
        *(back for _money, back in _MONEY_BACK),
        *_WRONG_WORDS,
        *_STATUS_WORDS,
        *_STATUS_PAIRS,
        *_PRICE_WORDS,
        *(phrase[0] for phrase in _PRICE_PHRASES),
        "MITÄ",
        "MAKSAA",
        *_HOW_WORDS,
        *_HELP_WORDS,
        *_WHAT_WORDS,
        *_RECEIPT_WORDS,
        *_EXTEND_STRONG,
        *_EXTEND_WEAK,
        "TILL",
        *_STOP_WORDS,
        "STOP",
    }
)


#: Finnish and Swedish verbs and nouns come in many forms: a token starting with one of
#: these stems counts as the cue word it maps to ("jatkaisitko" -> JATKAA, "sakotettiin"
#: -> SAKKO, "lähtenyt" -> LÄHDEN).
_STEMS: dict[str, str] = {
    "JATKA": "JATKAA",
    "JATKE": "JATKAA",
    "PIDENN": "PIDENNÄ",
    "PIDENT": "PIDENNÄ",
    "LISÄAIKA": "LISÄAIKAA",
    "LISAAIKA": "LISÄAIKAA",
    "FÖRLÄNG": "FÖRLÄNGA",
    "FORLANG": "FÖRLÄNGA",
    "LÄHD": "LÄHDEN",
    "LÄHT": "LÄHDEN",
    "LAHD": "LÄHDEN",
    "LAHT": "LÄHDEN",
    "POISTU": "POISTUN",
    "LOPET": "LOPETA",
    "SAKK": "SAKKO",
    "SAKOT": "SAKKO",
    "PARKKISAK": "SAKKO",
    "VIRHEMAKS": "SAKKO",
    "PYSÄKÖINTIVIRHEMAKS": "SAKKO",
    "HYVIT": "HYVITYS",
    "VALITU": "VALITUS",
    "LAPPU": "SAKKO",
    "LAPUN": "SAKKO",
    "VALITT": "VALITUS",
    "REKLAM": "VALITUS",
    "BÖTE": "BÖTER",
    "FELPARKERING": "BÖTER",
    "PARKERINGSBOT": "BÖTER",
}
_STEM_PREFIXES = tuple(sorted(_STEMS, key=len, reverse=True))


def _stem(up: str) -> str | None:
    """The cue word a token is a form of (see :data:`_STEMS`), or None."""
    if not up.startswith(_STEM_PREFIXES):
        return None
    return next(_STEMS[prefix] for prefix in _STEM_PREFIXES if up.startswith(prefix))


def _has_pair(ups: Sequence[str], pairs: Mapping[tuple[str, str], str | None]) -> bool:
    return any(pair in pairs for pair in itertools.pairwise(ups))


def _is_complaint(ups: Sequence[str], words: frozenset[str]) -> bool:
    if not words.isdisjoint(_COMPLAINT_WORDS):
        return True
    for before, word in itertools.pairwise(ups):
        if word in ("FINE", "TICKET") and before in _FINE_BEFORE:
            return True  # "a fine", "a parking ticket", "got a ticket"
    charged_twice = not words.isdisjoint(_CHARGED) and not words.isdisjoint(_TWICE)
    money_back = any(back in words and not words.isdisjoint(money) for money, back in _MONEY_BACK)
    return charged_twice or money_back


def _is_status_question(ups: Sequence[str], words: frozenset[str]) -> bool:
    if not words.isdisjoint(_STATUS_WORDS):
        return True
    if "HOW" in words and "LONG" in words and not words.isdisjoint({"HAVE", "LEFT", "IS"}):
        return True  # "how long is left", "how long do I have"
    return any(
        first in words and not words.isdisjoint(second) for first, second in _STATUS_PAIRS.items()
    )


def _is_price_question(ups: Sequence[str], words: frozenset[str]) -> bool:
    if not words.isdisjoint(_PRICE_WORDS) or _has_pair(ups, _PRICE_PHRASES):
        return True
    return "MAKSAA" in words and "MITÄ" in words  # "mitä 202 maksaa"


def _is_help_question(ups: Sequence[str], words: frozenset[str]) -> bool:
    if ups[0] in _HOW_WORDS:
        return len(ups) < 2 or ups[1] not in ("MUCH", "PALJON", "MYCKET", "LONG", "KAUAN", "LÄNGE")
    if not words.isdisjoint(_HELP_WORDS):
        return True
    return ups[0] in _WHAT_WORDS and not words.isdisjoint(_SEND_WORDS)


def _without(toks: Sequence[_Tok], drop: Collection[str]) -> list[_Tok]:
    return [tok for tok in toks if tok.up not in drop]


def _read_extension(
    toks: Sequence[_Tok], ups: Sequence[str], words: frozenset[str], known: frozenset[str]
) -> ParsedMessage | None:
    """More time in words: ``haluan jatkaa 30 min``, ``30 min lisää``, ``add an hour``,
    ``one more hour``, ``en timme till``. A weak word needs a duration."""
    strong = not words.isdisjoint(_EXTEND_STRONG)
    trailing_till = len(ups) > 1 and ups[-1] == "TILL"  # Swedish "en timme till"
    if not (strong or trailing_till or not words.isdisjoint(_EXTEND_WEAK)):
        return None
    # ("another hour": the word is also the "one" of the duration, so it stays)
    rest = _without(toks, {*_EXTEND_STRONG, *_EXTEND_WEAK, "AIKAA", "TID", "TIME"} - {*_ARTICLES})
    if trailing_till:
        rest = [tok for tok in rest if tok is not toks[-1]]
    parsed = _parse_extend(rest, known, None)
    if not strong and parsed.problem == "extend_no_duration":
        return None
    if parsed.plate is not None and parsed.zone is not None:
        return None  # a plate and a zone: a park message with a stray word
    return parsed


def _read_leaving(
    toks: Sequence[_Tok], words: frozenset[str], known: frozenset[str]
) -> ParsedMessage | None:
    """Leaving in words: ``lähden nyt``, ``jag åker nu``, ``I'm leaving``, ``can you stop my
    parking?`` (never a message that starts with STOP: that is an opt-out word)."""
    leaving = not words.isdisjoint(_STOP_WORDS) or (
        "STOP" in words and not words.isdisjoint(_PARKING_NOUNS)
    )
    if not leaving:
        return None
    scan = _scan(toks, known, _Mode.PARK)
    timed = (scan.durations or scan.untils) and not _in_the_past(words)
    if timed or (scan.plates and scan.zones):
        return None  # "lähden klo 18": an end time, not a stop
    return ParsedMessage(
        Intent.STOP,
        language=_language(scan=scan),
        plate=_first(scan.plates),
        zone=_first(scan.zones),
        problem="multiple_plates" if len(scan.plates) > 1 else None,
    )


def _read_sentence(toks: Sequence[_Tok], known: frozenset[str]) -> ParsedMessage | None:
    """Read a message that is a sentence with a cue word (module docstring, step 7)."""
    ups = [tok.up for tok in toks]
    stems = {stem for up in ups if (stem := _stem(up)) is not None}
    words = frozenset(ups).union(stems)
    if words.isdisjoint(_CUE_WORDS):
        return None
    if _is_complaint(ups, words):
        return _parse_for_person(Intent.COMPLAINT, toks, known, None)
    if not words.isdisjoint(_WRONG_WORDS):
        correction = _parse_correct(toks, known, None)
        if correction.intent is Intent.CORRECT and (
            correction.problem is None or not words.isdisjoint(_TARGET_NOUNS)
        ):
            return correction
    if _is_status_question(ups, words):
        status = _parse_simple(Intent.STATUS, toks, known, None)
        if status.plate is None or status.zone is None:
            return status  # ("I parked at 101 with ABC-123" is a park message)
    if _is_price_question(ups, words):
        return _parse_price(toks, known, None)
    if _is_help_question(ups, words):
        return ParsedMessage(Intent.HELP)
    if not words.isdisjoint(_RECEIPT_WORDS):
        if not words.isdisjoint(_WRONG_WORDS):
            # "the receipt was wrong": a complaint about it, not a request for it
            return _parse_for_person(Intent.COMPLAINT, toks, known, None)
        return _parse_simple(Intent.RECEIPT, toks, known, None)
    return _read_extension(toks, ups, words, known) or _read_leaving(toks, words, known)


def _in_the_past(words: frozenset[str]) -> bool:
    """Whether the message says when ("an hour ago", "tunti sitten"), not how long."""
    return not words.isdisjoint({"AGO", "SEDAN", "SITTEN"})


def _sentence_language(toks: Sequence[_Tok]) -> str | None:
    """The language of the first word that tells it, for answers to sentences."""
    for tok in toks:
        language = _SENTENCE_LANGUAGE.get(tok.up) or _SENTENCE_LANGUAGE.get(_stem(tok.up) or "")
        if language is not None:
            return language
    return None


def _is_question(toks: Sequence[_Tok], asked: bool) -> bool:
    return asked or toks[0].up in _QUESTION_STARTS


# --------------------------------------------------------------------------
# Keyword typos
# --------------------------------------------------------------------------

#: the command keywords a mistyped first word is matched against -> the form to suggest
_TYPO_KEYWORDS = """LOPETA SLUTA AVSLUTA FINISH JATKA FÖRLÄNG EXTEND TILA STATUS OHJE HJÄLP HELP
    KUITTI KVITTO RECEIPT KIELI SPRÅK LANGUAGE VARAA BOKA AVBOKA UNBOOK HINTA PRICE KORJAA
    ÄNDRA CORRECT PARKERA PYSÄKÖI"""
_TYPO_TARGETS: dict[str, str] = {
    **{word: word for word in _TYPO_KEYWORDS.split()},
    "FORLANG": "FÖRLÄNG",
    "HJALP": "HJÄLP",
    "SPRAK": "SPRÅK",
    "PYSAKOI": "PYSÄKÖI",
}
_TYPO_CHOICES = list(_TYPO_TARGETS)


def _keyword_intent(word: str) -> tuple[Intent, str | None]:
    if word in _KEYWORDS:
        return _KEYWORDS[word]
    return Intent.PARK, _PARK_PREFIXES.get(word)


def _typo_keyword(word: str, known: frozenset[str]) -> str | None:
    """The keyword ``word`` is one edit away from (two for long words), or None.

    Only words of four letters or more that this parser does not know, that are not a
    known zone: never a plate (those have digits or at most three letters) nor a zone.
    One edit is a substitution, insertion, deletion or swap of neighbours (OSA
    distance, rapidfuzz). None when two keywords of different intents are as close.
    """
    if len(word) < 4 or not word.isalpha() or word in _VOCABULARY or word in known:
        return None
    limit = 1 if len(word) <= 6 else 2
    found = process.extract(word, _TYPO_CHOICES, scorer=OSA.distance, score_cutoff=limit)
    if not found:
        return None
    best = min(distance for _, distance, _ in found)
    targets = {_TYPO_TARGETS[choice] for choice, distance, _ in found if distance == best}
    if len({_keyword_intent(target)[0] for target in targets}) != 1:
        return None
    return min(targets)


def _suggest(toks: Sequence[_Tok], known: frozenset[str]) -> ParsedMessage | None:
    """DID_YOU_MEAN for a mistyped keyword as the first word (module docstring, step 8)."""
    head = toks[0]
    word, glued_rest = head.up, ""
    glued = _GLUED_WORD_NUMBER_RE.fullmatch(head.up)
    if glued is not None and len(head.raw) == len(head.up):
        word, glued_rest = glued.group(1), head.raw[len(glued.group(1)) :]
    keyword = _typo_keyword(word, known)
    if keyword is None:
        return None
    suggestion = " ".join([keyword, *filter(None, [glued_rest]), *(tok.raw for tok in toks[1:])])
    meant = _parse_tokens(_tokenize(_clean(suggestion)), known, asked=False, suggest=False)
    if meant.intent in (Intent.UNKNOWN, Intent.DID_YOU_MEAN):
        return None
    return ParsedMessage(
        Intent.DID_YOU_MEAN, language=_keyword_intent(keyword)[1], suggestion=suggestion
    )


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def _whole_word(cleaned: str) -> str | None:
    """The message as one upper-case word without trailing punctuation, or None."""
    word: str | None = None
    for part in cleaned.split():
        if part.isalnum() or any(ch.isalnum() for ch in part):
            if word is not None:
                return None  # two words (the common case, known after two of them)
            word = part
    if word is None:
        return None
    stripped = word
    while stripped and not stripped[-1].isalnum():
        stripped = stripped[:-1].rstrip()
    while stripped and not stripped[0].isalnum():
        stripped = stripped[1:].lstrip()
    return stripped.upper()


def _strip_courtesy(toks: list[_Tok]) -> tuple[list[_Tok], str | None, bool]:
    """Drop greetings/courtesy words at both ends.

    Returns (tokens, language hint, whether only greetings were dropped).
    """
    hint: str | None = None
    greetings_only = True
    start, end = 0, len(toks)
    while start < end:
        up = toks[start].up
        pair = (up, toks[start + 1].up) if start + 1 < end else None
        if pair in _GREETING_PHRASES:
            hint = hint or _GREETING_PHRASES[pair]
            start += 2
        elif up in _GREETINGS or up in _COURTESY:
            hint = hint or _GREETINGS.get(up) or _COURTESY.get(up)
            greetings_only = greetings_only and up in _GREETINGS
            start += 1
        else:
            break
    while end > start and (toks[end - 1].up in _COURTESY or toks[end - 1].up in _GREETINGS):
        up = toks[end - 1].up  # ("kiitos hei": thanks, bye)
        hint = hint or _COURTESY.get(up) or _GREETINGS.get(up)
        greetings_only = False
        end -= 1
    if (
        start < end
        and greetings_only is False
        and all(tok.up in _PLEASANTRIES for tok in toks[start:end])
    ):
        return [], hint, False  # "kiitos, toimi hyvin", "thank you, it worked"
    return toks[start:end], hint, greetings_only


_PLUS_RE = re.compile(r"\s*[+\uff0b]\s*(?=[\d\uff10-\uff19])")


@functools.lru_cache(maxsize=64)
def _known_codes(zones: tuple[str, ...]) -> frozenset[str]:
    """The known zone codes as compared: stripped, upper case (cached: the same few lists)."""
    return frozenset(z.strip().upper() for z in zones if z.strip())


def parse_sms(body: str, known_zones: Collection[str] = ()) -> ParsedMessage:
    """Parse one incoming SMS body into a :class:`ParsedMessage`.

    ``known_zones`` holds zone codes (any case); they let letter or
    letter+digit zone codes (``KT``, ``A1``) be recognised, and a token in
    it is a zone, never a plate. 1-5 digit tokens are zones without it; with
    it, a number that is not a zone may be part of a neighbouring country's
    plate (``123 ABC``), and ``1O1`` is zone 101 when 101 is known.

    Contract highlights (the full list of accepted forms is in the module
    docstring, the test table and the corpus in tests/domain/corpus):

    * ``STOP``/``END``/``CANCEL``/``QUIT``/``STOPALL``/``UNSUBSCRIBE``/
      ``REVOKE``/``OPTOUT`` are opt-out only as the whole message, and never
      stop a parking (the one exception: the phrase ``end parking``);
      ``LOPETA``/``SLUTA``/``DONE``/``LEAVE`` and their synonyms (``AVSLUTA``,
      ``STOPP``, ``LOPPU`` ...) and sentences (``lähden nyt``) stop a parking.
    * ``DID_YOU_MEAN`` is never an order: ``suggestion`` is to be confirmed.
    * ``until_time`` is "HH:MM" when the end was given as a clock time.
    * ``plate`` is always the display form (:func:`display_plate`) of what was
      typed; ``zone`` is upper case; ``duration_minutes`` is within
      1..10080 or None.
    * ``language`` is "fi"/"sv"/"en" when a word revealed it (the first such
      word wins), else None; ``language_by_keyword`` says the opening command
      word revealed it (``command_language``), not a lesser word
      (``hinted_language``).

    Never raises; runs in well under a millisecond for SMS-sized input.
    """
    known = _known_codes(tuple(known_zones))
    cleaned = _clean(body)
    if not cleaned.strip():
        invisible = all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in body)
        return ParsedMessage(Intent.UNKNOWN, problem="empty" if invisible else "unrecognised")
    if "?" in cleaned and not cleaned.replace("?", "").strip():
        return ParsedMessage(Intent.HELP)

    word = _whole_word(cleaned)
    if word in _OPT_OUT_WORDS:
        return ParsedMessage(Intent.OPT_OUT)
    if word in _OPT_IN_WORDS:
        return ParsedMessage(Intent.OPT_IN)

    plus = ("+" in body or "\uff0b" in body) and _PLUS_RE.match(body)
    if plus:
        # "+15", "+1h": more time. (_clean turns "+" into a space, so it is seen here.)
        extended = _parse_extend(_tokenize(cleaned), known, None)
        if extended.problem is None:
            return extended

    all_toks = _tokenize(cleaned)
    if not all_toks:
        return ParsedMessage(Intent.UNKNOWN, problem="unrecognised")
    toks, courtesy_language, greetings_only = _strip_courtesy(all_toks)
    if not toks:
        if greetings_only:
            # "Hei" alone: someone new to the service, answer with the help text.
            return ParsedMessage(Intent.HELP, language=courtesy_language)
        return ParsedMessage(Intent.UNKNOWN, language=courtesy_language, problem="courtesy")
    result = _parse_tokens(toks, known, asked="?" in cleaned, suggest=True)
    if result.language is None and courtesy_language is not None:
        result = replace(result, language=courtesy_language)
    return result


def _parse_tokens(
    toks: list[_Tok], known: frozenset[str], *, asked: bool, suggest: bool
) -> ParsedMessage:
    """Parse a non-empty token list without edge courtesy words (module docstring, 5-9).

    ``asked``: the message holds a question mark. ``suggest``: a mistyped keyword may
    be offered (not when reading a suggestion back).
    """
    head = toks[0].up
    for phrase, intent, language in _PHRASES_BY_HEAD.get(head, ()):
        if tuple(tok.up for tok in toks[: len(phrase)]) == phrase:
            return _by_keyword(_parse_keyword(intent, language, toks[len(phrase) :], known))
    if head in _OPT_OUT_WORDS or head in _OPT_IN_WORDS:
        return ParsedMessage(Intent.UNKNOWN, problem="opt_out_word")

    if len(toks) == 1:
        if head in _YES_WORDS:
            return _by_keyword(ParsedMessage(Intent.YES, language=_YES_WORDS[head]))
        if head in _NO_WORDS:
            return _by_keyword(ParsedMessage(Intent.NO, language=_NO_WORDS[head]))
        if _CHOICE_RE.fullmatch(head):
            return ParsedMessage(Intent.CHOICE, choice=int(head))
    named = [tok.up for tok in toks if tok.up not in _LANGUAGE_NAME_FILLERS]
    if len(named) == 1 and named[0] in _LANGUAGE_NAMES:
        return ParsedMessage(Intent.LANGUAGE, target_language=_LANGUAGE_ARGS[named[0]])

    rest = toks[1:]
    if head in _KEYWORDS:
        intent, language = _KEYWORDS[head]
        parsed = _parse_keyword(intent, language, rest, known)
        return _by_keyword(parsed) if language is not None else parsed

    sentence = _read_sentence(toks, known)
    if sentence is not None:
        return _in_language(sentence, toks)
    if suggest:
        suggestion = _suggest(toks, known)
        if suggestion is not None:
            return suggestion

    if head in _PARK_PREFIXES and head not in known:
        prefix_language = _PARK_PREFIXES[head]
        parsed, _scanned = _parse_park(rest, known, prefix_language, has_prefix=True)
        return _by_keyword(parsed) if prefix_language is not None else parsed
    parsed, scanned = _parse_park(toks, known, None, has_prefix=False)
    # (a plate and a zone with a question mark is a polite park request: "voisitko ...?")
    complete = parsed.plate is not None and parsed.zone is not None
    unread = parsed.intent is Intent.UNKNOWN or (bool(scanned.leftovers) and not complete)
    if unread and _is_question(toks, asked):
        return _in_language(_parse_for_person(Intent.QUESTION, toks, known, None), toks)
    return parsed


def _by_keyword(parsed: ParsedMessage) -> ParsedMessage:
    """``parsed``, whose opening command word revealed its language (a keyword's language
    comes before every lesser word's: :func:`_language`)."""
    if parsed.language is None:
        return parsed
    return replace(parsed, language_by_keyword=True)


def _in_language(parsed: ParsedMessage, toks: Sequence[_Tok]) -> ParsedMessage:
    """``parsed`` with the language of the sentence when no keyword or unit told it."""
    if parsed.language is not None:
        return parsed
    return replace(parsed, language=_sentence_language(toks))


def _parse_keyword(
    intent: Intent, language: str | None, rest: Sequence[_Tok], known: frozenset[str]
) -> ParsedMessage:
    """Parse the words after a keyword (or keyword phrase)."""
    if intent is Intent.EXTEND:
        return _parse_extend(rest, known, language)
    if intent is Intent.LANGUAGE:
        return _parse_language(rest, language)
    if intent is Intent.BOOK:
        return _parse_book(rest, known, language)
    if intent is Intent.UNBOOK:
        return _parse_unbook(rest, language)
    if intent in (Intent.BOOKINGS, Intent.MOVE, Intent.WAITLIST):
        # A move's reference and new time (a wait's booking) are read by ``booking_text``.
        return ParsedMessage(intent, language=language)
    if intent is Intent.PRICE:
        return _parse_price(rest, known, language)
    if intent is Intent.CORRECT:
        return _parse_correct(rest, known, language)
    return _parse_simple(intent, rest, known, language)


#: every word this parser gives a meaning to: never a typo, never a letter zone code
_VOCABULARY = frozenset(
    {
        *_OPT_OUT_WORDS,
        *_OPT_IN_WORDS,
        *_YES_WORDS,
        *_NO_WORDS,
        *_PARK_PREFIXES,
        *_KEYWORDS,
        *(word for phrase in _KEYWORD_PHRASES for word in phrase),
        *_LANGUAGE_ARGS,
        *_ZONE_WORDS,
        *_CODE_LEADERS,
        *_COURTESY,
        *_GREETINGS,
        *(word for phrase in _GREETING_PHRASES for word in phrase),
        *_FILLERS,
        *_UNTIL_BEFORE,
        *_UNTIL_AFTER,
        *_UNITS,
        *_NUMBER_WORDS,
        *_ARTICLES,
        *_FRACTIONS,
        *_CONJUNCTIONS,
        *_DATE_WORDS,
        *_SENTENCE_LANGUAGE,
        *_CUE_WORDS,
        *_TARGET_NOUNS,
        *_PARKING_NOUNS,
        *(word for pair in _STATUS_PAIRS.values() for word in pair),
        "FOR",
        "OF",
        "AM",
        "PM",
    }
)
