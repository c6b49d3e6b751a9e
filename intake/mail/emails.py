"""The emails: composed from templates and queued in the outbox (never sent from a request)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from intake import clinic_time
from intake.followup import links
from intake.followup.models import FollowUp
from intake.mail import outbox
from intake.mail.first_steps import first_steps, moment_words
from intake.models import BookingRequest, Draft, OutboxMessage, utcnow
from intake.patient import availability
from intake.screening import summary
from intake.screening.condition_words import evidence_words
from intake.screening.outcomes import OUTCOME_TEXT
from intake.screening.rules import render_message
from intake.screening.ruleset_format import dictionary

DETAIL_LEVELS = ("full", "summary", "minimal")


def _detail() -> str:
    detail = current_app.config["CLINIC_EMAIL_DETAIL"]
    return detail if detail in DETAIL_LEVELS else "minimal"


def _staff_url(booking: BookingRequest) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/staff/requests/{booking.id}"


def clinic_email_context(booking: BookingRequest) -> dict[str, Any]:
    """Everything the clinic email shows, at the configured level of detail."""
    submission = booking.submission
    context = {
        "emergency_number": current_app.config["EMERGENCY_NUMBER"],
        "clinic_name": current_app.config["CLINIC_NAME"],
    }
    # what made each rule fire is answers: only an email that carries the answers says it
    facts = dictionary() if _detail() == "full" else {}
    fired = [
        dict(
            rule,
            patient_message=render_message(rule["patient_message"], context),
            facts=evidence_words(rule.get("evidence"), facts, submission.answers) if facts else [],
        )
        for rule in submission.fired
    ]
    red_flags = [r for r in fired if r["safety"]]
    precautions = [r for r in fired if not r["safety"] and r["outcome"] != "info"]
    received = booking.created_at or utcnow()
    zone = clinic_time.clinic_zone()
    steps = first_steps(
        submission.outcome,
        respond_by=clinic_time.clinic_respond_by(received),
        promise=clinic_time.promise_words(),
        red_flags=len(red_flags),
        precautions=len(precautions),
        detailed=_detail() != "minimal",
    )
    return {
        "detail": _detail(),
        "booking": booking,
        "submission": submission,
        # who, how to reach them, when they can come, what to do first; then the detail
        "received": moment_words(clinic_time.to_local(received, zone), zone.key),
        "first_steps": steps,
        "red_flags": red_flags,
        "precautions": precautions,
        "notes": [r for r in fired if r["outcome"] == "info"],
        "scores": submission.scores,
        "sections": summary.answer_sections(submission.answers),
        "days": availability.in_words(booking.preferred_days),
        "times": availability.in_words(booking.preferred_times),
        "staff_url": _staff_url(booking),
        "ruleset_number": submission.ruleset_version.number,
        "clinic_name": current_app.config["CLINIC_NAME"],
    }


def queue_booking_emails(booking: BookingRequest) -> list[OutboxMessage]:
    """Queue the clinic's triage email and the patient's confirmation (caller commits)."""
    submission = booking.submission
    context = clinic_email_context(booking)
    clinic = outbox.enqueue(
        kind="clinic_booking",
        recipients=current_app.config["CLINIC_EMAIL"],
        subject=f"New booking request {submission.reference}: "
        f"{OUTCOME_TEXT[submission.outcome].label}",
        text_body=render_template("mail/clinic.txt", **context),
        html_body=render_template("mail/clinic.html", **context),
        reply_to=booking.email,
        booking_request_id=booking.id,
    )
    patient_context = {
        "reference": submission.reference,
        "clinic_name": current_app.config["CLINIC_NAME"],
        "clinic_phone": current_app.config["CLINIC_PHONE"],
        "clinic_email": current_app.config["CLINIC_EMAIL"][0],
        "emergency_number": current_app.config["EMERGENCY_NUMBER"],
    }
    patient = outbox.enqueue(
        kind="patient_confirmation",
        recipients=[booking.email],
        subject=f"We have your request {submission.reference}",
        text_body=render_template("mail/confirmation.txt", **patient_context),
        html_body=render_template("mail/confirmation.html", **patient_context),
        booking_request_id=booking.id,
    )
    return [clinic, patient]


def queue_resume_link(draft: Draft, email: str, link: str, hours: int) -> OutboxMessage:
    """Queue the 'carry on with your answers' email: the link and nothing else."""
    context = {"link": link, "hours": hours, "clinic_name": current_app.config["CLINIC_NAME"]}
    return outbox.enqueue(
        kind="resume_link",
        recipients=[email],
        subject=f"Your link to carry on – {current_app.config['CLINIC_NAME']}",
        text_body=render_template("mail/resume.txt", **context),
        html_body=render_template("mail/resume.html", **context),
    )


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, under BASE_URL: works with or without a request."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc or "localhost", script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def queue_followup(followup: FollowUp, token: str, *, reminder: bool = False) -> OutboxMessage:
    """Queue a follow-up email or its reminder (intake/followup/schedule.py): who it is from,
    the link, until when it works, and the unsubscribe link. No name and no health detail."""
    booking = followup.booking
    clinic = current_app.config["CLINIC_NAME"]
    last_day = followup.expires_at - dt.timedelta(days=1)  # the last whole day it works
    context = {
        "clinic_name": clinic,
        "reminder": reminder,
        "link": public_url("followup.answer", token=token),
        "until": f"{last_day:%A} {last_day.day} {last_day:%B %Y}",
        "unsubscribe_link": public_url(
            "followup.unsubscribe", token=links.unsubscribe_token(booking)
        ),
    }
    return outbox.enqueue(
        kind="followup_reminder" if reminder else "followup",
        recipients=[booking.email],
        subject=f"{'Reminder: a' if reminder else 'A'} few short questions from {clinic}",
        text_body=render_template("mail/followup.txt", **context),
        html_body=render_template("mail/followup.html", **context),
        booking_request_id=booking.id,
        unsubscribe_url=public_url(
            "followup.one_click_unsubscribe", token=links.unsubscribe_token(booking)
        ),
    )
