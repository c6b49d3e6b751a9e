"""`/healthz`: 200 "ok" while the database answers, 503 "unavailable" (and nothing more) when
not; no cookie, no caching, no rate limit, and plain http even with FORCE_HTTPS."""

from __future__ import annotations

import logging
import time

import pytest

from intake import create_app
from intake.config import load_config
from intake.extensions import limiter

SECRET = "a-long-random-production-secret-" + "x" * 32


def production_app(database_url: str, **overrides):
    """An app configured as in production (not testing, not debug) on `database_url`."""
    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": load_config("", {"DATABASE_URL": database_url})[
                "SQLALCHEMY_DATABASE_URI"
            ],
            **overrides,
        }
    )
    assert not app.testing and not app.debug
    return app


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'health.db'}"


def assert_bare(response, body: str) -> None:
    """Only the word: no cookie, no copy kept, plain text."""
    assert response.text == body + "\n"
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_ok_while_the_database_answers(database_url):
    client = production_app(database_url).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert_bare(response, "ok")
    assert "Content-Security-Policy" in response.headers  # Talisman's headers as everywhere
    assert client.head("/healthz").status_code == 200


def test_a_probe_with_an_old_session_cookie_gets_no_new_one(sqlite_url, tmp_path):
    """A browser that has a session (a patient's draft) and opens /healthz keeps it unchanged."""
    app = production_app(sqlite_url, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    with client.session_transaction() as session:
        session["draft_id"] = 1
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "database_url",
    [
        "sqlite:///{tmp}/no/such/folder/intake.db",  # SQLite cannot create it there
        "postgresql://intake:hunter2-secret@127.0.0.1:1/intake?connect_timeout=2",  # closed port
    ],
    ids=["sqlite-missing-folder", "postgresql-closed-port"],
)
def test_unavailable_when_the_database_cannot_be_reached(database_url, tmp_path, caplog):
    app = production_app(database_url.format(tmp=tmp_path))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert_bare(response, "unavailable")  # no error text, host, version or setting
    logged = caplog.text
    assert "the database did not answer (OperationalError)" in logged
    for detail in ("hunter2", "127.0.0.1", "no/such/folder", "unable to open"):
        assert detail not in logged


def test_plain_http_is_answered_even_with_force_https(sqlite_url):
    """A load balancer probes the app server over http; a redirect would say nothing."""
    client = production_app(sqlite_url, FORCE_HTTPS=True).test_client()
    assert client.get("/staff/login").status_code == 302  # FORCE_HTTPS is on for the rest
    response = client.get("/healthz", base_url="http://10.0.0.5:8000")
    assert response.status_code == 200
    assert_bare(response, "ok")


@pytest.fixture
def application_limit():
    """An application-wide rate limit of 2 a minute (Flask-Limiter keeps it on the shared
    limiter, so it is removed afterwards)."""
    yield {"RATELIMIT_APPLICATION": "2 per minute"}
    limiter.limit_manager.set_application_limits([])


def test_never_rate_limited(sqlite_url, application_limit):
    """Even when a limit covers every page, one address probing often is always answered."""
    client = production_app(sqlite_url, **application_limit).test_client()
    assert [client.get("/healthz").status_code for _ in range(6)] == [200] * 6
    pages = [client.get("/staff/login", base_url="https://x").status_code for _ in range(3)]
    assert pages[-1] == 429  # the limit is in force elsewhere


def test_unavailable_when_the_database_accepts_but_never_answers():
    """A PostgreSQL address that takes the connection and then says nothing (a stalled server
    or failover): DATABASE_CONNECT_TIMEOUT ends the wait and the probe gets 503, instead of
    hanging until TCP gives up minutes later."""
    import socket
    import threading

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads or writes
    port = silent.getsockname()[1]
    config = load_config(
        "",
        {
            "DATABASE_URL": f"postgresql://intake@127.0.0.1:{port}/intake",
            "DATABASE_CONNECT_TIMEOUT": "1",
        },
    )
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 1}
    app = production_app(
        f"postgresql://intake@127.0.0.1:{port}/intake",
        SQLALCHEMY_ENGINE_OPTIONS=config["SQLALCHEMY_ENGINE_OPTIONS"],
    )
    answers = []
    probe = threading.Thread(
        target=lambda: answers.append(app.test_client().get("/healthz")), daemon=True
    )
    try:
        probe.start()
        probe.join(60)  # a liveness bound, far above the 1 s timeout: without it, no answer
        assert answers, "the probe was still waiting for the database after 60 s"
        assert answers[0].status_code == 503
        assert_bare(answers[0], "unavailable")
    finally:
        silent.close()


def test_the_connect_timeout_is_postgresql_only():
    sqlite = load_config("", {"DATABASE_URL": "sqlite:///x.db"})
    assert "connect_args" not in sqlite["SQLALCHEMY_ENGINE_OPTIONS"]
    assert load_config("", {"DATABASE_URL": "postgres://u@h/d"})["SQLALCHEMY_ENGINE_OPTIONS"][
        "connect_args"
    ] == {"connect_timeout": 5}
