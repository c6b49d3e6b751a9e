"""The reception desk's workflow routes on one request (issue 13): the page confirming a
decline or a close (its form posts to views.change_status), undo, and assignment. The page
contents come from page.py; the operations from workflow.py. A form sent with problems goes
back to its page by a redirect (page.sent_back)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from intake.extensions import db
from intake.models import BookingRequest
from intake.staff.blueprint import bp
from intake.staff.requests import appointments, bookings, held, page, workflow


@bp.get("/requests/<int:request_id>/status/<status>")
def confirm_status(request_id: int, status: str):
    """Ask for confirmation and a reason before declining or closing a request."""
    booking = db.get_or_404(BookingRequest, request_id)
    if status not in appointments.CONFIRMED:
        abort(404)
    try:
        bookings.check_change(booking, status)
    except bookings.WorkflowError as error:
        flash(f"{error}.")
        return redirect(url_for(".show_request", request_id=booking.id))
    return page.confirm_page(booking, status, held.held(booking, status))


@bp.post("/requests/<int:request_id>/undo")
def undo_status(request_id: int):
    """Undo the request's latest status change (reopen it, when that closed or declined it)."""
    booking = db.get_or_404(BookingRequest, request_id)
    try:
        undone = workflow.undo(booking, request.form.get("change", ""))
    except bookings.WorkflowError as error:
        return page.sent_back(booking, request.form, error)
    held.drop(booking)
    db.session.commit()
    flash(undone.words())
    return redirect(url_for(".show_request", request_id=booking.id))


@bp.post("/requests/<int:request_id>/assign")
def assign_request(request_id: int):
    """Assign the request to a member of staff, or to nobody."""
    booking = db.get_or_404(BookingRequest, request_id)
    try:
        changed = workflow.assign(booking, request.form.get(workflow.ASSIGN, ""))
    except workflow.AssignError as error:
        return page.sent_back(booking, request.form, error)
    held.drop(booking)
    db.session.commit()
    flash(workflow.assigned_words(booking) if changed else "Nothing changed.")
    return redirect(url_for(".show_request", request_id=booking.id))
