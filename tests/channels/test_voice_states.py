"""The voice call as a state machine: every state has a step, and a call whose stored state
this release does not know is apologised to and taken back to the main menu (logged and
recorded), never silently restarted nor failed."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import CallSession, Event, EventKind
from app.usecases.voice.states import CallState
from app.usecases.voice.steps import STEPS
from tests.channels.voice_caller import Call

UK_MOBILE = "+447911123456"
APOLOGY = "Sorry, I lost track of where we were. Let us start again from the main menu."


def test_every_state_has_a_step() -> None:
    assert set(STEPS) == set(CallState)


def _strand(app: Flask, call: Call, state: str) -> None:
    """The call's stored state becomes one that this release does not know."""
    with app.app_context():
        row = db.session.scalar(select(CallSession).where(CallSession.call_sid == call.sid))
        assert row is not None
        row.state = state
        db.session.commit()


def test_a_key_in_an_unknown_state_hears_an_apology_and_the_main_menu(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    call.press("1")  # to the zone question
    _strand(app, call, "zone_by_map")
    with caplog.at_level(logging.WARNING, logger="app.usecases.voice.dialogue"):
        heard = call.press("3")
    assert heard.startswith(APOLOGY)
    assert "To park, press 1." in heard
    assert any("zone_by_map" in r.getMessage() for r in caplog.records)
    with app.app_context():
        row = db.session.scalar(select(CallSession).where(CallSession.call_sid == call.sid))
        assert row is not None and row.state == "main"
        event = db.session.scalars(
            select(Event).where(Event.kind == EventKind.CALL_STEP, Event.intent == "unknown_state")
        ).one()
        assert event.understood is False
        assert event.data is not None and event.data["stored"] == "zone_by_map"
    # The menu works again from there: 1 asks for the zone.
    assert "Enter the zone number" in call.press("1")


def test_a_stale_step_in_an_unknown_state_hears_the_apology_too(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    _strand(app, call, "")
    call.action = "/twilio/voice/step?n=42"
    heard = call.press("2")
    assert heard.startswith(APOLOGY)
    assert "To park, press 1." in heard
