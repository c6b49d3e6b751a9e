"""Who may see staff pages: login required, sessions that end, admin-only pages, no caching.

The staff blueprints install `require_login` and `no_store`; admin pages add `admin_required`.
A session holds the user's session version from login; logout, a password change and
deactivation bump it (auth.end_sessions), which ends every session of that user at once.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import unquote

from flask import Response, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from intake.audit import audit
from intake.extensions import db, login_manager
from intake.models import User
from intake.staff.accounts import auth

#: Endpoints reachable without logging in.
PUBLIC_ENDPOINTS = {"staff.login"}
#: The session key holding the user's session version at login.
SESSION_VERSION = "staff_session_version"
#: The longest `next` followed after login (a staff URL with its filters is far shorter).
MAX_NEXT_LENGTH = 2000


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login: the session's user; None when unknown, deactivated or the session was ended."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or session.get(SESSION_VERSION) != user.session_version:
        return None
    return user


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
    session[SESSION_VERSION] = user.session_version
    session["staff_seen"] = time.time()
    audit("login")
    return user


def log_out() -> None:
    """Log out (audited): this and every other session of the user ends."""
    audit("logout")
    auth.end_sessions(current_user)
    logout_user()
    session.clear()


def change_own_password(current: str, new: str) -> None:
    """Change the logged-in user's password: their other sessions end, this one stays.

    Raises auth.AccountError when `current` is wrong or `new` is not acceptable.
    """
    auth.change_password(current_user, current, new)
    session[SESSION_VERSION] = current_user.session_version


def safe_next(target: str | None) -> str | None:
    """Only redirect to our own staff pages after login; anything odd (control characters,
    percent-encoded or not; spaces; backslashes; a huge value) is None: the dashboard."""
    if not target or len(target) > MAX_NEXT_LENGTH or not target.startswith("/staff/"):
        return None
    if "\\" in target or any(c.isspace() or _unseen(c) for c in target):
        return None
    decoded = target
    for _ in range(3):  # encoded, and encoded again (an encoded space is a search, and fine)
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            break
        if any(_unseen(character) for character in decoded):
            return None
    return target


#: Control, format (bidi, zero-width), unassigned and line- or paragraph-breaking characters.
_UNSEEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _unseen(character: str) -> bool:
    return unicodedata.category(character) in _UNSEEN
