"""The checks behind `flask --app wsgi doctor`: each finds one way a production configuration
would go wrong and says, in plain words, what would happen and what to set.

Settings checks read the configuration and how gunicorn will run the app (`Server`); database
checks connect. No message repeats a secret (the key, a password): only its name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app

from intake.config import DEV_SECRET_KEY
from intake.extensions import db
from intake.hardening import unshared_limits_problem
from intake.staff.rules.rulesets import NoRuleSet, current_version

#: Shorter keys can be guessed; 32 characters is what `secrets.token_hex(16)` gives, and the
#: README asks for token_hex(32).
MIN_SECRET_KEY_LENGTH = 32
MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"
#: Domains reserved for examples (RFC 2606 and 6761): mail to them goes nowhere.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
EXAMPLE_SUFFIXES = (".test", ".example", ".invalid", ".localhost")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass(frozen=True)
class Server:
    """How gunicorn will run the app: how many workers, and the addresses it listens on."""

    workers: int
    binds: tuple[str, ...]

    @property
    def loopback_only(self) -> bool:
        """Only this machine can connect, so https must end at a proxy on this machine."""
        hosts = {bind.rpartition(":")[0] for bind in self.binds}
        return bool(self.binds) and hosts <= LOOPBACK_HOSTS


#: A settings check: a problem in words, or None.
Check = Callable[[Mapping[str, Any], Server], str | None]


def _https(config: Mapping[str, Any]) -> bool:
    return urlsplit(config["BASE_URL"]).scheme == "https"


def _sqlite(config: Mapping[str, Any]) -> bool:
    return config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def _is_example(address: str) -> bool:
    domain = address.rpartition("@")[2].strip().lower().rstrip(">")
    return domain in EXAMPLE_DOMAINS or domain.endswith(EXAMPLE_SUFFIXES)


def secret_key(config: Mapping[str, Any], server: Server) -> str | None:
    """The development key is public (it is in the code); a short key can be guessed."""
    key = config["SECRET_KEY"]
    if key == DEV_SECRET_KEY:
        return (
            "SECRET_KEY is the development key, which anyone can read in the code and use to "
            "forge a staff login; the app refuses to start with it. Set SECRET_KEY to the "
            f"output of `{MAKE_A_KEY}`, the same on every server."
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"SECRET_KEY is only {len(key)} characters long, short enough to guess and forge a "
            f"staff login. Set it to at least {MIN_SECRET_KEY_LENGTH} random characters, such "
            f"as the output of `{MAKE_A_KEY}`."
        )
    return None


def debug_mode(config: Mapping[str, Any], server: Server) -> str | None:
    """Debug mode is for `make run`: it lets the development key through, turns off FORCE_HTTPS."""
    if not config.get("DEBUG"):
        return None
    return (
        "Debug mode is on (FLASK_DEBUG): it is for development only, accepts the development "
        "SECRET_KEY and turns FORCE_HTTPS off. Remove FLASK_DEBUG from the settings."
    )


def base_url(config: Mapping[str, Any], server: Server) -> str | None:
    """Links in emails are built from BASE_URL."""
    if _https(config):
        return None
    return (
        f"BASE_URL is {config['BASE_URL']}, not an https address: links in emails (the "
        "clinic's link to each request, patients' 'come back later' links) are built from it "
        "and would travel unencrypted or lead nowhere. Set BASE_URL to the https address "
        "patients use, such as https://intake.example-clinic.org."
    )


def mail_server(config: Mapping[str, Any], server: Server) -> str | None:
    """Without MAIL_SERVER emails are only files: the clinic would never hear of a booking."""
    if config["MAIL_SERVER"]:
        return None
    return (
        f"MAIL_SERVER is not set: emails are only written as files to {config['MAIL_DIR']}, so "
        "the clinic never receives booking requests and patients get no confirmation. Set "
        "MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME and MAIL_PASSWORD for the "
        "clinic's mail provider."
    )


def example_addresses(config: Mapping[str, Any], server: Server) -> str | None:
    """The shipped addresses are examples: mail to or from them goes nowhere."""
    if any(_is_example(address) for address in config["CLINIC_EMAIL"]):
        return (
            f"CLINIC_EMAIL is an example address ({', '.join(config['CLINIC_EMAIL'])}): booking "
            "requests would go nowhere. Set CLINIC_EMAIL to the clinic's address (several "
            "separated by commas)."
        )
    return None


def sender_address(config: Mapping[str, Any], server: Server) -> str | None:
    """Mail servers refuse or bin email from a domain that does not exist."""
    if not _is_example(str(config["MAIL_DEFAULT_SENDER"])):
        return None
    return (
        f"MAIL_DEFAULT_SENDER is an example address ({config['MAIL_DEFAULT_SENDER']}): mail "
        "servers refuse or bin email from it. Set it to an address of the clinic's domain "
        "that its mail server may send from."
    )


def rate_limit_storage(config: Mapping[str, Any], server: Server) -> str | None:
    """Per-process counts with several workers (the check gunicorn.conf.py runs at start)."""
    return unshared_limits_problem(server.workers, config["RATELIMIT_STORAGE_URI"])


def sqlite_workers(config: Mapping[str, Any], server: Server) -> str | None:
    """SQLite takes one writer at a time, on one machine."""
    if not _sqlite(config) or server.workers <= 1:
        return None
    return (
        f"DATABASE_URL is a SQLite file and gunicorn would run {server.workers} workers: SQLite "
        "lets one process write at a time, so when several patients send answers at once "
        "some fail with 'database is locked', and no second server can share it. Use "
        "PostgreSQL (DATABASE_URL=postgresql://…; see the README, 'PostgreSQL')."
    )


def proxy_fix(config: Mapping[str, Any], server: Server) -> str | None:
    """gunicorn serves plain http on loopback; https at BASE_URL means a proxy in front."""
    if config["PROXY_FIX"] or not _https(config) or not server.loopback_only:
        return None
    return (
        f"PROXY_FIX is 0, but BASE_URL is https while gunicorn listens on "
        f"{', '.join(server.binds)} only, so a reverse proxy on this machine ends https: "
        "without PROXY_FIX the app sees every patient at the proxy's address, so all share "
        "one rate limit and the audit log records the proxy. Set PROXY_FIX=1 (the number of "
        "proxies in front of the app)."
    )


def cookie_secure(config: Mapping[str, Any], server: Server) -> str | None:
    """`make run` turns it off for http on 127.0.0.1; production must not."""
    if config["SESSION_COOKIE_SECURE"]:
        return None
    return (
        "SESSION_COOKIE_SECURE is false: the session cookie (staff logins, a patient's "
        "answers in progress) would also travel over plain http, where it can be read and "
        "reused. Remove SESSION_COOKIE_SECURE=false (it is true by default)."
    )


def hsts(config: Mapping[str, Any], server: Server) -> str | None:
    """Without HSTS a first visit over http can be intercepted before the redirect."""
    if config["HSTS"] or not _https(config):
        return None
    return (
        "HSTS is off although BASE_URL is https: browsers are not told to always use https, "
        "so a visit typed without it can be intercepted. Set HSTS=true."
    )


#: In the order they are reported.
SETTINGS_CHECKS: tuple[Check, ...] = (
    secret_key,
    debug_mode,
    base_url,
    cookie_secure,
    hsts,
    proxy_fix,
    mail_server,
    example_addresses,
    sender_address,
    rate_limit_storage,
    sqlite_workers,
)


def settings_problems(config: Mapping[str, Any], server: Server) -> list[str]:
    """What is wrong with these settings, one sentence or two each."""
    return [problem for check in SETTINGS_CHECKS if (problem := check(config, server))]


def database_error() -> Exception | None:
    """`SELECT 1` through the app's engine (the health check's test): the error, or None."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        return error
    return None


def database_problems() -> list[str]:
    """Whether the database answers, has every migration and a published rule set.

    Each step needs the one before, so the first problem found is the only one reported.
    """
    for check in (_database_file, _database_answers, _migrations, _rule_set):
        problem = check()
        if problem:
            return [problem]
    return []


def _database_file() -> str | None:
    """Connecting would create a missing SQLite file; say it is missing instead."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if Path(url.database).exists():
        return None
    return (
        f"The SQLite database file {url.database} does not exist: run `flask --app wsgi db "
        "upgrade`, then `flask --app wsgi rules seed`, with these settings."
    )


def _database_answers() -> str | None:
    error = database_error()
    if error is None:
        return None
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    where = db.engine.url.render_as_string(hide_password=True)
    return (
        f"The database at {where} cannot be reached ({reason}). Check DATABASE_URL, and that "
        "the database server is running and lets this machine in."
    )


def _migrations() -> str | None:
    """The schema must be the one this code expects (`db upgrade` after every release)."""
    scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    heads = set(scripts.get_heads())
    migration_log = logging.getLogger("alembic.runtime.migration")
    level = migration_log.level
    migration_log.setLevel(logging.WARNING)  # not "Context impl SQLiteImpl." under the report
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        migration_log.setLevel(level)
    if current == heads:
        return None
    if not current:
        return (
            "The database has no migrations applied (no tables for the app): run `flask --app "
            "wsgi db upgrade`, then `flask --app wsgi rules seed`."
        )
    unknown = sorted(revision for revision in current if not _known(scripts, revision))
    if unknown:
        return (
            f"The database is at migration {', '.join(unknown)}, which this version of the "
            "code does not have: a newer release upgraded it. Run that release, or restore the "
            "backup taken before the upgrade."
        )
    return (
        f"The database is at migration {', '.join(sorted(current))}, not the latest "
        f"({', '.join(sorted(heads))}): back it up, then run `flask --app wsgi db upgrade` "
        "(see the README, 'Upgrading')."
    )


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:  # alembic's word for an unknown revision
        return False


def _rule_set() -> str | None:
    try:
        current_version()
    except NoRuleSet:
        return (
            "No screening rules are published, so every finished questionnaire would end on "
            "an error page: run `flask --app wsgi rules seed` (the shipped rules, which the "
            "clinic's responsible physiotherapist must sign off)."
        )
    return None
