"""A local HTTP peer for Stripe Checkout Sessions, in front of localstripe.

localstripe has no Checkout. This peer answers the Checkout endpoints the way Stripe's API
does (``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/<id>``,
``POST /v1/checkout/sessions/<id>/expire``) with real-shaped JSON, serves a small hosted
checkout page, and forwards every other request unchanged to localstripe, so customers,
PaymentIntents, refunds and payment methods stay on localstripe.

It also keeps Stripe's idempotency promise, which localstripe does not: a POST repeated
with the same ``Idempotency-Key`` gets the first answer again and reaches localstripe
once. Every POST's key is recorded in :attr:`CheckoutPeer.idempotency_keys`.

:meth:`CheckoutPeer.complete` does what Stripe does when a driver pays: creates and
confirms a PaymentIntent on localstripe for the session (saving the card on the
customer when the session asked for it), marks the session complete and delivers a signed
``checkout.session.completed`` webhook through :attr:`CheckoutPeer.deliver`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

Deliver = Callable[[bytes, dict[str, str]], int]


def parse_stripe_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=1``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _lists(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header exactly as Stripe computes it."""
    ts = int(time.time()) if timestamp is None else timestamp
    signed = f"{ts}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


class CheckoutPeer:
    def __init__(self, localstripe_url: str, webhook_secret: str, api_key: str) -> None:
        self.localstripe_url = localstripe_url
        self.webhook_secret = webhook_secret
        self.api_key = api_key
        self.sessions: dict[str, dict[str, Any]] = {}
        self.idempotency_keys: list[str] = []
        self.forwarded_posts: list[str] = []
        self._replies: dict[str, tuple[int, bytes]] = {}
        self._lock = threading.Lock()
        self.deliver: Deliver | None = None
        self.delivered: list[bytes] = []
        self.url = ""
        self.stripe = stripe.StripeClient(api_key, base_addresses={"api": localstripe_url})

    # -- Checkout Sessions --------------------------------------------------------------

    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        sid = "cs_test_" + secrets.token_hex(12)
        items = params.get("line_items") or []
        amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
        currency = items[0]["price_data"]["currency"] if items else "eur"
        session = {
            "id": sid,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": currency,
            "custom_text": params.get("custom_text") or {},
            "customer": params.get("customer"),
            "expires_at": int(time.time()) + 24 * 3600,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": params.get("metadata") or {},
            "mode": params.get("mode", "payment"),
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "url": f"{self.url}/c/pay/{sid}",
            # Kept by the peer to create the PaymentIntent; Stripe does not echo it.
            "_payment_intent_data": params.get("payment_intent_data") or {},
        }
        self.sessions[sid] = session
        return session

    @staticmethod
    def public(session: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def expire(self, sid: str) -> dict[str, Any]:
        session = self.sessions[sid]
        if session["status"] != "open":
            raise ValueError("only open sessions can be expired")
        session["status"] = "expired"
        return session

    def complete(
        self, sid: str, card: str = "pm_card_visa", *, deliver: bool = True
    ) -> tuple[bytes, dict[str, str]]:
        """The driver pays session ``sid`` with ``card``: like Stripe, a PaymentIntent is
        created and confirmed (on localstripe), the session completes, and the signed
        ``checkout.session.completed`` event is delivered. Returns the event and headers."""
        session = self.sessions[sid]
        assert session["status"] == "open", session["status"]
        intent_data = session["_payment_intent_data"]
        payment_method = card
        params: dict[str, Any] = {
            "amount": session["amount_total"],
            "currency": session["currency"],
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": intent_data.get("metadata") or {},
        }
        if session.get("customer"):
            params["customer"] = session["customer"]
            if intent_data.get("setup_future_usage"):
                # localstripe rejects setup_future_usage: attach the card as Stripe would.
                attached = self.stripe.v1.payment_methods.attach(
                    card, {"customer": session["customer"]}
                )
                payment_method = attached.id
        params["payment_method"] = payment_method
        if intent_data.get("capture_method"):
            params["capture_method"] = intent_data["capture_method"]
        intent = self.stripe.v1.payment_intents.create(params)
        assert intent.status in ("succeeded", "requires_capture"), intent.status
        session["payment_intent"] = intent.id
        session["status"] = "complete"
        session["payment_status"] = "paid" if intent.status == "succeeded" else "unpaid"
        return self.send_event("checkout.session.completed", self.public(session), deliver)

    def send_event(
        self, event_type: str, obj: dict[str, Any], deliver: bool = True
    ) -> tuple[bytes, dict[str, str]]:
        event = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
        }
        payload = json.dumps(event).encode()
        headers = {
            "Stripe-Signature": sign_payload(payload, self.webhook_secret),
            "Content-Type": "application/json",
        }
        if deliver:
            assert self.deliver is not None, "set peer.deliver to the app's webhook"
            self.delivered.append(payload)
            status = self.deliver(payload, headers)
            assert status == 200, status
        return payload, headers

    # -- HTTP ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, str, bytes]:
        key = headers.get("Idempotency-Key")
        if method == "POST" and path.startswith("/v1/"):
            self.idempotency_keys.append(key or "")
            if key:
                with self._lock:
                    if key in self._replies:
                        status, data = self._replies[key]
                        return status, "application/json", data
        status, ctype, data = self._route(method, path, headers, body)
        if method == "POST" and key and path.startswith("/v1/") and status < 500:
            with self._lock:
                self._replies.setdefault(key, (status, data))
        return status, ctype, data

    def _route(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, str, bytes]:
        route = urlsplit(path).path
        match = re.fullmatch(r"/v1/checkout/sessions(?:/([^/]+))?(/expire)?", route)
        if match:
            sid, expire = match.group(1), match.group(2)
            if method == "POST" and sid is None:
                params = parse_stripe_form(body.decode())
                return self._json(200, self.public(self.create_session(params)))
            if sid not in self.sessions:
                return self._json(
                    404,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": f"No such checkout.session: {sid}",
                        }
                    },
                )
            if method == "POST" and expire:
                try:
                    return self._json(200, self.public(self.expire(sid)))
                except ValueError as exc:
                    return self._json(
                        400, {"error": {"type": "invalid_request_error", "message": str(exc)}}
                    )
            return self._json(200, self.public(self.sessions[sid]))
        page = re.fullmatch(r"/c/pay/([^/]+)", route)
        if page:
            return self._hosted_page(method, page.group(1), body)
        return self._forward(method, path, headers, body)

    def _hosted_page(self, method: str, sid: str, body: bytes) -> tuple[int, str, bytes]:
        session = self.sessions.get(sid)
        if session is None:
            return 404, "text/plain", b"no such session"
        if method == "POST" and session["status"] == "open":
            card = dict(parse_qsl(body.decode())).get("card", "pm_card_visa")
            self.complete(sid, card)
        if session["status"] == "complete":
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", sid)
            return 303, "location:" + target, b""
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        message = (session.get("custom_text") or {}).get("submit", {}).get("message", "")
        doc = f"""<!doctype html><html lang="{session.get("locale") or "en"}"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkout (local peer)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:1rem auto;padding:1rem}}
.peer{{background:#eef;border:2px solid #446;padding:.5rem;border-radius:6px}}
button{{width:100%;padding:.9rem;font-size:1.1rem;background:#635bff;color:#fff;border:0;border-radius:6px}}
select{{width:100%;padding:.5rem}}</style></head><body>
<p class="peer">Local Checkout peer (test stand-in for Stripe Checkout)</p>
<h1 id="amount">{html.escape(amount)}</h1>
<form method="post"><label for="card">Card</label>
<select id="card" name="card"><option value="pm_card_visa">Visa 4242</option></select>
<p class="custom-text">{html.escape(message)}</p>
<button type="submit" id="checkout-pay">Pay {html.escape(amount)}</button></form>
<p>{session["status"]}</p></body></html>"""
        return 200, "text/html; charset=utf-8", doc.encode()

    def _forward(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, str, bytes]:
        if method == "POST":
            self.forwarded_posts.append(path)
        request = urllib.request.Request(
            self.localstripe_url + path, data=body if method != "GET" else None, method=method
        )
        for name in ("Authorization", "Content-Type", "Stripe-Version"):
            if headers.get(name):
                request.add_header(name, headers[name])
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read()

    @staticmethod
    def _json(status: int, data: dict[str, Any]) -> tuple[int, str, bytes]:
        return status, "application/json", json.dumps(data).encode()


def serve_peer(peer: CheckoutPeer, port: int) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, ctype, data = peer.handle(self.command, self.path, self.headers, body)
            self.send_response(status)
            if ctype.startswith("location:"):
                self.send_header("Location", ctype.removeprefix("location:"))
            else:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    peer.url = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
