"""Fixtures: an app per database backend, a client, a CLI runner, and service helpers.

Tests needing a service (PostgreSQL, Chromium) skip with a reason when it is missing, except
when INTAKE_REQUIRE_SERVICES=1 (set by .ci/run), where a missing service fails the run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from intake import create_app
from intake.extensions import db
from intake.staff.rules.rulesets import seed_default, seed_test_cases

REQUIRE_SERVICES = os.environ.get("INTAKE_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def require_service(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) when a service the test needs is not available."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (required: INTAKE_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    """Whether PostgreSQL answers at TEST_DATABASE_URL."""
    return _postgres_available()


@contextlib.contextmanager
def postgres_schema(name: str) -> Iterator[str]:
    """A fresh PostgreSQL schema of TEST_DATABASE_URL, dropped afterwards; yields its URL."""
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {name}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{name}"
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_available) -> Iterator[str | None]:
    """A schema of this run's own, so parallel runs never collide (None without PostgreSQL)."""
    if not postgres_available:
        yield None
        return
    with postgres_schema(f"intake_test_{os.getpid()}") as url:
        yield url


@pytest.fixture
def pg_url(postgres_url) -> str:
    """The PostgreSQL URL of this run, or a skip (a failure in CI) when there is none."""
    require_service(postgres_url is not None, f"PostgreSQL is not reachable at {POSTGRES_URL}")
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Each database test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_url")


def make_app(database_url: str, tmp_path, **overrides):
    """An app for tests, with its schema created and the default rules published."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_SECURE": False,
        "WTF_CSRF_ENABLED": False,
        "MAIL_DIR": str(tmp_path / "mail"),
        "CLINIC_NAME": "Test Clinic",
        "EMERGENCY_NUMBER": "999",
        # tests post far faster than people; tests of the limits set their own
        "PATIENT_RATE_LIMIT": "100000 per minute",
        "BOOKING_RATE_LIMIT": "100000 per minute",
        "RESUME_LINK_LIMIT": "100000 per minute",
        "RESUME_LINK_CLIENT_LIMIT": "100000 per minute",
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_default()
        seed_test_cases()
        db.session.commit()
    return app


@pytest.fixture
def app(database_url: str, tmp_path) -> Iterator:
    """The application on a fresh database."""
    app = make_app(database_url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


STAFF_PASSWORD = "correct horse battery staple"


def create_staff(app, email: str = "staff@clinic.example.com", role: str = "staff"):
    """A staff account with STAFF_PASSWORD; returns its id."""
    from intake.staff.accounts import auth

    with app.app_context():
        user = auth.create_user(email, STAFF_PASSWORD, role)
        db.session.commit()
        return user.id


def login(client, email: str = "staff@clinic.example.com", password: str = STAFF_PASSWORD):
    """Log a test client in; returns the response."""
    return client.post("/staff/login", data={"email": email, "password": password})


@pytest.fixture
def staff_client(app):
    """A client logged in as a staff member."""
    create_staff(app)
    client = app.test_client()
    assert login(client).status_code == 302
    return client


@pytest.fixture
def admin_client(app):
    """A client logged in as an admin."""
    create_staff(app, "admin@clinic.example.com", "admin")
    client = app.test_client()
    assert login(client, "admin@clinic.example.com").status_code == 302
    return client
