"""The customer timeline as staff read it: every event worded from its recorded data in the
viewer's language and local time, filtered by order and kind, newest first, a page at a
time."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Channel, Customer, Event, EventKind, Order
from tests.conftest import Clock, Phone
from tests.panel.test_admin import (
    ADMIN_PASSWORD,
    ATTENDANT_PASSWORD,
    confirm,
    make_user,
    sign_in,
)

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def pay_link(reply: str) -> str:
    match = re.search(r"/pay/([\w-]+)", reply)
    assert match, reply
    return match.group(1)


def pay(client: FlaskClient, reply: str) -> None:
    assert client.post(f"/demo-pay/{pay_link(reply)}").status_code == 303


def visible(html: str) -> str:
    """The page's text as a reader sees it (tags and attributes gone)."""
    main = html.split("<main", 1)[-1]
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&nbsp;", "\xa0")


def events_of(html: str) -> list[str]:
    return [
        re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
        for item in re.findall(r'<li class="event[^"]*">(.*?)</li>', html, re.DOTALL)
    ]


def extended_and_stopped_early(client: FlaskClient, phone: Phone, clock: Clock) -> None:
    """ABC-123 parks 1 h in zone 101 and pays, extends by 30 min and pays, and stops after
    20 minutes: 2,80 € of the 3,60 € paid is refunded as unused time."""
    pay(client, phone.send("ABC-123 101 1h"))
    clock.advance(minutes=10)
    pay(client, phone.send("JATKA 30"))
    clock.advance(minutes=10)
    phone.send("LOPETA")


def test_finnish_timeline_words_every_event_in_finnish_and_helsinki_time(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    extended_and_stopped_early(client, phone, clock)
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)

    page = client.get("/admin/timeline?lang=fi&q=ABC-123").get_data(as_text=True)
    text = visible(page)

    assert "Pysäköinti alkoi: ABC-123 alueella 101, klo 11.00 asti, 2,40\xa0€" in text
    assert "Pysäköintiä jatkettu: ABC-123 alueella 101, klo 11.30 asti, 1,20\xa0€ lisää" in text
    assert "Pysäköinti lopetettu: ABC-123 alueella 101, 0,80\xa0€" in text
    assert "Maksettu 2,40\xa0€" in text and "Maksettu 1,20\xa0€" in text
    assert "Hyvitetty 1,20\xa0€ (käyttämätön aika)" in text
    assert "Hyvitetty 1,60\xa0€ (käyttämätön aika)" in text
    assert "toimitettu" in text  # the outbox's confirmations went out
    assert not ISO_TIME.search(text), ISO_TIME.search(text)
    for english in (
        "parking extended",
        "parking started",
        "unused time",
        "delivered",
        "awaiting_payment",
        "EUR",
        "paid 2.40",
    ):
        assert english not in text, english
    swedish = visible(client.get("/admin/timeline?lang=sv&q=ABC-123").get_data(as_text=True))
    assert "Parkeringen förlängd: ABC-123 i zon 101, till kl. 11:30, 1,20\xa0€ mer" in swedish
    assert "Återbetalt 1,20\xa0€ (oanvänd tid)" in swedish


def test_staff_refund_reads_with_its_amount_and_note_in_the_viewers_language(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 101 2h"))
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    page = client.get("/admin/timeline?lang=fi&q=ABC-123").get_data(as_text=True)
    payment_id = re.search(r"/admin/payments/(\d+)/refund", page)
    assert payment_id
    confirm(
        client,
        f"/admin/payments/{payment_id.group(1)}/refund",
        note="merkki peitossa",
        lang="fi",
        amount="1,50",
    )

    events = events_of(client.get("/admin/timeline?lang=fi&q=ABC-123").get_data(as_text=True))
    staff = next(e for e in events if "henkilökunnan toimenpide" in e)
    assert "boss" in staff and "Hyvitetty 1,50\xa0€ «merkki peitossa»" in staff
    payment = next(e for e in events if e.startswith("23.11. 10.00 · maksu") and "Hyvitetty" in e)
    assert "Hyvitetty 1,50\xa0€ «merkki peitossa»" in payment


def test_timeline_filters_by_order_and_by_kind_without_javascript(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    pay(client, phone.send("ABC-123 101 1h"))
    clock.advance(minutes=30)
    phone.send("LOPETA")
    clock.advance(minutes=30)
    phone.send("ABC-123 102 2h")  # a second order, not paid
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)
    with app.app_context():
        first, second = db.session.scalars(select(Order.id).order_by(Order.id)).all()

    everything = client.get("/admin/timeline?lang=en&q=ABC-123").get_data(as_text=True)
    assert '<select id="f-order" name="order">' in everything
    assert '<select id="f-kind" name="kind">' in everything
    assert '<form method="get"' in everything  # the filter is a plain form
    assert any("zone 102" in e for e in events_of(everything))

    only_first = events_of(
        client.get(f"/admin/timeline?lang=en&q=ABC-123&order={first}").get_data(as_text=True)
    )
    assert only_first and not any("zone 102" in e for e in only_first)
    assert any("Parking stopped: ABC-123 in zone 101" in e for e in only_first)
    assert not any("ABC-123 102 2h" in e for e in only_first)  # the second order's SMS

    payments_only = events_of(
        client.get("/admin/timeline?lang=en&q=ABC-123&kind=payment").get_data(as_text=True)
    )
    assert payments_only and all(" · payment" in e for e in payments_only)
    second_orders = events_of(
        client.get(f"/admin/timeline?lang=en&q=ABC-123&order={second}&kind=order").get_data(
            as_text=True
        )
    )
    assert len(second_orders) == 1 and "Parking started: ABC-123 in zone 102" in second_orders[0]


# 30 messages in half an hour: beyond REPLY_CAP_PER_HOUR, so the cap is off here.
@pytest.mark.parametrize("settings_overrides", [{"reply_cap_per_hour": 0}])
def test_a_long_timeline_comes_fifty_events_a_page_newest_first(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    for _ in range(30):  # 60 events: the question and the answer
        phone.send("TILA")
        clock.advance(minutes=1)
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    first = client.get("/admin/timeline?lang=en&q=%2B358401234567").get_data(as_text=True)
    events = events_of(first)
    assert len(events) == 50
    assert events[0].startswith("23.11. 10:29") and events[-1].startswith("23.11. 10:05")
    older = re.search(r'href="([^"]+)" rel="next" id="older">Older<', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    rest = events_of(second)
    assert len(rest) == 10 and rest[-1].startswith("23.11. 10:00")
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_rows_recorded_before_events_carried_data_fall_back_to_their_english_body(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("ABC-123 101 2h")
    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        db.session.add(
            Event(
                created_at=clock(),
                channel=Channel.PAYMENT,
                kind=EventKind.PAYMENT,
                customer=customer,
                body="paid 4.80 EUR",
                data={"payment_id": 1, "provider": "demo"},
            )
        )
        db.session.commit()
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    sign_in(client, "anna", ATTENDANT_PASSWORD)

    events = events_of(client.get("/admin/timeline?lang=fi&q=ABC-123").get_data(as_text=True))
    assert any(e.endswith("paid 4.80 EUR") for e in events)


def _entry(kind: str, intent: str | None = None, body: str = "", **data: object) -> object:
    from datetime import UTC, datetime

    from app.panel.queries import TimelineEntry

    return TimelineEntry(
        at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        channel="system",
        kind=kind,
        intent=intent,
        body=body,
        data=data,
        understood=None,
        actor=None,
        order_id=None,
        delivery=None,
        phone=None,
        plate="ABC-123",
        zone="101",
        currency="EUR",
    )


def test_calls_web_forms_outbox_notes_and_plate_checks_are_worded_too(app: Flask) -> None:
    from datetime import UTC, datetime

    from app.channels.panel_words import event_text

    now = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    cases = [
        (_entry("call_step", "call_start", "call started"), "Puhelu alkoi"),
        (_entry("call_step", "main", "main: 1", state="main", digits="1"), "Painoi 1 (päävalikko)"),
        (_entry("call_step", "silence", "zone: silence", state="zone"), "Ei vastausta (alue)"),
        (
            _entry("web_action", None, "web form: park", minutes=None, phone_given=False),
            "Pysäköity verkkolomakkeella: ABC-123 alueella 101, kunnes lopetetaan "
            "(ei puhelinnumeroa)",
        ),
        (
            _entry(
                "system",
                None,
                "SMS dropped (reminder): too late",
                outbound_id=1,
                purpose="reminder",
                reason="too late",
                action="dropped",
            ),
            "Tekstiviestiä ei lähetetty (muistutus): liian myöhään ollakseen hyödyllinen",
        ),
        (
            _entry("plate_check", None, "x", plate="ABC-123", zone="201", valid=False, status=None),
            "ABC-123 tarkistettu alueella 201: ei voimassa",
        ),
        (
            _entry(
                "payment",
                None,
                "captured",
                action="captured",
                amount_cents=120,
                held_cents=960,
                currency="EUR",
            ),
            "Kortilta veloitettiin 1,20\xa0€ (varattuna oli 9,60\xa0€)",
        ),
        (
            _entry(
                "order",
                None,
                "parking extended: ABC-123 until 2026-11-23T09:30:00+00:00",
                **{"from": "2026-11-23T09:00:00+00:00", "to": "2026-11-23T09:30:00+00:00"},
                added_cents=120,
            ),
            "Pysäköintiä jatkettu: ABC-123 alueella 101, klo 11.30 asti, 1,20\xa0€ lisää",
        ),
    ]
    with app.test_request_context("/admin/timeline?lang=fi"):
        for entry, expected in cases:
            assert event_text(entry, now) == expected  # type: ignore[arg-type]
