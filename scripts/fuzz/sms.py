"""Random SMS to ``POST /twilio/sms``, as Twilio's Messaging webhook posts them.

Message ``i`` is a pure function of the seed and ``i`` (:func:`message`), so a retry can
re-send an earlier message exactly, whichever thread sent the first. Senders are mostly a
small set of regular numbers, so conversations happen (a park, then ``LOPETA``, ``YES``, a
language change); the rest are numbers of many countries and things that are not numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import inputs
from client import Budget, Client, Value

PATH = "/twilio/sms"
ACCOUNT_SID = "AC" + "0" * 32
NUM_MEDIA = ("1", "3", "-1", "abc", "", "²", "٣", "99999999999999999999999", "1.5", " 1")
RAW_BYTES = (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"%", b"\xe2\x82")


@dataclass(frozen=True)
class Sms:
    """The fuzz run's fixed parts: seed, regular senders and the corpus of real texts."""

    seed: str
    regulars: list[str]
    corpus: list[str]

    def message(self, i: int) -> list[tuple[str, Value]]:
        """The form fields of message ``i``: mostly as Twilio sends them, sometimes not."""
        rng = inputs.new_rng(self.seed, "sms", i)
        sender = rng.choice(self.regulars) if rng.random() < 0.6 else inputs.phone(rng)
        body: Value = inputs.sms_body(rng, self.corpus)
        if rng.random() < 0.03:  # bytes that are not UTF-8, percent-encoded as they are
            body = str(body).encode("utf-8", "replace") + rng.choice(RAW_BYTES)
        num_media = "0" if rng.random() < 0.9 else rng.choice(NUM_MEDIA)
        to = inputs.SERVICE_NUMBER if rng.random() < 0.95 else inputs.phone(rng)
        sid = inputs.message_sid(rng)
        fields: list[tuple[str, Value]] = [
            ("ToCountry", "FI"),
            ("SmsMessageSid", sid),
            ("NumMedia", num_media),
            ("From", sender),
            ("To", to),
            ("Body", body),
            ("MessageSid", sid),
            ("AccountSid", ACCOUNT_SID),
            ("NumSegments", str(rng.randint(1, 10))),
            ("ApiVersion", "2010-04-01"),
        ]
        pick = rng.random()
        if pick < 0.03:  # a field missing
            del fields[rng.randrange(len(fields))]
        elif pick < 0.05:  # a field twice (the server reads the first)
            fields.insert(rng.randrange(len(fields)), rng.choice(fields))
        elif pick < 0.07:  # what Twilio adds for pictures and senders' countries
            fields += [
                ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/x/Media/y"),
                ("MediaContentType0", "image/jpeg"),
                ("FromCountry", inputs.junk(rng, 2)),
                ("FromCity", inputs.junk(rng, 8)),
            ]
        return fields

    def send(self, i: int, client: Client, budget: Budget) -> None:
        """Message ``i``, or a retry of an earlier one (exact, or with its sid reused)."""
        if not budget.take():
            return
        rng = inputs.new_rng(self.seed, "sms-send", i)
        pick = rng.random()
        if pick < 0.05 and i > 0:  # Twilio retries a delivery it got no answer to
            fields = self.message(rng.randrange(max(0, i - 40), i))
        elif pick < 0.07 and i > 0:  # a sid seen before, with other fields
            earlier = dict(self.message(rng.randrange(max(0, i - 40), i)))
            reused = earlier.get("MessageSid")  # the earlier message may have had none
            fields = [
                (k, reused if k == "MessageSid" and reused is not None else v)
                for k, v in self.message(i)
            ]
        else:
            fields = self.message(i)
        signature = "good" if pick < 0.98 else rng.choice(("bad", "none"))
        client.twilio("sms", PATH, fields, signature)
