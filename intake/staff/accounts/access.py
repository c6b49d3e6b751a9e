"""Who may see staff pages: login required, idle sessions end, admin-only pages, no caching.

The staff blueprints install `require_login` and `no_store`; admin pages add `admin_required`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from intake.audit import audit
from intake.models import User
from intake.staff.accounts import auth

#: Endpoints reachable without logging in.
PUBLIC_ENDPOINTS = {"staff.login"}


def require_login():
    """Every staff page needs login; idle sessions end."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    now = time.time()
    last_seen = session.get("staff_seen", now)
    if now - last_seen > current_app.config["STAFF_IDLE_TIMEOUT"]:
        logout_user()
        session.pop("staff_seen", None)
        flash("You were logged out after a period of inactivity.")
        return redirect(url_for("staff.login", next=request.full_path))
    session["staff_seen"] = now
    return None


def no_store(response: Response) -> Response:
    """Staff pages hold health data: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def admin_required(view: Callable) -> Callable:
    """Only admins; other staff get 403 (login is checked by the blueprint)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def log_in(email: str, password: str) -> User | None:
    """Log in on a fresh session (no fixation) and start the idle clock; audited either way.

    Returns None when the email and password do not match an active account.
    """
    user = auth.authenticate(email, password)
    if user is None:
        audit("login_failed", actor=auth.normalise_email(email)[:254])
        return None
    session.clear()
    login_user(user)
    session["staff_seen"] = time.time()
    audit("login")
    return user


def log_out() -> None:
    """Log out (audited) and forget everything the session held."""
    audit("logout")
    logout_user()
    session.clear()


def safe_next(target: str | None) -> str | None:
    """Only redirect to our own staff pages after login."""
    if target and target.startswith("/staff/") and not target.startswith("//"):
        return target
    return None
