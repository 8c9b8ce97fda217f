"""What a caller hears (issue 9, round 2, point 10): speech where a key is asked gets told
to use the keys, never a "?" read aloud; the zone list is speakable."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.channels.voice_caller import Call

FINNISH_MOBILE = "+358409876543"


def test_speech_at_a_key_prompt_is_asked_to_use_the_keys_and_no_question_mark_is_read(
    client: FlaskClient,
) -> None:
    call = Call(client, number=FINNISH_MOBILE)
    call.start()
    call.press("1")
    call.press("101#")  # "Zone 101 ... If this is right, press 1."

    heard = call.say("mansikka")

    assert "Vastaa puhelimen näppäimillä." in heard, heard
    assert "?" not in heard.split("Vastaa")[0], heard
    assert "Näppäin" not in heard, heard


def test_the_zone_list_reads_a_zone_name_without_brackets(client: FlaskClient) -> None:
    call = Call(client, number=FINNISH_MOBILE)
    call.start()
    call.press("1")

    heard = call.say("mitä alueita on")

    assert "Satama" in heard, heard
    assert "Alue 301, Satama, 24 tuntia." in heard, heard
    assert "(" not in heard and ")" not in heard, heard
