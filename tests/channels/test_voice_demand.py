"""Calls are contacts too, on SQLite and PostgreSQL, through signed voice webhooks: a call
to a sign group's own number (``SIGN_NUMBERS``) is attributed to that sign as an SMS is; the
help key (0) or two answers in a row not understood open a case in the staff inbox, as SMS
do, and the call is classified in the failure-demand figures; the figures give contacts per
completed order per sign."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Case, Event, EventKind
from tests.channels.voice_caller import Call
from tests.conftest import PUBLIC_BASE_URL, Clock, Phone, sign
from tests.panel.test_admin import ADMIN_PASSWORD, make_user, sign_in

SIGN_NUMBER = "+358459990000"
CALLER = "+447911123456"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"sign_numbers": ((SIGN_NUMBER, "KT-B"),), "default_language": "en"}


def _call_starts(app: Flask) -> list[tuple[str | None, str | None, str | None]]:
    """(demand, reason, sign) of every call, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(Event.demand, Event.demand_reason, Event.sign_code)
            .where(Event.kind == EventKind.CALL_STEP, Event.intent == "call_start")
            .order_by(Event.id)
        ).all()
        return [(d.value if d else None, r.value if r else None, s) for d, r, s in rows]


def _cases(app: Flask) -> list[tuple[str, str, str, list[str]]]:
    """(phone, reason, status, intents of its messages) of every case."""
    with app.app_context():
        found = []
        for case in db.session.scalars(select(Case).order_by(Case.id)):
            intents = db.session.scalars(
                select(Event.intent).where(Event.case_id == case.id).order_by(Event.id)
            )
            found.append(
                (case.customer.phone, case.reason, case.status.value, [str(i) for i in intents])
            )
        return found


def _text_to(client: FlaskClient, number: str, to: str, body: str) -> None:
    phone = Phone(client, number=number)
    params = phone.params(body) | {"To": to}
    response = client.post(
        "/twilio/sms",
        data=params,
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params)},
    )
    assert response.status_code == 200


def test_a_call_to_a_sign_groups_number_is_attributed_to_that_sign(
    app: Flask, client: FlaskClient
) -> None:
    Call(client, number=CALLER, to=SIGN_NUMBER).start()
    Call(client, number="+358401000008").start()
    assert _call_starts(app) == [("value", None, "KT-B"), ("value", None, None)]


def test_the_help_key_opens_a_case_and_the_call_is_operator_demand(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    call = Call(client, number=CALLER)
    call.start()
    heard = call.press("0")
    assert "get back to you today by 16:00" in heard
    assert call.action is not None and not call.hung_up  # the menu goes on
    assert _cases(app) == [(CALLER, "call", "open", ["call_to_person"])]
    assert _call_starts(app) == [("failure", "operator", None)]
    # The caller's next SMS threads into the same case.
    clock.advance(minutes=2)
    assert "person" in Phone(client, number=CALLER).send("did you get my call?")
    assert _cases(app) == [(CALLER, "call", "open", ["call_to_person", "question"])]
    make_user(app, clock, "root", "admin", ADMIN_PASSWORD)
    sign_in(client, "root", ADMIN_PASSWORD)
    with app.app_context():
        case_id = db.session.scalar(select(Case.id))
    page = client.get(f"/admin/inbox/{case_id}?lang=en").get_data(as_text=True)
    assert "Asked for a person on the phone: in the staff inbox" in page


def test_with_an_operator_the_call_is_put_through_and_a_case_opens(
    app: Flask, clock: Clock, settings_overrides: dict[str, object]
) -> None:
    from app import create_app
    from tests.conftest import make_settings

    with app.app_context():
        url = str(db.engine.url.render_as_string(hide_password=False))
    staffed = create_app(
        make_settings(url, **settings_overrides, operator_number="+358401110000"), clock=clock
    )
    call = Call(staffed.test_client(), number=CALLER)
    call.start()
    call.press("0")
    assert call.dialled == "+358401110000"
    assert _cases(app) == [(CALLER, "call", "open", ["call_to_person"])]
    assert _call_starts(app) == [("failure", "operator", None)]


def test_two_keys_in_a_row_not_understood_open_a_case(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=CALLER)
    call.start()
    first = call.press("7")
    assert "not in this menu" in first and "get back to you" not in first
    assert _cases(app) == []
    second = call.press("7")  # 7 is offered only to a caller with bookings
    assert "not in this menu" in second and "get back to you today by 16:00" in second
    assert call.action is not None  # still in the menu
    assert _cases(app) == [(CALLER, "not_understood", "open", ["call_not_understood"])]
    call.press("5")  # status: understood, the call is still a failure contact
    call.press("7")
    call.press("7")  # twice again: no second case, nothing said twice
    assert "get back to you" not in call.heard
    assert len(_cases(app)) == 1
    assert _call_starts(app) == [("failure", "not_understood", None)]


def test_one_miss_between_understood_keys_opens_no_case(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number=CALLER)
    call.start()
    call.press("7")
    call.press("9")  # the language menu: understood
    call.press("7")
    assert _cases(app) == []


def test_a_hidden_number_asking_for_a_person_opens_no_case(app: Flask, client: FlaskClient) -> None:
    call = Call(client, number="anonymous")
    call.start()
    heard = call.press("0")
    assert "HELP" in heard and "get back to you" not in heard
    assert _cases(app) == []
    assert _call_starts(app) == [("failure", "help", None)]


def test_contacts_per_completed_order_per_sign(
    app: Flask, client: FlaskClient, clock: Clock, api_token: str
) -> None:
    clock.set_local(2026, 11, 23, 10, 0)
    _text_to(client, CALLER, SIGN_NUMBER, "XYZ-111 102")  # a parking from sign group KT-B
    clock.advance(minutes=30)
    Call(client, number=CALLER, to=SIGN_NUMBER).start()  # a call on the same number
    clock.advance(minutes=5)
    _text_to(client, CALLER, SIGN_NUMBER, "LOPETA")  # the parking ends: completed
    auth = {"Authorization": f"Bearer {api_token}"}
    figures = client.get(
        "/api/v1/stats/demand?from=2026-11-23&to=2026-11-23", headers=auth
    ).get_json()
    assert figures["by_sign"]["KT-B"] == {
        "contacts": 3,
        "failure": 0,
        "completed_orders": 1,
        "contacts_per_completed_order": 3.0,
    }
    assert figures["by_channel"]["voice"]["contacts"] == 1
    make_user(app, clock, "root", "admin", ADMIN_PASSWORD)
    sign_in(client, "root", ADMIN_PASSWORD)
    page = client.get("/admin/demand?from=2026-11-23&to=2026-11-23&lang=en").get_data(as_text=True)
    by_sign = page[page.index("By sign") :]
    assert re.search(r'<th scope="row">KT-B</th><td>3</td><td>0\s?%</td><td>3.00</td>', by_sign)


def _steps(app: Flask, call: Call) -> list[tuple[str, str]]:
    """(intent, body) of every step of ``call`` on the timeline."""
    with app.app_context():
        rows = db.session.execute(
            select(Event.intent, Event.body)
            .where(Event.kind == EventKind.CALL_STEP, Event.external_id == call.sid)
            .order_by(Event.id)
        ).all()
        return [(str(i), str(b)) for i, b in rows]


def test_three_wrong_keys_at_one_prompt_end_the_call_politely_as_failure_demand(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number=CALLER)
    call.start()
    call.press("7")
    call.press("7")
    assert call.action is not None and not call.hung_up

    last = call.press("7")

    assert last.startswith("The key 7 is not in this menu. I am sorry, I could not understand")
    assert "You can also park by text message" in last and last.endswith("Goodbye.")
    assert call.hung_up and call.action is None and call.dialled is None
    assert _steps(app, call) == [
        ("call_start", "call started"),
        ("main", "main: 7"),
        ("call_not_understood", "not understood twice"),
        ("main", "main: 7"),
        ("call_gave_up", "main: ended after 3 answers missed"),
        ("main", "main: 7"),
    ]
    assert _cases(app) == [(CALLER, "not_understood", "open", ["call_not_understood"])]
    assert _call_starts(app) == [("failure", "not_understood", None)]


def test_wrong_keys_and_silence_count_together_and_a_new_question_starts_afresh(
    app: Flask, client: FlaskClient
) -> None:
    call = Call(client, number="anonymous")
    call.start()
    call.press("7")
    call.silence()
    call.press("1")  # understood: the zone question starts with no misses
    call.press("999#")
    call.silence()
    assert not call.hung_up
    call.say("hello")

    assert call.hung_up and "could not understand" in call.heard
    intents = [intent for intent, _body in _steps(app, call)]
    assert intents == [
        "call_start",
        "main",
        "silence",
        "main",
        "zone",
        "silence",
        "call_gave_up",
        "zone",
    ]
    assert _call_starts(app) == [("failure", "not_understood", None)]


def _staffed_app(app: Flask, clock: Clock, overrides: dict[str, object]) -> FlaskClient:
    from app import create_app
    from tests.conftest import make_settings

    with app.app_context():
        url = str(db.engine.url.render_as_string(hide_password=False))
    staffed = create_app(
        make_settings(url, **overrides, operator_number="+358401110000"), clock=clock
    )
    return staffed.test_client()


def test_in_support_hours_the_third_miss_is_put_through_to_a_person(
    app: Flask, clock: Clock, settings_overrides: dict[str, object]
) -> None:
    clock.set_local(2026, 11, 23, 10, 0)  # Monday 10:00, within mon-fri 08:00-16:00
    call = Call(_staffed_app(app, clock, settings_overrides), number=CALLER)
    call.start()
    call.press("7")
    call.silence()
    call.press("7")

    assert call.dialled == "+358401110000"
    assert "Connecting you to customer service" in call.heard
    assert [i for i, _b in _steps(app, call)][-3:] == ["call_to_person", "transfer", "main"]
    assert _call_starts(app) == [("failure", "operator", None)]


def test_outside_support_hours_the_third_miss_ends_the_call_without_dialling(
    app: Flask, clock: Clock, settings_overrides: dict[str, object]
) -> None:
    clock.set_local(2026, 11, 23, 20, 0)  # Monday 20:00: nobody answers
    call = Call(_staffed_app(app, clock, settings_overrides), number=CALLER)
    call.start()
    for _ in range(3):
        call.press("7")

    assert call.hung_up and call.dialled is None
    assert "tomorrow after 08:00" in " ".join(call.history)
    assert _call_starts(app) == [("failure", "not_understood", None)]
