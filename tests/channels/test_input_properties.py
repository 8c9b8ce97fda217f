"""Property tests over every input a stranger can type or post: plates, zone codes, phone
numbers, SMS bodies, web form fields and API paths. On SQLite and on PostgreSQL alike:
never a 5xx, and nothing stored from a refusal.

Example counts are modest (the suite runs on two databases); ``make fuzz`` goes further.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import CallSession, Event, Order, PlateCheckLog, WebhookReceipt
from tests.conftest import PUBLIC_BASE_URL, Phone, sign

FEW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any text, with the characters that broke the database before (NUL, controls, Unicode
# digits, combining marks) made likely.
nasty = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from("\x00\x01\x1b\x7f²③٣ÅÄÖ-. /%?#&+"),
    ),
    max_size=60,
)
plates = st.one_of(nasty, st.from_regex(r"[A-Z]{1,3}-?[0-9]{1,20}", fullmatch=True))
zone_codes = st.one_of(nasty, st.from_regex(r"[0-9A-Z]{1,30}", fullmatch=True))
phones = st.one_of(nasty, st.from_regex(r"\+?[0-9 ]{1,40}", fullmatch=True))


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _counts(app: Flask) -> tuple[int, ...]:
    return tuple(_count(app, m) for m in (Order, Event, WebhookReceipt, PlateCheckLog, CallSession))


@FEW
@given(plate=plates, zone=st.one_of(st.none(), zone_codes))
def test_a_plate_check_never_fails_and_logs_only_what_it_answered(
    app: Flask, client: FlaskClient, api_token: str, plate: str, zone: str | None
) -> None:
    before = _count(app, PlateCheckLog)
    path = "/api/v1/plates/" + quote(plate, safe="")
    query = {} if zone is None else {"zone": zone}
    response = client.get(
        path, query_string=query, headers={"Authorization": f"Bearer {api_token}"}
    )
    assert response.status_code < 500, (plate, zone)
    assert response.is_json
    logged = _count(app, PlateCheckLog) - before
    assert logged == (1 if response.status_code == 200 else 0)


@FEW
@given(segments=st.lists(nasty, min_size=1, max_size=3))
def test_any_api_path_answers_json_without_a_server_error(
    app: Flask, client: FlaskClient, api_token: str, segments: list[str]
) -> None:
    before = _counts(app)
    path = "/api/v1/" + "/".join(quote(s, safe="") for s in segments)
    response = client.get(path, headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code < 500, path
    if response.status_code != 200:
        assert _counts(app) == before


@FEW
@given(zone=zone_codes, suffix=st.sampled_from(["", "/parked", "/quote", "/sign.svg"]))
def test_any_zone_code_in_a_link_answers_without_a_server_error(
    app: Flask, client: FlaskClient, zone: str, suffix: str
) -> None:
    before = _counts(app)
    response = client.get("/p/" + quote(zone, safe="") + suffix)
    assert response.status_code < 500, zone
    assert _counts(app) == before


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match
    return match.group(1)


@FEW
@given(plate=plates, phone=st.one_of(st.none(), phones), duration=nasty, key=nasty)
def test_any_web_form_post_parks_or_refuses_and_stores_nothing_it_refused(
    app: Flask, client: FlaskClient, plate: str, phone: str | None, duration: str, key: str
) -> None:
    page = client.get("/p/101?lang=en").get_data(as_text=True)
    data = {"csrf_token": _csrf(page), "plate": plate, "duration": duration, "key": key}
    if phone is not None:
        data["phone"] = phone
    before = _count(app, Order)
    response = client.post("/p/101?lang=en", data=data)
    assert response.status_code < 500, data
    if response.status_code != 303:
        assert _count(app, Order) == before


@FEW
@given(body=st.one_of(nasty, st.text(max_size=2000)), sender=phones)
def test_any_sms_is_answered_and_recorded_never_a_server_error(
    app: Flask, client: FlaskClient, body: str, sender: str
) -> None:
    phone = Phone(client, number=sender)
    params = phone.params(body)
    before = _count(app, WebhookReceipt)
    response = client.post(
        "/twilio/sms",
        data=params,
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params)},
    )
    assert response.status_code in (200, 400), (body, sender)
    stored = _count(app, WebhookReceipt) - before
    assert stored == (1 if response.status_code == 200 else 0)
