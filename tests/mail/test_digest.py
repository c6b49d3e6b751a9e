"""The morning digest (issue 13, DIGEST_HOUR): what it lists and never says, when it goes (clinic
time), and that it goes once a clinic day however many workers run; read through a real SMTP
server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select, update

from intake.extensions import db
from intake.mail import cli as mail_cli
from intake.mail import digest, outbox
from intake.models import AuditEvent, BookingRequest, OutboxMessage
from tests import journeys
from tests.mail.test_outbox import book, mail_app, send
from tests.smtp import SmtpServer
from tests.staff.test_requests_at_scale import add_requests

#: Thursday 3 December 2026, 08:05 in London (GMT = UTC in winter)
MORNING = dt.datetime(2026, 12, 3, 8, 5)
#: the people behind the requests: none of this may reach the digest
PEOPLE = [
    {
        "reference": "DN-OVER11",
        "outcome": "review",
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": "+447700900123",
        "created_at": dt.datetime(2026, 11, 27, 15, 0),  # Friday: overdue since Wednesday
    },
    {
        "reference": "DN-NEWW22",
        "outcome": "see_doctor",
        "name": "Alan Turing",
        "email": "alan@example.com",
        "phone": "+447700900456",
        "created_at": dt.datetime(2026, 12, 2, 17, 40),  # Wednesday: due by Friday
    },
    {
        "reference": "DN-CALL33",
        "outcome": "suitable",
        "status": "tried_to_call",
        "name": "Joan Clarke",
        "email": "joan@example.com",
        "phone": "+447700900789",
        "created_at": dt.datetime(2026, 11, 30, 10, 0),
    },
    {"reference": "DN-BOOK44", "status": "booked", "created_at": dt.datetime(2026, 11, 20)},
]


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def digest_app(database_url, tmp_path, port=25, **config):
    config.setdefault("DIGEST_HOUR", 8)
    return mail_app(database_url, tmp_path, port, **config)


def with_waiting_requests(app) -> list[int]:
    """PEOPLE's requests; the call-back is due today. Returns their ids."""
    ids = add_requests(app, people=PEOPLE)
    with app.app_context():
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == ids[2])
            .values(call_back_on=dt.date(2026, 12, 3))
        )
        db.session.commit()
    return ids


def run(app, now: dt.datetime) -> digest.DigestResult:
    with app.app_context():
        return digest.run_due(now)


def digests(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
        )
        db.session.expunge_all()
        return found


def test_the_digest_lists_references_outcomes_and_waiting_times_and_nothing_personal(
    database_url, tmp_path, smtp
):
    app = digest_app(database_url, tmp_path, smtp.port)
    with_waiting_requests(app)
    book(app)  # a real request, with answers that fire a precaution (blood thinners)
    with app.app_context():  # received on Monday: overdue by Thursday
        db.session.execute(
            update(BookingRequest)
            .where(BookingRequest.name == "Ada Lovelace")
            .values(created_at=dt.datetime(2026, 11, 30, 9, 0))
        )
        db.session.commit()
    result = run(app, MORNING)
    assert (result.state, result.overdue, result.new, result.call_backs) == ("queued", 2, 1, 1)
    send(app)
    [mail] = smtp.sink.by_subject("Requests waiting")
    # (Python folds a 73-character subject onto its own line and reads it back with the
    # folding space in front; mail clients drop it)
    subject = mail["Subject"].strip()
    assert subject == "Requests waiting, Thursday 3 December: 2 overdue, 1 new, 1 to call back"
    assert set(mail["To"].split(", ")) == {
        "front-desk@clinic.example.com",
        "physio@clinic.example.com",
    }
    assert mail["Message-ID"].startswith("<digest-2026-12-03.")
    assert mail["Message-ID"].endswith("@clinic.example.com>")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    lines = text.splitlines()
    assert "  DN-OVER11  Clinician review needed, waiting 5 days" in lines
    assert "  DN-NEWW22  See a doctor first, waiting 14 hours" in lines
    assert "  DN-CALL33  May be suitable, waiting 2 days, call back today" in lines
    assert "DN-BOOK44" not in text  # booked: nothing to do
    assert text.index("OVERDUE: 2") < text.index("DN-OVER11") < text.index("NEW: 1")
    assert text.index("NEW: 1") < text.index("DN-NEWW22") < text.index("CALL-BACKS DUE: 1")
    assert "as at 08:05 (Europe/London time)" in text
    assert "https://intake.clinic.example.com/staff/" in text
    assert 'href="https://intake.clinic.example.com/staff/requests/1"' in html
    assert html.count("Clinician review needed") == 2
    for person in [*PEOPLE[:3], journeys.BOOKING]:
        personal = [
            *person["name"].split(),
            person["email"].partition("@")[0],
            person["phone"].replace(" ", "")[-6:],  # any form of the number
        ]
        for part in personal:
            for body in (text, html, mail["Subject"]):
                assert part not in body, part
    for body in (text, html):
        for health in ("blood", "thinner", "anticoagulant", "precaution", "cancer", "pain"):
            assert health not in body.lower(), health
        assert "07911" not in body and "Ada" not in body


def test_not_sent_before_the_hour_then_once_that_day(tmp_path, smtp):
    app = digest_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path, smtp.port)
    with_waiting_requests(app)
    assert run(app, dt.datetime(2026, 12, 3, 7, 59)).state == "early"
    assert digests(app) == []
    assert run(app, dt.datetime(2026, 12, 3, 8, 0)).state == "queued"
    assert run(app, dt.datetime(2026, 12, 3, 8, 1)).state == "done"
    assert run(app, dt.datetime(2026, 12, 3, 23, 59)).state == "done"
    send(app)
    assert len(smtp.sink.by_subject("Requests waiting")) == 1
    # the next clinic day has its own
    assert run(app, dt.datetime(2026, 12, 4, 7, 0)).state == "early"
    assert run(app, dt.datetime(2026, 12, 4, 9, 0)).state == "queued"
    send(app)
    assert [m["Subject"].strip().split(":")[0] for m in smtp.sink.by_subject("Requests")] == [
        "Requests waiting, Thursday 3 December",
        "Requests waiting, Friday 4 December",
    ]


def test_off_when_digest_hour_is_not_set(tmp_path):
    app = mail_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path, 25)
    assert app.config["DIGEST_HOUR"] is None
    with_waiting_requests(app)
    for hour in (0, 8, 23):
        assert run(app, dt.datetime(2026, 12, 3, hour, 0)).state == "off"
    assert digests(app) == []


def test_the_hour_is_the_clinics_local_hour(tmp_path):
    """New York is 5 hours behind UTC in December and 4 in July: 08:00 there is 13:00 or
    12:00 UTC, and its day changes at 05:00 or 04:00 UTC."""
    app = digest_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path, CLINIC_TIMEZONE="America/New_York")
    with_waiting_requests(app)
    assert run(app, dt.datetime(2026, 12, 3, 12, 59)).state == "early"
    queued = run(app, dt.datetime(2026, 12, 3, 13, 0))
    assert (queued.state, queued.day) == ("queued", dt.date(2026, 12, 3))
    # 22:00 on the 3rd in New York, already the 4th in UTC: still the 3rd's digest, sent
    late = run(app, dt.datetime(2026, 12, 4, 3, 0))
    assert (late.state, late.day) == ("done", dt.date(2026, 12, 3))
    assert run(app, dt.datetime(2026, 12, 4, 12, 0)).state == "early"  # 07:00 there
    assert run(app, dt.datetime(2026, 7, 1, 11, 59)).state == "early"  # 07:59 EDT
    assert run(app, dt.datetime(2026, 7, 1, 12, 0)).state == "queued"  # 08:00 EDT
    [july, december] = sorted(digests(app), key=lambda m: m.message_id)
    assert "as at 08:00 (America/New_York time)" in december.text_body
    assert "as at 08:00 (America/New_York time)" in july.text_body


def test_nothing_waiting_sends_nothing_and_the_day_is_done(tmp_path):
    """A "nothing waiting" email is noise. A request arriving later has its own clinic email,
    so it does not set off a late digest; the next morning lists it."""
    app = digest_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
    add_requests(app, people=[{"status": "booked", "created_at": dt.datetime(2026, 12, 1)}])
    assert run(app, MORNING).state == "empty"
    add_requests(app, people=[{"created_at": dt.datetime(2026, 12, 3, 10, 0)}])
    assert run(app, dt.datetime(2026, 12, 3, 10, 1)).state == "done"
    assert digests(app) == []
    next_morning = run(app, dt.datetime(2026, 12, 4, 8, 0))
    assert (next_morning.state, next_morning.new) == ("queued", 1)
    with app.app_context():
        decided = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "digest").order_by(AuditEvent.id)
        ).all()
        assert [(e.target, e.details["sent"], e.details["new"]) for e in decided] == [
            ("digest:2026-12-03", False, 0),
            ("digest:2026-12-04", True, 1),
        ]


def test_a_long_list_is_cut_short_with_a_count(tmp_path, monkeypatch):
    monkeypatch.setattr(digest, "MAX_LISTED", 3)
    app = digest_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
    add_requests(app, people=[{"created_at": dt.datetime(2026, 11, 20, 9, n)} for n in range(5)])
    result = run(app, MORNING)
    assert result.overdue == 5
    [message] = digests(app)
    assert (
        message.text_body.count("Clinician review needed")
        + message.text_body.count("May be suitable")
        == 3
    )
    assert "… and 2 more: https://intake.clinic.example.com/staff/requests?due=overdue" in (
        message.text_body
    )


def test_a_second_insert_for_the_day_is_refused_and_the_session_goes_on(
    database_url, tmp_path, monkeypatch
):
    """As if two workers both found the day not yet done: the unique Message-ID refuses the
    second; it rolls back and its session still works."""
    app = digest_app(database_url, tmp_path)
    with_waiting_requests(app)
    monkeypatch.setattr(digest, "already_done", lambda day: False)
    with app.app_context():
        assert digest.run_due(MORNING).state == "queued"
        assert digest.run_due(MORNING).state == "raced"
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        assert outbox.deliver_due().claimed == 1  # the session is usable
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "digest")
            )
            == 1
        )


@pytest.mark.parametrize("check_first", [True, False])
def test_workers_racing_on_postgresql_send_one_digest(
    tmp_path, smtp, pg_url, monkeypatch, check_first
):
    """Four workers at the same moment, each in its own app context and connection. Without
    the check first, all four insert and the database picks one."""
    app = digest_app(pg_url, tmp_path, smtp.port)
    with_waiting_requests(app)
    if not check_first:
        monkeypatch.setattr(digest, "already_done", lambda day: False)
    start = threading.Barrier(4)
    states: list[str] = []

    def worker() -> None:
        with app.app_context():
            start.wait()
            states.append(digest.run_due(MORNING).state)
            outbox.deliver_due()
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert states.count("queued") == 1, states
    assert set(states) <= {"queued", "done", "raced"}
    if not check_first:  # all four inserted: the unique Message-ID refused three
        assert sorted(states) == ["queued", "raced", "raced", "raced"]
    send(app)
    assert len(smtp.sink.by_subject("Requests waiting")) == 1
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_log_lines_carry_counts_only(tmp_path, caplog):
    app = digest_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
    with_waiting_requests(app)
    with caplog.at_level("INFO", logger="intake.digest"):
        run(app, MORNING)
    logged = [r.getMessage() for r in caplog.records if r.name == "intake.digest"]
    assert logged == ["digest queued day=2026-12-03 overdue=1 new=1 call_backs=1"]


def test_the_command_says_what_it_did(tmp_path):
    app = digest_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
    with_waiting_requests(app)
    runner = app.test_cli_runner()

    def say(*args: str) -> str:
        result = runner.invoke(args=["digest", "send", *args])
        assert result.exit_code == 0, result.output
        return result.output.strip()

    assert say("--now", "2026-12-03T07:00") == (
        "Not yet: the digest for Thursday 3 December 2026 goes at 08:00 clinic time."
    )
    assert say("--now", "2026-12-03T09:00+01:00") == (  # 08:00 UTC, 08:00 in London
        "Digest for Thursday 3 December 2026 queued: 1 overdue, 1 new, 1 call-back due."
    )
    assert say("--now", "2026-12-03T10:00").startswith(
        "The digest for Thursday 3 December 2026 was already sent"
    )
    bad = runner.invoke(args=["digest", "send", "--now", "tomorrow"])
    assert bad.exit_code == 2 and "use an ISO date and time" in bad.output
    app.config["DIGEST_HOUR"] = None
    assert say() == "DIGEST_HOUR is not set: no digest is sent."


def test_the_outbox_worker_sends_the_digest(tmp_path, smtp):
    """`flask outbox work` checks for the digest as it starts and about once a minute; with
    DIGEST_HOUR=0 it is due at once."""
    path = tmp_path / "w.db"
    with_waiting_requests(digest_app(f"sqlite:///{path}", tmp_path))
    env = dict(
        os.environ,
        FLASK_DEBUG="1",
        DATABASE_URL=f"sqlite:///{path}",
        INTAKE_INSTANCE_PATH=str(tmp_path),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        DIGEST_HOUR="0",
        CLINIC_EMAIL="front-desk@clinic.example.com",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not smtp.sink.by_subject("Requests waiting") and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    finally:
        worker.kill()
    [mail] = smtp.sink.by_subject("Requests waiting")
    assert "DN-OVER11" in mail.get_body(("plain",)).get_content()


def test_the_worker_survives_a_failing_digest(tmp_path, monkeypatch, caplog):
    app = digest_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)

    def broken(now=None):
        raise RuntimeError("database went away")

    monkeypatch.setattr(digest, "run_due", broken)
    with app.app_context(), caplog.at_level("ERROR", logger="intake.digest"):
        mail_cli._run_digest()
    assert "digest run failed" in caplog.text
