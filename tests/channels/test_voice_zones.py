"""Choosing a zone by phone, also one whose code has letters (EV1): its phone code on the
keypad, its code spelled aloud in three languages, and the list of zones on request."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Channel, Event, EventKind, Order, Zone
from tests.channels.test_voice import UK_MOBILE, handheld
from tests.channels.voice_caller import Call
from tests.conftest import Phone

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


def test_an_unknown_zone_is_answered_with_the_list_of_zones_once_then_briefly(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=FINNISH_MOBILE)
    call.start()
    call.press("1")

    keyed = call.press("999#")
    spoken = call.say("ee vee kaksi")

    assert keyed.startswith("Aluetta")  # "Aluetta 999 ei ole."
    assert "Kauppatori" in keyed and "Latauspaikat Kamppi" in keyed
    assert ev1_phone_code(app) in call.spelled() or ev1_phone_code(app) in keyed
    # The second miss names it and asks again briefly, offering the list on 8.
    assert spoken.startswith("En saanut selvää alueesta.")
    assert "Kauppatori" not in spoken and "paina 8 ja risuaitaa" in spoken
    listed = call.press("8#")
    assert "Kauppatori" in listed and "Latauspaikat Kamppi" in listed
    assert "Latauspaikat Kamppi" in call.say("E V 1")


def test_wrong_zones_read_the_list_once_in_a_call(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    assert "Zone 101, Kauppatori." in call.press("8")  # asked for: read, then the zone

    first = call.press("999#")
    second = call.press("998#")

    for heard, code in ((first, "999"), (second, "998")):
        assert heard.startswith("There is no zone") and code in call.history[-1] + heard
        assert "Kauppatori" not in heard
        assert heard.endswith(
            "Enter the zone again, or press 8 and the hash key to hear the zones."
        )
    assert sum("These are the zones." in heard for heard in call.history) == 1
    assert "Zone 202, Kallio." in call.press("202#")


def test_a_zone_keyed_at_the_main_menu_goes_to_parking_in_that_zone(
    app: Flask, client: FlaskClient
) -> None:
    driver = Phone(client, number=UK_MOBILE)
    driver.send("ABC-123 101")  # a known caller: 1 would park ABC-123 in 101 again
    driver.send("LOPETA")  # in Finnish from now on
    call = Call(client, number=UK_MOBILE)
    menu = call.start()
    assert "uudelleen alueelle 101, paina 1." in menu
    gather = call.root.find("Gather") if call.root is not None else None
    # Twilio sends the keys on at # (or after the timeout), not after the first one.
    assert gather is not None and gather.get("finishOnKey") == "#"
    assert gather.get("numDigits") is None

    confirm = call.press("202#")

    assert "Kallio" in confirm and "Kauppatori" not in confirm
    call.press("1")
    call.press("1")  # the plate used before
    call.press("30#")
    call.press("1")
    with app.app_context():
        zones_parked = db.session.scalars(
            select(Zone.code).join(Order.zone).where(Order.channel == Channel.VOICE)
        ).all()
        assert zones_parked == ["202"]
        steps = db.session.scalars(
            select(Event.body)
            .where(Event.kind == EventKind.CALL_STEP, Event.external_id == call.sid)
            .order_by(Event.id)
        ).all()
        assert steps[:2] == ["call started", "main: 202#"]


def test_an_unknown_zone_keyed_at_the_main_menu_asks_for_the_zone(client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()

    heard = call.press("999#")

    assert heard.startswith("There is no zone") and "999" in call.spelled()
    assert "Zone 101, Kauppatori." in heard and heard.endswith("You can also say the zone.")
    assert call.press("101#").startswith("Zone 101, Kauppatori.")


def test_one_key_and_hash_at_the_main_menu_is_still_that_key(client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    assert call.press("1#").startswith("Enter the zone number from the sign")


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
