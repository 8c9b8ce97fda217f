"""Settings from the environment, read once at start-up.

Every setting of the outside contract is here with its default. Production needs are
checked in :func:`load_settings`: a missing ``SECRET_KEY`` or an http ``PUBLIC_BASE_URL``
is fatal when ``KANAVA_ENV=production``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("fi", "sv", "en")
# The number on signs and in the simulator when no real number is configured (development
# only: production requires TWILIO_FROM_NUMBER or SERVICE_NUMBER).
DEVELOPMENT_SERVICE_NUMBER = "+358451234567"


@dataclass(frozen=True)
class Operator:
    """Who sells the parking, as a receipt names them: a name and, when set, the business
    ID (Finnish Y-tunnus). From ``OPERATOR_NAME`` and ``OPERATOR_BUSINESS_ID``."""

    name: str = "Kanava demo"
    business_id: str | None = None


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment. Immutable; tests build their own with ``replace``."""

    database_url: str
    secret_key: str
    public_base_url: str = "http://127.0.0.1:8000"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str | None = None
    simulator_auth_token: str | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    app_timezone: str = "Europe/Helsinki"
    default_language: str = "fi"
    currency: str = "EUR"
    reminder_lead_minutes: int = 10
    payment_grace_minutes: int = 10
    # How long after its start a parking's plate or zone can be corrected (issue 12).
    correction_minutes: int = 15
    service_number: str | None = None
    operator_number: str | None = None
    # VAT included in prices, percent (Finland's general rate); shown on receipts.
    vat_rate: str = "25.5"
    # Refund the unused paid minutes of a prepaid parking that is stopped early.
    refund_unused: bool = True
    environment: str = "development"
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    proxy_hops: int = 1
    # Floods (0: off): replies per number an hour, requests per address a minute.
    reply_cap_per_hour: int = 20
    form_posts_per_minute: int = 30
    signin_per_minute: int = 10
    api_per_minute: int = 300
    # Where SMS received while the database is down wait (None: instance/spool).
    spool_dir: Path | None = None
    # The seller named on receipts.
    operator: Operator = Operator()
    # When staff answer the inbox (the driver is told when to expect a person).
    support_hours: str = "mon-fri 08:00-16:00"
    # Service numbers (``To``) that belong to one sign group: number -> sign code.
    sign_numbers: tuple[tuple[str, str], ...] = ()

    def sign_for_number(self, to_number: str | None) -> str | None:
        """The sign code of the service number a driver texted or called, if it has one."""
        wanted = "".join((to_number or "").split())
        return next((code for number, code in self.sign_numbers if number == wanted), None)

    def number_for_sign(self, sign_code: str | None) -> str | None:
        """The service number of a sign group (``SIGN_NUMBERS``), if it has its own."""
        return next((number for number, code in self.sign_numbers if code == sign_code), None)
    # Privacy: message bodies, call speech and prompts are blanked after this many days;
    # customers with no activity for this many months are pseudonymised (0: never).
    retention_message_days: int = 90
    retention_customer_months: int = 24
    # Who answers for personal data (the privacy notice names them); defaults to the operator.
    privacy_contact: str | None = None
    # Bearer token for /metrics; unset: /metrics answers only on loopback.
    metrics_token: str | None = None
    # "json" for one JSON object per log line (without phone numbers or message bodies).
    log_format: str = "text"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.app_timezone)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def stripe_configured(self) -> bool:
        return bool(self.stripe_secret_key)

    @property
    def webhook_auth_token(self) -> str:
        """The token that validates ``X-Twilio-Signature``.

        Twilio's auth token when Twilio is configured; otherwise the local simulator's
        token, so that the webhook never accepts unsigned requests, even in development.
        """
        token = self.twilio_auth_token or self.simulator_auth_token
        if not token:
            raise ConfigError("no TWILIO_AUTH_TOKEN and no simulator token")
        return token

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _instance_secret(instance_path: Path, name: str) -> str:
    """A random secret kept in ``instance/`` so it survives restarts on one machine."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _vat_rate(raw: str | None) -> str:
    from decimal import Decimal, InvalidOperation

    if raw is None:
        return "25.5"
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ConfigError(f"VAT_RATE must be a percentage such as 25.5, got {raw!r}") from exc
    if not Decimal(0) <= value < Decimal(100):
        raise ConfigError("VAT_RATE must be between 0 and 100")
    return raw


def _remembered_url(instance_path: Path) -> str:
    """The local address ``make run`` last served from this instance folder, else :8000."""
    path = instance_path / "local_url"
    remembered = path.read_text().strip() if path.is_file() else ""
    if remembered.startswith(("http://127.0.0.1:", "http://localhost:")):
        return remembered
    return "http://127.0.0.1:8000"


def _sign_numbers(raw: str | None) -> tuple[tuple[str, str], ...]:
    """``SIGN_NUMBERS``: ``+358451111111=A1,+358452222222=B2`` (number = sign code)."""
    pairs: list[tuple[str, str]] = []
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        number, sep, code = item.partition("=")
        number, code = "".join(number.split()), code.strip()
        if not sep or not number.startswith("+") or not code or len(code) > 24:
            raise ConfigError(f"SIGN_NUMBERS: {item.strip()!r} is not '+358...=CODE'")
        pairs.append((number, code))
    return tuple(pairs)


def instance_dir(env: Mapping[str, str] | None = None) -> Path:
    """The instance folder (the SQLite database, secrets, the demo password, the address
    ``make run`` serves): ``KANAVA_INSTANCE_PATH``, else ``instance``, relative to the
    working directory, as the Makefile reads it (``${KANAVA_INSTANCE_PATH:-instance}``).
    Reads only the environment: ``scripts/banner.py`` uses it without an app."""
    env = os.environ if env is None else env
    return Path(env.get("KANAVA_INSTANCE_PATH") or "instance").resolve()


def load_settings(
    env: Mapping[str, str] | None = None, instance_path: Path | None = None
) -> Settings:
    """Read the settings from ``env`` (default: ``os.environ``); fail fast on bad values."""
    env = os.environ if env is None else env
    instance = instance_path or instance_dir(env)
    environment = env.get("KANAVA_ENV", "development")
    production = environment == "production"

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    database_url = get("DATABASE_URL") or f"sqlite:///{instance / 'kanava.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    secret_key = get("SECRET_KEY")
    if secret_key is None:
        if production:
            raise ConfigError("SECRET_KEY is required in production")
        secret_key = _instance_secret(instance, "secret_key")

    # Locally the service answers on PORT (make run): links and signatures must match it.
    # A command without PORT (flask jobs tick in another shell) links to the address the
    # last make run of this checkout serves, which it remembers in the instance folder.
    port = get("PORT")
    local_url = f"http://127.0.0.1:{port}" if port else _remembered_url(instance)
    public_base_url = (get("PUBLIC_BASE_URL") or local_url).rstrip("/")
    if production and not public_base_url.startswith("https://"):
        raise ConfigError("PUBLIC_BASE_URL must be https in production")

    default_language = get("DEFAULT_LANGUAGE") or "fi"
    if default_language not in LANGUAGES:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")

    app_timezone = get("APP_TIMEZONE") or "Europe/Helsinki"
    try:
        ZoneInfo(app_timezone)
    except Exception as exc:
        raise ConfigError(f"APP_TIMEZONE {app_timezone!r} is not a known time zone") from exc

    currency = (get("CURRENCY") or "EUR").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ConfigError("CURRENCY must be an ISO 4217 code such as EUR")

    twilio_sid = get("TWILIO_ACCOUNT_SID")
    twilio_token = get("TWILIO_AUTH_TOKEN")
    if bool(twilio_sid) != bool(twilio_token):
        raise ConfigError("set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither")
    if production:
        # The local outbox and the demo payment page are for a developer's machine only:
        # in production they would drop every SMS and let anyone "pay" for free.
        missing = [
            name
            for name in ("TWILIO_ACCOUNT_SID", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
            if not get(name)
        ]
        if not (get("TWILIO_FROM_NUMBER") or get("TWILIO_MESSAGING_SERVICE_SID")):
            missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        if not (get("SERVICE_NUMBER") or get("TWILIO_FROM_NUMBER")):
            missing.append("SERVICE_NUMBER (the number printed on the signs)")
        if missing:
            raise ConfigError(f"production needs {', '.join(missing)}")
    simulator_token = None if twilio_token else _instance_secret(instance, "simulator_token")

    return Settings(
        database_url=database_url,
        secret_key=secret_key,
        public_base_url=public_base_url,
        twilio_account_sid=twilio_sid,
        twilio_auth_token=twilio_token,
        twilio_from_number=get("TWILIO_FROM_NUMBER"),
        twilio_messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID"),
        twilio_api_base=get("TWILIO_API_BASE"),
        simulator_auth_token=simulator_token,
        stripe_secret_key=get("STRIPE_SECRET_KEY"),
        stripe_webhook_secret=get("STRIPE_WEBHOOK_SECRET"),
        stripe_api_base=get("STRIPE_API_BASE"),
        app_timezone=app_timezone,
        default_language=default_language,
        currency=currency,
        reminder_lead_minutes=_int(env, "REMINDER_LEAD_MINUTES", 10),
        payment_grace_minutes=_int(env, "PAYMENT_GRACE_MINUTES", 10),
        correction_minutes=_int(env, "CORRECTION_MINUTES", 15),
        proxy_hops=_int(env, "PROXY_HOPS", 1),
        reply_cap_per_hour=_int(env, "REPLY_CAP_PER_HOUR", 20),
        form_posts_per_minute=_int(env, "FORM_POSTS_PER_MINUTE", 30),
        signin_per_minute=_int(env, "SIGNIN_PER_MINUTE", 10),
        api_per_minute=_int(env, "API_PER_MINUTE", 300),
        service_number=get("SERVICE_NUMBER")
        or get("TWILIO_FROM_NUMBER")
        or DEVELOPMENT_SERVICE_NUMBER,
        operator_number=get("OPERATOR_NUMBER"),
        vat_rate=_vat_rate(get("VAT_RATE")),
        refund_unused=(get("REFUND_UNUSED") or "1").lower() not in ("0", "false", "no", "off"),
        environment=environment,
        spool_dir=instance / "spool",
        operator=Operator(
            name=get("OPERATOR_NAME") or "Kanava demo", business_id=get("OPERATOR_BUSINESS_ID")
        ),
        # Checked (it must parse) when Kanava is built: app.bootstrap.check_support_hours.
        support_hours=get("SUPPORT_HOURS") or Settings.support_hours,
        sign_numbers=_sign_numbers(get("SIGN_NUMBERS")),
        retention_message_days=_int(env, "RETENTION_MESSAGE_DAYS", 90),
        retention_customer_months=_int(env, "RETENTION_CUSTOMER_MONTHS", 24),
        privacy_contact=get("PRIVACY_CONTACT"),
        metrics_token=get("METRICS_TOKEN"),
        log_format=_log_format(get("LOG_FORMAT")),
    )


def _log_format(raw: str | None) -> str:
    value = (raw or "text").strip().lower()
    if value not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be text or json, got {raw!r}")
    return value
