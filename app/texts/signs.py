"""Printable signs for a zone's pole: A4 portrait, as PDF and SVG, drawn from one layout.

What a driver reads, top down: the zone code and the service number in large type; the
message to text (``ABC-123 101``); the paid hours per weekday group, the price per hour,
the daily cap and the longest stay; for a zone whose code has letters the digits to key
when calling; the QR code of the web form ``/p/<zone>`` with how to stop and extend.
Words are in Finnish, Swedish and English on one sign, Finnish first, as on Finnish
municipal signs; the facts themselves (code, number, hours, prices) are written once.

Readable at 2 m: a letter needs about 10 mm of cap height to be read comfortably from
2 m (it then subtends about 17 arc minutes, over three times the 5' of 6/6 acuity), so
every fact is set at a cap height of at least :data:`MIN_KEY_CAP_MM`; the words around
them at least :data:`MIN_CAPTION_CAP_MM` (readable from 2 m with normal sight), and only
the web address under the QR code, read from close by, smaller. Sizes are chosen from
:data:`PRESETS`, largest first, so that the content fills the page; what is left is
spread between the blocks, so no large area stays empty.

Both outputs use Helvetica's metrics (the PDF's core font; in the SVG Helvetica, Arial or
Liberation Sans, which share them), so the layout measures every line before placing it
and nothing overlaps or runs off the page (checked by the tests on :class:`SignLayout`).
The PDF is drawn with fpdf2 (pure Python, no system libraries), its text in the core
font's Windows-1252 encoding so that "€", "–" and "·" print.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Literal
from xml.sax.saxutils import escape

import phonenumbers
import segno
from babel.numbers import format_currency
from flask_babel import force_locale
from flask_babel import gettext as _

from app.backend import zones
from app.config import LANGUAGES, Settings
from app.domain.pricing import DAY_ABBREVIATIONS, END_OF_DAY, Window, parse_paid_hours
from app.models import Zone

PAGE_WIDTH = 210.0  # A4 portrait, mm
PAGE_HEIGHT = 297.0
MARGIN = 9.0
MM_PER_PT = 25.4 / 72
# Helvetica (AFM): cap height 718/1000 em; every glyph, accents included, stays within
# 931/1000 above and 225/1000 below the baseline (FontBBox).
CAP_HEIGHT = 0.718
ASCENT = 0.931
DESCENT = 0.225
# Capitals and digits, overshoot included (Helvetica "O" 0.737, "Q" -0.056, bold alike).
CAPS_ASCENT = 0.75
CAPS_DESCENT = 0.07
_CAPS_AND_DIGITS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
LINE_GAP = 0.08  # em between stacked lines of one block, beyond ascent and descent
MIN_KEY_CAP_MM = 10.0
MIN_CAPTION_CAP_MM = 5.0
MIN_FINE_CAP_MM = 2.5
SEPARATOR = " \u00b7 "  # between the languages of one line
BLUE = "#0b4f9c"
WHITE = "#ffffff"
INK = "#111111"
RULE = "#9fb4cc"
EXAMPLE_PLATE = "ABC-123"

Role = Literal["symbol", "code", "key", "caption", "fine"]
Anchor = Literal["start", "middle", "end"]


@dataclass(frozen=True)
class Preset:
    """Type sizes in points and the QR code's side in mm, for one try at the layout."""

    key_pt: float
    caption_pt: float
    qr_mm: float


PRESETS = (
    Preset(80, 32, 70),
    Preset(72, 30, 70),
    Preset(66, 28, 68),
    Preset(60, 26, 66),
    Preset(56, 25, 62),
    Preset(52, 24, 58),
    Preset(48, 23, 54),
    Preset(46, 22, 52),
    Preset(44, 21, 50),
    Preset(42, 20, 44),
    Preset(41, 20, 40),
)
# Below the readable minimum: only for a zone whose paid hours come in many groups.
LAST_RESORT_PRESETS = (Preset(36, 18, 38), Preset(32, 16, 36), Preset(28, 14, 34))
CODE_MAX_PT = 150.0
HEADER_WORD_PT = 21.0
HEADER_NAME_PT = 24.0
FINE_PT = 12.0
WORDS_TO_KEY = 0.62  # the largest words beside a fact, to the fact's size
CAPTION_MIN_PT = MIN_CAPTION_CAP_MM / (CAP_HEIGHT * MM_PER_PT)  # 19.7 pt
PAIR_GAP = 8.0  # mm between two facts sharing a row
MIN_QR_MM = 40.0
MIN_BESIDE = 40.0  # mm: less room than this beside a fact, and its words go above it
GRID_GAP = 6.0  # mm between the columns of facts
GRID_ROW_GAP = 4.0
MIN_GAP = 2.5  # mm between blocks


# ---- measuring ---------------------------------------------------------------------------


def printable(text: str) -> str:
    """``text`` in the characters the core font has (Windows-1252): others lose their
    accents, or become "?"."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char)[:1]
            try:
                base.encode("cp1252")
                out.append(base)
            except UnicodeEncodeError:
                out.append("?")
    return "".join(out)


def text_width(text: str, size_pt: float, bold: bool) -> float:
    """The advance width of ``text`` in mm, in Helvetica (bold or regular)."""
    # Imported here: fpdf costs a web worker about 35 MiB and only sign pages need it.
    from fpdf.fonts import CORE_FONTS_CHARWIDTHS

    widths = CORE_FONTS_CHARWIDTHS["helveticaB" if bold else "helvetica"]
    encoded = printable(text).encode("cp1252").decode("latin-1")
    return sum(widths.get(c, 556) for c in encoded) * size_pt / 1000 * MM_PER_PT


def extent(text: str) -> tuple[float, float]:
    """How far ``text`` reaches above and below its baseline, per em: capitals, digits
    and hyphens (a zone code) stay within the capitals' height and Q's tail; anything
    else within the font's bounding box."""
    if text and all(c in _CAPS_AND_DIGITS for c in text):
        return CAPS_ASCENT, CAPS_DESCENT
    return ASCENT, DESCENT


def _em(size_pt: float) -> float:
    return size_pt * MM_PER_PT


def line_height(size_pt: float) -> float:
    """Baseline to baseline of stacked lines: glyph boxes never touch."""
    return _em(size_pt) * (ASCENT + DESCENT + LINE_GAP)


# ---- the layout ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def inside(self, other: Box) -> bool:
        """Within ``other``, give or take a rounding error (a micrometre)."""
        e = 1e-3
        return (
            other.left - e <= self.left
            and self.right <= other.right + e
            and other.top - e <= self.top
            and self.bottom <= other.bottom + e
        )


@dataclass(frozen=True)
class Text:
    """One line of text: ``x`` is where ``anchor`` sits, ``baseline`` from the page top."""

    text: str
    x: float
    baseline: float
    size_pt: float
    bold: bool
    role: Role
    anchor: Anchor = "start"
    color: str = INK

    @property
    def width(self) -> float:
        return text_width(self.text, self.size_pt, self.bold)

    @property
    def left(self) -> float:
        shift = {"start": 0.0, "middle": self.width / 2, "end": self.width}[self.anchor]
        return self.x - shift

    @property
    def cap_height(self) -> float:
        return _em(self.size_pt) * CAP_HEIGHT

    @property
    def box(self) -> Box:
        ascent, descent = extent(self.text)
        em = _em(self.size_pt)
        return Box(
            self.left,
            self.baseline - em * ascent,
            self.left + self.width,
            self.baseline + em * descent,
        )


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    radius: float = 0.0
    role: Literal["band", "symbol", "rule"] = "rule"

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.x + self.width, self.y + self.height)


@dataclass(frozen=True)
class QrCode:
    """The QR code of ``url``: its square on the page, quiet zone (``border`` modules)
    included."""

    x: float
    y: float
    size: float
    url: str
    border: int = 2

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.x + self.size, self.y + self.size)


@dataclass
class SignLayout:
    """Everything drawn on the sign, in mm on an A4 page, top-left origin."""

    texts: list[Text] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)
    qr: QrCode | None = None
    preset: Preset = PRESETS[0]

    @property
    def printable_area(self) -> Box:
        return Box(MARGIN, MARGIN, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN)

    def all_text(self) -> str:
        return "\n".join(t.text for t in self.texts)


# ---- what the sign says --------------------------------------------------------------------


def form_url(settings: Settings, zone: Zone) -> str:
    """Where the QR code leads: the booking page of a bookable zone, else the parking form."""
    if zone.bookable and zone.capacity:
        return f"{settings.public_base_url}/book/{zone.code}"
    return f"{settings.public_base_url}/p/{zone.code}"


def display_number(number: str) -> str:
    """The service number as people read it: ``+358451234567`` -> ``+358 45 1234567``
    (phonenumbers' INTERNATIONAL format); returned as given if it does not parse."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _each_language(build: Callable[[], str]) -> list[str]:
    """``build()`` in Finnish, Swedish and English, in that order."""
    texts = []
    for lang in LANGUAGES:
        with force_locale(lang):
            texts.append(printable(str(build())))
    return texts


def _day_words(days: Sequence[int], lang: str) -> str:
    """Weekdays as a sign writes them: ``ma–pe``, ``lör, sön``, ``Mon–Sun``."""
    names = DAY_ABBREVIATIONS[lang]
    if lang == "en":
        names = tuple(n.capitalize() for n in names)
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        names[r[0]] if len(r) == 1 else f"{names[r[0]]}\u2013{names[r[-1]]}" for r in runs
    )


def _clock(t: time) -> str:
    """``8``, ``13.30``, ``24``: hours as Finnish signs write them."""
    if t == END_OF_DAY:
        return "24"
    return f"{t.hour}" if t.minute == 0 else f"{t.hour}.{t.minute:02d}"


def _hours_words(windows: Sequence[Window]) -> str:
    """Paid windows as a sign writes them: ``8–18``, ``8–12, 13.30–18``."""
    return ", ".join(f"{_clock(a)}\u2013{_clock(b)}" for a, b in windows)


def paid_groups(zone: Zone) -> list[tuple[list[int], str]]:
    """The zone's paid hours as (weekdays, hours) groups, days with the same hours
    together, by their first weekday."""
    groups: dict[tuple[Window, ...], list[int]] = {}
    for day, windows in sorted(parse_paid_hours(zone.paid_hours).items()):
        groups.setdefault(tuple(windows), []).append(day)
    return [
        (days, _hours_words(windows))
        for windows, days in sorted(groups.items(), key=lambda item: item[1][0])
    ]


def _money(cents: int, currency: str, *, whole_if_even: bool = False) -> str:
    """An amount as a Finnish sign writes it: ``2,40 €``, ``15 €``."""
    amount = Decimal(cents) / 100
    pattern = "#,##0 \u00a4" if whole_if_even and cents % 100 == 0 else None
    text = format_currency(amount, currency, format=pattern, locale="fi_FI", currency_digits=False)
    return printable(str(text).replace("\u00a0", " "))


def _duration(minutes: int) -> str:
    """``240`` -> ``4 h``, ``90`` -> ``90 min``: short, and the same in every language."""
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def _free_words(zone: Zone) -> list[str]:
    """The words under the paid hours: "other times free", or "free of charge" for a zone
    without paid hours, or nothing for a zone paid around the clock."""
    paid = parse_paid_hours(zone.paid_hours)
    if not paid:
        return _each_language(lambda: _("Free of charge"))
    if len(paid) == 7 and all(w == ((time(0), END_OF_DAY),) for w in paid.values()):
        return []
    return _each_language(lambda: _("Other times free"))


@dataclass(frozen=True)
class Fact:
    """One row of the sign: the words in three languages, the fact written once."""

    words: list[str]
    value: str
    bold_words: bool = False


@dataclass(frozen=True)
class SignContent:
    zone_word: list[str]
    code: str
    name: str
    number: str
    text_or_call: list[str]
    message_words: list[str]
    message: str
    hours: list[Fact]
    other_times_free: list[str]
    facts: list[Fact]
    call_keys: Fact | None
    scan_words: list[str]
    stop_words: list[str]
    url: str
    # The privacy notice, fine print under the web address: "Tietosuoja · …: <url>".
    privacy: str = ""


def sign_content(zone: Zone, settings: Settings, sign: str | None = None) -> SignContent:
    """What the sign of ``zone`` says, before it is laid out."""
    currency = settings.currency
    hours = [
        Fact([_day_words(days, lang) for lang in LANGUAGES], value, bold_words=True)
        for days, value in paid_groups(zone)
    ]
    facts = []
    if zone.rate_per_hour_cents or hours:  # a zone free at all times has no price to show
        price = f"{_money(zone.rate_per_hour_cents, currency)}/h"
        facts.append(Fact(_each_language(lambda: _("Price")), price))
    if zone.daily_cap_cents is not None:
        facts.append(
            Fact(
                _each_language(lambda: _("Most per day")),
                _money(zone.daily_cap_cents, currency, whole_if_even=True),
            )
        )
    if zone.max_minutes:
        facts.append(Fact(_each_language(lambda: _("Longest stay")), _duration(zone.max_minutes)))
    keys = zones.keyed_code(zone)
    call_keys = None
    if keys is not None and keys != zone.code:
        call_keys = Fact(_each_language(lambda: _("Call and key")), keys)
    return SignContent(
        zone_word=_each_language(lambda: _("Zone")),
        code=printable(zone.code),
        name=printable(zone.name),
        # A sign group with a number of its own (SIGN_NUMBERS) prints that number.
        number=display_number(settings.number_for_sign(sign) or settings.service_number or ""),
        text_or_call=_each_language(lambda: _("Text or call")),
        message_words=_each_language(lambda: _("Message, e.g.")),
        message=f"{EXAMPLE_PLATE} {printable(zone.code)}",
        hours=hours,
        other_times_free=_free_words(zone),
        facts=facts,
        call_keys=call_keys,
        scan_words=_each_language(
            (lambda: _("Scan to book or park on the web"))
            if zone.bookable and zone.capacity
            else (lambda: _("Scan to park on the web"))
        ),
        stop_words=_each_language(lambda: _("Stop: DONE. More time: EXTEND 30")),
        url=form_url(settings, zone) + (f"?s={sign}" if sign else ""),
        privacy=SEPARATOR.join(_each_language(lambda: _("Privacy")))
        + f": {settings.public_base_url.rstrip('/')}/privacy",
    )


# ---- placing it ------------------------------------------------------------------------------


def wrap(words: Sequence[str], size_pt: float, width: float, bold: bool = False) -> list[str]:
    """Lines for the languages' ``words``: all on one line joined by " · " when that fits
    ``width``, else one language a line, each broken after a sentence or, where it must,
    between words."""
    joined = SEPARATOR.join(words)
    if text_width(joined, size_pt, bold) <= width:
        return [joined]
    lines: list[str] = []
    for text in words:
        if text_width(text, size_pt, bold) <= width:
            lines.append(text)
            continue
        for sentence in re.split(r"(?<=\.) ", text):
            line = ""
            for word in sentence.split(" "):
                attempt = f"{line} {word}".strip()
                if line and text_width(attempt, size_pt, bold) > width:
                    lines.append(line)
                    line = word
                else:
                    line = attempt
            lines.append(line)
    return lines


def _fit_pt(text: str, largest: float, width: float, bold: bool) -> float:
    """The largest size up to ``largest`` at which ``text`` fits ``width``."""
    natural = text_width(text, largest, bold)
    # A hair under the exact fit, so that measuring again never finds it too wide.
    return largest if natural <= width else largest * width / natural * 0.999


class _Block:
    """A horizontal slice of the sign: its natural height, and how to place its parts
    when its top is at ``y``."""

    def __init__(
        self, height: float, place: Callable[[float, SignLayout], None], *, ruled: bool = False
    ) -> None:
        self.height = height
        self.place = place
        self.ruled = ruled  # a rule above it, in the gap


def _lines_block(
    lines: Sequence[str], size_pt: float, role: Role, *, bold: bool = False, x: float | None = None
) -> _Block:
    """Lines stacked, centred on the page (or starting at ``x``)."""
    em, step = _em(size_pt), line_height(size_pt)
    height = em * (ASCENT + DESCENT) + step * (len(lines) - 1)

    def place(y: float, layout: SignLayout) -> None:
        for i, line in enumerate(lines):
            layout.texts.append(
                Text(
                    line,
                    PAGE_WIDTH / 2 if x is None else x,
                    y + em * ASCENT + i * step,
                    size_pt,
                    bold,
                    role,
                    "middle" if x is None else "start",
                )
            )

    return _Block(height, place)


def _stack(*blocks: _Block, gap: float = 0.0) -> _Block:
    height = sum(b.height for b in blocks) + gap * (len(blocks) - 1)

    def place(y: float, layout: SignLayout) -> None:
        for block in blocks:
            block.place(y, layout)
            y += block.height + gap

    return _Block(height, place)


def _at_most_two_lines(text: str, size_pt: float, width: float) -> list[str]:
    """``text`` (bold) broken into lines of ``width``; a third line's words are cut, the
    second line ending in "…"."""
    lines = wrap([text], size_pt, width, bold=True)
    if len(lines) <= 2:
        return lines
    second = " ".join(lines[1:])
    while second and text_width(second + "\u2026", size_pt, True) > width:
        second = second[:-1]
    return [lines[0], second.rstrip() + "\u2026"]


def _header(content: SignContent, preset: Preset) -> _Block:
    """The blue band: a P symbol; beside it the word "zone", the code as large as the
    symbol's height allows, and the zone's name."""
    symbol = 48.0
    pad = 5.0
    text_x = MARGIN + symbol + 7
    width = PAGE_WIDTH - MARGIN - text_x
    word = SEPARATOR.join(w.upper() for w in content.zone_word)
    # The band is the same on every sign: the code gets what the two lines leave.
    word_pt = _fit_pt(word, HEADER_WORD_PT, width, False)
    name_pt = _fit_pt(content.name, HEADER_NAME_PT, width, True)
    name_lines = [content.name]
    if name_pt < CAPTION_MIN_PT:
        name_pt = CAPTION_MIN_PT
        name_lines = _at_most_two_lines(content.name, name_pt, width)
    name_step = line_height(name_pt)
    word_height = _em(word_pt) * (ASCENT + DESCENT)
    name_height = _em(name_pt) * (ASCENT + DESCENT) + name_step * (len(name_lines) - 1)
    breath = 1.5  # between the three lines
    code_room = symbol - word_height - name_height - 2 * breath
    code_ascent, code_descent = extent(content.code)
    code_pt = min(
        _fit_pt(content.code, CODE_MAX_PT, width, True),
        code_room / (MM_PER_PT * (code_ascent + code_descent)),
    )
    height = pad + symbol + pad

    def place(y: float, layout: SignLayout) -> None:
        layout.rects.append(Rect(0, y, PAGE_WIDTH, height, BLUE, role="band"))
        top = y + pad
        ring = 2.6
        layout.rects.append(Rect(MARGIN, top, symbol, symbol, WHITE, radius=5, role="symbol"))
        layout.rects.append(
            Rect(
                MARGIN + ring,
                top + ring,
                symbol - 2 * ring,
                symbol - 2 * ring,
                BLUE,
                radius=3.5,
                role="symbol",
            )
        )
        p_pt = (symbol - 2 * ring) * 0.74 / (CAP_HEIGHT * MM_PER_PT)
        p_baseline = top + symbol / 2 + _em(p_pt) * CAP_HEIGHT / 2
        layout.texts.append(
            Text("P", MARGIN + symbol / 2, p_baseline, p_pt, True, "symbol", "middle", WHITE)
        )
        baseline = top + _em(word_pt) * ASCENT
        layout.texts.append(Text(word, text_x, baseline, word_pt, False, "caption", color=WHITE))
        code_height = _em(code_pt) * (code_ascent + code_descent)
        baseline = top + word_height + breath + (code_room - code_height) / 2
        baseline += _em(code_pt) * code_ascent
        layout.texts.append(
            Text(content.code, text_x, baseline, code_pt, True, "code", color=WHITE)
        )
        name_baseline = top + symbol - _em(name_pt) * DESCENT - name_step * (len(name_lines) - 1)
        for i, line in enumerate(name_lines):
            layout.texts.append(
                Text(
                    line,
                    text_x,
                    name_baseline + i * name_step,
                    name_pt,
                    True,
                    "caption",
                    color=WHITE,
                )
            )

    return _Block(height, place)


@dataclass(frozen=True)
class _Row:
    """A fact measured for a row of ``width``: its sizes and lines of words, beside the
    fact or (``stacked``, when the fact leaves them too little room) above it."""

    fact: Fact
    value_pt: float
    words_pt: float
    lines: list[str]
    stacked: bool = False

    @property
    def words_height(self) -> float:
        words = _em(self.words_pt) * (ASCENT + DESCENT)
        return words + line_height(self.words_pt) * (len(self.lines) - 1)

    @property
    def height(self) -> float:
        value = _em(self.value_pt) * (ASCENT + DESCENT)
        if self.stacked:
            return self.words_height + 1.0 + value
        return max(value, self.words_height)


def _measure_row(fact: Fact, preset: Preset, width: float) -> _Row:
    """The words as large as fits beside the fact (up to :data:`WORDS_TO_KEY` of it, at
    least :data:`CAPTION_MIN_PT`) on one line; else at the caption size, one language a
    line; above the fact when it leaves less than :data:`MIN_BESIDE` beside it."""
    value_pt = _fit_pt(fact.value, preset.key_pt, width, True)
    beside = width - text_width(fact.value, value_pt, True) - 6
    if beside < MIN_BESIDE:
        lines = wrap(fact.words, preset.caption_pt, width, fact.bold_words)
        return _Row(fact, value_pt, preset.caption_pt, lines, stacked=True)
    one_line = SEPARATOR.join(fact.words)
    words_pt = _fit_pt(one_line, preset.key_pt * WORDS_TO_KEY, beside, fact.bold_words)
    if words_pt >= min(preset.caption_pt, CAPTION_MIN_PT):
        return _Row(fact, value_pt, words_pt, [one_line])
    lines = wrap(fact.words, preset.caption_pt, beside, fact.bold_words)
    if len(lines) > len(fact.words):  # a language's words broken: better above the fact
        lines = wrap(fact.words, preset.caption_pt, width, fact.bold_words)
        return _Row(fact, value_pt, preset.caption_pt, lines, stacked=True)
    return _Row(fact, value_pt, preset.caption_pt, lines)


def _fact_rows(facts: Sequence[Fact], preset: Preset, *, pair: bool = False) -> list[_Block]:
    """Rows of words on the left and the fact on the right, baselines aligned. With
    ``pair``, two facts whose words fit on one line in half the width share a row."""
    inner = PAGE_WIDTH - 2 * MARGIN
    half = (inner - PAIR_GAP) / 2
    rows: list[_Block] = []
    pending: _Row | None = None
    for fact in facts:
        halved = _measure_row(fact, preset, half) if pair else None
        pairs = halved is not None and not halved.stacked and len(halved.lines) == 1
        if halved is not None and pairs and halved.words_pt >= preset.caption_pt:
            if pending is None:
                pending = halved
                continue
            rows.append(_pair_row(pending, halved, half))
            pending = None
            continue
        if pending is not None:
            rows.append(_fact_row(_measure_row(pending.fact, preset, inner), MARGIN, inner))
            pending = None
        rows.append(_fact_row(_measure_row(fact, preset, inner), MARGIN, inner))
    if pending is not None:
        rows.append(_fact_row(_measure_row(pending.fact, preset, inner), MARGIN, inner))
    return rows


def _fact_grid(facts: Sequence[Fact], preset: Preset) -> _Block:
    """Facts side by side in columns (three, or two for two or four facts), each its words
    one language a line above the fact, centred in the column; the cells of a row share
    the fact's baseline."""
    if not facts:
        return _Block(0.0, lambda y, layout: None)
    count = len(facts)
    columns = 2 if count in (2, 4) else min(3, count)
    inner = PAGE_WIDTH - 2 * MARGIN
    width = (inner - GRID_GAP * (columns - 1)) / columns
    rows = [facts[i : i + columns] for i in range(0, count, columns)]
    # One language a line in every cell, a little smaller if a word needs it.
    caption = max(
        CAPTION_MIN_PT,
        min(_fit_pt(w, preset.caption_pt, width, False) for f in facts for w in f.words),
    )
    step = line_height(caption)

    def cell_lines(fact: Fact) -> list[str]:
        return [line for words in fact.words for line in wrap([words], caption, width)]

    def value_pt(fact: Fact) -> float:
        return _fit_pt(fact.value, preset.key_pt, width, True)

    def row_height(row: Sequence[Fact]) -> tuple[float, float]:
        """(height of the words part, height of the row)."""
        words = max(
            _em(caption) * (ASCENT + DESCENT) + step * (len(cell_lines(f)) - 1) for f in row
        )
        value = max(_em(value_pt(f)) * (ASCENT + DESCENT) for f in row)
        return words, words + 1.0 + value

    heights = [row_height(row) for row in rows]
    height = sum(h for _, h in heights) + GRID_ROW_GAP * (len(rows) - 1)

    def place(y: float, layout: SignLayout) -> None:
        for row, (words_height, row_total) in zip(rows, heights, strict=True):
            value_baseline = y + row_total - max(_em(value_pt(f)) for f in row) * DESCENT
            for index, fact in enumerate(row):
                centre = MARGIN + index * (width + GRID_GAP) + width / 2
                lines = cell_lines(fact)
                # The words sit right above the fact, however many lines they take.
                first = y + words_height - _em(caption) * DESCENT - step * (len(lines) - 1)
                for i, line in enumerate(lines):
                    layout.texts.append(
                        Text(line, centre, first + i * step, caption, False, "caption", "middle")
                    )
                layout.texts.append(
                    Text(fact.value, centre, value_baseline, value_pt(fact), True, "key", "middle")
                )
            y += row_total + GRID_ROW_GAP

    return _Block(height, place)


def _pair_row(left: _Row, right: _Row, half: float) -> _Block:
    first = _fact_row(left, MARGIN, half)
    second = _fact_row(right, PAGE_WIDTH - MARGIN - half, half)
    height = max(first.height, second.height)

    def place(y: float, layout: SignLayout) -> None:
        first.place(y + height - first.height, layout)
        second.place(y + height - second.height, layout)

    return _Block(height, place)


def _fact_row(row: _Row, left: float, width: float) -> _Block:
    """``row`` placed from ``left`` over ``width``: words at the left, fact at the right."""
    value_em, words_em = _em(row.value_pt), _em(row.words_pt)
    step = line_height(row.words_pt)
    height = row.height

    def place(y: float, layout: SignLayout) -> None:
        value_baseline = y + height - value_em * DESCENT
        # The words end on the fact's baseline (or stand above it), never starting above
        # the row; they come first in the document, as they are read.
        first = max(y + words_em * ASCENT, value_baseline - step * (len(row.lines) - 1))
        if row.stacked:
            first = y + words_em * ASCENT
        for i, line in enumerate(row.lines):
            layout.texts.append(
                Text(line, left, first + i * step, row.words_pt, row.fact.bold_words, "caption")
            )
        layout.texts.append(
            Text(row.fact.value, left + width, value_baseline, row.value_pt, True, "key", "end")
        )

    return _Block(height, place)


def _web_block(content: SignContent, preset: Preset, *, with_words: bool = True) -> _Block:
    """The QR code at the right; on its left, in each language, how to park on the web and
    how to stop and extend by text message; the web address below the QR code."""
    texts = [*content.scan_words, *(content.stop_words if with_words else [])]
    inner = PAGE_WIDTH - 2 * MARGIN
    # The QR code gives way (down to a size still easily scanned) for unbroken lines.
    widest = max(text_width(text, CAPTION_MIN_PT, False) for text in texts)
    size = max(MIN_QR_MM, min(preset.qr_mm, inner - 6 - widest))
    column = inner - size - 6
    # One line for each language's sentence, a little smaller if need be; else wrapped.
    words_pt = max(
        CAPTION_MIN_PT, min(_fit_pt(text, preset.caption_pt, column, False) for text in texts)
    )
    lines = [line for text in texts for line in wrap([text], words_pt, column)]
    words = _lines_block(lines, words_pt, "caption", x=MARGIN)
    url_pt = _fit_pt(content.url, FINE_PT, PAGE_WIDTH - 2 * MARGIN, False)
    url_height = _em(url_pt) * (ASCENT + DESCENT)
    privacy_pt = _fit_pt(content.privacy, FINE_PT, PAGE_WIDTH - 2 * MARGIN, False)
    privacy_height = _em(privacy_pt) * (ASCENT + DESCENT) if content.privacy else 0.0
    height = max(size, words.height) + 1.5 + url_height + privacy_height

    def place(y: float, layout: SignLayout) -> None:
        layout.qr = QrCode(PAGE_WIDTH - MARGIN - size, y, size, content.url)
        words.place(y + max(0.0, (size - words.height) / 2), layout)
        baseline = y + max(size, words.height) + 1.5 + _em(url_pt) * ASCENT
        layout.texts.append(
            Text(content.url, PAGE_WIDTH - MARGIN, baseline, url_pt, False, "fine", "end")
        )
        if content.privacy:
            layout.texts.append(
                Text(
                    content.privacy,
                    PAGE_WIDTH - MARGIN,
                    baseline + privacy_height,
                    privacy_pt,
                    False,
                    "fine",
                    "end",
                )
            )

    return _Block(height, place)


def _blocks(content: SignContent, preset: Preset, *, web_words: bool = True) -> list[_Block]:
    """The sign's blocks top down; the paid hours, the prices and the QR code each with a
    rule above."""
    inner = PAGE_WIDTH - 2 * MARGIN
    caption = preset.caption_pt
    key = preset.key_pt

    def words(texts: Sequence[str]) -> _Block:
        # On one line, a little smaller if need be; else one language a line.
        size = _fit_pt(SEPARATOR.join(texts), caption, inner, False)
        if size >= CAPTION_MIN_PT:
            return _lines_block([SEPARATOR.join(texts)], size, "caption")
        return _lines_block(wrap(texts, caption, inner), caption, "caption")

    def fact_line(text: str) -> _Block:
        return _lines_block([text], _fit_pt(text, key, inner, True), "key", bold=True)

    hours = _fact_rows(content.hours, preset, pair=True)
    free = [words(content.other_times_free)] if content.other_times_free else []
    return [
        _header(content, preset),
        _stack(words(content.text_or_call), fact_line(content.number), gap=0.8),
        *([_stack(*_fact_rows([content.call_keys], preset))] if content.call_keys else []),
        *_fact_rows([Fact(content.message_words, content.message)], preset),
        _ruled(_stack(*hours, *free, gap=1.5)),
        *([_ruled(_fact_grid(content.facts, preset))] if content.facts else []),
        _ruled(_web_block(content, preset, with_words=web_words)),
    ]


def _ruled(block: _Block) -> _Block:
    block.ruled = True
    return block


class SignDoesNotFit(ValueError):
    """The zone's sign has more than an A4 page holds at the smallest sizes."""


def _tries() -> list[tuple[Preset, bool]]:
    """Sizes to try, largest first: with the stop and extend words beside the QR code at
    every readable size, then without them, then (only for a zone with many paid-hour
    groups) below the readable minimum rather than no sign at all."""
    return (
        [(p, True) for p in PRESETS]
        + [(p, False) for p in PRESETS]
        + [(p, False) for p in LAST_RESORT_PRESETS]
    )


def layout_sign(zone: Zone, settings: Settings, sign: str | None = None) -> SignLayout:
    """The sign of ``zone`` laid out on A4: the first of :func:`_tries` whose content fits
    the page, the space left spread evenly between the blocks (a thin rule in the middle
    of the gaps before the hours, the prices and the QR code). Raises
    :class:`SignDoesNotFit` when nothing fits."""
    content = sign_content(zone, settings, sign)
    for preset, web_words in _tries():
        blocks = _blocks(content, preset, web_words=web_words)
        # The band starts at the page's top edge; the rest stays inside the margins.
        room = PAGE_HEIGHT - MARGIN - sum(b.height for b in blocks)
        if room >= MIN_GAP * (len(blocks) - 1):
            break
    else:
        raise SignDoesNotFit(f"zone {zone.code}: too much for one A4 sign")
    gap = room / (len(blocks) - 1)
    layout = SignLayout(preset=preset)
    y = 0.0
    for block in blocks:
        if block.ruled:
            rule_y = y - gap / 2 - 0.25
            layout.rects.append(Rect(MARGIN, rule_y, PAGE_WIDTH - 2 * MARGIN, 0.5, RULE))
        block.place(y, layout)
        y += block.height + gap
    return layout


# ---- drawing it ----------------------------------------------------------------------------


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m")


def _svg_text(t: Text) -> str:
    weight = "700" if t.bold else "400"
    return (
        f'<text x="{t.x:.2f}" y="{t.baseline:.2f}" font-size="{_em(t.size_pt):.2f}" '
        f'font-weight="{weight}" text-anchor="{t.anchor}" fill="{t.color}" '
        f'data-role="{t.role}">{escape(t.text)}</text>'
    )


def _svg_rect(r: Rect) -> str:
    radius = f' rx="{r.radius:.2f}"' if r.radius else ""
    return (
        f'<rect x="{r.x:.2f}" y="{r.y:.2f}" width="{r.width:.2f}" height="{r.height:.2f}"'
        f'{radius} fill="{r.fill}"/>'
    )


def _svg_qr(qr: QrCode) -> str:
    buffer = io.BytesIO()
    # omitsize: segno writes a viewBox (in modules) instead of width/height, so the nested
    # <svg> gets exactly one position and size, in the sign's units, and scales the code.
    _qr(qr.url).save(
        buffer, kind="svg", scale=1, border=qr.border, xmldecl=False, svgns=True, omitsize=True
    )
    code = buffer.getvalue().decode()
    return code.replace(
        "<svg ",
        f'<svg x="{qr.x:.2f}" y="{qr.y:.2f}" width="{qr.size:.2f}" height="{qr.size:.2f}" ',
        1,
    )


def sign_svg(zone: Zone, settings: Settings, sign: str | None = None) -> str:
    """The sign as an A4 SVG document (``viewBox`` in mm)."""
    layout = layout_sign(zone, settings, sign)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {PAGE_WIDTH:g} {PAGE_HEIGHT:g}" '
        f'width="{PAGE_WIDTH:g}mm" height="{PAGE_HEIGHT:g}mm" '
        'font-family="Helvetica, Arial, \'Liberation Sans\', sans-serif" role="img" '
        f'aria-label="{escape(zone.name)} {escape(zone.code)}">',
        f'<rect width="{PAGE_WIDTH:g}" height="{PAGE_HEIGHT:g}" fill="#fff"/>',
        *(_svg_rect(r) for r in layout.rects),
        *(_svg_text(t) for t in layout.texts),
    ]
    if layout.qr is not None:
        parts.append(_svg_qr(layout.qr))
    parts.append("</svg>")
    return "".join(parts)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def sign_pdf(zone: Zone, settings: Settings, sign: str | None = None) -> bytes:
    """The sign as a one-page A4 PDF, the QR code as filled squares (sharp at any size)."""
    from fpdf import FPDF

    layout = layout_sign(zone, settings, sign)
    pdf = FPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(printable(f"Kanava {zone.code} {zone.name}"))
    pdf.set_lang(LANGUAGES[0])
    pdf.set_auto_page_break(False)
    pdf.add_page()
    for rect in layout.rects:
        pdf.set_fill_color(*_rgb(rect.fill))
        if rect.radius:
            pdf.rect(
                rect.x,
                rect.y,
                rect.width,
                rect.height,
                style="F",
                round_corners=True,
                corner_radius=rect.radius,
            )
        else:
            pdf.rect(rect.x, rect.y, rect.width, rect.height, style="F")
    for t in layout.texts:
        pdf.set_font("helvetica", "B" if t.bold else "", t.size_pt)
        pdf.set_text_color(*_rgb(t.color))
        pdf.text(t.left, t.baseline, t.text)
    if layout.qr is not None:
        qr = layout.qr
        matrix = _qr(qr.url).matrix
        cell = qr.size / (len(matrix) + 2 * qr.border)
        pdf.set_fill_color(0, 0, 0)
        for row_index, row in enumerate(matrix):
            for col_index, dark in enumerate(row):
                if dark:
                    pdf.rect(
                        qr.x + (qr.border + col_index) * cell,
                        qr.y + (qr.border + row_index) * cell,
                        cell,
                        cell,
                        style="F",
                    )
    return bytes(pdf.output())
