"""Blueprint "staff": login, booking requests, workflow, outbox, export, charts, audit log.

Every route needs a logged-in staff member (checked once, in `before_request`); admin routes
also need the admin role. Sessions end after STAFF_IDLE_TIMEOUT of inactivity.
"""

from __future__ import annotations

import re
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import select

from intake import auth, bookings, charts, outbox, questionnaire
from intake.extensions import db, limiter
from intake.forms import (
    DAYS,
    TIMES,
    ChangePasswordForm,
    FieldView,
    LoginForm,
    NoteForm,
    filter_fields,
    wtf_field,
)
from intake.models import AuditEvent, BookingRequest, OutboxMessage, User
from intake.outcomes import OUTCOME_TEXT
from intake.rules import OUTCOMES

bp = Blueprint("staff", __name__, url_prefix="/staff")

#: Endpoints reachable without logging in.
PUBLIC_ENDPOINTS = {"staff.login"}


@bp.before_request
def require_login():
    """Every staff page needs login; idle sessions end."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    now = time.time()
    last_seen = session.get("staff_seen", now)
    if now - last_seen > current_app.config["STAFF_IDLE_TIMEOUT"]:
        logout_user()
        session.pop("staff_seen", None)
        flash("You were logged out after a period of inactivity.")
        return redirect(url_for(".login", next=request.full_path))
    session["staff_seen"] = now
    return None


@bp.after_request
def no_store(response: Response) -> Response:
    """Staff pages hold health data: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_key() -> str:
    """Per-account key for the login limit: the email as typed."""
    return "login:" + auth.normalise_email(request.form.get("email", ""))[:254]


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_key)
def login():
    """Log in with email and password (throttled per address and per account)."""
    form = LoginForm()
    error = ""
    if form.validate_on_submit():
        user = auth.authenticate(form.email.data, form.password.data)
        if user is None:
            auth.audit("login_failed", actor=auth.normalise_email(form.email.data)[:254])
            db.session.commit()
            error = "The email address or password is not right"
        else:
            session.clear()  # a fresh session on login (fixation)
            login_user(user)
            session["staff_seen"] = time.time()
            auth.audit("login")
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for(".dashboard"))
    fields = [wtf_field(form.email), wtf_field(form.password)]
    if error:
        fields[1].error = error
    errors = [f for f in fields if f.error]
    html = render_template("staff/login.html", fields=fields, errors=errors)
    return (html, 422) if errors else html


def _safe_next(target: str | None) -> str | None:
    """Only redirect to our own staff pages after login."""
    if target and target.startswith("/staff/") and not target.startswith("//"):
        return target
    return None


@bp.post("/logout")
def logout():
    """Log out."""
    auth.audit("logout")
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for(".login"))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Change your own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not auth.check_password(current_user, form.current_password.data):
            form.current_password.errors = ["Your current password is not right"]
        else:
            auth.set_password(current_user, form.new_password.data)
            auth.audit("password_change", f"user:{current_user.id}")
            db.session.commit()
            flash("Your password has been changed.")
            return redirect(url_for(".dashboard"))
    fields = [
        wtf_field(form[name]) for name in ("current_password", "new_password", "confirm_password")
    ]
    errors = [f for f in fields if f.error]
    html = render_template("staff/password.html", fields=fields, errors=errors)
    return (html, 422) if errors else html


@bp.get("/")
def dashboard():
    """Counts and charts: requests per week by outcome, the funnel, where drafts stop."""
    weeks, counts = bookings.weekly_outcomes()
    weekly = charts.stacked_bars(
        "Booking requests per week, by outcome",
        weeks,
        [charts.Series(o, OUTCOME_TEXT[o].label, counts[o], charts.COLOURS[o]) for o in OUTCOMES],
    )
    funnel = bookings.funnel()
    abandoned = bookings.abandoned_by_step()
    steps = {step.id: step.title for step in questionnaire.STEPS}
    abandoned_rows = [("Before the first page", abandoned.get(None, 0))] + [
        (title, abandoned.get(step_id, 0)) for step_id, title in steps.items()
    ]
    return render_template(
        "staff/dashboard.html",
        new_count=bookings.count_new(),
        weekly=Markup(weekly),
        weekly_rows=[(week, [counts[o][i] for o in OUTCOMES]) for i, week in enumerate(weeks)],
        funnel=Markup(charts.horizontal_bars("Started, completed, booking requested", funnel)),
        funnel_rows=funnel,
        abandoned=Markup(
            charts.horizontal_bars(
                "Unfinished questionnaires by last page saved", abandoned_rows, colour="#7a4a00"
            )
        ),
        abandoned_rows=abandoned_rows,
        outcome_text=OUTCOME_TEXT,
    )


def _page_number() -> int:
    """?page=N, from 1 to 99,999; anything else is page 1."""
    raw = request.args.get("page", "1")
    return int(raw) if re.fullmatch(r"[0-9]{1,5}", raw) and int(raw) > 0 else 1


@bp.get("/requests")
def list_requests():
    """Booking requests, newest first: filter, search, page."""
    filters, errors = bookings.RequestFilter.from_args(request.args)
    page = _page_number()
    items, pages = bookings.page_of(filters.query(), page)
    fields = filter_fields(request.args, errors, OUTCOMES, OUTCOME_TEXT, bookings.STATUSES)
    return render_template(
        "staff/requests.html",
        items=items,
        filters=filters,
        fields=fields,
        errors=[f for f in fields if f.error],
        page=min(page, pages),
        pages=pages,
        new_count=bookings.count_new(),
        outcomes=OUTCOMES,
        outcome_text=OUTCOME_TEXT,
        statuses=bookings.STATUSES,
    )


@bp.get("/requests.csv")
def export_requests():
    """The filtered requests as CSV (audited)."""
    filters, _ = bookings.RequestFilter.from_args(request.args)
    items = list(db.session.scalars(filters.query()))
    auth.audit("export", "booking_requests", filters=filters.as_args(), rows=len(items))
    db.session.commit()
    return Response(
        bookings.export_csv(items),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=booking-requests.csv"},
    )


def _booking(request_id: int) -> BookingRequest:
    booking = db.session.get(BookingRequest, request_id)
    if booking is None:
        abort(404)
    return booking


@bp.get("/requests/<int:request_id>")
def show_request(request_id: int):
    """One request: contact, outcome and fired rules, scores, answers, emails, notes."""
    booking = _booking(request_id)
    auth.audit("view_request", f"booking_request:{booking.id}")
    db.session.commit()
    return _render_request(booking, NoteForm())


def _render_request(booking: BookingRequest, note_form: NoteForm, status_error: str = ""):
    submission = booking.submission
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for section, label, answer in questionnaire.iter_answer_rows(submission.answers):
        if not sections or sections[-1][0] != section:
            sections.append((section, []))
        sections[-1][1].append((label, answer))
    emails = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.booking_request_id == booking.id)
            .order_by(OutboxMessage.id)
        )
    )
    note_field = wtf_field(note_form.body)
    return render_template(
        "staff/request.html",
        booking=booking,
        submission=submission,
        outcome=OUTCOME_TEXT[submission.outcome],
        sections=sections,
        emails=emails,
        notes=bookings.notes_of(booking),
        note_field=note_field,
        errors=([note_field] if note_field.error else [])
        + (
            [FieldView("status", "status", "text", "Status", error=status_error)]
            if status_error
            else []
        ),
        next_statuses=bookings.TRANSITIONS[booking.status],
        choice_labels={c.value: c.label for c in (*DAYS, *TIMES)},
        status_error=status_error,
    )


@bp.post("/requests/<int:request_id>/status")
def change_status(request_id: int):
    """Move a request along new → contacted → booked | declined → closed."""
    booking = _booking(request_id)
    status = request.form.get("status", "")
    try:
        old = bookings.change_status(booking, status)
    except bookings.WorkflowError as error:
        return _render_request(booking, NoteForm(), status_error=str(error)), 422
    auth.audit("change_status", f"booking_request:{booking.id}", old=old, new=status)
    db.session.commit()
    flash(f"Status changed to {status}.")
    return redirect(url_for(".show_request", request_id=booking.id))


@bp.post("/requests/<int:request_id>/notes")
def add_note(request_id: int):
    """Add a note to a request's thread."""
    booking = _booking(request_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _render_request(booking, form), 422
    bookings.add_note(booking, current_user, form.body.data)
    auth.audit("add_note", f"booking_request:{booking.id}")
    db.session.commit()
    return redirect(url_for(".show_request", request_id=booking.id) + "#notes")


@bp.get("/outbox")
def show_outbox():
    """Emails waiting or failed, with the last error; retry now."""
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_([outbox.PENDING, outbox.SENDING, outbox.FAILED]))
            .order_by(OutboxMessage.status, OutboxMessage.next_attempt_at)
            .limit(500)
        )
    )
    return render_template("staff/outbox.html", messages=messages)


@bp.post("/outbox/<int:message_id>/retry")
def retry_message(message_id: int):
    """Queue a pending or failed email to be sent now."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if message.status in (outbox.PENDING, outbox.FAILED):
        outbox.retry(message)
        auth.audit("retry_email", f"outbox:{message.id}")
        db.session.commit()
        flash("The email will be sent on the next delivery run.")
    return redirect(url_for(".show_outbox"))


@bp.get("/audit")
@auth.admin_required
def audit_log():
    """The audit log (admin only), newest first."""
    page = _page_number()
    events = list(
        db.session.scalars(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(100).offset((page - 1) * 100)
        )
    )
    return render_template("staff/audit.html", events=events, page=page)


@bp.get("/users")
@auth.admin_required
def list_users():
    """Staff accounts (admin only)."""
    users = list(db.session.scalars(select(User).order_by(User.email)))
    return render_template("staff/users.html", users=users)


@bp.post("/users/<int:user_id>/deactivate")
@auth.admin_required
def deactivate_user(user_id: int):
    """Deactivate an account (admin only); you cannot deactivate yourself."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.")
    elif user.active:
        user.active = False
        auth.audit("user_deactivate", f"user:{user.id}", email=user.email)
        db.session.commit()
        flash(f"{user.email} can no longer log in.")
    return redirect(url_for(".list_users"))
