"""The one place that builds what the services need: :class:`~app.kernel.Kanava`.

From the settings it picks the payment gateway (Stripe when ``STRIPE_SECRET_KEY`` is set,
and never the demo then; otherwise the demo page) and the notifier (Twilio's REST API when
Twilio is configured, otherwise the local outbox the phone simulator shows). Tests pass
their own clock, gateway or notifier instead (cosmicpython's ``bootstrap``); everything else
follows the settings. Only :func:`app.create_app` calls it.
"""

from __future__ import annotations

from app.adapters.demo_gateway import DemoGateway
from app.adapters.local_outbox import LocalNotifier
from app.config import ConfigError, Settings
from app.domain.support_hours import SupportHoursError, parse_support_hours
from app.kernel import Clock, Kanava, system_clock
from app.kernel.notifier import Notifier
from app.kernel.payments import PaymentGateway


class PaymentConfigurationError(RuntimeError):
    """The payment settings cannot serve drivers (Stripe without its webhook secret in
    production)."""


def build_payment_gateway(settings: Settings) -> PaymentGateway:
    """Stripe when ``STRIPE_SECRET_KEY`` is set, never the demo then; otherwise the demo."""
    if settings.stripe_configured:
        if not settings.stripe_webhook_secret and settings.environment == "production":
            raise PaymentConfigurationError("STRIPE_WEBHOOK_SECRET is required with Stripe")
        # The SDKs are imported only when they will serve: Stripe's SDK with its HTTP
        # libraries takes about 15 MiB of every web worker, Twilio's REST client about 5.
        from app.adapters.stripe_gateway import StripeGateway

        return StripeGateway(settings)
    return DemoGateway(settings)


def build_notifier(settings: Settings) -> Notifier:
    """Twilio when it is configured; otherwise the local outbox."""
    if not settings.twilio_configured:
        return LocalNotifier()
    from app.adapters.twilio_sms import TwilioNotifier

    return TwilioNotifier(settings)


def check_support_hours(settings: Settings) -> None:
    """``SUPPORT_HOURS`` must parse, so a driver is never told a wrong answer time."""
    try:
        parse_support_hours(settings.support_hours)
    except SupportHoursError as exc:
        raise ConfigError(f"{exc}; expected e.g. 'mon-fri 08:00-16:00; sat 10:00-14:00'") from exc


def build_kanava(
    settings: Settings,
    *,
    clock: Clock | None = None,
    payments: PaymentGateway | None = None,
    notifier: Notifier | None = None,
) -> Kanava:
    """Kanava for ``settings``; ``clock``, ``payments`` and ``notifier`` replace what the
    settings would choose (tests). Raises ``ConfigError`` for a bad ``SUPPORT_HOURS``."""
    check_support_hours(settings)
    return Kanava(
        settings=settings,
        clock=clock or system_clock,
        payments=payments or build_payment_gateway(settings),
        notifier=notifier or build_notifier(settings),
    )
