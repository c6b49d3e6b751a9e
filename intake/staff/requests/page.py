"""What the request page and the decline/close confirmation page show (issue 13), for every
view that renders them: the reception desk at the top (status and its actions, undo and
history, contact, assignment, notes), the clinical detail below. Shared by views.py and
status_views.py, which never import each other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request

from intake import clinic_time
from intake.followup import timeline
from intake.forms import FieldView, wtf_field
from intake.models import BookingRequest, utcnow
from intake.screening import summary
from intake.staff.requests import appointments, bookings, desk, workflow
from intake.web import form_page


def request_page(
    booking: BookingRequest,
    note_form: Any,
    *,
    status_error: str = "",
    problem: appointments.FieldError | None = None,
    assign_error: str = "",
) -> str | tuple[str, int]:
    """The request page, with the problems of a form just sent next to its fields (422)."""
    note_field = wtf_field(note_form.body)
    status_fields = appointments.fields(booking, request.form, problem)
    staff = workflow.active_staff()
    typed_assignee = request.form.get(workflow.ASSIGN) if assign_error else None
    assign_field = workflow.assign_field(booking, staff, typed_assignee, assign_error)
    errors: list[FieldView] = [note_field] if note_field.error else []
    if status_error:
        errors.append(FieldView("status", "status", "text", "Status", error=status_error))
    errors += [f for f in status_fields.values() if f.error]
    errors += [assign_field] if assign_field.error else []
    history = bookings.history_of(booking)
    submission = booking.submission
    now = utcnow()
    return form_page(
        "staff/requests/show.html",
        errors,
        booking=booking,
        submission=submission,
        desk=desk.desk(booking, submission, now, current_app.config),
        today=clinic_time.clinic_today(now),
        made_on=clinic_time.clinic_today(booking.created_at),
        next_request=workflow.next_request(booking),
        sections=summary.answer_sections(submission.answers),
        emails=bookings.emails_of(booking),
        notes=bookings.notes_of(booking),
        note_field=note_field,
        next_statuses=bookings.TRANSITIONS[booking.status],
        confirmed=appointments.CONFIRMED,
        status_error=status_error,
        status_fields=status_fields,
        assign_field=assign_field,
        history=history,
        undone_ids={change.undoes_id for change in history if change.undoes_id},
        undo=workflow.undoable(history, booking.status),
        followup=timeline.panel(booking),
    )


def confirm_page(
    booking: BookingRequest,
    status: str,
    typed: Mapping[str, str] | None = None,
    problem: appointments.FieldError | None = None,
) -> str | tuple[str, int]:
    """The page that confirms declining or closing a request, with its reason (and, closing a
    booked request, whether the patient was treated); 422 with the problems next to fields."""
    fields = appointments.fields(booking, typed if typed is not None else {}, problem)
    shown = [fields["treated"]] if booking.status == "booked" and status == "closed" else []
    shown.append(fields["reason"])
    return form_page(
        "staff/requests/confirm_status.html",
        [f for f in shown if f.error],
        booking=booking,
        submission=booking.submission,
        status=status,
        fields=shown,
        cancels_followups=booking.status == "booked" and bool(booking.followup_consent),
    )
