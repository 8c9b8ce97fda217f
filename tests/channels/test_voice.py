"""Whole calls to the voice menu, driven as Twilio drives them, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    CallSession,
    Channel,
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    WebhookReceipt,
)
from tests.channels.voice_caller import Call
from tests.conftest import PUBLIC_BASE_URL, Clock, Phone, sign

LANDLINE = "+35891234567"  # Helsinki fixed line
SWEDISH_MOBILE = "+46701234567"
UK_MOBILE = "+447911123456"


def handheld(client: FlaskClient, token: str, plate: str, zone: str) -> dict[str, object]:
    response = client.get(
        f"/api/v1/plates/{plate}?zone={zone}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body: dict[str, object] = response.get_json()
    return body


def sms_to(app: Flask, number: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.to_number == number)
                .order_by(OutboundMessage.id)
            )
        )


def test_caller_who_parked_by_sms_hears_their_plate_and_parks_again_with_two_keys(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    reply = phone.send("ABC-123 101")
    pay = re.search(r"/pay/([\w-]+)", reply)
    assert pay, reply
    client.post(f"/demo-pay/{pay.group(1)}")  # in good standing: the next parking has grace
    clock.advance(minutes=20)
    phone.send("LOPETA")
    clock.advance(hours=1)

    call = Call(client, number=phone.number)
    greeting = call.start()
    assert "ABC123" in call.spelled()  # read letter by letter
    assert call.languages[0] == "fi-FI"
    assert greeting.index("101") < greeting.index("0")  # the likeliest action comes first

    call.press("1")
    assert "ABC123" in call.spelled()
    after = call.press("1")
    assert (
        "15.20" in after
    )  # 11.20 plus the zone's longest stay, 4 h  # the end time, at most the zone's longest stay

    seen = handheld(client, api_token, "abc123", "101")
    assert seen["valid"] is True
    assert seen["status"] == "awaiting_payment"
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order is not None and order.channel is Channel.VOICE
        assert order.open_ended and order.plate_display == "ABC-123"
    assert f"{PUBLIC_BASE_URL}/pay/" in sms_to(app, phone.number)[-1]


@pytest.mark.parametrize(
    ("number", "lang"),
    [("+358409876543", "fi-FI"), (SWEDISH_MOBILE, "sv-SE"), (UK_MOBILE, "en-GB")],
)
def test_new_caller_parks_by_speech_and_keypad_in_their_language(
    app: Flask,
    client: FlaskClient,
    api_token: str,
    number: str,
    lang: str,
) -> None:
    call = Call(client, number=number)
    call.start()
    assert set(call.languages) == {lang}
    call.press("1")
    assert "Kauppatori" in call.press("101#")
    call.press("1")
    call.say("X Y Z one two three")
    assert call.spelled() == ["XYZ123"]
    call.press("1")
    quote = call.press("30#")
    assert "1,20" in quote or "1.20" in quote  # 30 min at 2.40 €/h, read before confirming
    done = call.press("1")
    assert "10.30" in done or "10:30" in done
    assert set(call.languages) == {lang}

    seen = handheld(client, api_token, "XYZ-123", "101")
    assert seen["valid"] is True
    assert seen["plate"] == "XYZ-123"
    texts = sms_to(app, number)
    assert texts and "XYZ-123" in texts[-1]


def test_landline_caller_is_never_told_to_read_an_sms(
    app: Flask, client: FlaskClient, api_token: str
) -> None:
    call = Call(client, number=LANDLINE)
    call.start()
    assert call.languages[0] == "fi-FI"
    call.press("9")
    call.press("3")  # in English from here on
    call.press("1")
    call.press("101#")
    call.press("1")
    call.say("aa bee see yksi kaksi kolme")
    call.press("1")
    call.press("60#")
    done = call.press("1")
    assert "text message" not in done
    assert "waits for payment" in done and "10 minutes" in done
    assert sms_to(app, LANDLINE) == []
    assert handheld(client, api_token, "ABC123", "101")["status"] == "awaiting_payment"

    help_text = call.press("0")
    assert "From a mobile phone, text the word HELP" in help_text


def test_silence_reprompts_twice_then_says_goodbye_with_the_sms_alternative(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=UK_MOBILE)
    menu = call.start()
    first = call.silence()
    assert first.startswith("I did not hear anything.") and "To park, press 1." in first
    call.silence()
    goodbye = call.silence()
    assert call.hung_up and call.action is None
    assert "text message" in goodbye and "Goodbye" in goodbye
    assert "+358451234567".lstrip("+") in "".join(call.spelled())
    assert "To park, press 1." in menu
    with app.app_context():
        steps = db.session.scalars(
            select(Event.intent).where(Event.kind == EventKind.CALL_STEP).order_by(Event.id)
        ).all()
        assert steps == ["call_start", "silence", "silence", "silence"]
        assert db.session.scalars(select(CallSession.end_reason)).one() == "silence"


def test_invalid_keys_are_explained_and_star_repeats(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    menu = call.start()
    wrong = call.press("7")
    assert wrong.startswith("The key 7 is not in this menu.")
    assert "To park, press 1." in wrong
    again = call.press("*")
    assert again == menu.replace("Welcome to Kanava parking. ", "")
    call.press("1")
    unknown = call.press("999#")
    assert unknown.startswith("There is no zone")
    assert "Enter the zone number" in unknown
    with app.app_context():
        understood = db.session.scalars(
            select(Event.understood).where(Event.kind == EventKind.CALL_STEP).order_by(Event.id)
        ).all()
        assert understood == [True, False, True, True, False]


def test_status_extend_and_stop_by_phone(app: Flask, client: FlaskClient, clock: Clock) -> None:
    phone = Phone(client, number=UK_MOBILE)
    phone.send("ABC-123 101 1h")
    call = Call(client, number=phone.number)
    greeting = call.start()
    assert "11:00" in greeting  # the live parking and its end time
    status = call.press("5")
    assert "11:00" in status and "It is not paid yet." in status

    call.press("3")
    extended = call.press("30#")
    assert "11:30" in extended
    clock.advance(minutes=15)
    call = Call(client, number=phone.number)
    call.start()
    call.press("4")
    stopped = call.press("1")
    assert "0.60" in stopped  # 15 min at 2.40 €/h
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.status is OrderStatus.ENDED
        assert order.amount_cents == 60


def test_language_menu_switches_the_voice_and_is_remembered(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number="+358409876543")
    call.start()
    options = call.press("9")
    assert set(call.languages) == {"fi-FI", "sv-SE", "en-GB"}
    assert "For English, press 3." in options
    switched = call.press("3")
    assert switched.startswith("I will speak English from now on.")
    assert set(call.languages) == {"en-GB"}
    again = Call(client, number="+358409876543")
    assert "Welcome" in again.start()


def test_help_dials_the_operator_and_notes_the_transfer(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    from app import create_app
    from tests.conftest import make_settings

    with app.app_context():
        url = str(db.engine.url.render_as_string(hide_password=False))
    with_operator = create_app(make_settings(url, operator_number="+358401110000"), clock=clock)
    call = Call(with_operator.test_client(), number=UK_MOBILE)
    call.start()
    said = call.press("0")
    assert call.dialled == "+358401110000"
    assert "customer service" in said
    with app.app_context():
        transfer = db.session.scalars(select(Event).where(Event.intent == "transfer")).one()
        assert transfer.channel is Channel.VOICE


def test_without_operator_help_explains_sms_help(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    said = call.press("0")
    assert "Text the word HELP" in said
    assert call.action is not None  # back in the menu, not stuck


def test_retried_step_parks_once_and_answers_the_same(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    call.press("1")
    call.press("101#")
    call.press("1")
    call.say("ABC 123")
    call.press("1")
    call.press("60#")
    confirm_action = call.action
    assert confirm_action is not None
    first = call.press("1")
    call.action = confirm_action
    again = call.press("1")
    assert again == first
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        receipts = db.session.scalar(
            select(func.count())
            .select_from(WebhookReceipt)
            .where(WebhookReceipt.source == "twilio_voice")
        )
        assert receipts == 8  # the greeting and seven steps, each once


def test_a_stale_step_hears_the_current_prompt_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    menu_action = call.action
    call.press("1")
    call.action = "/twilio/voice/step?n=42"
    heard = call.press("2")
    assert "Enter the zone number" in heard
    assert menu_action is not None


def test_every_voice_url_refuses_a_bad_signature(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    for path in (
        "/twilio/voice",
        "/twilio/voice/step?n=1",
        "/twilio/voice/pay?n=1",
        "/twilio/voice/status",
    ):
        params = call.params(Digits="1")
        assert client.post(path, data=params).status_code == 403
        forged = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/other", params)}
        assert client.post(path, data=params, headers=forged).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallSession)) == 0


def test_hang_up_is_noted_where_the_caller_gave_up(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    call.press("1")
    params = call.params(CallStatus="completed", CallDuration="31")
    response = client.post(
        "/twilio/voice/status",
        data=params,
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/voice/status", params)},
    )
    assert response.status_code == 204
    with app.app_context():
        last = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
        assert last is not None and last.body == "call ended in zone"


@pytest.mark.browser
def test_the_phone_simulator_places_a_call_and_parks_by_keypad_and_speech(
    sqlite_url: str, clock: Clock
) -> None:
    from app import create_app
    from app.backend import zones
    from tests.browser_support import browser_page, free_port, screenshot, serve
    from tests.conftest import _empty_tables, _prepare_schema, make_settings

    port = free_port()
    _prepare_schema(sqlite_url)
    app = create_app(
        make_settings(sqlite_url, public_base_url=f"http://127.0.0.1:{port}"), clock=clock
    )
    _empty_tables(app)
    with app.app_context():
        zones.seed_demo(db.session(), clock())
        db.session().commit()
    with serve(app, port) as url, browser_page({"width": 1300, "height": 1000}) as page:
        page.goto(url + "/simulator/")
        page.fill("#sim-from", UK_MOBILE)
        page.click("#call-start")
        heard = page.locator("#call-heard .bubble.them")
        heard.first.wait_for()
        assert "To park, press 1." in heard.first.inner_text()
        steps = [
            ("key", "1"),
            ("keys", "101#"),
            ("key", "1"),
            ("say", "A B C 1 2 3"),
            ("key", "1"),
            ("keys", "45#"),
            ("key", "1"),
        ]
        for n, (kind, value) in enumerate(steps, start=2):
            if kind == "key":
                page.click(f"#call-keypad .key[data-key='{value}']")
            elif kind == "keys":
                page.fill("#call-digits", value)
                page.click("#call-send-keys")
            else:
                page.fill("#call-speech", value)
                page.click("#call-say")
            heard.nth(n - 1).wait_for()
        last = heard.last.inner_text()
        assert "You are parked until 10:45." in last
        assert "A payment link was sent to you by text message." in last
        screenshot(page, "simulator-voice-call")
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.channel is Channel.VOICE and order.plate_display == "ABC-123"


@pytest.mark.parametrize(
    ("number", "welcome", "menu"),
    [
        ("+358401112233", "Tervetuloa", "paina 1"),
        (SWEDISH_MOBILE, "Välkommen", "tryck 1"),
        (UK_MOBILE, "Welcome", "press 1"),
    ],
)
def test_every_word_of_the_greeting_is_in_the_callers_language(
    client: FlaskClient, number: str, welcome: str, menu: str
) -> None:
    greeting = Call(client, number=number).start()

    assert greeting.startswith(welcome)
    assert menu in greeting
    for other in {"paina", "tryck", "press"} - {menu.split()[0]}:
        assert other not in greeting


def test_after_parking_the_caller_hears_the_end_time_once_and_the_menu(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=UK_MOBILE)
    call.start()
    call.press("1")
    call.press("101#")
    call.press("1")
    call.say("X Y Z one two three")
    call.press("1")
    call.press("30#")
    done = call.press("1")
    assert done.count("10:30") == 1  # "You are parked until 10:30." and no summary after it
    assert "is parked in zone" not in done
    assert "To stop a parking, press 4." in done  # back at the menu

    again = Call(client, number=UK_MOBILE).start()  # a new call still starts with the summary
    assert "is parked in zone 101 until 10:30." in again


@pytest.mark.parametrize(
    ("number", "free_until"),
    [
        (UK_MOBILE, "Parking is free until 24 Nov 08:00, then €2.40 an hour."),
        (
            SWEDISH_MOBILE,
            "Parkeringen är avgiftsfri till 24/11 kl. 08:00, därefter 2,40 € i timmen.",
        ),
        (
            "+358401234567",
            "Pysäköinti on maksutonta 24.11. klo 8.00 asti, sen jälkeen 2,40 € tunnilta.",
        ),
    ],
)
def test_the_quote_names_free_time_with_its_end(
    client: FlaskClient, clock: Clock, number: str, free_until: str
) -> None:
    clock.set_local(2026, 11, 23, 19, 0)  # Monday evening: zone 101 is free until 08:00
    call = Call(client, number=number)
    call.start()
    call.press("1")
    call.press("101#")
    call.press("1")
    call.say("ABC 123")
    call.press("1")

    fixed = call.press("60#")
    assert free_until in fixed

    call.press("2")  # cancel; until stopped this time
    call.press("1")
    call.press("101#")
    call.press("1")
    call.say("ABC 123")
    call.press("1")
    assert free_until in call.press("0#")
