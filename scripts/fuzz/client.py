"""Sending the fuzzer's requests and keeping what came back.

:class:`Client` posts forms as Twilio and browsers do: a Twilio request is signed with
Twilio's own ``RequestValidator`` over exactly the parameters the server will read (the
body is encoded first and then decoded as Werkzeug decodes it, so odd bytes, duplicate
keys and invalid UTF-8 are signed as the server sees them). Every request is recorded as
an :class:`Exchange` in the shared :class:`Record`: counts by status per target and route,
every 5xx and every request left without an answer, and the links (``/pay/…``, ``/o/…``,
``/r/…``) that answers carried, for later requests to use.
"""

from __future__ import annotations

import html as html_lib
import itertools
import re
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import requests
import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" decoding error handler
from twilio.request_validator import RequestValidator

HEADER = "X-Fuzz-Request"  # the request's id, for the server's log
Pairs = list[tuple[str, str]]
# A form field's value as sent: text, or raw bytes (percent-encoded as they are).
Value = str | bytes
TIMEOUT = (5.0, 60.0)  # connect, read: gunicorn's own worker timeout is 30 s
LINK = re.compile(r"/(pay|o|r|demo-pay)/([A-Za-z0-9_\-]{8,200})")
ROUTES = (
    (re.compile(r"^/twilio/voice/(step|pay|status)$"), "/twilio/voice/{}"),
    (re.compile(r"^/p/[^/]*/(language|extend|quote|parked|sign\.svg|sign\.pdf)$"), "/p/<zone>/{}"),
    (re.compile(r"^/p/[^/]*$"), "/p/<zone>"),
    (re.compile(r"^/o/[^/]*/(stop|extend)$"), "/o/<token>/{}"),
    (re.compile(r"^/o/[^/]*$"), "/o/<token>"),
    (re.compile(r"^/pay/[^/]*/return$"), "/pay/<token>/return"),
    (re.compile(r"^/pay/[^/]*$"), "/pay/<token>"),
    (re.compile(r"^/demo-pay/[^/]*$"), "/demo-pay/<token>"),
    (re.compile(r"^/r/[^/]*$"), "/r/<token>"),
    (re.compile(r"^/api/v1/(plates|orders|bookings)/.*$"), "/api/v1/{}/<id>"),
    (re.compile(r"^/api/v1/(availability|stats/demand)$"), "/api/v1/{}"),
)


def route_of(method: str, path: str) -> str:
    """``POST /p/<zone>`` for ``POST /p/101?lang=fi``: the route a tally counts under."""
    bare = urllib.parse.urlsplit(path).path
    for pattern, name in ROUTES:
        match = pattern.match(bare)
        if match:
            return f"{method} {name.format(*match.groups())}"
    if bare.startswith(("/twilio/", "/healthz")):
        return f"{method} {bare}"
    return f"{method} {'/' + bare.strip('/').split('/', 1)[0]}/…"


def wire_url(url: str) -> str:
    """``url`` as it goes on the wire (non-ASCII percent-encoded as UTF-8, as ``requests``
    sends it): the URL Twilio calls, and so the one it signs."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return str(prepared.url)


def encode_form(fields: Sequence[tuple[str, Value]]) -> bytes:
    return urllib.parse.urlencode(list(fields)).encode("ascii")


def as_server_reads(body: bytes) -> Pairs:
    """The form fields Werkzeug will read from ``body`` (its own decoding)."""
    return urllib.parse.parse_qsl(
        body.decode("latin-1"), keep_blank_values=True, errors="werkzeug.url_quote"
    )


def first_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``request.form.to_dict(flat=True)``: the first value of each name."""
    out: dict[str, str] = {}
    for name, value in pairs:
        out.setdefault(name, value)
    return out


def twilio_signature(
    validator: RequestValidator, url: str, fields: Sequence[tuple[str, Value]]
) -> str:
    """``X-Twilio-Signature`` of a POST of ``fields`` to ``url``, as Twilio computes it:
    over the URL it calls and the parameters as the server will read them."""
    params = first_values(as_server_reads(encode_form(fields)))
    return str(validator.compute_signature(wire_url(url), params))


@dataclass
class Exchange:
    """One request and what became of it; ``id`` is sent as ``X-Fuzz-Request``, which the
    server's log names (``serverlog/kanava_fuzz_log.py``)."""

    id: int
    target: str
    method: str
    path: str
    form: Pairs | None
    headers: dict[str, str]
    started: float
    ended: float = 0.0
    status: int | None = None
    error: str | None = None
    answer: str = ""

    @property
    def route(self) -> str:
        return route_of(self.method, self.path)

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500

    def describe(self, limit: int = 300) -> list[str]:
        """The request as lines a person can read (values as Python literals, so control
        characters and NUL show)."""
        lines = [f"{self.method} {self.path}"]
        lines += [f"  {name}: {value}" for name, value in self.headers.items()]
        for name, value in self.form or []:
            shown = repr(value)
            if len(shown) > limit:
                shown = shown[:limit] + f"… ({len(value):,} characters)"
            lines.append(f"  {name!r} = {shown}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target,
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "form": self.form,
            "status": self.status,
            "error": self.error,
            "started": self.started,
            "ended": self.ended,
            "answer": self.answer[:2000],
        }


@dataclass
class Record:
    """Everything the campaigns saw; shared by every thread."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[Exchange] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Requests signed right and refused all the same: the fuzzer signs wrong, and its
    # other findings miss what lies behind the signature check.
    misfires: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    closed: bool = False

    def next_id(self) -> int:
        with self.lock:
            return next(self.ids)

    def close(self) -> None:
        """Count nothing more: the run was interrupted and the server is being stopped
        under the requests still in flight."""
        with self.lock:
            self.closed = True

    def add(self, exchange: Exchange) -> None:
        status = str(exchange.status) if exchange.status is not None else "no answer"
        with self.lock:
            if self.closed:
                return
            self.counts[f"{exchange.target}|{exchange.route}"][status] += 1
            # Kept for matching the server's log to requests; answers only of failures.
            self.exchanges.append(exchange if exchange.failed else replace(exchange, answer=""))
            if exchange.failed:
                self.failures.append(exchange)

    def harvest(self, text: str) -> None:
        """Keep the links an answer carried (at most a few thousand of each kind)."""
        found = LINK.findall(text)
        if not found:
            return
        with self.lock:
            for kind, token in found:
                kept = self.links[kind]
                if len(kept) < 5000 and token not in kept[-50:]:
                    kept.append(token)

    def link(self, kind: str, pick: int) -> str | None:
        with self.lock:
            kept = self.links.get(kind)
            return kept[pick % len(kept)] if kept else None


class Budget:
    """How many more requests a campaign may count; shared by its threads."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.left = total
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or self.stop.is_set():
                return False
            self.left -= 1
            return True

    @property
    def used(self) -> int:
        return self.total - self.left


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxies from the environment
    return session


class Client:
    """One thread's (or one browser's) connection to the server under test."""

    def __init__(self, base_url: str, webhook_token: str, record: Record) -> None:
        self.base_url = base_url
        self.validator = RequestValidator(webhook_token)
        self.record = record
        self.http = _session()

    def browser(self) -> Client:
        """A fresh browser: its own cookies (session, CSRF) and connections."""
        fresh = Client.__new__(Client)
        fresh.base_url = self.base_url
        fresh.validator = self.validator
        fresh.record = self.record
        fresh.http = _session()
        return fresh

    def close(self) -> None:
        self.http.close()

    def send(
        self,
        target: str,
        method: str,
        path: str,
        fields: Sequence[tuple[str, Value]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[Exchange, requests.Response | None]:
        """Send one request and record it; the response is ``None`` when none came."""
        body = encode_form(fields) if fields is not None else None
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        exchange = Exchange(
            id=self.record.next_id(),
            target=target,
            method=method,
            path=path,
            form=as_server_reads(body) if body is not None else None,
            headers={k: v for k, v in headers.items() if k != "Content-Type"},
            started=time.time(),
        )
        response: requests.Response | None = None
        try:
            response = self.http.request(
                method,
                self.base_url + path,
                data=body,
                headers={**headers, HEADER: str(exchange.id)},
                allow_redirects=False,
                timeout=TIMEOUT,
            )
            exchange.status = response.status_code
            exchange.answer = response.text
        except requests.RequestException as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
        exchange.ended = time.time()
        if response is not None:
            self.record.harvest(exchange.answer + response.headers.get("Location", ""))
        self.record.add(exchange)
        return exchange, response

    def twilio(
        self,
        target: str,
        path: str,
        fields: Sequence[tuple[str, Value]],
        signature: str = "good",
    ) -> tuple[Exchange, requests.Response | None]:
        """POST ``fields`` to ``path`` as Twilio does, signed over what the server reads;
        ``signature`` ``"bad"`` or ``"none"`` sends a forged or unsigned request."""
        self.http.cookies.clear()  # Twilio keeps no cookies
        headers = {}
        if signature != "none":
            signed = twilio_signature(self.validator, self.base_url + path, fields)
            headers["X-Twilio-Signature"] = signed if signature == "good" else signed[::-1]
        exchange, response = self.send(target, "POST", path, fields, headers)
        if signature == "good" and exchange.status == 403:
            with self.record.lock:
                self.record.misfires.append(exchange)
        return exchange, response


HIDDEN = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def form_inputs(html: str) -> dict[str, list[str]]:
    """The values of the ``<input>`` fields of a page, by name (radio buttons: each)."""
    found: dict[str, list[str]] = defaultdict(list)
    for tag in HIDDEN.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            found[attributes["name"]].append(html_lib.unescape(attributes.get("value", "")))
    return found
