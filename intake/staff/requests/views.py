"""The requests desk: the list with filters and search, CSV export, one request, its workflow
and notes."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from intake.extensions import db
from intake.models import BookingRequest
from intake.staff.blueprint import bp
from intake.staff.requests import appointments, bookings, export, finding, held, listing, page
from intake.staff.requests.forms import NoteForm
from intake.web import page_number


@bp.get("/requests")
def list_requests():
    """Booking requests, newest or oldest first: filter, search, page (by cursor links, or a
    number). Overdue rows are marked; each shows how long it has waited."""
    shown = listing.list_page(request.args, page_number(), bookings.PAGE_SIZE)
    return render_template("staff/requests/list.html", **shown)


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
    """One request: the desk (status, contact, assignment, notes) above the clinical detail;
    a desk form sent with problems is shown again with them (page.sent_back)."""
    booking = db.get_or_404(BookingRequest, request_id)
    bookings.record_view(booking)
    db.session.commit()
    return page.request_page(booking, held.held(booking, held.REQUEST_PAGE))


@bp.post("/requests/<int:request_id>/status")
def change_status(request_id: int):
    """Move a request along the workflow (bookings.TRANSITIONS). Tried to call takes an
    optional call-back day, booked the first appointment date; declined and closed come from
    their confirmation page with a reason (and, closing a booked one, whether it was treated).
    Sent with problems, it goes back to the page it came from (page.sent_back)."""
    booking = db.get_or_404(BookingRequest, request_id)
    try:
        status = appointments.change_status(booking, request.form)
    except bookings.WorkflowError as error:
        return page.sent_back(booking, request.form, error)
    held.drop(booking)
    db.session.commit()
    flash(appointments.done_words(booking, status))
    return redirect(url_for(".show_request", request_id=booking.id))


@bp.post("/requests/<int:request_id>/appointment")
def change_appointment(request_id: int):
    """Change a booked request's first appointment date; its unsent follow-ups move with it."""
    booking = db.get_or_404(BookingRequest, request_id)
    try:
        changed = appointments.reschedule(booking, request.form)
    except bookings.WorkflowError as error:
        return page.sent_back(booking, request.form, error)
    held.drop(booking)
    db.session.commit()
    flash("First appointment changed." if changed else "The first appointment was already then.")
    return redirect(url_for(".show_request", request_id=booking.id))


@bp.post("/requests/<int:request_id>/notes")
def add_note(request_id: int):
    """Add a note to a request's thread."""
    booking = db.get_or_404(BookingRequest, request_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return page.sent_back(booking, request.form, (form.body.errors or ["Enter a note"])[0])
    bookings.add_note(booking, current_user, form.body.data)
    held.drop(booking)
    db.session.commit()
    return redirect(url_for(".show_request", request_id=booking.id) + "#notes")
