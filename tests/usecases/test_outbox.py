"""The outbox against Twilio's REST API as a local HTTP peer, through the real twilio SDK
(``TWILIO_API_BASE``), and Twilio's signed status callbacks on ``POST /twilio/status``.

Twilio fails for a while (HTTP 500, then no answer until the client times out): every
message is delivered once it recovers, none twice, none lost. Time between attempts moves
through the test clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from app.adapters.twilio_sms import TwilioNotifier
from app.backend import customers
from app.clock import duties
from app.config import Settings
from app.extensions import db
from app.kernel import Kanava
from app.models import Event, EventKind, Order, OrderStatus, OutboundMessage, OutboundStatus
from app.usecases import outbox_dispatch as notifications
from app.usecases.outbox_dispatch import MAX_ATTEMPTS
from tests.conftest import PUBLIC_BASE_URL, Clock, Phone, make_settings, sign
from tests.peers.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, twilio_api_peer

DRIVER = "+358401234567"
CLIENT_TIMEOUT = 0.5  # seconds before the SDK gives up on a hanging peer


@pytest.fixture
def peer() -> Iterator[object]:
    with twilio_api_peer() as running:
        yield running


@pytest.fixture
def twilio_settings(app: Flask, peer: object) -> Settings:
    return make_settings(
        app.config["SQLALCHEMY_DATABASE_URI"],
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base=peer.url,  # type: ignore[attr-defined]
    )


@pytest.fixture
def twilio_app(app: Flask, clock: Clock, twilio_settings: Settings) -> Iterator[Flask]:
    """Kanava with Twilio configured, talking to the peer. ``app`` prepared the database."""
    application = create_app(
        twilio_settings,
        clock=clock,
        notifier=TwilioNotifier(twilio_settings, timeout=CLIENT_TIMEOUT),
    )
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _kanava(app: Flask) -> Kanava:
    k: Kanava = app.extensions["kanava"]
    return k


def queue(app: Flask, clock: Clock, body: str, phone: str = DRIVER, **kwargs: object) -> int:
    with app.app_context():
        customer = customers.get_or_create(db.session, phone, clock())
        message = notifications.queue_sms(
            db.session, _kanava(app), customer, body, purpose="test", now=clock(), **kwargs
        )
        db.session.commit()
        return message.id


def outbox(app: Flask) -> list[OutboundMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        db.session.expunge_all()
        return rows


def run_clock_until_the_outbox_is_empty(app: Flask, clock: Clock, max_ticks: int = 40) -> int:
    """Tick every 30 s of test time until nothing is queued; returns the ticks it took."""
    for ticks in range(1, max_ticks + 1):
        with app.app_context():
            duties.run_due(db.session, _kanava(app), clock())
            waiting = db.session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.status.in_((OutboundStatus.QUEUED, OutboundStatus.SENDING)))
            )
        if not waiting:
            return ticks
        clock.advance(seconds=30)
    raise AssertionError("the outbox never emptied")


def status_callback(
    client: FlaskClient, sid: str, status: str, error_code: str | None = None, token: str = ""
) -> int:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": ACCOUNT_SID,
        "From": FROM_NUMBER,
        "To": DRIVER,
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        params["ErrorCode"] = error_code
    signature = sign(PUBLIC_BASE_URL + "/twilio/status", params, token or AUTH_TOKEN)
    response = client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature})
    return response.status_code


# sending through the SDK -------------------------------------------------------------------


def test_a_message_goes_to_twilio_with_sender_and_status_callback(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    message_id = queue(twilio_app, clock, "Pysäköinti päättyy pian")

    with twilio_app.app_context():
        assert notifications.dispatch_due(db.session, _kanava(twilio_app), now=clock()) == 1

    [accepted] = peer.accepted  # type: ignore[attr-defined]
    assert (accepted.to, accepted.body, accepted.sender) == (
        DRIVER,
        "Pysäköinti päättyy pian",
        FROM_NUMBER,
    )
    assert accepted.status_callback == PUBLIC_BASE_URL + "/twilio/status"
    [message] = outbox(twilio_app)
    assert message.id == message_id
    assert message.status is OutboundStatus.SENT
    assert message.provider_sid == accepted.sid


def test_while_twilio_fails_and_hangs_every_message_arrives_once_it_recovers(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    bodies = [f"viesti {i}" for i in range(8)]
    for body in bodies:
        queue(twilio_app, clock, body)
    peer.fail_with_500(5)  # type: ignore[attr-defined]
    peer.hang(3)  # type: ignore[attr-defined]

    run_clock_until_the_outbox_is_empty(twilio_app, clock)

    accepted = peer.accepted  # type: ignore[attr-defined]
    assert sorted(a.body for a in accepted) == sorted(bodies)  # all, and none twice
    assert peer.state.answered_500 == 5  # type: ignore[attr-defined]
    assert peer.state.hung == 3  # type: ignore[attr-defined]
    rows = outbox(twilio_app)
    assert {m.status for m in rows} == {OutboundStatus.SENT}
    assert sorted(m.provider_sid or "" for m in rows) == sorted(a.sid for a in accepted)
    assert sum(m.attempts for m in rows) == len(bodies) + 5 + 3


def test_a_message_twilio_never_takes_is_marked_failed_and_shown_in_the_timeline(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    message_id = queue(twilio_app, clock, "Hei")
    peer.fail_with_500(MAX_ATTEMPTS)  # type: ignore[attr-defined]

    run_clock_until_the_outbox_is_empty(twilio_app, clock)

    [message] = outbox(twilio_app)
    assert message.status is OutboundStatus.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert peer.accepted == []  # type: ignore[attr-defined]
    with twilio_app.app_context():
        notes = list(db.session.scalars(select(Event).where(Event.kind == EventKind.SYSTEM)))
        assert [n.body for n in notes] == [
            f"SMS not sent (test) after {MAX_ATTEMPTS} attempts: twilio 500 20500"
        ]
        assert notes[0].data is not None and notes[0].data["outbound_id"] == message_id
        sent_event = db.session.scalars(
            select(Event).where(Event.kind == EventKind.MESSAGE_OUT)
        ).one()
        assert sent_event.data is not None and sent_event.data["status"] == "failed"


def test_a_reminder_that_could_not_go_out_before_the_end_is_dropped_not_sent_late(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    end = clock() + timedelta(minutes=3)
    queue(twilio_app, clock, "Pysäköinti päättyy", expires_at=end)
    peer.hang(100)  # type: ignore[attr-defined]
    with twilio_app.app_context():
        notifications.dispatch_due(db.session, _kanava(twilio_app), now=clock())
    peer.hang(0)  # type: ignore[attr-defined]

    clock.now = end
    run_clock_until_the_outbox_is_empty(twilio_app, clock)

    assert peer.accepted == []  # type: ignore[attr-defined]
    [message] = outbox(twilio_app)
    assert (message.status, message.last_error) == (OutboundStatus.SUPPRESSED, "too late")
    with twilio_app.app_context():
        notes = list(db.session.scalars(select(Event.body).where(Event.kind == EventKind.SYSTEM)))
    assert notes == ["SMS dropped (test): too late"]


def test_a_driver_who_opts_out_after_the_message_was_queued_gets_nothing(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    queue(twilio_app, clock, "Hei")
    with twilio_app.app_context():
        customer = customers.get_or_create(db.session, DRIVER, clock())
        customer.opted_out_at = clock()
        db.session.commit()

    run_clock_until_the_outbox_is_empty(twilio_app, clock)

    assert peer.accepted == []  # type: ignore[attr-defined]
    assert [m.status for m in outbox(twilio_app)] == [OutboundStatus.SUPPRESSED]


def test_a_message_left_sending_by_a_dead_dispatcher_is_sent_again_later(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    message_id = queue(twilio_app, clock, "Hei")
    with twilio_app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        message.status = OutboundStatus.SENDING  # claimed, then the process was killed
        message.attempts = 1
        message.next_attempt_at = clock() + notifications.SENDING_TIMEOUT
        db.session.commit()

    clock.advance(minutes=4)
    with twilio_app.app_context():
        assert duties.run_due(db.session, _kanava(twilio_app), clock()).resumed_sending == 0
    clock.advance(minutes=1)
    with twilio_app.app_context():
        report = duties.run_due(db.session, _kanava(twilio_app), clock())

    assert (report.resumed_sending, report.messages_sent) == (1, 1)
    assert [a.body for a in peer.accepted] == ["Hei"]  # type: ignore[attr-defined]


# status callbacks ----------------------------------------------------------------------------


def _send_one(app: Flask, clock: Clock) -> str:
    queue(app, clock, "Hei")
    with app.app_context():
        notifications.dispatch_due(db.session, _kanava(app), now=clock())
    [message] = outbox(app)
    assert message.provider_sid is not None
    return message.provider_sid


def test_delivery_is_recorded_and_a_late_sent_does_not_move_it_back(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    sid = _send_one(twilio_app, clock)
    client = twilio_app.test_client()

    assert status_callback(client, sid, "sent") == 204
    assert outbox(twilio_app)[0].status is OutboundStatus.SENT
    assert status_callback(client, sid, "delivered") == 204
    assert status_callback(client, sid, "delivered") == 204
    assert status_callback(client, sid, "sent") == 204

    assert outbox(twilio_app)[0].status is OutboundStatus.DELIVERED
    with twilio_app.app_context():
        event = db.session.scalars(select(Event).where(Event.kind == EventKind.MESSAGE_OUT)).one()
        assert event.data is not None and event.data["status"] == "delivered"
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1


def test_an_undelivered_reminder_is_visible_to_attendants(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    client = twilio_app.test_client()
    phone = Phone(client)
    # Twilio configured: the driver's SMS is signed with the account's auth token.
    params = phone.params("ABC-123 101 1h")
    response = client.post(
        "/twilio/sms",
        data=params,
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params, AUTH_TOKEN)},
    )
    assert response.status_code == 200
    clock.advance(minutes=52)
    with twilio_app.app_context():
        order = db.session.scalars(select(Order)).one()
        order_id = order.id
        order.status = OrderStatus.ACTIVE  # paid meanwhile
        db.session.commit()
        assert duties.run_due(db.session, _kanava(twilio_app), clock()).reminders == 1
    reminder = next(a for a in peer.accepted if "JATKA 15" in a.body)  # type: ignore[attr-defined]

    assert status_callback(client, reminder.sid, "undelivered", "30003") == 204

    with twilio_app.app_context():
        [undelivered] = notifications.undelivered_for_order(db.session, order_id)
        assert undelivered.purpose == "reminder"
        assert undelivered.status is OutboundStatus.UNDELIVERED
        note = db.session.scalars(
            select(Event).where(Event.kind == EventKind.SYSTEM, Event.order_id == order_id)
        ).one()
        assert note.body == "SMS undelivered (reminder), error 30003"


def test_a_status_callback_with_a_bad_signature_is_refused_and_changes_nothing(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    sid = _send_one(twilio_app, clock)

    code = status_callback(twilio_app.test_client(), sid, "failed", "30005", token="wrong-token")

    assert code == 403
    assert outbox(twilio_app)[0].status is OutboundStatus.SENT


def test_a_status_that_arrives_before_the_send_is_recorded_is_not_lost(
    twilio_app: Flask, peer: object, clock: Clock
) -> None:
    client = twilio_app.test_client()
    # Twilio calls back as soon as it has the message, before the dispatcher has written
    # down the sid Twilio answered with.
    peer.state.on_accept = lambda accepted: status_callback(  # type: ignore[attr-defined]
        client, accepted.sid, "delivered"
    )

    sid = _send_one(twilio_app, clock)

    [message] = outbox(twilio_app)
    assert message.provider_sid == sid
    assert message.status is OutboundStatus.DELIVERED
