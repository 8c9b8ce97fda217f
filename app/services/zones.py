"""Zones and their tariffs: import from the operator's YAML file, look up, suggest."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Zone
from app.services.pricing import (
    Tariff,
    TariffError,
    paid_hours_to_spec,
    parse_money,
    parse_paid_hours,
)

DEMO_ZONES_FILE = Path(__file__).resolve().parent.parent / "demo_zones.yaml"


class ZoneFileError(ValueError):
    """The zones file is malformed; the message names the zone and the field."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def tariff_of(zone: Zone) -> Tariff:
    return Tariff(
        rate_per_hour_cents=zone.rate_per_hour_cents,
        paid_hours=parse_paid_hours(zone.paid_hours),
        daily_cap_cents=zone.daily_cap_cents,
        max_minutes=zone.max_minutes,
    )


def find(session: Session, code: str) -> Zone | None:
    """The active zone with this code, matched case-insensitively."""
    return session.scalar(
        select(Zone).where(Zone.code == code.strip().upper(), Zone.active.is_(True))
    )


def active_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Zone.code).where(Zone.active.is_(True)).order_by(Zone.code)))


def closest_codes(code: str, codes: list[str], limit: int = 3) -> list[str]:
    """Known codes that look most like ``code`` (a typo, a missing or extra digit)."""
    code = code.upper()
    close = difflib.get_close_matches(code, codes, n=limit, cutoff=0.5)
    if len(close) < limit:
        same_start = [c for c in codes if c[:1] == code[:1] and c not in close]
        close += same_start[: limit - len(close)]
    return close


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw[key]
    return "" if value is None else str(value).strip()


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _validate(raw: Mapping[str, Any], index: int) -> dict[str, Any]:
    label = f"zone #{index + 1}"
    field = "code"
    try:
        code = _text(raw, "code").upper()
        if not code or len(code) > 16 or not code.replace("-", "").isalnum():
            raise ZoneFileError(f"{label}: code must be short letters or digits")
        label = f"zone {code}"
        field = "name"
        name = _text(raw, "name")
        if not name:
            raise ZoneFileError(f"{label}: name is empty")
        field = "rate_per_hour"
        rate = parse_money(raw["rate_per_hour"])
        field = "paid_hours"
        paid_spec = raw.get("paid_hours") or {}
        if not isinstance(paid_spec, Mapping):
            raise ZoneFileError(f"{label}: paid_hours must be a mapping of days to hours")
        paid = parse_paid_hours({str(k): str(v) for k, v in paid_spec.items()})
        field = "daily_cap"
        cap = raw.get("daily_cap")
        cap_cents = parse_money(cap) if cap is not None else None
        max_minutes = raw.get("max_minutes")
        if max_minutes is not None and not _positive_int(max_minutes):
            raise ZoneFileError(f"{label}: max_minutes must be a positive whole number")
        bookable = raw.get("bookable", False)
        if not isinstance(bookable, bool):
            raise ZoneFileError(f"{label}: bookable must be true or false")
        capacity = raw.get("capacity")
        if capacity is not None and not (_positive_int(capacity) or capacity == 0):
            raise ZoneFileError(f"{label}: capacity must be a whole number")
        if bookable and not capacity:
            raise ZoneFileError(f"{label}: a bookable zone needs a capacity")
    except KeyError as exc:
        raise ZoneFileError(f"{label}: {exc.args[0]} is missing") from exc
    except TariffError as exc:
        message = str(exc)
        prefix = "" if message.startswith(field) else f"{field}: "
        raise ZoneFileError(f"{label}: {prefix}{message}") from exc
    return {
        "code": code,
        "name": name,
        "rate_per_hour_cents": rate,
        "paid_hours": paid_hours_to_spec(paid),
        "daily_cap_cents": cap_cents,
        "max_minutes": max_minutes,
        "bookable": bookable,
        "capacity": capacity,
    }


def import_zones(session: Session, data: Mapping[str, Any], at: datetime) -> ImportResult:
    """Create or update every zone in ``data`` (the parsed zones file) and commit.

    All or nothing: one bad zone rejects the file and changes nothing.
    """
    entries = data.get("zones") if isinstance(data, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise ZoneFileError("the file must have a non-empty 'zones' list")
    validated = [
        _validate(raw if isinstance(raw, Mapping) else {}, i) for i, raw in enumerate(entries)
    ]
    codes = [v["code"] for v in validated]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ZoneFileError(f"zone codes appear twice: {', '.join(duplicates)}")
    created = updated = 0
    for values in validated:
        zone = session.scalar(select(Zone).where(Zone.code == values["code"]))
        if zone is None:
            session.add(Zone(**values, active=True, created_at=at, updated_at=at))
            created += 1
        else:
            for key, value in values.items():
                setattr(zone, key, value)
            zone.active = True
            zone.updated_at = at
            updated += 1
    session.commit()
    return ImportResult(created=created, updated=updated)


def import_file(session: Session, path: Path, at: datetime) -> ImportResult:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ZoneFileError(f"not valid YAML: {exc}") from exc
    return import_zones(session, data, at)


def seed_demo(session: Session, at: datetime) -> ImportResult:
    """Load the demo zones; running it again changes nothing."""
    return import_file(session, DEMO_ZONES_FILE, at)
