"""The shapes of what comes in from outside, checked before anything reaches the database.

Pure functions: no Flask, no database. PostgreSQL refuses NUL in any text parameter and
enforces column lengths; SQLite does neither. Checking shape and length here makes both
answer alike, and lets a channel refuse (or clean) input before it is queried or stored.
"""

from __future__ import annotations

import re

__all__ = [
    "CALL_SID_RE",
    "MESSAGE_SID_RE",
    "ZONE_CODE_MAX",
    "clean_text",
    "has_control",
    "is_ascii_number",
    "keypad_keys",
    "looks_like_token",
    "looks_like_zone_code",
    "small_count",
]

#: Twilio's ids: ``SM``/``MM`` + 32 hex for a message, ``CA`` + 32 hex for a call
#: (https://www.twilio.com/docs/glossary/what-is-a-sid).
MESSAGE_SID_RE = re.compile(r"(SM|MM)[0-9a-f]{32}")
CALL_SID_RE = re.compile(r"CA[0-9a-f]{32}")
#: Link tokens (manage, payment, receipt): URL-safe base64, at most the column's 32.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
ZONE_CODE_MAX = 16  # Zone.code is String(16)
_KEYPAD_RE = re.compile(r"[^0-9*#]")
# C0 controls and DEL; tab, newline and carriage return are text.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ANY_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(text: str, max_length: int | None = None) -> str:
    """``text`` without C0 control characters (but tab, newline and carriage return) and
    DEL, cut to ``max_length`` characters: what a free-text webhook field (an SMS body,
    speech, a sender) may carry to the database without losing the message."""
    cleaned = _CONTROL_RE.sub("", text)
    return cleaned if max_length is None else cleaned[:max_length]


def has_control(text: str) -> bool:
    """Whether ``text`` holds any C0 control character or DEL (tab and newline included):
    nothing in a path or a query string may."""
    return _ANY_CONTROL_RE.search(text) is not None


def is_ascii_number(text: str, max_digits: int = 9) -> bool:
    """Whether ``text`` is 1 to ``max_digits`` ASCII digits: ``str.isdigit()`` also accepts
    ``²`` and ``①``, which ``int()`` refuses."""
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def small_count(text: str) -> int | None:
    """A small count such as Twilio's ``NumMedia`` (one or two ASCII digits), else None."""
    return int(text) if is_ascii_number(text, 2) else None


def keypad_keys(text: str, max_length: int = 32) -> str:
    """What a phone's keypad can send: only ``0-9``, ``*`` and ``#`` of ``text``."""
    return _KEYPAD_RE.sub("", text)[:max_length]


def looks_like_token(text: str) -> bool:
    """Whether ``text`` has the shape of a link token (manage, payment, receipt)."""
    return _TOKEN_RE.fullmatch(text) is not None


def looks_like_zone_code(text: str) -> bool:
    """Whether ``text`` (stripped) has the shape of a zone code: 1 to 16 letters or digits,
    dashes allowed between (as ``zones import`` accepts them)."""
    code = text.strip()
    return 0 < len(code) <= ZONE_CODE_MAX and code.replace("-", "").isalnum()
