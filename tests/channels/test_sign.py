"""The printable zone sign for a pole: A4, the zone code and the service number at the top in
large type, the paid hours per weekday group, price, daily cap and longest stay, how to text
and call, the QR code of the web form; fi, sv and en on one sign. Checked in the PDF's own
text, in the layout's geometry (nothing overlaps, type large enough to read at 2 m, no large
empty area) and as Chromium draws the SVG."""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from app import create_app
from app.domain.pricing import parse_money
from app.extensions import kanava
from app.models import Zone
from app.texts import signs
from tests.browser_support import ARTIFACTS, browser_page, free_port, serve
from tests.conftest import PUBLIC_BASE_URL, make_settings

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = "+358 45 1234567"
A4_POINTS = (595.28, 841.89)

# Zones that stress the layout beside the demo ones: a lettered zone with four facts, three
# groups of paid hours with a split day, a free zone, a long code and a long name.
EXTRA_ZONES: list[dict[str, Any]] = [
    {
        "code": "EV2",
        "name": "Sähköautot Ruoholahti",
        "rate_per_hour": "2.00",
        "paid_hours": {"mon-fri": "07:00-21:00", "sat": "09:00-18:00"},
        "daily_cap": "20.00",
        "max_minutes": 120,
        "phone_code": "382",
    },
    {
        "code": "401",
        "name": "Eira ja Ullanlinna itäinen",
        "rate_per_hour": "1.50",
        "paid_hours": {
            "mon-fri": "08:00-12:00, 13:00-18:00",
            "sat": "09:00-15:00",
            "sun": "12:00-16:00",
        },
        "daily_cap": "12.50",
        "max_minutes": 90,
    },
    {"code": "501", "name": "Vapaa-alue", "rate_per_hour": "0", "paid_hours": {}},
    {
        "code": "KAMPPI-ETELA",
        "name": "Kampin keskuksen eteläinen pysäköintialue ja liityntäpysäköinti",
        "rate_per_hour": "3.60",
        "paid_hours": {"mon-fri": "08:00-18:00"},
        "max_minutes": 60,
        "phone_code": "9001",
    },
]
# Every day different: more than a page holds at the readable sizes.
CROWDED: dict[str, Any] = {
    "code": "601",
    "name": "Joka päivä eri",
    "rate_per_hour": "1.00",
    "paid_hours": {
        day: f"{8 + i}:00-{12 + i}:00"
        for i, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    },
    "daily_cap": "9.00",
    "max_minutes": 180,
}


def zone_of(entry: dict[str, Any]) -> Zone:
    """A zone as the zones file describes it, not stored (the layout needs no database)."""
    from app.backend import zones

    values = zones._validate(entry, 0)
    values["phone_code"] = values["phone_code"] or (
        None if zones.is_digit_code(values["code"]) else "381"
    )
    return Zone(**values, active=True, created_at=datetime.now(UTC))


DEMO: list[dict[str, Any]] = [
    {
        "code": "101",
        "name": "Kauppatori",
        "rate_per_hour": "2.40",
        "paid_hours": {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"},
        "daily_cap": "15.00",
        "max_minutes": 240,
    },
    {
        "code": "103",
        "name": "Kamppi",
        "rate_per_hour": "4.20",
        "paid_hours": {"mon-fri": "07:00-22:00", "sat-sun": "09:00-18:00"},
        "daily_cap": "24.00",
    },
    {
        "code": "301",
        "name": "Satama (24 h)",
        "rate_per_hour": "2.00",
        "paid_hours": {"mon-sun": "00:00-24:00"},
        "daily_cap": "18.00",
    },
    {
        "code": "EV1",
        "name": "Latauspaikat Kamppi",
        "rate_per_hour": "1.50",
        "paid_hours": {"mon-sun": "00:00-24:00"},
        "max_minutes": 240,
    },
]
READABLE = DEMO + EXTRA_ZONES


@pytest.fixture(scope="module")
def sign_app() -> Iterator[Flask]:
    app = create_app(make_settings("sqlite://"))
    with app.app_context():
        yield app


def layout_of(entry: dict[str, Any]) -> signs.SignLayout:
    return signs.layout_sign(zone_of(entry), kanava().settings)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == A4_POINTS
    return reader.pages[0].extract_text()


# ---- what the printed sign says ------------------------------------------------------------


def test_the_pdf_sign_says_hours_price_cap_longest_stay_how_to_text_and_call(
    client: FlaskClient,
) -> None:
    text = pdf_text(client.get("/p/101/sign.pdf").data)

    for expected in [
        "101",
        "Kauppatori",
        NUMBER,
        "Tekstiviesti tai soita · Sms eller ring · Text or call",
        "ABC-123 101",
        "ma–pe · mån–fre · Mon–Fri",
        "8–18",
        "la · lör · Sat",
        "9–15",
        "Muulloin maksuton · Övrig tid avgiftsfri · Other times free",
        "2,40 €/h",
        "Enintään päivässä",
        "15 €",
        "Enimmäisaika",
        "Longest stay",
        "4 h",
        "Lopetus: LOPETA. Lisäaikaa: JATKA 30",
        f"{PUBLIC_BASE_URL}/p/101",
    ]:
        assert expected in text, expected
    assert text.count(NUMBER) == 1  # written once, large, for texting and calling
    assert text.index("Tekstiviesti") < text.index("Avsluta") < text.index("Stop:")  # fi first


def test_the_sign_of_a_lettered_zone_says_which_digits_to_key_when_calling(
    app: Flask, client: FlaskClient
) -> None:
    from sqlalchemy import select

    from app.extensions import db

    with app.app_context():
        keys = db.session.scalar(select(Zone.phone_code).where(Zone.code == "EV1"))
    text = pdf_text(client.get("/p/EV1/sign.pdf").data)

    assert "Soita ja näppäile" in text and "Call and key" in text
    assert keys is not None and keys in text.split()
    assert "0–24" in text and "Muulloin maksuton" not in text  # paid around the clock
    assert "381" not in pdf_text(client.get("/p/101/sign.pdf").data).split()


def test_the_svg_sign_is_valid_with_a_scalable_qr_code(client: FlaskClient) -> None:
    root = ET.fromstring(client.get("/p/101/sign.svg").data)
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 210 297"
    nested = root.find(f"{SVG}svg")
    assert nested is not None
    assert nested.get("viewBox", "").startswith("0 0 ")
    assert {"x", "y", "width", "height"} <= set(nested.keys())
    path = nested.find(f"{SVG}path")
    assert path is not None and path.get("d", "").startswith("M")
    lines = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Skannaa ja pysäköi verkossa" in lines and "Scan to park on the web" in lines
    assert NUMBER in lines and "2,40 €/h" in lines
    assert f"{PUBLIC_BASE_URL}/p/101" in lines


# ---- the layout's geometry -----------------------------------------------------------------


def boxes(layout: signs.SignLayout) -> list[tuple[str, signs.Box]]:
    """What must not overlap: every line of text, the QR code, and the rules."""
    found = [(f"text {t.text!r}", t.box) for t in layout.texts if t.role != "symbol"]
    found += [("rule", r.box) for r in layout.rects if r.role == "rule"]
    if layout.qr is not None:
        found.append(("qr", layout.qr.box))
    return found


@pytest.mark.parametrize("entry", READABLE, ids=[str(e["code"]) for e in READABLE])
def test_nothing_on_the_sign_overlaps_or_leaves_the_page(
    sign_app: Flask, entry: dict[str, Any]
) -> None:
    layout = layout_of(entry)

    placed = boxes(layout)
    for (name_a, a), (name_b, b) in itertools.combinations(placed, 2):
        assert not a.overlaps(b), f"{name_a} overlaps {name_b}"
    band = next(r for r in layout.rects if r.role == "band")
    safe = signs.Box(5, 5, signs.PAGE_WIDTH - 5, signs.PAGE_HEIGHT - 5)  # any printer prints
    for name, box in placed:
        assert box.inside(safe), f"{name} is off the printable page"
        if box.top >= band.box.bottom:
            assert box.inside(layout.printable_area), f"{name} is in the margin"
    for text in layout.texts:
        on_band = text.box.inside(band.box)
        assert on_band == (text.color == signs.WHITE), f"{text.text!r} white on white"
    symbol = next(r for r in layout.rects if r.role == "symbol")
    p = next(t for t in layout.texts if t.role == "symbol")
    assert p.box.inside(symbol.box)
    for text in layout.texts:
        if text.role != "symbol":
            assert not text.box.overlaps(symbol.box), f"{text.text!r} on the P symbol"


@pytest.mark.parametrize("entry", READABLE, ids=[str(e["code"]) for e in READABLE])
def test_the_facts_are_readable_at_two_metres_and_the_words_around_them_too(
    sign_app: Flask, entry: dict[str, Any]
) -> None:
    layout = layout_of(entry)
    by_role = {
        role: [t for t in layout.texts if t.role == role]
        for role in ("code", "key", "caption", "fine")
    }
    code = by_role["code"][0]
    assert code.text == str(entry["code"]).upper()
    keys = {t.text: t.cap_height for t in by_role["key"]}
    assert code.cap_height >= (max(keys.values()) if len(code.text) <= 4 else 10.0)
    assert NUMBER in keys and f"ABC-123 {code.text}" in keys
    rate = parse_money(str(entry["rate_per_hour"]))
    if rate or entry["paid_hours"]:
        assert f"{rate // 100},{rate % 100:02d} €/h" in keys
    for line, cap in keys.items():
        assert cap >= signs.MIN_KEY_CAP_MM, f"{line!r}: cap height {cap:.1f} mm"
    for caption in by_role["caption"]:
        assert caption.cap_height >= signs.MIN_CAPTION_CAP_MM, caption.text
    for fine in by_role["fine"]:
        assert fine.cap_height >= signs.MIN_FINE_CAP_MM, fine.text
    assert layout.qr is not None and layout.qr.size >= 40


@pytest.mark.parametrize("entry", READABLE, ids=[str(e["code"]) for e in READABLE])
def test_the_sign_fills_the_page_without_a_large_empty_area(
    sign_app: Flask, entry: dict[str, Any]
) -> None:
    layout = layout_of(entry)
    spans = sorted((box.top, box.bottom) for _, box in boxes(layout))
    band = next(r for r in layout.rects if r.role == "band")
    covered_to = band.box.bottom
    largest_gap = 0.0
    for top, bottom in spans:
        largest_gap = max(largest_gap, top - covered_to)
        covered_to = max(covered_to, bottom)
    assert largest_gap <= 12.0, f"{largest_gap:.1f} mm of nothing"
    assert covered_to >= signs.PAGE_HEIGHT - signs.MARGIN - 1.0  # down to the bottom margin


def test_a_zone_free_at_all_times_says_so_and_shows_no_price(sign_app: Flask) -> None:
    layout = layout_of(next(e for e in EXTRA_ZONES if e["code"] == "501"))

    assert "Maksuton · Avgiftsfri · Free of charge" in layout.all_text()
    assert "€/h" not in layout.all_text() and "Hinta" not in layout.all_text()


def test_a_zone_with_more_than_a_page_holds_still_gets_a_sign_that_does_not_overlap(
    sign_app: Flask,
) -> None:
    layout = layout_of(CROWDED)

    for (name_a, a), (name_b, b) in itertools.combinations(boxes(layout), 2):
        assert not a.overlaps(b), f"{name_a} overlaps {name_b}"
    assert "ti · tis · Tue" in layout.all_text()


# ---- as Chromium draws the SVG -------------------------------------------------------------


@pytest.mark.browser
def test_chromium_draws_the_svg_sign_as_laid_out(app: Flask) -> None:
    with app.app_context():
        from sqlalchemy import select

        from app.extensions import db

        zone = db.session.scalar(select(Zone).where(Zone.code == "101"))
        assert zone is not None
        layout = signs.layout_sign(zone, kanava().settings)
    with serve(app, free_port()) as base, browser_page({"width": 794, "height": 1123}) as page:
        p = page
        p.goto(f"{base}/p/101/sign.svg")  # type: ignore[attr-defined]
        ARTIFACTS.mkdir(exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / "zone-sign-101-svg.png"))  # type: ignore[attr-defined]
        drawn = p.evaluate(  # type: ignore[attr-defined]
            """() => [...document.querySelectorAll('svg > text')].map(t => {
                 const b = t.getBBox();
                 return {text: t.textContent, width: t.getComputedTextLength(),
                         left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height};
               })"""
        )
        qr = p.evaluate(  # type: ignore[attr-defined]
            "() => document.querySelector('svg > svg path').getTotalLength()"
        )
    assert qr > 0
    assert [d["text"] for d in drawn] == [t.text for t in layout.texts]
    for laid, seen in zip(layout.texts, drawn, strict=True):
        # The browser's font has the layout's metrics: what fits in the layout fits here.
        assert seen["width"] == pytest.approx(laid.width, rel=0.03), laid.text
        assert seen["left"] >= 0 and seen["right"] <= signs.PAGE_WIDTH, laid.text
        assert seen["top"] >= 0 and seen["bottom"] <= signs.PAGE_HEIGHT, laid.text
    # Line boxes of ordinary lines (the code's box is its capitals', see signs.extent).
    lines = [
        d for d, t in zip(drawn, layout.texts, strict=True) if t.role not in ("symbol", "code")
    ]
    for a, b in itertools.combinations(lines, 2):
        apart = (
            a["right"] <= b["left"]
            or b["right"] <= a["left"]
            or a["bottom"] <= b["top"]
            or b["bottom"] <= a["top"]
        )
        assert apart, f"{a['text']!r} overlaps {b['text']!r} in Chromium"


def test_the_sign_names_the_privacy_notice_in_fine_print(client: FlaskClient) -> None:
    text = pdf_text(client.get("/p/101/sign.pdf").data)
    assert f"Tietosuoja · Dataskydd · Privacy: {PUBLIC_BASE_URL}/privacy" in text
