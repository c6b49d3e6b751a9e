"""Blueprint "patient": the public questionnaire, result and booking request. Thin views."""

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
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from intake.extensions import db, limiter
from intake.forms import wtf_field
from intake.mail import emails
from intake.patient import submissions
from intake.patient.forms import BookingForm, SaveForLaterForm, step_fields
from intake.screening import questionnaire, rules
from intake.screening.outcomes import OUTCOME_TEXT
from intake.staff.rules import rulesets

bp = Blueprint("patient", __name__)
log = logging.getLogger("intake.patient")


def _patient_limit() -> str:
    return current_app.config["PATIENT_RATE_LIMIT"]


def _booking_limit() -> str:
    return current_app.config["BOOKING_RATE_LIMIT"]


#: One allowance per address for every questionnaire form together (RATELIMIT_STORAGE_URI).
questionnaire_limit = limiter.shared_limit(_patient_limit, scope="questionnaire", methods=["POST"])


def _ruleset() -> tuple:
    version = rulesets.current_version()
    return version, rulesets.compiled(version)


def _draft():
    """The patient's live draft; DraftMissing is turned into the 'expired' page."""
    return submissions.get_draft(session.get("draft_id"))


@bp.get("/")
def start() -> str:
    """Start page: what this is, how long it takes, not for emergencies."""
    return render_template("patient/start.html", resume=_has_live_draft())


def _has_live_draft() -> bool:
    try:
        _draft()
    except submissions.DraftMissing:
        return False
    return True


@bp.get("/privacy")
def privacy() -> str:
    """The privacy notice."""
    return render_template("patient/privacy.html")


@bp.post("/start")
@questionnaire_limit
def start_questionnaire() -> Response:
    """Begin a new questionnaire (or carry on with the one in progress)."""
    FlaskForm().validate_on_submit()  # CSRF is checked by CSRFProtect before this runs
    if request.form.get("resume") == "1" and _has_live_draft():
        draft = _draft()
    else:
        draft = submissions.start_draft(current_app.config["DRAFT_TTL"])
        session["draft_id"] = draft.id
        session.permanent = True
        db.session.commit()
        log.info("draft started draft=%s", draft.id[:8])
    _, ruleset = _ruleset()
    step = questionnaire.first_unanswered_step(draft.answers, ruleset.min_age_self_consent)
    if step is None:
        return redirect(url_for(".check_answers"))
    return redirect(url_for(".question_page", step_id=step.id))


@bp.route("/questions/<step_id>", methods=["GET", "POST"])
@questionnaire_limit
def question_page(step_id: str) -> Response | tuple[str, int] | str:
    """One page of questions; branching comes from questionnaire.next_step."""
    step = questionnaire.STEPS_BY_ID.get(step_id)
    if step is None:
        abort(404)
    draft = _draft()
    _, ruleset = _ruleset()
    min_age = ruleset.min_age_self_consent
    visible = questionnaire.visible_steps(draft.answers, min_age)
    if step not in visible:
        return redirect(_resume_url(draft.answers, min_age))
    first_gap = questionnaire.first_unanswered_step(draft.answers, min_age)
    if first_gap is not None and visible.index(first_gap) < visible.index(step):
        return redirect(url_for(".question_page", step_id=first_gap.id))
    changing = request.args.get("change") == "1"

    raw = None
    errors: dict[str, str] = {}
    answers = draft.answers
    if request.method == "POST":
        raw = {key: request.form.getlist(key) for key in request.form if key != "csrf_token"}
        later = request.form.get("action") == "save_later"
        answers, errors = submissions.save_step(
            draft, step, raw, ruleset, current_app.config["DRAFT_TTL"], partial=later
        )
        if later:  # keep what is valid; the rest is asked again on return
            db.session.commit()
            return redirect(url_for(".save_for_later", step=step.id))
        if not errors:
            db.session.commit()
            return redirect(_after_save_url(draft.answers, step, changing, min_age))

    shown = questionnaire.visible_questions(step, answers, min_age)
    fields = step_fields(step, answers, raw, errors, shown)
    visible = questionnaire.visible_steps(answers if not errors else draft.answers, min_age)
    back = (
        url_for(".check_answers")
        if changing
        else _step_url(questionnaire.previous_step(draft.answers, step.id, min_age))
    )
    html = render_template(
        "patient/question.html",
        step=step,
        fields=fields,
        errors=[f for f in fields if f.error],
        number=visible.index(step) + 1 if step in visible else None,
        total=len(visible),
        back_url=back,
        changing=changing,
    )
    return (html, 422) if errors else html


def _step_url(step: questionnaire.Step | None) -> str:
    return url_for(".question_page", step_id=step.id) if step else url_for(".start")


def _resume_url(answers: dict, min_age: int) -> str:
    gap = questionnaire.first_unanswered_step(answers, min_age)
    return _step_url(gap) if gap else url_for(".check_answers")


def _after_save_url(answers: dict, step: questionnaire.Step, changing: bool, min_age: int) -> str:
    if changing:
        gap = questionnaire.first_unanswered_step(answers, min_age)
        if gap is None:
            return url_for(".check_answers")
        return url_for(".question_page", step_id=gap.id, change=1)
    following = questionnaire.next_step(answers, step.id, min_age)
    return _step_url(following) if following else url_for(".check_answers")


@bp.route("/save", methods=["GET", "POST"])
@questionnaire_limit
def save_for_later() -> Response | tuple[str, int] | str:
    """Email a single-use link to carry on with the draft later."""
    draft = _draft()
    form = SaveForLaterForm()
    step = questionnaire.STEPS_BY_ID.get(request.args.get("step", ""))
    back = _step_url(step) if step else url_for(".start")
    if form.validate_on_submit():
        ttl = current_app.config["RESUME_LINK_TTL"]
        token = submissions.create_resume_token(draft, ttl)
        link = current_app.config["BASE_URL"].rstrip("/") + url_for(".resume", token=token)
        emails.queue_resume_link(draft, form.email.data, link, hours=max(1, ttl // 3600))
        db.session.commit()
        log.info("resume link queued draft=%s", draft.id[:8])
        return render_template("patient/save_sent.html", hours=max(1, ttl // 3600))
    fields = [wtf_field(form.email)]
    html = render_template(
        "patient/save.html", fields=fields, errors=[f for f in fields if f.error], back_url=back
    )
    return (html, 422) if form.errors else html


@bp.route("/resume/<token>", methods=["GET", "POST"])
@questionnaire_limit
def resume(token: str) -> Response | str:
    """A 'carry on later' link: GET shows a button (so mail scanners cannot spend the link)."""
    if request.method == "GET":
        submissions.find_resume_token(token)
        return render_template("patient/resume.html")
    draft = submissions.use_resume_token(token)
    session["draft_id"] = draft.id
    session.permanent = True
    db.session.commit()
    _, ruleset = _ruleset()
    return redirect(_resume_url(draft.answers, ruleset.min_age_self_consent))


@bp.route("/check", methods=["GET", "POST"])
@questionnaire_limit
def check_answers() -> Response | str:
    """Every visible answer with a Change link; confirming screens and stores the answers."""
    draft = _draft()
    version, ruleset = _ruleset()
    min_age = ruleset.min_age_self_consent
    gap = questionnaire.first_unanswered_step(draft.answers, min_age)
    if gap is not None:
        return redirect(url_for(".question_page", step_id=gap.id))
    if request.method == "POST" and draft.purpose == "test_case":
        # Staff filling the questionnaire in test mode: the answers become a rule test case.
        return redirect(url_for("staff_rules.new_test_case"))
    if request.method == "POST":
        submission = submissions.complete(draft, version, current_app.config["PAIN_BAND_CUTS"])
        db.session.commit()
        session.pop("draft_id", None)
        session["submission"] = submission.token
        log.info("submission screened submission=%s outcome=%s", submission.id, submission.outcome)
        return redirect(url_for(".result"))
    answers = questionnaire.prune(draft.answers, min_age)
    sections = []
    for step in questionnaire.visible_steps(answers, min_age):
        rows = list(
            questionnaire.iter_answer_rows(
                {
                    k: v
                    for k, v in answers.items()
                    if questionnaire.ASKED_BY.get(k) in step.questions
                }
            )
        )
        sections.append((step, rows))
    return render_template(
        "patient/check.html",
        sections=sections,
        back_url=_step_url(questionnaire.visible_steps(answers, min_age)[-1]),
    )


def _submission():
    submission = submissions.get_submission(session.get("submission"))
    if submission is None:
        abort(404)
    return submission


@bp.get("/result")
def result() -> str:
    """The outcome in plain words, the reasons and the next step."""
    submission = _submission()
    context = {
        "emergency_number": current_app.config["EMERGENCY_NUMBER"],
        "clinic_name": current_app.config["CLINIC_NAME"],
    }
    reasons = [
        rules.render_message(rule["patient_message"], context)
        for rule in submission.fired
        if rule["outcome"] != "info" and rule["patient_message"]
    ]
    return render_template(
        "patient/result.html",
        submission=submission,
        outcome=OUTCOME_TEXT[submission.outcome],
        reasons=reasons,
        can_book=submissions.booking_allowed(submission),
    )


@bp.route("/booking", methods=["GET", "POST"])
@limiter.limit(_booking_limit, methods=["POST"])
def booking() -> Response | tuple[str, int] | str:
    """The booking request form; a second submit shows the first request's confirmation."""
    submission = _submission()
    if not submissions.booking_allowed(submission):
        return redirect(url_for(".result"))
    if submission.booking is not None:
        return redirect(url_for(".booking_sent"))
    form = BookingForm(phone_region=current_app.config["PHONE_REGION"])
    if form.is_submitted() and form.website.data:
        # The honeypot: people never see it, form-filling bots do. Store nothing.
        log.info("booking dropped, honeypot filled submission=%s", submission.id)
        return redirect(url_for(".booking_sent"))
    if form.validate_on_submit():
        submissions.request_booking(submission, form.data)
        db.session.commit()
        log.info("booking requested submission=%s", submission.id)
        return redirect(url_for(".booking_sent"))
    fields = [
        wtf_field(form[name])
        for name in (
            "name",
            "email",
            "phone",
            "preferred_days",
            "preferred_times",
            "message",
            "consent_privacy",
            "consent_contact",
        )
    ]
    html = render_template(
        "patient/booking.html",
        back_url=url_for(".result"),
        form=form,
        fields=fields,
        errors=[f for f in fields if f.error],
        outcome=OUTCOME_TEXT[submission.outcome],
    )
    return (html, 422) if form.errors else html


@bp.get("/booking/sent")
def booking_sent() -> str:
    """Confirmation with the reference."""
    submission = _submission()
    if submission.booking is None:
        return redirect(url_for(".booking"))
    return render_template("patient/sent.html", submission=submission)
