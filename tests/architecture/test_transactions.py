"""Who owns a transaction: the use cases (and the panel's actions and the clock's duties
above them) commit or roll back; the layers below them only add and flush, so a use case
can never be half-committed by a helper it calls."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
BELOW_THE_USE_CASES = ("domain", "backend", "texts", "adapters", "kernel")
ENDS_A_TRANSACTION = re.compile(r"\.(commit|rollback)\(")


def transaction_ends_below_the_use_cases() -> list[str]:
    found = []
    for folder in BELOW_THE_USE_CASES:
        for path in sorted((APP / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ENDS_A_TRANSACTION.search(line):
                    found.append(f"{path.relative_to(APP.parent)}:{number}: {line.strip()}")
    return found


def test_no_commit_or_rollback_below_the_use_cases() -> None:
    assert transaction_ends_below_the_use_cases() == []


def test_every_layer_checked_exists() -> None:
    assert all((APP / folder).is_dir() for folder in BELOW_THE_USE_CASES)
