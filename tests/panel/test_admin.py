"""The attendant and admin panel over HTTP, on SQLite and PostgreSQL: sign-in, CSRF, roles,
plate check, zone board, customer timeline, staff actions, zones editor, users, export."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.backend import users
from app.extensions import db
from app.models import (
    ApiToken,
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    PlateCheckLog,
    User,
    Zone,
)
from tests.conftest import Clock, Phone

ADMIN_PASSWORD = "admin-password-1"
ATTENDANT_PASSWORD = "attendant-password-1"


def make_user(app: Flask, clock: Clock, name: str, role: str, password: str) -> None:
    with app.app_context():
        users.create_user(db.session, name, role, password, clock())
        db.session.commit()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, name: str, password: str) -> int:
    page = client.get("/admin/login?lang=en").get_data(as_text=True)
    response = client.post(
        "/admin/login", data={"csrf_token": csrf_token(page), "name": name, "password": password}
    )
    return response.status_code


def token_of(client: FlaskClient, path: str = "/admin/") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def confirmation(client: FlaskClient, path: str, **params: str) -> tuple[str, str, dict[str, str]]:
    """Open a staff action's confirmation page: its text, where its form posts, and the
    fields its button sends."""
    response = client.get(path, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    form = re.search(
        r'<form method="post" action="([^"]+)" class="[^"]*confirm-form">(.*?)</form>',
        page,
        re.DOTALL,
    )
    assert form, "the confirmation page has no form"
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)
        )
    }
    return (
        re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page)),
        html.unescape(form.group(1)),
        fields,
    )


def confirm(
    client: FlaskClient, path: str, note: str = "", lang: str = "en", **params: str
) -> tuple[str, str]:
    """Open a staff action's confirmation and press its button: the confirmation's text and
    the page shown after the action (with its flash message)."""
    text, action, fields = confirmation(client, path, lang=lang, **params)
    done = client.post(f"{action}?lang={lang}", data=fields | {"note": note}, follow_redirects=True)
    return text, done.get_data(as_text=True)


def the_order(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        db.session.expunge(order)
        return order


def test_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    assert client.get("/admin/timeline?q=ABC-123").status_code == 302


def test_attendant_checks_a_plate_parked_by_sms_in_any_spelling(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    assert sign_in(client, "anna", ATTENDANT_PASSWORD) == 302

    response = client.post(
        "/admin/?lang=en", data={"csrf_token": token_of(client), "plate": "abc 123", "zone": "101"}
    )
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "VALID" in page and "NOT VALID" not in page
    assert "ABC-123" in page and "101" in page
    assert "10:10" in page  # awaiting payment: valid for the grace time
    assert "awaiting payment" in page and "SMS" in page
    assert 'aria-live="assertive"' in page
    with app.app_context():
        check = db.session.scalars(select(PlateCheckLog)).one()
        assert (check.user.name, check.plate_key, check.zone_code) == ("anna", "ABC123", "101")
        assert check.valid is True and check.status == "awaiting_payment"


def test_plate_not_parked_is_not_valid_in_words(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    page = client.post(
        "/admin/?lang=en", data={"csrf_token": token_of(client), "plate": "XYZ-999"}
    ).get_data(as_text=True)
    assert "NOT VALID" in page
    assert "No parking found" in page
    with app.app_context():
        assert db.session.scalars(select(PlateCheckLog)).one().valid is False


def test_form_without_its_csrf_token_is_refused(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)

    refused = client.post("/admin/login", data={"name": "boss", "password": ADMIN_PASSWORD})
    assert refused.status_code == 400
    assert client.get("/admin/").status_code == 302  # still not signed in

    sign_in(client, "boss", ADMIN_PASSWORD)
    order = the_order(app)
    refused = client.post(f"/admin/orders/{order.id}/stop", data={"note": "no token"})
    assert refused.status_code == 400
    assert "security token" in refused.get_data(as_text=True)
    forged = client.post(f"/admin/orders/{order.id}/stop", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert the_order(app).status is OrderStatus.AWAITING_PAYMENT


def test_attendant_is_refused_admin_pages_and_actions(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    token = token_of(client)
    order = the_order(app)

    for path in ("/admin/users", "/admin/export", "/admin/zones/new", "/admin/zones/edit/101"):
        assert client.get(path).status_code == 403, path
    stop = client.post(f"/admin/orders/{order.id}/stop", data={"csrf_token": token})
    assert stop.status_code == 403
    assert client.post("/admin/tokens", data={"csrf_token": token, "name": "x"}).status_code == 403
    assert the_order(app).status is OrderStatus.AWAITING_PAYMENT
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_five_wrong_passwords_lock_the_name_for_fifteen_minutes(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    for _ in range(5):
        assert sign_in(client, "anna", "wrong-password") == 401

    page = client.get("/admin/login?lang=en").get_data(as_text=True)
    locked = client.post(
        "/admin/login",
        data={"csrf_token": csrf_token(page), "name": "anna", "password": ATTENDANT_PASSWORD},
    )
    assert locked.status_code == 401
    assert "Too many failed attempts" in locked.get_data(as_text=True)

    clock.advance(minutes=16)
    assert sign_in(client, "anna", ATTENDANT_PASSWORD) == 302


def test_wrong_name_and_wrong_password_read_the_same(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    page = client.get("/admin/login?lang=en").get_data(as_text=True)
    token = csrf_token(page)
    nobody = client.post("/admin/login", data={"csrf_token": token, "name": "x", "password": "y"})
    wrong = client.post("/admin/login", data={"csrf_token": token, "name": "anna", "password": "y"})
    assert "Wrong user name or password." in nobody.get_data(as_text=True)
    assert "Wrong user name or password." in wrong.get_data(as_text=True)


def test_signed_in_session_ends_when_the_user_is_deactivated_or_signs_out(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    assert client.get("/admin/").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"

    client.post("/admin/logout", data={"csrf_token": token_of(client)})
    assert client.get("/admin/").status_code == 302

    sign_in(client, "anna", ATTENDANT_PASSWORD)
    with app.app_context():
        db.session.scalars(select(User).where(User.name == "anna")).one().active = False
        db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_zone_board_shows_live_and_recently_ended_parkings(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    other = Phone(client, number="+358401111111")
    other.send("XYZ-987 101 30min")
    clock.advance(minutes=5)
    other.send("LOPETA")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    page = client.get("/admin/zones/101/board?lang=en").get_data(as_text=True)
    parked_now, ended = page.split("Ended in the last two hours")
    assert "ABC-123" in parked_now and "5 min" in parked_now  # grace time left to pay
    assert "XYZ-987" in ended
    fragment = client.get("/admin/zones/101/board?partial=1").get_data(as_text=True)
    assert "ABC-123" in fragment and "<html" not in fragment
    assert client.get("/admin/zones/999/board").status_code == 404


def test_timeline_by_phone_or_plate_shows_every_channel_and_marks_what_was_not_understood(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("qwerty zxcv")
    phone.send("hello is this parking")  # a question: for a person
    phone.send("ABC-123 101 2h")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    client.post("/admin/", data={"csrf_token": token_of(client), "plate": "ABC123"})

    by_phone = client.get("/admin/timeline?lang=en&q=040 1234567").get_data(as_text=True)
    assert "qwerty zxcv" in by_phone and "NOT UNDERSTOOD" in by_phone
    assert "hello is this parking" in by_phone and "HANDED TO A PERSON" in by_phone
    assert "ABC-123 101 2h" in by_phone  # the driver's SMS
    assert "Parking started: ABC-123 in zone 101, until 12:00" in by_phone  # the order event

    by_plate = client.get("/admin/timeline?lang=en&q=abc-123").get_data(as_text=True)
    assert "+358401234567" in by_plate
    assert "ABC-123 101 2h" in by_plate
    assert "plate check" in by_plate and "anna" in by_plate
    assert "Stop…" not in by_plate and "/stop" not in by_plate  # actions are for admins

    nothing = client.get("/admin/timeline?lang=en&q=NOPE-1").get_data(as_text=True)
    assert "Nothing found" in nothing


def test_admin_stops_a_parking_the_driver_is_told_and_the_timeline_says_who(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    order = the_order(app)
    clock.advance(minutes=30)

    single_tap = client.post(
        f"/admin/orders/{order.id}/stop",
        data={"csrf_token": token_of(client), "next": "/admin/timeline?q=ABC-123"},
    )
    assert single_tap.status_code == 303  # to the confirmation: nothing was done
    assert f"/admin/orders/{order.id}/stop?next=" in single_tap.headers["Location"]
    assert the_order(app).status is OrderStatus.AWAITING_PAYMENT

    text, action, fields = confirmation(
        client, f"/admin/orders/{order.id}/stop", lang="en", next="/admin/timeline?q=ABC-123"
    )
    assert "Stop ABC-123 now: €1.20 will be charged." in text
    assert the_order(app).status is OrderStatus.AWAITING_PAYMENT
    response = client.post(action, data=fields | {"note": "driver called"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/timeline?q=ABC-123")

    with app.app_context():
        stopped = db.session.get(Order, order.id)
        assert stopped is not None and stopped.status is OrderStatus.ENDED
        assert stopped.amount_cents == 120  # 30 min at 2.40 €/h
        sms = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose == "staff_stop")
        ).one()
        assert sms.to_number == "+358401234567"
        assert "ABC-123" in sms.body and "1,20" in sms.body
        action = db.session.scalars(select(Event).where(Event.kind == EventKind.STAFF_ACTION)).one()
        assert action.actor == "boss" and "driver called" in action.body
    page = client.get("/admin/timeline?lang=en&q=ABC-123").get_data(as_text=True)
    assert "Stopped the parking ABC-123 in zone 101 «driver called»" in page
    assert "Parking stopped; it cost €1.20." in page
    assert "delivered" in page  # the driver's SMS went out through the local outbox


def test_admin_extends_and_cancels(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 1h")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    order = the_order(app)

    text, done = confirm(client, f"/admin/orders/{order.id}/extend", minutes="30")
    assert "Extend ABC-123 by 30 min, until 11:30: €1.20 more, asked from the driver" in text
    assert "Parking extended until 11:30, €1.20 more." in done
    with app.app_context():
        extended = db.session.get(Order, order.id)
        assert extended is not None
        assert extended.ends_at is not None
        assert (extended.ends_at - extended.starts_at).total_seconds() == 90 * 60
        assert extended.amount_cents == 360

    text, done = confirm(client, f"/admin/orders/{order.id}/cancel")
    assert "Cancel ABC-123 now: nothing more is asked of the driver." in text
    assert "Order cancelled." in done
    with app.app_context():
        cancelled = db.session.get(Order, order.id)
        assert cancelled is not None and cancelled.status is OrderStatus.CANCELLED
        assert all(p.status.value == "cancelled" for p in cancelled.payments)
        purposes = set(db.session.scalars(select(OutboundMessage.purpose)))
        assert {"staff_extend", "staff_cancel"} <= purposes

    again = client.get(f"/admin/orders/{order.id}/stop?lang=en")
    assert again.status_code == 409
    assert "not running any more" in again.get_data(as_text=True)
    late = client.post(
        f"/admin/orders/{order.id}/stop?lang=en",
        data={"csrf_token": token_of(client), "confirmed": "1"},
        follow_redirects=True,
    )
    assert "not running any more" in late.get_data(as_text=True)


def test_staff_note_lands_on_the_customer_timeline(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    page = client.get("/admin/timeline?q=ABC-123").get_data(as_text=True)
    customer_id = re.search(r'name="customer_id" value="(\d+)"', page)
    assert customer_id
    client.post(
        "/admin/notes",
        data={
            "csrf_token": csrf_token(page),
            "customer_id": customer_id.group(1),
            "text": "Disputed fine 123; sign was covered",
        },
    )
    page = client.get("/admin/timeline?q=%2B358401234567").get_data(as_text=True)
    assert "Disputed fine 123; sign was covered" in page


def test_zone_editor_validates_like_the_zones_file_and_previews_the_price(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    token = token_of(client, "/admin/zones/new")
    fields = {
        "csrf_token": token,
        "code": "777",
        "name": "Satama",
        "rate_per_hour": "3,00",
        "paid_hours": "mon-fri: 08:00-18:00",
    }

    refused = client.post(
        "/admin/zones/new?lang=en", data=fields | {"paid_hours": "someday: 08:00-18:00"}
    )
    assert refused.status_code == 400
    assert "The zone was not saved." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Zone).where(Zone.code == "777")) is None

    saved = client.post("/admin/zones/new", data=fields | {"rate_per_hour": "3.00"})
    assert saved.status_code == 303
    page = client.get("/admin/zones/edit/777?lang=en").get_data(as_text=True)
    assert "1 h now costs" in page and "3.00" in page
    with app.app_context():
        zone = db.session.scalar(select(Zone).where(Zone.code == "777"))
        assert zone is not None and zone.rate_per_hour_cents == 300
        assert zone.paid_hours == {"mon-fri": "08:00-18:00"}


def test_admin_creates_users_and_handheld_tokens(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    token = token_of(client, "/admin/users")
    client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "name": "ville",
            "role": "attendant",
            "password": "ville-password-1",
        },
    )
    page = client.post("/admin/tokens", data={"csrf_token": token, "name": "handheld-7"})
    handheld = re.search(r'id="new-token">(kan_[^<]+)<', page.get_data(as_text=True))
    assert handheld
    api = client.get(
        "/api/v1/plates/ABC-123", headers={"Authorization": f"Bearer {handheld.group(1)}"}
    )
    assert api.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User).where(User.name == "ville")) is not None


def test_admin_exports_orders_and_payments_as_csv(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)

    orders_csv = client.get("/admin/export?what=orders&from=2026-11-23&to=2026-11-23")
    assert orders_csv.mimetype == "text/csv"
    lines = orders_csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,kind,status,channel,plate,zone,phone")
    assert "ABC-123" in lines[1] and "+358401234567" in lines[1] and ",480," in lines[1]
    payments_csv = client.get("/admin/export?what=payments&from=2026-11-23&to=2026-11-23")
    assert ",pending,480," in payments_csv.get_data(as_text=True)
    earlier = client.get("/admin/export?what=orders&from=2026-11-01&to=2026-11-22")
    assert len(earlier.get_data(as_text=True).splitlines()) == 1
    assert client.get("/admin/export?what=orders&from=x&to=y").status_code == 400


def test_admin_refunds_part_of_a_payment_and_the_driver_is_told(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101 2h")
    link = reply.split("/pay/")[1].split()[0]
    client.get(f"/pay/{link}")
    assert client.post(f"/demo-pay/{link}").status_code == 303
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    page = client.get("/admin/timeline?lang=en&q=ABC-123").get_data(as_text=True)
    payment_id = re.search(r"/admin/payments/(\d+)/refund", page)
    assert payment_id, "a paid payment offers a refund"

    url = f"/admin/payments/{payment_id.group(1)}/refund"

    empty = client.get(url, query_string={"lang": "en", "amount": ""})
    assert empty.status_code == 400  # an empty amount never means "everything"
    assert "or choose to refund everything left (€4.80)" in empty.get_data(as_text=True)
    text, done = confirm(client, url, note="sign was covered", amount="1,50")
    assert "Refund €1.50 of €4.80 to the card." in text
    assert "Refunded €1.50 to the card. The driver was told by SMS." in done
    too_much = client.get(url, query_string={"lang": "en", "amount": "9.00"})
    assert too_much.status_code == 400
    assert "You can refund at most €3.30." in too_much.get_data(as_text=True)

    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.payments[0].refunded_cents == 150
        sms = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose == "staff_refund")
        ).one()
        assert "1,50" in sms.body and "ABC-123" in sms.body
        action = db.session.scalars(
            select(Event).where(Event.kind == EventKind.STAFF_ACTION, Event.intent == "refund")
        ).one()
        assert action.actor == "boss"


def test_new_zone_form_refuses_to_overwrite_an_existing_zone(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    fields = {
        "csrf_token": token_of(client, "/admin/zones/new"),
        "code": "101",
        "name": "Hijacked",
        "rate_per_hour": "9.00",
    }

    refused = client.post("/admin/zones/new?lang=en", data=fields)
    assert refused.status_code == 400
    assert "Zone 101 exists already: edit it instead." in refused.get_data(as_text=True)
    finnish = client.post("/admin/zones/new?lang=fi", data=fields | {"code": " 101 "})
    assert "Alue 101 on jo olemassa: muokkaa sitä." in finnish.get_data(as_text=True)
    with app.app_context():
        zone = db.session.scalar(select(Zone).where(Zone.code == "101"))
        assert zone is not None and zone.name == "Kauppatori" and zone.rate_per_hour_cents == 240

    edited = client.post("/admin/zones/edit/101", data=fields | {"name": "Tori"})
    assert edited.status_code == 303


def test_zone_editor_takes_a_decimal_comma_and_words_money_errors_per_field(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    fields = {
        "csrf_token": token_of(client, "/admin/zones/new"),
        "code": "T8",
        "name": "Tori 8",
        "rate_per_hour": "2,40",
        "daily_cap": "12,5",
        "paid_hours": "mon-fri: 08:00-18:00",
    }

    bad = client.post("/admin/zones/new?lang=fi", data=fields | {"rate_per_hour": "2,4x"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "Tuntihinta: kirjoita summa, esimerkiksi 2,40." in page
    assert "not an amount" not in page and "rate_per_hour:" not in page
    swedish = client.post("/admin/zones/new?lang=sv", data=fields | {"daily_cap": "abc"})
    assert "Maxavgift per dag: skriv ett belopp, till exempel 2,40." in swedish.get_data(
        as_text=True
    )
    too_high = client.post("/admin/zones/new?lang=en", data=fields | {"rate_per_hour": "240"})
    assert "Price per hour: at most €100.00." in too_high.get_data(as_text=True)
    cap_high = client.post("/admin/zones/new?lang=en", data=fields | {"daily_cap": "1000,01"})
    assert "Daily cap: at most €1,000.00." in cap_high.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Zone).where(Zone.code == "T8")) is None

    assert client.post("/admin/zones/new", data=fields).status_code == 303
    with app.app_context():
        zone = db.session.scalar(select(Zone).where(Zone.code == "T8"))
        assert zone is not None
        assert zone.rate_per_hour_cents == 240 and zone.daily_cap_cents == 1250


def test_timeline_states_payments_in_the_viewers_money_format(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101 2h")
    link = reply.split("/pay/")[1].split()[0]
    client.get(f"/pay/{link}")
    client.post(f"/demo-pay/{link}")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    page = client.get("/admin/timeline?lang=en&q=ABC-123").get_data(as_text=True)
    payment_id = re.search(r"/admin/payments/(\d+)/refund", page)
    assert payment_id
    confirm(client, f"/admin/payments/{payment_id.group(1)}/refund", amount="1.20")
    with app.app_context():
        bodies = db.session.scalars(
            select(Event.body).where(Event.kind == EventKind.PAYMENT).order_by(Event.id)
        ).all()
    assert any(b.startswith("paid 4.80 EUR") for b in bodies)
    assert any(b.startswith("refunded 1.20 EUR") for b in bodies)

    finnish = client.get("/admin/timeline?lang=fi&q=ABC-123").get_data(as_text=True)
    assert "Maksettu 4,80\xa0€" in finnish and "Hyvitetty 1,20\xa0€" in finnish
    assert "EUR" not in finnish and "succeeded" not in finnish
    english = client.get("/admin/timeline?lang=en&q=ABC-123").get_data(as_text=True)
    assert "Paid €4.80" in english and "Refunded €1.20" in english


def test_refund_errors_are_worded_for_the_admin_and_a_comma_amount_works(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 101 2h")
    link = reply.split("/pay/")[1].split()[0]
    client.get(f"/pay/{link}")
    client.post(f"/demo-pay/{link}")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    page = client.get("/admin/timeline?lang=fi&q=ABC-123").get_data(as_text=True)
    payment_id = re.search(r"/admin/payments/(\d+)/refund", page)
    assert payment_id
    url = f"/admin/payments/{payment_id.group(1)}/refund"

    def refused(amount: str, lang: str = "fi") -> str:
        response = client.get(url, query_string={"amount": amount, "lang": lang})
        assert response.status_code == 400
        return response.get_data(as_text=True)

    bad = refused("abc")
    assert "Kirjoita summa muodossa 1,20." in bad
    assert "not an amount" not in bad and "refund_failed" not in bad
    assert "Write the amount as 1.20." in refused("abc", "en")
    too_much = refused("9,00")
    assert "Voit hyvittää enintään 4,80\xa0€." in too_much and "bad_amount" not in too_much
    confirm(client, url, lang="fi", amount="1,20")
    confirm(client, url, lang="fi", amount="1.20")
    assert "You can refund at most €2.40." in refused("5", "en")
    everything, _ = confirm(client, url, all="1")
    assert "Refund €2.40 of €2.40 to the card." in everything
    with app.app_context():
        assert db.session.scalars(select(Order)).one().payments[0].refunded_cents == 480


def test_csv_export_starts_with_a_byte_order_mark_for_excel(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    body = client.get("/admin/export?what=orders&from=2026-11-23&to=2026-11-23").data
    assert body.startswith(b"\xef\xbb\xbfid,kind,status")
    assert body.decode("utf-8-sig").splitlines()[0].startswith("id,kind,status")


@pytest.mark.parametrize("hops", [0, 1])
def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(
    sqlite_url: str, clock: Clock, hops: int
) -> None:
    from app import create_app
    from tests.conftest import make_settings

    seen: list[str | None] = []
    application = create_app(make_settings(sqlite_url, proxy_hops=hops), clock=clock)

    @application.get("/_remote")
    def remote() -> str:
        from flask import request

        seen.append(request.remote_addr)
        return "ok"

    application.test_client().get(
        "/_remote",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen == (["203.0.113.9"] if hops else ["127.0.0.1"])


def park_and_pay(phone: Phone, client: FlaskClient, body: str) -> None:
    reply = phone.send(body)
    token = re.search(r"/pay/([\w-]+)", reply)
    assert token, reply
    client.post(f"/demo-pay/{token.group(1)}")


def test_zone_board_states_time_left_in_hours_and_minutes_in_the_viewers_language(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 3h")
    park_and_pay(Phone(client, number="+358401111111"), client, "XYZ-987 101 2h")
    clock.advance(minutes=6)
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    en = client.get("/admin/zones/101/board?lang=en").get_data(as_text=True)
    assert "2 h 54 min" in en and "1 h 54 min" in en and "174 min" not in en
    fi = client.get("/admin/zones/101/board?lang=fi").get_data(as_text=True)
    assert "2 t 54 min" in fi
    sv = client.get("/admin/zones/101/board?lang=sv").get_data(as_text=True)
    assert "2 h 54 min" in sv
    clock.advance(minutes=54)
    whole = client.get("/admin/zones/101/board?lang=en").get_data(as_text=True)
    assert re.search(r">2 h</td>", whole) and re.search(r">1 h</td>", whole)


@pytest.mark.browser
def test_zone_board_fits_a_390_pixel_phone(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    from tests.browser_support import browser_page, free_port, screenshot, serve

    park_and_pay(phone, client, "ABC-123 101 3h")
    park_and_pay(Phone(client, number="+358401111111"), client, "XYZ-987 101 30min")
    clock.advance(minutes=5)
    Phone(client, number="+358401111111").send("LOPETA")
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)

    with serve(app, free_port()) as url, browser_page({"width": 390, "height": 800}) as page:
        page.goto(url + "/admin/login?lang=en")  # type: ignore[attr-defined]
        page.fill("#name", "anna")  # type: ignore[attr-defined]
        page.fill("#password", ATTENDANT_PASSWORD)  # type: ignore[attr-defined]
        page.press("#password", "Enter")  # type: ignore[attr-defined]
        page.wait_for_selector("#plate")  # type: ignore[attr-defined]
        page.goto(url + "/admin/zones/101/board?lang=en")  # type: ignore[attr-defined]
        page.locator("#board >> text=XYZ-987").wait_for()  # type: ignore[attr-defined]
        width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
        screenshot(page, "admin-board-390px")
        assert width <= 390
        assert "2 h 55 min" in page.inner_text("#board")  # type: ignore[attr-defined]
