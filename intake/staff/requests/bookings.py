"""Staff operations on booking requests: finding, the status workflow, notes, export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from intake.audit import audit
from intake.extensions import db
from intake.models import BookingRequest, Note, OutboxMessage, Submission, User
from intake.screening.invisible import strip_invisible
from intake.screening.rules import OUTCOMES

STATUSES = ("new", "contacted", "booked", "declined", "closed")
#: status -> the statuses it may move to (new → contacted → booked | declined → closed)
TRANSITIONS = {
    "new": ("contacted",),
    "contacted": ("booked", "declined"),
    "booked": ("closed",),
    "declined": ("closed",),
    "closed": (),
}
PAGE_SIZE = 25


class WorkflowError(ValueError):
    """A status change the workflow does not allow."""


@dataclass
class RequestFilter:
    """The requests list's filters, from the query string (unknown values are ignored)."""

    outcome: str = ""
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str = ""

    @classmethod
    def from_args(cls, args) -> tuple[RequestFilter, dict[str, str]]:
        """Filters and the errors of fields that could not be read."""
        errors: dict[str, str] = {}
        dates: dict[str, dt.date | None] = {}
        for key in ("date_from", "date_to"):
            raw = (args.get(key) or "").strip()
            try:
                dates[key] = dt.date.fromisoformat(raw) if raw else None
            except ValueError:
                dates[key] = None
                errors[key] = "Enter a date like 2026-11-23"
        outcome = args.get("outcome", "")
        status = args.get("status", "")
        return cls(
            outcome=outcome if outcome in OUTCOMES else "",
            status=status if status in STATUSES else "",
            date_from=dates["date_from"],
            date_to=dates["date_to"],
            search=(args.get("q") or "").strip()[:100],
        ), errors

    def query(self) -> Select:
        """The filtered requests, newest first."""
        query = (
            select(BookingRequest)
            .join(BookingRequest.submission)
            .order_by(BookingRequest.created_at.desc(), BookingRequest.id.desc())
        )
        if self.outcome:
            query = query.where(Submission.outcome == self.outcome)
        if self.status:
            query = query.where(BookingRequest.status == self.status)
        if self.date_from:
            query = query.where(BookingRequest.created_at >= _start_of(self.date_from))
        if self.date_to:
            query = query.where(
                BookingRequest.created_at < _start_of(self.date_to + dt.timedelta(days=1))
            )
        if self.search:
            like = f"%{_escape_like(self.search.lower())}%"
            query = query.where(
                or_(
                    func.lower(Submission.reference).like(like, escape="\\"),
                    func.lower(BookingRequest.name).like(like, escape="\\"),
                    func.lower(BookingRequest.email).like(like, escape="\\"),
                )
            )
        return query

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for paging and export links)."""
        args = {
            "outcome": self.outcome,
            "status": self.status,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "q": self.search,
        }
        return {key: value for key, value in args.items() if value}


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page_of(query: Select, page: int) -> tuple[list[BookingRequest], int]:
    """(the requests of one page, the number of pages)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    items = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return items, pages


def count_new() -> int:
    """How many requests nobody has contacted yet."""
    return db.session.scalar(
        select(func.count(BookingRequest.id)).where(BookingRequest.status == "new")
    )


def change_status(booking: BookingRequest, status: str) -> str:
    """Move a request along the workflow (audited); returns the old status.

    Raises WorkflowError when the workflow does not allow it.
    """
    if status not in TRANSITIONS.get(booking.status, ()):
        raise WorkflowError(f"A request that is {booking.status} cannot become {status}")
    old, booking.status = booking.status, status
    audit("change_status", f"booking_request:{booking.id}", old=old, new=status)
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


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula, whatever separator it
    splits on: a `'` goes before every place a cell could start with = + - @ tab or CR (at the
    start, or after , ; tab | or a line break); invisible characters are dropped."""
    text = strip_invisible("" if value is None else str(value))
    return _FORMULA_AHEAD.sub(r"\1'", text)


def export(filters: RequestFilter) -> str:
    """The filtered requests as CSV text; the export is audited with its filters and size."""
    items = list(db.session.scalars(filters.query()))
    audit("export", "booking_requests", filters=filters.as_args(), rows=len(items))
    return export_csv(items)


def export_csv(requests: Iterable[BookingRequest]) -> str:
    """The requests as CSV text: every cell quoted, formula-looking text neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(
        [
            "reference",
            "received_utc",
            "outcome",
            "status",
            "name",
            "email",
            "phone",
            "preferred_days",
            "preferred_times",
            "message",
            "rule_set_version",
        ]
    )
    for booking in requests:
        submission = booking.submission
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    submission.reference,
                    booking.created_at.strftime("%Y-%m-%d %H:%M"),
                    submission.outcome,
                    booking.status,
                    booking.name,
                    booking.email,
                    booking.phone,
                    " ".join(booking.preferred_days),
                    " ".join(booking.preferred_times),
                    booking.message,
                    submission.ruleset_version.number,
                )
            ]
        )
    return out.getvalue()


def emails_of(booking: BookingRequest) -> list[OutboxMessage]:
    """The emails a request caused, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.booking_request_id == booking.id)
            .order_by(OutboxMessage.id)
        )
    )
