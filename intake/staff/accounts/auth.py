"""Staff accounts: password hashing (argon2id), login, roles, audit records."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select

from intake.audit import audit
from intake.extensions import db
from intake.models import AuditEvent, User, utcnow

ROLES = ("staff", "admin")
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
#: verified against when the account does not exist, so timing does not reveal accounts. A
#: constant made with the hasher's parameters (a test keeps them equal), not hashed at import:
#: that cost every gunicorn worker about 0.4 s of CPU as it started.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$SUEs3yguGXpNoGMG1I0Fbg$"
    "PQK4UK+AMt46DrJEqDHKXqjeZhOTss8gYLdPwqYndVs"
)


class AccountError(ValueError):
    """A user-management request that cannot be done; the message says why."""


def normalise_email(email: str) -> str:
    """Emails are compared and stored lower-case, without surrounding spaces."""
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 256:
        return "Use 256 characters or fewer"
    return None


def create_user(email: str, password: str, role: str = "staff") -> User:
    """A new staff account; raises AccountError. Flushes."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("Enter an email address")
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if find_user(email) is not None:
        raise AccountError(f"An account for {email} already exists")
    user = User(email=email, password_hash=_hasher.hash(password), role=role)
    db.session.add(user)
    db.session.flush()
    return user


def find_user(email: str) -> User | None:
    """The account with this email, if any."""
    return db.session.scalars(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).first()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; upgrades old hashes."""
    user = find_user(email)
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_password(user: User, password: str) -> None:
    """Change a password and end the user's sessions; AccountError when it is not acceptable."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user.password_hash = _hasher.hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session of this user: each holds the session version it logged in with."""
    user.session_version = (user.session_version or 0) + 1


def change_password(user: User, current: str, new: str) -> None:
    """A user changes their own password (audited); AccountError if `current` is wrong."""
    if not check_password(user, current):
        raise AccountError("Your current password is not right")
    set_password(user, new)
    audit("password_change", f"user:{user.id}")


def check_password(user: User, password: str) -> bool:
    """Whether `password` is the user's current password."""
    return _verify(user.password_hash, password)


def users() -> list[User]:
    """Every staff account, by email address."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def get_user(user_id: int) -> User | None:
    """One staff account, or None."""
    return db.session.get(User, user_id)


def deactivate(user: User, *, by: User | None = None, actor: str | None = None) -> bool:
    """Stop an account logging in and end its sessions (audited); False if it already could not.

    Raises AccountError when `by` is the account itself: nobody locks themselves out.
    """
    if by is not None and user.id == by.id:
        raise AccountError("You cannot deactivate your own account.")
    if not user.active:
        return False
    user.active = False
    end_sessions(user)
    audit("user_deactivate", f"user:{user.id}", actor=actor, email=user.email)
    return True


AUDIT_PAGE_SIZE = 100


def audit_page(page: int) -> list[AuditEvent]:
    """One page of the audit log, newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .order_by(AuditEvent.id.desc())
            .limit(AUDIT_PAGE_SIZE)
            .offset((page - 1) * AUDIT_PAGE_SIZE)
        )
    )
