"""Random browsers on the web form and the pages its links lead to.

A browser opens ``/p/<zone>`` (a demo zone, mostly), reads the form's CSRF token,
idempotency key and durations, and posts 1-4 forms: the parking form itself, mostly, with
random plates, durations and phone numbers and a CSRF token that is right, wrong or
missing and a key that is fresh, repeated (a double submit) or garbage; or a language
button, more time for a plate already parked, the order's own page (stop, more time), the
payment's save-card question or the demo payment. It follows some of the redirects as a
browser would. Only POSTs count against the campaign's budget.

:class:`Gets` sends single GETs of random paths under ``/p/``, ``/o/``, ``/pay/``,
``/r/`` and ``/api/v1/``, with the links earlier answers carried and with random ones,
with a valid bearer token, a wrong one or none.
"""

from __future__ import annotations

import random
import urllib.parse
from dataclasses import dataclass

import inputs
from client import Budget, Client, Value, form_inputs

LANG_QUERIES = ("", "?lang=fi", "?lang=sv", "?lang=en", "?lang=xx", "?lang=" + "x" * 300)
BAD_MINUTES = ("open", "", "0", "-5", "15.5", "1e3", "abc", "99999999999999999999", "²", " 60")


def quote(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def path_of(location: str) -> str | None:
    """A redirect's target as a path on this server, or ``None`` for another site."""
    split = urllib.parse.urlsplit(location)
    if split.netloc and not split.netloc.startswith("127.0.0.1"):
        return None
    return split.path + (f"?{split.query}" if split.query else "")


def new_plate(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVXYZ") for _ in range(3))
    return f"{letters}-{rng.randint(1, 999)}"


@dataclass
class Page:
    """What the browser last saw of a form: its fields' values by name."""

    fields: dict[str, list[str]]

    def one(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None


class Browser:
    """One visitor: a cookie jar, the last form seen, and what it typed before."""

    def __init__(self, rng: random.Random, client: Client, budget: Budget) -> None:
        self.rng = rng
        self.client = client
        self.budget = budget
        self.page = Page({})
        self.keys: list[str] = []
        self.plates: list[str] = []

    def get(self, path: str) -> str:
        exchange, _ = self.client.send("web", "GET", path)
        if exchange.status == 200:
            self.page = Page(form_inputs(exchange.answer))
        return exchange.answer

    def post(self, path: str, fields: list[tuple[str, Value]]) -> str | None:
        """POST and maybe follow the redirect; the redirect's target, if any."""
        _, response = self.client.send("web", "POST", path, fields)
        location = response.headers.get("Location", "") if response is not None else ""
        target = path_of(location) if location else None
        if target and self.rng.random() < 0.6:
            self.follow(target)
        return target

    def follow(self, path: str) -> None:
        """Follow redirects as a browser does, paying on the demo page now and then."""
        for _ in range(4):
            exchange, response = self.client.send("web", "GET", path)
            if exchange.status == 200:
                self.page = Page(form_inputs(exchange.answer))
            if path.startswith("/demo-pay/") and exchange.status == 200:
                if self.rng.random() < 0.5 and self.budget.take():
                    self.post(path.split("?")[0], [])
                return
            location = response.headers.get("Location", "") if response is not None else ""
            target = path_of(location) if location else None
            if not target:
                return
            path = target

    def csrf(self) -> list[tuple[str, Value]]:
        token = self.page.one("csrf_token")
        pick = self.rng.random()
        if token and pick < 0.8:
            return [("csrf_token", token)]
        if pick < 0.9:
            return [("csrf_token", self.rng.choice(("", "x", "IjEi.x.y", inputs.junk(self.rng))))]
        return []

    def key(self) -> list[tuple[str, Value]]:
        pick = self.rng.random()
        page_key = self.page.one("key")
        if page_key and pick < 0.6:
            self.keys.append(page_key)
            return [("key", page_key)]
        if self.keys and pick < 0.75:
            return [("key", self.rng.choice(self.keys))]  # a double submit
        if pick < 0.85:
            return [("key", inputs.hex_digits(self.rng, 32))]
        if pick < 0.95:
            return [("key", self.rng.choice(("", "0", "x" * 500, inputs.junk(self.rng))))]
        return []

    def plate(self) -> str:
        pick = self.rng.random()
        if self.plates and pick < 0.15:
            return self.rng.choice(self.plates)
        plate = new_plate(self.rng) if pick < 0.6 else inputs.plate(self.rng)
        self.plates.append(plate)
        return plate

    def minutes(self, name: str) -> str:
        choices = self.page.fields.get(name) or []
        if choices and self.rng.random() < 0.7:
            return self.rng.choice(choices)
        return self.rng.choice((*BAD_MINUTES, inputs.junk(self.rng)))

    def phone(self) -> str:
        pick = self.rng.random()
        if pick < 0.5:
            return ""
        if pick < 0.7:
            return f"040 {self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}"
        return inputs.phone(self.rng)


@dataclass(frozen=True)
class Web:
    seed: str

    def browse(self, i: int, client: Client, budget: Budget) -> None:
        rng = inputs.new_rng(self.seed, "web", i)
        browser = Browser(rng, client.browser(), budget)
        try:
            self._visit(browser)
        finally:
            browser.client.close()

    def _visit(self, b: Browser) -> None:
        rng = b.rng
        zone = rng.choice(inputs.DEMO_ZONES) if rng.random() < 0.85 else inputs.zone(rng)
        form_path = f"/p/{quote(zone)}"
        if rng.random() < 0.9:  # else: post without ever seeing the form
            b.get(form_path + rng.choice(LANG_QUERIES))
        for _ in range(rng.randint(1, 4)):
            if not b.budget.take():
                return
            pick = rng.random()
            if pick < 0.65:
                self._park(b, form_path)
            elif pick < 0.73:
                self._language(b, form_path)
            elif pick < 0.83:
                self._more_time(b, form_path)
            elif pick < 0.95:
                self._order_page(b)
            else:
                self._payment(b)

    def _park(self, b: Browser, form_path: str) -> None:
        fields: list[tuple[str, Value]] = [
            *b.csrf(),
            *b.key(),
            ("plate", b.plate()),
            ("duration", b.minutes("duration")),
            ("phone", b.phone()),
        ]
        if b.rng.random() < 0.05:
            del fields[b.rng.randrange(len(fields))]
        if b.rng.random() < 0.05:
            fields.insert(0, (b.rng.choice(("plate", "duration", "key")), inputs.junk(b.rng)))
        b.post(form_path + b.rng.choice(LANG_QUERIES), fields)

    def _language(self, b: Browser, form_path: str) -> None:
        lang = b.rng.choice(("fi", "sv", "en", "xx", ""))
        fields: list[tuple[str, Value]] = [
            *b.csrf(),
            *b.key(),
            ("plate", b.plate()),
            ("duration", b.minutes("duration")),
            ("phone", b.phone()),
            ("lang", lang),
        ]
        b.post(f"{form_path}/language?lang={lang}", fields)

    def _more_time(self, b: Browser, form_path: str) -> None:
        """The "already parked" page's form: more time for a plate parked here."""
        plate = b.rng.choice(b.plates) if b.plates else b.plate()
        if b.rng.random() < 0.5:
            b.get(f"{form_path}/parked?plate={quote(plate)}")
        fields: list[tuple[str, Value]] = [
            *b.csrf(),
            *b.key(),
            ("plate", plate),
            ("minutes", b.minutes("minutes")),
        ]
        b.post(f"{form_path}/extend", fields)

    def _order_page(self, b: Browser) -> None:
        token = b.client.record.link("o", b.rng.randrange(1 << 30))
        if token is None or b.rng.random() < 0.1:
            token = b.rng.choice((inputs.token(b.rng), "x", "\x00", inputs.junk(b.rng, 30)))
        page = f"/o/{quote(token)}"
        if b.rng.random() < 0.5:
            b.get(page)
            fields = [*b.csrf(), *b.key(), ("minutes", b.minutes("minutes"))]
            b.post(f"{page}/extend" + b.rng.choice(LANG_QUERIES), fields)
        else:
            if b.rng.random() < 0.8:
                b.get(f"{page}/stop")
            b.post(f"{page}/stop" + b.rng.choice(LANG_QUERIES), [*b.csrf(), *b.key()])

    def _payment(self, b: Browser) -> None:
        token = b.client.record.link("pay", b.rng.randrange(1 << 30))
        if token is None or b.rng.random() < 0.1:
            token = b.rng.choice((inputs.token(b.rng), "\x00", inputs.junk(b.rng, 30)))
        if b.rng.random() < 0.5:
            b.get(f"/pay/{quote(token)}")
            save = b.rng.choice(("yes", "no", "", inputs.junk(b.rng, 5)))
            b.post(f"/pay/{quote(token)}", [*b.csrf(), ("save", save)])
        else:
            b.post(f"/demo-pay/{quote(token)}" + b.rng.choice(LANG_QUERIES), [])


@dataclass(frozen=True)
class Gets:
    """Single GETs of random paths, signed in (bearer token) or not."""

    seed: str
    api_token: str

    def get(self, i: int, client: Client, budget: Budget) -> None:
        if not budget.take():
            return
        rng = inputs.new_rng(self.seed, "get", i)
        headers: dict[str, str] = {}
        pick = rng.random()
        if pick < 0.5:
            headers["Authorization"] = f"Bearer {self.api_token}"
        elif pick < 0.75:
            wrong = rng.choice(("kan_x", "", "Bearer", self.api_token[::-1], "é" * 20))
            headers["Authorization"] = rng.choice(("Bearer ", "Basic ", "bearer  ", "")) + wrong
        client.http.cookies.clear()
        client.send("get", "GET", self._path(rng, client), headers=headers)

    def _token(self, rng: random.Random, client: Client, kind: str) -> str:
        real = client.record.link(kind, rng.randrange(1 << 30))
        if real and rng.random() < 0.6:
            return real if rng.random() < 0.9 else real[:-1] + inputs.junk(rng, 1)
        fake = inputs.token(rng)
        # "%00" as text, and a real NUL (quoted to %00 in the path)
        return rng.choice((fake, "", "x", "..", "%00", fake[:8] + "\x00", inputs.junk(rng)))

    def _path(self, rng: random.Random, client: Client) -> str:
        zone = quote(inputs.zone(rng))
        plate = quote(inputs.plate(rng))
        any_text = quote(inputs.junk(rng, rng.randint(0, 20)))
        lang = rng.choice(LANG_QUERIES)
        date = rng.choice(("2026-12-03", "2026-02-30", "tomorrow", "", "9999-12-31", any_text))
        number = rng.choice(("1", "2", "0", "-1", "2147483648", "99999999999999999999", any_text))
        choices = (
            f"/p/{zone}{lang}",
            f"/p/{zone}/quote?minutes={quote(rng.choice((*BAD_MINUTES, '30', '60', '120')))}",
            f"/p/{zone}/parked?plate={plate}",
            f"/p/{zone}/sign.svg",
            f"/p/{zone}/{any_text}",
            f"/o/{quote(self._token(rng, client, 'o'))}{lang}",
            f"/o/{quote(self._token(rng, client, 'o'))}/stop{lang}",
            f"/pay/{quote(self._token(rng, client, 'pay'))}{lang}",
            f"/pay/{quote(self._token(rng, client, 'pay'))}/return?session_id={any_text}",
            f"/demo-pay/{quote(self._token(rng, client, 'pay'))}",
            f"/r/{quote(self._token(rng, client, 'r'))}{lang}",
            f"/api/v1/plates/{plate}?zone={zone}",
            f"/api/v1/plates/{plate}",
            f"/api/v1/orders/{number}",
            f"/api/v1/bookings/{any_text or 'ABCD'}",
            f"/api/v1/availability?zone={zone}&date={date}",
            f"/api/v1/stats/demand?from={date}&to={rng.choice(('2026-12-31', date))}",
            f"/api/v1/{any_text}",
        )
        path = rng.choice(choices)
        if rng.random() < 0.02:
            path = f"/p/{zone}/sign.pdf"  # slow to draw: a few only
        return path
