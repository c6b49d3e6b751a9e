"""Blueprint "patient": the public questionnaire, result and booking request. Thin views: the
journey (intake.patient.journey) decides where each page leads; submissions store."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from intake.extensions import db, limiter
from intake.hardening import posts_only
from intake.models import Draft, Submission
from intake.patient import field_html, journey, results, submissions
from intake.patient.forms import (
    PSFS_ACTIVITIES,
    BookingForm,
    SaveForLaterForm,
    parse_psfs,
    psfs_fields,
)
from intake.screening.facts import derived_once
from intake.web import form_page

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


#: Pages whose GET reads the draft on its own connection, not the session's (a ShownDraft).
SHOWN_DRAFT_PAGES = {"patient.question_page", "patient.check_answers"}


def _patient_limit() -> str:
    return current_app.config["PATIENT_RATE_LIMIT"]


def _booking_limit() -> str:
    return current_app.config["BOOKING_RATE_LIMIT"]


#: One allowance per address for every questionnaire form together (RATELIMIT_STORAGE_URI).
questionnaire_limit = posts_only(
    limiter.shared_limit(_patient_limit, scope="questionnaire", methods=["POST"])
)


def _draft() -> Draft:
    """The patient's live draft; DraftMissing is turned into the 'expired' page."""
    return submissions.get_draft(session.get("draft_id"))


def _journey() -> journey.Journey:
    return journey.Journey.of(session.get("draft_id"), to_show=request.method != "POST")


def _journey_or_result() -> journey.Journey | Response:
    """The live journey; once the questionnaire is finished (screened) and its result is still
    on this device, a redirect to that result instead (Back from the result lands there)."""
    if session.get("draft_id") is None and _submission() is not None:
        return redirect(url_for(".result"))
    return _journey()


def _keep_draft(draft: Draft) -> None:
    """The session holds the draft's opaque id, and outlives the browser."""
    session["draft_id"] = draft.id
    session.permanent = True


def _submission() -> Submission | None:
    """The patient's screened submission, or None once the request was sent or they finished."""
    return submissions.get_submission(session.get("submission"))


def _end_patient_session(**carry: object) -> None:
    """Forget the patient's answers and result on this device (perhaps a waiting-room tablet);
    `carry` keeps a value for the next page only. A staff login in the same browser stays."""
    for key in PATIENT_KEYS:
        session.pop(key, None)
    session.update(carry)


def _cleared() -> str:
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


@bp.get("/")
def start() -> str:
    """Start page: what this is, how long it takes, not for emergencies."""
    resume = submissions.live_draft(session.get("draft_id")) is not None
    cleared = session.pop("cleared", False)
    return render_template("patient/start.html", resume=resume, cleared=cleared)


@bp.get("/privacy")
def privacy() -> str:
    """The privacy notice."""
    return render_template("patient/privacy.html")


@bp.post("/start")
@questionnaire_limit
def start_questionnaire() -> Response:
    """Begin a new questionnaire (or carry on with the one in progress)."""
    FlaskForm().validate_on_submit()  # CSRF is checked by CSRFProtect before this runs
    draft = None
    if request.form.get("resume") == "1":
        draft = submissions.live_draft(session.get("draft_id"))
    if draft is None:
        draft = submissions.start_draft(current_app.config["DRAFT_TTL"])
        _end_patient_session()  # a new person on a shared device never sees the last result
        _keep_draft(draft)
        db.session.commit()
        log.info("draft started draft=%s", draft.id[:8])
    return redirect(journey.Journey(draft).resume_url())


@bp.route("/questions/<step_id>", methods=["GET", "POST"])
@questionnaire_limit
@derived_once()
def question_page(step_id: str) -> Response | tuple[str, int] | str:
    """One page of questions; branching comes from the questionnaire, through the journey. A
    page sent with errors is held and shown again by a redirect (Back never resubmits it)."""
    step = journey.find_step(step_id)
    if step is None:
        abort(404)
    trip = _journey_or_result()
    if isinstance(trip, Response):
        return trip
    if detour := trip.detour_url(step):
        return redirect(detour)
    changing, more = request.args.get("change") == "1", request.args.get("more") == "1"
    if request.method == "GET":
        return form_page("patient/question.html", **trip.question_page(step, changing, more))
    raw = {key: request.form.getlist(key) for key in request.form if key != "csrf_token"}
    later = request.form.get("action") == "save_later"
    page = trip.page(step, more)
    _, errors = trip.save(page, raw, current_app.config["DRAFT_TTL"], partial=later)
    if errors and not later:
        trip.hold(step, more, raw, errors)
    db.session.commit()
    if later:  # what is valid is kept; the rest is asked again on return
        return redirect(url_for(".save_for_later", step=step.id))
    if errors:
        return redirect(journey.step_url(step, change=changing, more=more))
    return redirect(trip.after_save_url(step, changing))


@bp.route("/save", methods=["GET", "POST"])
@questionnaire_limit
def save_for_later() -> Response | tuple[str, int] | str:
    """Email a single-use link to carry on with the draft later."""
    draft = _draft()
    form = SaveForLaterForm()
    refused = False
    if form.validate_on_submit():
        try:
            hours = _email_resume_link(draft, form.email.data)
        except submissions.ResumeLinksExhausted as error:
            refused = True
            form.refuse(error.retry_after)
            log.info("resume link refused, limit reached draft=%s", draft.id[:8])
        else:
            return render_template("patient/save_sent.html", hours=hours)
    fields = form.field_views()
    back_url = journey.step_url(journey.find_step(request.args.get("step", "")))
    page = form_page(
        "patient/save.html", [f for f in fields if f.error], fields=fields, back_url=back_url
    )
    return (page[0], 429) if refused else page


def _email_resume_link(draft: Draft, email: str) -> int:
    """Queue the link within the limits (per draft, email address and client); its hours."""
    config = current_app.config
    limits = submissions.ResumeLinkLimits(
        config["RESUME_LINK_LIMIT"], config["RESUME_LINK_CLIENT_LIMIT"], get_remote_address()
    )
    hours = submissions.email_resume_link(
        draft, email, config["RESUME_LINK_TTL"], config["BASE_URL"], limits
    )
    db.session.commit()
    log.info("resume link queued draft=%s", draft.id[:8])
    return hours


@bp.route("/resume/<token>", methods=["GET", "POST"])
@questionnaire_limit
def resume(token: str) -> Response | str:
    """A 'carry on later' link: GET shows a button (so mail scanners cannot spend the link)."""
    if request.method == "GET":
        submissions.find_resume_token(token)
        return render_template("patient/resume.html")
    draft = submissions.use_resume_token(token)
    _keep_draft(draft)
    db.session.commit()
    return redirect(journey.Journey(draft).resume_url())


@bp.route("/check", methods=["GET", "POST"])
@questionnaire_limit
@derived_once()
def check_answers() -> Response | str:
    """Every visible answer with a Change link; confirming screens and stores the answers."""
    trip = _journey_or_result()
    if isinstance(trip, Response):
        return trip
    unfinished = trip.unfinished_url()
    if unfinished:
        return redirect(unfinished)
    if request.method == "GET":
        return render_template("patient/check.html", **trip.check_page())
    if trip.for_test_case:
        return redirect(url_for("staff_rules.new_test_case"))
    submission = trip.complete(current_app.config["PAIN_BAND_CUTS"])
    db.session.commit()
    session.pop("draft_id", None)
    session["submission"] = submission.token
    log.info("submission screened submission=%s outcome=%s", submission.id, submission.outcome)
    return redirect(url_for(".result"))


@bp.get("/result")
def result() -> str:
    """The outcome in plain words, the reasons and the next step."""
    submission = _submission()
    if submission is None:
        return _cleared()
    context = {
        "emergency_number": current_app.config["EMERGENCY_NUMBER"],
        "clinic_name": current_app.config["CLINIC_NAME"],
    }
    return render_template(
        "patient/result.html",
        **results.result_page(submission, context),
        can_book=submissions.booking_allowed(submission),
    )


@bp.post("/finish")
def finish() -> Response:
    """Finish and clear my answers: the result is no longer shown on this device."""
    submission = _submission()
    if submission is not None:
        submissions.revoke_patient_token(submission)
        db.session.commit()
        log.info("patient finished submission=%s", submission.id)
    _end_patient_session(cleared=True)
    return redirect(url_for(".start"))


@bp.route("/booking", methods=["GET", "POST"])
@posts_only(limiter.limit(_booking_limit, methods=["POST"]))
def booking() -> Response | tuple[str, int] | str:
    """The booking request form; a second submit shows the first request's confirmation."""
    submission = _submission()
    if submission is None:  # sent (or finished): this device shows nothing more
        return redirect(url_for(".booking_sent")) if request.method == "POST" else _cleared()
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
        _end_patient_session(psfs_booking=booking.id)
        return redirect(url_for(".booking_activities"))
    _end_patient_session(sent_reference=submission.reference)
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
    _end_patient_session(sent_reference=booking.submission.reference, sent_followup=True)
    return redirect(url_for(".booking_sent"))


@bp.get("/booking/sent")
def booking_sent() -> Response | str:
    """Confirmation with the reference, shown once: a refresh or Back finds it cleared."""
    reference = session.pop("sent_reference", None)
    followup = session.pop("sent_followup", False)
    if reference is not None:
        return render_template("patient/sent.html", reference=reference, followup=followup)
    submission = _submission()
    if submission is not None and submission.booking is None:
        return redirect(url_for(".booking"))  # nothing was sent (a filled-in honeypot)
    return _cleared()
