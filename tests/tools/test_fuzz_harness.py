"""The pure parts of ``make fuzz`` (scripts/fuzz): what it signs is what the server checks,
and its report groups and matches failures right. The fuzz run itself is never part of the
suite."""

from __future__ import annotations

import sys
from pathlib import Path

from twilio.request_validator import RequestValidator
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

sys.path.append(str(Path(__file__).resolve().parents[2] / "scripts" / "fuzz"))

import client
import report
import voice

BASE = "http://127.0.0.1:8123"
TOKEN = "fuzz-test-token"


def _as_server_receives(url: str, body: bytes) -> Request:
    """The request Werkzeug builds from what goes on the wire."""
    path = url.removeprefix(BASE)
    environ = EnvironBuilder(
        path=path.split("?")[0],
        query_string=path.split("?", 1)[1] if "?" in path else None,
        method="POST",
        data=body,
        content_type="application/x-www-form-urlencoded",
        base_url=BASE,
    ).get_environ()
    return Request(environ)


def _server_accepts(url: str, body: bytes, signature: str) -> bool:
    """The check of app/channels/twilio_auth.py: the base URL, the decoded path, the raw
    query string, and the first value of each form field."""
    request = _as_server_receives(url, body)
    signed = BASE + request.path
    if request.query_string:
        signed += "?" + request.query_string.decode("latin-1")
    params = request.form.to_dict(flat=True)
    return RequestValidator(TOKEN).validate(signed, params, signature)


def test_a_signature_over_a_non_ascii_query_is_what_the_server_checks() -> None:
    url = BASE + "/twilio/voice/step?n=٣"
    fields: list[tuple[str, client.Value]] = [("CallSid", "CA1"), ("Digits", "²")]

    signature = client.twilio_signature(RequestValidator(TOKEN), url, fields)

    sent = client.wire_url(url)  # what requests puts on the wire
    assert sent == BASE + "/twilio/voice/step?n=%D9%A3"
    assert _server_accepts(sent, client.encode_form(fields), signature)


def test_fields_are_read_as_werkzeug_reads_them_bytes_duplicates_and_nul() -> None:
    fields: list[tuple[str, client.Value]] = [
        ("Body", b"ok \xff\xc3 end"),
        ("From", "+358401234567"),
        ("Body", "second"),
        ("To", "a\x00b"),
        ("Empty", ""),
    ]
    body = client.encode_form(fields)

    ours = client.first_values(client.as_server_reads(body))

    request = _as_server_receives(BASE + "/twilio/sms", body)
    assert ours == request.form.to_dict(flat=True)
    assert ours["Body"].startswith("ok ")


def test_routes_are_counted_without_their_tokens_and_queries() -> None:
    assert client.route_of("POST", "/p/101?lang=fi") == "POST /p/<zone>"
    assert client.route_of("POST", "/p/%F0%9F/extend") == "POST /p/<zone>/extend"
    assert client.route_of("GET", "/o/abcDEF123456/stop?lang=sv") == "GET /o/<token>/stop"
    assert client.route_of("GET", "/api/v1/plates/ABC-1?zone=101") == "GET /api/v1/plates/<id>"
    assert client.route_of("POST", "/twilio/voice/step?n=3") == "POST /twilio/voice/step"
    assert client.route_of("GET", "/nowhere/x") == "GET /nowhere/…"


TRACEBACK = """\
Traceback (most recent call last):
  File "{root}/app/channels/sms.py", line 39, in inbound_sms
    n = int(value)
ValueError: invalid literal for int() with base 10: '{value}'"""
VOICE_TRACEBACK = """\
Traceback (most recent call last):
  File "{root}/app/services/voice.py", line 725, in on_plate
    if digits[:1].isdigit() and 1 <= int(digits[:1]) <= len(plates):
ValueError: invalid literal for int() with base 10: '{value}'"""


def _log(root: Path, tmp_path: Path) -> Path:
    lines = [
        "2026-12-01 10:00:00.100 [7] [ERROR] [1] app: Exception on /twilio/sms [POST]",
        TRACEBACK.format(root=root, value="²"),
        "2026-12-01 10:00:00.200 [7] [WARNING] [-] app.channels.twilio_auth: refused",
        "2026-12-01 10:00:01.300 [7] [ERROR] [2] app: Exception on /twilio/sms [POST]",
        TRACEBACK.format(root=root, value="٣"),
        "2026-12-01 10:00:02.000 [7] [ERROR] [3] app.services.voice: voice step 2 failed",
        VOICE_TRACEBACK.format(root=root, value="①"),
    ]
    path = tmp_path / "gunicorn.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def _exchange(n: int, status: int, path: str = "/twilio/sms") -> client.Exchange:
    at = report._epoch("2026-12-01 10:00:00", "000") + n
    return client.Exchange(n, "sms", "POST", path, [("NumMedia", "x")], {}, at, at + 1, status)


def test_one_failure_however_its_inputs_differ_each_matched_to_its_request(
    tmp_path: Path,
) -> None:
    entries = report.parse_log(_log(report.ROOT, tmp_path), "gunicorn")
    assert [e.request for e in entries] == [1, None, 2, 3]
    record = client.Record()
    for exchange in (
        _exchange(1, 500),
        _exchange(2, 500),
        _exchange(3, 200, "/twilio/voice/step"),
    ):
        record.add(exchange)

    findings = report.analyse(record, record.exchanges, entries)

    # The two 500s share a traceback (their messages differ: the input); the error the
    # voice step logged and answered gracefully is a finding of its own, with its request.
    assert [(f.statuses, f.unmatched) for f in findings] == [({"500": 2}, 0), ({}, 1)]
    assert [e.id for e in findings[0].requests] == [1, 2]
    assert [e.id for e in findings[1].requests] == [3]
    assert findings[1].headline() == "ValueError: invalid literal for int() with base 10: '①'"


def test_twiml_actions_are_followed_and_an_answer_without_one_ends_the_call() -> None:
    answer = voice.read_twiml(
        '<Response><Gather action="/twilio/voice/step?n=2" input="dtmf speech">'
        "<Say>Zone?</Say></Gather></Response>"
    )
    assert (answer.gather, answer.speech, answer.ended) == ("/twilio/voice/step?n=2", True, False)
    assert voice.read_twiml("<Response><Say>Bye</Say><Hangup/></Response>").ended
    assert voice.read_twiml("not xml").ended


NUL_CAUSE = """\
Traceback (most recent call last):
  File "{root}/app/services/sms.py", line 84, in receive_sms
    reply_text = _converse(
sqlalchemy.exc.DataError: (raised as a result of Query-invoked autoflush)
(psycopg.DataError) PostgreSQL text fields cannot contain NUL (0x00) bytes
[SQL: SELECT 1]"""
NUL_WHILE_RECORDING = """\

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "{root}/app/services/sms.py", line 92, in receive_sms
    _record_failure(session)
sqlalchemy.exc.DataError: (psycopg.DataError) PostgreSQL text fields cannot contain NUL"""


def test_an_error_logged_on_the_way_to_a_5xx_is_told_once_with_the_database_error(
    tmp_path: Path,
) -> None:
    cause = NUL_CAUSE.format(root=report.ROOT)
    lines = [
        "2026-12-01 10:00:00.100 [7] [ERROR] [1] app.services.sms: SM1 could not be handled",
        cause,
        "2026-12-01 10:00:00.200 [7] [ERROR] [1] app: Exception on /twilio/sms [POST]",
        cause + NUL_WHILE_RECORDING.format(root=report.ROOT),
    ]
    path = tmp_path / "gunicorn.log"
    path.write_text("\n".join(lines) + "\n")
    record = client.Record()
    record.add(_exchange(1, 500))

    findings = report.analyse(record, record.exchanges, report.parse_log(path, "gunicorn"))

    assert [(f.statuses, f.unmatched) for f in findings] == [({"500": 1}, 0)]
    entry = report.parse_log(path, "gunicorn")[0]
    assert entry.exception_line() == (
        "sqlalchemy.exc.DataError: (raised as a result of Query-invoked autoflush) "
        "(psycopg.DataError) PostgreSQL text fields cannot contain NUL (0x00) bytes"
    )


def test_a_fuzzed_path_in_a_log_line_reaches_the_terminal_escaped() -> None:
    line = "app: Exception on /p/\x1b[2J\x00x/parked [GET]"

    assert report.printable(line) == "app: Exception on /p/\\x1b[2J\\x00x/parked [GET]"


def test_tracebacks_that_differ_only_inside_libraries_are_one_failure() -> None:
    def entry(library_line: int) -> report.Entry:
        lines = f"""\
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/flask_wtf/csrf.py", line {library_line}, in validate
wtforms.validators.ValidationError: The CSRF token is missing.

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "{report.ROOT}/app/services/zones.py", line 89, in find
    return session.scalar(
  File "/venv/lib/python3.11/site-packages/sqlalchemy/orm/session.py", line 2, in scalar
sqlalchemy.exc.DataError: (psycopg.DataError) NUL""".splitlines()
        return report.Entry("gunicorn", 0.0, "ERROR", "app: Exception on /p/x [POST]", 1, lines)

    assert entry(102).signature() == entry(105).signature()
    assert entry(102).signature().splitlines() == [
        "app/services/zones.py:89 find",
        "sqlalchemy.exc.DataError",
    ]
    without_ours = report.Entry("gunicorn", 0.0, "ERROR", "x", 1, entry(102).lines[:3])
    assert without_ours.signature().splitlines() == [
        "flask_wtf/csrf.py validate",
        "wtforms.validators.ValidationError",
    ]
