"""A phone calling the voice menu exactly as Twilio drives it: signed form posts, the TwiML
parsed and checked, and each ``<Gather>``'s action URL followed with ``Digits`` or
``SpeechResult``."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from flask.testing import FlaskClient

from tests.conftest import PUBLIC_BASE_URL, SERVICE_NUMBER, sign

ALLOWED = {
    "Response": {"Gather", "Say", "Pay", "Dial", "Hangup"},
    "Gather": {"Say"},
    "Say": {"say-as"},
    "Pay": {"Prompt"},
    "Prompt": {"Say"},
    "say-as": set(),
    "Dial": set(),
    "Hangup": set(),
}
LANGUAGES = {"fi-FI": "Polly.Suvi", "sv-SE": "Polly.Astrid", "en-GB": "Polly.Amy"}


class InvalidTwiML(AssertionError):
    pass


def check_twiml(root: ET.Element) -> None:
    """The TwiML uses only what the menu may use, correctly nested, with a way onward."""
    if root.tag != "Response":
        raise InvalidTwiML(f"root is {root.tag}")
    for parent in root.iter():
        allowed = ALLOWED.get(parent.tag)
        if allowed is None:
            raise InvalidTwiML(f"unexpected element {parent.tag}")
        for child in parent:
            if child.tag not in allowed:
                raise InvalidTwiML(f"{child.tag} inside {parent.tag}")
        if parent.tag == "Say":
            if LANGUAGES.get(parent.get("language", "")) != parent.get("voice"):
                raise InvalidTwiML(f"voice {parent.get('voice')} for {parent.get('language')}")
            if not "".join(parent.itertext()).strip():
                raise InvalidTwiML("empty Say")
        if parent.tag == "say-as" and parent.get("interpret-as") != "spell-out":
            raise InvalidTwiML("say-as must spell out")
        if parent.tag == "Gather":
            if not (parent.get("action") or "").startswith("/twilio/voice/step?n="):
                raise InvalidTwiML(f"Gather action {parent.get('action')}")
            if parent.get("actionOnEmptyResult") != "true":
                raise InvalidTwiML("silence must reach the menu")
        if parent.tag == "Pay":
            expected = {"paymentConnector": "Stripe_Connector", "chargeAmount": "0"}
            if any(parent.get(k) != v for k, v in expected.items()):
                raise InvalidTwiML(f"Pay attributes {parent.attrib}")
    verbs = [child.tag for child in root]
    if not any(v in verbs for v in ("Gather", "Pay", "Dial", "Hangup")):
        raise InvalidTwiML(f"the caller is left without a way on: {verbs}")


@dataclass
class Call:
    """One call from ``number``; ``heard`` is what the caller heard last."""

    client: FlaskClient
    number: str = "+358401234567"
    sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    to: str = SERVICE_NUMBER
    root: ET.Element | None = None
    heard: str = ""
    action: str | None = None
    pay_action: str | None = None
    dialled: str | None = None
    hung_up: bool = False
    languages: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.number,
            "To": self.to,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }

    def post(self, path: str, params: dict[str, str]) -> str:
        response = self.client.post(
            path,
            data=params,
            headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, params)},
        )
        assert response.status_code == 200, (path, response.status_code)
        assert response.mimetype == "text/xml"
        return self._read(response.get_data(as_text=True))

    def _read(self, xml: str) -> str:
        root = ET.fromstring(xml)
        check_twiml(root)
        self.root = root
        gather = root.find("Gather")
        pay = root.find("Pay")
        dial = root.find("Dial")
        self.action = gather.get("action") if gather is not None else None
        self.pay_action = pay.get("action") if pay is not None else None
        self.dialled = dial.text if dial is not None else None
        self.hung_up = root.find("Hangup") is not None
        says = [s for s in root.iter("Say") if not _inside_prompt(root, s)]
        self.languages = [s.get("language", "") for s in says]
        self.heard = " ".join(" ".join(s.itertext()).strip() for s in says)
        self.history.append(self.heard)
        return self.heard

    def start(self) -> str:
        return self.post("/twilio/voice", self.params())

    def press(self, digits: str) -> str:
        assert self.action, f"nothing to press on: {self.heard}"
        return self.post(self.action, self.params(Digits=digits))

    def say(self, speech: str) -> str:
        assert self.action, f"nothing to say to: {self.heard}"
        return self.post(self.action, self.params(SpeechResult=speech, Confidence="0.9"))

    def silence(self) -> str:
        assert self.action
        return self.post(self.action, self.params())

    def pay(self, result: str = "success", **fields: str) -> str:
        """Answer ``<Pay>`` as Twilio does when the card was tokenised (or not)."""
        assert self.pay_action, f"no <Pay> in: {self.heard}"
        params = self.params(Result=result, **fields)
        if result == "success":
            params.setdefault("PaymentToken", "pm_card_visa")
            params.setdefault("ProfileId", "cus_test")
            params.setdefault("PaymentCardNumber", "xxxxxxxxxxxx4242")
            params.setdefault("PaymentCardType", "visa")
            params.setdefault("PaymentConfirmationCode", "")
        return self.post(self.pay_action, params)

    def spelled(self) -> list[str]:
        assert self.root is not None
        return [(e.text or "") for e in self.root.iter("say-as")]


def _inside_prompt(root: ET.Element, element: ET.Element) -> bool:
    return any(element in list(prompt) for prompt in root.iter("Prompt"))
