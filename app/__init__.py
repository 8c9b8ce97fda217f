"""Kanava: parking and bookings by text message and phone call.

``create_app`` wires settings, extensions, the outside services (built once by
:func:`app.bootstrap.build_kanava`) and the channel blueprints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from dotenv import load_dotenv
from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from app.bootstrap import build_kanava
from app.channels import (
    admin,
    admin_auth,
    admin_bookings,
    admin_privacy,  # noqa: F401 - adds its routes to the admin blueprint
    api,
    demand_pages,  # noqa: F401 - adds the failure-demand page to the panel
    demo_pay,
    doctor,
    errors,
    guards,
    health,
    home,
    inbox,  # noqa: F401 - adds the staff inbox pages to the panel
    limits,
    metrics,
    order_page,
    privacy_page,
    receipts,
    request_log,
    security_headers,
    simulator,
    sms,
    stripe_webhook,
    twilio_status,
    voice,
    web,
    web_book,
    web_form,
)
from app.channels.api import API_PREFIX
from app.cli import register as register_cli
from app.cli import register_migrations
from app.config import Settings, instance_dir, load_settings
from app.extensions import (
    CSRF_EXEMPT_BLUEPRINTS,
    babel,
    configure_postgres_pool,
    configure_sqlite,
    csrf,
    db,
    install_template_gettext,
    login_manager,
)
from app.kernel import Clock
from app.kernel.notifier import Notifier
from app.kernel.payments import PaymentGateway


class _Flask(Flask):
    """Flask, with its per-request work for things that never change done once."""

    _MAX_SYNC = 2048

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # Flask asks this of every hook and view on every request (an ``inspect`` of the
        # function's code each time); the answer for a function never changes.
        try:
            return self._sync[func]
        except KeyError:
            sync = super().ensure_sync(func)
            if len(self._sync) < self._MAX_SYNC:
                self._sync[func] = sync
            return sync


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its signer built once per key instead of per
    request (every request opens the session, most without a cookie).

    The handheld API (``/api/``) is signed in by its bearer token and keeps nothing in a
    session: it gets Flask's null session, so no cookie is parsed, read or written, and its
    answers do not ``Vary: Cookie`` (Flask-Login's after-request hook looks into the
    session on every request, which would mark it accessed)."""

    _signer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return None  # Flask's null session
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._signer
        if cached is None or cached[0] != keys:
            cached = self._signer = (keys, super().get_signing_serializer(app))
        return cached[1]


@lru_cache(maxsize=16)
def _parsed_locale(code: str) -> Locale:
    return Locale.parse(code)


def _select_locale() -> Locale:
    """:func:`app.channels.web.select_locale` as a parsed :class:`~babel.Locale`, parsed
    once per language rather than by Flask-Babel on every request."""
    return _parsed_locale(web.select_locale())


def _lazy_current_user() -> dict[str, Any]:
    """``current_user`` in templates as Flask-Login's proxy: the user is loaded (and the
    session read) only by a template that looks at it, not for every page drawn."""
    return {"current_user": current_user}


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
    payments: PaymentGateway | None = None,
) -> Flask:
    """Build the Flask application.

    ``settings`` default to the environment (and ``.env``). ``clock``, ``notifier`` and
    ``payments`` may be injected by tests; otherwise they follow the settings.
    """
    if settings is None:
        load_dotenv()
        settings = load_settings()

    root = Path(__file__).resolve().parent.parent
    # The same folder the settings and the Makefile read (KANAVA_INSTANCE_PATH).
    app = _Flask(__name__, instance_path=str(instance_dir()))
    app.session_interface = _SessionInterface()
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
        configure_postgres_pool(db.engine)
    register_migrations(app, db, directory=str(root / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=_select_locale)
    install_template_gettext(app)
    app.after_request(web.remember_language)
    app.after_request(security_headers.add_security_headers)
    app.before_request(guards.refuse_control_characters)
    app.before_request(limits.limit_per_address)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.template_context_processors[None] = [
        _lazy_current_user if f.__name__ == "_user_context_processor" else f
        for f in app.template_context_processors[None]
    ]

    app.extensions["kanava"] = build_kanava(
        settings, clock=clock, payments=payments, notifier=notifier
    )

    app.register_blueprint(sms.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(demo_pay.bp)
    app.register_blueprint(stripe_webhook.bp)
    app.register_blueprint(web_form.bp)
    app.register_blueprint(web_book.bp)
    app.register_blueprint(receipts.bp)
    app.register_blueprint(twilio_status.bp)
    app.register_blueprint(admin_auth.bp)
    app.register_blueprint(admin.bp)  # with admin_privacy's routes
    app.register_blueprint(admin_bookings.bp)
    app.register_blueprint(voice.bp)
    app.register_blueprint(order_page.bp)
    app.register_blueprint(privacy_page.bp)
    metrics.init_app(app)
    request_log.init_app(app, settings)
    if not settings.twilio_configured:
        app.register_blueprint(simulator.bp)
    register_cli(app)
    app.cli.add_command(doctor.doctor)
    web.register(app)
    errors.register(app)
    for name in CSRF_EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])

    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    return app


def _engine_options(url: str) -> dict[str, Any]:
    # Fail within a few seconds rather than wait past Twilio's 15-second webhook timeout:
    # a failed SMS is then kept in the spool instead of being lost. SQL parameters (phone
    # numbers, message texts) are kept out of exception messages and logs. No pool_pre_ping:
    # configure_postgres_pool checks a connection without its round trip per request.
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 5}, "hide_parameters": True}
    return {
        "pool_size": 10,
        "max_overflow": 20,
        "pool_timeout": 5,
        "hide_parameters": True,
        "connect_args": {"connect_timeout": 5, "options": "-c lock_timeout=5000"},
    }
