"""The requests list a page at a time: keyset paging (Older and Newer links carry the place of
a row, so a page deep in a million rows is as quick as the first) and page numbers as deep as
the count goes.

Why (issue 16): OFFSET reads and discards every row before the page, so page 2,000 read 50,000
rows of the join. A cursor link (`?after=<created_at>~<id>`) starts the next page at that row
by the (created_at, id) index; the page number it carries is for showing only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select, tuple_

from intake.extensions import db
from intake.models import BookingRequest, Submission, User
from intake.staff.requests.finding import RequestFilter, capped_count, order_by


@dataclass(frozen=True)
class Cursor:
    """A row's place in the list's order, as links carry it: `<created_at>~<id>`."""

    created_at: dt.datetime
    id: int

    @classmethod
    def of(cls, row: Any) -> Cursor:
        """The cursor of a listed row."""
        return cls(row.created_at, row.id)

    @classmethod
    def parse(cls, raw: str | None) -> Cursor | None:
        """The cursor in a link, or None for anything else (a bad link shows the first page)."""
        stamp, separator, number = (raw or "").partition("~")
        if not separator or not number.isdigit() or len(number) > 18:
            return None
        try:
            created_at = dt.datetime.fromisoformat(stamp)
        except ValueError:
            return None
        return cls(created_at, int(number)) if created_at.tzinfo is None else None

    def __str__(self) -> str:
        return f"{self.created_at.isoformat(timespec='microseconds')}~{self.id}"


@dataclass(frozen=True)
class Position:
    """Where in the list a page starts: after or before a row (in the order shown), or at
    a page number (as deep as the count goes: OFFSET reads every row it skips). `page` is also
    the number the page shows, carried by the links from page to page."""

    page: int = 1
    after: Cursor | None = None
    before: Cursor | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str], page: int) -> Position:
        """The position in a link's query string."""
        after = Cursor.parse(args.get("after"))
        before = None if after else Cursor.parse(args.get("before"))
        return cls(page, after, before)


@dataclass
class Page:
    """One page of the list: its rows (only the shown columns), where it is, its neighbours."""

    rows: list[Row]
    number: int
    size: int
    #: matching requests, counted up to cap + 1
    total: int
    cap: int
    #: new requests, counted up to COUNT_CAP + 1
    new_count: int
    #: whether rows follow this page in the order shown
    has_next: bool

    @property
    def capped(self) -> bool:
        """Whether there are more matches than were counted."""
        return self.total > self.cap

    @property
    def pages(self) -> int | None:
        """How many pages there are, or None when the count stopped at the cap."""
        return None if self.capped else max(1, -(-self.total // self.size))

    @property
    def first_shown(self) -> int:
        """The place of the first row (1 for the newest), as far as the page number says."""
        return (self.number - 1) * self.size + 1

    @property
    def next(self) -> Cursor | None:
        """Where the next page starts (None on the last page)."""
        return Cursor.of(self.rows[-1]) if self.rows and self.has_next else None

    @property
    def previous(self) -> Cursor | None:
        """Where the previous page ends; None when that is the first page (linked without a
        cursor)."""
        return Cursor.of(self.rows[0]) if self.rows and self.number > 2 else None


def rows_query(
    filters: RequestFilter,
    where: tuple[ColumnElement[bool], ...] = (),
    order: str = "newest",
    limit: int = 26,
    offset: int = 0,
) -> Select:
    """A page's rows with the shown columns only (never the answers): the requests are found
    and limited by their keys first (an index alone can answer that), then those rows alone
    are read, with their submissions' reference and outcome and the assignee's email."""
    found = filters.matching(
        BookingRequest.id,
        BookingRequest.created_at,
        where=where,
        order=order,
        limit=limit,
        offset=offset,
    ).subquery("found")
    return (
        select(
            found.c.id,
            found.c.created_at,
            BookingRequest.status,
            BookingRequest.name,
            BookingRequest.email,
            BookingRequest.phone,
            BookingRequest.preferred_days,
            BookingRequest.preferred_times,
            BookingRequest.assigned_to_id,
            BookingRequest.call_back_on,
            Submission.reference,
            Submission.outcome,
            User.email.label("assigned_email"),
        )
        .join(BookingRequest, BookingRequest.id == found.c.id)
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .outerjoin(User, User.id == BookingRequest.assigned_to_id)
        .order_by(*order_by(order, found.c.created_at, found.c.id))
    )


def find_page(filters: RequestFilter, position: Position, size: int) -> Page:
    """The page at `position`, in the filters' order: two queries, the counts and the rows
    (three when a "previous" link reaches the top, where the first page is shown instead)."""
    total, new_count = db.session.execute(
        select(capped_count(filters), capped_count(RequestFilter(status="new")))
    ).one()
    found = _from_cursor(filters, position, size)
    if found is None:
        last = max(1, -(-min(total, filters.count_cap) // size))
        number = min(position.page if position.before is None else 1, last)
        query = rows_query(filters, order=filters.sort, limit=size + 1, offset=(number - 1) * size)
        rows = _rows(query)
        found = rows[:size], number, len(rows) > size
    rows, number, has_next = found
    if total <= filters.count_cap:  # a link from before rows were deleted may name too high a page
        number = min(number, max(1, -(-total // size)))
    return Page(rows, number, size, total, filters.count_cap, new_count, has_next)


def _from_cursor(
    filters: RequestFilter, position: Position, size: int
) -> tuple[list[Row], int, bool] | None:
    """(rows, page number, whether more rows follow) of a page after or before a cursor;
    None without a cursor, or when the rows before a cursor fit on the first page."""
    key = tuple_(BookingRequest.created_at, BookingRequest.id)
    number = max(position.page, 2)
    oldest_first = filters.sort == "oldest"
    if position.after:
        place = tuple_(position.after.created_at, position.after.id)
        after = key > place if oldest_first else key < place
        rows = _rows(rows_query(filters, (after,), order=filters.sort, limit=size + 1))
        return rows[:size], number, len(rows) > size
    if position.before:
        place = tuple_(position.before.created_at, position.before.id)
        before = key < place if oldest_first else key > place
        backwards = "newest" if oldest_first else "oldest"
        rows = _rows(rows_query(filters, (before,), order=backwards, limit=size + 1))
        if len(rows) > size:
            return rows[:size][::-1], number, True
    return None


def _rows(query: Select) -> list[Row]:
    return list(db.session.execute(query))
