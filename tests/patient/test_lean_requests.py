"""Patient requests do the least database work (issue 16): round trips per question page, and
the published rule set compiled once per process and version, with a publish elsewhere seen
by the next request. Counted, never timed."""

from __future__ import annotations

import copy

import psycopg
from sqlalchemy import event, select

from intake import create_app
from intake.extensions import db
from intake.models import RuleSetVersion, Submission
from intake.patient import rules_in_force
from intake.screening import rules
from intake.staff.rules import rulesets
from tests.conftest import make_app
from tests.journeys import BACK_PAIN_SUITABLE, BOOKING, walk

DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def in_transaction(dbapi_connection) -> bool:
    """Whether the driver's connection has a transaction open on the server."""
    if isinstance(dbapi_connection, psycopg.Connection):
        return dbapi_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    return dbapi_connection.in_transaction


class RoundTrips:
    """What requests send to the database, one entry per round trip.

    Counted: each statement; the BEGIN a driver sends on its own before the first statement
    of a transaction (psycopg: any statement outside autocommit; sqlite3: the first write); a
    COMMIT or ROLLBACK that ends a transaction the server has open (a rollback with none open
    sends nothing, in both drivers); a connection check (ping); a new connection.
    """

    def __init__(self, engine, monkeypatch):
        self.sent: list[str] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", lambda conn: self._end(conn, "COMMIT"))
        event.listen(engine, "rollback", lambda conn: self._end(conn, "ROLLBACK"))
        event.listen(engine.pool, "reset", self._reset)
        event.listen(engine.pool, "connect", lambda *args: self.sent.append("CONNECT"))
        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection):
            self.sent.append("PING")
            return ping(dbapi_connection)

        monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        dbapi = conn.connection.dbapi_connection
        if isinstance(dbapi, psycopg.Connection):
            begins = not dbapi.autocommit and not in_transaction(dbapi)
        else:
            write = statement.lstrip().upper().startswith(DML)
            begins = write and dbapi.isolation_level is not None and not dbapi.in_transaction
        if begins:
            self.sent.append("BEGIN")
        self.sent.append(" ".join(statement.split())[:100])

    def _end(self, conn, command: str) -> None:
        if in_transaction(conn.connection.dbapi_connection):
            self.sent.append(command)

    def _reset(self, dbapi_connection, record, reset_state) -> None:
        if not reset_state.transaction_was_reset and in_transaction(dbapi_connection):
            self.sent.append("ROLLBACK (pool)")

    def during(self, call) -> tuple[object, list[str]]:
        """(what `call()` returns, the round trips it made)."""
        self.sent.clear()
        result = call()
        return result, list(self.sent)


def started(client, pages: int = 1) -> str:
    """A patient who answered the first `pages` pages; the URL of the next one."""
    response = client.post("/start")
    for step in list(BACK_PAIN_SUITABLE)[:pages]:
        response = client.post(response.headers["Location"], data=BACK_PAIN_SUITABLE[step])
    return response.headers["Location"]


def test_a_question_page_takes_at_most_two_round_trips_and_its_post_four(app, monkeypatch):
    """Issue 16: GET took 4 (ping, draft, the whole rule-set row, rollback), POST 7."""
    client = app.test_client()
    url = started(client)
    step = url.rsplit("/", 1)[-1]
    client.get(url)  # this process has compiled the rules in force by now
    with app.app_context():
        trips = RoundTrips(db.engine, monkeypatch)

    page, get_sent = trips.during(lambda: client.get(url))
    assert page.status_code == 200
    assert len(get_sent) <= 2, get_sent
    answered, post_sent = trips.during(lambda: client.post(url, data=BACK_PAIN_SUITABLE[step]))
    assert answered.status_code == 302
    assert len(post_sent) <= 4, post_sent

    sent = get_sent + post_sent
    assert "PING" not in sent and "CONNECT" not in sent
    assert not any("ruleset_versions.data" in statement for statement in sent)
    write = next(i for i, statement in enumerate(post_sent) if statement.startswith("UPDATE"))
    assert not any(s.startswith("SELECT") for s in post_sent[write:]), "nothing read after"
    assert sum(statement.startswith("SELECT") for statement in sent) == 2  # the draft, twice
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # the read and the write are transactions of their own: no BEGIN, no COMMIT
        assert [statement.split()[0] for statement in post_sent] == ["SELECT", "UPDATE"]


def test_a_finished_questionnaire_reads_nothing_after_its_commit(app, monkeypatch):
    client = app.test_client()
    walk(client, BACK_PAIN_SUITABLE)
    with app.app_context():
        trips = RoundTrips(db.engine, monkeypatch)
    response, sent = trips.during(lambda: client.post("/check"))
    assert response.headers["Location"].endswith("/result")
    assert sent[-1] == "COMMIT", sent
    assert not any("ruleset_versions.data" in statement for statement in sent)


def publish_changed_rules(app) -> int:
    """Publish, through `app`, the rules in force with one rule title reworded; its id."""
    with app.app_context():
        data = copy.deepcopy(rulesets.current_version().data)
        data["rules"][0]["title"] += " (reworded in another process)"
        version = rulesets.publish(data, "admin@clinic.example.com", "A clearer message")
        db.session.commit()
        return version.id


def test_rules_are_compiled_once_and_a_publish_elsewhere_is_used_next(app, monkeypatch):
    compiles: list[int] = []
    compile_ruleset = rules.compile_ruleset

    def counted(data, *args, **kwargs):
        compiles.append(1)
        return compile_ruleset(data, *args, **kwargs)

    monkeypatch.setattr(rules, "compile_ruleset", counted)
    client = app.test_client()
    url = started(client)
    client.get(url)
    assert len(compiles) == 1  # on the first request of this app
    client.get(url)
    assert len(compiles) == 1  # the second and later come from the cache

    # Another app on the same database stands for another process (a worker, a server).
    same_database = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    other = create_app(same_database)
    published = publish_changed_rules(other)
    with other.app_context():
        db.engine.dispose()
    compiles.clear()

    client.get(url)
    assert len(compiles) == 1  # the new version, compiled by this app's next request
    client.get(url)
    assert len(compiles) == 1
    client = app.test_client()
    walk(client, BACK_PAIN_SUITABLE)
    client.post("/check")
    with app.app_context():
        newest = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
        assert newest.ruleset_version_id == published


def test_compiled_rules_are_never_shared_between_databases(tmp_path):
    """Version 1 of two databases: the same id, different rules; each app sees its own."""
    first = make_app(f"sqlite:///{tmp_path / 'first.db'}", tmp_path)
    second = make_app(f"sqlite:///{tmp_path / 'second.db'}", tmp_path)
    with second.app_context():
        version = db.session.get(RuleSetVersion, 1)
        data = copy.deepcopy(version.data)
        data["rules"][0]["title"] = "Only in the second database"
        version.data = data
        db.session.commit()
    titles = []
    for app in (first, second, first):
        with app.app_context():
            version = db.session.get(RuleSetVersion, 1)
            by_patient_code = rules_in_force.compiled(version.id).rules[0].title
            by_staff_code = rulesets.compiled(version).rules[0].title
            assert by_patient_code == by_staff_code
            titles.append(by_patient_code)
    assert titles[1] == "Only in the second database"
    assert titles[0] == titles[2] == rules.default_data()["rules"][0]["title"].strip()


class CommitDurability:
    """synchronous_commit as each commit sees it (PostgreSQL), read on the committing
    connection just before the COMMIT goes; and as each draft write's transaction saw it (a
    trigger), which is what a write that is a transaction of its own (autocommit, no COMMIT
    sent) commits with."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[str] = []
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TABLE draft_writes (id serial PRIMARY KEY, setting text);"
                "CREATE FUNCTION note_draft_write() RETURNS trigger AS $$ BEGIN"
                " INSERT INTO draft_writes (setting) VALUES ("
                "current_setting('synchronous_commit')); RETURN NEW; END $$ LANGUAGE plpgsql;"
                "CREATE TRIGGER note_draft_write AFTER UPDATE ON drafts"
                " FOR EACH ROW EXECUTE FUNCTION note_draft_write();"
            )
        event.listen(engine, "commit", self._commit)

    def _commit(self, conn) -> None:
        if in_transaction(conn.connection.dbapi_connection):
            cursor = conn.connection.dbapi_connection.cursor()
            cursor.execute("SHOW synchronous_commit")
            self.seen.append(cursor.fetchone()[0])

    def draft_writes(self) -> list[str]:
        """synchronous_commit as each draft write so far saw it, emptied (on a connection of
        the pool's own, which the engine's commit listener does not hear)."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("DELETE FROM draft_writes RETURNING id, setting")
            rows = cursor.fetchall()
            connection.commit()
        finally:
            connection.close()
        return [setting for _, setting in sorted(rows)]

    def remove(self) -> None:
        with self.engine.begin() as connection:
            connection.exec_driver_sql(
                "DROP TABLE draft_writes; DROP TRIGGER note_draft_write ON drafts;"
                " DROP FUNCTION note_draft_write();"
            )


def test_only_a_draft_save_skips_waiting_for_the_disk(pg_url, tmp_path):
    """A question page's POST writes the draft alone, in an UPDATE that is its own
    transaction, so its commit need not wait for the disk; finishing the questionnaire and
    sending the request (which store what must not be lost) still wait."""
    app = make_app(pg_url, tmp_path)
    client = app.test_client()
    commits = None
    try:
        url = started(client)
        with app.app_context():
            commits = CommitDurability(db.engine)
        step = url.rsplit("/", 1)[-1]
        assert client.post(url, data=BACK_PAIN_SUITABLE[step]).status_code == 302
        assert commits.draft_writes() == ["off"]
        assert commits.seen == [], "a transaction of its own: no COMMIT to send"

        client.post(url, data={})  # sent with errors: the held page is a draft write too
        assert commits.draft_writes() == ["off"]
        assert commits.seen == []

        walk(client, BACK_PAIN_SUITABLE)
        assert set(commits.draft_writes()) == {"off"}
        commits.seen.clear()
        assert client.post("/check").headers["Location"].endswith("/result")
        assert commits.seen == ["on"], commits.seen
        assert commits.draft_writes() == ["on"]  # completed, with the submission
        commits.seen.clear()
        sent = client.post("/booking", data=BOOKING)
        assert sent.status_code == 302 and "/booking" in sent.headers["Location"]
        assert commits.seen and set(commits.seen) == {"on"}, commits.seen
    finally:
        with app.app_context():
            if commits is not None:
                commits.remove()
            db.session.remove()
            db.drop_all()
