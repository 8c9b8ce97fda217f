"""The staff inbox over HTTP, on SQLite and PostgreSQL: what the grammar cannot do goes to a
person. A complaint, a question, or a second message in a row not understood opens a case;
the driver is told when a person answers (``SUPPORT_HOURS``); staff answer from the panel
by SMS through the outbox; the driver's reply threads into the case, also reopening a case
closed within a week."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.domain.demand import Demand, DemandReason
from app.extensions import db
from app.models import Case, CaseStatus, Event, EventKind, OutboundMessage
from tests.conftest import Clock, Phone
from tests.panel.test_admin import (
    ADMIN_PASSWORD,
    ATTENDANT_PASSWORD,
    make_user,
    sign_in,
    token_of,
)


@pytest.fixture
def attendant(app: Flask, client: FlaskClient, clock: Clock) -> FlaskClient:
    make_user(app, clock, "anna", "attendant", ATTENDANT_PASSWORD)
    assert sign_in(client, "anna", ATTENDANT_PASSWORD) == 302
    return client


def _cases(app: Flask) -> list[Case]:
    with app.app_context():
        found = list(db.session.scalars(select(Case).order_by(Case.id)))
        for case in found:
            _ = case.customer.phone, case.assigned_to
        db.session.expunge_all()
        return found


def _case_messages(app: Flask, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        events = db.session.scalars(
            select(Event).where(Event.case_id == case_id).order_by(Event.id)
        )
        return [(e.kind.value, e.body) for e in events]


def inbound(app: Flask, *columns: Any) -> list[tuple[Any, ...]]:
    """Each inbound SMS, oldest first: its body and ``columns``."""
    with app.app_context():
        query = select(Event.body, *columns).where(Event.kind == EventKind.MESSAGE_IN)
        return [tuple(row) for row in db.session.execute(query.order_by(Event.id))]


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def test_complaint_opens_a_case_and_the_answer_and_reply_thread_through_it(
    app: Flask, attendant: FlaskClient, phone: Phone, clock: Clock
) -> None:
    # Monday 10:00: inside the default support hours (mon-fri 08:00-16:00)
    reply = phone.send("sain sakon vaikka maksoin")
    assert "klo 16.00 mennessä" in reply and "tänään" in reply, reply
    [case] = _cases(app)
    assert case.status is CaseStatus.OPEN and case.reason == "complaint"
    assert case.customer.phone == phone.number and case.assigned_to is None

    inbox = _page(attendant, "/admin/inbox?lang=en")
    assert f"#{case.id}" in inbox and phone.number in inbox
    assert "sain sakon vaikka maksoin" in inbox and "unassigned" in inbox
    assert "waiting for an answer" in inbox

    clock.advance(minutes=12)
    page = _page(attendant, f"/admin/inbox/{case.id}?lang=en")
    assert "sain sakon vaikka maksoin" in page
    assert "The customer's timeline" in page
    response = attendant.post(
        f"/admin/inbox/{case.id}/answer",
        data={
            "csrf_token": token_of(attendant, f"/admin/inbox/{case.id}"),
            "text": "Hei! Lähetä kuva sakosta, niin hyvitämme sen.",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        [sent] = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose == "case_answer")
        )
        assert sent.to_number == phone.number and sent.status.value == "delivered"
        assert sent.body == "Hei! Lähetä kuva sakosta, niin hyvitämme sen."
    [case] = _cases(app)
    assert case.assigned_to is not None and case.assigned_to.name == "anna"

    clock.advance(minutes=30)
    reply = phone.send("Kiitos, lähetin kuvan sähköpostiin")
    assert "lisätty" in reply.lower() or "added" in reply.lower(), reply
    assert _case_messages(app, case.id) == [
        ("message_in", "sain sakon vaikka maksoin"),
        ("message_out", "Hei! Lähetä kuva sakosta, niin hyvitämme sen."),
        ("message_in", "Kiitos, lähetin kuvan sähköpostiin"),
    ]
    page = _page(attendant, f"/admin/inbox/{case.id}?lang=en")
    assert "Kiitos, lähetin kuvan sähköpostiin" in page and "anna" in page

    # every case message is in the customer's timeline too
    timeline = _page(attendant, f"/admin/timeline?q={phone.number}&lang=en")
    for text in ("sain sakon vaikka maksoin", "Hei! Lähetä kuva sakosta", "lähetin kuvan"):
        assert text in timeline


def test_closed_case_reopens_on_a_reply_within_a_week_and_a_new_one_opens_later(
    app: Flask, attendant: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.number = "+358401112233"
    phone.send("I want a refund")
    [case] = _cases(app)
    path = f"/admin/inbox/{case.id}"
    attendant.post(
        path + "/answer", data={"csrf_token": token_of(attendant, path), "text": "Refunded."}
    )
    response = attendant.post(path + "/close", data={"csrf_token": token_of(attendant, path)})
    assert response.status_code == 303
    assert _cases(app)[0].status is CaseStatus.CLOSED
    assert f"#{case.id}" not in _page(attendant, "/admin/inbox?show=all&lang=en")

    clock.advance(days=2)
    reply = phone.send("thanks but it was 5 euros not 3")
    assert "added to your case" in reply, reply
    [case] = _cases(app)
    assert case.status is CaseStatus.OPEN  # reopened, not a second case

    attendant.post(path + "/close", data={"csrf_token": token_of(attendant, path)})
    clock.advance(days=8)
    phone.send("why was I charged twice?")
    cases = _cases(app)
    assert [c.status for c in cases] == [CaseStatus.CLOSED, CaseStatus.OPEN]


def test_second_message_not_understood_in_a_row_opens_a_case_with_both(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    first = phone.send("asdf qwerty")
    assert not _cases(app)
    assert "ABC-123 101" in first  # the grammar reminder, no case yet
    clock.advance(minutes=2)
    second = phone.send("blaa blaa zzz")
    assert "henkilö" in second and "ABC-123 101" in second, second
    [case] = _cases(app)
    assert case.reason == "not_understood"
    assert [body for _, body in _case_messages(app, case.id)] == [
        "asdf qwerty",
        "blaa blaa zzz",
    ]
    assert inbound(app, Event.demand, Event.demand_reason) == [
        ("asdf qwerty", Demand.FAILURE, DemandReason.NOT_UNDERSTOOD),
        ("blaa blaa zzz", Demand.FAILURE, DemandReason.NOT_UNDERSTOOD),
    ]


def test_question_out_of_hours_is_answered_next_working_day(
    app: Flask, phone: Phone, clock: Clock
) -> None:
    clock.set_local(2026, 11, 27, 17, 30)  # Friday after 16:00
    reply = phone.send("can I park here overnight?")
    assert "on Monday after 08:00" in reply, reply
    clock.set_local(2026, 11, 30, 7, 0)  # Monday before 08:00
    reply = phone.send("hello? can I park here overnight?")
    assert "today after 08:00" in reply, reply


def test_the_inbox_filters_mine_and_unassigned(
    app: Flask, attendant: FlaskClient, client: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("valitus: sakko ABC-123")
    other = Phone(client, number="+358409998877")
    other.send("jag vill klaga")
    first, second = _cases(app)
    path = f"/admin/inbox/{first.id}"
    attendant.post(path + "/assign", data={"csrf_token": token_of(attendant, path)})

    mine = _page(attendant, "/admin/inbox?show=mine&lang=en")
    unassigned = _page(attendant, "/admin/inbox?show=unassigned&lang=en")
    everything = _page(attendant, "/admin/inbox?lang=en")
    assert f'id="case-{first.id}"' in mine and f'id="case-{second.id}"' not in mine
    assert f'id="case-{second.id}"' in unassigned and f'id="case-{first.id}"' not in unassigned
    assert f'id="case-{first.id}"' in everything and f'id="case-{second.id}"' in everything
    assert re.search(r"open \d+ min", everything)


def test_an_admin_sees_the_inbox_in_the_panel_menu(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, clock, "root", "admin", ADMIN_PASSWORD)
    sign_in(client, "root", ADMIN_PASSWORD)
    assert 'href="/admin/inbox"' in client.get("/admin/?lang=en").get_data(as_text=True)


def _timeline_item(timeline: str, body: str) -> str:
    """The timeline's list item of the inbound SMS ``body``."""
    items = re.findall(r'<li class="event kind-message_in[^"]*">.*?</li>', timeline, re.S)
    [item] = [i for i in items if f'<p class="event-body">{body}</p>' in i]
    return item


def test_follow_ups_join_the_open_case_with_one_acknowledgement_and_show_as_handed_over(
    app: Flask, attendant: FlaskClient, phone: Phone, clock: Clock
) -> None:
    opened = phone.send("sain sakon vaikka maksoin")
    assert "henkilö lukee viestisi" in opened, opened
    [case] = _cases(app)

    # A follow-up minutes later: into the case, no second "a person will answer".
    clock.advance(minutes=3)
    assert phone.send("ja kuitti oli myös väärin") == ""
    clock.advance(minutes=2)
    assert phone.send("mittari oli rikki") == ""
    # A parking still parks while the case is open, and stays out of it.
    clock.advance(minutes=1)
    parked = phone.send("ABC-123 101")
    assert "Pysäköinti alkoi: ABC-123, alue 101" in parked, parked
    # Half an hour after the last acknowledgement the driver is told again.
    clock.advance(minutes=31)
    later = phone.send("onko tähän jo vastattu")
    assert "lisätty asiaasi" in later and "klo 16.00 mennessä" in later, later

    assert [body for kind, body in _case_messages(app, case.id)] == [
        "sain sakon vaikka maksoin",
        "ja kuitti oli myös väärin",
        "mittari oli rikki",
        "onko tähän jo vastattu",
    ]
    assert len(_cases(app)) == 1
    thread = _page(attendant, f"/admin/inbox/{case.id}?lang=en")
    assert "ja kuitti oli myös väärin" in thread and "mittari oli rikki" in thread

    # Failure demand as before: the complaints are complaints, the others to a person.
    assert inbound(app, Event.demand, Event.demand_reason) == [
        ("sain sakon vaikka maksoin", Demand.FAILURE, DemandReason.COMPLAINT),
        ("ja kuitti oli myös väärin", Demand.FAILURE, DemandReason.COMPLAINT),
        ("mittari oli rikki", Demand.FAILURE, DemandReason.OPERATOR),
        ("ABC-123 101", Demand.VALUE, None),
        ("onko tähän jo vastattu", Demand.FAILURE, DemandReason.OPERATOR),
    ]

    # The timeline says they went to a person (linking the case), not "not understood".
    timeline = _page(attendant, f"/admin/timeline?q={phone.number}&lang=en")
    for body in ("sain sakon vaikka maksoin", "ja kuitti oli myös väärin", "mittari oli rikki"):
        item = _timeline_item(timeline, body)
        assert f"HANDED TO A PERSON #{case.id}" in item, item
        assert f'href="/admin/inbox/{case.id}"' in item
        assert "NOT UNDERSTOOD" not in item and "not-understood" not in item
    assert "HANDED TO A PERSON" not in _timeline_item(timeline, "ABC-123 101")
    fi = _page(attendant, f"/admin/timeline?q={phone.number}&lang=fi")
    assert "EI YMMÄRRETTY" not in fi
    assert "ANNETTU ASIAKASPALVELULLE" in fi


def test_a_message_not_understood_outside_a_case_is_still_marked_not_understood(
    app: Flask, attendant: FlaskClient, phone: Phone
) -> None:
    phone.send("asdf qwerty")
    item = _timeline_item(
        _page(attendant, f"/admin/timeline?q={phone.number}&lang=en"), "asdf qwerty"
    )
    assert "NOT UNDERSTOOD" in item and "HANDED TO A PERSON" not in item


def _preview(inbox: str, case_id: int) -> str:
    row = re.search(rf'id="case-{case_id}".*?<span class="case-last">(.*?)</span>', inbox, re.S)
    assert row, inbox
    return row.group(1).strip()


def test_the_inbox_list_previews_the_open_question_never_a_later_thanks(
    app: Flask, attendant: FlaskClient, phone: Phone, clock: Clock
) -> None:
    phone.send("sain sakon vaikka maksoin")
    [case] = _cases(app)
    path = f"/admin/inbox/{case.id}"
    clock.advance(minutes=5)
    phone.send("se oli alueella 101")  # a follow-up before any answer
    inbox = _page(attendant, "/admin/inbox?lang=fi")
    assert _preview(inbox, case.id) == "sain sakon vaikka maksoin"  # the first, unanswered

    clock.advance(minutes=5)
    attendant.post(
        path + "/answer", data={"csrf_token": token_of(attendant, path), "text": "Hyvitetty."}
    )
    clock.advance(minutes=5)
    phone.send("kiitos!")
    assert _case_messages(app, case.id)[-1] == ("message_in", "kiitos!")  # joined the case
    inbox = _page(attendant, "/admin/inbox?lang=fi")
    # Answered and thanked: the message that opened the case, not "kiitos!" nor the answer.
    assert _preview(inbox, case.id) == "sain sakon vaikka maksoin"

    clock.advance(minutes=5)
    phone.send("mutta toinen sakko tuli myös eilen")
    clock.advance(minutes=1)
    phone.send("kiitos")
    inbox = _page(attendant, "/admin/inbox?lang=fi")
    assert _preview(inbox, case.id) == "mutta toinen sakko tuli myös eilen"  # asked again
