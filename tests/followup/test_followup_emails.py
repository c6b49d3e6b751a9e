"""Follow-up emails through a real SMTP server: the link and the unsubscribe link, until when
it works; no name, no answers, no outcome and no condition words in the subject or body."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from flask import url_for
from sqlalchemy import select, update

from intake import create_app
from intake.extensions import db
from intake.followup import links, schedule
from intake.followup.models import FollowUp
from intake.mail import outbox
from intake.models import BookingRequest, OutboxMessage, utcnow
from intake.screening.outcomes import OUTCOME_TEXT
from tests.conftest import create_staff, login
from tests.followup.test_schedule import DAY, at, booked
from tests.mail.test_outbox import mail_app
from tests.smtp import SmtpServer

NAME = "Zebedee Quintillian"
EMAIL = "zq@example.com"
#: what a follow-up email must never say: health words, and the journey's answers
HEALTH_WORDS = (
    "pain",
    "needl",
    "blood",
    "thinner",
    "anticoag",
    "back",
    "fibromyalgia",
    "injur",
    "treat",
    "symptom",
    "condition",
    "score",
    "answered",
    "better",
    "worse",
    "Mornings are best",
)


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def deliver(app) -> None:
    with app.app_context():
        while outbox.deliver_due().claimed:
            pass


def test_followup_and_reminder_emails(database_url, tmp_path, smtp, caplog):
    app = mail_app(database_url, tmp_path, smtp.port)
    create_staff(app)
    client = app.test_client()
    assert login(client).status_code == 302
    request_id = booked(app, client, name=NAME, email=EMAIL, message="Mornings are best.")
    deliver(app)  # the booking's own emails
    with app.app_context():
        booking = db.session.get(BookingRequest, request_id)
        reference, outcome = booking.submission.reference, booking.submission.outcome
        with app.test_request_context():
            stop_url = "https://intake.clinic.example.com" + url_for(
                "followup.unsubscribe", token=links.unsubscribe_token(booking)
            )
            answer_prefix = "https://intake.clinic.example.com" + url_for(
                "followup.answer", token="TOKEN"
            ).replace("TOKEN", "")
    with app.app_context():
        assert schedule.run_due(at(DAY, 2)).sent == 1
        assert schedule.run_due(at(DAY, 2) + dt.timedelta(days=3)).reminded == 1
    deliver(app)

    received = smtp.sink.received_by(EMAIL)
    followups = [m for m in received if "few short questions" in m["Subject"]]
    assert [m["Subject"] for m in followups] == [
        "A few short questions from Test Clinic",
        "Reminder: a few short questions from Test Clinic",
    ]
    last_day = at(DAY, 6).date() - dt.timedelta(days=1)  # it expires at 09:00 next day
    until = f"{last_day:%A} {last_day.day} {last_day:%B %Y}"
    tokens = []
    for message in followups:
        assert message["To"] == EMAIL
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        shown = re.sub(r"<[^>]*>", " ", html)  # the words of the HTML part, not its markup
        for part in (message["Subject"], text, shown):
            for word in (*NAME.split(), *HEALTH_WORDS, reference, OUTCOME_TEXT[outcome].label):
                assert not re.search(rf"\b{re.escape(word)}", part, re.I), (word, part)
        assert "Test Clinic" in text and "about 3 minutes" in text
        assert f"The link works until {until}." in text and until in html
        found = re.findall(re.escape(answer_prefix) + r"([A-Za-z0-9_\-]{20,100})\b", text)
        assert len(found) == 1, text
        assert f'href="{answer_prefix}{found[0]}"' in html
        assert stop_url in text and f'href="{stop_url}"' in html
        tokens.append(found[0])
    assert "A reminder" in followups[1].get_body(("plain",)).get_content()
    assert tokens[0] != tokens[1]
    with app.app_context():
        opened = {links.open_followup(token).id for token in tokens}
        assert len(opened) == 1  # both links open the same follow-up
        kinds = [
            m.kind
            for m in db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.booking_request_id == request_id)
                .order_by(OutboxMessage.id)
            )
        ]
    assert kinds[-2:] == ["followup", "followup_reminder"]
    # the links work, and the request page lists the emails
    patient = app.test_client()
    assert patient.get(answer_prefix + tokens[1]).status_code == 200
    assert patient.get(stop_url).status_code == 200
    page = client.get(f"/staff/requests/{request_id}").text
    assert "<td>followup</td>" in page and "<td>followup reminder</td>" in page
    # and the app's logs name ids only (the test SMTP server's own log names the recipient)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("intake"))
    assert "followup sent followup=" in logged
    for secret in (NAME, EMAIL, *tokens):
        assert secret not in logged


def test_the_outbox_worker_sends_followups_when_due(tmp_path, smtp):
    """`outbox work` runs the schedule on its own: a follow-up due now is queued and sent."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    app = mail_app(url, tmp_path, smtp.port)
    create_staff(app)
    client = app.test_client()
    assert login(client).status_code == 302
    request_id = booked(app, client, email=EMAIL)
    with app.app_context():
        db.session.execute(
            update(FollowUp)
            .where(FollowUp.booking_request_id == request_id, FollowUp.number == 1)
            .values(due_at=utcnow() - dt.timedelta(minutes=1))
        )
        db.session.commit()
        db.engine.dispose()
    env = dict(
        os.environ,
        FLASK_DEBUG="1",
        DATABASE_URL=url,
        INTAKE_INSTANCE_PATH=str(tmp_path),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        BASE_URL="https://intake.clinic.example.com",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "outbox worker started" in worker.stdout.readline()
        for _ in range(300):  # until it arrives (at most 30 s)
            if smtp.sink.by_subject("A few short questions"):
                break
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    finally:
        worker.kill()
    assert [m["To"] for m in smtp.sink.by_subject("A few short questions")] == [EMAIL]
    with app.app_context():
        assert [
            f.status for f in schedule.followups_of(db.session.get(BookingRequest, request_id))
        ] == [
            "sent",
            "scheduled",
            "scheduled",
        ]


def test_a_mail_apps_one_click_unsubscribe_stops_them(tmp_path, smtp):
    """List-Unsubscribe with List-Unsubscribe-Post (RFC 8058): the mail app's Unsubscribe
    button POSTs without a form of ours, so that one address goes without CSRF; the stop page's
    own form keeps it. The booking's emails are not a mailing list: no such header."""
    app = mail_app(f"sqlite:///{tmp_path / 'u.db'}", tmp_path, smtp.port)
    create_staff(app)
    client = app.test_client()
    assert login(client).status_code == 302
    request_id = booked(app, client, email=EMAIL)
    with app.app_context():
        schedule.run_due(at(DAY, 2))
        booking = db.session.get(BookingRequest, request_id)
        with app.test_request_context():
            token = links.unsubscribe_token(booking)
            one_click = url_for("followup.one_click_unsubscribe", token=token)
            stop_page = url_for("followup.unsubscribe", token=token)
    deliver(app)
    received = smtp.sink.received_by(EMAIL)
    followup = [m for m in received if "few short questions" in m["Subject"]]
    assert len(followup) == 1 and len(received) == 2  # the confirmation, then the follow-up
    assert followup[0]["List-Unsubscribe"] == f"<https://intake.clinic.example.com{one_click}>"
    assert followup[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    others = [m for _, _, m in smtp.sink.messages if m not in followup]
    assert len(others) == 2  # the clinic's email and the patient's confirmation
    assert all(m["List-Unsubscribe"] is None for m in others)

    mail_app_client = create_app(dict(app.config, WTF_CSRF_ENABLED=True)).test_client()
    assert mail_app_client.post(stop_page).status_code == 400  # the page's form: CSRF
    assert mail_app_client.post(one_click).status_code == 400  # not a one-click request
    opened = mail_app_client.get(one_click)
    assert (opened.status_code, opened.headers["Location"]) == (302, stop_page)
    assert mail_app_client.post(one_click[:-12] + "x/one-click").status_code == 404
    with app.app_context():
        assert db.session.get(BookingRequest, request_id).followups_stopped_at is None
    stopped = mail_app_client.post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert (stopped.status_code, stopped.text) == (200, "Follow-up emails stopped.\n")
    with app.app_context():
        assert db.session.get(BookingRequest, request_id).followups_stopped_at is not None
        assert schedule.run_due(at(DAY, 6)).sent == 0
    assert "You will get no more follow-up questions" in mail_app_client.get(stop_page).text
