"""Twilio's side of its webhooks: the ``X-Twilio-Signature`` check and the TwiML answers.

The channels parse Twilio's form posts and hand the answer to these functions, so that no
code outside :mod:`app.adapters` imports the twilio SDK. Signatures:
https://www.twilio.com/docs/usage/security#validating-requests. Voices and language codes
are the ones Twilio offers for Amazon Polly
(https://www.twilio.com/docs/voice/twiml/say/text-speech#available-voices-and-languages).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Mapping
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, remove_port
from twilio.twiml.voice_response import Gather, Pay, Say, VoiceResponse

from app.kernel.calls import SPELL, Spoken, VoiceTurn

# Twilio's <Say> language codes and an Amazon Polly voice for each.
SAY_LANGUAGE = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}
VOICE = {"fi": "Polly.Suvi", "sv": "Polly.Astrid", "en": "Polly.Amy"}


def signature_is_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str
) -> bool:
    """Whether ``signature`` is Twilio's signature of ``url`` and the POST ``params``.

    ``RequestValidator.validate`` computes two signatures, of the URL without and with its
    port, and accepts either. The first is what Twilio sends for a URL without a port
    (every request, here): checked alone first, it accepts exactly what ``validate`` would;
    anything else still goes through ``validate``.
    """
    validator = _validator(auth_token)
    form = dict(params)
    expected = validator.compute_signature(_without_port(url), form)
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    return bool(validator.validate(url, form, signature))


@functools.lru_cache(maxsize=8)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


@functools.lru_cache(maxsize=64)
def _without_port(url: str) -> str:
    return str(remove_port(urlparse(url)))


def signature_of(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send with ``params`` posted to ``url`` (the simulator)."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


# What ``str(MessagingResponse())`` gives, with and without one ``<Message>``: written out
# here because every inbound SMS is answered with one of the two, and building the SDK's
# element tree for it costs more than the rest of the answer (tests/adapters compare them).
_NO_MESSAGE = '<?xml version="1.0" encoding="UTF-8"?><Response />'
_ONE_MESSAGE = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>{}</Message></Response>'
# ElementTree escapes text content so (xml.etree.ElementTree._escape_cdata).
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def messaging_twiml(reply: str) -> str:
    """The Messaging webhook's answer: the reply as one ``<Message>``, or none."""
    if not reply:
        return _NO_MESSAGE
    return _ONE_MESSAGE.format(reply.translate(_TEXT_ESCAPES))


def _say(spoken: Spoken) -> Say:
    """A ``<Say>``; marked parts become ``<say-as interpret-as="spell-out">``."""
    say = Say(voice=VOICE[spoken.lang], language=SAY_LANGUAGE[spoken.lang])
    for index, part in enumerate(spoken.text.split(SPELL)):
        if not part:
            continue
        if index % 2:
            say.say_as(part, interpret_as="spell-out")
        else:
            say.nest(part)
    return say


def voice_twiml(turn: VoiceTurn) -> str:
    """What the caller hears next, as TwiML: sentences (inside a ``<Gather>`` when a key or
    words are awaited), a ``<Pay>`` tokenising a card, a ``<Dial>``, a ``<Hangup>``."""
    response = VoiceResponse()
    if turn.gather is not None:
        g = turn.gather
        gather = Gather(
            input=g.input,
            action=g.action,
            method="POST",
            timeout=g.timeout,
            num_digits=g.num_digits,
            finish_on_key=g.finish_on_key if g.finish_on_key is not None else "",
            hints=g.hints,
            language=SAY_LANGUAGE[turn.lang] if "speech" in g.input else None,
            speech_timeout="auto" if "speech" in g.input else None,
            action_on_empty_result=True,
        )
        for spoken in turn.say:
            gather.append(_say(spoken))
        response.append(gather)
    else:
        for spoken in turn.say:
            response.append(_say(spoken))
    if turn.pay is not None:
        p = turn.pay
        pay = Pay(
            input="dtmf",
            action=p.action,
            payment_connector="Stripe_Connector",
            token_type="reusable",  # noqa: S106 - a token kind, not a secret
            charge_amount="0",
            currency=p.currency,
            description=p.description,
            postal_code=False,
            timeout=10,
            max_attempts=2,
        )
        for for_, text in p.prompts.items():
            pay.prompt(for_=for_).append(_say(Spoken(text, turn.lang)))
        response.append(pay)
    if turn.dial is not None:
        response.dial(turn.dial)
    if turn.hangup:
        response.hangup()
    return str(response)
