"""Kanava: parking and bookings by text message and phone call.

``create_app`` wires settings, extensions, the outside services (payment gateway,
SMS notifier) and the channel blueprints. Everything is chosen once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import LANGUAGES, Settings, load_settings
from app.extensions import (
    CSRF_EXEMPT_BLUEPRINTS,
    babel,
    configure_sqlite,
    csrf,
    db,
    login_manager,
    migrate,
)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Kanava:
    """What the services need from the outside world, chosen once at start-up."""

    settings: Settings
    clock: Clock
    payments: Any  # app.backend.ledger.PaymentGateway
    notifier: Any  # app.usecases.outbox_dispatch.Notifier


def kanava() -> Kanava:
    """The running application's :class:`Kanava` container."""
    ext: Kanava = current_app.extensions["kanava"]
    return ext


def _select_locale() -> str:
    lang = request.args.get("lang") or request.cookies.get("lang")
    if lang in LANGUAGES:
        return lang
    best = request.accept_languages.best_match(LANGUAGES)
    return best or kanava().settings.default_language


def _remember_language(response: Response) -> Response:
    """A language chosen with ``?lang=`` sticks for the pages that follow (a cookie)."""
    lang = request.args.get("lang")
    if lang in LANGUAGES and request.cookies.get("lang") != lang:
        response.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    notifier: Any = None,
    payments: Any = None,
) -> Flask:
    """Build the Flask application.

    ``settings`` default to the environment (and ``.env``). ``clock``, ``notifier`` and
    ``payments`` may be injected by tests; otherwise they follow the settings.
    """
    if settings is None:
        try:
            from dotenv import load_dotenv

            load_dotenv()
        except ImportError:  # pragma: no cover - python-dotenv is in requirements
            pass
        settings = load_settings()

    root = Path(__file__).resolve().parent.parent
    app = Flask(__name__, instance_path=str(root / "instance"))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        BABEL_DEFAULT_LOCALE=settings.default_language,
        BABEL_DEFAULT_TIMEZONE=settings.app_timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        JSON_SORT_KEYS=False,
        # A CSRF token lives as long as the session: an attendant's phone may keep the
        # plate-check page open for a whole shift.
        WTF_CSRF_TIME_LIMIT=None,
    )
    # Behind a reverse proxy (Heroku: one) trust its X-Forwarded-* headers; PROXY_HOPS=0 off.
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(root / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=_select_locale)
    app.after_request(_remember_language)
    csrf.init_app(app)
    login_manager.init_app(app)

    from app.backend.ledger import build_payment_gateway
    from app.usecases.outbox_dispatch import build_notifier

    app.extensions["kanava"] = Kanava(
        settings=settings,
        clock=clock or system_clock,
        payments=payments or build_payment_gateway(settings),
        notifier=notifier or build_notifier(settings),
    )

    from app import cli
    from app.channels import api, demo_pay, health, home, simulator, sms
    from app.channels import web as templating

    app.register_blueprint(sms.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(demo_pay.bp)
    from app.channels import receipts, stripe_webhook, web_form

    app.register_blueprint(stripe_webhook.bp)
    app.register_blueprint(web_form.bp)
    app.register_blueprint(receipts.bp)
    from app.channels import twilio_status

    app.register_blueprint(twilio_status.bp)
    from app.channels import admin, admin_auth

    app.register_blueprint(admin_auth.bp)
    app.register_blueprint(admin.bp)
    from app.channels import voice

    app.register_blueprint(voice.bp)
    from app.channels import errors, order_page

    app.register_blueprint(order_page.bp)
    if not settings.twilio_configured:
        app.register_blueprint(simulator.bp)
    cli.register(app)
    templating.register(app)
    errors.register(app)
    for name in CSRF_EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])

    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    return app


def _engine_options(url: str) -> dict[str, Any]:
    # Fail within a few seconds rather than wait past Twilio's 15-second webhook timeout:
    # a failed SMS is then kept in the spool instead of being lost. SQL parameters (phone
    # numbers, message texts) are kept out of exception messages and logs.
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 5}, "hide_parameters": True}
    return {
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 20,
        "pool_timeout": 5,
        "hide_parameters": True,
        "connect_args": {"connect_timeout": 5, "options": "-c lock_timeout=5000"},
    }
