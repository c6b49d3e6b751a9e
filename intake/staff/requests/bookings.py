"""Staff operations on one booking request: the status workflow, notes, emails; and the CSV
cell rule every export follows. (Finding requests is finding.py; the export is export.py.)"""

from __future__ import annotations

import datetime as dt
import re

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake.audit import audit
from intake.extensions import db
from intake.models import BookingRequest, Note, OutboxMessage, StatusChange, User
from intake.screening.invisible import strip_invisible

#: status -> how staff read it
STATUS_LABELS = {
    "new": "New",
    "tried_to_call": "Tried to call",
    "contacted": "Contacted",
    "booked": "Booked",
    "declined": "Declined",
    "closed": "Closed",
}
STATUSES = tuple(STATUS_LABELS)
#: status -> the statuses it may move to. "Tried to call" may be repeated (a new call-back
#: day); any change can be undone (undo puts the previous status back).
TRANSITIONS = {
    "new": ("tried_to_call", "contacted", "declined"),
    "tried_to_call": ("tried_to_call", "contacted", "declined"),
    "contacted": ("booked", "declined"),
    "booked": ("closed",),
    "declined": ("closed",),
    "closed": (),
}
#: statuses in which nobody has reached the patient yet: the promise to contact them within
#: RESPONSE_WORKING_DAYS runs ("new" only: a tried call is an answer, with a call-back day)
WAITING = ("new",)
#: requests per page of the list
PAGE_SIZE = 25


class WorkflowError(ValueError):
    """A status change the workflow does not allow."""


def label(status: str) -> str:
    """A status as staff read it ("Tried to call"); the `status_label` template filter."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def check_change(booking: BookingRequest, status: str) -> None:
    """Raise WorkflowError unless the workflow lets the request become `status`."""
    if status not in TRANSITIONS.get(booking.status, ()):
        raise WorkflowError(
            f"A request that is {label(booking.status).lower()} cannot become "
            f"{label(status).lower()}"
        )


def change_status(
    booking: BookingRequest,
    status: str,
    *,
    reason: str = "",
    by: User | None = None,
    call_back_on: dt.date | None = None,
    **details: object,
) -> StatusChange:
    """Move a request along the workflow: recorded in its status history (who, when, why, and
    what undo would put back) and audited with `details`. "Tried to call" keeps `call_back_on`
    (the clinic day to try again); any other status clears it. Flushes; returns the change.

    Raises WorkflowError when the workflow does not allow it. (The status form goes through
    appointments.py: booking takes the first appointment date, closing asks about treatment.)
    """
    check_change(booking, status)
    old = booking.status
    change = record_change(booking, status, reason=reason, by=by)
    booking.call_back_on = call_back_on if status == "tried_to_call" else None
    if booking.call_back_on:
        details["call_back_on"] = booking.call_back_on.isoformat()
    audit("change_status", f"booking_request:{booking.id}", old=old, new=status, **details)
    return change


def record_change(
    booking: BookingRequest,
    status: str,
    *,
    reason: str = "",
    by: User | None = None,
    undoes: StatusChange | None = None,
) -> StatusChange:
    """Set a request's status and add the change to its history, with what the request held
    before it (for undo). No workflow check and no audit: change_status and undo do those.
    Flushes; returns the change."""
    before = {
        "call_back_on": _iso(booking.call_back_on),
        "first_appointment_on": _iso(booking.first_appointment_on),
    }
    old, booking.status = booking.status, status
    change = StatusChange(
        booking_request_id=booking.id,
        old=old,
        new=status,
        user_id=by.id if by else _current_user_id(),
        reason=reason,
        before=before,
        undoes_id=undoes.id if undoes else None,
    )
    db.session.add(change)
    db.session.flush()
    return change


def history_of(booking: BookingRequest) -> list[StatusChange]:
    """A request's status changes, newest first."""
    return list(
        db.session.scalars(
            select(StatusChange)
            .where(StatusChange.booking_request_id == booking.id)
            .order_by(StatusChange.id.desc())
            .options(joinedload(StatusChange.user))
        )
    )


def _iso(day: object) -> str | None:
    return day.isoformat() if day is not None else None  # type: ignore[attr-defined]


def _current_user_id() -> int | None:
    return current_user.id if current_user and current_user.is_authenticated else None


def record_view(booking: BookingRequest) -> None:
    """Audit that the current staff member opened a request (it holds health data)."""
    audit("view_request", f"booking_request:{booking.id}")


def add_note(booking: BookingRequest, author: User, body: str) -> Note:
    """Add a note to the thread. Flushes."""
    note = Note(booking_request_id=booking.id, author_id=author.id, body=body)
    db.session.add(note)
    db.session.flush()
    audit("add_note", f"booking_request:{booking.id}")
    return note


def notes_of(booking: BookingRequest) -> list[Note]:
    """A request's notes, oldest first."""
    return list(
        db.session.scalars(
            select(Note)
            .where(Note.booking_request_id == booking.id)
            .order_by(Note.id)
            .options(joinedload(Note.author))
        )
    )


#: Where a spreadsheet may start a cell: the start of the text, or after a separator it splits
#: on (, ; tab |) or a line break, when what follows (past spaces) would start a formula.
_FORMULA_AHEAD = re.compile(r"(^|[,;|\t\r\n])(?=[ \t\r\n]*[=+\-@]|[\t\r])")
#: What every such place starts with: a cell without any of them is safe as it is (most are,
#: and checking for them is far quicker than the pattern; the export runs it on every cell).
_FORMULA_STARTS = frozenset("=+-@\t\r")


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula, whatever separator it
    splits on: a `'` goes before every place a cell could start with = + - @ tab or CR (at the
    start, or after , ; tab | or a line break); invisible characters are dropped."""
    text = strip_invisible("" if value is None else str(value))
    if _FORMULA_STARTS.isdisjoint(text):
        return text
    return _FORMULA_AHEAD.sub(r"\1'", text)


def emails_of(booking: BookingRequest) -> list[OutboxMessage]:
    """The emails a request caused, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.booking_request_id == booking.id)
            .order_by(OutboxMessage.id)
        )
    )
