"""The zone editor shows and edits a bookable zone's capacity and booking terms, and words
what is wrong with them in the admin's language, saving nothing then."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.panel.test_zone_editor import admin, error, field_value, fields_of, stored

__all__ = ["admin"]


def ev1_form(admin: FlaskClient, lang: str, **changes: str) -> dict[str, str]:
    fields = {**fields_of(admin, "EV1", lang), "bookable": "on", "capacity": "6"}
    return {**fields, **changes}


def test_the_editor_shows_and_saves_capacity_and_booking_terms(
    app: Flask, admin: FlaskClient
) -> None:
    page = admin.get("/admin/zones/edit/EV1?lang=en").get_data(as_text=True)
    assert field_value(page, "capacity") == "6"
    assert 'id="hold_minutes"' in page and 'placeholder="15"' in page
    form = ev1_form(
        admin,
        "fi",
        capacity="4",
        slot_minutes="30",
        hold_minutes="10",
        cancel_free_until_minutes="120",
        max_advance_days="14",
        booking_rate_per_hour="1,20",
        booking_hours="ma-pe: 07:00-20:00",
    )
    response = admin.post("/admin/zones/edit/EV1?lang=fi", data=form)
    assert response.status_code == 303
    zone = stored(app, "EV1")
    assert (zone.capacity, zone.slot_minutes, zone.hold_minutes) == (4, 30, 10)
    assert (zone.cancel_free_until_minutes, zone.max_advance_days) == (120, 14)
    assert zone.booking_rate_per_hour_cents == 120
    assert zone.booking_hours == {"mon-fri": "07:00-20:00"}
    again = admin.get("/admin/zones/edit/EV1?lang=fi").get_data(as_text=True)
    assert field_value(again, "slot_minutes") == "30"
    assert field_value(again, "booking_rate") == "1,20"
    assert "ma-pe: 07:00-20:00" in again


def test_wrong_booking_terms_are_worded_in_the_admins_language_and_nothing_is_saved(
    app: Flask, admin: FlaskClient
) -> None:
    bad = ev1_form(admin, "fi", hold_minutes="0", slot_minutes="2000")
    response = admin.post("/admin/zones/edit/EV1?lang=fi", data=bad)
    assert response.status_code == 400
    text = error(response.get_data(as_text=True))
    assert "Aluetta ei tallennettu." in text
    assert "Maksamattoman varauksen pito minuutteina: vähintään 1." in text
    assert "Varausjakson pituus minuutteina: enintään 1440." in text
    en = admin.post("/admin/zones/edit/EV1?lang=en", data=ev1_form(admin, "en", hold_minutes="0"))
    assert "Unpaid hold in minutes: at least 1." in error(en.get_data(as_text=True))
    zone = stored(app, "EV1")
    assert zone.hold_minutes is None and zone.slot_minutes is None
