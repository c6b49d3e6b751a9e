"""What the request page and the decline/close confirmation page show (issue 13), for every
view that renders them: the reception desk at the top (status and its actions, undo and
history, contact, assignment, notes), the clinical detail below; and a desk form sent with
problems, held and shown again after a redirect (`sent_back`). Shared by views.py and
status_views.py, which never import each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import current_app, redirect, url_for
from werkzeug.wrappers import Response

from intake import clinic_time
from intake.extensions import db
from intake.followup import timeline
from intake.forms import FieldView, wtf_field
from intake.models import BookingRequest, utcnow
from intake.screening import summary
from intake.screening.condition_words import evidence_words
from intake.screening.ruleset_format import dictionary
from intake.staff.requests import appointments, bookings, desk, held, workflow
from intake.staff.requests.forms import NoteForm
from intake.web import form_page


def request_page(booking: BookingRequest, shown: held.Held = held.NOTHING) -> str | tuple[str, int]:
    """The request page; with a form sent with problems (`shown`, from held.py) what was typed
    and each problem next to its field (422)."""
    typed, problems = shown.typed, shown.errors
    note_field = wtf_field(NoteForm().body)
    if "body" in problems:
        note_field = replace(note_field, values=[typed.get("body", "")], error=problems["body"])
    status_fields = appointments.fields(booking, typed, problems)
    staff = workflow.active_staff()
    assign_error = problems.get(workflow.ASSIGN, "")
    typed_assignee = typed.get(workflow.ASSIGN) if assign_error else None
    assign_field = workflow.assign_field(booking, staff, typed_assignee, assign_error)
    status_error = problems.get("status", "")
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
        fired=fired_in_words(submission.fired or [], submission.answers),
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


def fired_in_words(
    fired: list[Mapping[str, Any]], answers: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rules that fired, each with `facts`: what made it fire, in words (a question the
    patient was not asked, given their `answers`, says so)."""
    facts = dictionary()
    return [
        dict(rule, facts=evidence_words(rule.get("evidence"), facts, answers)) for rule in fired
    ]


def confirm_page(
    booking: BookingRequest, status: str, shown: held.Held = held.NOTHING
) -> str | tuple[str, int]:
    """The page that confirms declining or closing a request, with its reason (and, closing a
    booked request, whether the patient was treated); with the form as last sent with
    problems (`shown`), what was typed and the problems next to their fields (422)."""
    fields = appointments.fields(booking, shown.typed, shown.errors)
    shown = [fields["treated"]] if booking.status == "booked" and status == "closed" else []
    shown.append(fields["reason"])
    return form_page(
        "staff/requests/confirm_status.html",
        [f for f in shown if f.error],
        booking=booking,
        submission=booking.submission,
        status=status,
        fields=shown,
    )


def sent_back(
    booking: BookingRequest, form: Mapping[str, Any], problem: bookings.WorkflowError | str
) -> Response:
    """A desk form sent with problems (a WorkflowError, or a note's own message): nothing it
    did is kept; what was typed and the problems are held (held.py) and the page it came from
    shows them after a redirect, so Back and refresh never send the form again."""
    status = str(form.get("status", ""))
    confirming = (
        isinstance(problem, appointments.FieldError)
        and problem.field in appointments.CONFIRM_FIELDS
        and status in appointments.CONFIRMED
    )
    db.session.rollback()
    held.hold(booking, status if confirming else held.REQUEST_PAGE, form, _problems(problem))
    db.session.commit()
    mark = {held.MARK: 1}
    if confirming:
        return redirect(
            url_for("staff.confirm_status", request_id=booking.id, status=status, **mark)
        )
    return redirect(url_for("staff.show_request", request_id=booking.id, **mark))


def _problems(problem: bookings.WorkflowError | str) -> dict[str, str]:
    """Each field's problem, by field name, as the pages show them."""
    if isinstance(problem, str):
        return {"body": problem}
    if isinstance(problem, appointments.FieldError):
        return dict(problem.errors)
    if isinstance(problem, workflow.AssignError):
        return {workflow.ASSIGN: str(problem)}
    return {"status": str(problem)}
