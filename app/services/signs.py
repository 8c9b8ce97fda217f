"""Printable signs for a zone: the SMS instructions, the service number and a QR code
that opens the web form ``/p/<zone>``, in Finnish, Swedish and English on one sign.

SVG is built by hand around segno's QR code; the PDF is drawn with fpdf2 (pure Python,
actively maintained, no system libraries), the QR code as filled squares so that it
prints sharp at any size.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import phonenumbers
import segno
from flask_babel import force_locale
from flask_babel import gettext as _

from app.config import LANGUAGES, Settings
from app.models import Zone


def form_url(settings: Settings, zone: Zone) -> str:
    return f"{settings.public_base_url}/p/{zone.code}"


def display_number(number: str) -> str:
    """The service number as people read it: ``+358451234567`` -> ``+358 45 1234567``
    (phonenumbers' INTERNATIONAL format); returned as given if it does not parse."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def sign_lines(zone: Zone, settings: Settings) -> list[tuple[str, str]]:
    """The sign's text as (style, text) lines: a title, then each language's instructions
    with the service number written for people, then the QR code's caption in each
    language."""
    number = display_number(settings.service_number or "")
    lines: list[tuple[str, str]] = [
        ("title", f"P {zone.code}"),
        ("subtitle", zone.name),
        (
            "plain",
            # Written out, not with "€": the PDF's built-in fonts are Latin-1.
            f"{zone.rate_per_hour_cents // 100},{zone.rate_per_hour_cents % 100:02d} "
            f"{settings.currency} / h",
        ),
    ]
    for lang in LANGUAGES:
        with force_locale(lang):
            lines.append(
                (
                    "plain",
                    str(
                        _(
                            "Text your plate and %(zone)s to %(number)s, e.g. ABC-123 %(zone)s",
                            zone=zone.code,
                            number=number,
                        )
                    ),
                )
            )
            lines.append(("small", str(_("Stop: DONE. More time: EXTEND 30"))))
    for lang in LANGUAGES:
        with force_locale(lang):
            lines.append(("plain", str(_("Or scan the code to park on the web"))))
    return lines


def _qr(settings: Settings, zone: Zone) -> segno.QRCode:
    return segno.make(form_url(settings, zone), error="m")


def sign_svg(zone: Zone, settings: Settings) -> str:
    """An A4-proportioned SVG sign (210 x 297 units)."""
    sizes = {"title": 22, "subtitle": 10, "plain": 5.2, "small": 4.2}
    y = 26.0  # the title's baseline, clear of the blue band
    texts = []
    for style, text in sign_lines(zone, settings):
        size = sizes[style]
        weight = "700" if style in ("title", "subtitle") else "400"
        texts.append(
            f'<text x="105" y="{y:.1f}" font-size="{size}" font-weight="{weight}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )
        y += size * 1.5
    buffer = io.BytesIO()
    # omitsize: segno writes a viewBox (in modules) instead of width/height, so the nested
    # <svg> gets exactly one position and size, in the sign's units, and scales the code.
    _qr(settings, zone).save(
        buffer, kind="svg", scale=1, border=2, xmldecl=False, svgns=True, omitsize=True
    )
    qr = buffer.getvalue().decode()
    qr = qr.replace("<svg ", f'<svg x="65" y="{y + 2:.1f}" width="80" height="80" ', 1)
    url = escape(form_url(settings, zone))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 210 297" width="210mm" '
        'height="297mm" font-family="Helvetica, Arial, sans-serif" role="img" '
        f'aria-label="{escape(zone.name)} {escape(zone.code)}">'
        '<rect width="210" height="297" fill="#fff"/>'
        '<rect x="0" y="0" width="210" height="6" fill="#0b4f9c"/>'
        + "".join(texts)
        + qr
        + f'<text x="105" y="{y + 90:.1f}" font-size="4.2" text-anchor="middle">{url}</text>'
        "</svg>"
    )


def sign_pdf(zone: Zone, settings: Settings) -> bytes:
    """The same sign as a one-page A4 PDF."""
    from fpdf import FPDF

    sizes = {"title": 60, "subtitle": 28, "plain": 14, "small": 11}
    pdf = FPDF(format="A4")
    pdf.set_title(f"Kanava {zone.code} {zone.name}")
    pdf.add_page()
    pdf.set_fill_color(11, 79, 156)
    pdf.rect(0, 0, 210, 6, style="F")
    pdf.set_y(14)
    for style, text in sign_lines(zone, settings):
        pdf.set_font("helvetica", "B" if style in ("title", "subtitle") else "", sizes[style])
        pdf.multi_cell(0, sizes[style] * 0.5, text, align="C")
        pdf.ln(1.5)
    matrix = _qr(settings, zone).matrix
    size = 80.0
    cell = size / (len(matrix) + 4)
    left = (210 - size) / 2 + 2 * cell
    top = pdf.get_y() + 4 + 2 * cell
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                pdf.rect(left + col_index * cell, top + row_index * cell, cell, cell, style="F")
    pdf.set_y(top + size)
    pdf.set_font("helvetica", "", 11)
    pdf.cell(0, 6, form_url(settings, zone), align="C")
    return bytes(pdf.output())
