"""Production settings: the secret key is required, cookies and headers are locked down, proxy
headers are trusted only when configured, and oversized or NUL-laden requests are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from intake import create_app
from intake.config import DEV_SECRET_KEY
from intake.extensions import db
from intake.models import AuditEvent
from intake.staff.rules.rulesets import seed_default
from tests import journeys
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent
HTTPS = "https://intake.example.test"


@pytest.fixture
def clean_environ(monkeypatch, tmp_path):
    """No settings from the environment of whoever runs the tests."""
    for name in ("SECRET_KEY", "FLASK_DEBUG", "FLASK_ENV", "HSTS", "PROXY_FIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTAKE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")


def production_app(tmp_path, **overrides):
    """An app configured as in production (not testing, not debug), on a fresh SQLite file."""
    app = create_app(
        {
            "SECRET_KEY": "a-long-random-production-secret-" + "x" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
            "MAIL_DIR": str(tmp_path / "mail"),
            **overrides,
        }
    )
    assert not app.testing and not app.debug
    with app.app_context():
        db.create_all()
        seed_default()
        db.session.commit()
    return app


def test_refuses_to_start_with_the_default_secret_key(clean_environ):
    with pytest.raises(RuntimeError) as error:
        create_app()
    message = str(error.value)
    assert "SECRET_KEY" in message
    assert "secrets.token_hex(32)" in message  # says how to make one
    assert "FLASK_DEBUG=1" in message


def test_the_default_key_is_accepted_in_debug_and_testing(clean_environ, monkeypatch):
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == DEV_SECRET_KEY
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app().debug


def test_gunicorn_entry_point_exits_with_the_explanation(tmp_path):
    """`import wsgi` (what gunicorn does) fails before serving anything without a key."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "FLASK_DEBUG", "FLASK_ENV"}
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "INTAKE_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
    }
    # run from an empty directory, so no .env file supplies a key
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_session_cookie_is_secure_httponly_and_samesite_lax(tmp_path):
    client = production_app(tmp_path).test_client()
    response = client.get("/staff/login", base_url=HTTPS)  # puts a CSRF token in the session
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly"} <= attributes
    assert "SameSite=Lax" in cookie


def test_security_headers(tmp_path):
    client = production_app(tmp_path).test_client()
    for path in ("/", "/staff/login", "/no-such-page"):
        response = client.get(path, base_url=HTTPS)
        csp = response.headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert directives["frame-ancestors"] == "'none'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_hsts_over_https_when_enabled(tmp_path):
    client = production_app(tmp_path, HSTS=True).test_client()
    hsts = client.get("/", base_url=HTTPS).headers["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600
    # never over plain http (a browser ignores it there, and it would be a lie)
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_no_hsts_unless_enabled(tmp_path):
    client = production_app(tmp_path).test_client()
    assert "Strict-Transport-Security" not in client.get("/", base_url=HTTPS).headers


def test_behind_a_trusted_proxy_the_forwarded_address_and_scheme_count(tmp_path):
    app = production_app(tmp_path, HSTS=True, PROXY_FIX=1)
    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    response = client.get("/staff/login", headers=headers)
    assert "Strict-Transport-Security" in response.headers
    token = response.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/staff/login",
        data={"email": "nobody@example.test", "password": "x", "csrf_token": token},
        headers=headers | {"Referer": "https://localhost/staff/login"},
    )
    with app.app_context():
        event = db.session.scalars(db.select(AuditEvent)).one()
        assert event.action == "login_failed"
        assert event.remote_addr == "203.0.113.9"


def test_without_proxy_fix_forwarded_headers_are_not_believed(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path)
    client = app.test_client()
    client.post(
        "/staff/login",
        data={"email": "nobody@example.test", "password": "x"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    with app.app_context():
        assert db.session.scalars(db.select(AuditEvent)).one().remote_addr == "127.0.0.1"


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_413(response) -> None:
    assert response.status_code == 413
    page = text(response)
    assert "That was too much to send" in page
    assert '<link rel="stylesheet"' in page  # the styled error page, not werkzeug's


def test_a_body_over_the_size_limit_gets_the_styled_413_page(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    client = app.test_client()
    big = "x" * (65 * 1024)
    client.post("/start")
    assert_413(client.post("/questions/about_you", data={"respondent": "self", "age": big}))
    assert_413(
        client.post("/questions/about_you", data={"age": big}, content_type="multipart/form-data")
    )
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    client.post("/check")
    assert_413(client.post("/booking", data=dict(journeys.BOOKING, message=big)))
    assert_413(client.post("/staff/login", data={"email": big, "password": "x"}))


def test_with_csrf_on_the_413_comes_before_the_token_check(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    for path in ("/start", "/questions/about_you", "/booking", "/staff/login"):
        assert_413(client.post(path, data={"x": "x" * (65 * 1024)}))


def test_a_body_just_under_the_limit_is_read(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'u.db'}", tmp_path)
    client = app.test_client()
    client.post("/start")
    response = client.post(
        "/questions/about_you", data={"respondent": "self", "age": "x" * (60 * 1024)}
    )
    assert response.status_code == 302  # read, refused, and held for the page it goes back to
    assert client.get("/questions/about_you").status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/staff/login", {"email": "a\x00b@example.test", "password": "x"}),
        ("post", "/staff/login", {"email\x00": "a@example.test"}),
        ("post", "/start", {"resume": "\x00"}),
        ("get", "/staff/login?next=%00", None),
    ],
)
def test_nul_characters_are_refused_with_400(database_url, tmp_path, method, path, data):
    """PostgreSQL refuses NUL in text and JSON; before this guard such a request was a 500."""
    app = make_app(database_url, tmp_path)
    response = getattr(app.test_client(), method)(path, data=data)
    assert response.status_code == 400
    assert "Sorry, there is a problem with that request" in text(response)
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.mark.parametrize("body", ["1", "[1, 2]", '"text"', '{"email": "a@example.com"}'])
def test_json_bodies_are_refused_not_500(tmp_path, body):
    app = make_app(f"sqlite:///{tmp_path / 'json.db'}", tmp_path)
    client = app.test_client()
    for path in ("/staff/login", "/start", "/booking"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 415, path
        assert "Sorry, that did not work" in response.text
