"""Delivery faults, against real SMTP servers on 127.0.0.1: one poison message among many,
international addresses, recipients refused one by one, permanent refusals, masked addresses."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select, update

from intake.extensions import db
from intake.mail import delivery, outbox
from intake.models import OutboxMessage, utcnow
from tests import journeys
from tests.conftest import create_staff, login
from tests.mail.test_outbox import book, mail_app, make_due, send
from tests.smtp import SmtpServer

INTERNATIONAL = "josé@example.com"
NO_SMTPUTF8 = "the mail server does not accept international addresses"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_utf8():
    server = SmtpServer(smtputf8=True).start()
    yield server
    server.stop()


def rows(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return found


def logged(caplog) -> str:
    """The app's own log lines (not the test SMTP server's, which logs every envelope)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("intake"))


def queue(app, *recipients: str, subject: str = "Test", text_body: str = "Hello") -> int:
    with app.app_context():
        message = outbox.enqueue(
            kind="test", recipients=list(recipients), subject=subject, text_body=text_body
        )
        db.session.commit()
        return message.id


def test_a_poison_booking_among_normal_ones_delivers_every_normal_one(database_url, tmp_path, smtp):
    """Finding 1: the server offers no SMTPUTF8; one booking has an international address."""
    app = mail_app(database_url, tmp_path, smtp.port)
    book(app, email=INTERNATIONAL)
    for number in range(3):
        book(app, email=f"patient{number}@example.com")
    queue(app, INTERNATIONAL, subject="Your link")  # "save for later" accepts it too

    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 7, to retry 0, failed 2"

    messages = rows(app)
    refused = [m for m in messages if INTERNATIONAL in m.recipients]
    assert [(m.status, m.last_error) for m in refused] == [("failed", NO_SMTPUTF8)] * 2
    assert all(m.status == "sent" for m in messages if m not in refused)
    assert len(smtp.sink.messages) == 7  # the four clinic emails and three confirmations
    # the clinic still hears about the booking; the address it cannot carry is left out
    first_clinic_email = smtp.sink.by_subject("New booking request")[0]
    assert first_clinic_email["Reply-To"] is None

    create_staff(app)
    staff = app.test_client()
    login(staff)
    page = staff.get("/staff/outbox").text
    assert page.count(NO_SMTPUTF8) == 2


def test_international_addresses_are_sent_with_smtputf8_when_offered(tmp_path, smtp_utf8):
    app = mail_app(f"sqlite:///{tmp_path / 'u.db'}", tmp_path, smtp_utf8.port)
    book(app, email=INTERNATIONAL)
    assert send(app).sent == 2
    confirmation = smtp_utf8.sink.received_by(INTERNATIONAL)
    assert len(confirmation) == 1 and confirmation[0]["To"] == INTERNATIONAL
    assert smtp_utf8.sink.by_subject("New booking request")[0]["Reply-To"] == INTERNATIONAL
    assert all("SMTPUTF8" in options for options in smtp_utf8.sink.mail_options)
    body = confirmation[0].get_body(("plain",)).get_content()
    assert "020 7946 0018" in body


def test_an_ascii_email_does_not_ask_for_smtputf8(tmp_path, smtp_utf8):
    app = mail_app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path, smtp_utf8.port)
    queue(app, "ada@exämple.com")  # an international domain goes out as IDNA (punycode)
    assert send(app).sent == 1
    assert smtp_utf8.sink.messages[0][1] == ["ada@xn--exmple-cua.com"]
    assert not any("SMTPUTF8" in options for options in smtp_utf8.sink.mail_options)


def test_a_message_that_cannot_be_built_retries_then_fails_alone(tmp_path, smtp):
    """Finding 1: any exception, not only SMTP ones, ends in retry or failed with a reason."""
    app = mail_app(
        f"sqlite:///{tmp_path / 'b.db'}", tmp_path, smtp.port, OUTBOX_MAX_PERMANENT_FAILURES=2
    )
    queue(app, "one@example.com", subject="First")
    poison = queue(app, "two@example.com", subject="Poison")
    queue(app, "three@example.com", subject="Third")
    with app.app_context():  # a row no code path writes today: a recipient that is not text
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == poison).values(recipients=[42])
        )
        db.session.commit()
    result = send(app)
    assert (result.sent, result.retried) == (2, 1)
    message = next(m for m in rows(app) if m.id == poison)
    assert message.status == "pending"
    assert message.last_error.startswith("AttributeError at delivery.py:")
    make_due(app)
    assert send(app).failed == 1
    assert [m.status for m in rows(app)] == ["sent", "failed", "sent"]


def test_the_worker_keeps_delivering_past_a_poison_message(tmp_path, smtp):
    """Finding 1 with the real `outbox work` process."""
    database = f"sqlite:///{tmp_path / 'w.db'}"
    env = dict(
        os.environ,
        FLASK_DEBUG="1",
        DATABASE_URL=database,
        INTAKE_INSTANCE_PATH=str(tmp_path),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        MAIL_TIMEOUT="2",
    )
    app = mail_app(database, tmp_path, smtp.port)  # makes the schema; queues into it
    queue(app, INTERNATIONAL, subject="Poison")
    for number in range(5):
        queue(app, f"p{number}@example.com", subject=f"Normal {number}")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while len(smtp.sink.messages) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        queue(app, "late@example.com", subject="Later")  # the worker is still working
        while len(smtp.sink.messages) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=10)[0]
    assert worker.returncode == 0, output
    assert "outbox run failed" not in output and INTERNATIONAL not in output
    assert sorted(m["Subject"] for m in smtp.sink.by_subject("")) == [
        "Later",
        *(f"Normal {n}" for n in range(5)),
    ]
    poison = rows(app)[0]
    assert (poison.status, poison.last_error) == ("failed", NO_SMTPUTF8)


@pytest.mark.parametrize(
    ("reply", "permanent_failures"),
    [("550 5.1.1 <physio@clinic.example.com>: no such user", 1), ("451 4.2.1 Busy", 0)],
)
def test_a_refused_clinic_address_is_retried_alone(
    database_url, tmp_path, smtp, reply, permanent_failures, caplog
):
    """Finding 2: one of two clinic addresses refused at RCPT."""
    app = mail_app(database_url, tmp_path, smtp.port)
    book(app)
    smtp.sink.refuse["physio@clinic.example.com"] = reply
    with caplog.at_level(logging.INFO, logger="intake.outbox"):
        result = send(app)
    assert (result.sent, result.retried) == (1, 1)
    clinic = rows(app)[0]
    assert clinic.kind == "clinic_booking"
    assert clinic.status == "pending"
    assert clinic.delivered_to == ["front-desk@clinic.example.com"]
    assert clinic.permanent_failures == permanent_failures
    assert f"SMTP {reply[:3]} for p***@clinic.example.com" in clinic.last_error
    assert "physio@" not in clinic.last_error and "physio@" not in logged(caplog)  # finding 4

    del smtp.sink.refuse["physio@clinic.example.com"]
    make_due(app)
    assert send(app).sent == 1
    clinic = rows(app)[0]
    assert (clinic.status, clinic.last_error) == ("sent", None)
    assert len(clinic.delivered_to) == 2
    assert len(smtp.sink.received_by("front-desk@clinic.example.com")) == 1  # no duplicate
    assert len(smtp.sink.received_by("physio@clinic.example.com")) == 1
    retry_copy = smtp.sink.received_by("physio@clinic.example.com")[0]
    assert (
        retry_copy["Message-ID"]
        == smtp.sink.received_by("front-desk@clinic.example.com")[0]["Message-ID"]
    )
    assert "physio@clinic.example.com" in retry_copy["To"]  # the same email, to both


def test_permanent_refusals_fail_after_the_set_number(tmp_path, smtp):
    """Finding 3: a 550 is final after OUTBOX_MAX_PERMANENT_FAILURES, long before the max age."""
    app = mail_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, smtp.port)
    assert app.config["OUTBOX_MAX_PERMANENT_FAILURES"] == 3
    message_id = queue(app, "ada@example.com")
    smtp.sink.reply = "550 5.7.1 Message rejected"
    for attempt in (1, 2):
        assert send(app).retried == 1
        assert (rows(app)[0].status, rows(app)[0].permanent_failures) == ("pending", attempt)
        make_due(app)
    assert send(app).failed == 1
    message = rows(app)[0]
    assert (message.status, message.attempts, message.permanent_failures) == ("failed", 3, 3)
    assert message.give_up_at > utcnow() + dt.timedelta(hours=47)  # not the age: the refusals
    assert message.last_error == "SMTP 550: 5.7.1 Message rejected"

    smtp.sink.reply = "250 OK"
    with app.app_context():  # staff "retry now" starts the count again
        assert outbox.retry(db.session.get(OutboxMessage, message_id))
        db.session.commit()
        assert db.session.get(OutboxMessage, message_id).permanent_failures == 0
    assert send(app).sent == 1


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", None])
def test_temporary_refusals_and_network_errors_back_off_until_the_max_age(tmp_path, smtp, reply):
    app = mail_app(f"sqlite:///{tmp_path / 't.db'}", tmp_path, smtp.port)
    queue(app, "ada@example.com")
    if reply:
        smtp.sink.reply = reply
    else:
        smtp.stop()
    for _ in range(5):
        assert send(app).retried == 1
        make_due(app)
    message = rows(app)[0]
    assert (message.status, message.permanent_failures) == ("pending", 0)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(give_up_at=utcnow() - dt.timedelta(seconds=1))
        )
        db.session.commit()
    assert send(app).failed == 1


def test_a_refused_patient_address_is_masked_in_logs_and_the_stored_error(tmp_path, smtp, caplog):
    """Finding 4: SMTPRecipientsRefused names the address; neither the log nor the row may."""
    app = mail_app(f"sqlite:///{tmp_path / 'm.db'}", tmp_path, smtp.port)
    queue(app, "quintessa.verity@example.com")
    smtp.sink.refuse["quintessa.verity@example.com"] = (
        "550 5.1.1 <quintessa.verity@example.com>: Recipient address rejected"
    )
    with caplog.at_level(logging.DEBUG, logger="intake"):
        assert send(app).retried == 1
    stored = rows(app)[0].last_error
    assert stored == (
        "SMTP 550 for q***@example.com: 5.1.1 <q***@example.com>: Recipient address rejected"
    )
    assert "quintessa" not in logged(caplog).lower()
    assert "q***@example.com" in logged(caplog)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ada@example.com", "a***@example.com"),
        ("{'josé@exämple.com': (550, b'no')}", "{'j***@exämple.com': (550, b'no')}"),
        ("<a.b+c@mail.example.co.uk>.", "<a***@mail.example.co.uk>."),
        ("two: x@y.org, z@w.net", "two: x***@y.org, z***@w.net"),
        ("no address @ all", "no address @ all"),
    ],
)
def test_mask_addresses(text, masked):
    assert delivery.mask_addresses(text) == masked


def test_booking_with_an_international_address_is_accepted(tmp_path):
    """The forms accept it (the reason the outbox must cope); delivery is the outbox's job."""
    app = mail_app(f"sqlite:///{tmp_path / 'f.db'}", tmp_path, 1)
    client = app.test_client()
    journeys.walk(client, journeys.BACK_PAIN_SUITABLE)
    client.post("/check")
    response = client.post("/booking", data=dict(journeys.BOOKING, email=INTERNATIONAL))
    assert response.status_code == 302
    assert [m.recipients for m in rows(app)][1] == [INTERNATIONAL]
