"""The clinic email in the order whoever opens it needs (issue 13): who, how to reach them, when
they can come, what to do first, then the clinical detail; times in clinic time with the zone
named; every CLINIC_EMAIL_DETAIL level; and the promise (RESPONSE_WORKING_DAYS) the patient's
confirmation and sent page quote. Read through a real SMTP server (aiosmtpd) where the email
is sent."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template
from sqlalchemy import select

from intake.extensions import db
from intake.mail import emails
from intake.mail.first_steps import Step, day_words, first_steps, moment_words
from intake.models import BookingRequest
from tests import journeys
from tests.mail.test_outbox import book, mail_app, send
from tests.smtp import SmtpServer

#: a patient whose answers fire a see-a-doctor red flag (history of cancer)
SEE_DOCTOR = journeys.variant(
    journeys.BACK_PAIN_SUITABLE,
    back_warning_signs={
        "rf_urgent_checklist": ["none"],
        "rf_other_checklist": ["rf_cancer_history"],
    },
)


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def received_bodies(smtp) -> tuple[str, str, str]:
    """(subject, text, html) of the one clinic email the server received."""
    [message] = smtp.sink.by_subject("New booking request")
    return (
        message["Subject"],
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def in_order(body: str, *parts: str) -> None:
    """Each part is in `body`, each after the one before."""
    positions = [body.index(part) for part in parts]
    assert positions == sorted(positions), list(zip(parts, positions, strict=True))


def test_the_email_leads_with_who_how_when_and_what_to_do_then_the_detail(
    database_url, tmp_path, smtp
):
    app = mail_app(database_url, tmp_path, smtp.port)
    reference = book(app, SEE_DOCTOR)
    assert send(app).sent == 2
    subject, text, html = received_bodies(smtp)
    # the subject names the reference and the outcome: no name, contact detail or finding
    assert subject == f"New booking request {reference}: See a doctor first"
    in_order(
        text,
        "Outcome: See a doctor first",
        "Ada Lovelace",
        "Phone: 07911 123456",
        "Email: ada@example.com",
        "Preferred days: Monday, Wednesday",
        "Preferred times: Morning",
        "WHAT TO DO FIRST",
        "1. Call back by ",
        "2. Check they have seen a doctor: the patient was advised to see a doctor",
        "3. A clinician to review before booking: 1 red flag, listed below.",
        "Open in the staff area: https://intake.clinic.example.com/staff/requests/1",
        "WHY",
        "RED FLAGS",
        "History of cancer",
        "SCORES",
        "STarT Back",
        "ANSWERS",
        "How old are you?",
    )
    in_order(
        html,
        "See a doctor first",
        "Ada Lovelace",
        'href="tel:+447911123456"',
        "07911 123456",
        'href="mailto:ada@example.com"',
        "Monday, Wednesday",
        "What to do first",
        "<strong>Call back by ",
        "<strong>Check they have seen a doctor</strong>",
        "Open in the staff area",
        "Red flags",
        "History of cancer",
        "Scores",
        "Answers",
        "How old are you?",
    )
    for body in (text, html):
        assert "(Europe/London time)" in body  # the zone is named beside the time
        assert "within 2 working days" in body
        assert "No rule fired" not in body and "UTC" not in body
        assert "[see_doctor]" not in body and "(see_doctor)" not in body  # labels, not codes


def test_times_and_the_call_back_day_are_in_clinic_time(tmp_path):
    """Received Friday 02:30 UTC is still Thursday evening in New York: the call-back day is
    counted from Thursday there (Monday), from Friday in London (Tuesday)."""
    app = mail_app(f"sqlite:///{tmp_path / 'tz.db'}", tmp_path, 25)
    book(app)
    received = dt.datetime(2026, 12, 4, 2, 30)  # naive UTC, as stored
    for zone, moment, day in (
        ("America/New_York", "Thursday 3 December 2026 at 21:30", "Monday 7 December"),
        ("Europe/London", "Friday 4 December 2026 at 02:30", "Tuesday 8 December"),
    ):
        app.config["CLINIC_TIMEZONE"] = zone
        text, html = render_clinic_email(app, received=received)
        for body in (text, html):
            assert f"Received {moment} ({zone} time)" in body
            assert f"Call back by {day}" in body


def render_clinic_email(app, *, received: dt.datetime | None = None, outcome: str | None = None):
    """(text, html) of the clinic email for the one request, as it would be queued now, with
    its received time or outcome changed (in memory only)."""
    with app.app_context():
        booking = db.session.scalars(select(BookingRequest)).one()
        if received is not None:
            booking.created_at = received
        if outcome is not None:
            booking.submission.outcome = outcome
        context = emails.clinic_email_context(booking)
        text = render_template("mail/clinic.txt", **context)
        html = render_template("mail/clinic.html", **context)
        db.session.rollback()
        return text, html


def test_urgent_advice_asks_for_a_call_today(tmp_path):
    """An emergency offers no booking form today; a request kept from before (or a rule change)
    still tells staff plainly that the patient was sent for urgent care."""
    app = mail_app(f"sqlite:///{tmp_path / 'u.db'}", tmp_path, 25)
    book(app)
    text, html = render_clinic_email(app, outcome="emergency")
    assert "1. Phone them today: the patient was told to get urgent medical help now" in text
    assert "<strong>Phone them today</strong>" in html
    for body in (text, html):
        assert "Call back by" not in body


@pytest.mark.parametrize(
    ("detail", "present", "absent"),
    [
        (
            "full",
            [
                "Ada Lovelace",
                "07911 123456",
                "Call back by",
                "1 precaution, listed below",
                "ANSWERS",
            ],
            [],
        ),
        (
            "summary",
            ["Ada Lovelace", "07911 123456", "Call back by", "PRECAUTIONS", "SCORES"],
            ["ANSWERS", "How old are you?"],
        ),
        (
            "minimal",
            [
                "Outcome: Clinician review needed",
                "Call back by",
                "what the screening found is in the staff area",
                "/staff/requests/1",
            ],
            [
                "Ada",
                "07911",
                "ada@example.com",
                "Mornings are best",
                "precaution",
                "WHY",
                "blood",
                "STarT Back",
                "Monday, Wednesday",
            ],
        ),
    ],
)
def test_each_detail_level_keeps_the_order_and_its_promise(tmp_path, smtp, detail, present, absent):
    app = mail_app(
        f"sqlite:///{tmp_path / 'd.db'}", tmp_path, smtp.port, CLINIC_EMAIL_DETAIL=detail
    )
    book(app)
    send(app)
    subject, text, html = received_bodies(smtp)
    for word in ("Ada", "Lovelace", "07911", "example.com", "blood", "thinner"):
        assert word not in subject
    for words in present:
        assert words in text, (detail, words)
        in_html = words.removeprefix("Outcome: ")  # the HTML shows the outcome as a badge
        assert in_html in html or in_html.capitalize() in html, (detail, words)
    for body in (text, html):
        for words in absent:
            assert words not in body, (detail, words)
    if detail != "minimal":
        in_order(text, "Ada Lovelace", "WHAT TO DO FIRST", "WHY")


@pytest.mark.parametrize(
    ("days", "words", "call_back_by"),
    [
        (1, "within 1 working day", "Friday 4 December"),
        (3, "within 3 working days", "Tuesday 8 December"),
    ],
)
def test_the_promise_follows_response_working_days(tmp_path, smtp, days, words, call_back_by):
    """The patient's confirmation email and sent page quote RESPONSE_WORKING_DAYS, and the
    clinic is asked to call back by the same day."""
    app = mail_app(
        f"sqlite:///{tmp_path / 'p.db'}", tmp_path, smtp.port, RESPONSE_WORKING_DAYS=days
    )
    client = app.test_client()
    journeys.walk(client, journeys.BLOOD_THINNERS)
    client.post("/check")
    sent_page = client.post("/booking", data=journeys.BOOKING, follow_redirects=True).text
    assert words in sent_page
    send(app)
    [confirmation] = smtp.sink.by_subject("We have your request")
    for part in ("plain", "html"):
        body = confirmation.get_body((part,)).get_content()
        assert words in body
        assert "working days" not in body.replace(words, "")  # said once, never the default
    # Thursday 3 December 2026, 10:00 in London: the call-back day counts working days only
    text, _ = render_clinic_email(app, received=dt.datetime(2026, 12, 3, 10, 0))
    assert f"Call back by {call_back_by}: the patient was told to expect contact {words}" in text


# --- the pure parts ---------------------------------------------------------------------------


def test_day_and_moment_words():
    assert day_words(dt.date(2026, 12, 8)) == "Tuesday 8 December"
    moment = dt.datetime(2026, 12, 3, 9, 5)
    assert moment_words(moment, "Europe/London") == (
        "Thursday 3 December 2026 at 09:05 (Europe/London time)"
    )


@pytest.mark.parametrize(
    ("outcome", "red_flags", "precautions", "leads"),
    [
        ("suitable", 0, 0, ["Call back by Tuesday 8 December"]),
        (
            "review",
            0,
            2,
            ["Call back by Tuesday 8 December", "A clinician to review before booking"],
        ),
        (
            "see_doctor",
            1,
            1,
            [
                "Call back by Tuesday 8 December",
                "Check they have seen a doctor",
                "A clinician to review before booking",
            ],
        ),
        (
            "not_advised",
            0,
            1,
            [
                "Call back by Tuesday 8 December",
                "Offer a physiotherapy assessment",
                "A clinician to review before booking",
            ],
        ),
        ("not_indicated", 0, 0, ["Call back by Tuesday 8 December", "Answer their enquiry"]),
        ("emergency", 1, 0, ["Phone them today", "A clinician to review before booking"]),
    ],
)
def test_first_steps(outcome, red_flags, precautions, leads):
    steps = first_steps(
        outcome,
        respond_by=dt.date(2026, 12, 8),
        promise="2 working days",
        red_flags=red_flags,
        precautions=precautions,
        detailed=True,
    )
    assert [step.lead for step in steps] == leads


def test_first_steps_count_what_fired_only_when_the_email_lists_it():
    def review_step(detailed: bool, red_flags: int = 2, precautions: int = 1) -> Step:
        return first_steps(
            "see_doctor",
            respond_by=dt.date(2026, 12, 8),
            promise="2 working days",
            red_flags=red_flags,
            precautions=precautions,
            detailed=detailed,
        )[-1]

    assert review_step(True).why == "2 red flags and 1 precaution, listed below"
    assert review_step(True, 1, 0).why == "1 red flag, listed below"
    assert review_step(False).why == "what the screening found is in the staff area"
    assert str(review_step(False)) == (
        "A clinician to review before booking: what the screening found is in the staff area"
    )
