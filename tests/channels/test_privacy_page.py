"""The privacy notice as a driver reads it, in Finnish, Swedish and English: who the
controller is, what is kept and for how long (from the settings), how to ask for a copy or
erasure; linked from the web form and the help SMS."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import Phone


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    from app.config import Operator

    return {
        "operator": Operator(name="Parkki Oy", business_id="1234567-8"),
        "privacy_contact": "tietosuoja@parkki.example",
        "retention_message_days": 45,
        "retention_customer_months": 18,
    }


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Privacy notice", "Parkki Oy", "45 days", "18 months", "6 years"]),
        ("fi", ["Tietosuojaseloste", "Parkki Oy", "45 päivää", "18 kuukauden", "6 vuotta"]),
        ("sv", ["Dataskyddsbeskrivning", "Parkki Oy", "45 dagar", "18 månader", "6 år"]),
    ],
)
def test_the_notice_says_who_what_and_how_long_in_each_language(
    client: FlaskClient, lang: str, expected: list[str]
) -> None:
    response = client.get(f"/privacy?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in expected:
        assert text in page, text
    assert "tietosuoja@parkki.example" in page
    assert "1234567-8" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)


def test_the_web_form_links_the_notice(client: FlaskClient) -> None:
    page = client.get("/p/101?lang=sv").get_data(as_text=True)
    assert 'href="/privacy?lang=sv"' in page


def test_the_help_sms_links_the_notice_in_the_drivers_language(phone: Phone) -> None:
    # HELP is a word of every language: a Finnish number is answered in Finnish
    assert "/privacy?lang=fi" in phone.send("HELP")
    assert "in English" in phone.send("LANG EN")
    assert "/privacy?lang=en" in phone.send("HELP")
    assert "/privacy?lang=sv" in phone.send("HJÄLP")
