"""The order's own page /o/<token>: a parking made on the web form, with or without a phone
number, is seen, stopped and extended there; a double tap acts once."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Event,
    EventKind,
    Order,
    OrderStatus,
    OutboundMessage,
    Payment,
    PaymentStatus,
    Zone,
)
from tests.channels.test_web_form import csrf_token, submit
from tests.conftest import Clock, Phone


def the_order(app: Flask) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        db.session.expunge(order)
        return order


def pay_demo(client: FlaskClient, location: str, lang: str = "fi") -> str:
    """Follow the form's redirect to the demo payment page and pay; the result page."""
    token = location.split("/pay/", 1)[1].split("?", 1)[0]
    return client.post(f"/demo-pay/{token}?lang={lang}", follow_redirects=True).get_data(
        as_text=True
    )


def form_fields(page: str, form_id: str) -> dict[str, str]:
    start = page.index(f'id="{form_id}"') if f'id="{form_id}"' in page else page.index("<form")
    form = page[page.rindex("<form", 0, start + 1) : page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_a_parking_until_stopped_without_phone_is_stopped_on_its_own_page(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    response = submit(client, lang="en", duration="open")
    assert response.status_code == 303
    done = pay_demo(client, response.headers["Location"], lang="en")
    order = the_order(app)
    link = f"/o/{order.manage_token}"
    # The payment's result page links the order's page, and says it is the only way.
    assert link in done and "Keep this link to stop your parking" in done
    assert "the only way to stop" in done

    response = client.get(link + "?lang=en")
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "ABC-123" in page and "101 Kauppatori" in page
    assert "Valid until you stop" in page and f'href="{link}/stop?lang=en"' in page

    clock.advance(minutes=30)
    confirm = client.get(f"{link}/stop?lang=en").get_data(as_text=True)
    # 30 minutes at 2.40 €/h, taken from the amount held on the card.
    assert "If you stop now, the parking costs €1.20." in confirm
    assert "is taken from the amount held on your card" in confirm
    with app.app_context():
        assert db.session.get(Order, order.id).status is OrderStatus.ACTIVE  # nothing yet

    fields = form_fields(confirm, "stop-confirm")
    stopped = client.post(f"{link}/stop?lang=en", data=fields)
    assert stopped.status_code == 303
    assert stopped.headers["Location"] == f"{link}?done=stopped&lang=en"
    after = client.get(stopped.headers["Location"]).get_data(as_text=True)
    assert "Your parking is stopped." in after and "Parking ended" in after
    assert "€1.20" in after and f'href="{link}/stop' not in after
    with app.app_context():
        ended = db.session.get(Order, order.id)
        assert ended.status is OrderStatus.ENDED and ended.amount_cents == 120
        (payment,) = ended.payments
        assert (payment.status, payment.captured_cents) == (PaymentStatus.SUCCEEDED, 120)


def test_a_double_tapped_stop_stops_once(app: Flask, client: FlaskClient, clock: Clock) -> None:
    location = submit(client, lang="en", duration="open").headers["Location"]
    pay_demo(client, location)
    link = f"/o/{the_order(app).manage_token}"
    clock.advance(minutes=10)
    fields = form_fields(client.get(f"{link}/stop").get_data(as_text=True), "stop-confirm")
    first = client.post(f"{link}/stop", data=fields)
    clock.advance(minutes=1)
    second = client.post(f"{link}/stop", data=fields)
    assert first.status_code == second.status_code == 303
    with app.app_context():
        stops = db.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.kind == EventKind.WEB_ACTION, Event.data["action"].as_string() == "stop")
        )
        assert stops == 1
        order = db.session.scalars(select(Order)).one()
        assert order.amount_cents == 40  # ten minutes, not eleven


def test_more_time_is_chosen_priced_and_paid_through_the_payment_link(
    app: Flask, client: FlaskClient
) -> None:
    location = submit(client, lang="en", duration="60").headers["Location"]
    pay_demo(client, location)
    link = f"/o/{the_order(app).manage_token}"
    page = client.get(link + "?lang=en").get_data(as_text=True)
    assert "Valid until 11:00." in page
    # Each choice with its price and new end; 30 more minutes cost 1.20 €.
    assert re.search(
        r'for="x-30">\s*<span class="what">\+30 min</span>\s*'
        r'<span class="price">€1\.20 · until 11:30',
        page,
    )
    fields = form_fields(page, "extend-form")

    extended = client.post(f"{link}/extend?lang=en", data={**fields, "minutes": "30"})
    assert extended.status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        new = db.session.scalars(
            select(Payment).where(Payment.status == PaymentStatus.PENDING)
        ).one()
        assert new.amount_cents == 120
    assert extended.headers["Location"] == f"/pay/{new.token}?lang=en"
    # A double tap of the same form adds nothing more.
    again = client.post(f"{link}/extend?lang=en", data={**fields, "minutes": "30"})
    assert again.status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.amount_cents == 360
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 2

    paid = pay_demo(client, extended.headers["Location"], lang="en")
    assert "Thank you" in paid and link in paid
    page = client.get(link + "?lang=en").get_data(as_text=True)
    assert "Valid until 11:30." in page and "€3.60" in page  # paid in all
    # One receipt for the parking, summing both payments.
    assert page.count('href="/r/') == 1
    assert re.search(r'href="/r/[\w-]+\?lang=en">€3\.60 · ', page)


def test_a_receipt_link_appears_once_something_is_paid(app: Flask, client: FlaskClient) -> None:
    location = submit(client, lang="fi", duration="60").headers["Location"]
    link = f"/o/{the_order(app).manage_token}"
    waiting = client.get(link).get_data(as_text=True)
    assert "Odottaa maksua" in waiting and 'href="/r/' not in waiting
    assert re.search(r'id="pay" href="[^"]*/pay/[\w-]+', waiting)
    pay_demo(client, location)
    paid = client.get(link).get_data(as_text=True)
    assert re.search(r'href="/r/[\w-]+\?lang=fi">2,40', paid)


def test_the_page_speaks_finnish_swedish_and_english(app: Flask, client: FlaskClient) -> None:
    pay_demo(client, submit(client, lang="sv", duration="60").headers["Location"], lang="sv")
    link = f"/o/{the_order(app).manage_token}"
    assert 'html lang="sv"' in client.get(link).get_data(as_text=True)
    # Opened elsewhere (no language chosen there), the page speaks the order's language.
    assert 'html lang="sv"' in app.test_client().get(link).get_data(as_text=True)
    fi = client.get(link + "?lang=fi").get_data(as_text=True)
    assert 'html lang="fi"' in fi and "Pysäköinti on voimassa" in fi
    en = client.get(link + "?lang=en").get_data(as_text=True)
    assert "Parking is valid" in en and "Stop parking" in en
    assert 'name="viewport"' in en


def test_a_free_zone_parks_at_once_and_shows_the_order_page_whose_reload_parks_nothing(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        db.session.scalars(select(Zone).where(Zone.code == "101")).one().rate_per_hour_cents = 0
        db.session.commit()
    response = submit(client, lang="en", duration="open")
    assert response.status_code == 303
    order = the_order(app)
    assert response.headers["Location"] == f"/o/{order.manage_token}?done=parked&lang=en"
    for _ in range(2):  # the result page, and its reload
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Parking is valid" in page and "Keep this link to stop your parking" in page
        assert "the only way to stop" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_stop_from_the_page_texts_a_driver_who_gave_a_phone(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    location = submit(client, lang="en", duration="60", phone="040 123 4567").headers["Location"]
    pay_demo(client, location, lang="en")
    link = f"/o/{the_order(app).manage_token}"
    page = client.get(link).get_data(as_text=True)
    assert "the only way" not in page and "Keep this link" in page
    clock.advance(minutes=20)
    confirm = client.get(f"{link}/stop?lang=en").get_data(as_text=True)
    assert "If you stop now, the parking costs €0.80." in confirm
    assert "€1.60 of what you paid goes back to your card." in confirm
    client.post(f"{link}/stop", data=form_fields(confirm, "stop-confirm"))
    with app.app_context():
        texts = db.session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.purpose == "web_stop")
        ).all()
        assert len(texts) == 1 and "ABC-123" in texts[0]
        payment = db.session.scalars(select(Payment)).one()
        assert payment.refunded_cents == 160


def test_an_unknown_or_missing_token_is_the_branded_not_found_page(client: FlaskClient) -> None:
    for path in ("/o/nonexistent", "/o/nonexistent/stop"):
        response = client.get(path + "?lang=en")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "Link not found" in page and 'name="viewport"' in page
    posted = client.post("/o/nonexistent/stop", data={"csrf_token": csrf_token_of(client)})
    assert posted.status_code == 404


def csrf_token_of(client: FlaskClient) -> str:
    return csrf_token(client.get("/p/101").get_data(as_text=True))


def test_another_phones_parking_is_never_shown_by_its_plate(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    assert "ABC-123" in phone.send("ABC-123 101 1h")
    response = submit(client, lang="en", duration="60")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
    assert order.manage_token not in page


def test_the_page_names_free_time_with_its_end(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    clock.set_local(2026, 11, 23, 17, 0)  # Monday 17:00: zone 101 is paid until 18:00
    location = submit(client, lang="en", duration="open").headers["Location"]
    pay_demo(client, location, lang="en")
    link = f"/o/{the_order(app).manage_token}?lang=en"
    paid = client.get(link).get_data(as_text=True)
    assert "€2.40 per hour until 18:00, free after that." in paid
    clock.set_local(2026, 11, 23, 19, 0)
    free = client.get(link).get_data(as_text=True)
    assert "Free until Tue 24.11. 08:00, then €2.40 per hour." in free
    assert re.search(r'id="cost-so-far">€2\.40<', free)  # the paid hour only


def test_a_stop_from_an_expired_page_stops_nothing_and_says_so(
    app: Flask, client: FlaskClient
) -> None:
    pay_demo(client, submit(client, lang="en", duration="open").headers["Location"])
    link = f"/o/{the_order(app).manage_token}"
    stale = client.post(f"{link}/stop?lang=en", data={"csrf_token": "stale", "key": "k" * 22})
    assert stale.status_code == 400
    assert "The page had expired and nothing was done." in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Order)).one().status is OrderStatus.ACTIVE
    unknown = client.post("/o/nonexistent/stop?lang=en", data={"csrf_token": "stale"})
    assert unknown.status_code == 404 and "Link not found" in unknown.get_data(as_text=True)


def test_an_unpaid_extension_shows_the_paid_end_and_what_it_owes(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    pay_demo(client, submit(client, lang="en", duration="60").headers["Location"])
    link = f"/o/{the_order(app).manage_token}"
    fields = form_fields(client.get(link + "?lang=en").get_data(as_text=True), "extend-form")
    clock.advance(minutes=5)
    extended = client.post(f"{link}/extend?lang=en", data={**fields, "minutes": "30"})
    token = extended.headers["Location"].split("/pay/", 1)[1].split("?", 1)[0]
    clock.advance(minutes=5)  # 10:10: not paid, inside its grace

    page = client.get(link + "?lang=en").get_data(as_text=True)

    assert "Paid until 11:00. The extension until 11:30 is not paid yet." in page
    assert "Valid until 11:30." not in page
    assert re.search(r'id="owed">€1\.20<', page)
    assert re.search(rf'id="pay" href="[^"]*/pay/{token}\?lang=en">Pay €1\.20<', page)
    # Paid so far: the first hour only; its receipt is the parking's one receipt.
    assert re.search(r'id="paid">€2\.40<', page) and page.count('href="/r/') == 1

    clock.advance(minutes=10)  # 10:20: the grace is over, the clock has not swept yet
    late = client.get(link + "?lang=fi").get_data(as_text=True)
    assert "Maksettu 11.00 asti. Jatkoa 11.30 asti ei ole vielä maksettu." in late
