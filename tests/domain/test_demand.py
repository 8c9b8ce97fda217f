"""The classification rules of value and failure demand, and what a sign code may be."""

from __future__ import annotations

import pytest

from app.domain.demand import ContactFacts, Demand, DemandReason, classify, sign_code_or_none
from app.panel.demand import mask_phones


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (ContactFacts(intent="park"), (Demand.VALUE, None)),
        (ContactFacts(intent="stop"), (Demand.VALUE, None)),
        (ContactFacts(intent="complaint", understood=False, to_person=True),
         (Demand.FAILURE, DemandReason.COMPLAINT)),
        (ContactFacts(intent="correct"), (Demand.FAILURE, DemandReason.CORRECTION)),
        (ContactFacts(intent="question", understood=False),
         (Demand.FAILURE, DemandReason.OPERATOR)),
        (ContactFacts(intent="unknown", understood=False, to_person=True),
         (Demand.FAILURE, DemandReason.OPERATOR)),
        (ContactFacts(intent="unknown", understood=False),
         (Demand.FAILURE, DemandReason.NOT_UNDERSTOOD)),
        (ContactFacts(intent="did_you_mean"), (Demand.FAILURE, DemandReason.NOT_UNDERSTOOD)),
        (ContactFacts(intent="help"), (Demand.FAILURE, DemandReason.HELP)),
        (ContactFacts(intent="status", repeats_reply=True), (Demand.FAILURE, DemandReason.REPEAT)),
        (ContactFacts(intent="park", after_failed_payment=True),
         (Demand.FAILURE, DemandReason.PAYMENT_FAILED)),
        (ContactFacts(intent="call", to_person=True), (Demand.FAILURE, DemandReason.OPERATOR)),
    ],
)  # fmt: skip
def test_classify(facts: ContactFacts, expected: tuple[Demand, DemandReason | None]) -> None:
    assert classify(facts) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("101-a", "101-A"), (" KT_B.2 ", "KT_B.2"), ("", None), (None, None), ("a b", None),
     ("<script>", None), ("-x", None), ("x" * 25, None)],
)  # fmt: skip
def test_sign_codes(raw: str | None, code: str | None) -> None:
    assert sign_code_or_none(raw) == code


def test_phone_numbers_in_texts_are_masked() -> None:
    assert mask_phones("soita 040 123 4567 tai +358401234567") == "soita ***67 tai ***67"
    assert mask_phones("ABC-123 101 2h") == "ABC-123 101 2h"
    assert mask_phones("ABC-123 101 120") == "ABC-123 101 120"
