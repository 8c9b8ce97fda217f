"""Sign-in and sign-out of the panel (``/admin/login``, ``/admin/logout``), and roles.

Flask-Login keeps the signed-in user in the session cookie (HttpOnly, SameSite=Lax, Secure
behind https; set in ``create_app``). Failed attempts are limited per name and per address
in the database (:func:`app.panel.queries.sign_in`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from app.extensions import db, kanava, login_manager
from app.models import User
from app.panel import queries as panel
from app.texts.messages import page_time

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")
F = TypeVar("F", bound=Callable[..., Any])


class PanelUser(UserMixin):  # type: ignore[misc]
    """The signed-in staff member as Flask-Login sees them; ``user`` is the database row."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = panel.session_id_of(user)
        self.name = user.name
        self.role = user.role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _load_user(session_id: str) -> PanelUser | None:
    user = panel.user_for_session(db.session(), session_id)
    return PanelUser(user) if user else None


login_manager.user_loader(_load_user)


login_manager.login_view = "admin_auth.login"
login_manager.login_message = None


def staff() -> User:
    """The signed-in user's database row (only inside views that require sign-in)."""
    user: User = current_user.user
    return user


def admin_required(view: F) -> F:
    """Only admins; an attendant gets 403, a visitor the sign-in page."""

    @functools.wraps(view)
    def wrapper(*args: object, **kwargs: object) -> object:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path inside the panel, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or "\\" in target:
        return default
    return target


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template(
        "admin/error.html",
        message=_(
            "The form was refused because its security token is missing or expired. "
            "Reload the page and try again."
        ),
    ), 400


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("admin.plate_check"))
    error = None
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "")[:80]
        k = kanava()
        try:
            user = panel.sign_in(
                db.session(),
                name,
                request.form.get("password", ""),
                request.remote_addr,
                k.clock(),
            )
        except panel.PanelError as exc:
            if exc.code == "locked":
                until = cast(datetime, exc.details["until"])
                error = _(
                    "Too many failed attempts. Try again after %(time)s.",
                    time=page_time(until, "HH:mm"),
                )
            else:
                error = _("Wrong user name or password.")
            return render_template("admin/login.html", error=error, name=name), 401
        login_user(PanelUser(user))
        return redirect(safe_next(request.args.get("next"), url_for("admin.plate_check")))
    return render_template("admin/login.html", error=error, name=name)


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    flash(_("You have signed out."))
    return redirect(url_for("admin_auth.login"))
