"""Migrations apply cleanly on SQLite and PostgreSQL: from empty, from the previous schema with
data in every table, and down and up again; afterwards the schema matches the models.

The databases here are built by the migrations only (never `create_all`), and the tests work
for whatever revisions exist: they find the head and its predecessor from the scripts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from intake import create_app
from intake.extensions import db
from intake.staff.rules.rulesets import seed_default
from tests import journeys
from tests.conftest import create_staff, login, postgres_schema

# Flask-Migrate's generated env.py still calls db.get_engine(); harmless until Flask-SQLAlchemy 3.2.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def logging_untouched():
    """The migrations' env.py runs logging.config.fileConfig, which disables every existing
    logger and replaces the root handlers; put everything back for the tests that follow."""
    manager = logging.root.manager
    loggers = [logging.root] + [
        item for item in manager.loggerDict.values() if isinstance(item, logging.Logger)
    ]
    saved = [
        (logger, logger.level, logger.disabled, logger.propagate, list(logger.handlers))
        for logger in loggers
    ]
    yield
    for logger, level, disabled, propagate, handlers in saved:
        logger.setLevel(level)
        logger.disabled = disabled
        logger.propagate = propagate
        logger.handlers[:] = handlers
    for item in manager.loggerDict.values():
        if isinstance(item, logging.Logger) and item not in loggers:
            item.disabled = False


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    request.getfixturevalue("pg_url")  # skips (fails in CI) without PostgreSQL
    with postgres_schema(f"intake_migrations_{os.getpid()}") as url:
        yield url


@pytest.fixture
def app(empty_url, tmp_path):
    """An app on the empty database; its schema comes from the migrations alone."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_url,
            "SESSION_COOKIE_SECURE": False,
            "WTF_CSRF_ENABLED": False,
            "MAIL_DIR": str(tmp_path / "mail"),
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def script() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def head_and_previous() -> tuple[str, tuple[str, ...]]:
    """The single head revision and the revision(s) just before it."""
    scripts = script()
    heads = scripts.get_heads()
    assert len(heads) == 1, f"several heads {heads}: run `flask --app wsgi db merge heads`"
    previous = scripts.get_revision(heads[0]).down_revision
    if previous is None:
        pytest.skip("only one migration: there is no previous schema")
    return heads[0], (previous,) if isinstance(previous, str) else tuple(previous)


def schema_differences() -> list:
    """What autogenerate would still write: empty when the migrations match the models."""
    options = current_app.extensions["migrate"].configure_args
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=dict(options))
        return compare_metadata(context, db.metadata)


def assert_matches_models(app) -> None:
    assert schema_differences() == []
    # `flask db check`, as an operator would run it
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_from_empty_gives_the_models_schema(app):
    with app.app_context():
        flask_migrate.upgrade()
        assert current_revision() == script().get_current_head()
        assert tables() == set(db.metadata.tables)
        assert_matches_models(app)


def test_a_migrated_database_serves_a_whole_journey(app):
    with app.app_context():
        flask_migrate.upgrade()
        seed_default()
        db.session.commit()
    client = app.test_client()
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    assert client.post("/check").status_code == 302
    assert client.post("/booking", data=journeys.BOOKING).status_code == 302
    create_staff(app)
    staff = app.test_client()
    assert login(staff).status_code == 302
    assert staff.get("/staff/requests/1").status_code == 200
    assert app.test_cli_runner().invoke(args=["purge", "--dry-run"]).exit_code == 0


#: Values for reflected column types, by the first matching type.
def _value_for(column: sa.Column):
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return 1
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2026, 1, 2, 3, 4, 5)
    if isinstance(kind, sa.Date):
        return dt.date(2026, 1, 2)
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.String | sa.Text):
        length = getattr(kind, "length", None) or 20
        return f"{column.name}-1"[:length]
    raise AssertionError(f"no test value for {column.table.name}.{column.name} ({kind!r})")


def fill_every_table() -> dict[str, int]:
    """One row in every table of the current schema (parents first); returns the counts."""
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine)
    keys: dict[tuple[str, str], object] = {}
    with db.engine.begin() as connection:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            values = {}
            for column in table.columns:
                if column.foreign_keys:
                    target = next(iter(column.foreign_keys)).column
                    if target.table.name == table.name and column.nullable:
                        values[column.name] = None  # a row of its own table (undoes_id)
                        continue
                    values[column.name] = keys[(target.table.name, target.name)]
                elif column.primary_key and isinstance(column.type, sa.Integer):
                    continue  # the database numbers it
                else:
                    values[column.name] = _value_for(column)
            result = connection.execute(table.insert().values(values))
            for column, key in zip(
                table.primary_key.columns, result.inserted_primary_key, strict=True
            ):
                keys[(table.name, column.name)] = key
    return row_counts()


def row_counts() -> dict[str, int]:
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine)
    with db.engine.connect() as connection:
        return {
            name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for name, table in metadata.tables.items()
            if name != "alembic_version"
        }


def test_upgrade_from_the_previous_schema_keeps_the_data(app):
    with app.app_context():
        head, previous = head_and_previous()
        for revision in previous:
            flask_migrate.upgrade(revision=revision)
        before = fill_every_table()
        assert before and set(before.values()) == {1}

        flask_migrate.upgrade()
        assert current_revision() == head
        after = row_counts()
        assert {name: after.get(name) for name in before} == before
        assert_matches_models(app)

        # and back down with the data in place, then up again
        flask_migrate.downgrade(revision="-1")
        assert set(current_revision_tuple()) == set(previous)
        assert {name: count for name, count in row_counts().items() if name in before} == before
        flask_migrate.upgrade()
        assert_matches_models(app)


def current_revision_tuple() -> tuple[str, ...]:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def test_downgrade_to_empty_and_upgrade_again(app):
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert tables() == set()
        assert current_revision() is None
        flask_migrate.upgrade()
        assert tables() == set(db.metadata.tables)
        assert_matches_models(app)


def test_every_revision_downgrades_and_upgrades_one_step(app):
    """Walk up one revision at a time, stepping each one down and up again on the way."""
    with app.app_context():
        revisions = [item.revision for item in script().walk_revisions()][::-1]
        for revision in revisions:
            flask_migrate.upgrade(revision=revision)
            flask_migrate.downgrade(revision="-1")
            flask_migrate.upgrade(revision=revision)
            assert current_revision() == revision
        assert_matches_models(app)


def test_postgresql_offline_sql_builds_the_models_schema(pg_url, tmp_path):
    """`flask db upgrade --sql` (for a DBA to review and run) writes a script that, run on an
    empty PostgreSQL database, gives the head revision and the models' schema."""
    schema = f"intake_offline_{os.getpid()}"
    with postgres_schema(schema) as url:
        env = dict(os.environ, DATABASE_URL=url, FLASK_DEBUG="1", FLASK_APP="wsgi")
        result = subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade", "--sql"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "CREATE EXTENSION IF NOT EXISTS pg_trgm" in result.stdout
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            # an operator's search path: the app's schema, then public (where pg_trgm is)
            connection.exec_driver_sql(f"SET search_path TO {schema}, public")
            connection.exec_driver_sql(result.stdout)
        engine.dispose()
        app = create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "MAIL_DIR": str(tmp_path / "mail")}
        )
        with app.app_context():
            assert current_revision() == script().get_current_head()
            assert tables() == set(db.metadata.tables)
            assert_matches_models(app)
            db.session.remove()
            db.engine.dispose()
