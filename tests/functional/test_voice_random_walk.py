"""A random walk through the voice menu: hundreds of steps, random keys, speech, silence,
card results and hang-ups, several callers (mobile, landline, foreign, hidden number) at
once. No step may meet a server error or answer with invalid TwiML."""

from __future__ import annotations

import random

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Event, EventKind, Order
from tests.conftest import Clock, Phone, make_settings
from tests.functional.local_card_gateway import LocalCardGateway
from tests.functional.voice_caller import Call

CALLERS = ["+358401234567", "+35891234567", "+46701234567", "+447911123456", "anonymous"]
KEYS = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "9",
    "0",
    "*",
    "7",
    "#",
    "101#",
    "102#",
    "999#",
    "30#",
    "0#",
    "15#",
    "abc",
    "1234567890123#",
]
SPEECH = [
    "A B C 1 2 3",
    "aa bee see yksi kaksi kolme",
    "x y z double one",
    "hello",
    "ett två tre",
    "",
    "ABC-123 please",
]
PAY_RESULTS = [
    "success",
    "payment-connector-error",
    "too-many-failed-attempts",
    "caller-interrupted-with-star",
    "caller-hung-up",
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_walk_never_meets_an_error_or_invalid_twiml(
    app: Flask, client: FlaskClient, clock: Clock, seed: int
) -> None:
    walk(app, client, clock, seed)


@pytest.mark.parametrize("seed", [4, 5])
def test_random_walk_with_card_payments_by_phone(app: Flask, clock: Clock, seed: int) -> None:
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    gateway = LocalCardGateway(app.extensions["kanava"].settings)
    card_app = create_app(make_settings(url), clock=clock, payments=gateway)
    try:
        walk(card_app, card_app.test_client(), clock, seed)
    finally:
        with card_app.app_context():
            db.session.remove()
            db.engine.dispose()


def walk(app: Flask, client: FlaskClient, clock: Clock, seed: int) -> None:
    rng = random.Random(seed)
    Phone(client).send("ABC-123 101 1h")
    calls: list[Call] = []
    steps = 0
    while steps < 300:
        if not calls or rng.random() < 0.05:
            call = Call(client, number=rng.choice(CALLERS))
            call.start()
            calls.append(call)
            steps += 1
            continue
        call = rng.choice(calls)
        if call.hung_up or (call.action is None and call.pay_action is None):
            calls.remove(call)
            continue
        if call.pay_action is not None:
            call.pay(rng.choice(PAY_RESULTS))
        else:
            roll = rng.random()
            if roll < 0.6:
                call.press(rng.choice(KEYS))
            elif roll < 0.85:
                call.say(rng.choice(SPEECH))
            else:
                call.silence()
        steps += 1
        if rng.random() < 0.1:
            clock.advance(minutes=rng.randint(1, 30))
    with app.app_context():
        call_steps = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == EventKind.CALL_STEP)
        )
        assert call_steps is not None and call_steps >= steps
        assert not db.session.scalars(select(Event).where(Event.intent == "error")).all()
        assert db.session.scalar(select(func.count()).select_from(Order)) >= 1
