"""``flask --app wsgi doctor``: is this installation ready? Each check says what it found
and, when something is wrong, what to fix; the exit status is 1 when anything is wrong.

Checks: the configuration (what runs locally only, what production needs), the database
(reachable, migrations at head), Twilio and Stripe (reachable with the credentials, short
timeout) and the webhook URLs to paste into their consoles (from ``PUBLIC_BASE_URL``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from app.adapters import reachability
from app.config import Settings
from app.extensions import db, kanava

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"
WEBHOOKS = (
    ("Twilio Messaging, A message comes in", "/twilio/sms"),
    ("Twilio Messaging, status callback", "/twilio/status"),
    ("Twilio Voice, A call comes in", "/twilio/voice"),
    ("Stripe webhook endpoint", "/stripe/webhook"),
)


@dataclass(frozen=True)
class Finding:
    ok: bool
    subject: str
    text: str
    note: bool = False  # fine, but worth knowing

    def line(self) -> str:
        mark = "ok  " if self.ok and not self.note else ("note" if self.ok else "FIX ")
        return f"[{mark}] {self.subject}: {self.text}"


def configuration(settings: Settings) -> list[Finding]:
    found = []
    production = settings.environment == "production"
    if settings.twilio_configured:
        if not (settings.twilio_from_number or settings.twilio_messaging_service_sid):
            found.append(
                Finding(
                    False,
                    "Twilio",
                    "no sender: set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID",
                )
            )
    else:
        found.append(
            Finding(
                True,
                "Twilio",
                "not configured: text messages go to the local outbox (phone simulator) only",
                note=True,
            )
        )
    if settings.stripe_configured and not settings.stripe_webhook_secret:
        found.append(
            Finding(
                False,
                "Stripe",
                "STRIPE_WEBHOOK_SECRET is unset: payments would never be "
                "confirmed; copy the endpoint's signing secret from the Stripe dashboard",
            )
        )
    if not settings.stripe_configured:
        found.append(
            Finding(
                True,
                "Stripe",
                "not configured: the demo payment page on this machine only",
                note=True,
            )
        )
    if not settings.metrics_token:
        found.append(
            Finding(
                True, "Metrics", "METRICS_TOKEN unset: /metrics answers on loopback only", note=True
            )
        )
    if production and settings.operator.business_id is None:
        found.append(
            Finding(
                False,
                "Receipts",
                "OPERATOR_BUSINESS_ID is unset: receipts need the seller's business ID",
            )
        )
    if not any(not f.ok for f in found):
        found.insert(0, Finding(True, "Configuration", f"read ({settings.environment})"))
    return found


def database() -> list[Finding]:
    # Alembic only for the operator's ``flask doctor``, not in every web worker.
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:  # any driver error: say it, do not crash the doctor
        return [
            Finding(
                False,
                "Database",
                f"cannot be reached ({type(exc).__name__}): check "
                "DATABASE_URL and that the server runs",
            )
        ]
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if current != head:
        return [
            Finding(True, "Database", "reachable"),
            Finding(
                False,
                "Migrations",
                f"the database is at {current or 'no revision'}, the "
                f"code at {head}: run flask --app wsgi db upgrade",
            ),
        ]
    return [Finding(True, "Database", f"reachable, migrations at head ({head})")]


def services(settings: Settings) -> list[Finding]:
    found = []
    if settings.twilio_account_sid and settings.twilio_auth_token:
        probe = reachability.twilio(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base
        )
        fix = (
            ""
            if probe.ok
            else ": check TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"
            + (", TWILIO_API_BASE" if settings.twilio_api_base else "")
            + " and the network"
        )
        found.append(Finding(probe.ok, "Twilio API", probe.detail + fix))
    if settings.stripe_secret_key:
        probe = reachability.stripe(settings.stripe_secret_key, settings.stripe_api_base)
        fix = (
            ""
            if probe.ok
            else ": check STRIPE_SECRET_KEY"
            + (", STRIPE_API_BASE" if settings.stripe_api_base else "")
            + " and the network"
        )
        found.append(Finding(probe.ok, "Stripe API", probe.detail + fix))
    return found


def _public(host: str) -> bool:
    if host in ("localhost", ""):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return not (address.is_loopback or address.is_private or address.is_link_local)


def webhooks(settings: Settings) -> list[Finding]:
    base = settings.public_base_url.rstrip("/")
    parts = urlsplit(base)
    found = []
    if parts.query or parts.fragment:
        found.append(
            Finding(
                False,
                "PUBLIC_BASE_URL",
                "has a query or fragment: give the "
                "base URL only, such as https://parking.example.fi",
            )
        )
    outside = settings.twilio_configured or settings.stripe_configured
    if outside and not _public(parts.hostname or ""):
        found.append(
            Finding(
                False,
                "PUBLIC_BASE_URL",
                f"{base} cannot be reached from the "
                "internet: Twilio and Stripe could not call the webhooks",
            )
        )
    if outside and parts.scheme != "https":
        found.append(
            Finding(
                False,
                "PUBLIC_BASE_URL",
                "is not https: Twilio's and Stripe's "
                "signatures are checked against it, and they call https",
            )
        )
    for where, path in WEBHOOKS:
        found.append(Finding(True, "Webhook", f"{where}: {base}{path}", note=True))
    return found


@click.command("doctor")
@with_appcontext
def doctor() -> None:
    """Check the configuration, the database, Twilio, Stripe and the webhook URLs."""
    settings = kanava().settings
    found = [*configuration(settings), *database(), *services(settings), *webhooks(settings)]
    for finding in found:
        click.echo(finding.line())
    problems = sum(1 for f in found if not f.ok)
    if problems:
        click.echo(f"{problems} to fix.")
        raise SystemExit(1)
    click.echo("Everything looks right.")
