"""The zone editor in the admin's language: weekdays shown and accepted as ma-pe, mån-fre or
mon-fri (stored as the zones file writes them), refusals worded for the reader, and the
phone code of a zone whose code has letters."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Zone
from tests.conftest import Clock
from tests.panel.test_admin import ADMIN_PASSWORD, make_user, sign_in, token_of


@pytest.fixture
def admin(app: Flask, client: FlaskClient, clock: Clock) -> FlaskClient:
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    return client


def textarea(page: str) -> str:
    match = re.search(r'<textarea id="paid_hours"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert match, "no paid hours field"
    return html.unescape(match.group(1))


def field_value(page: str, field_id: str) -> str | None:
    match = re.search(rf'<input id="{field_id}" name="[^"]+" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def error(page: str) -> str:
    match = re.search(r'<p class="error" role="alert" id="zone-error">(.*?)</p>', page, re.DOTALL)
    assert match, "no error shown"
    return html.unescape(match.group(1))


not_saved = {
    "fi": "Aluetta ei tallennettu.",
    "sv": "Zonen sparades inte.",
    "en": "The zone was not saved.",
}


def stored(app: Flask, code: str) -> Zone:
    with app.app_context():
        zone = db.session.scalar(select(Zone).where(Zone.code == code))
        assert zone is not None
        db.session.expunge(zone)
        return zone


def fields_of(admin: FlaskClient, code: str, lang: str) -> dict[str, str]:
    page = admin.get(f"/admin/zones/edit/{code}?lang={lang}").get_data(as_text=True)
    fields = {
        "csrf_token": token_of(admin, f"/admin/zones/edit/{code}"),
        "code": code,
        "name": field_value(page, "zname") or "",
        "rate_per_hour": field_value(page, "rate") or "",
        "paid_hours": textarea(page),
        "daily_cap": field_value(page, "cap") or "",
        "max_minutes": field_value(page, "max") or "",
    }
    phone_code = field_value(page, "phone_code")
    if phone_code is not None:
        fields["phone_code"] = phone_code
    return fields


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("fi", "ma-pe: 08:00-18:00\nla: 09:00-15:00"),
        ("sv", "mån-fre: 08:00-18:00\nlör: 09:00-15:00"),
        ("en", "mon-fri: 08:00-18:00\nsat: 09:00-15:00"),
    ],
)
def test_the_editor_shows_weekdays_in_the_admins_language(
    admin: FlaskClient, lang: str, shown: str
) -> None:
    page = admin.get(f"/admin/zones/edit/101?lang={lang}").get_data(as_text=True)

    assert textarea(page) == shown


def test_finnish_days_are_saved_in_the_zones_file_format(app: Flask, admin: FlaskClient) -> None:
    fields = fields_of(admin, "101", "fi")

    saved = admin.post(
        "/admin/zones/edit/101?lang=fi",
        data=fields | {"paid_hours": "ma-pe: 08:00-20:00\nlauantai: 10.00-14.00\nsu: 12-16"},
    )

    assert saved.status_code == 303
    assert stored(app, "101").paid_hours == {
        "mon-fri": "08:00-20:00",
        "sat": "10:00-14:00",
        "sun": "12:00-16:00",
    }
    page = admin.get("/admin/zones/edit/101?lang=sv").get_data(as_text=True)
    assert textarea(page) == "mån-fre: 08:00-20:00\nlör: 10:00-14:00\nsön: 12:00-16:00"


@pytest.mark.parametrize(
    ("lang", "typed", "words"),
    [
        ("fi", "ma-px: 08:00-18:00", ["ma-px", "ei ole viikonpäivä", "ma-pe, la, su"]),
        ("sv", "mån-fry: 08:00-18:00", ["mån-fry", "är ingen veckodag", "mån-fre, lör, sön"]),
        ("en", "someday: 08:00-18:00", ["someday", "is not a day", "mon-fri, sat, sun"]),
        ("fi", "ma-pe: 08:00-12:00\nmaanantai: 13:00-14:00", ["kahdesti", "maanantai"]),
    ],
)
def test_a_bad_day_is_refused_in_the_admins_language_and_nothing_changes(
    app: Flask, admin: FlaskClient, lang: str, typed: str, words: list[str]
) -> None:
    fields = fields_of(admin, "101", lang)

    refused = admin.post(f"/admin/zones/edit/101?lang={lang}", data=fields | {"paid_hours": typed})

    assert refused.status_code == 400
    said = error(refused.get_data(as_text=True))
    for word in words:
        assert word in said
    assert "paid_hours:" not in said and "unknown day" not in said
    assert textarea(refused.get_data(as_text=True)) == typed  # what was typed stays
    assert stored(app, "101").paid_hours == {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"}


def test_a_lettered_zone_shows_its_phone_code_and_takes_a_new_one(
    app: Flask, admin: FlaskClient
) -> None:
    fields = fields_of(admin, "EV1", "fi")
    assert fields["phone_code"] == stored(app, "EV1").phone_code
    digits_only = admin.get("/admin/zones/edit/101").get_data(as_text=True)
    assert field_value(digits_only, "phone_code") is None

    saved = admin.post("/admin/zones/edit/EV1", data=fields | {"phone_code": "801"})

    assert saved.status_code == 303
    assert stored(app, "EV1").phone_code == "801"
    assert stored(app, "EV1").paid_hours == {"daily": "00:00-24:00"}


@pytest.mark.parametrize(
    ("lang", "phone_code", "expected"),
    [
        ("fi", "101", "101 on jo alueen 101 tunnus."),
        ("en", "101", "101 is already the code of zone 101."),
        ("fi", "8a1", "Puhelinkoodi: vain numeroita, enintään 8."),
        ("sv", "8a1", "Telefonkod: endast siffror, högst 8."),
    ],
)
def test_a_phone_code_that_is_taken_or_not_digits_is_refused_in_the_admins_language(
    app: Flask, admin: FlaskClient, lang: str, phone_code: str, expected: str
) -> None:
    before = stored(app, "EV1").phone_code
    fields = fields_of(admin, "EV1", lang)

    refused = admin.post(
        f"/admin/zones/edit/EV1?lang={lang}", data=fields | {"phone_code": phone_code}
    )

    assert refused.status_code == 400
    assert error(refused.get_data(as_text=True)) == f"{not_saved[lang]} {expected}"
    assert stored(app, "EV1").phone_code == before


def test_a_new_zone_whose_code_is_a_phone_code_is_refused_naming_the_zone_that_has_it(
    app: Flask, admin: FlaskClient
) -> None:
    taken = stored(app, "EV1").phone_code
    fields = {
        "csrf_token": token_of(admin, "/admin/zones/new"),
        "code": str(taken),
        "name": "Uusi",
        "rate_per_hour": "1,00",
        "paid_hours": "ma-pe: 08:00-18:00",
    }

    refused = admin.post("/admin/zones/new?lang=fi", data=fields)

    assert refused.status_code == 400
    said = error(refused.get_data(as_text=True))
    assert said == f"Aluetta ei tallennettu. {taken} on jo alueen EV1 puhelinkoodi."


@pytest.mark.parametrize(
    ("lang", "rate", "cap"), [("fi", "2,40", "15,00"), ("en", "2.40", "15.00")]
)
def test_amounts_are_shown_as_the_admin_writes_them(
    admin: FlaskClient, lang: str, rate: str, cap: str
) -> None:
    fields = fields_of(admin, "101", lang)

    assert (fields["rate_per_hour"], fields["daily_cap"]) == (rate, cap)
