"""The outbox and the booking emails, against real SMTP servers on 127.0.0.1."""

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
from intake.mail import outbox
from intake.models import OutboxMessage, utcnow
from tests import journeys
from tests.conftest import make_app
from tests.smtp import SilentServer, SmtpServer, free_port


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def mail_app(database_url, tmp_path, port, **overrides):
    """An app sending to the test SMTP server at `port`. MAIL_TIMEOUT is 5 s: a loaded CI
    machine has stalled the in-process server past 1 s (a timeout no user would see); tests of
    a server that never answers set 1."""
    settings = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
        "MAIL_DEFAULT_SENDER": "intake@clinic.example.com",
        "CLINIC_EMAIL": ["front-desk@clinic.example.com", "physio@clinic.example.com"],
        "CLINIC_PHONE": "020 7946 0018",
        "BASE_URL": "https://intake.clinic.example.com",
    }
    return make_app(database_url, tmp_path, **(settings | overrides))


def book(app, profile=journeys.BLOOD_THINNERS, **booking) -> str:
    """Complete a journey and a booking request; returns the reference."""
    client = app.test_client()
    journeys.walk(client, profile)
    client.post("/check")
    response = client.post("/booking", data=dict(journeys.BOOKING, **booking))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return db.session.scalars(select(OutboxMessage)).first().subject.split()[3].rstrip(":")


def send(app) -> outbox.RunResult:
    with app.app_context():
        return outbox.deliver_due()


def statuses(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        return [
            (m.kind, m.status, m.attempts)
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def make_due(app) -> None:
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()


def test_booking_emails_arrive_with_the_right_headers_and_bodies(database_url, tmp_path, smtp):
    app = mail_app(database_url, tmp_path, smtp.port)
    reference = book(app)
    assert send(app).sent == 2
    clinic_mail = smtp.sink.by_subject("New booking request")[0]
    assert clinic_mail["Subject"] == f"New booking request {reference}: Clinician review needed"
    assert "Ada" not in clinic_mail["Subject"] and "thinner" not in clinic_mail["Subject"]
    assert clinic_mail["Reply-To"] == "ada@example.com"
    assert set(clinic_mail["To"].split(", ")) == {
        "front-desk@clinic.example.com",
        "physio@clinic.example.com",
    }
    assert clinic_mail["From"] == "intake@clinic.example.com"
    assert clinic_mail["Message-ID"].endswith("@clinic.example.com>")
    text_body = clinic_mail.get_body(("plain",)).get_content()
    html_body = clinic_mail.get_body(("html",)).get_content()
    for body in (text_body, html_body):
        assert "Takes blood thinners (anticoagulants)" in body  # fired rule, highlighted
        assert "How old are you?" in body  # answers by their labels
        assert "Blood thinners (anticoagulants)" in body
        assert "medication_classes" not in body and "sb1_leg_pain" not in body
        assert "07911 123456" in body and "Monday, Wednesday" in body  # phone for PHONE_REGION
        assert "https://intake.clinic.example.com/staff/requests/1" in body
        assert "rule set version 1" in body.lower()
    assert "STarT Back: low risk (total 1/9, psychosocial 0/5)" in text_body
    # plain words (issue 13): the number as the clinic writes it, E.164 only in the tel: link
    assert "+447911123456" not in text_body
    assert 'href="tel:+447911123456"' in html_body and html_body.count("+447911123456") == 1
    for body in (text_body, html_body):
        assert "low / medium / high risk of a poor outcome" in body  # STarT Back's meaning
        assert "a screen for fibromyalgia, not a diagnosis" in body  # ACR 2016's
        assert "in the way of enjoyment and activity, 0–10" in body  # PEG's
        assert "No rule fired" not in body
    lines = text_body.splitlines()
    headings = [
        line
        for line in lines[lines.index("ANSWERS") :]
        if line and not line.startswith(" ") and not line.startswith(("Screened", "This is"))
    ]
    assert headings == [
        "ANSWERS",
        "About you",
        "Your pain",
        "Back pain red flags",
        "Back pain prognosis",
        "Medication",
        "Needling safety",
    ]
    assert "<link" not in html_body and "<img" not in html_body  # no external resources

    confirmation = smtp.sink.by_subject("We have your request")[0]
    assert confirmation["Subject"] == f"We have your request {reference}"
    assert confirmation["To"] == "ada@example.com"
    body = confirmation.get_body(("plain",)).get_content()
    assert reference in body and "020 7946 0018" in body
    for health_detail in ("blood", "thinner", "anticoagulant", "review", "back"):
        assert health_detail not in body.lower()


@pytest.mark.parametrize(
    ("detail", "present", "absent"),
    [
        ("full", ["PRECAUTIONS", "ANSWERS", "CONTACT", "STarT Back"], []),
        ("summary", ["PRECAUTIONS", "CONTACT", "STarT Back"], ["ANSWERS", "How old are you?"]),
        (
            "minimal",
            ["Outcome: Clinician review needed", "/staff/requests/1"],
            ["PRECAUTIONS", "ANSWERS", "CONTACT", "STarT Back", "ada@example.com"],
        ),
    ],
)
def test_clinic_email_detail_setting(tmp_path, smtp, detail, present, absent):
    app = mail_app(
        f"sqlite:///{tmp_path / 'detail.db'}", tmp_path, smtp.port, CLINIC_EMAIL_DETAIL=detail
    )
    book(app)
    send(app)
    body = smtp.sink.by_subject("New booking request")[0].get_body(("plain",)).get_content()
    for text in present:
        assert text in body
    for text in absent:
        assert text not in body


def test_booking_succeeds_with_the_mail_server_down_and_is_delivered_later(database_url, tmp_path):
    port = free_port()
    app = mail_app(database_url, tmp_path, port)
    book(app)  # nothing listens on the port
    assert statuses(app) == [
        ("clinic_booking", "pending", 0),
        ("patient_confirmation", "pending", 0),
    ]
    result = send(app)
    assert (result.sent, result.retried) == (0, 2)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).first()
        assert message.last_error == "Connection refused by the mail server"
        assert message.next_attempt_at > utcnow()
    server = SmtpServer(port).start()
    try:
        make_due(app)
        assert send(app).sent == 2
        assert len(server.sink.messages) == 2
    finally:
        server.stop()


def test_temporary_refusal_is_retried(tmp_path, smtp):
    app = mail_app(f"sqlite:///{tmp_path / 't.db'}", tmp_path, smtp.port)
    book(app)
    smtp.sink.reply = "451 4.3.0 Try again later"
    assert send(app).retried == 2
    with app.app_context():
        assert "SMTP 451" in db.session.scalars(select(OutboxMessage)).first().last_error
    smtp.sink.reply = "250 OK"
    make_due(app)
    assert send(app).sent == 2


def test_permanent_refusal_is_retried_then_failed_and_can_be_retried(tmp_path, smtp):
    app = mail_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, smtp.port)
    book(app)
    smtp.sink.reply = "550 5.1.1 Mailbox unavailable"
    assert send(app).retried == 2
    with app.app_context():  # the maximum age passes
        db.session.execute(
            update(OutboxMessage).values(
                next_attempt_at=utcnow(), give_up_at=utcnow() - dt.timedelta(seconds=1)
            )
        )
        db.session.commit()
    assert send(app).failed == 2
    assert [s for _, s, _ in statuses(app)] == ["failed", "failed"]
    assert send(app).claimed == 0  # failed messages stay put
    smtp.sink.reply = "250 OK"
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            outbox.retry(message)
        db.session.commit()
    assert send(app).sent == 2
    assert [(s, n) for _, s, n in statuses(app)] == [("sent", 3), ("sent", 3)]


def test_backoff_grows_with_jitter_and_is_capped(tmp_path):
    app = mail_app(
        f"sqlite:///{tmp_path / 'b.db'}",
        tmp_path,
        free_port(),
        OUTBOX_RETRY_BASE=10,
        OUTBOX_RETRY_MAX=60,
    )
    book(app)
    delays = []
    for _ in range(5):
        make_due(app)
        before = utcnow()
        send(app)
        with app.app_context():
            message = db.session.scalars(select(OutboxMessage)).first()
            delays.append((message.next_attempt_at - before).total_seconds())
    assert 5 <= delays[0] <= 15.5  # 10 s ± 50 %
    assert 10 <= delays[1] <= 30.5  # 20 s ± 50 %
    assert all(delay <= 90.5 for delay in delays)  # capped at 60 s ± 50 %


def test_silent_server_times_out_and_the_worker_keeps_going(tmp_path):
    silent = SilentServer()
    try:
        app = mail_app(f"sqlite:///{tmp_path / 's.db'}", tmp_path, silent.port, MAIL_TIMEOUT=1)
        book(app)
        started = time.monotonic()
        result = send(app)
        assert result.retried == 2
        assert time.monotonic() - started < 10  # did not hang
        with app.app_context():
            assert db.session.scalars(select(OutboxMessage)).first().last_error == (
                "Timed out waiting for the mail server"
            )
    finally:
        silent.close()


def test_message_left_sending_by_a_killed_worker_is_retried_with_the_same_id(tmp_path, smtp):
    app = mail_app(f"sqlite:///{tmp_path / 'k.db'}", tmp_path, smtp.port, OUTBOX_LEASE=60)
    book(app)
    with app.app_context():
        claimed = outbox.claim_due()  # the worker dies here, before sending
        message_ids = {m.message_id for m in claimed}
        assert {m.status for m in claimed} == {"sending"}
    assert send(app).claimed == 0  # still within the lease
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(claimed_at=utcnow() - dt.timedelta(seconds=61))
        )
        db.session.commit()
    assert send(app).sent == 2
    assert {m["Message-ID"] for _, _, m in smtp.sink.messages} == message_ids


def test_no_mail_server_writes_eml_files(tmp_path, caplog):
    app = make_app(f"sqlite:///{tmp_path / 'e.db'}", tmp_path, MAIL_SERVER="")
    book(app)
    with caplog.at_level("INFO", logger="intake.outbox"):
        assert send(app).sent == 2
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert [f.name.rsplit("-", 1)[1] for f in files] == [
        "clinic_booking.eml",
        "patient_confirmation.eml",
    ]
    assert "New booking request DN-" in files[0].read_text()
    assert str(tmp_path / "mail") in caplog.text


def test_two_workers_on_postgresql_send_each_message_once(tmp_path, smtp, pg_url):
    app = mail_app(pg_url, tmp_path, smtp.port)
    with app.app_context():
        for number in range(500):
            outbox.enqueue(
                kind="test",
                recipients=[f"p{number}@example.com"],
                subject=f"Message {number}",
                text_body="Hello",
            )
        db.session.commit()

    def worker():
        with app.app_context():
            while outbox.deliver_due(limit=10).claimed:
                pass

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    subjects = [m["Subject"] for _, _, m in smtp.sink.messages]
    assert len(subjects) == 500
    assert len(set(subjects)) == 500
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) == 500
        db.session.remove()
        db.engine.dispose()


def test_header_injection_is_refused_before_queueing(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'h.db'}", tmp_path)
    with app.app_context(), pytest.raises(outbox.BadHeaderError):
        outbox.enqueue(
            kind="test",
            recipients=["a@example.com"],
            subject="Hi",
            text_body="x",
            reply_to="a@example.com\nBcc: evil@example.com",
        )


def test_worker_stops_cleanly_on_sigterm(tmp_path):
    env = dict(
        os.environ,
        FLASK_DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}",
        INTAKE_INSTANCE_PATH=str(tmp_path),
    )
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    worker = subprocess.Popen(
        [*flask, "outbox", "work", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "outbox worker started" in worker.stdout.readline()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
        assert "outbox worker stopped" in worker.stdout.read()
    finally:
        worker.kill()


def test_save_for_later_emails_a_single_use_link(tmp_path, smtp):
    app = mail_app(f"sqlite:///{tmp_path / 'r.db'}", tmp_path, smtp.port)
    client = app.test_client()
    client.post("/start")
    response = client.post(
        "/questions/about_you",
        data=dict(journeys.BACK_PAIN_SUITABLE["about_you"], action="save_later"),
    )
    assert response.headers["Location"].endswith("/save?step=about_you")
    assert client.post("/save", data={"email": "nope"}).status_code == 422
    assert "Check your email" in client.post("/save", data={"email": "ada@example.com"}).text
    send(app)
    message = smtp.sink.by_subject("Your link to carry on")[0]
    body = message.get_body(("plain",)).get_content()
    link = next(word for word in body.split() if word.startswith("https://"))
    assert "45" not in body and "pain" not in body.lower()  # nothing but the link
    path = link.removeprefix("https://intake.clinic.example.com")

    other_device = app.test_client()
    assert "Carry on with your answers" in other_device.get(path).text  # GET spends nothing
    response = other_device.post(path)
    assert response.headers["Location"].endswith("/questions/pain_areas")
    assert 'value="45"' in other_device.get("/questions/about_you").text
    again = app.test_client().post(path)
    assert again.status_code == 410
    assert "expired or was already used" in again.text
