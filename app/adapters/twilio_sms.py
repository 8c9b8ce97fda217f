"""Outbound SMS through Twilio's Messages API and the official SDK
(https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource).
Chosen by :mod:`app.bootstrap` when Twilio is configured."""

from __future__ import annotations

from urllib.parse import urlsplit

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.config import Settings
from app.kernel.notifier import NotifierError

TWILIO_TIMEOUT_SECONDS = 10.0
# Twilio error codes that no retry can fix: invalid or unreachable To, unsubscribed
# recipient, not a mobile number, region not enabled, sender cannot send.
PERMANENT_TWILIO_CODES = frozenset({21211, 21214, 21217, 21408, 21606, 21610, 21612, 21614})


class TwilioNotifier:
    """Twilio's Messages API through the official SDK.

    ``TWILIO_API_BASE`` points the client at another host (a local test peer): the SDK's
    HTTP client is given a subclass that rewrites scheme and host of every request.
    """

    name = "twilio"

    def __init__(self, settings: Settings, *, timeout: float = TWILIO_TIMEOUT_SECONDS) -> None:
        base = settings.twilio_api_base

        class _RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
            def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
                if base:
                    parts = urlsplit(url)
                    target = urlsplit(base)
                    url = parts._replace(scheme=target.scheme, netloc=target.netloc).geturl()
                return super().request(method, url, *args, **kwargs)

        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=_RebasedHttpClient(timeout=timeout),
        )
        self._from = settings.twilio_from_number
        self._service = settings.twilio_messaging_service_sid

    def send(self, to: str, body: str, *, status_callback: str | None) -> str:
        kwargs: dict[str, str] = {"to": to, "body": body}
        if self._service:
            kwargs["messaging_service_sid"] = self._service
        elif self._from:
            kwargs["from_"] = self._from
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self._client.messages.create(**kwargs)
        except TwilioRestException as exc:
            permanent = exc.status == 400 and exc.code in PERMANENT_TWILIO_CODES
            raise NotifierError(f"twilio {exc.status} {exc.code}", permanent=permanent) from exc
        except (TwilioException, OSError) as exc:
            # requests' ConnectionError and Timeout are OSErrors.
            raise NotifierError(
                f"twilio unreachable: {type(exc).__name__}", unreachable=True
            ) from exc
        return str(message.sid)
