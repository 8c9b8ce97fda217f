"""``X-Twilio-Signature`` validation for every Twilio webhook.

Twilio signs the full URL it called plus the POST parameters with the account's auth
token (https://www.twilio.com/docs/usage/security#validating-requests). Behind a proxy the
URL Flask sees is not the one Twilio called, so the URL is rebuilt from
``PUBLIC_BASE_URL`` and the request path.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TypeVar, cast

from flask import Response, abort, request

from app.adapters.twilio_webhooks import signature_is_valid
from app.extensions import kanava

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Response | str | tuple[str, int]])


def signed_url() -> str:
    url = kanava().settings.public_base_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def twilio_signed(view: F) -> F:
    """Refuse (403) any request whose ``X-Twilio-Signature`` is missing or wrong."""

    @functools.wraps(view)
    def wrapper(*args: object, **kwargs: object) -> object:
        signature = request.headers.get("X-Twilio-Signature", "")
        token = kanava().settings.webhook_auth_token
        params = request.form.to_dict(flat=True) if request.method == "POST" else {}
        if not signature or not signature_is_valid(token, signed_url(), params, signature):
            log.warning("refused a Twilio webhook with a bad signature: %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)
