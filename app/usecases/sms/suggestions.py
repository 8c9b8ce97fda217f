"""Dialogue step: a mistyped keyword (``DID_YOU_MEAN``) is offered back and acted on only
after the driver's yes (issue 12, point 1).

The suggestion is the pending question for :data:`SUGGESTION_TTL`; a yes (K, J, Y, KYLLÄ,
JA, YES …) handles ``parse_sms(suggestion)`` as if the driver had sent it; a no drops it
and says so; any other message drops it and is handled as itself.
"""

from __future__ import annotations

from datetime import timedelta

from app.domain.parsing import Intent, parse_sms
from app.texts import dialogue as texts
from app.usecases.sms.steps import Reply, Steps

SUGGESTION_TTL = timedelta(minutes=10)
KIND = "did_you_mean"


class SuggestionSteps(Steps):
    def offer_suggestion(self) -> Reply:
        suggestion = self.parsed.suggestion
        if not suggestion:
            return self._reply("", understood=False)
        self._ask_for(SUGGESTION_TTL, kind=KIND, suggestion=suggestion)
        return self._reply(texts.did_you_mean(suggestion, self.lang))

    def awaits_suggestion(self) -> bool:
        return bool(self.pending) and (self.pending or {}).get("kind") == KIND

    def answer_suggestion(self) -> Reply:
        """The driver's answer to a pending suggestion (call only when one is pending)."""
        suggestion = str((self.pending or {}).get("suggestion", ""))
        self._clear()
        self.pending = None
        if self.parsed.intent is not Intent.YES:
            return self._reply(texts.nothing_done(self.lang))
        self.parsed = parse_sms(suggestion, known_zones=self.known_zones)
        return self.handle()

    def drop_suggestion(self) -> None:
        """Any message but yes/no drops the offer; it is then handled as itself."""
        self._clear()
        self.pending = None
