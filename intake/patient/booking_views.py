"""The booking request's views: the form, the PSFS activities page for those who opted in to
follow-up, and the confirmation. Routes are on the blueprint of intake.patient.blueprint."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from intake.extensions import db
from intake.models import Submission
from intake.patient import journey, submissions
from intake.patient.blueprint import (
    booking_limit,
    bp,
    cleared_page,
    current_submission,
    end_patient_session,
    log,
    questionnaire_limit,
)
from intake.patient.forms import PSFS_ACTIVITIES, BookingForm, parse_psfs, psfs_fields
from intake.web import form_page


@bp.route("/booking", methods=["GET", "POST"])
@booking_limit
def booking() -> Response | tuple[str, int] | str:
    """The booking request form; a second submit shows the first request's confirmation."""
    submission = current_submission()
    if submission is None:  # sent (or finished): this device shows nothing more
        return redirect(url_for(".booking_sent")) if request.method == "POST" else cleared_page()
    detour = journey.booking_detour(submission)
    if detour:
        return redirect(detour)
    region = current_app.config["PHONE_REGION"]
    if request.method == "GET":  # fresh, or as last sent with its errors
        return _booking_page(submission, BookingForm.held(submission.held_booking, region))
    form = BookingForm(phone_region=region)
    if form.website.data:
        # The honeypot: people never see it, form-filling bots do. Store nothing.
        log.info("booking dropped, honeypot filled submission=%s", submission.id)
        return redirect(url_for(".booking_sent"))
    if form.validate_on_submit():
        return _send_booking(submission, form.data)
    submission.held_booking = form.to_hold(request.form)
    db.session.commit()
    return redirect(url_for(".booking"))


def _booking_page(submission: Submission, form: BookingForm) -> tuple[str, int] | str:
    fields = form.field_views(current_app.config["FOLLOWUP_SCHEDULE"])
    return form_page(
        "patient/booking.html",
        [f for f in fields if f.error],
        back_url=url_for(".result"),
        form=form,
        fields=fields,
        submission=submission,
    )


def _send_booking(submission: Submission, details: dict) -> Response:
    """Store the request and queue its emails, then end the patient's session on this device:
    only the confirmation is left to show, once."""
    booking = submissions.request_booking(submission, details)
    submission.held_booking = None
    submissions.revoke_patient_token(submission)
    db.session.commit()
    log.info("booking requested submission=%s", submission.id)
    if booking.followup_consent and booking.psfs_baseline is None:
        # the PSFS page comes first; it finds the request by this id, for that page only
        end_patient_session(psfs_booking=booking.id)
        return redirect(url_for(".booking_activities"))
    end_patient_session(sent_reference=submission.reference)
    return redirect(url_for(".booking_sent"))


#: The PSFS page's fields.
PSFS_NAMES = [
    f"{kind}_{n}" for n in range(1, PSFS_ACTIVITIES + 1) for kind in ("activity", "score")
]


@bp.route("/booking/activities", methods=["GET", "POST"])
@questionnaire_limit
def booking_activities() -> Response | tuple[str, int] | str:
    """For those who opted in to follow-up, after the request is stored: up to 3 activities
    the problem makes hard, each rated 0-10 (the PSFS baseline), or skip. Then the
    confirmation. A page sent with errors is held and shown again by a redirect."""
    booking = submissions.booking_for_psfs(session.get("psfs_booking"))
    if booking is None:  # done, skipped, or never asked: what is left is the confirmation
        session.pop("psfs_booking", None)
        return redirect(url_for(".booking_sent"))
    if request.method == "GET":
        held = submissions.held_psfs(booking)
        errors = parse_psfs(held)[1] if held is not None else {}
        fields = psfs_fields(held or {}, errors)
        return form_page("patient/activities.html", [f for f in fields if f.error], fields=fields)
    raw = {name: request.form.getlist(name) for name in PSFS_NAMES}
    skip = request.form.get("action") == "skip"
    activities, errors = ([], {}) if skip else parse_psfs(raw)
    if errors:
        submissions.hold_psfs(booking, raw)
        db.session.commit()
        return redirect(url_for(".booking_activities"))
    submissions.store_psfs(booking, activities)
    db.session.commit()
    log.info("psfs baseline %s booking=%s", "skipped" if skip else "given", booking.id)
    end_patient_session(sent_reference=booking.submission.reference, sent_followup=True)
    return redirect(url_for(".booking_sent"))


@bp.get("/booking/sent")
def booking_sent() -> Response | str:
    """Confirmation with the reference, shown once: a refresh or Back finds it cleared."""
    reference = session.pop("sent_reference", None)
    followup = session.pop("sent_followup", False)
    if reference is not None:
        return render_template("patient/sent.html", reference=reference, followup=followup)
    submission = current_submission()
    if submission is not None and submission.booking is None:
        return redirect(url_for(".booking"))  # nothing was sent (a filled-in honeypot)
    return cleared_page()
