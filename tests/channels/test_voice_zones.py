"""Choosing a zone by phone, also one whose code has letters (EV1): its phone code on the
keypad, its code spelled aloud in three languages, and the list of zones on request."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Channel, Order, Zone
from tests.channels.test_voice import UK_MOBILE, handheld
from tests.channels.voice_caller import Call

FINNISH_MOBILE = "+358409876543"
SWEDISH_MOBILE = "+46701234567"


def park_in_zone_already_chosen(call: Call, plate_spoken: str) -> str:
    """From the zone's confirmation on: confirm, say the plate, 30 minutes, confirm."""
    call.press("1")
    call.say(plate_spoken)
    call.press("1")
    call.press("30#")
    return call.press("1")


def ev1_phone_code(app: Flask) -> str:
    with app.app_context():
        code = db.session.scalar(select(Zone.phone_code).where(Zone.code == "EV1"))
    assert code is not None
    return code


def test_a_caller_keys_the_phone_code_of_a_lettered_zone_and_parks_there(
    app: Flask, client: FlaskClient, api_token: str
) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    call.press("1")

    confirm = call.press(ev1_phone_code(app) + "#")

    assert "Latauspaikat Kamppi" in confirm
    assert "EV1" in call.spelled()  # the code with letters is read letter by letter
    done = park_in_zone_already_chosen(call, "X Y Z one two three")
    assert "10:30" in done
    seen = handheld(client, api_token, "XYZ-123", "EV1")
    assert seen["valid"] is True and seen["zone"] == "EV1"
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.channel is Channel.VOICE and order.zone.code == "EV1"


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (FINNISH_MOBILE, "ee vee yksi"),
        (FINNISH_MOBILE, "E V 1"),
        (SWEDISH_MOBILE, "e ve ett"),
        (UK_MOBILE, "e v one"),
        (UK_MOBILE, "zone E V 1"),
    ],
)
def test_a_caller_spells_a_lettered_zone_aloud_in_their_language(
    app: Flask, client: FlaskClient, api_token: str, number: str, spoken: str
) -> None:
    call = Call(client, number=number)
    call.start()
    call.press("1")

    confirm = call.say(spoken)

    assert "Latauspaikat Kamppi" in confirm
    park_in_zone_already_chosen(call, "X Y Z 1 2 3")
    assert handheld(client, api_token, "XYZ-123", "EV1")["valid"] is True


def test_a_caller_says_a_numbered_zone_too(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    call.press("1")

    assert "Kauppatori" in call.say("one oh one")


def test_the_caller_asks_for_the_zones_with_8_and_hears_each_with_what_to_key(
    app: Flask, client: FlaskClient, api_token: str
) -> None:
    call = Call(client, number=UK_MOBILE)
    menu = call.start()
    assert "To hear the zones and their numbers, press 8." in menu

    listed = call.press("8")

    keys = ev1_phone_code(app)
    assert "Zone 101, Kauppatori." in listed
    assert "Zone 202, Kallio." in listed
    assert "Zone EV1 , Latauspaikat Kamppi: key 381 ." in " ".join(listed.split())
    assert ["EV1", keys] == [s for s in call.spelled() if s in ("EV1", keys)]
    assert listed.rstrip().endswith("You can also say the zone.")  # ready for the zone
    assert call.press("202#").startswith("Zone 202, Kallio.")
    park_in_zone_already_chosen(call, "A B C 1 2 3")
    assert handheld(client, api_token, "ABC-123", "202")["valid"] is True


def test_an_unknown_zone_is_answered_with_the_list_of_zones(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=FINNISH_MOBILE)
    call.start()
    call.press("1")

    keyed = call.press("999#")
    spoken = call.say("ee vee kaksi")

    for heard in (keyed, spoken):
        assert "Kauppatori" in heard and "Latauspaikat Kamppi" in heard
        assert ev1_phone_code(app) in call.spelled() or ev1_phone_code(app) in heard
    assert keyed.startswith("Aluetta")  # "Aluetta 999 ei ole."
    assert "Latauspaikat Kamppi" in call.say("E V 1")


def test_asking_which_zones_there_are_lists_them_without_a_complaint(
    client: FlaskClient,
) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    call.press("1")

    listed = call.say("which zones are there")

    assert listed.startswith("These are the zones.")
    assert "Zone 101, Kauppatori." in listed


def test_a_lettered_zone_from_before_phone_codes_is_given_one_on_the_call(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        zone = db.session.scalar(select(Zone).where(Zone.code == "EV1"))
        assert zone is not None
        zone.phone_code = None
        db.session.commit()
    call = Call(client, number=UK_MOBILE)
    call.start()

    listed = call.press("8")

    keys = ev1_phone_code(app)
    assert f"key {keys}" in " ".join(listed.split())
    assert "Latauspaikat Kamppi" in call.press(keys + "#")
