"""The waitlist through SMS and ``jobs tick``'s sweep: a driver joins the line after a
"full" answer; when a space frees the first in line is offered it (once, whichever clock
runs), takes it with one word and pays as any booking; an offer not taken passes to the
next; nobody opted out is offered anything."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backend import zones
from app.clock import duties
from app.extensions import db
from app.models import (
    Order,
    OrderKind,
    OrderStatus,
    OutboundMessage,
    WaitlistEntry,
    WaitlistStatus,
)
from tests.conftest import Clock, Phone

GARAGE = {
    "code": "G1",
    "name": "Garage",
    "rate_per_hour": "2.00",
    "paid_hours": {"mon-sun": "00:00-24:00"},
    "bookable": True,
    "capacity": 1,
    "booking_hours": {"mon-sun": "06:00-23:00"},
}


@pytest.fixture(autouse=True)
def garage(app: Flask, clock: Clock) -> None:
    with app.app_context():
        zones.import_zones(db.session, {"zones": [GARAGE]}, clock())
        db.session.commit()


def driver(client: FlaskClient, number: str) -> Phone:
    phone = Phone(client, number=number)
    phone.send("LANG EN")
    return phone


@pytest.fixture
def anna(client: FlaskClient) -> Phone:
    return driver(client, "+358401000001")


@pytest.fixture
def bert(client: FlaskClient) -> Phone:
    return driver(client, "+358401000002")


@pytest.fixture
def cecilia(client: FlaskClient) -> Phone:
    return driver(client, "+358401000003")


def tick(app: Flask, clock: Clock) -> duties.TickReport:
    with app.app_context():
        return duties.run_due(db.session, app.extensions["kanava"], clock())


def sent_to(app: Flask, number: str, purpose: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.purpose == purpose, OutboundMessage.to_number == number)
                .order_by(OutboundMessage.id)
            )
        )


def live_bookings(app: Flask, clock: Clock) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count(Order.id)).where(
                    Order.kind == OrderKind.BOOKING,
                    Order.status.in_((OrderStatus.BOOKED, OrderStatus.AWAITING_PAYMENT)),
                    Order.hold_expires_at.is_(None) | (Order.hold_expires_at > clock()),
                )
            )
            or 0
        )


def entries(app: Flask) -> list[tuple[str, WaitlistStatus]]:
    with app.app_context():
        found = db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id))
        return [(e.plate_display, e.status) for e in found]


def ref_in(text: str) -> str:
    found = re.search(r"[Bb]ooking ([B-Z2-9]{6})", text)
    assert found is not None, text
    return found.group(1)


def full_garage(anna: Phone) -> str:
    reply = anna.send("BOOK G1 tomorrow 10-12 AAA-111")
    return ref_in(reply)


def test_a_full_answer_says_how_to_wait_and_waitlist_alone_joins_the_line(
    app: Flask, anna: Phone, bert: Phone
) -> None:
    full_garage(anna)
    reply = bert.send("BOOK G1 tomorrow 10-12 BBB-222")
    assert "fully booked" in reply and "reply WAITLIST" in reply
    reply = bert.send("WAITLIST")
    assert "You are in line for zone G1, Tue 24 Nov 10:00-12:00: number 1." in reply
    assert bert.send("WAITLIST G1 tomorrow 10-12 BBB-222").startswith(
        "You are already in line for zone G1"
    )
    assert entries(app) == [("BBB-222", WaitlistStatus.WAITING)]


def test_waitlist_with_its_parts_joins_in_swedish_and_alone_without_a_full_answer_asks(
    app: Flask, anna: Phone, bert: Phone
) -> None:
    full_garage(anna)
    assert "Which booking would you wait for? Send e.g. WAITLIST" in bert.send("WAITLIST")
    bert.send("SPRÅK SV")
    reply = bert.send("KÖA G1 imorgon 10-12 BBB-222")
    assert "Du står i kö för zon G1" in reply and "nummer 1" in reply
    assert entries(app) == [("BBB-222", WaitlistStatus.WAITING)]


def test_a_freed_space_is_offered_to_the_first_in_line_once_and_taken_with_yes(
    app: Flask, clock: Clock, anna: Phone, bert: Phone, cecilia: Phone
) -> None:
    ref = full_garage(anna)
    bert.send("WAITLIST G1 tomorrow 10-12 BBB-222")
    cecilia.send("WAITLIST G1 tomorrow 10-12 CCC-333")
    assert tick(app, clock).waitlist_offers == 0
    assert "cancelled" in anna.send(f"UNBOOK {ref}").lower()
    assert tick(app, clock).waitlist_offers == 1
    assert tick(app, clock).waitlist_offers == 0
    [offer] = sent_to(app, bert.number, "waitlist_offer")
    assert "A space freed in zone G1, Tue 24 Nov 10:00-12:00 (BBB-222, €4.00)" in offer
    assert "reply YES to take it" in offer
    assert sent_to(app, cecilia.number, "waitlist_offer") == []
    # The offered space is held: nobody else books it meanwhile.
    assert "fully booked" in anna.send("BOOK G1 tomorrow 10-12 AAA-111")
    reply = bert.send("YES")
    assert f"Booking {ref_in(offer)}: zone G1 Garage" in reply
    assert "Pay by" in reply and "https://kanava.test/pay/" in reply
    assert entries(app)[0] == ("BBB-222", WaitlistStatus.TAKEN)
    assert live_bookings(app, clock) == 1


def test_an_offer_not_taken_passes_to_the_next_in_line(
    app: Flask, clock: Clock, anna: Phone, bert: Phone, cecilia: Phone
) -> None:
    ref = full_garage(anna)
    bert.send("WAITLIST G1 tomorrow 10-12 BBB-222")
    cecilia.send("WAITLIST G1 tomorrow 10-12 CCC-333")
    anna.send(f"UNBOOK {ref}")
    tick(app, clock)
    clock.advance(minutes=14)
    assert tick(app, clock).waitlist_offers == 0
    clock.advance(minutes=1)
    assert tick(app, clock).waitlist_offers == 1
    [passed] = sent_to(app, bert.number, "waitlist_passed")
    assert "was not taken in time and went to the next in line" in passed
    [offer] = sent_to(app, cecilia.number, "waitlist_offer")
    assert "(CCC-333, €4.00)" in offer
    assert bert.send("YES").startswith("There is no open question.")
    assert entries(app) == [
        ("BBB-222", WaitlistStatus.PASSED),
        ("CCC-333", WaitlistStatus.OFFERED),
    ]
    assert live_bookings(app, clock) == 1


def test_an_opted_out_driver_is_not_offered_and_the_next_one_is(
    app: Flask, clock: Clock, anna: Phone, bert: Phone, cecilia: Phone
) -> None:
    ref = full_garage(anna)
    bert.send("WAITLIST G1 tomorrow 10-12 BBB-222")
    cecilia.send("WAITLIST G1 tomorrow 10-12 CCC-333")
    bert.send("STOP")
    anna.send(f"UNBOOK {ref}")
    tick(app, clock)
    with app.app_context():
        to_bert = db.session.scalar(
            select(func.count(OutboundMessage.id)).where(
                OutboundMessage.to_number == bert.number,
                OutboundMessage.purpose.like("waitlist%"),
            )
        )
    assert to_bert == 0
    assert len(sent_to(app, cecilia.number, "waitlist_offer")) == 1
    assert entries(app) == [
        ("BBB-222", WaitlistStatus.EXPIRED),
        ("CCC-333", WaitlistStatus.OFFERED),
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_three_clocks_at_once_offer_a_freed_space_once(
    app: Flask, client: FlaskClient, clock: Clock, anna: Phone
) -> None:
    ref = full_garage(anna)
    waiting = [driver(client, f"+3584020000{i:02d}") for i in range(6)]
    for i, phone in enumerate(waiting):
        phone.send(f"WAITLIST G1 tomorrow 10-12 WLT-{100 + i}")
    anna.send(f"UNBOOK {ref}")
    barrier = threading.Barrier(3)

    def one_clock() -> int:
        with app.app_context(), Session(db.engine) as session:
            barrier.wait(timeout=10)
            report = duties.run_due(session, app.extensions["kanava"], clock())
            return report.waitlist_offers

    with ThreadPoolExecutor(max_workers=3) as pool:
        offers = list(pool.map(lambda _: one_clock(), range(3)))

    assert sum(offers) == 1
    assert len(sent_to(app, waiting[0].number, "waitlist_offer")) == 1
    assert [status for _, status in entries(app)] == [WaitlistStatus.OFFERED] + [
        WaitlistStatus.WAITING
    ] * 5
    assert live_bookings(app, clock) == 1


def test_an_offer_cancelled_by_its_driver_goes_to_the_next_without_a_lapse_notice(
    app: Flask, clock: Clock, anna: Phone, bert: Phone, cecilia: Phone
) -> None:
    ref = full_garage(anna)
    bert.send("WAITLIST G1 tomorrow 10-12 BBB-222")
    cecilia.send("WAITLIST G1 tomorrow 10-12 CCC-333")
    anna.send(f"UNBOOK {ref}")
    tick(app, clock)
    [offer] = sent_to(app, bert.number, "waitlist_offer")
    assert "cancelled" in bert.send(f"UNBOOK {ref_in(offer)}").lower()
    clock.advance(minutes=1)
    assert tick(app, clock).waitlist_offers == 1
    assert len(sent_to(app, cecilia.number, "waitlist_offer")) == 1
    clock.advance(minutes=15)
    tick(app, clock)
    assert sent_to(app, bert.number, "waitlist_passed") == []
    assert entries(app)[0] == ("BBB-222", WaitlistStatus.PASSED)
