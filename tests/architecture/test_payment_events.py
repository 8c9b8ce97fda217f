"""Payment events have one shape: ``action``, ``amount_cents`` and ``currency`` in
``Event.data``, which the panel words in the viewer's language. They are written in one
place (:func:`app.backend.ledger.record_payment_event`, whose signature requires the
three), so no other module may write an event of kind ``payment`` by hand."""

from __future__ import annotations

from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
THE_ONE_WRITER = APP / "backend" / "ledger.py"


def test_only_the_ledger_writes_payment_events() -> None:
    writers = [
        str(path.relative_to(APP.parent))
        for path in sorted(APP.rglob("*.py"))
        if "kind=EventKind.PAYMENT" in path.read_text(encoding="utf-8")
    ]
    assert writers == [str(THE_ONE_WRITER.relative_to(APP.parent))]
