"""JSON logs on request (``LOG_FORMAT=json``): one object a line, for a log collector.

Each line has the time, level, logger and message; each answered request adds one line
with its route pattern (``/p/<zone_code>``, never the path with its tokens), method,
status and duration. Phone numbers and message bodies are never logged by Kanava; as a
safety net against a library's message quoting one (Twilio's "The 'To' number +358… is
not valid"), anything shaped like a phone number is replaced by ``[number]``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, request

from app.config import Settings

HANDLER_NAME = "kanava-json"
# A run of 7 or more digits, optionally after "+", with spaces or dashes inside.
_NUMBER = re.compile(r"\+?\d(?:[ \-]?\d){6,}")
log = logging.getLogger("kanava.request")


def redact(text: str) -> str:
    return _NUMBER.sub("[number]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in ("route", "method", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def _started() -> None:
    g.log_started = time.perf_counter()


def _answered(response: Response) -> Response:
    started = g.pop("log_started", None)
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    log.info(
        "request",
        extra={
            "route": route,
            "method": request.method,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )
    return response


def init_app(app: Flask, settings: Settings) -> None:
    """With ``LOG_FORMAT=json``: JSON lines on standard error, one per request too."""
    if settings.log_format != "json":
        return
    root = logging.getLogger()
    if not any(h.get_name() == HANDLER_NAME for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    app.before_request(_started)
    app.after_request(_answered)
