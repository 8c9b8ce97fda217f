"""Phone codes: the digits a caller keys for a zone whose code has letters (``EV1``),
assigned once and kept, or set in the zones file, never clashing with another zone."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import Zone


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def phone_codes(app: Flask) -> dict[str, str | None]:
    with app.app_context():
        return {z.code: z.phone_code for z in db.session.scalars(select(Zone))}


def import_text(runner: FlaskCliRunner, tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "zones.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["zones", "import", str(path)])
    return result.exit_code, result.output


def zone_yaml(code: str, phone_code: str | None = None) -> str:
    line = f"    phone_code: {phone_code}\n" if phone_code is not None else ""
    return (
        f'  - code: "{code}"\n    name: Zone {code}\n    rate_per_hour: "1.00"\n'
        f'    paid_hours: {{mon-fri: "08:00-18:00"}}\n{line}'
    )


def test_a_lettered_demo_zone_gets_its_code_spelled_on_the_keypad_and_digit_zones_none(
    app: Flask,
) -> None:
    codes = phone_codes(app)
    assert codes["EV1"] == "381"  # E and V are on keys 3 and 8
    assert all(codes[c] is None for c in codes if c.isdigit())


def test_an_assigned_phone_code_is_kept_when_the_file_is_imported_again(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    status, output = import_text(runner, tmp_path, "zones:\n" + zone_yaml("EV2"))
    assert status == 0, output
    assert phone_codes(app)["EV2"] == "382"

    again = runner.invoke(args=["seed", "demo"])
    status, output = import_text(runner, tmp_path, "zones:\n" + zone_yaml("EV2"))

    assert again.exit_code == 0 and status == 0, output
    assert phone_codes(app)["EV1"] == "381"
    assert phone_codes(app)["EV2"] == "382"


def test_a_spelled_code_already_taken_gets_a_free_number_from_800(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    status, output = import_text(
        runner, tmp_path, "zones:\n" + zone_yaml("382") + zone_yaml("EV2") + zone_yaml("FU1")
    )
    assert status == 0, output
    codes = phone_codes(app)
    assert codes["EV2"] == "800"  # 382 is a zone of its own
    assert codes["FU1"] == "801"  # 381 is EV1's


def test_the_zones_file_sets_a_phone_code_and_a_later_file_without_one_keeps_it(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    status, output = import_text(runner, tmp_path, "zones:\n" + zone_yaml("EV1", '"801"'))
    assert status == 0, output
    assert phone_codes(app)["EV1"] == "801"

    status, output = import_text(runner, tmp_path, "zones:\n" + zone_yaml("EV1"))

    assert status == 0, output
    assert phone_codes(app)["EV1"] == "801"


def test_two_zones_may_swap_their_phone_codes_in_one_file(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    status, output = import_text(runner, tmp_path, "zones:\n" + zone_yaml("EV2", "801"))
    assert status == 0, output

    status, output = import_text(
        runner, tmp_path, "zones:\n" + zone_yaml("EV1", "801") + zone_yaml("EV2", "381")
    )

    assert status == 0, output
    assert phone_codes(app)["EV1"] == "801"
    assert phone_codes(app)["EV2"] == "381"


BAD_PHONE_CODES = {
    "letters": (zone_yaml("EV1", '"8O1"'), ["EV1", "phone_code", "digits"]),
    "too long": (zone_yaml("EV1", '"123456789"'), ["EV1", "phone_code"]),
    "on a digit zone": (zone_yaml("101", '"555"'), ["101", "phone_code", "letters"]),
    "another zone's code": (zone_yaml("EV1", '"101"'), ["EV1", "101", "code of zone 101"]),
    "another zone's phone code": (
        zone_yaml("EV2", '"381"'),
        ["EV2", "381", "phone code of zone EV1"],
    ),
    "twice in one file": (
        zone_yaml("EV2", '"801"') + zone_yaml("EV3", '"801"'),
        ["801", "phone code of zone EV2"],
    ),
    "a new zone whose code is a phone code": (zone_yaml("381"), ["381", "EV1"]),
}


@pytest.mark.parametrize("case", sorted(BAD_PHONE_CODES))
def test_a_phone_code_that_is_not_digits_or_is_taken_is_refused_and_nothing_changes(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, case: str
) -> None:
    entries, words = BAD_PHONE_CODES[case]
    before = phone_codes(app)

    status, output = import_text(runner, tmp_path, "zones:\n" + entries)

    assert status != 0
    assert "Error:" in output and "Traceback" not in output
    for word in words:
        assert word in output
    assert phone_codes(app) == before


def test_zones_from_before_phone_codes_get_one_assigned(app: Flask) -> None:
    from app.backend import zones

    with app.app_context():
        ev1 = db.session.scalar(select(Zone).where(Zone.code == "EV1"))
        assert ev1 is not None
        ev1.phone_code = None
        db.session.commit()

        changed = zones.assign_phone_codes(db.session())
        db.session.commit()

        assert [z.code for z in changed] == ["EV1"]
        assert zones.find_by_keys(db.session(), "381") is ev1
        assert zones.find_by_keys(db.session(), "101") is not None
        assert zones.find_by_keys(db.session(), "EV1") is None
