"""A local Twilio REST peer: the Messages API on loopback, for the real twilio SDK.

It accepts ``POST /2010-04-01/Accounts/<sid>/Messages.json`` with HTTP basic auth (the
account SID and auth token), answers 201 with the message resource as Twilio shapes it
(https://www.twilio.com/docs/messaging/api/message-resource), and records every message
it accepted. It can be told to fail for a while, the way Twilio or the network does:

- ``fail_with_500(n)``: the next ``n`` requests get HTTP 500 with Twilio's error JSON;
- ``hang(m)``: the next ``m`` requests get no answer until the client has given up (the
  handler waits for :meth:`release` or the peer's shutdown; it never accepts the message).

Point the app at it with ``TWILIO_API_BASE=peer.url``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "peer-auth-token-" + "z" * 16
FROM_NUMBER = "+358451234567"


@dataclass
class Accepted:
    sid: str
    to: str
    body: str
    sender: str | None
    messaging_service_sid: str | None
    status_callback: str | None


@dataclass
class PeerState:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    accepted: list[Accepted] = field(default_factory=list)
    requests: int = 0
    answered_500: int = 0
    hung: int = 0
    fail_500_left: int = 0
    hang_left: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)
    # Called with each accepted message before the 201 goes back, as Twilio may call the
    # status callback before its API response has reached the sender.
    on_accept: Callable[[Accepted], object] | None = None


class TwilioApiPeer:
    def __init__(self, server: ThreadingHTTPServer, state: PeerState) -> None:
        self._server = server
        self.state = state
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    @property
    def accepted(self) -> list[Accepted]:
        with self.state.lock:
            return list(self.state.accepted)

    def fail_with_500(self, n: int) -> None:
        with self.state.lock:
            self.state.fail_500_left = n

    def hang(self, m: int) -> None:
        with self.state.lock:
            self.state.hang_left = m
            self.state.released.clear()

    def release(self) -> None:
        """Let hanging requests end (their clients have long given up)."""
        self.state.released.set()


def _message_json(state: PeerState, sid: str, form: dict[str, str]) -> dict[str, object]:
    now = formatdate(usegmt=True)
    uri = f"/2010-04-01/Accounts/{state.account_sid}/Messages/{sid}.json"
    return {
        "account_sid": state.account_sid,
        "api_version": "2010-04-01",
        "body": form.get("Body", ""),
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": form.get("To"),
        "uri": uri,
    }


def _handler(state: PeerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _json(self, status: int, payload: dict[str, object]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: int, message: str) -> None:
            self._json(
                status,
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                },
            )

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            expected = (
                "Basic "
                + base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
            )
            if self.headers.get("Authorization") != expected:
                self._error(401, 20003, "Authenticate")
                return
            path = f"/2010-04-01/Accounts/{state.account_sid}/Messages.json"
            if self.path != path:
                self._error(404, 20404, "The requested resource was not found")
                return
            with state.lock:
                state.requests += 1
                if state.fail_500_left > 0:
                    state.fail_500_left -= 1
                    state.answered_500 += 1
                    action = "500"
                elif state.hang_left > 0:
                    state.hang_left -= 1
                    state.hung += 1
                    action = "hang"
                else:
                    action = "accept"
            if action == "500":
                self._error(500, 20500, "Internal Server Error")
                return
            if action == "hang":
                # The client times out long before this; the message is never accepted.
                state.released.wait(timeout=60)
                self._error(503, 20503, "Service Unavailable")
                return
            if not form.get("To") or not form.get("Body"):
                self._error(400, 21604, "A 'To' phone number and a 'Body' are required.")
                return
            sid = "SM" + secrets.token_hex(16)
            accepted = Accepted(
                sid=sid,
                to=form["To"],
                body=form["Body"],
                sender=form.get("From"),
                messaging_service_sid=form.get("MessagingServiceSid"),
                status_callback=form.get("StatusCallback"),
            )
            with state.lock:
                state.accepted.append(accepted)
            if state.on_accept is not None:
                state.on_accept(accepted)
            self._json(201, _message_json(state, sid, form))

    return Handler


@contextmanager
def twilio_api_peer() -> Iterator[TwilioApiPeer]:
    """Start the peer on a free loopback port; stop it (and free hung requests) after."""
    state = PeerState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    peer = TwilioApiPeer(server, state)
    try:
        yield peer
    finally:
        peer.release()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
