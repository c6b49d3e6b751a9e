"""The patient questionnaire's views: start, question pages, save for later, check your answers,
the result. Thin: the journey (intake.patient.journey) decides where each page leads;
submissions store. Routes are on the blueprint of intake.patient.blueprint."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from intake.extensions import db
from intake.models import Draft
from intake.patient import journey, page_html, results, resume_links, submissions
from intake.patient.blueprint import (
    bp,
    cleared_page,
    current_draft,
    current_submission,
    end_patient_session,
    journey_or_result,
    keep_draft,
    log,
    questionnaire_limit,
)
from intake.patient.forms import SaveForLaterForm
from intake.screening.facts import derived_once
from intake.web import form_page


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
        end_patient_session()  # a new person on a shared device never sees the last result
        keep_draft(draft)
        db.session.commit()
        log.info("draft started draft=%s", draft.id[:8])
    return redirect(journey.Journey(draft).resume_url())


@bp.route("/questions/<step_id>", methods=["GET", "POST"])
@questionnaire_limit
@derived_once()
def question_page(step_id: str) -> Response | tuple[str, int] | str:
    """One page of questions; branching comes from the questionnaire, through the journey. A
    page sent with errors is held and shown again by a redirect (Back never resubmits it)."""
    trip = journey_or_result()
    if isinstance(trip, Response):
        return trip
    step = journey.find_step(step_id)
    if step is None:  # a page the questionnaire no longer has: an old tab, a bookmark
        return redirect(trip.resume_url())
    if detour := trip.detour_url(step):
        return redirect(detour)
    changing, more = request.args.get("change") == "1", request.args.get("more") == "1"
    if request.method == "GET":
        return page_html.question_page(trip.question_page(step, changing, more))
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
    draft = current_draft()
    form = SaveForLaterForm()
    refused = False
    if form.validate_on_submit():
        try:
            hours = _email_resume_link(draft, form.email.data)
        except resume_links.ResumeLinksExhausted as error:
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
    limits = resume_links.ResumeLinkLimits(
        config["RESUME_LINK_LIMIT"], config["RESUME_LINK_CLIENT_LIMIT"], get_remote_address()
    )
    hours = resume_links.email_resume_link(
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
        resume_links.find_resume_token(token)
        return render_template("patient/resume.html")
    draft = resume_links.use_resume_token(token)
    keep_draft(draft)
    db.session.commit()
    return redirect(journey.Journey(draft).resume_url())


@bp.route("/check", methods=["GET", "POST"])
@questionnaire_limit
@derived_once()
def check_answers() -> Response | str:
    """Every visible answer with a Change link; confirming screens and stores the answers."""
    trip = journey_or_result()
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
    submission = current_submission()
    if submission is None:
        return cleared_page()
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
    submission = current_submission()
    if submission is not None:
        submissions.revoke_patient_token(submission)
        db.session.commit()
        log.info("patient finished submission=%s", submission.id)
    end_patient_session(cleared=True)
    return redirect(url_for(".start"))
