"""The printable zone sign: the service number written for people, valid SVG whose QR
code a browser draws, and every line in Finnish, Swedish and English."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib

from flask import Flask
from flask.testing import FlaskClient

from tests.browser_support import ARTIFACTS, browser_page, free_port, serve
from tests.conftest import PUBLIC_BASE_URL

SVG = "{http://www.w3.org/2000/svg}"


def pdf_text(pdf: bytes) -> str:
    """The PDF's content streams, inflated, as Latin-1 text (fpdf2's core fonts)."""
    chunks = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            chunks.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            chunks.append(raw.decode("latin-1"))
    return "\n".join(chunks)


def test_the_sign_shows_the_service_number_for_people_in_svg_and_pdf(
    client: FlaskClient,
) -> None:
    svg = client.get("/p/101/sign.svg").get_data(as_text=True)
    assert "Lähetä rekisteritunnus ja 101 numeroon +358 45 1234567, esim." in svg
    assert "till +358 45 1234567" in svg and "to +358 45 1234567" in svg
    assert "numroon ," not in svg and "numeroon ," not in svg

    pdf = client.get("/p/101/sign.pdf").data
    text = pdf_text(pdf)
    assert "+358 45 1234567" in text
    assert text.count("+358 45 1234567") == 3  # one line per language


def test_the_sign_is_valid_svg_with_a_scalable_qr_code_in_every_language(
    client: FlaskClient,
) -> None:
    root = ET.fromstring(client.get("/p/101/sign.svg").data)
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 210 297"
    nested = root.find(f"{SVG}svg")
    assert nested is not None
    assert nested.get("viewBox", "").startswith("0 0 ")
    assert {"x", "y", "width", "height"} <= set(nested.keys())
    path = nested.find(f"{SVG}path")
    assert path is not None and path.get("d", "").startswith("M")
    lines = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Tai skannaa koodi ja pysäköi verkossa" in lines
    assert "Or scan the code to park on the web" in lines
    assert any(line.startswith("Eller skanna") for line in lines)
    assert f"{PUBLIC_BASE_URL}/p/101" in lines


def test_chromium_draws_the_qr_code_on_the_sign(app: Flask) -> None:
    with serve(app, free_port()) as base, browser_page({"width": 800, "height": 1130}) as page:
        page.goto(f"{base}/p/101/sign.svg")  # type: ignore[attr-defined]
        box = page.locator("svg > svg").bounding_box()  # type: ignore[attr-defined]
        # A bare SVG document has no page height for a full-page shot: take the viewport.
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "zone-sign-101.png"
        page.screenshot(path=str(shot))  # type: ignore[attr-defined]
        # The path holds the modules and has a length once laid out.
        dark = page.evaluate(  # type: ignore[attr-defined]
            "() => document.querySelector('svg > svg path').getTotalLength()"
        )
    assert box is not None and box["width"] > 100 and box["height"] > 100
    assert dark > 0
