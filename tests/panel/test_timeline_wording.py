"""Every action the app records on the timeline is worded in fi, sv and en (round 2,
finding 2): the panel never falls back to a row's English body for an event it records."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.channels.panel_words import event_text
from app.panel.queries import TimelineEntry
from tests.conftest import Clock, Phone

APP = Path(__file__).resolve().parents[2] / "app"
# Helpers that record an event of one kind for their callers (name -> kind).
HELPER_KINDS = {
    "_money_event": "payment",
    "record_money_event": "payment",
    "record_payment_event": "payment",
    "record_event": "payment",
    "_record": None,  # per module, below
    "_staff_event": "staff_action",
}
RECORD_HELPER_KIND = {
    "payments.py": "payment",
    "order_page.py": "web_action",
    # booking_space.record(session, order, now, action, ...): a booking's order event
    "bookings.py": "order",
    "booking_space.py": "order",
    "waitlist.py": "order",
}
# Where the action is a positional argument of a helper (name -> index).
POSITIONAL_ACTION = {"_staff_event": 2, "_record": 3, "record": 3}


def _values(node: ast.expr) -> Iterator[str]:
    """The string values an expression may take (constants, both sides of a conditional,
    the values and default of a ``{...}.get(x, default)`` lookup)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _values(node.body)
        yield from _values(node.orelse)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if isinstance(node.func.value, ast.Dict):
            for value in node.func.value.values:
                yield from _values(value)
        for arg in node.args[1:]:
            yield from _values(arg)


def _assigned(tree: ast.AST, name: str) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            yield from _values(node.value)


def _action_expr(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == "action":
            return kw.value
        if kw.arg == "data" and isinstance(kw.value, ast.Dict):
            for key, value in zip(kw.value.keys, kw.value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "action":
                    return value
    index = POSITIONAL_ACTION.get(name)
    if index is not None and len(call.args) > index:
        return call.args[index]
    return None


def _calls(tree: ast.AST) -> Iterator[tuple[ast.Call, set[str]]]:
    """Every call inside a function, with the names of that function's parameters."""
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            args = func.args
            params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            for node in ast.walk(func):
                if isinstance(node, ast.Call):
                    yield node, params


def recorded_actions() -> set[tuple[str, str]]:
    """(event kind, action) for every action literal recorded anywhere in app/."""
    found: set[tuple[str, str]] = set()
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call, params in _calls(tree):
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in ("record", *HELPER_KINDS):
                continue
            expr = _action_expr(call, name)
            if expr is None:
                continue
            kind = next(
                (
                    kw.value.attr.lower()
                    for kw in call.keywords
                    if kw.arg == "kind" and isinstance(kw.value, ast.Attribute)
                ),
                HELPER_KINDS.get(name) or RECORD_HELPER_KIND.get(path.name),
            )
            assert kind, f"{path.name}:{call.lineno}: which event kind does {name} record?"
            values = set(_values(expr))
            if isinstance(expr, ast.Name):
                if expr.id in params:
                    continue  # a helper's parameter: its callers are walked
                values |= set(_assigned(tree, expr.id))
            assert values, f"{path.name}:{call.lineno}: cannot read the recorded action"
            found |= {(kind, value) for value in values}
    return found


def _entry(kind: str, action: str) -> TimelineEntry:
    iso = "2026-11-23T09:30:00+00:00"
    return TimelineEntry(
        at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        channel="system",
        kind=kind,
        intent=action if kind == "staff_action" else None,
        body=f"ENGLISH BODY {action}",
        data={
            "action": action,
            "plate": "ABC-123",
            "zone": "101",
            "amount_cents": 3,
            "currency": "EUR",
            "minimum_cents": 50,
            "minutes": 30,
            "from": "2026-11-23T09:00:00+00:00",
            "to": iso,
            "ends_at": iso,
            "due_at": iso,
            "sent": True,
            "user": "qa",
            "token": "qa",
        },
        understood=None,
        actor=None,
        order_id=None,
        delivery=None,
        phone=None,
        plate="ABC-123",
        zone="101",
        currency="EUR",
    )


def test_the_walk_finds_the_actions_it_should() -> None:
    found = recorded_actions()
    for known in [
        ("order", "extension_lapsed"),
        ("order", "ended_max_stay"),
        ("payment", "waived"),
        ("payment", "deferred"),
        ("payment", "released"),
        ("web_action", "stop"),
        ("web_action", "park"),
        ("staff_action", "token_revoked"),
        ("order", "booking_made"),
        ("order", "booking_moved"),
        ("order", "hold_lapsed"),
    ]:
        assert known in found


@pytest.mark.parametrize(("kind", "action"), sorted(recorded_actions()))
def test_every_recorded_action_is_worded_in_every_language(
    app: Flask, kind: str, action: str
) -> None:
    now = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    entry = _entry(kind, action)
    texts = {}
    for lang in ("fi", "sv", "en"):
        with app.test_request_context(f"/admin/timeline?lang={lang}"):
            texts[lang] = event_text(entry, now)
        if (kind, action) != ("staff_action", "note"):  # a note's body is the staff's words
            assert "ENGLISH BODY" not in texts[lang], (lang, kind, action)
    assert texts["fi"] != texts["en"] and texts["sv"] != texts["en"], texts


def test_different_actions_of_one_kind_read_differently(app: Flask) -> None:
    now = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    seen: dict[tuple[str, str], str] = {}
    with app.test_request_context("/admin/timeline?lang=en"):
        for kind, action in sorted(recorded_actions()):
            text = event_text(_entry(kind, action), now)
            assert (kind, text) not in seen, (action, seen.get((kind, text)), text)
            seen[(kind, text)] = action


def test_a_handheld_check_names_its_handheld_in_the_viewers_language(
    app: Flask, client: FlaskClient, phone: Phone, clock: Clock, api_token: str
) -> None:
    from tests.panel.test_admin import ADMIN_PASSWORD, make_user, sign_in
    from tests.panel.test_admin_timeline import events_of

    phone.send("ABC-123 101 1h")
    headers = {"Authorization": f"Bearer {api_token}"}
    assert client.get("/api/v1/plates/ABC-123?zone=101", headers=headers).status_code == 200
    make_user(app, clock, "boss", "admin", ADMIN_PASSWORD)
    sign_in(client, "boss", ADMIN_PASSWORD)
    events = events_of(client.get("/admin/timeline?lang=fi&q=ABC-123").get_data(as_text=True))
    checks = [e for e in events if "tarkistettu" in e]
    assert checks and all("käsipääte handheld-1" in e for e in checks), checks
    assert not any("handheld handheld-1" in e for e in events)
