"""With LOG_FORMAT=json the service logs one JSON object a line, one per request with its
route pattern and status, and a webhook's log holds neither the sender's number nor what
they wrote."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from app.channels.request_log import HANDLER_NAME
from tests.conftest import Phone

SECRET = "ABC-123 101 SALAINEN"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"log_format": "json"}


@pytest.fixture
def log_lines(app: Flask) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(logging.WARNING)


def test_a_webhook_is_logged_as_json_without_the_number_or_the_text(
    app: Flask, phone: Phone, log_lines: io.StringIO
) -> None:
    phone.send(SECRET)
    # a library quoting a number in its error, as Twilio's do
    logging.getLogger("twilio").warning("The 'To' number %s is not valid", phone.number)

    text = log_lines.getvalue()
    entries = [json.loads(line) for line in text.splitlines()]
    requests = [e for e in entries if e["message"] == "request"]
    assert {"route": "/twilio/sms", "method": "POST", "status": 200}.items() <= requests[-1].items()
    assert "The 'To' number [number] is not valid" in [e["message"] for e in entries]
    assert phone.number not in text and "401234567" not in text
    assert "SALAINEN" not in text and "ABC-123" not in text
