"""Serving settings from issue 16, as behaviour: SQLite in WAL mode, connection checks only
for idle PostgreSQL connections, no password hashing while the app loads, and gunicorn
loading the app once with no worker recycling. Nothing here is timed."""

from __future__ import annotations

import http.client
import runpy
import socket
import subprocess
import sys

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from intake import extensions
from intake.extensions import db
from intake.staff.accounts import auth
from tests.conftest import make_app, require_service
from tests.servers import ROOT, server_env, wait_for_port
from tests.smtp import free_port

CONF = ROOT / "gunicorn.conf.py"


def pragmas(app) -> tuple[str, int, int]:
    with app.app_context():
        connection = db.session.connection()
        found = tuple(
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout")
        )
        db.session.remove()
        return found


def test_sqlite_files_are_used_in_wal_mode_with_normal_sync(tmp_path):
    """WAL: readers never wait for a writer, and a commit is one fsync of the log."""
    app = make_app(f"sqlite:///{tmp_path / 'wal.db'}", tmp_path)
    assert pragmas(app) == ("wal", 1, extensions.SQLITE_BUSY_TIMEOUT_MS)  # 1 is NORMAL
    assert (tmp_path / "wal.db-wal").exists()


def test_in_memory_sqlite_is_left_alone(tmp_path):
    app = make_app("sqlite://", tmp_path)
    assert pragmas(app)[0] == "memory"
    assert app.test_client().get("/").status_code == 200


def count_pings(monkeypatch, engine) -> list[int]:
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def backend_pid(app) -> int:
    with app.app_context():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()
        return pid


def test_postgresql_checks_only_connections_that_sat_idle(pg_url, tmp_path, monkeypatch):
    """A check per request would be a round trip per request; a dead idle one is replaced."""
    app = make_app(pg_url, tmp_path)
    try:
        with app.app_context():
            pings = count_pings(monkeypatch, db.engine)
        first = backend_pid(app)
        assert backend_pid(app) == first
        assert pings == []  # used a moment ago: not checked

        killer = sa.create_engine(pg_url)
        with killer.begin() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        killer.dispose()
        monkeypatch.setattr(extensions, "IDLE_CHECK_SECONDS", 0.0)
        replaced = backend_pid(app)  # the check finds it dead; the pool connects afresh
        assert pings == [1]
        assert replaced != first
    finally:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


def test_sqlite_connections_are_never_pinged(tmp_path, monkeypatch):
    app = make_app(f"sqlite:///{tmp_path / 'ping.db'}", tmp_path)
    with app.app_context():
        pings = count_pings(monkeypatch, db.engine)
    monkeypatch.setattr(extensions, "IDLE_CHECK_SECONDS", 0.0)
    for _ in range(3):
        assert app.test_client().get("/").status_code == 200
        pragmas(app)
    assert pings == []


#: `import wsgi` as gunicorn does, counting argon2 hashes and database connections made.
LOAD_APP = """
import argon2, sqlalchemy
from sqlalchemy import event

hashes, connections = [], []
real_hash = argon2.PasswordHasher.hash
argon2.PasswordHasher.hash = lambda self, *a, **k: hashes.append(1) or real_hash(self, *a, **k)
event.listen(sqlalchemy.pool.Pool, "connect", lambda *args: connections.append(1))
import wsgi
print(len(hashes), len(connections))
"""


def test_loading_the_app_hashes_no_password_and_opens_no_connection(tmp_path):
    """An argon2 hash at import cost each gunicorn worker ~0.4 s of CPU as it started; with
    preload_app the app is loaded before the workers fork, so it must not connect either."""
    env = server_env(tmp_path, "load.db")
    done = subprocess.run(
        [sys.executable, "-c", LOAD_APP],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "0"]


def test_the_dummy_hash_costs_what_a_real_one_does():
    """Unknown accounts are verified against a constant made with the hasher's own parameters,
    so a failed login takes as long whether or not the account exists."""
    assert not auth._hasher.check_needs_rehash(auth._DUMMY_HASH)
    assert auth._hasher.check_needs_rehash(PasswordHasher(time_cost=1).hash("x"))
    with pytest.raises(VerifyMismatchError):
        auth._hasher.verify(auth._DUMMY_HASH, "any password a person tries")


def test_gunicorn_loads_the_app_once_and_never_recycles_workers(monkeypatch):
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    settings = runpy.run_path(str(CONF))
    assert settings["preload_app"] is True
    assert settings["max_requests"] == 0
    assert callable(settings["post_fork"])


def get(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheader("Set-Cookie") or ""


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_preloaded_workers_answer_from_the_database(tmp_path):
    """gunicorn with this repository's gunicorn.conf.py: two forked workers answer pages that
    read the database (the post_fork hook leaves them no connection of the master's)."""
    require_service(redis_available(), "Redis is not reachable at 127.0.0.1:6379")
    port = free_port()
    env = server_env(
        tmp_path,
        "served.db",
        ("RATELIMIT_", "WEB_CONCURRENCY"),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONF), "wsgi:app"],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(server, port, log.read_text)
            statuses = [get(port, "/resume/no-such-token")[0] for _ in range(20)]
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert set(statuses) == {410}, text  # looked up in the database: an unknown link
    assert text.count("Booting worker") == 2
    assert "Traceback" not in text
