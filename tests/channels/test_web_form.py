"""The web form behind the sign's QR code, over HTTP: the same order backend as SMS,
payment through /pay/<token> (demo and Stripe Checkout), and the printable sign."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Channel, Customer, Order, OrderStatus, OutboundMessage, Payment, Zone
from tests.conftest import PUBLIC_BASE_URL, Clock, Phone


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def submit(client: FlaskClient, zone: str = "101", lang: str = "fi", **fields: str):
    page = client.get(f"/p/{zone}?lang={lang}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "plate": "abc-123", "duration": "60", **fields}
    return client.post(f"/p/{zone}?lang={lang}", data=data)


def test_the_form_speaks_finnish_swedish_and_english_with_prices(client: FlaskClient) -> None:
    fi = client.get("/p/101").get_data(as_text=True)
    assert '<label for="plate">Rekisterinumero</label>' in fi or 'for="plate"' in fi
    assert "2,40" in fi and "4,80" in fi  # the rate, and two hours' price
    en = client.get("/p/101?lang=en").get_data(as_text=True)
    assert "Until I stop" in en and 'lang="en"' in en
    sv = client.get("/p/101?lang=sv")
    assert sv.status_code == 200 and 'lang="sv"' in sv.get_data(as_text=True)
    assert client.get("/p/999").status_code == 404


def test_the_price_follows_the_chosen_duration(client: FlaskClient) -> None:
    assert client.get("/p/101/quote?minutes=30").json["price_cents"] == 120
    assert client.get("/p/101/quote?minutes=90").json["price_cents"] == 360
    assert client.get("/p/101/quote?minutes=open").json["price_cents"] == 0
    assert client.get("/p/101/quote?minutes=-5").status_code == 400


def test_the_form_parks_through_the_order_backend_and_pays_on_the_demo_page(
    app: Flask, client: FlaskClient
) -> None:
    response = submit(client, phone="040 123 4567")
    assert response.status_code == 303
    pay = response.headers["Location"]
    assert pay.startswith("/pay/")
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.channel, order.status, order.plate_display) == (
            Channel.WEB,
            OrderStatus.AWAITING_PAYMENT,
            "ABC-123",
        )
        assert order.amount_cents == 240
        assert db.session.scalars(select(Customer.phone)).one() == "+358401234567"
        token = db.session.scalars(select(Payment.token)).one()

    demo = client.get(pay)
    assert demo.status_code == 303 and demo.headers["Location"] == f"/demo-pay/{token}"
    done = client.post(f"/demo-pay/{token}?lang=fi", follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Kiitos" in page and "11.00" in page  # paid, valid until 11.00 local time
    with app.app_context():
        assert db.session.scalars(select(Order.status)).one() is OrderStatus.ACTIVE


def test_a_form_without_its_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    response = client.post("/p/101", data={"plate": "ABC-123", "duration": "60"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def test_a_bad_plate_or_phone_is_explained_in_the_drivers_language(
    app: Flask, client: FlaskClient
) -> None:
    bad_plate = submit(client, lang="en", plate="!")
    assert bad_plate.status_code == 400
    assert "Check the plate" in bad_plate.get_data(as_text=True)
    bad_phone = submit(client, lang="en", phone="12")
    assert bad_phone.status_code == 400
    assert "Check the phone number" in bad_phone.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def test_an_operator_prints_a_sign_with_instructions_and_a_qr_code(client: FlaskClient) -> None:
    svg = client.get("/p/101/sign.svg")
    assert svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert "+358 45 1234567" in text and "ABC-123 101" in text and "Kauppatori" in text
    assert f"{PUBLIC_BASE_URL}/p/101" in text
    assert text.count("<svg") == 2  # the sign, and the QR code inside it
    pdf = client.get("/p/101/sign.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_every_field_error_is_shown_at_once_next_to_its_own_field(
    app: Flask, client: FlaskClient
) -> None:
    response = submit(client, lang="en", plate="!", phone="12", duration="7")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page[page.index('role="alert"') : page.index("</div>", page.index('role="alert"'))]
    assert "Check the plate" in summary and "Check the phone number" in summary
    assert "Choose how long you park" in summary
    for field, words in (
        ("plate", "Check the plate"),
        ("duration", "Choose how long"),
        ("phone", "Check the phone number"),
    ):
        assert re.search(rf'<p class="field-error" id="{field}-error">{words}', page), field
    plate = re.search(r"<input id=\"plate\"[^>]*>", page)
    phone = re.search(r"<input id=\"phone\"[^>]*>", page)
    assert plate and phone
    assert 'aria-invalid="true"' in plate.group(0)
    assert 'aria-describedby="plate-hint plate-error"' in plate.group(0)
    assert 'aria-invalid="true"' in phone.group(0)
    assert 'aria-describedby="phone-hint phone-error"' in phone.group(0)
    assert 'aria-describedby="duration-error"' in page
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def test_a_valid_field_is_not_marked_invalid(client: FlaskClient) -> None:
    page = submit(client, lang="en", phone="12").get_data(as_text=True)
    plate = re.search(r"<input id=\"plate\"[^>]*>", page)
    assert plate and "aria-invalid" not in plate.group(0)
    assert 'aria-describedby="plate-hint"' in plate.group(0)
    assert 'id="plate-error"' not in page and 'id="phone-error"' in page
    assert 'value="ABC-123"' in page or 'value="abc-123"' in page  # kept, not retyped


def test_until_i_stop_quotes_the_hourly_rate_and_a_paid_choice_continues_to_payment(
    client: FlaskClient,
) -> None:
    page = client.get("/p/101?lang=en").get_data(as_text=True)
    assert re.search(
        r'id="d-open"[^>]*data-price="€2\.40 per hour, by the minute, at most until 14:00"'
        r'\s*data-note="A card hold of up to €9\.60; you pay only the minutes used\."',
        page,
    )
    assert re.search(r'id="park-submit"[^>]*>Continue to payment<', page)
    fi = client.get("/p/101?lang=fi").get_data(as_text=True)
    assert re.search(r'data-price="2,40\s€ tunnilta, minuutin tarkkuudella, enintään', fi)


def test_a_free_zone_says_park_instead_of_continue_to_payment(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        zone = db.session.scalars(select(Zone).where(Zone.code == "101")).one()
        zone.rate_per_hour_cents = 0
        db.session.commit()
    page = client.get("/p/101?lang=en").get_data(as_text=True)
    assert re.search(r'id="park-submit"[^>]*>Park<', page)
    assert re.search(r'Price: <output id="price"[^>]*>free</output>', page)
    assert "Parking here is free now." in page and "0.00" not in page
    fi = client.get("/p/101?lang=fi").get_data(as_text=True)
    assert re.search(r'id="park-submit"[^>]*>Pysäköi<', fi)


def language_links(page: str) -> dict[str, str]:
    nav = page[page.index('<nav class="langs"') : page.index("</nav>")]
    return dict(
        (lang, href.replace("&amp;", "&"))
        for href, lang in re.findall(r'<a href="([^"]+)" lang="(\w\w)"', nav)
    )


def test_the_payment_pages_switch_between_finnish_swedish_and_english(
    app: Flask, client: FlaskClient
) -> None:
    pay = submit(client, lang="fi").headers["Location"]
    with app.app_context():
        token = db.session.scalars(select(Payment.token)).one()
    demo = client.get(f"/demo-pay/{token}").get_data(as_text=True)
    assert language_links(demo) == {"fi": "?lang=fi", "sv": "?lang=sv", "en": "?lang=en"}
    assert 'lang="fi" aria-current="true"' in demo
    sv = client.get(f"/demo-pay/{token}?lang=sv").get_data(as_text=True)
    assert 'lang="sv" aria-current="true"' in sv and 'html lang="sv"' in sv
    assert pay == f"/pay/{token}?lang=fi"

    done = client.post(f"/demo-pay/{token}?lang=en", follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Thank you" in page and 'lang="en" aria-current="true"' in page
    assert set(language_links(page)) == {"fi", "sv", "en"}
    returned = client.get(f"/pay/{token}/return?session_id=cs_1&lang=sv").get_data(as_text=True)
    assert language_links(returned)["fi"] == "?session_id=cs_1&lang=fi"  # keeps the session


def test_the_card_consent_page_has_the_language_switch(app: Flask, client: FlaskClient) -> None:
    from flask import render_template

    from app.channels.demo_pay import ConsentForm

    submit(client, lang="sv")
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        with app.test_request_context(f"/pay/{payment.token}?lang=sv"):
            page = render_template(
                "pay/consent.html",
                payment=payment,
                order=payment.order,
                form=ConsentForm(),
                consent="…",
                lang="sv",
            )
    assert language_links(page) == {"fi": "?lang=fi", "sv": "?lang=sv", "en": "?lang=en"}
    assert 'lang="sv" aria-current="true"' in page


# ---- parking once: idempotency key, post/redirect/get, "already parked here" ----------


def form_key(page: str) -> str:
    match = re.search(r'<input type="hidden" name="key" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_a_double_submit_parks_one_car_once(app: Flask, client: FlaskClient) -> None:
    page = client.get("/p/101?lang=en").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "key": form_key(page),
        "plate": "abc-123",
        "duration": "60",
    }
    first = client.post("/p/101?lang=en", data=data)
    second = client.post("/p/101?lang=en", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.client_key and form_key(page) in order.client_key
        assert db.session.scalars(select(Payment)).one().amount_cents == 240


def test_the_same_form_sent_again_for_another_car_parks_that_car(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/p/101?lang=en").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "key": form_key(page), "duration": "60"}
    client.post("/p/101?lang=en", data={**data, "plate": "abc-123"})
    client.post("/p/101?lang=en", data={**data, "plate": "xyz-789"})  # Back, another car
    with app.app_context():
        assert sorted(db.session.scalars(select(Order.plate_display))) == ["ABC-123", "XYZ-789"]


def test_a_plate_already_parked_here_is_not_parked_twice_and_may_get_more_time(
    app: Flask, client: FlaskClient
) -> None:
    location = submit(client, lang="en", duration="60").headers["Location"]
    token = location.split("/pay/")[1].split("?")[0]
    client.post(f"/demo-pay/{token}")
    other = app.test_client()  # another browser: a fresh form, another key
    again = submit(other, lang="en", plate="ABC 123", duration="120")
    assert again.status_code == 303
    assert again.headers["Location"] == "/p/101/parked?plate=ABC123&lang=en"
    page = other.get(again.headers["Location"]).get_data(as_text=True)
    assert "ABC-123 is already parked here" in page
    assert "Valid in zone 101 until 11:00." in page
    assert "Nothing new was parked, and nothing was charged." in page
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.manage_token not in page  # a stranger may add time, never stop it
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    extended = other.post("/p/101/extend?lang=en", data={**fields, "minutes": "30"})
    assert extended.status_code == 303 and extended.headers["Location"].startswith("/pay/")
    other.post("/p/101/extend?lang=en", data={**fields, "minutes": "30"})  # double tap
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        order = db.session.scalars(select(Order)).one()
        assert order.amount_cents == 360  # 1 h 30 min
        assert [p.amount_cents for p in order.payments] == [240, 120]
    paid = other.post(
        "/demo-pay/" + extended.headers["Location"].split("/pay/")[1].split("?")[0],
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "/o/" not in paid  # the payer of more time gets no link to stop the parking


def test_a_plate_parked_by_phone_is_not_parked_again_from_the_form(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    reply = phone.send("ABC-123 101 1h")
    # paid (one waiting for its payment: tests/channels/test_web_form_held.py)
    token = re.search(r"/pay/([\w-]+)", reply)
    assert token, reply
    app.test_client().post(f"/demo-pay/{token.group(1)}")
    response = submit(client, lang="en", duration="60")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ABC-123 is already parked here" in page
    assert "more time by text message from that phone" in page
    assert 'id="extend-form"' not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_the_browser_that_parked_gets_its_own_page_when_it_parks_again(
    app: Flask, client: FlaskClient
) -> None:
    submit(client, lang="en", duration="open")
    again = submit(client, lang="en", duration="30")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
    assert f'href="/o/{order.manage_token}?lang=en"' in page and "Open my parking" in page


# ---- the language switch keeps what was typed -----------------------------------------


def test_switching_language_keeps_the_plate_duration_and_phone(client: FlaskClient) -> None:
    page = client.get("/p/101?lang=fi").get_data(as_text=True)
    # The switch is a set of buttons of the form itself, posting what was typed.
    assert re.search(
        r'<button type="submit" form="park-form" class="lang" '
        r'formaction="/p/101/language\?lang=en" formmethod="post" formnovalidate',
        page,
    )
    typed = {
        "csrf_token": csrf_token(page),
        "key": form_key(page),
        "plate": "abc-123",
        "duration": "120",
        "phone": "040 123 4567",
        "lang": "en",
    }
    switched = client.post("/p/101/language?lang=en", data=typed)
    assert switched.status_code == 303
    assert switched.headers["Location"] == "/p/101?lang=en"
    assert "040" not in switched.headers["Location"]
    english = client.get(switched.headers["Location"]).get_data(as_text=True)
    assert 'html lang="en"' in english
    assert 'value="abc-123"' in english and 'value="040 123 4567"' in english
    assert re.search(r'id="d-120" name="duration" value="120"[^>]*checked', english)
    assert form_key(english) == typed["key"]  # still the same form: a double submit parks once


# ---- free time is named, and every duration priced honestly ---------------------------


def test_free_time_is_named_with_its_end_and_each_duration_priced(
    client: FlaskClient, clock: Clock
) -> None:
    clock.set_local(2026, 11, 23, 20, 0)  # Monday 20:00: zone 101 is free until 08:00
    page = client.get("/p/101?lang=en").get_data(as_text=True)
    assert re.search(
        r'id="tariff"><strong class="free-now">Free until Tue 24\.11\. 08:00,</strong> '
        r"then €2\.40 per hour, by the minute\.",
        page,
    )
    assert re.search(
        r'for="d-60">\s*<span class="what">1 hour</span>\s*'
        r'<span class="price">free · until 21:00',
        page,
    )
    assert re.search(
        r'id="d-open"[^>]*data-price="free until Tue 24\.11\. 08:00, then €2\.40 per hour,', page
    )
    fi = client.get("/p/101?lang=fi").get_data(as_text=True)
    assert "Maksuton ti 24.11. 8.00 asti," in fi
    clock.set_local(2026, 11, 23, 16, 30)  # 3 hours from 16:30: 1 h 30 min paid
    later = client.get("/p/101?lang=en").get_data(as_text=True)
    assert "until 18:00; free after that" in later
    assert re.search(
        r'for="d-180">\s*<span class="what">3 hours</span>\s*'
        r'<span class="price">€3\.60 · until 19:30',
        later,
    )


# ---- the confirmation SMS of a parking with nothing to pay --------------------------------


def test_a_free_parking_is_confirmed_once_by_sms_to_the_phone_given(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    clock.set_local(2026, 11, 23, 19, 0)  # zone 101 is free until 08:00: no payment link
    page = client.get("/p/101?lang=en").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "key": form_key(page),
        "plate": "abc-123",
        "duration": "60",
        "phone": "040 123 4567",
    }
    first = client.post("/p/101?lang=en", data=data)
    second = client.post("/p/101?lang=en", data=data)  # a double submit
    assert first.headers["Location"] == second.headers["Location"]
    assert "/o/" in first.headers["Location"]
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        sent = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose != "web_introduction")
        ).all()
    assert [m.to_number for m in sent] == ["+358401234567"]
    assert f"{PUBLIC_BASE_URL}/o/{order.manage_token}" in sent[0].body
    assert "ABC-123" in sent[0].body and "/pay/" not in sent[0].body


# ---- a phone number typed on the form proves nothing ------------------------------------


def test_a_typed_phone_number_never_ends_or_shows_that_drivers_parking_elsewhere(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    reply = phone.send("ABC-123 202 2h")  # the driver's own parking, paid: 10:00-12:00
    client.post("/demo-pay/" + reply.split("/pay/")[1].split()[0])
    clock.advance(minutes=5)
    with app.app_context():
        theirs = db.session.scalars(select(Order)).one()
        hidden = [theirs.manage_token, *(p.token for p in theirs.payments)]
    stranger = app.test_client()

    response = submit(stranger, zone="101", lang="en", duration="60", phone=phone.number)

    assert response.status_code == 303 and response.headers["Location"].startswith("/pay/")
    paid = stranger.post(
        "/demo-pay/" + response.headers["Location"].split("/pay/")[1].split("?")[0] + "?lang=en",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Thank you" in paid
    with app.app_context():
        kept = db.session.get(Order, theirs.id)
        assert kept is not None
        assert (kept.status, kept.ends_at, kept.ended_at) == (
            OrderStatus.ACTIVE,
            theirs.ends_at,
            None,
        )
        new = db.session.scalars(select(Order).where(Order.id != theirs.id)).one()
        assert new.zone.code == "101" and new.status is OrderStatus.ACTIVE
        texts = db.session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.order_id == new.id)
        ).all()
    # The stranger's browser learns nothing of the driver's parking ...
    assert not any(secret in response.headers["Location"] + paid for secret in hidden)
    # ... and the texts about the new parking speak of it alone.
    assert texts and all("202" not in text for text in texts)
    assert all(secret not in text for text in texts for secret in hidden)
    # Its one-word stop, answered from that phone, ends nothing without asking which.
    question = phone.send("LOPETA")
    assert "202" in question and "101" in question
    with app.app_context():
        statuses = db.session.scalars(select(Order.status)).all()
        assert statuses == [OrderStatus.ACTIVE, OrderStatus.ACTIVE]


def test_a_typed_phone_number_adds_no_car_to_that_drivers_cars(
    app: Flask, client: FlaskClient, phone: Phone
) -> None:
    phone.send("ABC-123 202 1h")

    submit(client, zone="101", lang="en", plate="XYZ-789", duration="60", phone=phone.number)

    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        assert [v.plate_display for v in customer.vehicles] == ["ABC-123"]
    # So "101" alone, texted from that phone, is never a stranger's car.
    reply = phone.send("101 1h")
    assert "ABC-123" in reply and "XYZ-789" not in reply


def test_a_plate_whose_extension_is_not_paid_reads_valid_until_the_paid_end_and_gets_no_more(
    app: Flask, client: FlaskClient
) -> None:
    location = submit(client, lang="en", duration="60").headers["Location"]
    client.post("/demo-pay/" + location.split("/pay/")[1].split("?")[0])  # 10:00-11:00, paid
    with app.app_context():
        link = "/o/" + db.session.scalars(select(Order.manage_token)).one()
    page = client.get(link).get_data(as_text=True)
    client.post(f"{link}/extend", data={**form_fields_of(page, "extend-form"), "minutes": "30"})
    other = app.test_client()  # the extension to 11:30 is not paid

    again = submit(other, lang="en", duration="60")
    page = other.get(again.headers["Location"]).get_data(as_text=True)

    assert "Valid in zone 101 until 11:00." in page and "11:30" not in page
    assert 'id="extend-form"' not in page  # its driver's to pay first


def form_fields_of(page: str, form_id: str) -> dict[str, str]:
    start = page.index(f'id="{form_id}"')
    form = page[page.rindex("<form", 0, start + 1) : page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_until_i_stop_names_the_longest_stay_and_the_card_hold_before_and_after_paying(
    client: FlaskClient,
) -> None:
    form = client.get("/p/101?lang=en").get_data(as_text=True)
    choice = re.search(r'<label for="d-open">(.*?)</label>', form, re.S)
    assert choice and "at most until 14:00" in choice.group(1), "the zone's longest stay, 4 h"
    assert "A card hold of up to €9.60; you pay only the minutes used." in form

    response = submit(client, lang="en", duration="open")
    token = response.headers["Location"].split("/pay/", 1)[1].split("?", 1)[0]
    done = client.post(f"/demo-pay/{token}?lang=en", follow_redirects=True)
    page = re.sub(r"\s+", " ", done.get_data(as_text=True))

    assert "Thank you, the amount is held on your card" in page
    assert re.search(r"<dt>Held on card</dt><dd id=\"held\">€9\.60 \(held; you pay", page)
    assert "<dt>Amount</dt>" not in page
