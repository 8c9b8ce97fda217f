"""Random calls through the voice menu: ``POST /twilio/voice``, then the steps its TwiML asks.

A call follows the ``<Gather>`` and ``<Pay>`` actions of each answer, as Twilio does, with
random ``Digits`` or ``SpeechResult`` (menu choices, zone codes, minutes, spelled plates,
silence, nonsense, huge values), and now and then does what Twilio does on a bad day or
a forger would: retries a step, jumps to a step out of order, steps a call never started
or one already hung up, sends the status callback in the middle, posts a ``<Pay>`` result
nobody asked for. Every request counts against the campaign's budget of steps.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import inputs
import sms
from client import Budget, Client, Value

START = "/twilio/voice"
STEP = "/twilio/voice/step"
PAY = "/twilio/voice/pay"
STATUS = "/twilio/voice/status"
CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled", "in-progress", "", "x")
PAY_RESULTS = (
    "success", "payment-connector-error", "too-many-failed-attempts", "caller-hung-up",
    "caller-interrupted-with-star", "validation-error", "input-timeout", "", "SUCCESS",
)  # fmt: skip
ODD_STEPS = ("?n=-1", "?n=999999", "?n=abc", "", "?n=", "?n=1&n=2", "?n=٣", "?n=0", "?n=1e3")


@dataclass
class Answer:
    """What the last TwiML asked for: where to post next."""

    gather: str | None = None
    speech: bool = False
    pay: str | None = None
    ended: bool = False


def read_twiml(text: str) -> Answer:
    try:
        root = ET.fromstring(text)  # noqa: S314 - the answer of our own server under test
    except ET.ParseError:
        return Answer(ended=True)
    answer = Answer()
    for element in root.iter():
        if element.tag == "Gather":
            answer.gather = element.get("action")
            answer.speech = "speech" in (element.get("input") or "")
        elif element.tag == "Pay":
            answer.pay = element.get("action")
        elif element.tag in ("Hangup", "Dial"):
            answer.ended = True
    if answer.gather is None and answer.pay is None:
        answer.ended = True
    return answer


@dataclass(frozen=True)
class Voice:
    seed: str
    regulars: list[str]
    corpus: list[str]

    def call(self, i: int, client: Client, budget: Budget) -> None:
        """Call ``i``: start it (mostly), then up to 40 steps or until it ends."""
        rng = inputs.new_rng(self.seed, "voice", i)
        if rng.random() < 0.05 and i > 0:  # the same CallSid as a recent call: two at once
            sid = inputs.call_sid(
                inputs.new_rng(self.seed, "voice", rng.randrange(max(0, i - 8), i))
            )
        else:
            sid = inputs.call_sid(rng)
        caller = rng.choice(self.regulars) if rng.random() < 0.6 else inputs.phone(rng)
        base: list[tuple[str, Value]] = [
            ("AccountSid", sms.ACCOUNT_SID),
            ("CallSid", sid),
            ("From", caller),
            ("To", inputs.SERVICE_NUMBER),
            ("Direction", "inbound"),
            ("ApiVersion", "2010-04-01"),
        ]
        if rng.random() < 0.02:  # a call without its sid or its caller
            missing = rng.choice(("CallSid", "From"))
            base = [(k, v) for k, v in base if k != missing]
        answer = Answer(ended=True)
        last: tuple[str, list[tuple[str, Value]]] | None = None
        if rng.random() < 0.95:  # else: steps of a call that never started
            if not budget.take():
                return
            last = (START, [*base, ("CallStatus", "ringing")])
            answer = self._post(client, *last)
        for _ in range(rng.randint(1, 40)):
            if not budget.take():
                return
            pick = rng.random()
            if pick < 0.07 and last is not None:  # Twilio retries the same request
                path, fields = last
            elif pick < 0.13:  # a step out of order, or a step number that is not one
                path, fields = STEP + rng.choice(ODD_STEPS), [*base, *self._input(rng, True)]
            elif pick < 0.16:
                path = STATUS
                fields = [*base, ("CallStatus", rng.choice(CALL_STATUSES))]
                fields.append(("CallDuration", str(rng.randint(0, 10 ** rng.randint(1, 12)))))
            elif pick < 0.19:  # a payment result nobody asked for
                path, fields = PAY + rng.choice(ODD_STEPS), [*base, *self._pay(rng)]
            elif pick < 0.21:  # the start again (a retried or repeated webhook)
                path, fields = START, [*base, ("CallStatus", "ringing")]
            elif answer.pay is not None and rng.random() < 0.8:
                path, fields = answer.pay, [*base, *self._pay(rng)]
            elif answer.gather is not None:
                path, fields = answer.gather, [*base, *self._input(rng, answer.speech)]
            elif rng.random() < 0.7:  # the call is over: hang up
                client.twilio("voice", STATUS, [*base, ("CallStatus", "completed")])
                return
            else:  # keep poking a call that has ended
                path, fields = STEP + rng.choice(ODD_STEPS), [*base, *self._input(rng, True)]
            last = (path, fields)
            heard = self._post(client, path, fields)
            # A status callback is no turn of the menu: the call goes on where it was.
            answer = answer if path == STATUS else heard

    def _post(self, client: Client, path: str, fields: list[tuple[str, Value]]) -> Answer:
        exchange, response = client.twilio("voice", path, fields)
        if response is None or response.status_code != 200:
            return Answer(ended=True)
        return read_twiml(exchange.answer)

    def _input(self, rng: random.Random, speech: bool) -> list[tuple[str, Value]]:
        """What a ``<Gather>`` hands over: keys, words heard, both, or nothing (silence)."""
        pick = rng.random()
        fields: list[tuple[str, Value]] = [("CallStatus", "in-progress")]
        if pick < 0.55 or not speech:
            if pick < 0.9:
                fields.append(("Digits", inputs.digits(rng)))
        elif pick < 0.85:
            fields += [
                ("SpeechResult", inputs.speech(rng, self.corpus)),
                ("Confidence", rng.choice(("0.91", "0", "1", "-1", "NaN", "x", "1e999"))),
            ]
        elif pick < 0.92:
            fields += [("Digits", inputs.digits(rng)), ("SpeechResult", inputs.speech(rng, []))]
        return fields

    def _pay(self, rng: random.Random) -> list[tuple[str, Value]]:
        fields: list[tuple[str, Value]] = [("Result", rng.choice(PAY_RESULTS))]
        if rng.random() < 0.5:
            fields += [
                ("PaymentToken", rng.choice(("pm_card_visa", "tok_x", "", inputs.junk(rng, 40)))),
                ("ProfileId", rng.choice(("cus_123", "", inputs.junk(rng, 20)))),
                ("PaymentCardNumber", rng.choice(("xxxxxxxxxxxx4242", "", inputs.junk(rng, 30)))),
                ("PaymentCardType", rng.choice(("visa", "amex", "", inputs.junk(rng, 10)))),
            ]
        if rng.random() < 0.3:
            fields.append(("PaymentError", inputs.junk(rng, rng.choice((5, 500)))))
        if rng.random() < 0.1:
            fields.append(("ConnectorError", rng.choice(("declined", "", inputs.junk(rng, 20)))))
        return fields
