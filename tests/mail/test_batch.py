"""Batches: a claimed batch goes over one SMTP connection and is recorded in one commit, and
a fault in the middle of a batch (a dropped connection, a refusal, a crash) loses nothing."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, select, update

from intake.extensions import db
from intake.mail import delivery, outbox
from intake.models import OutboxMessage, utcnow
from tests.mail.test_outbox import mail_app, make_due, send
from tests.smtp import SilentServer, Sink, SmtpServer


class FaultySink(Sink):
    """A sink that can refuse a message, drop the connection at its DATA, or keep it and
    answer late, by subject.

    `faults` maps a subject to "drop", to "slow" (kept, then "250 OK" after `slow_seconds`:
    a server that scans mail) or to the reply its DATA gets; `once` faults are forgotten after
    they struck (a server that fails now and then).
    """

    def __init__(self) -> None:
        super().__init__()
        self.faults: dict[str, str] = {}
        self.once: set[str] = set()
        self.slow_seconds = 4.0

    async def handle_DATA(self, server, session, envelope):
        subject = email.message_from_bytes(envelope.content, policy=policy.default)["Subject"]
        fault = self.faults.get(subject)
        if subject in self.once:
            self.faults.pop(subject, None)
        if fault == "drop":
            server.transport.close()
            return "421 4.3.0 Closing"
        if fault == "slow":
            reply = await super().handle_DATA(server, session, envelope)
            await asyncio.sleep(self.slow_seconds)
            return reply
        if fault:
            return fault
        return await super().handle_DATA(server, session, envelope)

    def subjects(self) -> Counter[str]:
        return Counter(str(message["Subject"]) for _, _, message in self.messages)


class CountingController(Controller):
    """aiosmtpd's controller, counting the connections it serves."""

    connections = 0

    def factory(self):
        self.connections += 1
        return super().factory()


class CountingServer(SmtpServer):
    """A test SMTP server that counts connections (its own readiness check not included)."""

    def start(self) -> CountingServer:
        self.controller = CountingController(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.controller.connections = 0
        return self

    @property
    def connections(self) -> int:
        return self.controller.connections


@pytest.fixture
def smtp():
    server = CountingServer(sink=FaultySink()).start()
    yield server
    server.stop()


def queue(app, count: int, *, first: int = 1, recipients=None) -> list[int]:
    """Queue `count` messages with subjects "Message {first}"… and commit."""
    with app.app_context():
        ids = [
            outbox.enqueue(
                kind="test",
                recipients=recipients or [f"p{number}@example.com"],
                subject=f"Message {number}",
                text_body="Hello",
            ).id
            for number in range(first, first + count)
        ]
        db.session.commit()
    return ids


def state(app) -> dict[str, tuple[str, int, str | None]]:
    """Subject → (status, attempts, last_error) of every message."""
    with app.app_context():
        return {
            m.subject: (m.status, m.attempts, m.last_error)
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        }


def test_a_batch_goes_over_one_connection_and_is_recorded_in_one_commit(
    database_url, tmp_path, smtp
):
    app = mail_app(database_url, tmp_path, smtp.port, OUTBOX_BATCH_SIZE=10)
    queue(app, 12)
    commits = []

    def count(connection) -> None:
        commits.append(connection)

    with app.app_context():
        event.listen(db.engine, "commit", count)
        result = outbox.deliver_due()
        event.remove(db.engine, "commit", count)
    assert (result.sent, result.claimed) == (10, 10)  # one batch of OUTBOX_BATCH_SIZE
    assert smtp.connections == 1
    assert len(commits) == 2  # the claim, then every outcome at once
    assert sorted(smtp.sink.subjects().values()) == [1] * 10
    assert [s for s, _, _ in state(app).values()] == ["sent"] * 10 + ["pending"] * 2


def test_refusals_in_the_middle_of_a_batch_are_each_messages_own(database_url, tmp_path, smtp):
    """A 4xx, a 5xx and a refused recipient: the connection stays, the rest are sent."""
    app = mail_app(database_url, tmp_path, smtp.port)
    queue(app, 3)
    clinic = ["front@clinic.example.com", "physio@clinic.example.com"]
    two = queue(app, 1, first=4, recipients=clinic)[0]
    queue(app, 2, first=5)
    smtp.sink.faults = {"Message 2": "451 4.3.0 Try again later", "Message 3": "550 5.7.1 No"}
    smtp.sink.refuse["physio@clinic.example.com"] = "550 5.1.1 No such user"
    result = send(app)
    assert (result.sent, result.retried, result.failed) == (3, 3, 0)
    assert smtp.connections == 1
    assert sorted(smtp.sink.subjects()) == ["Message 1", "Message 4", "Message 5", "Message 6"]
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        split = db.session.get(OutboxMessage, two)
        assert split.delivered_to == ["front@clinic.example.com"]
        assert [(m.status, m.permanent_failures) for m in rows] == [
            ("sent", 0),
            ("pending", 0),
            ("pending", 1),
            ("pending", 1),
            ("sent", 0),
            ("sent", 0),
        ]
        assert "SMTP 451" in rows[1].last_error and "SMTP 550" in rows[2].last_error

    smtp.sink.faults.clear()
    smtp.sink.refuse.clear()
    make_due(app)
    assert send(app).sent == 3
    assert len(smtp.sink.received_by("front@clinic.example.com")) == 1  # not again
    assert len(smtp.sink.received_by("physio@clinic.example.com")) == 1


def test_a_connection_dropped_mid_batch_is_opened_again(tmp_path, smtp):
    app = mail_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path, smtp.port)
    queue(app, 6)
    smtp.sink.faults = {"Message 3": "drop"}
    smtp.sink.once = {"Message 3"}  # the server drops the connection once
    result = send(app)
    assert result.sent == 6
    assert smtp.connections == 2  # Message 3 went again, at once, on a new connection
    assert sorted(smtp.sink.subjects().values()) == [1] * 6


def test_a_server_slow_to_take_a_message_is_waited_for(tmp_path, smtp):
    """Its answer comes after MAIL_TIMEOUT but within MAIL_DATA_TIMEOUT: sent, once."""
    app = mail_app(
        f"sqlite:///{tmp_path / 's.db'}", tmp_path, smtp.port, MAIL_TIMEOUT=2, MAIL_DATA_TIMEOUT=30
    )
    queue(app, 3)
    smtp.sink.faults = {"Message 2": "slow"}
    smtp.sink.slow_seconds = 4  # twice MAIL_TIMEOUT: a loaded machine does not stall that long
    assert send(app).sent == 3
    assert smtp.connections == 1
    assert sorted(smtp.sink.subjects().values()) == [1] * 3


def test_a_message_whose_answer_times_out_is_not_sent_again_at_once(tmp_path, smtp):
    """The server may have it: it goes again later, with the backoff, not twice right now."""
    app = mail_app(
        f"sqlite:///{tmp_path / 't.db'}", tmp_path, smtp.port, MAIL_TIMEOUT=2, MAIL_DATA_TIMEOUT=2
    )
    queue(app, 3)
    smtp.sink.faults = {"Message 2": "slow"}
    smtp.sink.slow_seconds = 5
    result = send(app)
    assert (result.sent, result.retried) == (2, 1)
    assert smtp.sink.subjects() == {"Message 1": 1, "Message 2": 1, "Message 3": 1}
    assert state(app)["Message 2"] == ("pending", 1, "Timed out waiting for the mail server")
    assert smtp.connections == 2  # Message 3 went on a new one


def test_a_message_that_always_drops_the_connection_waits_alone(tmp_path, smtp):
    app = mail_app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path, smtp.port)
    queue(app, 6)
    smtp.sink.faults = {"Message 3": "drop"}
    result = send(app)
    assert (result.sent, result.retried) == (5, 1)
    assert smtp.connections == 3  # the first, Message 3's second try, then the rest
    status, attempts, error = state(app)["Message 3"]
    assert (status, attempts) == ("pending", 1)
    assert "SMTPServerDisconnected" in error
    assert sorted(smtp.sink.subjects()) == [f"Message {n}" for n in (1, 2, 4, 5, 6)]


def test_an_unreachable_server_costs_one_timeout_per_batch(tmp_path):
    silent = SilentServer()
    try:
        app = mail_app(f"sqlite:///{tmp_path / 's.db'}", tmp_path, silent.port, MAIL_TIMEOUT=1)
        queue(app, 5)
        result = send(app)
        assert result.retried == 5
        assert len(silent.connections) == 1  # not one per message
        errors = {error for _, _, error in state(app).values()}
        assert errors == {"Timed out waiting for the mail server"}
    finally:
        silent.close()


def test_a_crash_mid_batch_loses_nothing_and_sends_again_after_the_lease(
    database_url, tmp_path, smtp, monkeypatch
):
    """At least once: what went out before the crash goes again; nothing is lost."""
    app = mail_app(database_url, tmp_path, smtp.port, OUTBOX_LEASE=60)
    queue(app, 6)
    send_one = delivery.Mailer.send
    sent = []

    def crash_after_three(self, message, recipients):
        if len(sent) == 3:
            raise SystemExit("the worker is killed")
        sent.append(message.id)
        return send_one(self, message, recipients)

    monkeypatch.setattr(delivery.Mailer, "send", crash_after_three)
    with pytest.raises(SystemExit):
        send(app)
    monkeypatch.undo()
    assert {s for s, _, _ in state(app).values()} == {"sending"}  # nothing recorded, or lost
    assert send(app).claimed == 0  # within the lease
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(claimed_at=utcnow().replace(year=2000)))
        db.session.commit()
    assert send(app).sent == 6
    received = smtp.sink.subjects()
    assert set(received) == {f"Message {n}" for n in range(1, 7)}
    assert [received[f"Message {n}"] for n in range(1, 7)] == [2, 2, 2, 1, 1, 1]


def test_an_outcome_the_database_refuses_costs_only_that_message(
    database_url, tmp_path, smtp, monkeypatch
):
    app = mail_app(database_url, tmp_path, smtp.port)
    ids = queue(app, 4)
    apply = outbox._apply

    def refuse_one(message, outcome, result):
        line = apply(message, outcome, result)
        if message.id == ids[1]:
            message.kind = None  # NOT NULL: the database refuses the row
        return line

    monkeypatch.setattr(outbox, "_apply", refuse_one)
    result = send(app)
    assert (result.sent, result.retried) == (3, 1)
    status, _, error = state(app)["Message 2"]
    assert status == "pending"
    # the error's name only: PostgreSQL's message quotes the row, subject and text included
    assert error.removeprefix("Could not record the outcome: ") in {
        "IntegrityError",  # SQLite
        "NotNullViolation",  # PostgreSQL
    }
    assert [s for s, _, _ in state(app).values()].count("sent") == 3


def test_a_stopping_worker_puts_untried_messages_back(tmp_path, smtp):
    app = mail_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, smtp.port)
    queue(app, 3)
    with app.app_context():
        result = outbox.deliver_due(stop=lambda: True)
    assert (result.claimed, result.put_back) == (0, 3)
    assert smtp.connections == 0
    assert {v[:2] for v in state(app).values()} == {("pending", 0)}
    assert send(app).sent == 3  # due at once


def test_a_batch_past_half_its_lease_puts_untried_messages_back(tmp_path, smtp):
    """So that no other worker takes over a batch still being sent."""
    app = mail_app(f"sqlite:///{tmp_path / 'l.db'}", tmp_path, smtp.port, OUTBOX_LEASE=0)
    queue(app, 2)
    assert send(app).put_back == 2
    assert smtp.connections == 0
    assert {v[:2] for v in state(app).values()} == {("pending", 0)}


def test_two_worker_processes_send_each_message_once(database_url, tmp_path, smtp):
    """`outbox work` twice, as deployed: every message exactly once with no faults."""
    app = mail_app(database_url, tmp_path, smtp.port)
    queue(app, 150)
    env = dict(
        os.environ,
        FLASK_DEBUG="1",
        DATABASE_URL=database_url,
        INTAKE_INSTANCE_PATH=str(tmp_path),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        MAIL_TIMEOUT="5",
        OUTBOX_BATCH_SIZE="7",
        LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work"]
    command += ["--interval", "0.1"]
    workers = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(smtp.sink.messages) < 150 and time.monotonic() < deadline:
            time.sleep(0.1)
        while {s for s, _, _ in state(app).values()} != {"sent"} and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=20)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert all("Traceback" not in output for output in outputs), outputs
    assert sorted(smtp.sink.subjects().values()) == [1] * 150
    assert {s for s, _, _ in state(app).values()} == {"sent"}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
