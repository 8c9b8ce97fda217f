"""A plate check logged (app.usecases.plate_checks.check_and_log), as the panel makes it for
an attendant: the answer is the backend's, and the log holds who asked and what was seen."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from flask import Flask
from sqlalchemy import select

from app.backend import orders, tokens, users, zones
from app.extensions import db
from app.models import ApiToken, Channel, PlateCheckLog
from app.usecases import plate_checks
from tests.conftest import Clock


def test_a_check_answers_as_the_backend_and_logs_what_it_answered(app: Flask, clock: Clock) -> None:
    with app.app_context():
        session = db.session()
        kanava = app.extensions["kanava"]
        user = users.create_user(session, "anna", "attendant", "pw-" + "x" * 12, clock())
        zone = zones.find(session, "202")
        assert zone is not None
        started = orders.start_parking(
            session,
            kanava,
            customer=None,
            plate="abc-123",
            zone=zone,
            minutes=60,
            channel=Channel.ADMIN,
            now=clock(),
            language="fi",
        )
        session.commit()
        user_id, order_id = user.id, started.order.id

        there = plate_checks.check_and_log(session, kanava, "ABC123", "202", clock(), user=user)
        elsewhere = plate_checks.check_and_log(
            session, kanava, "abc 123", "101", clock(), user=user
        )

        assert there == orders.check_plate(session, kanava, "ABC123", "202", clock())
        assert (there.valid, there.order_id, there.zone) == (True, order_id, "202")
        assert elsewhere == orders.check_plate(session, kanava, "abc 123", "101", clock())
        assert elsewhere.elsewhere is not None and elsewhere.order_id is None
        logged = [
            (
                c.user_id,
                c.api_token_id,
                c.plate_key,
                c.plate_display,
                c.zone_code,
                c.valid,
                c.status,
                c.order_id,
                c.checked_at,
            )
            for c in session.scalars(select(PlateCheckLog).order_by(PlateCheckLog.id))
        ]
        assert logged == [
            (user_id, None, "ABC123", there.plate, "202", True, there.status, order_id, clock()),
            (user_id, None, "ABC123", elsewhere.plate, "101", False, None, None, clock()),
        ]


@pytest.mark.parametrize(
    ("plate", "zone", "error"),
    [
        ("--", "101", plate_checks.BadPlate),
        ("A" * 17, "101", plate_checks.BadPlate),
        ("ABC-123", "1 0 1", plate_checks.BadZone),
    ],
)
def test_a_bad_plate_or_zone_is_refused_and_nothing_is_logged(
    app: Flask, clock: Clock, plate: str, zone: str, error: type[Exception]
) -> None:
    with app.app_context():
        session = db.session()
        with pytest.raises(error):
            plate_checks.check_and_log(session, app.extensions["kanava"], plate, zone, clock())
        session.rollback()
        assert session.scalars(select(PlateCheckLog)).all() == []


def test_a_handhelds_check_answers_as_the_backend_and_logs_it_with_its_token(
    app: Flask, clock: Clock
) -> None:
    with app.app_context():
        session = db.session()
        kanava = app.extensions["kanava"]
        token = tokens.create_token(session, "handheld-1", clock())
        session.commit()
        token_id = session.scalars(select(ApiToken.id)).one()

        answer = plate_checks.check_by_handheld(
            db.session, db.engine, kanava, "abc 123", "101", clock(), token=token
        )

        assert answer == orders.check_plate(session, kanava, "abc 123", "101", clock())
        session.rollback()  # the check committed what it wrote by itself
        logged = session.scalars(select(PlateCheckLog)).one()
        assert (logged.api_token_id, logged.plate_key, logged.zone_code, logged.valid) == (
            token_id,
            "ABC123",
            "101",
            False,
        )
        assert session.scalars(select(ApiToken.last_used_at)).one() == clock()
        with pytest.raises(plate_checks.Unauthorized):
            plate_checks.check_by_handheld(
                db.session, db.engine, kanava, "ABC-123", "101", clock(), token=token + "x"
            )
        session.rollback()
        assert len(session.scalars(select(PlateCheckLog)).all()) == 1


def test_connections_come_back_to_the_pool_in_transactions_after_a_handhelds_check(
    app: Flask, clock: Clock
) -> None:
    # On PostgreSQL the check runs in autocommit on a pooled connection: every connection
    # the pool hands out afterwards must roll back again.
    with app.app_context():
        session = db.session()
        token = tokens.create_token(session, "handheld-1", clock())
        session.commit()
        for _ in range(3):
            plate_checks.check_by_handheld(
                db.session,
                db.engine,
                app.extensions["kanava"],
                "ABC-123",
                "101",
                clock(),
                token=token,
            )
        session.close()
        engine = db.engine
        with ExitStack() as stack:
            connections = [stack.enter_context(engine.connect()) for _ in range(3)]
            for connection in connections:
                connection.execute(
                    ApiToken.__table__.update().values(name="changed, then rolled back")
                )
                connection.rollback()
        assert db.session.scalars(select(ApiToken.name)).one() == "handheld-1"
