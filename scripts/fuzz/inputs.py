"""Random inputs for ``make fuzz``: phone numbers, plates, zones, SMS bodies, odd strings.

Every generator takes the caller's :class:`random.Random`, so a run is repeated by its seed.
The values mix what drivers really send (the parser's corpus of first messages, the
keywords of the contract, plates and zones of the demo data) with what nobody should send
but someone will: control characters, NUL, right-to-left text, emoji, combining marks,
huge numbers, very long texts, SQL and HTML injection, format strings.
"""

from __future__ import annotations

import random
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The parser's corpus (issue 12): 600 first messages as drivers typed them. Read when
# present; the fuzzer works without it.
CORPUS = ROOT / "tests" / "unit" / "corpus" / "first_messages.yaml"

DEMO_ZONES = ("101", "102", "103", "201", "202", "301", "EV1")
ZONE_VARIANTS = ("ev1", "Ev1", "ev 1", "1O1", "IO2", "381", "0101", "101.", "#101", "zone 101")
SERVICE_NUMBER = "+358451234567"

COMMANDS = (
    "LOPETA", "SLUTA", "DONE", "LEAVE", "lopeta", "Sluta!", "JATKA 30", "JATKA 1h",
    "FÖRLÄNG 1h", "EXTEND 30", "EXTEND 2:30", "+15", "+1h", "TILA", "STATUS", "status?",
    "OHJE", "APUA", "HJÄLP", "HELP", "INFO", "?", "KIELI FI", "KIELI SV", "KIELI EN",
    "SPRÅK SV", "LANG EN", "LANG XX", "KUITTI", "KVITTO", "RECEIPT", "VARAA EV1 huomenna 10-12",
    "BOKA EV1 imorgon 9-11", "BOOK EV1 tomorrow 10-12 ABC-123", "BOOK EV1 friday",
    "VARAA EV1 31.2. 25-26", "BOOK EV1 2026-12-03 10:30-12:00", "VARAUKSET", "BOKNINGAR",
    "BOOKINGS", "PERU", "AVBOKA", "UNBOOK", "PERU K7X2", "SIIRRÄ K7X2 12-14",
    "MOVE ABCD tomorrow 10-11", "JONOON", "KÖA", "WAITLIST", "KORJAA 102", "FIX ABC-124",
    "ÄNDRA 103", "HINTA", "PRIS 101", "PRICE EV1", "STOP", "STOPALL", "UNSUBSCRIBE",
    "CANCEL", "END", "QUIT", "START", "UNSTOP", "YES", "NO", "KYLLÄ", "JOO", "EI", "JA",
    "NEJ", "1", "2", "3", "9", "0", "kiitos", "hei", "hej", "thanks",
)  # fmt: skip
PARK_TEMPLATES = (
    "{plate} {zone}",
    "{plate} {zone} {duration}",
    "P {plate} {zone} {duration}",
    "PARK {plate} {zone}",
    "PYSÄKÖI {plate} {zone} {duration}",
    "PARKERA {plate} {zone}",
    "{zone} {plate} {duration}",
    "{zone}",
    "{zone} {duration}",
    "{plate}",
    "Hei! {plate} alue {zone} {duration} kiitos",
)
DURATIONS = (
    "2h", "90min", "1:30", "2 t", "15", "30 min", "1,5h", "24h", "0", "0h", "-1h", "999h",
    "99999999999999999999h", "1e9", "NaN", "∞", "½h", "kaksi tuntia", "en timme", "klo 18",
    "until 17:00", "25:99", "1:", ":30", "",
)  # fmt: skip
INJECTIONS = (
    "'; DROP TABLE orders;--", "1' OR '1'='1", "\" OR \"\"=\"", "); DELETE FROM customers; --",
    "<script>alert(1)</script>", "<![CDATA[x]]>", "]]>", "&amp;&lt;&#0;", "<Response/>",
    "%s%s%s%n", "{0}{1}", "%(plate)s", "{{7*7}}", "${jndi:ldap://x}", "../../etc/passwd",
    "\\x00", "NULL", "None", "undefined", "true", "[]", "{}", "-0", "1e308", "0x7fffffff",
)  # fmt: skip
RTL = ("\u202eABC-123 101", "مرحبا 101", "שלום ABC-123", "\u200fABC\u200e-123", "ABC\u202e-123")
EMOJI = ("🚗", "🅿️", "👍🏽", "🇫🇮", "👨‍👩‍👧", "🙏", "💨", "⏰", "❤️")
CONTROL = tuple(chr(c) for c in (*range(0, 32), 127, 0x85, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF))
NUMBERS = ("0", "-1", "2147483648", "9223372036854775808", "1" * 40, "3.14", "-0.5", "1e400")
# Digits that str.isdigit() accepts but int() refuses, and digits of other scripts.
ODD_DIGITS = ("²", "³", "①", "٣", "३", "𝟙", "໒", "５")
UNICODE_RANGES = (
    (0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
    (0x300, 0x36F), (0x900, 0x97F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
    (0xE000, 0xF8FF), (0xFE00, 0xFE0F), (0xFFF0, 0xFFFF), (0x1F300, 0x1FAFF),
    (0x10000, 0x10FFFF),
)  # fmt: skip

COUNTRY_NUMBERS = (
    "+35840{:07d}", "+35850{:07d}", "+358457{:06d}", "+3589{:07d}", "+46701{:06d}",
    "+3725{:07d}", "+4479{:08d}", "+1415{:07d}", "+49151{:08d}", "+7916{:07d}",
    "+8190{:08d}", "+33612{:06d}", "+47412{:05d}", "+3706{:07d}", "+371{:08d}",
)  # fmt: skip
ODD_NUMBERS = (
    "", "+", "+0", "0", "anonymous", "Anonymous", "+266696687", "+7378742833", "+86282452253",
    "client:alice", "sip:alice@example.com", "restricted", "unknown", "0401234567",
    "040 123 4567", "+358 40 123 4567", "00358401234567", "+358-40-123-4567", "(040) 1234567",
    "+3584012345678901234567890", "+٣٥٨٤٠١٢٣٤٥٦٧", "+358４０１２３４５６７",
)  # fmt: skip


def new_rng(seed: str, *parts: object) -> random.Random:
    """A generator of its own for one conversation, call or browser: the same seed and
    parts give the same inputs whichever thread runs them."""
    return random.Random(":".join([seed, *map(str, parts)]))  # noqa: S311 - not for secrets


def token(rng: random.Random, length: int = 32) -> str:
    """A random URL-safe token, from ``rng`` so that a run repeats."""
    return "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(length))


def hex_digits(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def load_corpus() -> list[str]:
    """The ``text`` of every row of the parser's corpus, or nothing when it is missing."""
    try:
        import yaml

        data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
        return [str(row["text"]) for row in data.get("messages", []) if "text" in row]
    except (OSError, ImportError, ValueError, KeyError, TypeError, AttributeError):
        return []


def unicode_char(rng: random.Random) -> str:
    low, high = rng.choice(UNICODE_RANGES)
    code = rng.randint(low, high)
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate cannot be sent as UTF-8
        code = 0xFFFD
    return chr(code)


def junk(rng: random.Random, length: int | None = None) -> str:
    """Random text from everything above, ``length`` characters (random when not given)."""
    n = rng.choice((0, 1, 2, 5, 10, 30, 100)) if length is None else length
    parts = []
    for _ in range(n):
        pick = rng.random()
        if pick < 0.35:
            parts.append(rng.choice(string.ascii_letters + string.digits + " -.,:"))
        elif pick < 0.7:
            parts.append(unicode_char(rng))
        elif pick < 0.8:
            parts.append(rng.choice(CONTROL))
        elif pick < 0.9:
            parts.append(rng.choice(EMOJI))
        else:
            parts.append(rng.choice(ODD_DIGITS))
    return "".join(parts)


def plate(rng: random.Random) -> str:
    """Mostly plates as drivers write them, sometimes anything."""
    pick = rng.random()
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(1, 3)))
    digits = str(rng.randint(1, 999))
    if pick < 0.5:
        return rng.choice((f"{letters}-{digits}", f"{letters}{digits}", f"{letters} {digits}"))
    if pick < 0.6:
        return rng.choice(("abc-123", "ÅÄÖ-123", "ABC–123", "АВС-123", "A123BC 77", "AB 12 345"))
    if pick < 0.7:
        return rng.choice(
            ("", " ", "-", "123", "ABC", "ABC\x00123", "ABC-123" * rng.randint(2, 40))
        )
    if pick < 0.8:
        return rng.choice(INJECTIONS + RTL)
    if pick < 0.9:
        return "please park my car it is the red one ABC-123 thank you very much"
    return junk(rng)


def zone(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.7:
        return rng.choice(DEMO_ZONES)
    if pick < 0.8:
        return rng.choice(ZONE_VARIANTS)
    if pick < 0.9:
        # "%00" as text, and a real NUL (a path quotes it to %00; PostgreSQL refuses it)
        return rng.choice(
            ("999", "000", "-1", "1" * 20, "99999", "ZZZ", "", "%00", "\x00", "10\x001", "１０１")
        )
    return junk(rng, rng.randint(1, 12))


def duration(rng: random.Random) -> str:
    return rng.choice(DURATIONS) if rng.random() < 0.85 else rng.choice(NUMBERS) + "h"


def phone(rng: random.Random) -> str:
    """A caller ID or sender: valid numbers of many countries, and not-quite numbers."""
    pick = rng.random()
    if pick < 0.8:
        return rng.choice(COUNTRY_NUMBERS).format(rng.randint(0, 999_999))
    if pick < 0.93:
        return rng.choice(ODD_NUMBERS)
    if pick < 0.97:
        return rng.choice(INJECTIONS)
    return junk(rng, rng.randint(1, 40))


def regulars(rng: random.Random, n: int) -> list[str]:
    """Numbers that text and call again and again, so conversations happen."""
    return [rng.choice(COUNTRY_NUMBERS[:6]).format(rng.randint(0, 999_999)) for _ in range(n)]


def sms_body(rng: random.Random, corpus: list[str]) -> str:
    """One message: a real command, park message or corpus text, often mangled."""
    pick = rng.random()
    if pick < 0.3:
        usual = f"{rng.choice('ABCXYZ')}BC-{rng.randint(1, 999)}"
        base = rng.choice(PARK_TEMPLATES).format(
            plate=plate(rng) if rng.random() < 0.3 else usual,
            zone=zone(rng),
            duration=duration(rng),
        )
    elif pick < 0.55:
        base = rng.choice(COMMANDS)
    elif pick < 0.8 and corpus:
        base = rng.choice(corpus)
    elif pick < 0.85:
        base = rng.choice(INJECTIONS + RTL + NUMBERS + ODD_DIGITS)
    elif pick < 0.9:
        base = ""
    else:
        base = junk(rng, rng.choice((1, 10, 100, 1000)))
    return mangle(rng, base) if rng.random() < 0.4 else base


def mangle(rng: random.Random, text: str) -> str:
    """``text`` with odd characters inserted, parts repeated or swapped, or made huge."""
    pick = rng.random()
    if pick < 0.35:
        at = rng.randint(0, len(text))
        return text[:at] + junk(rng, rng.randint(1, 5)) + text[at:]
    if pick < 0.5:
        return text + rng.choice(CONTROL) + rng.choice(("", text))
    if pick < 0.6:
        return "\x00".join(text.split(" ")) if " " in text else text + "\x00"
    if pick < 0.7:
        return " ".join(reversed(text.split()))
    if pick < 0.8:
        return text.upper() if rng.random() < 0.5 else text.lower()
    if pick < 0.9:  # long: 1,600 characters is the most Twilio sends
        length = rng.choice((1600, 1601, 5000, 20_000, 100_000))
        unit = (text or "x") + " "
        return (unit * (length // len(unit) + 1))[:length]
    return rng.choice(EMOJI) * rng.randint(1, 50) + text + rng.choice(RTL)


def message_sid(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.9:
        return "SM" + hex_digits(rng, 32)
    if pick < 0.95:
        return rng.choice(("SM", "X", "sm" + "0" * 32, "SM" + "f" * 200, "MM" + "1" * 32))
    return junk(rng, rng.randint(1, 60))


def call_sid(rng: random.Random) -> str:
    if rng.random() < 0.92:
        return "CA" + hex_digits(rng, 32)
    return rng.choice(("CA", "CA" + "a" * 300, "", " ", junk(rng, rng.randint(1, 60))))


def digits(rng: random.Random) -> str:
    """What a caller keys: menu choices, zone codes, minutes, or nonsense."""
    pick = rng.random()
    if pick < 0.45:
        return rng.choice("1234567890*#")
    if pick < 0.7:
        return rng.choice(("101", "102", "201", "301", "381", "999", "30", "15", "60", "120"))
    if pick < 0.8:
        return rng.choice(("", "#", "*#", "00", "0#", "101#", "30#", "1234567890123#"))
    if pick < 0.9:
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 400)))
    return rng.choice((*ODD_DIGITS, *INJECTIONS, junk(rng, rng.randint(1, 20))))


def speech(rng: random.Random, corpus: list[str]) -> str:
    """What the speech recogniser heard: plates spelled out, words, silence, garbage."""
    pick = rng.random()
    if pick < 0.3:
        return rng.choice(
            (
                "A B C 1 2 3", "aa bee see yksi kaksi kolme", "x y z double one", "hello",
                "ett två tre", "ABC-123 please", "yes", "no", "kyllä", "ei", "sata yksi",
                "one hundred and one", "lopeta", "jatka puoli tuntia", "English", "svenska",
            )
        )  # fmt: skip
    if pick < 0.5 and corpus:
        return rng.choice(corpus)
    if pick < 0.7:
        return ""
    if pick < 0.85:
        return mangle(rng, plate(rng))
    return junk(rng, rng.choice((1, 20, 300, 5000)))
