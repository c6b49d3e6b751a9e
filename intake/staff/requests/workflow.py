"""The reception desk's moves around the status workflow (issue 13): undoing the latest status
change (or reopening a closed or declined request), assigning a request to a clinician, and
finding the next request waiting for a call. Audited; the views only call these. Status
changes themselves are bookings.py and appointments.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from intake.audit import audit
from intake.extensions import db
from intake.followup import schedule
from intake.forms import ChoiceView, FieldView
from intake.models import BookingRequest, StatusChange, Submission, User
from intake.staff.requests import bookings

ASSIGN = "assigned_to"
#: where counting the requests waiting stops (the page says "more than …")
WAITING_CAP = 1000


class AssignError(bookings.WorkflowError):
    """The person chosen to assign a request to is not an active staff member."""


# -- undo -----------------------------------------------------------------------------------


def undoable(history: Sequence[StatusChange], status: str) -> StatusChange | None:
    """The change an undo would revert, from a request's history (newest first): the latest
    change that is neither an undo nor undone, if it led to the request's current status.
    (Undo walks back: undoing again reverts the change before it.)"""
    undone = {change.undoes_id for change in history if change.undoes_id}
    for change in history:
        if change.undoes_id is None and change.id not in undone:
            return change if change.new == status else None
    return None


def reopens(change: StatusChange) -> bool:
    """Whether undoing `change` reopens the request (it closed or declined it)."""
    return change.new in ("closed", "declined")


@dataclass(frozen=True)
class Undone:
    """What an undo did: the status it left and went back to, and the follow-ups it touched."""

    change: StatusChange
    left: str
    back_to: str
    followups_cancelled: int
    followups_planned: int

    def words(self) -> str:
        """The flash message."""
        verb = "Reopened" if self.left in ("closed", "declined") else "Undone"
        text = f"{verb}: the request is back to {bookings.label(self.back_to)}."
        if self.followups_cancelled:
            text += f" {_followups(self.followups_cancelled)} not yet sent cancelled."
        if self.followups_planned:
            text += f" {_followups(self.followups_planned)} planned again."
        return text


def undo(booking: BookingRequest, change_id: object) -> Undone:
    """Revert the latest status change of a request (the one `change_id` names, as the page
    showed it, so a second click or a colleague's undo does not walk back one change too
    many): the status and what the request held before it (call-back day, first appointment)
    are put back, as a new change in the history, audited. Undoing "booked" cancels the
    follow-ups not yet answered; undoing a close brings back the ones it cancelled.
    WorkflowError when there is nothing to undo."""
    target = undoable(bookings.history_of(booking), booking.status)
    if target is None:
        raise bookings.WorkflowError("There is no status change to undo")
    if str(change_id) != str(target.id):
        raise bookings.WorkflowError(
            "That change was already undone, or someone changed the status since: "
            "check the history before undoing again"
        )
    left, before = booking.status, dict(target.before or {})
    bookings.record_change(booking, target.old, undoes=target)
    booking.call_back_on = _day(before.get("call_back_on"))
    booking.first_appointment_on = _day(before.get("first_appointment_on"))
    cancelled = schedule.cancel_open(booking) if left == "booked" else 0
    # back to booked (a close undone): what closing cancelled comes back
    planned = schedule.plan(booking) if target.old == "booked" else 0
    audit(
        "undo_status",
        f"booking_request:{booking.id}",
        undone=target.id,
        old=left,
        new=target.old,
        followups_cancelled=cancelled,
        followups_planned=planned,
    )
    return Undone(target, left, target.old, cancelled, planned)


def _day(value: object) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value else None


def _followups(count: int) -> str:
    return "1 follow-up question" if count == 1 else f"{count} follow-up questions"


# -- assignment -----------------------------------------------------------------------------


def active_staff() -> list[User]:
    """The staff a request can be assigned to: active accounts, by email."""
    return list(db.session.scalars(select(User).where(User.active).order_by(User.email)))


def assign(booking: BookingRequest, raw: object) -> bool:
    """Assign a request to the active staff member whose id is `raw` ("" for nobody),
    audited; False when it already was. AssignError for anyone else."""
    text = str(raw or "").strip()
    user = None
    if text:
        user = db.session.get(User, int(text)) if re.fullmatch(r"[0-9]{1,9}", text) else None
        if user is None or not user.active:
            raise AssignError("Choose a member of staff from the list, or Nobody")
    new_id = user.id if user else None
    if new_id == booking.assigned_to_id:
        return False
    old_id, booking.assigned_to_id = booking.assigned_to_id, new_id
    booking.assigned_to = user
    audit("assign", f"booking_request:{booking.id}", old=old_id, new=new_id)
    return True


def assign_field(
    booking: BookingRequest, staff: Sequence[User], typed: str | None = None, error: str = ""
) -> FieldView:
    """The "Assigned to" select: Nobody and the active staff, showing what was chosen."""
    current = booking.assigned_to
    hint = ""
    if current is not None and not current.active:
        hint = f"Assigned to {current.email}, whose account is deactivated."
    chosen = typed if typed is not None else str(booking.assigned_to_id or "")
    return FieldView(
        ASSIGN,
        ASSIGN,
        "select",
        "Assigned to",
        hint=hint,
        error=error,
        values=[chosen],
        choices=[ChoiceView("", "Nobody")] + [ChoiceView(str(u.id), u.email) for u in staff],
    )


def assigned_words(booking: BookingRequest) -> str:
    """The flash message after assigning."""
    if booking.assigned_to is None:
        return "Nobody is assigned to this request now."
    return f"Assigned to {booking.assigned_to.email}."


# -- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextRequest:
    """The request waiting longest for a call, other than the one shown, and how many wait."""

    id: int | None
    reference: str
    waiting: int

    def waiting_words(self) -> str:
        """ "3 waiting", "more than 1,000 waiting"."""
        if self.waiting > WAITING_CAP:
            return f"more than {WAITING_CAP:,} waiting"
        return f"{self.waiting:,} waiting"


def next_request(booking: BookingRequest) -> NextRequest:
    """The oldest request still waiting for a call (status in bookings.WAITING), not this one;
    read from the (status, created_at, id) index, the count capped at WAITING_CAP + 1."""
    waiting = (BookingRequest.status.in_(bookings.WAITING), BookingRequest.id != booking.id)
    first = db.session.execute(
        select(BookingRequest.id, Submission.reference)
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .where(*waiting)
        .order_by(BookingRequest.created_at, BookingRequest.id)
        .limit(1)
    ).first()
    ids = select(BookingRequest.id).where(*waiting).limit(WAITING_CAP + 1).subquery()
    count = db.session.scalar(select(func.count()).select_from(ids))
    if first is None:
        return NextRequest(None, "", 0)
    return NextRequest(first.id, first.reference, count)
