"""The status form's follow-up side: the first appointment date staff give when they mark a
request booked (which plans its follow-ups), changing that date (which moves them), and
closing a booked request, treated or not (not treated cancels them). Audited; the views only
call these. The workflow itself is bookings.py; the follow-ups intake/followup/schedule.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from flask import current_app

from intake.audit import audit
from intake.followup import schedule
from intake.forms import ChoiceView, FieldView
from intake.models import BookingRequest, utcnow
from intake.staff.requests import bookings

DATE = "first_appointment_on"
TREATED = "treated"
TREATED_CHOICES = {
    "finished": "Treatment finished",
    "not_treated": "Not treated (cancelled or did not attend)",
}
#: how far ahead of today a first appointment may be
MAX_AHEAD = dt.timedelta(days=365)
EXAMPLE = "2026-11-23 or 23/11/2026"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        1,
    )
    for name in names.split()
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")  # day first
_WORDS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")


class FieldError(bookings.WorkflowError):
    """A status form field that was not right: `field` (DATE or TREATED) and the message."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def parse_date(raw: str) -> dt.date:
    """A date as staff type it: 2026-11-23, 23/11/2026 (day first; . and - too) or
    23 Nov 2026. ValueError with a message to show otherwise."""
    text = " ".join(str(raw).split()).lower()[:40]
    if not text:
        raise ValueError("Enter the date of the first appointment")
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NUMERIC.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif (match := _WORDS.fullmatch(text)) and match.group(2) in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3))
    else:
        raise ValueError(f"Enter the date of the first appointment like {EXAMPLE}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"Enter a real date, like {EXAMPLE}") from None


def first_appointment(booking: BookingRequest, raw: str, today: dt.date | None = None) -> dt.date:
    """The first appointment date typed for a request, if it can be: not before the request
    was made, not more than a year from today. FieldError saying why not."""
    try:
        day = parse_date(raw)
    except ValueError as error:
        raise FieldError(DATE, str(error)) from None
    today = today or utcnow().date()
    made = booking.created_at.date()
    if day < made:
        raise FieldError(
            DATE, f"The first appointment cannot be before the request was made ({made:%d %b %Y})"
        )
    if day > today + MAX_AHEAD:
        latest = today + MAX_AHEAD
        raise FieldError(
            DATE, f"The first appointment must be within a year from today (by {latest:%d %b %Y})"
        )
    return day


def change_status(booking: BookingRequest, form: Mapping[str, str]) -> str:
    """Apply the status form (audited); returns the new status. Booked takes the first
    appointment date and plans the follow-ups; closing a booked request asks whether the
    patient was treated, and cancels the open follow-ups if not. WorkflowError or FieldError
    when it cannot be done; nothing is changed then."""
    status = str(form.get("status", ""))
    bookings.check_change(booking, status)
    if status == "booked":
        booking.first_appointment_on = first_appointment(booking, form.get(DATE, ""))
        bookings.change_status(
            booking, status, first_appointment_on=str(booking.first_appointment_on)
        )
        if planned := schedule.plan(booking):
            audit("plan_followups", _target(booking), followups=planned)
    elif status == "closed" and booking.status == "booked":
        treated = form.get(TREATED, "")
        if treated not in TREATED_CHOICES:
            raise FieldError(TREATED, "Select whether the patient was treated")
        cancelled = schedule.cancel_open(booking) if treated == "not_treated" else 0
        bookings.change_status(booking, status, treated=treated, followups_cancelled=cancelled)
    else:
        bookings.change_status(booking, status)
    return status


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
    booking: BookingRequest, typed: Mapping[str, str], problem: Exception | None = None
) -> dict[str, FieldView]:
    """The status form's fields, showing what was typed and the problem next to its field."""
    error = problem if isinstance(problem, FieldError) else None
    shown = booking.first_appointment_on.isoformat() if booking.first_appointment_on else ""
    date = FieldView(
        DATE,
        DATE,
        "date",
        "Change the first appointment date"
        if booking.status == "booked"
        else "First appointment date",
        hint=followup_words(booking),
        values=[str(typed.get(DATE, shown))[:40] if error else shown],
        error=str(error) if error and error.field == DATE else "",
        width="short",
    )
    treated = FieldView(
        TREATED,
        TREATED,
        "radios",
        "Was the patient treated?",
        hint="Not treated cancels the follow-up questions not yet answered."
        if booking.followup_consent
        else "",
        values=[str(typed.get(TREATED, ""))] if error else [],
        choices=[ChoiceView(value, label) for value, label in TREATED_CHOICES.items()],
        error=str(error) if error and error.field == TREATED else "",
    )
    return {"date": date, "treated": treated}


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
