"""The requests desk: the list with filters and search, CSV export, one request, its workflow
and notes."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from intake.extensions import db
from intake.followup import timeline
from intake.forms import FieldView, wtf_field
from intake.models import BookingRequest
from intake.screening import summary
from intake.screening.rules import OUTCOMES
from intake.staff.blueprint import bp
from intake.staff.requests import appointments, bookings, export, finding, paging
from intake.staff.requests.forms import NoteForm, filter_fields
from intake.web import form_page, page_number


@bp.get("/requests")
def list_requests():
    """Booking requests, newest first: filter, search, page (by cursor links, or a number)."""
    filters, errors = finding.RequestFilter.from_args(request.args)
    position = paging.Position.from_args(request.args, page_number())
    page = paging.find_page(filters, position, bookings.PAGE_SIZE)
    fields = filter_fields(request.args, errors, OUTCOMES, bookings.STATUSES)
    return render_template(
        "staff/requests/list.html",
        page=page,
        filters=filters,
        fields=fields,
        errors=[f for f in fields if f.error],
        total_words=finding.in_words(page.total, page.cap),
        new_words=finding.in_words(page.new_count),
    )


@bp.get("/requests.csv")
def export_requests():
    """The filtered requests as CSV, audited first, then streamed as they are read."""
    filters, _ = finding.RequestFilter.from_args(request.args)
    export.start(filters)
    db.session.commit()
    return Response(
        stream_with_context(export.csv_chunks(filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=booking-requests.csv"},
    )


@bp.get("/requests/<int:request_id>")
def show_request(request_id: int):
    """One request: contact, outcome and fired rules, scores, answers, emails, notes."""
    booking = db.get_or_404(BookingRequest, request_id)
    bookings.record_view(booking)
    db.session.commit()
    return _request_page(booking, NoteForm())


def _request_page(
    booking: BookingRequest,
    note_form: NoteForm,
    status_error: str = "",
    problem: appointments.FieldError | None = None,
):
    note_field = wtf_field(note_form.body)
    status_fields = appointments.fields(booking, request.form, problem)
    errors = [note_field] if note_field.error else []
    if status_error:
        errors.append(FieldView("status", "status", "text", "Status", error=status_error))
    errors += [f for f in status_fields.values() if f.error]
    return form_page(
        "staff/requests/show.html",
        errors,
        booking=booking,
        submission=booking.submission,
        sections=summary.answer_sections(booking.submission.answers),
        emails=bookings.emails_of(booking),
        notes=bookings.notes_of(booking),
        note_field=note_field,
        next_statuses=bookings.TRANSITIONS[booking.status],
        status_error=status_error,
        status_fields=status_fields,
        followup=timeline.panel(booking),
    )


@bp.post("/requests/<int:request_id>/status")
def change_status(request_id: int):
    """Move a request along new → contacted → booked | declined → closed. Booked takes the
    first appointment date; closing a booked one asks whether the patient was treated."""
    booking = db.get_or_404(BookingRequest, request_id)
    try:
        status = appointments.change_status(booking, request.form)
    except appointments.FieldError as error:
        return _request_page(booking, NoteForm(), problem=error)
    except bookings.WorkflowError as error:
        return _request_page(booking, NoteForm(), status_error=str(error))
    db.session.commit()
    flash(f"Status changed to {status}.")
    return redirect(url_for(".show_request", request_id=booking.id))


@bp.post("/requests/<int:request_id>/appointment")
def change_appointment(request_id: int):
    """Change a booked request's first appointment date; its unsent follow-ups move with it."""
    booking = db.get_or_404(BookingRequest, request_id)
    try:
        changed = appointments.reschedule(booking, request.form)
    except appointments.FieldError as error:
        return _request_page(booking, NoteForm(), problem=error)
    except bookings.WorkflowError as error:
        return _request_page(booking, NoteForm(), status_error=str(error))
    db.session.commit()
    flash("First appointment changed." if changed else "The first appointment was already then.")
    return redirect(url_for(".show_request", request_id=booking.id))


@bp.post("/requests/<int:request_id>/notes")
def add_note(request_id: int):
    """Add a note to a request's thread."""
    booking = db.get_or_404(BookingRequest, request_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _request_page(booking, form)
    bookings.add_note(booking, current_user, form.body.data)
    db.session.commit()
    return redirect(url_for(".show_request", request_id=booking.id) + "#notes")
