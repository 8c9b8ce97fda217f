"""Failure demand counted, on SQLite and PostgreSQL: contacts made through the real front
doors (signed SMS, the web form behind a sign's QR code, a number of a sign group, a call),
each classified on its event, and the figures of ``GET /api/v1/stats/demand``, the panel
page and its CSV computed from them with known answers."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.domain.demand import Demand, DemandReason
from app.extensions import db
from app.models import Event, EventKind
from tests.channels.voice_caller import Call
from tests.conftest import PUBLIC_BASE_URL, SERVICE_NUMBER, Clock, Phone, sign
from tests.panel.test_admin import ADMIN_PASSWORD, make_user, sign_in

SIGN_NUMBER = "+358459990000"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"sign_numbers": ((SIGN_NUMBER, "KT-B"),)}


def _text_to(phone: Phone, to: str, body: str) -> None:
    params = phone.params(body) | {"To": to}
    response = phone.client.post(
        "/twilio/sms",
        data=params,
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params)},
    )
    assert response.status_code == 200


def _park_on_the_web(client: FlaskClient, path: str, plate: str) -> None:
    page = client.get(path).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = csrf.group(1) if csrf else fields.get("csrf_token", "")
    response = client.post(
        path.split("?")[0] + "?lang=fi",
        data={**fields, "csrf_token": token, "plate": plate, "duration": "60"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def _classified(app: Flask) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Event.body, Event.demand, Event.demand_reason, Event.zone_code, Event.sign_code)
            .where(Event.demand.is_not(None))
            .order_by(Event.id)
        )
        return [
            (body, d.value if d else None, r.value if r else None, zone, sign_code)
            for body, d, r, zone, sign_code in rows
        ]


def _seed(app: Flask, client: FlaskClient, clock: Clock) -> None:
    """Eleven contacts on Monday 23 and Tuesday 24 November 2026 (Helsinki)."""
    a = Phone(client, number="+358401000001")
    b = Phone(client, number="+358401000002")
    c = Phone(client, number="+358401000003")
    e = Phone(client, number="+358401000005")
    a.send("ABC-123 101 2h")  # value: a parking
    clock.advance(minutes=5)
    a.send("TILA")  # repeat: what the reply just said
    clock.advance(minutes=1)
    a.send("asdf qwerty")  # not understood
    clock.advance(minutes=1)
    a.send("blaa blaa 0401234567")  # not understood again: a case opens
    clock.advance(minutes=1)
    a.send("qwerty again")  # joins the case: to a person
    b.send("sain sakon vaikka maksoin")  # complaint
    b.send("OHJE")  # help
    c.send("can I park here overnight?")  # a question for a person
    _park_on_the_web(client, "/p/101?s=101-a", "XYZ-789")  # value, from sign 101-A
    clock.advance(minutes=50)
    a.send("LOPETA")  # value; the parking is completed
    clock.set_local(2026, 11, 24, 9, 0)
    _text_to(e, SIGN_NUMBER, "XYZ-111 102")  # value, on sign group KT-B's own number


def _seed_and_sign_in_an_admin(app: Flask, client: FlaskClient, clock: Clock) -> None:
    _seed(app, client, clock)
    make_user(app, clock, "root", "admin", ADMIN_PASSWORD)
    sign_in(client, "root", ADMIN_PASSWORD)


def test_every_contact_is_classified_on_its_event(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    _seed(app, client, clock)
    assert _classified(app) == [
        ("ABC-123 101 2h", "value", None, "101", None),
        ("TILA", "failure", "repeat", "101", None),
        ("asdf qwerty", "failure", "not_understood", None, None),
        ("blaa blaa 0401234567", "failure", "not_understood", None, None),
        ("qwerty again", "failure", "operator", None, None),
        ("sain sakon vaikka maksoin", "failure", "complaint", None, None),
        ("OHJE", "failure", "help", None, None),
        ("can I park here overnight?", "failure", "operator", None, None),
        ("web form: park XYZ-789 in 101", "value", None, "101", "101-A"),
        ("LOPETA", "value", None, "101", None),
        ("XYZ-111 102", "value", None, "102", "KT-B"),
    ]


def test_what_a_message_created_is_classified_without_a_past_and_the_rest_with_theirs(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    # A new driver texting a sign's number, then the service number about that parking:
    # the second inherits the first one's sign. A known driver's second parking is new
    # (value); the same parking asked again soon after is a repeat.
    d = Phone(client, number="+358401000006")
    _text_to(d, SIGN_NUMBER, "XYZ-222 102 2h")
    clock.advance(minutes=5)
    d.send("TILA")
    clock.advance(minutes=1)
    d.send("XYZ-333 101 1h")
    clock.advance(minutes=1)
    d.send("XYZ-333 101 1h")
    assert _classified(app) == [
        ("XYZ-222 102 2h", "value", None, "102", "KT-B"),
        ("TILA", "failure", "repeat", "102", "KT-B"),
        ("XYZ-333 101 1h", "value", None, "101", None),
        ("XYZ-333 101 1h", "failure", "repeat", "101", None),
    ]


def test_the_api_gives_the_figures_of_the_days_asked(
    app: Flask, client: FlaskClient, clock: Clock, api_token: str
) -> None:
    _seed(app, client, clock)
    auth = {"Authorization": f"Bearer {api_token}"}
    both = client.get("/api/v1/stats/demand?from=2026-11-23&to=2026-11-24", headers=auth)
    assert both.status_code == 200
    figures = both.get_json()
    assert {k: figures[k] for k in ("from", "to", "contacts", "value", "failure")} == {
        "from": "2026-11-23",
        "to": "2026-11-24",
        "contacts": 11,
        "value": 4,
        "failure": 7,
    }
    assert figures["by_reason"] == {
        "not_understood": 2,
        "repeat": 1,
        "correction": 0,
        "help": 1,
        "complaint": 1,
        "payment_failed": 0,
        "operator": 2,
    }
    assert figures["by_channel"] == {
        "sms": {"contacts": 10, "failure": 7},
        "voice": {"contacts": 0, "failure": 0},
        "web": {"contacts": 1, "failure": 0},
    }
    assert figures["by_zone"] == {
        "101": {"contacts": 4, "failure": 1},
        "102": {"contacts": 1, "failure": 0},
    }
    no_orders = {"completed_orders": 0, "contacts_per_completed_order": None}
    assert figures["by_sign"] == {
        "101-A": {"contacts": 1, "failure": 0, **no_orders},
        "KT-B": {"contacts": 1, "failure": 0, **no_orders},
    }
    assert figures["by_day"] == {
        "2026-11-23": {"contacts": 10, "failure": 7},
        "2026-11-24": {"contacts": 1, "failure": 0},
    }
    assert figures["completed_orders"] == 1
    assert figures["contacts_per_completed_order"] == 11.0
    # resolved first time: the web form, the sign number's parking and LOPETA (the first
    # parking was followed by "TILA" within 30 minutes)
    assert figures["first_contact_resolution"] == round(3 / 11, 4)

    tuesday = client.get("/api/v1/stats/demand?from=2026-11-24&to=2026-11-24", headers=auth)
    assert tuesday.get_json()["contacts"] == 1
    assert tuesday.get_json()["contacts_per_completed_order"] is None


def test_the_api_needs_the_token_and_a_range(client: FlaskClient, api_token: str) -> None:
    assert client.get("/api/v1/stats/demand?from=2026-11-23&to=2026-11-24").status_code == 401
    auth = {"Authorization": f"Bearer {api_token}"}
    for query in ("", "?from=2026-11-24&to=2026-11-23", "?from=23.11.2026&to=2026-11-24"):
        response = client.get("/api/v1/stats/demand" + query, headers=auth)
        assert response.status_code == 400 and response.get_json() == {"error": "bad_dates"}


def test_the_panel_page_and_its_csv_show_the_same_figures(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    _seed_and_sign_in_an_admin(app, client, clock)
    page = client.get("/admin/demand?from=2026-11-23&to=2026-11-24&lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(r'id="contacts">11<', text)
    assert re.search(r'id="failure-share">64\s?%<', text)  # 7 of 11
    assert re.search(r'id="per-order">11.00<', text)
    assert re.search(r'id="fcr">27\s?%<', text)
    assert '<svg class="chart"' in text and "<script" not in text
    assert 'id="reason-operator">2<' in text
    assert "***67" in text and "0401234567" not in text  # the number in a text is masked
    assert "KT-B" in text and "101-A" in text

    response = client.get("/admin/demand?from=2026-11-23&to=2026-11-24&format=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:6] == ["group", "key", "contacts", "value", "failure", "failure_share"]
    by_key = {(r[0], r[1]): r for r in rows[1:]}
    assert by_key[("day", "2026-11-23")][2:5] == ["10", "3", "7"]
    assert by_key[("sign", "KT-B")][2:5] == ["1", "1", "0"]
    assert by_key[("total", "")][2:5] == ["11", "4", "7"]


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_the_panel_page_writes_its_ratios_as_the_viewer_does(
    app: Flask, client: FlaskClient, clock: Clock, lang: str
) -> None:
    _seed_and_sign_in_an_admin(app, client, clock)

    text = client.get(f"/admin/demand?from=2026-11-23&to=2026-11-24&lang={lang}").get_data(
        as_text=True
    )

    assert re.search(r'id="per-order">11,00<', text)
    assert not re.search(r">\d+\.\d\d<", text)  # nor in the table's rows


def test_an_attendant_cannot_open_the_figures(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "anna", "attendant", "attendant-password-1")
    sign_in(client, "anna", "attendant-password-1")
    assert client.get("/admin/demand").status_code == 403


def test_a_call_transferred_to_a_person_is_operator_demand(
    app: Flask, clock: Clock, settings_overrides: dict[str, object]
) -> None:
    from app import create_app
    from tests.conftest import make_settings

    with app.app_context():
        url = str(db.engine.url.render_as_string(hide_password=False))
    with_operator = create_app(make_settings(url, operator_number="+358401110000"), clock=clock)
    served = Call(with_operator.test_client(), number="+447700900123")
    served.start()
    transferred = Call(with_operator.test_client(), number="+447700900124")
    transferred.start()
    transferred.press("0")
    assert transferred.dialled == "+358401110000"
    with app.app_context():
        starts = db.session.execute(
            select(Event.external_id, Event.demand, Event.demand_reason)
            .where(Event.kind == EventKind.CALL_STEP, Event.intent == "call_start")
            .order_by(Event.id)
        ).all()
    assert [(d, r) for _, d, r in starts] == [
        (Demand.VALUE, None),
        (Demand.FAILURE, DemandReason.OPERATOR),
    ]


def test_the_sign_code_rides_the_qr_link_and_survives_a_language_switch(
    client: FlaskClient,
) -> None:
    svg = client.get("/p/101/sign.svg?s=101-A").get_data(as_text=True)
    assert f"{PUBLIC_BASE_URL}/p/101?s=101-A" in svg
    grouped = client.get("/p/101/sign.svg?s=KT-B").get_data(as_text=True)
    assert "+358 45 9990000" in grouped and SERVICE_NUMBER not in grouped
    form = client.get("/p/101?s=101-A").get_data(as_text=True)
    assert '<input type="hidden" name="s" value="101-A">' in form
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert csrf
    client.post(
        "/p/101/language?lang=en",
        data={"csrf_token": csrf.group(1), "s": "101-A", "plate": "ABC-1"},
    )
    again = client.get("/p/101?lang=en").get_data(as_text=True)
    assert '<input type="hidden" name="s" value="101-A">' in again
    assert 'value="ABC-1"' in again


@pytest.mark.parametrize(
    "query", ["from=9999-12-31&to=9999-12-31", "from=0001-01-01&to=0001-01-01"]
)
def test_days_at_the_ends_of_the_calendar_are_refused_not_a_500(
    client: FlaskClient, api_token: str, query: str
) -> None:
    """Found by make fuzz: the day after 9999-12-31 does not exist (OverflowError)."""
    auth = {"Authorization": f"Bearer {api_token}"}
    response = client.get("/api/v1/stats/demand?" + query, headers=auth)
    assert response.status_code == 400 and response.get_json() == {"error": "bad_dates"}
