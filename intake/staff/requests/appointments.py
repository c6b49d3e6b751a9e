"""The status forms: "tried to call" with its optional call-back day; the first appointment
date staff give when they mark a request booked (which plans its follow-ups), changing that
date (which moves them); declining and closing, which need a reason, and closing a booked
request, treated or not (not treated cancels the follow-ups). Audited; the views only call
these. The workflow itself is bookings.py; undo and assignment workflow.py; the follow-ups
intake/followup/schedule.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask import current_app

from intake import clinic_time
from intake.audit import audit
from intake.followup import schedule
from intake.forms import ChoiceView, FieldView, strip
from intake.models import BookingRequest, utcnow
from intake.staff.requests import bookings

DATE = "first_appointment_on"
TREATED = "treated"
CALL_BACK = "call_back_on"
REASON = "reason"
#: the statuses that ask for confirmation and a reason (on their own page)
CONFIRMED = ("declined", "closed")
#: the fields of that page
CONFIRM_FIELDS = (TREATED, REASON)
REASON_MAX = 1000
TREATED_CHOICES = {
    "finished": "Treatment finished",
    "not_treated": "Not treated (cancelled or did not attend)",
}
#: how far ahead of today a first appointment may be
MAX_AHEAD = dt.timedelta(days=365)
#: how a typed date should look, in hints and errors (day, month, year)
EXAMPLE = clinic_time.DATE_EXAMPLE
#: a date as staff type it, or as a date picker sends it (clinic_time.parse_date)
parse_date = clinic_time.parse_date
#: the reason's example when closing (from these statuses) rather than declining
CLOSING_EXAMPLE = {
    "booked": "treatment finished; they cancelled the rest of the course.",
    "declined": "they booked elsewhere; nothing more to do.",
}


class FieldError(bookings.WorkflowError):
    """Status form fields that were not right: the first `field` (DATE, TREATED, CALL_BACK or
    REASON) and its message; `errors` holds every field's message."""

    def __init__(self, field: str, message: str, others: Mapping[str, str] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = {field: message, **(others or {})}


def first_appointment(booking: BookingRequest, raw: str, today: dt.date | None = None) -> dt.date:
    """The first appointment date typed for a request, if it can be: not before the request
    was made, not more than a year from today. FieldError saying why not."""
    try:
        day = parse_date(raw, "the date of the first appointment")
    except ValueError as error:
        raise FieldError(DATE, str(error)) from None
    today = today or clinic_time.clinic_today(utcnow())
    made = clinic_time.clinic_today(booking.created_at)
    if day < made:
        raise FieldError(
            DATE,
            "The first appointment cannot be before the request was made "
            f"({clinic_time.day_text(made)})",
        )
    if day > today + MAX_AHEAD:
        latest = today + MAX_AHEAD
        raise FieldError(
            DATE,
            "The first appointment must be within a year from today "
            f"(by {clinic_time.day_text(latest)})",
        )
    return day


def call_back_day(raw: str, today: dt.date | None = None) -> dt.date | None:
    """The clinic day typed to call again after "tried to call" (None when left empty): today
    or later, within a year. FieldError saying why not."""
    if not str(raw).strip():
        return None
    try:
        day = parse_date(raw, "the day to call back")
    except ValueError as error:
        raise FieldError(CALL_BACK, str(error)) from None
    today = today or clinic_time.clinic_today(utcnow())
    if day < today:
        raise FieldError(
            CALL_BACK,
            f"The day to call back cannot be in the past: today is {clinic_time.day_text(today)}",
        )
    if day > today + MAX_AHEAD:
        raise FieldError(CALL_BACK, "The day to call back must be within a year from today")
    return day


def change_status(booking: BookingRequest, form: Mapping[str, str]) -> str:
    """Apply the status form (audited); returns the new status. "Tried to call" takes an
    optional call-back day; booked takes the first appointment date and plans the follow-ups;
    declined and closed need a reason, and closing a booked request asks whether the patient
    was treated, cancelling the open follow-ups if not. WorkflowError or FieldError when it
    cannot be done; nothing is changed then."""
    status = str(form.get("status", ""))
    bookings.check_change(booking, status)
    if status == "tried_to_call":
        call_back = call_back_day(form.get(CALL_BACK, ""))
        bookings.change_status(booking, status, call_back_on=call_back)
    elif status == "booked":
        day = first_appointment(booking, form.get(DATE, ""))
        bookings.change_status(booking, status, first_appointment_on=str(day))
        booking.first_appointment_on = day
        if planned := schedule.plan(booking):
            audit("plan_followups", _target(booking), followups=planned)
    elif status in CONFIRMED:
        _confirmed(booking, status, form)
    else:
        bookings.change_status(booking, status)
    return status


def _confirmed(booking: BookingRequest, status: str, form: Mapping[str, str]) -> None:
    """Decline or close with the reason given (and, closing a booked request, whether the
    patient was treated); FieldError naming every field that is not right."""
    reason = strip(str(form.get(REASON, "")))
    errors = {}
    if booking.status == "booked" and form.get(TREATED, "") not in TREATED_CHOICES:
        errors[TREATED] = "Select whether the patient was treated"
    if not reason:
        errors[REASON] = (
            f"Enter why you are {'declining' if status == 'declined' else 'closing'} the request"
        )
    elif len(reason) > REASON_MAX:
        errors[REASON] = f"Use {REASON_MAX} characters or fewer"
    if errors:
        field, message = next(iter(errors.items()))
        raise FieldError(field, message, errors)
    if booking.status == "booked":
        treated = form[TREATED]
        cancelled = schedule.cancel_open(booking) if treated == "not_treated" else 0
        bookings.change_status(
            booking, status, reason=reason, treated=treated, followups_cancelled=cancelled
        )
    else:
        bookings.change_status(booking, status, reason=reason)


def done_words(booking: BookingRequest, status: str) -> str:
    """What the flash message says after a status change."""
    if status == "tried_to_call" and booking.call_back_on:
        day = clinic_time.day_text(booking.call_back_on)
        return f"Status changed to Tried to call: call back on {day}."
    if status in CONFIRMED:
        return f"Request {bookings.label(status).lower()}."
    return f"Status changed to {bookings.label(status)}."


def reschedule(booking: BookingRequest, form: Mapping[str, str]) -> bool:
    """Change a booked request's first appointment date (audited) and move the follow-ups not
    yet sent; False when the date is the same. WorkflowError unless it is booked."""
    if booking.status != "booked":
        raise bookings.WorkflowError(
            f"Only a booked request has a first appointment to change; this one is {booking.status}"
        )
    day = first_appointment(booking, form.get(DATE, ""))
    old = booking.first_appointment_on
    if day == old:
        return False
    booking.first_appointment_on = day
    moved = schedule.plan(booking)
    audit("reschedule", _target(booking), old=str(old), new=str(day), followups=moved)
    return True


def _target(booking: BookingRequest) -> str:
    return f"booking_request:{booking.id}"


def fields(
    booking: BookingRequest, typed: Mapping[str, str], errors: Mapping[str, str] | None = None
) -> dict[str, FieldView]:
    """The status forms' fields; with `errors` (a form sent with problems: field name ->
    message), what was typed and each problem next to its field."""
    errors = errors or {}

    def kept(name: str, shown: str = "") -> list[str]:
        return [str(typed.get(name, shown))[: REASON_MAX + 100]] if errors else [shown]

    shown = booking.first_appointment_on.isoformat() if booking.first_appointment_on else ""
    date = FieldView(
        DATE,
        DATE,
        "date",
        "Change the first appointment date"
        if booking.status == "booked"
        else "First appointment date",
        hint=followup_words(booking),
        values=[value[:40] for value in kept(DATE, shown)],
        error=errors.get(DATE, ""),
        width="short",
    )
    treated = FieldView(
        TREATED,
        TREATED,
        "radios",
        "Was the patient treated?",
        hint="Not treated cancels the follow-up questions not yet answered (reopening the "
        "request brings them back)."
        if booking.followup_consent
        else "",
        values=kept(TREATED),
        choices=[ChoiceView(value, label) for value, label in TREATED_CHOICES.items()],
        error=errors.get(TREATED, ""),
    )
    call_back = FieldView(
        CALL_BACK,
        CALL_BACK,
        "date",
        "Call back on",
        hint="The day to try again.",  # a date picker: it shows the date the browser's way
        values=[value[:40] for value in kept(CALL_BACK)],
        error=errors.get(CALL_BACK, ""),
        width="short",
        optional=True,
    )
    reason = FieldView(
        REASON,
        REASON,
        "textarea",
        "Reason",
        hint="Staff see it in the request's history. For example: "
        + CLOSING_EXAMPLE.get(
            booking.status, "could not reach them after three calls; they chose another clinic."
        ),
        values=kept(REASON),
        error=errors.get(REASON, ""),
        max_length=REASON_MAX,
    )
    return {"date": date, "treated": treated, "call_back": call_back, "reason": reason}


def followup_words(booking: BookingRequest) -> str:
    """What happens to follow-up questions, for the hint under the date."""
    if not booking.followup_consent:
        return "The patient did not ask for follow-up questions."
    if booking.followups_stopped_at:
        return "The patient stopped follow-up questions."
    if booking.status == "booked":
        return "Follow-up questions not yet sent move with it."
    weeks = [str(w) for w in sorted(current_app.config["FOLLOWUP_SCHEDULE"])]
    listed = " and ".join([", ".join(weeks[:-1]), weeks[-1]] if len(weeks) > 1 else weeks)
    return f"The patient asked for follow-up questions: they go {listed} weeks after it."
