"""Twilio's side of its webhooks, on the hot path of every inbound SMS: the Messaging TwiML,
written out by hand, is what the twilio SDK's ``MessagingResponse`` writes for every reply
text; the signature check accepts what Twilio signs (with or without the port, as the
SDK's ``RequestValidator.validate``) and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from app.adapters.twilio_webhooks import messaging_twiml, signature_is_valid


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


TOKEN = "a" * 32
URL = "https://kanava.test/twilio/sms"
FORM = {"MessageSid": "SM" + "1" * 32, "From": "+358401234567", "Body": "ABC-123 101"}


def test_twilios_signature_of_the_url_is_accepted() -> None:
    signature = RequestValidator(TOKEN).compute_signature(URL, FORM)
    assert signature_is_valid(TOKEN, URL, FORM, signature)


def test_twilios_signature_of_the_url_with_its_port_is_accepted() -> None:
    with_port = "https://kanava.test:443/twilio/sms"
    signature = RequestValidator(TOKEN).compute_signature(with_port, FORM)
    assert signature_is_valid(TOKEN, URL, FORM, signature)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "not a signature",
        "äö" * 14,
        RequestValidator(TOKEN).compute_signature(URL, {**FORM, "Body": "ABC-123 102"}),
        RequestValidator("b" * 32).compute_signature(URL, FORM),
        RequestValidator(TOKEN).compute_signature(URL + "?x=1", FORM),
    ],
    ids=["empty", "garbage", "non-ascii", "other-body", "other-token", "other-url"],
)
def test_any_other_signature_is_refused(signature: str) -> None:
    assert not signature_is_valid(TOKEN, URL, FORM, signature)
