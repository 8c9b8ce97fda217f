"""The Messaging webhook's TwiML, written out by hand on the hot path, is what the twilio
SDK's ``MessagingResponse`` writes, for every reply text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from app.adapters.twilio_webhooks import messaging_twiml


def _sdk(reply: str) -> str:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response)


def test_no_reply_is_an_empty_response() -> None:
    assert messaging_twiml("") == _sdk("") == '<?xml version="1.0" encoding="UTF-8"?><Response />'


def test_a_reply_with_markup_characters_is_escaped_as_the_sdk_escapes_it() -> None:
    reply = 'Pysäköinti alkoi: <ABC-123> & "101" \'x\' 5 > 3\nLOPETA'
    assert messaging_twiml(reply) == _sdk(reply)


# XML 1.0 cannot carry most control characters; the webhook's replies never hold them.
_XML_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], min_codepoint=0x20) | st.sampled_from("\n\t\r")
)


@given(_XML_TEXT)
def test_any_reply_is_written_as_the_sdk_writes_it(reply: str) -> None:
    assert messaging_twiml(reply) == _sdk(reply)
