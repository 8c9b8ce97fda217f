"""The attendants' handheld API: plate checks and orders behind a bearer token."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import Base, db
from app.models import ApiToken, Order
from tests.conftest import Clock, Phone


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _check(client: FlaskClient, token: str, plate: str, zone: str | None = "101") -> dict:
    url = f"/api/v1/plates/{quote(plate, safe='')}"
    if zone is not None:
        url += f"?zone={zone}"
    response = client.get(url, headers=_auth(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return dict(response.get_json())


def _pay_link(reply: str) -> str:
    return reply.split("/pay/")[1].split()[0]


def _park_and_pay(client: FlaskClient, phone: Phone, body: str) -> None:
    reply = phone.send(body)
    assert client.post(f"/demo-pay/{_pay_link(reply)}").status_code == 303


def _only_order_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(select(Order.id)).one()


def test_healthz_says_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unpaid_parking_is_valid_during_the_payment_grace_time(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str
) -> None:
    phone.send("ABC-123 101 2h")

    body = _check(client, api_token, "ABC-123")

    assert body == {
        "plate": "ABC-123",
        "zone": "101",
        "valid": True,
        "status": "awaiting_payment",
        "valid_until": "2026-11-23T10:10:00+02:00",
        "order_id": _only_order_id(app),
        "elsewhere": None,
    }


def test_unpaid_parking_is_no_longer_valid_once_the_grace_time_is_over(
    client: FlaskClient, phone: Phone, api_token: str, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    clock.advance(minutes=11)

    body = _check(client, api_token, "ABC-123")

    assert body["valid"] is False
    assert body["plate"] == "ABC-123"
    assert body["valid_until"] == "2026-11-23T10:10:00+02:00"


@pytest.mark.parametrize(
    "spelling", ["abc-123", "ABC123", "abc 123", "ABC\u2013123", " abc-123 "], ids=repr
)
def test_plate_is_found_however_the_attendant_writes_it(
    client: FlaskClient, phone: Phone, api_token: str, spelling: str
) -> None:
    phone.send("ABC-123 101 2h")

    body = _check(client, api_token, spelling)

    assert body["plate"] == "ABC-123"
    assert body["valid"] is True


def test_plate_with_a_url_encoded_space_is_found(
    client: FlaskClient, phone: Phone, api_token: str
) -> None:
    phone.send("ABC-123 101 2h")

    response = client.get("/api/v1/plates/abc%20123?zone=101", headers=_auth(api_token))

    assert response.status_code == 200
    assert response.get_json()["valid"] is True


def test_paid_parking_is_active_and_valid_until_its_end(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str, clock: Clock
) -> None:
    _park_and_pay(client, phone, "ABC-123 101 2h")
    clock.advance(minutes=30)  # well past the payment grace time

    body = _check(client, api_token, "abc123")

    assert body == {
        "plate": "ABC-123",
        "zone": "101",
        "valid": True,
        "status": "active",
        "valid_until": "2026-11-23T12:00:00+02:00",
        "order_id": _only_order_id(app),
        "elsewhere": None,
    }


def test_paid_parking_shows_expired_once_its_end_has_passed(
    client: FlaskClient, phone: Phone, api_token: str, clock: Clock
) -> None:
    _park_and_pay(client, phone, "ABC-123 101 2h")
    clock.advance(hours=2, minutes=1)  # no clock sweep has run: the API must still tell

    body = _check(client, api_token, "ABC-123")

    assert body["valid"] is False
    assert body["status"] == "expired"
    assert body["valid_until"] == "2026-11-23T12:00:00+02:00"


def test_parking_in_another_zone_is_not_valid_here(
    client: FlaskClient, phone: Phone, api_token: str
) -> None:
    _park_and_pay(client, phone, "ABC-123 101 2h")

    body = _check(client, api_token, "ABC-123", zone="102")

    assert body["valid"] is False
    assert body["zone"] == "102"


def test_plate_check_without_a_zone_finds_the_parking_in_any_zone(
    client: FlaskClient, phone: Phone, api_token: str
) -> None:
    _park_and_pay(client, phone, "ABC-123 102 1h")

    body = _check(client, api_token, "ABC-123", zone=None)

    assert body["valid"] is True
    assert body["zone"] == "102"


def test_unknown_plate_is_not_valid_and_has_no_order(client: FlaskClient, api_token: str) -> None:
    body = _check(client, api_token, "zzz-999")

    assert body == {
        "plate": "ZZZ-999",
        "zone": "101",
        "valid": False,
        "status": None,
        "valid_until": None,
        "order_id": None,
        "elsewhere": None,
    }


def test_valid_until_carries_the_summer_offset_in_july(
    client: FlaskClient, phone: Phone, api_token: str, clock: Clock
) -> None:
    clock.set_local(2026, 7, 6, 10, 0)  # a Monday in Helsinki summer time
    _park_and_pay(client, phone, "ABC-123 101 1h")

    body = _check(client, api_token, "ABC-123")

    assert body["valid_until"] == "2026-07-06T11:00:00+03:00"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer ",
        "Bearer kan_not-a-real-token",
        "Bearer not-even-the-prefix",
        "Basic dXNlcjpwYXNz",
    ],
    ids=["no header", "empty bearer", "unknown token", "no prefix", "basic auth"],
)
def test_plate_check_without_a_valid_token_is_refused(
    client: FlaskClient, api_token: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}

    response = client.get("/api/v1/plates/ABC-123?zone=101", headers=headers)

    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthorized"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_scheme_is_matched_whatever_its_case(client: FlaskClient, api_token: str) -> None:
    response = client.get(
        "/api/v1/plates/ABC-123?zone=101", headers={"Authorization": f"bearer {api_token}"}
    )

    assert response.status_code == 200


def test_revoked_token_is_refused(
    app: Flask, client: FlaskClient, api_token: str, clock: Clock
) -> None:
    assert client.get("/api/v1/plates/ABC-123", headers=_auth(api_token)).status_code == 200
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        row.revoked_at = clock()
        db.session.commit()

    clock.advance(minutes=2)  # a live token's use would be written again by now

    response = client.get("/api/v1/plates/ABC-123", headers=_auth(api_token))
    bad_plate = client.get("/api/v1/plates/--", headers=_auth(api_token))

    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    assert bad_plate.status_code == 401
    with app.app_context():
        from app.models import PlateCheckLog

        assert len(db.session.scalars(select(PlateCheckLog)).all()) == 1  # the first check
        assert db.session.scalars(select(ApiToken)).one().last_used_at == clock() - timedelta(
            minutes=2
        )


def test_token_is_stored_only_as_a_hash_and_appears_nowhere_in_the_database(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    clock.advance(minutes=1)
    assert client.get("/api/v1/plates/ABC-123", headers=_auth(api_token)).status_code == 200

    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        assert row.name == "handheld-1"
        assert row.token_hash != api_token
        assert len(row.token_hash) == 64
        assert row.last_used_at == clock()
        everything = []
        for table in Base.metadata.sorted_tables:
            everything += [repr(tuple(r)) for r in db.session.execute(select(table))]
    dump = "\n".join(everything)
    assert api_token not in dump
    assert api_token.removeprefix("kan_") not in dump


def test_order_is_shown_with_its_details(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str
) -> None:
    _park_and_pay(client, phone, "ABC-123 101 2h")
    order_id = _only_order_id(app)

    response = client.get(f"/api/v1/orders/{order_id}", headers=_auth(api_token))

    assert response.status_code == 200
    assert response.get_json() == {
        "id": order_id,
        "kind": "parking",
        "status": "active",
        "plate": "ABC-123",
        "zone": "101",
        "starts_at": "2026-11-23T10:00:00+02:00",
        "ends_at": "2026-11-23T12:00:00+02:00",
        "amount_cents": 480,
        "currency": "EUR",
        "channel": "sms",
    }


def test_order_shows_expired_once_its_end_has_passed(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str, clock: Clock
) -> None:
    _park_and_pay(client, phone, "ABC-123 101 2h")
    clock.advance(hours=3)

    response = client.get(f"/api/v1/orders/{_only_order_id(app)}", headers=_auth(api_token))

    assert response.get_json()["status"] == "expired"


def test_unknown_order_is_404_json(client: FlaskClient, api_token: str) -> None:
    response = client.get("/api/v1/orders/999999", headers=_auth(api_token))

    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found"}


def test_order_without_a_token_is_refused(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str
) -> None:
    phone.send("ABC-123 101 2h")

    response = client.get(f"/api/v1/orders/{_only_order_id(app)}")

    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthorized"}
    assert "WWW-Authenticate" in response.headers


def test_unknown_paths_and_impossible_ids_answer_in_json(
    client: FlaskClient, api_token: str
) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    for path in ("/api/v1/orders/99999999999999999999999", "/api/v1/orders/abc", "/api/v1/nope"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.is_json, path
    assert client.post("/api/v1/orders/1", headers=headers).get_json() == {
        "error": "method_not_allowed"
    }


@pytest.mark.parametrize("plate", ["-", "\u200b", "–", "..."])
def test_a_plate_of_only_punctuation_is_refused(
    client: FlaskClient, api_token: str, plate: str
) -> None:
    response = client.get(
        f"/api/v1/plates/{plate}", headers={"Authorization": f"Bearer {api_token}"}
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": "bad_plate"}


def test_every_handheld_check_is_logged_with_its_token(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str
) -> None:
    phone.send("ABC-123 101 1h")
    client.get("/api/v1/plates/abc 123?zone=101", headers={"Authorization": f"Bearer {api_token}"})

    with app.app_context():
        from app.models import PlateCheckLog

        check = db.session.scalars(select(PlateCheckLog)).one()
        assert check.user_id is None
        assert check.api_token is not None and check.api_token.name == "handheld-1"
        assert (check.plate_key, check.zone_code, check.valid) == ("ABC123", "101", True)


def test_plate_valid_in_another_zone_names_that_zone_and_its_end(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str, clock: Clock
) -> None:
    _park_and_pay(client, phone, "ABC-123 202 2h")
    clock.advance(minutes=20)

    here = _check(client, api_token, "abc123", zone="201")

    assert here == {
        "plate": "ABC-123",
        "zone": "201",
        "valid": False,
        "status": None,
        "valid_until": None,
        "order_id": None,
        "elsewhere": {"zone": "202", "valid_until": "2026-11-23T12:00:00+02:00"},
    }
    there = _check(client, api_token, "ABC-123", zone="202")
    assert there["valid"] is True and there["elsewhere"] is None
    anywhere = _check(client, api_token, "ABC-123", zone=None)
    assert anywhere["zone"] == "202" and anywhere["elsewhere"] is None
    with app.app_context():
        from app.models import PlateCheckLog

        logged = db.session.scalars(select(PlateCheckLog).order_by(PlateCheckLog.id)).all()
        assert [(c.zone_code, c.valid) for c in logged] == [
            ("201", False),
            ("202", True),
            (None, True),
        ]


def test_plate_parked_until_stopped_elsewhere_has_no_end_and_ended_parkings_do_not_count(
    client: FlaskClient, phone: Phone, api_token: str, clock: Clock
) -> None:
    _park_and_pay(client, phone, "ABC-123 103")  # until stopped; 103 has no longest stay
    other = Phone(client, number="+358401111111")
    _park_and_pay(client, other, "XYZ-987 202 30min")
    clock.advance(minutes=40)  # XYZ-987's parking is over

    assert _check(client, api_token, "ABC-123", zone="101")["elsewhere"] == {
        "zone": "103",
        "valid_until": None,
    }
    assert _check(client, api_token, "XYZ-987", zone="101")["elsewhere"] is None


def test_a_tokens_last_use_is_written_at_most_once_a_minute(
    app: Flask, client: FlaskClient, api_token: str, clock: Clock
) -> None:
    def last_use() -> object:
        with app.app_context():
            return db.session.scalars(select(ApiToken)).one().last_used_at

    first = clock()
    assert client.get("/api/v1/plates/ABC-123", headers=_auth(api_token)).status_code == 200
    assert last_use() == first

    clock.advance(seconds=59)
    assert client.get("/api/v1/plates/ABC-124", headers=_auth(api_token)).status_code == 200
    assert last_use() == first

    clock.advance(seconds=1)
    assert client.get("/api/v1/plates/ABC-125", headers=_auth(api_token)).status_code == 200
    assert last_use() == clock()


def test_a_tokens_use_is_recorded_even_when_the_plate_is_refused(
    app: Flask, client: FlaskClient, api_token: str, clock: Clock
) -> None:
    def last_use() -> object:
        with app.app_context():
            return db.session.scalars(select(ApiToken)).one().last_used_at

    assert client.get("/api/v1/plates/--", headers=_auth(api_token)).status_code == 400
    assert last_use() == clock()
    # A clock set back (a corrected server clock) writes the use again.
    clock.advance(minutes=-5)
    response = client.get("/api/v1/plates/ABC-123?zone=1%200", headers=_auth(api_token))
    assert response.status_code == 400 and response.get_json() == {"error": "bad_zone"}
    assert last_use() == clock()
    with app.app_context():
        from app.models import PlateCheckLog

        assert db.session.scalars(select(PlateCheckLog)).all() == []


def test_an_unknown_token_of_the_right_shape_is_refused(
    client: FlaskClient, api_token: str
) -> None:
    forged = api_token[:-4] + ("AAAA" if not api_token.endswith("AAAA") else "BBBB")
    response = client.get("/api/v1/plates/ABC-123", headers=_auth(forged))
    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthorized"}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="kanava"'


def test_api_answers_do_not_vary_by_cookie_nor_set_one(client: FlaskClient, api_token: str) -> None:
    # The API is signed in by its bearer token: no session cookie is read or written, and
    # a cache may keep an answer whatever cookies a client sends.
    client.set_cookie("lang", "sv")
    for response in (
        client.get("/api/v1/plates/ABC-123?zone=101&lang=en", headers=_auth(api_token)),
        client.get("/api/v1/plates/ABC-123?zone=1%200", headers=_auth(api_token)),
        client.get("/api/v1/plates/ABC-123"),
        client.get("/api/v1/nothing-here", headers=_auth(api_token)),
    ):
        assert "Cookie" not in response.headers.get("Vary", "")
        assert "Set-Cookie" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_still_vary_by_cookie(client: FlaskClient) -> None:
    response = client.get("/admin/login")

    assert "Cookie" in response.headers.get("Vary", "")


def test_a_plate_checks_json_is_byte_for_byte_flasks(
    app: Flask, client: FlaskClient, phone: Phone, api_token: str
) -> None:
    phone.send("ÅÄÖ-123 101 2h")  # letters beyond ASCII are escaped, as jsonify does
    for url in ("/api/v1/plates/ÅÄÖ-123?zone=101", "/api/v1/plates/--"):
        response = client.get(url, headers=_auth(api_token))
        with app.app_context():
            flasks = app.json.response(response.get_json())
        assert response.data == flasks.data
        assert response.headers["Content-Type"] == flasks.headers["Content-Type"]


@pytest.mark.parametrize("path", ["%2F0", "%2F%2F0", "0%2F%2F1"])
def test_a_plate_with_slashes_is_checked_as_written_never_redirected(
    client: FlaskClient, api_token: str, path: str
) -> None:
    response = client.get(f"/api/v1/plates/{path}?zone=101", headers=_auth(api_token))

    assert response.status_code == 400, response.headers.get("Location")
    assert response.get_json() == {"error": "bad_plate"}
