"""What a phone call says next: the voice use case answers every step with a
:class:`VoiceTurn`, which the telephony adapter renders
(:func:`app.adapters.twilio_webhooks.voice_twiml`) and the use case stores as JSON, so a
retried step hears the same answer. Plain data: no Flask, no SDK.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

# Marks the parts of a sentence to read character by character (plates, phone numbers):
# the renderer turns them into SSML ``<say-as interpret-as="spell-out">``.
SPELL = "\u0001"


@dataclass
class Spoken:
    """One sentence, in one language; plates inside are marked with :data:`SPELL`."""

    text: str
    lang: str


@dataclass
class GatherSpec:
    action: str
    input: str = "dtmf"
    num_digits: int | None = 1
    finish_on_key: str | None = None
    hints: str | None = None
    timeout: int = 6


@dataclass
class PaySpec:
    """Twilio ``<Pay>`` tokenising a card (``chargeAmount`` 0) for Kanava to charge."""

    action: str
    currency: str
    description: str
    prompts: dict[str, str] = field(default_factory=dict)


@dataclass
class VoiceTurn:
    """What the caller hears next; stored per step, so a retried step gets it again."""

    lang: str
    say: list[Spoken] = field(default_factory=list)
    gather: GatherSpec | None = None
    pay: PaySpec | None = None
    dial: str | None = None
    hangup: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> VoiceTurn:
        raw = json.loads(text)
        return cls(
            lang=raw["lang"],
            say=[Spoken(**s) for s in raw.get("say", [])],
            gather=GatherSpec(**raw["gather"]) if raw.get("gather") else None,
            pay=PaySpec(**raw["pay"]) if raw.get("pay") else None,
            dial=raw.get("dial"),
            hangup=bool(raw.get("hangup")),
        )

    def plain_text(self) -> str:
        return " ".join(s.text.replace(SPELL, "") for s in self.say)
