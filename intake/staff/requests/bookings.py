"""Staff operations on one booking request: the status workflow, notes, emails; and the CSV
cell rule every export follows. (Finding requests is finding.py; the export is export.py.)"""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.audit import audit
from intake.extensions import db
from intake.models import BookingRequest, Note, OutboxMessage, User
from intake.screening.invisible import strip_invisible

STATUSES = ("new", "contacted", "booked", "declined", "closed")
#: status -> the statuses it may move to (new → contacted → booked | declined → closed)
TRANSITIONS = {
    "new": ("contacted",),
    "contacted": ("booked", "declined"),
    "booked": ("closed",),
    "declined": ("closed",),
    "closed": (),
}
#: requests per page of the list
PAGE_SIZE = 25


class WorkflowError(ValueError):
    """A status change the workflow does not allow."""


def check_change(booking: BookingRequest, status: str) -> None:
    """Raise WorkflowError unless the workflow lets the request become `status`."""
    if status not in TRANSITIONS.get(booking.status, ()):
        raise WorkflowError(f"A request that is {booking.status} cannot become {status}")


def change_status(booking: BookingRequest, status: str, **details: object) -> str:
    """Move a request along the workflow (audited, with `details`); returns the old status.

    Raises WorkflowError when the workflow does not allow it. (The status form goes through
    appointments.py: booking takes the first appointment date, closing asks about treatment.)
    """
    check_change(booking, status)
    old, booking.status = booking.status, status
    audit("change_status", f"booking_request:{booking.id}", old=old, new=status, **details)
    return old


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
            select(Note).where(Note.booking_request_id == booking.id).order_by(Note.id)
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
