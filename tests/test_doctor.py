"""`flask --app wsgi doctor`: each problem of a production configuration is named in plain
words with what to do, the exit status says whether there was any, and the development
SECRET_KEY (which stops every other command) is reported like the rest, without a traceback."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from intake import create_app, static_files
from intake.config import DEV_SECRET_KEY, load_config
from intake.extensions import db
from intake.ops import doctor
from intake.ops.checks import Server, settings_problems
from intake.staff.rules.rulesets import seed_default
from tests.conftest import postgres_schema

pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
KEY = "5f0c8e1d2b3a49687766554433221100ffeeddccbbaa99887766554433221100"

#: A production configuration doctor finds nothing wrong with. The settings checks never
#: connect, so the PostgreSQL and Redis servers named need not exist.
GOOD = {
    "SECRET_KEY": KEY,
    "DATABASE_URL": "postgresql://intake:db-password@db.internal:5432/intake",
    "BASE_URL": "https://intake.riverside-physio.co.uk",
    "CLINIC_EMAIL": "desk@riverside-physio.co.uk",
    "MAIL_SERVER": "smtp.riverside-physio.co.uk",
    "MAIL_DEFAULT_SENDER": "intake@riverside-physio.co.uk",
    "HSTS": "true",
    "PROXY_FIX": "1",
    "RATELIMIT_STORAGE_URI": "redis://redis.internal:6379/0",
}
#: gunicorn as gunicorn.conf.py runs it: several workers, loopback only (a proxy in front).
SERVER = Server(workers=5, binds=("127.0.0.1:8000",))


def settings(tmp_path, **env: str) -> dict:
    return load_config(str(tmp_path), {**GOOD, **env})


def test_a_production_configuration_has_no_problems(tmp_path):
    assert settings_problems(settings(tmp_path), SERVER) == []


# (settings changed, gunicorn, words the one problem must contain)
CASES = {
    "dev-key": ({"SECRET_KEY": DEV_SECRET_KEY}, SERVER, ["SECRET_KEY is the development key"]),
    "short-key": (
        {"SECRET_KEY": "not-long-enough-31-characters.."},
        SERVER,
        ["SECRET_KEY is only 31 characters long", "secrets.token_hex(32)"],
    ),
    "http-base-url": (
        {"BASE_URL": "http://intake.riverside-physio.co.uk", "HSTS": "false"},
        SERVER,
        ["BASE_URL is http://intake.riverside-physio.co.uk, not an https address"],
    ),
    "no-mail-server": ({"MAIL_SERVER": ""}, SERVER, ["MAIL_SERVER is not set", "/mail"]),
    "example-clinic-email": (
        {"CLINIC_EMAIL": "desk@riverside-physio.co.uk, clinic@example.test"},
        SERVER,
        ["CLINIC_EMAIL is an example address"],
    ),
    "example-sender": (
        {"MAIL_DEFAULT_SENDER": "Intake <intake@example.com>"},
        SERVER,
        ["MAIL_DEFAULT_SENDER is an example address"],
    ),
    "memory-limits-default-workers": (
        {"RATELIMIT_STORAGE_URI": "memory://"},
        SERVER,
        ["Rate limits would not hold: 5 workers", "RATELIMIT_STORAGE_URI=redis://"],
    ),
    "sqlite-workers": (
        {"DATABASE_URL": "sqlite:////srv/intake/instance/intake.db"},
        Server(3, ("127.0.0.1:8000",)),
        ["SQLite file and gunicorn would run 3 workers", "PostgreSQL"],
    ),
    "no-proxy-fix": (
        {"PROXY_FIX": "0"},
        SERVER,
        ["PROXY_FIX is 0", "127.0.0.1:8000", "Set PROXY_FIX=1"],
    ),
    "insecure-cookie": (
        {"SESSION_COOKIE_SECURE": "false"},
        SERVER,
        ["SESSION_COOKIE_SECURE is false"],
    ),
    "no-hsts": ({"HSTS": "false"}, SERVER, ["HSTS is off", "HSTS=true"]),
}


@pytest.mark.parametrize("case", CASES)
def test_each_problem_is_named_once_with_what_to_do(tmp_path, case):
    env, server, words = CASES[case]
    problems = settings_problems(settings(tmp_path, **env), server)
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0]
    assert "\n" not in problems[0]  # one line each
    assert KEY not in problems[0] and "not-long-enough" not in problems[0]  # secrets stay


def test_debug_mode_is_a_problem(tmp_path):
    (problem,) = settings_problems({**settings(tmp_path), "DEBUG": True}, SERVER)
    assert problem.startswith("Debug mode is on (FLASK_DEBUG)")


def test_no_proxy_fix_is_fine_when_gunicorn_listens_where_it_can_be_reached(tmp_path):
    """Without a loopback-only address doctor cannot tell whether a proxy is in front."""
    config = settings(tmp_path, PROXY_FIX="0")
    assert settings_problems(config, Server(5, ("10.0.0.5:8000",))) == []
    assert Server(5, ("[::1]:8000", "localhost:8001")).loopback_only


def test_one_worker_may_count_in_memory_and_use_sqlite(tmp_path):
    config = settings(tmp_path, RATELIMIT_STORAGE_URI="memory://", DATABASE_URL="sqlite:///x.db")
    assert settings_problems(config, Server(1, ("127.0.0.1:8000",))) == []


def test_workers_and_addresses_come_from_gunicorn_conf(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.setenv("PORT", "8123")
    assert doctor.gunicorn_server() == Server(4, ("127.0.0.1:8123",))
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert doctor.gunicorn_server().workers == multiprocessing.cpu_count() * 2 + 1


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["--app", "wsgi", "doctor"], "doctor"),
        (["-A", "wsgi", "--debug", "doctor"], "doctor"),
        (["--app=wsgi", "doctor"], "doctor"),
        (["-e", "doctor", "run"], "run"),  # an env file called doctor
        (["--app", "wsgi", "rules", "check", "doctor"], "rules"),
        (["--app", "wsgi"], None),
    ],
)
def test_the_command_flask_runs(args, command):
    assert doctor.command_name(args) == command


def test_only_the_flask_command_line_lets_the_development_key_through(monkeypatch):
    """gunicorn (`import wsgi`) has no click context: `doctor` in its arguments changes nothing."""
    monkeypatch.setattr(sys, "argv", ["gunicorn", "doctor"])
    assert not doctor.requested(["doctor"])


# --- the command, in-process (CliRunner) on a real database ---


@pytest.fixture
def production_env(monkeypatch, tmp_path, static_build) -> Path:
    """GOOD settings on a SQLite file and one worker; returns the file's path (not created)."""
    path = tmp_path / "intake.db"
    for name in ("FLASK_DEBUG", "GUNICORN_CMD_ARGS", "PORT"):
        monkeypatch.delenv(name, raising=False)
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_STORAGE_URI": "memory://"}
    env |= {"WEB_CONCURRENCY": "1", "INTAKE_INSTANCE_PATH": str(tmp_path / "instance")}
    env["INTAKE_STATIC_BUILD_DIR"] = str(static_build)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return path


@pytest.fixture(scope="module")
def static_build(tmp_path_factory) -> Path:
    """The CSS and JS built as a deploy builds them, once for this module."""
    target = tmp_path_factory.mktemp("static-build")
    static_files.build(static_files.SOURCE, target)
    return target


def test_unbuilt_static_files_are_named_and_built_ones_are_not(
    production_env, monkeypatch, tmp_path
):
    app = upgraded()
    with app.app_context():
        seed_default()
        db.session.commit()
    monkeypatch.setenv("INTAKE_STATIC_BUILD_DIR", str(tmp_path / "never-built"))
    code, output = run_doctor(app)
    assert code == 1
    assert output.splitlines()[1].startswith("- The static files are not built (css/app.css,")
    assert "python -m intake.static_files" in output


def run_doctor(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def upgraded(revision: str = "head"):
    """A production app with its database migrated to `revision`."""
    app = create_app()
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
    return app


def test_a_migrated_and_seeded_database_has_no_problems(production_env):
    app = upgraded()
    with app.app_context():
        seed_default()
        db.session.commit()
    assert run_doctor(app) == (0, "No problems found.\n")


@pytest.mark.postgres
def test_a_migrated_and_seeded_postgresql_database_has_no_problems(
    production_env, pg_url, monkeypatch
):
    with postgres_schema(f"intake_doctor_{os.getpid()}") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        app = upgraded()
        with app.app_context():
            seed_default()
            db.session.commit()
        try:
            assert run_doctor(app) == (0, "No problems found.\n")
        finally:
            with app.app_context():
                db.engine.dispose()


def test_a_missing_sqlite_file_is_named_not_created(production_env):
    code, output = run_doctor(create_app())
    assert code == 1
    assert f"The SQLite database file {production_env} does not exist" in output
    assert not production_env.exists()


def test_an_unreachable_database_is_named_without_its_password(production_env, monkeypatch):
    url = "postgresql://intake:hunter2-secret@127.0.0.1:1/intake?connect_timeout=2"
    monkeypatch.setenv("DATABASE_URL", url)
    code, output = run_doctor(create_app())
    assert code == 1
    assert "The database at postgresql+psycopg://intake:***@127.0.0.1:1/intake" in output
    assert "cannot be reached (" in output and "Check DATABASE_URL" in output
    assert "hunter2" not in output


def test_an_empty_database_needs_db_upgrade(production_env):
    sqlite3.connect(production_env).close()
    code, output = run_doctor(create_app())
    assert code == 1
    assert "The database has no migrations applied" in output
    assert "flask --app wsgi db upgrade" in output


def test_a_database_behind_the_code_needs_db_upgrade(production_env):
    with create_app().app_context():
        config = current_app.extensions["migrate"].migrate.get_config()
        (first,) = ScriptDirectory.from_config(config).get_bases()
    code, output = run_doctor(upgraded(first))
    assert code == 1
    assert f"The database is at migration {first}, not the latest" in output


def test_a_database_ahead_of_the_code_is_named(production_env):
    app = upgraded()
    with app.app_context():
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0123456789ab'"))
        db.session.commit()
    code, output = run_doctor(app)
    assert code == 1
    assert "migration 0123456789ab, which this version of the code does not have" in output


def test_no_published_rules_is_a_problem(production_env):
    code, output = run_doctor(upgraded())
    assert code == 1
    assert "No screening rules are published" in output
    assert "flask --app wsgi rules seed" in output


# --- the real entry point, `flask --app wsgi doctor`, in a subprocess ---


def flask_doctor(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Only the given settings: no .env or .flaskenv from flask (wsgi.py's load_dotenv never
    overrides a variable that is set, and every checked one is)."""
    return subprocess.run(
        [str(FLASK), "--app", "wsgi", "doctor"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "FLASK_SKIP_DOTENV": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


BAD = {
    "SECRET_KEY": DEV_SECRET_KEY,  # set, so a key in the checkout's .env cannot stand in
    "BASE_URL": "http://127.0.0.1:5000",
    "MAIL_SERVER": "",
    "CLINIC_EMAIL": "clinic@example.test",
    "MAIL_DEFAULT_SENDER": "intake@example.test",
    "WEB_CONCURRENCY": "3",
    "RATELIMIT_STORAGE_URI": "memory://",
    "SESSION_COOKIE_SECURE": "false",
    "HSTS": "false",
    "PROXY_FIX": "0",
}
EXPECTED = [
    "SECRET_KEY is the development key",
    "BASE_URL is http://127.0.0.1:5000",
    "SESSION_COOKIE_SECURE is false",
    "MAIL_SERVER is not set",
    "CLINIC_EMAIL is an example address",
    "MAIL_DEFAULT_SENDER is an example address",
    "Rate limits would not hold: 3 workers",
    "DATABASE_URL is a SQLite file and gunicorn would run 3 workers",
    "The SQLite database file",
    "The static files are not built (css/app.css, css/print.css, css/staff.css, js/app.js, "
    "js/staff.js)",
]
HTTPS_BAD = {**BAD, "BASE_URL": "https://intake.riverside-physio.co.uk"}
HTTPS_EXPECTED = [
    *(line for line in EXPECTED if not line.startswith("BASE_URL")),
    "HSTS is off",
    "PROXY_FIX is 0",
]


@pytest.mark.parametrize(
    ("env", "expected"), [(BAD, EXPECTED), (HTTPS_BAD, HTTPS_EXPECTED)], ids=["http", "https"]
)
def test_flask_doctor_names_every_problem_even_with_the_development_key(tmp_path, env, expected):
    done = flask_doctor(
        {
            **env,
            "INTAKE_INSTANCE_PATH": str(tmp_path / "instance"),
            "INTAKE_STATIC_BUILD_DIR": str(tmp_path / "no-build"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}",
        }
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{len(expected)} problems with this configuration:"
    assert len(lines) == len(expected) + 1
    for words in expected:
        assert sum(line.startswith(f"- {words}") for line in lines) == 1, words


def test_flask_doctor_passes_a_production_configuration(tmp_path, monkeypatch, static_build):
    database = tmp_path / "intake.db"
    monkeypatch.setenv("INTAKE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SECRET_KEY": KEY, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    with app.app_context():
        flask_migrate.upgrade()
        seed_default()
        db.session.commit()
        db.engine.dispose()
    done = flask_doctor(
        {
            **GOOD,
            "INTAKE_INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{database}",
            "WEB_CONCURRENCY": "1",
            "RATELIMIT_STORAGE_URI": "memory://",
            "INTAKE_STATIC_BUILD_DIR": str(static_build),
        }
    )
    assert (done.returncode, done.stdout) == (0, "No problems found.\n"), done.stderr
