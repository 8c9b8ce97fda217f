"""Staff actions that move money or end a parking: a confirmation that names the amounts,
that works without JavaScript, that a double submit cannot make act twice, and a timeline
where a running parking's stop comes before any old parking's refund."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Event, EventKind, Order, OrderStatus, OutboundMessage, Payment
from tests.conftest import Clock, Phone
from tests.panel.test_admin import (
    ADMIN_PASSWORD,
    confirmation,
    make_user,
    park_and_pay,
    sign_in,
    the_order,
)


def admin(app: Flask, client: FlaskClient, clock: Clock) -> None:
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)


def only_payment(app: Flask) -> Payment:
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        db.session.expunge(payment)
        return payment


def staff_events(app: Flask, intent: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.kind == EventKind.STAFF_ACTION, Event.intent == intent)
            )
            or 0
        )


def sms_count(app: Flask, purpose: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.purpose == purpose)
            )
            or 0
        )


def test_a_double_submitted_refund_confirmation_refunds_once(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 2h")
    admin(app, client, clock)
    payment = only_payment(app)
    _, action, fields = confirmation(
        client, f"/admin/payments/{payment.id}/refund", lang="en", amount="1,50"
    )

    first = client.post(action + "?lang=en", data=fields, follow_redirects=True)
    second = client.post(action + "?lang=en", data=fields, follow_redirects=True)

    assert "Refunded €1.50 to the card." in first.get_data(as_text=True)
    assert "Nothing was done" in second.get_data(as_text=True)
    assert only_payment(app).refunded_cents == 150
    assert staff_events(app, "refund") == 1 and sms_count(app, "staff_refund") == 1


def test_a_double_submitted_extension_extends_once(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 1h")
    admin(app, client, clock)
    order = the_order(app)
    text, action, fields = confirmation(
        client, f"/admin/orders/{order.id}/extend", lang="en", minutes="30"
    )
    assert "until 11:30: €1.20 more, asked from the driver with a link to pay." in text

    client.post(action, data=fields)
    second = client.post(action + "?lang=en", data=fields, follow_redirects=True)

    assert "Nothing was done" in second.get_data(as_text=True)
    extended = the_order(app)
    assert extended.ends_at is not None and extended.starts_at is not None
    assert (extended.ends_at - extended.starts_at).total_seconds() == 90 * 60
    assert extended.amount_cents == 360
    assert staff_events(app, "extend") == 1 and sms_count(app, "staff_extend") == 1


def test_a_double_submitted_stop_or_cancel_acts_once(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101")  # until stopped, card held
    Phone(client, number="+358401111111").send("XYZ-987 101 2h")
    admin(app, client, clock)
    clock.advance(minutes=30)
    with app.app_context():
        held, unpaid = db.session.scalars(select(Order.id).order_by(Order.id)).all()

    text, action, fields = confirmation(client, f"/admin/orders/{held}/stop", lang="en")
    assert "Stop ABC-123 now: €1.20 will be charged from the card held." in text
    client.post(action, data=fields)
    again = client.post(action + "?lang=en", data=fields, follow_redirects=True)
    assert "not running any more" in again.get_data(as_text=True)

    text, action, fields = confirmation(client, f"/admin/orders/{unpaid}/cancel", lang="en")
    assert "Cancel XYZ-987 now: nothing more is asked of the driver." in text
    client.post(action, data=fields)
    client.post(action, data=fields)

    with app.app_context():
        stopped = db.session.get(Order, held)
        cancelled = db.session.get(Order, unpaid)
        assert stopped is not None and stopped.status is OrderStatus.ENDED
        assert stopped.amount_cents == 120
        assert cancelled is not None and cancelled.status is OrderStatus.CANCELLED
    assert staff_events(app, "stop") == 1 and sms_count(app, "staff_stop") == 1
    assert staff_events(app, "cancel") == 1 and sms_count(app, "staff_cancel") == 1


def test_a_stop_that_refunds_unused_time_says_how_much_goes_back(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 2h")  # 4,80 € paid
    admin(app, client, clock)
    clock.advance(minutes=30)
    order = the_order(app)

    text, _, _ = confirmation(client, f"/admin/orders/{order.id}/stop", lang="fi")

    assert "Lopeta ABC-123 nyt: maksetusta hyvitetään kortille 3,60\xa0€." in text
    assert "1,20\xa0€" in text  # what the 30 minutes cost
    assert the_order(app).status is OrderStatus.ACTIVE  # nothing happens before the button


def test_actions_need_no_javascript_and_a_form_without_the_confirmation_only_asks(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 2h")
    admin(app, client, clock)
    order = the_order(app)
    payment = only_payment(app)
    page = client.get("/admin/timeline?lang=en&q=ABC-123").get_data(as_text=True)

    assert "<script" not in page.split("<main", 1)[1]
    for path in (f"/admin/orders/{order.id}/stop", f"/admin/payments/{payment.id}/refund"):
        assert f'<form method="get" action="{path}"' in page
    assert "Refund everything left (€4.80)" in page
    assert re.search(r'<input id="refund-\d+" name="amount"[^>]* required', page)

    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    unconfirmed = client.post(
        f"/admin/payments/{payment.id}/refund",
        data={"csrf_token": token.group(1), "amount": "1,00"},
    )
    assert unconfirmed.status_code == 303
    assert f"/admin/payments/{payment.id}/refund?amount=1" in unconfirmed.headers["Location"]
    assert only_payment(app).refunded_cents == 0


def test_on_the_timeline_a_running_parkings_stop_comes_before_an_old_parkings_refund(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    park_and_pay(phone, client, "ABC-123 101 1h")
    clock.advance(minutes=70)  # the first parking has expired
    park_and_pay(phone, client, "ABC-123 101 2h")
    admin(app, client, clock)
    with app.app_context():
        old, live = db.session.scalars(select(Order.id).order_by(Order.id)).all()
        old_payment = db.session.scalars(select(Payment.id).where(Payment.order_id == old)).one()

    page = client.get("/admin/timeline?lang=en&q=ABC-123").get_data(as_text=True)

    assert page.index(f'id="stop-{live}"') < page.index(f'id="order-{old}"')
    assert page.index(f'id="stop-{live}"') < page.index(f'id="refund-{old_payment}"')
    assert f'id="stop-{old}"' not in page
    old_card = page[page.index(f'id="order-{old}"') :]
    assert f'id="refund-{old_payment}"' in old_card  # each action sits inside its order
