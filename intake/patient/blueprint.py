"""Blueprint "patient": the public questionnaire, result and booking request. Its views are
in views.py (the questionnaire and result) and booking_views.py (the booking request); here is
what they share: the session's keys, the rate limits, and the hooks every patient page runs.
The factory imports both view modules."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from intake.extensions import db, limiter
from intake.hardening import posts_only
from intake.models import Draft, Submission
from intake.patient import field_html, journey, submissions

bp = Blueprint("patient", __name__)
bp.add_app_template_global(field_html.unanswered_field)
log = logging.getLogger("intake.patient")

#: What the patient journey keeps in the session (an opaque id each; never answers).
PATIENT_KEYS = (
    "draft_id",
    "submission",
    "sent_reference",
    "sent_followup",
    "psfs_booking",
    "cleared",
)


#: Pages whose GET reads the draft on its own connection, not the session's (DraftValues).
SHOWN_DRAFT_PAGES = {"patient.question_page", "patient.check_answers"}


def _patient_limit() -> str:
    return current_app.config["PATIENT_RATE_LIMIT"]


def _booking_limit() -> str:
    return current_app.config["BOOKING_RATE_LIMIT"]


#: One allowance per address for every questionnaire form together (RATELIMIT_STORAGE_URI).
questionnaire_limit = posts_only(
    limiter.shared_limit(_patient_limit, scope="questionnaire", methods=["POST"])
)


def current_draft() -> Draft:
    """The patient's live draft; DraftMissing is turned into the 'expired' page."""
    return submissions.get_draft(session.get("draft_id"))


def current_journey() -> journey.Journey:
    """The live journey: the draft's values for a GET and for a question page's POST, which
    writes the draft and nothing else (on PostgreSQL in one round trip that need not wait for
    the disk); the Draft itself for the check page's POST, which completes it."""
    values = request.method != "POST" or request.endpoint == "patient.question_page"
    return journey.Journey.of(session.get("draft_id"), values=values)


def journey_or_result() -> journey.Journey | Response:
    """The live journey; once the questionnaire is finished (screened) and its result is still
    on this device, a redirect to that result instead (Back from the result lands there)."""
    if session.get("draft_id") is None and current_submission() is not None:
        return redirect(url_for("patient.result"))
    return current_journey()


def keep_draft(draft: Draft) -> None:
    """The session holds the draft's opaque id, and outlives the browser."""
    session["draft_id"] = draft.id
    session.permanent = True


def current_submission() -> Submission | None:
    """The patient's screened submission, or None once the request was sent or they finished."""
    return submissions.get_submission(session.get("submission"))


def end_patient_session(**carry: object) -> None:
    """Forget the patient's answers and result on this device (perhaps a waiting-room tablet);
    `carry` keeps a value for the next page only. A staff login in the same browser stays."""
    for key in PATIENT_KEYS:
        session.pop(key, None)
    session.update(carry)


def cleared_page() -> str:
    """What pages that showed answers or a result show once they are cleared from the device."""
    return render_template("patient/cleared.html")


@bp.before_request
def least_database_work() -> None:
    """A POST commits once, near its end, and then reads back only what it wrote (the draft's
    answers for the next page, a reference): the values in memory are those, so they are not
    expired and read again after the commit. A GET only reads: on PostgreSQL its statements
    run without a transaction, so no BEGIN and ROLLBACK round trips (each statement sees
    committed data, as it would inside a READ COMMITTED transaction). SQLite opens no
    transaction for reads in the first place. The question and check pages' GETs read the
    draft outside the session, the same way (submissions.draft_and_rules)."""
    if request.method == "POST":
        db.session().expire_on_commit = False
    elif db.engine.dialect.name == "postgresql" and not (
        request.endpoint in SHOWN_DRAFT_PAGES and session.get("draft_id") is not None
    ):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@bp.after_request
def no_store(response: Response) -> Response:
    """Patient pages show answers and results: no browser or proxy may keep a copy, so Back
    and history on a shared device fetch them again (and find them cleared)."""
    response.headers["Cache-Control"] = "no-store"
    return response


#: The booking form's own allowance per address (BOOKING_RATE_LIMIT).
booking_limit = posts_only(limiter.limit(_booking_limit, methods=["POST"]))
