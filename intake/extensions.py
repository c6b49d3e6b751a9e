"""Flask extensions, created unbound and initialised in the application factory; each
database engine tuned for its kind of database (`tune_engine`)."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

#: A pooled PostgreSQL connection unused for longer than this is checked before use.
IDLE_CHECK_SECONDS = 10.0
#: How long a SQLite write waits for another process's write to finish, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 5000


class Base(DeclarativeBase):
    """Declarative base of every model."""


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, with each of the app's engines tuned by `tune_engine`."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        with app.app_context():
            for engine in self.engines.values():
                tune_engine(engine)


def tune_engine(engine: Engine) -> None:
    """Connection checks only where they pay, and SQLite set up for several processes.

    PostgreSQL: SQLAlchemy's pool_pre_ping would cost a round trip on every request. A
    connection used in the last IDLE_CHECK_SECONDS is almost surely alive, so only one idle
    for longer is checked (and replaced if dead) before use. A connection that dies while
    busy (a database restart under load) fails that one request and SQLAlchemy then replaces
    every connection of the pool, as it would have failed mid-request anyway.

    SQLite: a file, never a lost connection, so no check. WAL mode lets pages be read while a
    write is under way and commits with one fsync of the log instead of several; with
    synchronous=NORMAL a power cut (not a crash of the app) can lose the last commits but never
    corrupts the database. A write waits up to SQLITE_BUSY_TIMEOUT_MS for another process's.
    """
    if engine.dialect.name == "sqlite":
        in_memory = engine.url.database in (None, "", ":memory:")
        if not in_memory and engine.url.query.get("mode") != "memory":
            event.listen(engine, "connect", _sqlite_wal)
        return
    event.listen(engine, "checkin", _checked_in)
    event.listen(engine, "checkout", _check_if_idle(engine))


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """Each new SQLite connection: WAL journal, one fsync per checkpoint, a busy timeout."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _check_if_idle(engine: Engine) -> Any:
    """A checkout listener: ping a connection idle for long; a dead one is replaced."""

    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("checked_in")
        if idle_since is None or time.monotonic() - idle_since < IDLE_CHECK_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the pool connects afresh and tries again
            raise exc.DisconnectionError("idle connection is gone") from error

    return check


db = Database(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
mail = Mail()
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Log in to see that page."
login_manager.session_protection = "strong"
#: storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis:// for several servers)
limiter = Limiter(key_func=get_remote_address, default_limits=[])
