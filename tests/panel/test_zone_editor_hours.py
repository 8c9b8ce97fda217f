"""Paid hours in the zone editor as admins write them (issue 9, round 2, point 3): hours
without minutes, lines without a colon, inflected and adverbial days, and every refusal in
the admin's language naming the line and how to write it."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.panel.zone_hours import HoursProblem, line_days, split_line
from tests.panel.test_zone_editor import admin, error, fields_of, stored, textarea

__all__ = ["admin"]  # the fixture, used by name


@pytest.mark.parametrize(
    ("typed", "spec"),
    [
        ("ma-pe 8-18\nlauantaina 9-15", {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}),
        ("arkisin klo 8-18\nlauantaisin 9-15", {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}),
        ("maanantaista perjantaihin 8-18", {"mon-fri": "08:00-18:00"}),
        ("mån-fre 8-18\npå lördagar 9-15", {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}),
        (
            "Monday to Friday 8-18\non Saturdays 9-15",
            {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"},
        ),
        (
            "keskiviikkoisin: 8.30-12\nla ja su 10-14",
            {"wed": "08:30-12:00", "sat-sun": "10:00-14:00"},
        ),
    ],
)
def test_hours_and_days_are_read_as_people_write_them(
    app: Flask, admin: FlaskClient, typed: str, spec: dict[str, str]
) -> None:
    fields = fields_of(admin, "101", "fi")

    saved = admin.post("/admin/zones/edit/101?lang=fi", data=fields | {"paid_hours": typed})

    assert saved.status_code == 303, error(saved.get_data(as_text=True))
    assert stored(app, "101").paid_hours == spec


@pytest.mark.parametrize(
    ("lang", "typed", "said"),
    [
        (
            "fi",
            "ma-pe: 18:00-08:00",
            "Maksulliset ajat, rivi ”ma-pe: 18:00-08:00”: 18:00-08:00 päättyy ennen kuin "
            "alkaa. Kirjoita yön yli jatkuva aika kahdelle riville: 18:00-24 ensimmäiselle "
            "päivälle, 0-08:00 seuraavalle.",
        ),
        (
            "sv",
            "mån-fre 18-8",
            "Avgiftsbelagda tider, rad ”mån-fre 18-8”: 18-8 slutar innan den börjar. Tider över "
            "midnatt skrivs på två rader: 18-24 den första dagen, 0-8 nästa dag.",
        ),
        (
            "en",
            "mon-fri 18-8",
            "Paid hours, line “mon-fri 18-8”: 18-8 ends before it starts. Hours over midnight "
            "take two lines: 18-24 on the first day, 0-8 on the next.",
        ),
        (
            "fi",
            "ma-pe 8-25",
            "Maksulliset ajat, rivi ”ma-pe 8-25”: ”25” ei ole kellonaika. Kirjoita ajat "
            "muodossa 8-18 tai 08:00-18:00.",
        ),
        (
            "fi",
            "ma-pe 8",
            "Maksulliset ajat, rivi ”ma-pe 8”: ”8” tarvitsee alun ja lopun, esimerkiksi 8-18.",
        ),
        (
            "fi",
            "ma-pe 8-12, 11-18",
            "Maksulliset ajat, rivi ”ma-pe 8-12, 11-18”: ajat menevät päällekkäin. Anna "
            "kukin tunti kerran, esimerkiksi 8-12, 13-18.",
        ),
        (
            "fi",
            "lauantaina",
            "Maksulliset ajat, rivi ”lauantaina”: kirjoita ensin päivät ja sitten ajat, "
            "esimerkiksi ma-pe 8-18.",
        ),
    ],
)
def test_a_bad_line_is_refused_in_the_admins_language_naming_the_line_and_the_fix(
    app: Flask, admin: FlaskClient, lang: str, typed: str, said: str
) -> None:
    fields = fields_of(admin, "101", lang)

    refused = admin.post(f"/admin/zones/edit/101?lang={lang}", data=fields | {"paid_hours": typed})

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert said in error(page)
    assert "paid_hours:" not in error(page) and "zone 101" not in error(page)
    assert textarea(page) == typed
    assert stored(app, "101").paid_hours == {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}


def test_finnish_thursday_between_two_days_is_no_range() -> None:
    days, _ = split_line("ti to pe 8-18")

    with pytest.raises(HoursProblem):
        line_days(days, "ti to pe 8-18")
