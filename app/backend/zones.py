"""Zones and their tariffs: import from the operator's YAML file, look up, suggest.

A zone's code is what drivers type and what the sign shows (``101``, ``EV1``). A phone
keypad has no letters to key, so every zone whose code has letters also has a
``phone_code``: digits that the voice menu takes for it. The operator may set it in the
zones file or the editor; otherwise it is assigned once, on import, and then kept.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.domain.booking_policy import (
    BookingPolicy,
    BookingPolicyError,
    booking_policy_from_fields,
)
from app.domain.inputs import looks_like_zone_code
from app.domain.pricing import (
    Tariff,
    TariffError,
    money_to_decimal_str,
    paid_hours_to_spec,
    parse_money,
    parse_paid_hours,
)
from app.models import Zone

DEMO_ZONES_FILE = Path(__file__).resolve().parent.parent / "demo_zones.yaml"


class ZoneFileError(ValueError):
    """The zones file is malformed; the message names the zone and the field."""


class PhoneCodeError(ZoneFileError):
    """A ``phone_code`` that cannot be used; ``reason`` is ``not_digits``,
    ``digit_code`` (a zone whose code is digits keys its code), ``taken_by_code`` or
    ``taken_by_phone_code`` (``other`` names the zone that has it), for a page to word.
    """

    def __init__(self, message: str, *, zone: str, phone_code: str, reason: str, other: str = ""):
        super().__init__(message)
        self.zone = zone
        self.phone_code = phone_code
        self.reason = reason
        self.other = other


# Letters as a phone's keypad carries them (ITU E.161), the Nordic ones with their base
# letter, so that an assigned phone code is what a caller keys by spelling the code.
_KEYPAD = {
    letter: digit
    for digit, letters in {
        "2": "ABCÅÄÆ",
        "3": "DEF",
        "4": "GHI",
        "5": "JKL",
        "6": "MNOÖØ",
        "7": "PQRS",
        "8": "TUVÜ",
        "9": "WXYZ",
    }.items()
    for letter in letters
}
PHONE_CODE_MAX = 8  # Zone.phone_code is String(8)
FIRST_SPARE_PHONE_CODE = 800


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def tariff_of(zone: Zone) -> Tariff:
    """The zone's tariff as its columns give it now (a zone edited since gives its new one).
    Raises :class:`TariffError` for columns that make no tariff."""
    hours = zone.paid_hours
    columns = (zone.rate_per_hour_cents, zone.daily_cap_cents, zone.max_minutes)
    try:
        return _tariff(columns, tuple(hours.items()))
    except (AttributeError, TypeError):  # not a mapping of text: said as parsing says it
        return _parsed_tariff(columns, hours)


# Every park, price and reply reads a zone's tariff, several times per request; parsing its
# paid hours costs more than the price itself. A Tariff is immutable: one is kept per
# distinct set of tariff columns (a handful of zones, each edited now and then).
@functools.lru_cache(maxsize=256)
def _tariff(
    columns: tuple[int, int | None, int | None], hours: tuple[tuple[str, str], ...]
) -> Tariff:
    return _parsed_tariff(columns, dict(hours))


def _parsed_tariff(columns: tuple[int, int | None, int | None], hours: Any) -> Tariff:
    rate_per_hour_cents, daily_cap_cents, max_minutes = columns
    return Tariff(
        rate_per_hour_cents=rate_per_hour_cents,
        paid_hours=parse_paid_hours(hours),
        daily_cap_cents=daily_cap_cents,
        max_minutes=max_minutes,
    )


# The booking fields of a zone: zones-file key -> Zone column (the rate is kept in cents).
BOOKING_FIELDS = (
    "slot_minutes",
    "booking_hours",
    "min_notice_minutes",
    "max_advance_days",
    "cancel_free_until_minutes",
    "cancel_late_refund_percent",
    "hold_minutes",
)


def booking_fields_of(zone: Zone) -> dict[str, object]:
    """The zone's booking fields as the zones file spells them (None: the default)."""
    fields: dict[str, object] = {name: getattr(zone, name) for name in BOOKING_FIELDS}
    fields["capacity"] = zone.capacity
    if zone.booking_rate_per_hour_cents is not None:
        fields["rate_per_hour"] = money_to_decimal_str(zone.booking_rate_per_hour_cents)
    return fields


def booking_policy_of(zone: Zone) -> BookingPolicy | None:
    """The booking rules of a bookable zone, or None for a zone that cannot be booked."""
    if not zone.bookable or not zone.capacity or not zone.active:
        return None
    return booking_policy_from_fields(
        booking_fields_of(zone),
        zone_rate_per_hour_cents=zone.rate_per_hour_cents,
        zone_daily_cap_cents=zone.daily_cap_cents,
        zone_max_minutes=zone.max_minutes,
    )


def bookable_zones(session: Session) -> list[Zone]:
    """Every active bookable zone, by code."""
    return [z for z in active_zones(session) if booking_policy_of(z) is not None]


def find(session: Session, code: str) -> Zone | None:
    """The active zone with this code, matched case-insensitively; None, unqueried, for
    a text that cannot be a zone code. From the process's zone cache (:func:`cached`):
    the zone is merged into ``session`` without a query."""
    if not looks_like_zone_code(code):
        return None
    snapshot = cached(session).by_code.get(code.strip().upper())
    if snapshot is None:
        return None
    # A zone this session already holds (perhaps changed, not yet flushed) is the one.
    key = inspect(snapshot).key
    held = session.identity_map.get(key) if key is not None else None
    if isinstance(held, Zone):
        return held
    return session.merge(snapshot, load=False)


def is_digit_code(code: str) -> bool:
    """Whether a zone code is all ASCII digits, so a caller can key it as it is."""
    return code.isascii() and code.isdigit()


def keyed_code(zone: Zone) -> str | None:
    """What a caller keys for ``zone``: its code when that is digits, else its phone code
    (None only for a lettered zone that has not been given one yet)."""
    return zone.code if is_digit_code(zone.code) else zone.phone_code


def find_by_keys(session: Session, digits: str) -> Zone | None:
    """The active zone a caller means by keying ``digits``: its code, or its phone code."""
    digits = digits.strip()
    if not is_digit_code(digits):
        return None
    return find(session, digits) or session.scalar(
        select(Zone).where(Zone.phone_code == digits, Zone.active.is_(True))
    )


def active_zones(session: Session) -> list[Zone]:
    """Every active zone, by code."""
    return list(session.scalars(select(Zone).where(Zone.active.is_(True)).order_by(Zone.code)))


def keypad_digits(code: str) -> str:
    """A code spelled on a phone keypad: ``EV1`` -> ``381``; other characters dropped."""
    return "".join(_KEYPAD.get(c, c if c.isascii() and c.isdigit() else "") for c in code.upper())


def _spare_phone_code(code: str, taken: set[str]) -> str:
    """The phone code for a lettered zone that has none: the code spelled on the keypad
    when that is free, else the first free number from 800 up."""
    spelled = keypad_digits(code)
    if spelled and len(spelled) <= PHONE_CODE_MAX and spelled not in taken:
        return spelled
    number = FIRST_SPARE_PHONE_CODE
    while str(number) in taken:
        number += 1
    return str(number)


def assign_phone_codes(session: Session) -> list[Zone]:
    """Give every lettered zone that has no phone code one, stably: a code once given is
    never changed here. Flushes, does not commit; returns the zones changed.

    Zones imported by this release get theirs on import; this also covers zones from
    before phone codes existed.
    """
    every = list(session.scalars(select(Zone).order_by(Zone.id)))
    missing = [z for z in every if not is_digit_code(z.code) and not z.phone_code]
    if not missing:
        return []
    taken = {z.code for z in every} | {z.phone_code for z in every if z.phone_code}
    for zone in missing:
        zone.phone_code = _spare_phone_code(zone.code, taken)
        taken.add(zone.phone_code)
    session.flush()
    return missing


def active_codes(session: Session) -> list[str]:
    """Every active zone's code, sorted (from the process's zone cache)."""
    return list(cached(session).codes)


# --- the zone cache ----------------------------------------------------------------------
#
# Every SMS, call and form reads the active zones and their tariffs; they change when staff
# edit them. Each process keeps them, per database (engine), for at most
# ZONE_CACHE_SECONDS, and forgets them at once when a session of this process commits a
# change of any zone (the editor, the panel, an import). A change committed by another
# process (another worker or node) is seen within ZONE_CACHE_SECONDS.

ZONE_CACHE_SECONDS = 5.0
_CHANGED = "kanava_zones_changed"


@dataclass(frozen=True)
class ZoneCache:
    """The active zones as one transaction saw them: detached, fully loaded copies."""

    generation: int
    loaded_at: float
    codes: tuple[str, ...]
    by_code: Mapping[str, Zone]


_caches: weakref.WeakKeyDictionary[Engine, ZoneCache] = weakref.WeakKeyDictionary()
_generation = itertools.count(1)
_current_generation = 0


def cached(session: Session) -> ZoneCache:
    """The active zones of the session's database, loaded through ``session``'s own
    transaction when the cache is missing, older than ``ZONE_CACHE_SECONDS`` or outdated
    by a zone change this process committed."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    found = _caches.get(engine)
    now = time.monotonic()
    if (
        found is not None
        and found.generation == _current_generation
        and now - found.loaded_at < ZONE_CACHE_SECONDS
    ):
        return found
    generation = _current_generation
    # A session of its own on this transaction's connection: closing it detaches the
    # copies, and the caller's session never holds them.
    with Session(bind=session.connection()) as loader:
        every = list(loader.scalars(select(Zone).where(Zone.active.is_(True)).order_by(Zone.code)))
    fresh = ZoneCache(
        generation=generation,
        loaded_at=now,
        codes=tuple(z.code for z in every),
        by_code=MappingProxyType({z.code: z for z in every}),
    )
    # Kept unless a zone change was committed while loading, or this very transaction
    # has written one (it may yet roll back).
    if generation == _current_generation and not session.info.get(_CHANGED):
        _caches[engine] = fresh
    return fresh


def forget_cached_zones() -> None:
    """Drop every process-wide zone cache (a zone changed)."""
    global _current_generation
    _current_generation = next(_generation)


@event.listens_for(Session, "after_flush")
def _note_zone_changes(session: Session, flush_context: object) -> None:
    if any(isinstance(o, Zone) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_after_zone_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_cached_zones()


@event.listens_for(Session, "after_soft_rollback")
def _keep_after_rollback(session: Session, previous_transaction: object) -> None:
    if not session.in_transaction():
        session.info.pop(_CHANGED, None)


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
        field = "phone_code"
        phone_code = _phone_code(raw.get("phone_code"), code, label)
        booking = _booking_fields(raw, label, rate, cap_cents, max_minutes) if bookable else {}
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
        "phone_code": phone_code,
        **{name: None for name in BOOKING_FIELDS},
        "booking_rate_per_hour_cents": None,
        **booking,
    }


def _booking_fields(
    raw: Mapping[str, Any],
    label: str,
    rate_cents: int,
    cap_cents: int | None,
    max_minutes: int | None,
) -> dict[str, Any]:
    """The booking fields of a bookable zone, validated as a
    :class:`~app.domain.booking_policy.BookingPolicy` (every problem named at once)."""
    # ``rate_per_hour`` of a zone entry is the parking rate; a booking rate of its own is
    # ``booking_rate_per_hour`` (default: the parking rate).
    given_rate = raw.get("booking_rate_per_hour")
    fields = {**raw, "rate_per_hour": given_rate}
    try:
        policy = booking_policy_from_fields(
            fields,
            zone_rate_per_hour_cents=rate_cents,
            zone_daily_cap_cents=cap_cents,
            zone_max_minutes=max_minutes,
        )
    except BookingPolicyError as exc:
        message = str(exc).replace("rate_per_hour", "booking_rate_per_hour")
        raise ZoneFileError(f"{label}: {message}") from exc
    values: dict[str, Any] = {name: raw.get(name) for name in BOOKING_FIELDS}
    for name in BOOKING_FIELDS:
        if name != "booking_hours" and values[name] is not None:
            values[name] = int(values[name])
    if values["booking_hours"] is not None:
        values["booking_hours"] = paid_hours_to_spec(policy.booking_hours)
    values["booking_rate_per_hour_cents"] = (
        parse_money(given_rate) if given_rate is not None else None
    )
    return values


def _phone_code(value: Any, code: str, label: str) -> str | None:
    """The zone's ``phone_code`` from the file: digits (a YAML number is taken as its
    digits), only for a code with letters; None when not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        text = repr(value)
    else:
        text = str(value).strip()
    if not (is_digit_code(text) and len(text) <= PHONE_CODE_MAX):
        raise PhoneCodeError(
            f"{label}: phone_code must be 1 to {PHONE_CODE_MAX} digits, got {text!r}",
            zone=code,
            phone_code=text,
            reason="not_digits",
        )
    if is_digit_code(code):
        if text == code:
            return None
        raise PhoneCodeError(
            f"{label}: phone_code is only for codes with letters; callers key {code} as it is",
            zone=code,
            phone_code=text,
            reason="digit_code",
        )
    return text


def _check_phone_codes(session: Session, validated: list[dict[str, Any]]) -> None:
    """Refuse phone codes that another zone's code or phone code already is, after the
    file is applied: a caller keying them must reach exactly one zone."""
    final = {z.code: z.phone_code for z in session.scalars(select(Zone))}
    for values in validated:
        code = values["code"]
        given = values["phone_code"]
        final[code] = given if given is not None else final.get(code)
    explicit = {v["code"] for v in validated if v["phone_code"] is not None}
    owners: dict[str, str] = {code: code for code in final if is_digit_code(code)}
    for code, phone_code in sorted(final.items()):
        if phone_code is None or is_digit_code(code):
            continue
        if phone_code in owners:
            zone, other = code, owners[phone_code]
            if code not in explicit:
                # This zone kept its phone code: the clash came with the other zone.
                zone, other = other, code
            reason = "taken_by_code" if other == phone_code else "taken_by_phone_code"
            what = "the code of zone" if reason == "taken_by_code" else "the phone code of zone"
            raise PhoneCodeError(
                f"zone {zone}: {phone_code} is already {what} {other}; "
                f"give one of them another phone_code",
                zone=zone,
                phone_code=phone_code,
                reason=reason,
                other=other,
            )
        owners[phone_code] = code


def import_zones(session: Session, data: Mapping[str, Any], at: datetime) -> ImportResult:
    """Create or update every zone in ``data`` (the parsed zones file). Flushes; the
    caller commits.

    All or nothing: one bad zone rejects the file and changes nothing. A zone whose code
    has letters keeps the ``phone_code`` it has unless the file gives another; one that
    has none gets one (:func:`assign_phone_codes`). Raises :class:`ZoneFileError`
    (:class:`PhoneCodeError` for a phone code that is not digits or is taken).
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
    _check_phone_codes(session, validated)
    created = updated = 0
    moved: list[tuple[Zone, str]] = []
    for values in validated:
        zone = session.scalar(select(Zone).where(Zone.code == values["code"]))
        phone_code = values.pop("phone_code")
        if zone is None:
            zone = Zone(**values, active=True, created_at=at, updated_at=at)
            session.add(zone)
            created += 1
        else:
            for key, value in values.items():
                setattr(zone, key, value)
            zone.active = True
            zone.updated_at = at
            updated += 1
        if phone_code is not None and phone_code != zone.phone_code:
            moved.append((zone, phone_code))
            zone.phone_code = None  # first free them all: two zones may swap codes
    session.flush()
    for zone, phone_code in moved:
        zone.phone_code = phone_code
    session.flush()
    assign_phone_codes(session)
    return ImportResult(created=created, updated=updated)


def import_file(session: Session, path: Path, at: datetime) -> ImportResult:
    import yaml  # only for an operator's zone file, not in every web worker

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ZoneFileError(f"not valid YAML: {exc}") from exc
    return import_zones(session, data, at)


def seed_demo(session: Session, at: datetime) -> ImportResult:
    """Load the demo zones; running it again changes nothing."""
    return import_file(session, DEMO_ZONES_FILE, at)
