"""What a driver reads by SMS when a parking runs into free time (issue 9, round 2, point 5).

Zone 101 of the demo zones is paid 8-18 on weekdays; 23 Nov 2026 is a Monday.
"""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient

from tests.conftest import HELSINKI, Clock, Phone


def _at(hour: int, minute: int, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HELSINKI)


def pay(phone: Phone, reply: str) -> None:
    token = reply.split("/pay/")[1].split()[0].rstrip(".")
    assert phone.client.post(f"/demo-pay/{token}").status_code == 303


def test_a_parking_that_runs_into_free_time_says_paid_until_six_then_free(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(17, 14)

    reply = phone.send("ABC-123 101 2h")

    assert "ABC-123, alue 101 Kauppatori, 19.14 asti. Hinta 1,84 €." in reply, reply
    assert "Maksullista 18.00 asti, sen jälkeen maksutonta." in reply, reply


def test_the_paid_end_is_said_in_swedish_and_english(client: FlaskClient, clock: Clock) -> None:
    clock.now = _at(17, 14)
    swedish = Phone(client, number="+46701234567")
    english = Phone(client, number="+447911123456")

    assert "Avgiftsbelagt till 18:00, därefter avgiftsfritt." in swedish.send("ABC-123 101 2h")
    assert "Paid until 18:00, then free." in english.send("XYZ-789 101 2h")


def test_a_parking_inside_paid_time_says_nothing_of_its_end(phone: Phone, clock: Clock) -> None:
    clock.now = _at(10, 0)

    reply = phone.send("ABC-123 101 2h")

    assert "Maksullista" not in reply and "maksutonta" not in reply, reply


def test_an_open_ended_parking_names_when_paid_time_ends_today(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(16, 0)

    reply = phone.send("ABC-123 101")

    said = "2,40 €/h, minuuttiveloitus. Maksullista 18.00 asti, sen jälkeen maksutonta."
    assert said in reply, reply


def test_an_open_ended_parking_in_a_zone_paid_around_the_clock_names_no_end(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(16, 0)

    reply = phone.send("ABC-123 301")

    assert "2,00 €/h, minuuttiveloitus." in reply, reply
    assert "maksutonta" not in reply, reply


def test_an_extension_in_free_time_says_it_is_free(phone: Phone, clock: Clock) -> None:
    clock.now = _at(17, 0)
    pay(phone, phone.send("ABC-123 101 1h"))
    clock.now = _at(17, 50)

    reply = phone.send("JATKA 30")

    assert reply.startswith("ABC-123, alue 101: nyt 18.30 asti. Lisäaika on maksutonta."), reply
    assert "0,00" not in reply and "/pay/" not in reply, reply


def test_an_extension_into_free_time_says_paid_until_six_then_free(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(16, 30)
    phone.send("ABC-123 101 1h")
    clock.now = _at(17, 0)

    reply = phone.send("JATKA 60")

    assert "Lisähinta 1,20 €." in reply, reply
    assert "Maksullista 18.00 asti, sen jälkeen maksutonta." in reply, reply


def test_the_extension_reply_names_the_pay_deadline_and_that_unpaid_it_lapses(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(10, 0)
    pay(phone, phone.send("ABC-123 101 1h"))
    clock.now = _at(10, 30)

    reply = phone.send("JATKA 30")

    assert (
        "Lisähinta 1,20 €. Jos jatkoa ei makseta viimeistään 10.40, se raukeaa ja "
        "pysäköinti päättyy 11.00. Maksa 1,20 €: " in reply
    ), reply


def test_extending_an_unpaid_parking_names_when_it_is_cancelled_unpaid(
    phone: Phone, clock: Clock
) -> None:
    clock.now = _at(10, 0)
    phone.send("ABC-123 101 1h")
    clock.now = _at(10, 5)

    reply = phone.send("JATKA 30")

    assert "Jos pysäköintiä ei makseta viimeistään 10.10, se perutaan. Maksa 3,60 €: " in reply, (
        reply
    )
