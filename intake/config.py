"""Every setting in one place: a safe default each, overridden by environment variables.

Names follow the extensions' own (SQLALCHEMY_*, MAIL_*) so their documentation applies.
`load_config()` reads the environment when the app is created, never at import time.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

#: The development secret; refused outside development and testing.
DEV_SECRET_KEY = "dev-only-insecure-secret-key"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str) -> int:
    return int(value.strip())


def _cuts(value: str) -> tuple[int, int]:
    low, high = (int(part) for part in value.split(","))
    return low, high


def _weeks(value: str) -> tuple[int, ...]:
    weeks = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    if not weeks or weeks[0] < 1:
        raise ValueError("FOLLOWUP_SCHEDULE takes weeks after the first appointment, like 2,6,12")
    return weeks


def _zone(value: str) -> str:
    from zoneinfo import ZoneInfo

    ZoneInfo(value.strip())  # raises for a name the time-zone database does not know
    return value.strip()


def _holidays(value: str) -> str:
    from intake.clinic_time import public_holidays

    public_holidays(value)  # raises LookupError for a country or region it does not know
    return value.strip()


def _closed_days(value: str) -> tuple[tuple[dt.date, dt.date], ...]:
    """ "2026-12-24..2027-01-01, 2027-04-02": (first, last) pairs."""
    closed = []
    for part in (p.strip() for p in value.split(",")):
        if part:
            first, _, last = (text.strip() for text in part.partition(".."))
            days = (dt.date.fromisoformat(first), dt.date.fromisoformat(last or first))
            if days[0] > days[1]:
                raise ValueError(f"{part} ends before it starts")
            closed.append(days)
    return tuple(closed)


def _hour(value: str) -> int:
    hour = int(value.strip())
    if not 0 <= hour <= 23:
        raise ValueError("an hour of the day is 0 to 23")
    return hour


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


#: name -> (default, parser, one-line description). The README's settings table mirrors this.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "SECRET_KEY": (DEV_SECRET_KEY, str, "Signs sessions and CSRF tokens; required in production"),
    "DATABASE_URL": (None, str, "SQLAlchemy URL; SQLite file in instance/ when unset"),
    "DATABASE_CONNECT_TIMEOUT": (
        5,
        _int,
        "Seconds to wait for PostgreSQL to accept a connection before giving up",
    ),
    "CLINIC_NAME": ("Your Clinic", str, "Shown on every page and in emails"),
    "CLINIC_EMAIL": (["clinic@example.test"], _list, "Where booking requests go (comma list)"),
    "CLINIC_PHONE": ("", str, "Clinic phone number shown to patients"),
    "EMERGENCY_NUMBER": ("999", str, "Emergency number named in urgent advice (999, 911, 112…)"),
    "BASE_URL": ("http://127.0.0.1:5000", str, "Public address, for links in emails"),
    "CLINIC_TIMEZONE": (
        "Europe/London",
        _zone,
        "Time zone staff pages and clinic emails show times in (stored as UTC)",
    ),
    "RESPONSE_WORKING_DAYS": (
        2,
        _int,
        "Working days (Mon–Fri) within which the clinic promises to contact a patient",
    ),
    "CLINIC_HOLIDAYS": (
        "GB-ENG",
        _holidays,
        "Public holidays the clinic is closed on: a country code, a region after a dash "
        "(GB-ENG, GB-SCT, IE, US-NY, DE-BY), or none",
    ),
    "CLINIC_CLOSED_DAYS": (
        (),
        _closed_days,
        "Other days the clinic is closed: dates or first..last ranges, comma-separated "
        "(2026-12-24..2027-01-01)",
    ),
    "DIGEST_HOUR": (
        None,
        _hour,
        "Hour (clinic time, 0–23) of a morning email listing new and overdue requests; unset: none",
    ),
    "DRAFT_TTL": (86400, _int, "Seconds an unfinished questionnaire is kept"),
    "PHONE_REGION": ("GB", str, "Default region for phone numbers without a country code"),
    "PAIN_BAND_CUTS": ((4, 6), _cuts, "NPRS upper bounds of mild and moderate (clinical.md §6.1)"),
    "SESSION_COOKIE_SECURE": (True, _bool, "Send the session cookie over HTTPS only"),
    "PERMANENT_SESSION_LIFETIME": (86400, _int, "Seconds a session cookie lives"),
    "MAX_CONTENT_LENGTH": (65536, _int, "Largest request body accepted, in bytes"),
    "FORCE_HTTPS": (False, _bool, "Redirect HTTP to HTTPS (leave off behind a TLS proxy)"),
    "HSTS": (False, _bool, "Send Strict-Transport-Security (enable when served over TLS)"),
    "MAIL_SERVER": ("", str, "SMTP host; unset writes emails as .eml files in instance/mail"),
    "MAIL_PORT": (25, _int, "SMTP port"),
    "MAIL_USE_TLS": (False, _bool, "STARTTLS"),
    "MAIL_USE_SSL": (False, _bool, "SMTP over TLS"),
    "MAIL_USERNAME": (None, str, "SMTP user"),
    "MAIL_PASSWORD": (None, str, "SMTP password"),
    "MAIL_DEFAULT_SENDER": ("intake@example.test", str, "From address"),
    "MAIL_TIMEOUT": (10, _int, "Seconds before an SMTP connection or reply times out"),
    "MAIL_DATA_TIMEOUT": (
        60,
        _int,
        "Seconds to wait for the mail server to take an email it has been sent in full",
    ),
    "CLINIC_EMAIL_DETAIL": ("full", str, "Health detail in the clinic email: full|summary|minimal"),
    "OUTBOX_POLL_INTERVAL": (5, _int, "Seconds the outbox worker waits between polls"),
    "OUTBOX_MAX_AGE": (172800, _int, "Seconds to keep retrying an email before it is failed"),
    "OUTBOX_MAX_PERMANENT_FAILURES": (3, _int, "5xx refusals of an email before it is failed"),
    "OUTBOX_RETRY_BASE": (30, _int, "Seconds before the first retry; doubles each attempt"),
    "OUTBOX_RETRY_MAX": (3600, _int, "Longest wait between retries, in seconds"),
    "OUTBOX_LEASE": (300, _int, "Seconds after which a message stuck in 'sending' is retried"),
    "OUTBOX_BATCH_SIZE": (50, _int, "Emails a worker claims, sends over one connection, commits"),
    "RULE_REVIEW_DAYS": (365, _int, "Rules not reviewed for this many days are listed for review"),
    "RESUME_LINK_TTL": (86400, _int, "Seconds a 'come back later' link stays valid"),
    "RESUME_LINK_LIMIT": ("3 per hour", str, "'Come back later' emails per draft and per email"),
    "RESUME_LINK_CLIENT_LIMIT": ("10 per hour", str, "'Come back later' emails per client address"),
    "STAFF_IDLE_TIMEOUT": (1800, _int, "Seconds of inactivity after which staff are logged out"),
    "LOGIN_LIMIT": ("5 per minute;30 per hour", str, "Login attempts per address and per account"),
    "PATIENT_RATE_LIMIT": (
        "120 per minute",
        str,
        "Questionnaire form submissions per address (all pages together)",
    ),
    "BOOKING_RATE_LIMIT": ("20 per hour", str, "Booking-form submissions per address"),
    "PROXY_FIX": (0, _int, "Reverse proxies in front whose X-Forwarded-For/-Proto are trusted"),
    "LOG_LEVEL": ("INFO", str, "Least important log lines kept: DEBUG, INFO, WARNING, ERROR"),
    "LOG_FORMAT": ("text", str, "Log lines as text (timestamp level logger [request id]) or json"),
    "RETENTION_DAYS": (2920, _int, "Days booking requests are kept before `purge` deletes them"),
    "UNBOOKED_RETENTION_DAYS": (
        30,
        _int,
        "Days screenings without a booking request, and questionnaire stats, are kept",
    ),
    "OUTBOX_RETENTION_DAYS": (30, _int, "Days copies of sent or failed emails are kept"),
    "FOLLOWUP_SCHEDULE": (
        (2, 6, 12),
        _weeks,
        "Weeks after the first appointment that follow-up questions are sent (comma list)",
    ),
    "FOLLOWUP_REMINDER_DAYS": (3, _int, "Days after a follow-up email that one reminder goes"),
    "FOLLOWUP_LAST_WINDOW_DAYS": (28, _int, "Days the last follow-up's link works"),
    "FOLLOWUP_SEND_HOUR": (9, _int, "Hour (clinic time) follow-ups are due on their day"),
    "RATELIMIT_STORAGE_URI": (
        "memory://",
        str,
        "Rate-limit storage; redis://… for several servers",
    ),
}


class SettingsError(ValueError):
    """Settings that could not be read: every one of them, each in plain words."""

    def __init__(self, problems: list[str]):
        super().__init__(
            "These settings could not be read (fix them in the environment or .env):\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )
        self.problems = problems


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The configuration: defaults, overridden by environment variables (and .env).
    SettingsError lists every value that cannot be read, with what the setting takes."""
    environ = dict(os.environ if environ is None else environ)
    config: dict[str, Any] = {}
    problems = []
    for name, (default, parse, description) in SETTINGS.items():
        raw = environ.get(name)
        try:
            config[name] = parse(raw) if raw not in (None, "") else default
        except (ValueError, LookupError) as error:  # ZoneInfoNotFoundError is a KeyError
            problems.append(f"{name}={raw!r} is not right ({error or 'unknown'}): {description}")
    if problems:
        raise SettingsError(problems)
    database_url = config.pop("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "intake.db")
    )
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    config["SQLALCHEMY_DATABASE_URI"] = database_url
    # hide_parameters: SQL errors and SQL logging never show the values (answers, names).
    # No pool_pre_ping (a round trip per request): extensions.tune_engine checks only
    # connections that sat idle. pool_recycle replaces connections after 30 minutes, before
    # a firewall or server timeout drops them.
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True, "pool_recycle": 1800}
    # A server that never answers (a network that drops packets, a stalled failover) would
    # otherwise hold a request, or a /healthz probe, until TCP gives up minutes later.
    connect_timeout = config.pop("DATABASE_CONNECT_TIMEOUT")
    if database_url.startswith("postgresql"):
        config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {"connect_timeout": connect_timeout}
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    config["MAIL_DIR"] = str(Path(instance_path) / "mail")
    return config
