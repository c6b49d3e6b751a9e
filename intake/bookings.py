"""Staff operations on booking requests: finding, the status workflow, notes, export, stats."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from intake.extensions import db
from intake.models import BookingRequest, Draft, Note, Submission, User, utcnow
from intake.rules import OUTCOMES

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
    """Move a request along the workflow; returns the old status. Raises WorkflowError."""
    if status not in TRANSITIONS.get(booking.status, ()):
        raise WorkflowError(f"A request that is {booking.status} cannot become {status}")
    old, booking.status = booking.status, status
    return old


def add_note(booking: BookingRequest, author: User, body: str) -> Note:
    """Add a note to the thread. Flushes."""
    note = Note(booking_request_id=booking.id, author_id=author.id, body=body)
    db.session.add(note)
    db.session.flush()
    return note


def notes_of(booking: BookingRequest) -> list[Note]:
    """A request's notes, oldest first."""
    return list(
        db.session.scalars(
            select(Note).where(Note.booking_request_id == booking.id).order_by(Note.id)
        )
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(requests: Iterable[BookingRequest]) -> str:
    """The requests as CSV text (formula-looking cells escaped)."""
    out = io.StringIO()
    writer = csv.writer(out)
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


def weekly_outcomes(weeks: int = 12, today: dt.date | None = None):
    """(week labels, {outcome: counts per week}) of booking requests, oldest week first."""
    today = today or utcnow().date()
    monday = today - dt.timedelta(days=today.weekday())
    starts = [monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    rows = db.session.execute(
        select(BookingRequest.created_at, Submission.outcome)
        .join(BookingRequest.submission)
        .where(BookingRequest.created_at >= _start_of(starts[0]))
    ).all()
    counts = {outcome: [0] * weeks for outcome in OUTCOMES}
    for created_at, outcome in rows:
        index = (created_at.date() - starts[0]).days // 7
        if 0 <= index < weeks and outcome in counts:
            counts[outcome][index] += 1
    return [start.strftime("%d %b") for start in starts], counts


def funnel(since: dt.datetime | None = None) -> list[tuple[str, int]]:
    """Started → completed → booking requested."""

    def count(query):
        if since is not None:
            query = query.where(query.selected_columns[0].table.c.created_at >= since)
        return db.session.scalar(query)

    started = count(select(func.count(Draft.id)).where(Draft.purpose == "patient"))
    completed = count(select(func.count(Submission.id)))
    booked = count(select(func.count(BookingRequest.id)))
    return [("Started", started), ("Completed", completed), ("Booking requested", booked)]


def abandoned_by_step() -> Counter:
    """Drafts never completed, by the last step they saved (None: left before saving one)."""
    now = utcnow()
    rows = db.session.execute(
        select(Draft.last_step, func.count(Draft.id))
        .where(Draft.completed_at.is_(None), Draft.expires_at <= now, Draft.purpose == "patient")
        .group_by(Draft.last_step)
    ).all()
    return Counter(dict(rows))
