"""Logging of the server under ``make fuzz``: each record names the request it belongs to.

gunicorn reads :func:`config` from ``--log-config-json`` (the fuzzer passes it in
``GUNICORN_CMD_ARGS``; ``gunicorn.conf.py`` stays as it is). Every record of the web
process, Flask's ``Exception on …`` with its traceback included, goes to stderr as

    2026-12-01 10:00:00.123 [pid] [ERROR] [request id] logger: message

where the request id is the fuzzer's ``X-Fuzz-Request`` header of the request being
answered (``-`` outside a request). So a traceback is matched to the exact request that
caused it, however many threads were sending. This module is imported by the server's
processes (``PYTHONPATH``), so it imports nothing of the fuzzer's.
"""

from __future__ import annotations

import logging
from typing import Any

HEADER = "X-Fuzz-Request"
FORMAT = (
    "%(asctime)s.%(msecs)03d [%(process)d] [%(levelname)s] [%(fuzz_request)s] %(name)s: %(message)s"
)


class RequestFilter(logging.Filter):
    """Adds ``fuzz_request``: the ``X-Fuzz-Request`` header of the request being answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = "-"
        try:
            from flask import has_request_context, request

            if has_request_context():
                request_id = request.headers.get(HEADER, "-")[:40]
        except Exception:  # noqa: S110 - a log record must never be lost to its label
            pass
        record.fuzz_request = request_id
        return True


def config() -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for gunicorn: everything to stderr, one format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": f"{__name__}.RequestFilter"}},
        "formatters": {"fuzz": {"format": FORMAT, "datefmt": "%Y-%m-%d %H:%M:%S"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "fuzz",
                "filters": ["request"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "WARNING", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
