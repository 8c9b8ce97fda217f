"""Can the outside services be reached with the credentials configured? (``doctor``)

Plain HTTPS GETs of a cheap read-only resource with a short timeout: Twilio's account
resource and Stripe's customer list. Kept beside the SDK adapters because they talk to the
same services; they use no SDK so that a wrong base URL fails in seconds, not after the
SDK's retries.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from dataclasses import dataclass

TWILIO_API = "https://api.twilio.com"
STRIPE_API = "https://api.stripe.com"
TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Probe:
    ok: bool
    detail: str


def _get(url: str, headers: dict[str, str], timeout: float) -> Probe:
    if not url.startswith(("https://", "http://")):
        return Probe(False, f"{url} is not an http(s) URL")
    request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Probe(True, f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return Probe(False, f"the credentials were refused (HTTP {exc.code})")
        return Probe(False, f"answered HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Probe(False, f"cannot be reached ({reason})")


def twilio(
    account_sid: str, auth_token: str, base: str | None, timeout: float = TIMEOUT_SECONDS
) -> Probe:
    basic = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
    url = f"{(base or TWILIO_API).rstrip('/')}/2010-04-01/Accounts/{account_sid}.json"
    return _get(url, {"Authorization": f"Basic {basic}"}, timeout)


def stripe(secret_key: str, base: str | None, timeout: float = TIMEOUT_SECONDS) -> Probe:
    url = f"{(base or STRIPE_API).rstrip('/')}/v1/customers?limit=1"
    return _get(url, {"Authorization": f"Bearer {secret_key}"}, timeout)
