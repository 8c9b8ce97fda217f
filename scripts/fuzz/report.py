"""What ``make fuzz`` found: counts by status, and every failure with its input and traceback.

The server's logs are split into entries: the web process's (gunicorn's error log, in the
format of ``serverlog/kanava_fuzz_log.py``: each entry names the ``X-Fuzz-Request`` id of
the request it was logged for, Flask's ``Exception on <path> [<method>]`` with its
traceback included) and the clock's. A 5xx answer is matched to the error entry of its
own request; an error logged without a 5xx (a failure the code caught and answered
gracefully) is reported with its request too. Where an entry names no request (a worker
timeout, a log in another format), the request in flight nearest in time stands in.
Failures are grouped by their traceback: its frames and exception classes, not its
message, which may hold the input.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client import Exchange, Record
from inputs import ROOT

FUZZ = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) \[\d+\] \[(\w+)\] \[([^\]]*)\] ([^:]*): (.*)$"
)
# Python's warnings module writes to stderr itself: "path.py:12: SomeWarning: text".
PY_WARNING = re.compile(r"^\S+\.py:\d+: \w*Warning: .*$")
FLASK = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\] (\w+) in ([\w.]+): (.*)$")
GUNICORN = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) [+-]\d{4}\] \[\d+\] \[(\w+)\] (.*)$")
CLOCK = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) clock (\w+) (.*)$")
FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (.+)$')
SERIOUS = ("ERROR", "CRITICAL")
EXAMPLES = 3


def _is_library(path: str) -> bool:
    return not path.startswith(str(ROOT)) or "/.venv/" in path or "/site-packages/" in path


def _epoch(stamp: str, millis: str = "0") -> float:
    return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000


@dataclass
class Entry:
    """One record of a log: its first line and whatever followed it (a traceback)."""

    source: str
    at: float
    level: str
    message: str
    request: int | None = None  # the X-Fuzz-Request id it was logged for
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join([self.message, *self.lines])

    @property
    def has_traceback(self) -> bool:
        return any(line.startswith("Traceback") for line in self.lines)

    def signature(self) -> str:
        """What identifies the failure: in each traceback of the entry that passes through
        our code, our frames and the exception class; where none does, every traceback's
        library frames by name (without lines: which branch of a library raised is no other
        bug) and exception class. An entry without a traceback: its message, numbers
        blanked out."""
        if not self.has_traceback:
            return f"{self.level} {re.sub(r'[0-9]+', '#', self.message)}"
        ours: list[list[str]] = []  # per traceback: our frames, then its exception class
        library: list[list[str]] = []  # per traceback: library frames, then the class
        for line in self.lines:
            frame = FRAME.match(line)
            if line.startswith("Traceback"):
                ours.append([])
                library.append([])
            elif frame and ours:
                where = re.sub(r"^.*/site-packages/", "", frame.group(1))
                where = where.removeprefix(f"{ROOT}/")
                if _is_library(frame.group(1)):
                    library[-1].append(f"{where} {frame.group(3)}")
                else:
                    ours[-1].append(f"{where}:{frame.group(2)} {frame.group(3)}")
            elif ours and line and not line[0].isspace() and not line.startswith("[SQL"):
                exception = line.split(":", 1)[0]
                if re.fullmatch(r"[\w.]+", exception):
                    ours[-1].append(exception)
                    library[-1].append(exception)
        # A traceback of ours has a frame besides its exception class.
        mine = [t for t in ours if len(t) > 1]
        chosen = mine or library
        return "\n".join(part for traceback in chosen for part in traceback)

    def short_text(self) -> list[str]:
        """The entry with only the project's own frames (library frames counted, not
        shown): the whole text is in the copied log and the JSON report."""
        lines = [self.message]
        skipped = 0
        library = False
        for line in self.lines:
            frame = FRAME.match(line)
            if frame:
                library = _is_library(frame.group(1))
                if library:
                    skipped += 1
                    continue
                if skipped:
                    lines.append(f"  ({skipped} library frames)")
                    skipped = 0
                lines.append(line.replace(f"{ROOT}/", ""))
            elif line.startswith("    ") and (library or set(line.strip()) <= set("^~")):
                continue  # the code line of a library frame, or the ^^^ markers
            else:
                if skipped:
                    lines.append(f"  ({skipped} library frames)")
                    skipped = 0
                if line.strip():
                    lines.append(line)
        return lines

    def exception_line(self) -> str:
        """The last line that names an exception (what a person reads first), with the
        database's own error where SQLAlchemy puts it on the next line."""
        for n in range(len(self.lines) - 1, -1, -1):
            line = self.lines[n]
            name = line.split(":", 1)[0]
            if line and not line[0].isspace() and re.fullmatch(r"[\w.]+", name):
                following = self.lines[n + 1] if n + 1 < len(self.lines) else ""
                if following.startswith("(") and line.endswith(")"):
                    line += " " + following
                return line[:400]
        return self.message[:400]


def parse_log(path: Path, source: str) -> list[Entry]:
    entries: list[Entry] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return entries
    for line in text.splitlines():
        fuzz, flask, gunicorn = FUZZ.match(line), FLASK.match(line), GUNICORN.match(line)
        clock = CLOCK.match(line)
        if fuzz:
            request = int(fuzz[4]) if fuzz[4].isdecimal() else None
            at = _epoch(fuzz[1], fuzz[2])
            entries.append(Entry(source, at, fuzz[3], f"{fuzz[5]}: {fuzz[6]}", request))
        elif PY_WARNING.match(line):
            entries.append(Entry(source, entries[-1].at if entries else 0.0, "WARNING", line))
        elif flask:
            entries.append(
                Entry(source, _epoch(flask[1], flask[2]), flask[3], f"{flask[4]}: {flask[5]}")
            )
        elif gunicorn:
            entries.append(Entry(source, _epoch(gunicorn[1]), gunicorn[2], gunicorn[3]))
        elif clock:
            entries.append(Entry(source, _epoch(clock[1], clock[2]), clock[3], clock[4]))
        elif entries:
            entries[-1].lines.append(line)
        else:
            entries.append(Entry(source, 0.0, "OTHER", line))
    return entries


def _bare_path(path: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(path).path, errors="replace")


@dataclass
class Finding:
    """One distinct failure: its traceback (or log message) and the requests that met it."""

    signature: str
    entry: Entry | None
    statuses: Counter[str] = field(default_factory=Counter)
    requests: list[Exchange] = field(default_factory=list)
    unmatched: int = 0  # log entries of this failure matched to no request

    @property
    def count(self) -> int:
        return sum(self.statuses.values()) + self.unmatched

    def headline(self) -> str:
        if self.entry is not None:
            return self.entry.exception_line()
        return "no traceback in the server's log"


def _in_flight(exchanges: list[Exchange], entry: Entry) -> list[Exchange]:
    """The request ``entry`` was logged for; for an entry that names none, the requests in
    flight when it was logged, those whose form values appear in it first."""
    if entry.request is not None:
        return [e for e in exchanges if e.id == entry.request][:1]
    slack = 1.0 if entry.at == int(entry.at) else 0.05  # gunicorn logs whole seconds
    found = [e for e in exchanges if e.started - slack <= entry.at <= e.ended + slack]

    def named(e: Exchange) -> bool:
        return any(len(v) >= 8 and v in entry.text for _, v in e.form or [])

    return sorted(found, key=lambda e: (not named(e), abs(e.ended - entry.at)))


def _own_entry(
    exchange: Exchange, serious: list[Entry], own: list[int], used: set[int]
) -> Entry | None:
    """The error entry behind a failed request: its own ``Exception on …`` entry; for a
    log without request ids, the nearest in time on its path (for a request without an
    answer: on any path, such as a worker timeout). Marks it used."""
    wanted = f"Exception on {_bare_path(exchange.path)} [{exchange.method}]"
    candidates = [(0.0 if wanted in serious[n].message else 1.0, n) for n in own] or [
        (abs(entry.at - exchange.ended), n)
        for n, entry in enumerate(serious)
        if n not in used
        and entry.request is None
        and exchange.started - 2 <= entry.at <= exchange.ended + 2
        and (exchange.status is None or entry.message.endswith(wanted))
    ]
    if not candidates:
        return None
    n = min(candidates)[1]
    used.add(n)
    return serious[n]


def _told_already(entry: Entry, answered_by: dict[int, Entry]) -> bool:
    """Whether ``entry`` is an error its request logged on its way to a 5xx whose own
    traceback holds it already (the code logged it, then failed handling it)."""
    if entry.request is None or entry.request not in answered_by:
        return False
    return "\n".join(entry.lines) in "\n".join(answered_by[entry.request].lines)


def analyse(record: Record, exchanges: list[Exchange], logs: list[Entry]) -> list[Finding]:
    """Every 5xx and unanswered request with its log entry, and every error logged without
    one, grouped by signature; biggest first."""
    serious = [e for e in logs if e.level in SERIOUS or e.has_traceback]
    used: set[int] = set()
    findings: dict[str, Finding] = {}

    def add(signature: str, entry: Entry | None) -> Finding:
        if signature not in findings:
            findings[signature] = Finding(signature, entry)
        return findings[signature]

    by_request: dict[int, list[int]] = {}
    for n, entry in enumerate(serious):
        if entry.request is not None:
            by_request.setdefault(entry.request, []).append(n)
    answered_by: dict[int, Entry] = {}  # failed request id: the entry that explains it
    for exchange in sorted(record.failures, key=lambda e: e.ended):
        matched = _own_entry(exchange, serious, by_request.get(exchange.id, []), used)
        if matched is not None:
            answered_by[exchange.id] = matched
        if matched is None and exchange.status is not None:
            # The answer had no traceback behind it (a 5xx made on purpose, or one that
            # was not logged): its own status and route identify it.
            signature = f"{exchange.status} on {exchange.route}, nothing logged"
        elif matched is None:
            signature = f"no answer on {exchange.route}: {exchange.error or ''}"[:200]
        else:
            signature = matched.signature()
        finding = add(signature, matched)
        finding.statuses[str(exchange.status or "no answer")] += 1
        finding.requests.append(exchange)
    for n, entry in enumerate(serious):
        if n in used or _told_already(entry, answered_by):
            continue
        finding = add(entry.signature(), entry)
        finding.unmatched += 1
        if len(finding.requests) < EXAMPLES:
            finding.requests += _in_flight(exchanges, entry)[:1]
    return sorted(findings.values(), key=lambda f: -f.count)


def status_table(record: Record) -> list[str]:
    statuses = sorted(
        {s for c in record.counts.values() for s in c}, key=lambda s: (not s.isdigit(), s)
    )
    if not record.counts:
        return ["(nothing was sent)"]
    rows = [["target", "route", *statuses, "total"]]
    for key in sorted(record.counts):
        target, route = key.split("|", 1)
        counts = record.counts[key]
        rows.append(
            [
                target,
                route,
                *(f"{counts[s]:,}" if counts[s] else "." for s in statuses),
                f"{sum(counts.values()):,}",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def printable(line: str) -> str:
    """``line`` with control and other unprintable characters escaped: a log line may hold
    a fuzzed path, and raw escape sequences must not reach the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)


def _smallest(requests: list[Exchange]) -> list[Exchange]:
    """The shortest distinct requests (a retry is the same request): the easiest to read."""
    seen: dict[str, Exchange] = {}
    for exchange in requests:
        key = repr((exchange.method, exchange.path, exchange.form))
        seen.setdefault(key, exchange)
    return sorted(seen.values(), key=lambda e: len(e.path) + len(repr(e.form)))[:EXAMPLES]


def finding_lines(n: int, total: int, finding: Finding) -> list[str]:
    what = ", ".join(f"{count:,} x {status}" for status, count in finding.statuses.items())
    if finding.unmatched:
        what += (", " if what else "") + f"{finding.unmatched:,} logged without a 5xx"
    # The failed requests' routes; for an error logged without a 5xx, its request's.
    routes = Counter(e.route for e in finding.requests if e.failed) or Counter(
        e.route for e in finding.requests
    )
    lines = [
        "",
        f"=== {n}/{total}: {printable(finding.headline())}",
        f"    {what}" + (f"; on {', '.join(routes)}" if routes else ""),
    ]
    if finding.entry is not None:
        lines.append(f"    logged by {finding.entry.source}:")
        lines += ["    | " + printable(line) for line in finding.entry.short_text()[:60]]
    if finding.statuses:
        label = "requests that met it, the shortest first"
    elif finding.entry is not None and finding.entry.request is not None:
        label = "the request it was logged for"
    else:
        label = "request in flight when it was logged (by time)"
    shown = _smallest(finding.requests) if finding.statuses else finding.requests[:EXAMPLES]
    if shown:
        lines.append(f"    {label} ({len(shown)} of {len(finding.requests):,}):")
        for exchange in shown:
            answer = exchange.status if exchange.status is not None else exchange.error
            lines.append(f"    - answered {answer}")
            lines += ["      " + line for line in exchange.describe()]
    return lines


def slowest_lines(exchanges: list[Exchange], n: int = 5) -> list[str]:
    """The slowest answers: a slow input is a flood waiting to happen."""
    slow = sorted(exchanges, key=lambda e: e.started - e.ended)[:n]
    lines = []
    for exchange in slow:
        form = dict(exchange.form or [])
        said = {k: form[k] for k in ("Body", "Digits", "SpeechResult", "plate") if k in form}
        shown = ", ".join(
            f"{name} {value[:50]!r}" + (f"… ({len(value):,} chars)" if len(value) > 50 else "")
            for name, value in said.items()
        )
        lines.append(
            f"  {exchange.ended - exchange.started:6.2f} s  {exchange.status}  "
            f"{exchange.method} {exchange.path[:80]}" + (f"  {shown}" if shown else "")
        )
    return lines


def latency(exchanges: list[Exchange], target: str) -> str:
    """Median, 99th percentile and longest answer time of a target's requests."""
    times = sorted(e.ended - e.started for e in exchanges if e.target == target)
    if not times:
        return ""
    p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
    return f"answers p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {times[-1]:.1f} s"


def warning_lines(logs: list[Entry]) -> list[str]:
    counts = Counter(
        re.sub(r"[0-9]+", "#", e.message)[:160]
        for e in logs
        if e.level in ("WARNING", "OTHER") and not e.has_traceback
    )
    return [f"  {count:>6,} x {message}" for message, count in counts.most_common(15)]


def write_json(
    path: Path, summary: dict[str, Any], record: Record, findings: list[Finding]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        **summary,
        "counts": {key: dict(counts) for key, counts in record.counts.items()},
        "findings": [
            {
                "signature": f.signature,
                "headline": f.headline(),
                "statuses": dict(f.statuses),
                "logged_without_5xx": f.unmatched,
                "log": f.entry.text if f.entry else None,
                "requests": [e.to_json() for e in f.requests],
            }
            for f in findings
        ],
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=True) + "\n")
