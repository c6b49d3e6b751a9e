"""Finding booking requests among a million: the requests list's filters and search, and
counts that stop at a cap. (Pages of the list are paging.py.)

Why it is built this way (issue 16): every page counted all matches of the join, and the search,
`lower(col) LIKE '%…%'` OR-ed across the join, could use no index. Here counts stop at a cap
("more than 10,000") and read an index only; a search is one query per table (the request's
own details; its submission's reference), united, so each is answered by its trigram index on
PostgreSQL (plain LIKE on SQLite, fast enough for a clinic's few thousand requests).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    func,
    literal_column,
    or_,
    select,
    text,
    union,
)

from intake.extensions import db
from intake.models import BookingRequest, Submission
from intake.screening.rules import OUTCOMES
from intake.staff.requests.bookings import STATUSES

#: Counts stop here: past it a page says "more than 10,000". Counting reads only an index, so
#: it costs at most this many index entries.
COUNT_CAP = 10_000
#: A search's count stops sooner: each match is scattered through the table and must be read
#: to check it (a trigram index finds candidates), so 1,000 is what a page can afford.
SEARCH_COUNT_CAP = 1_000
#: A search of only digits and phone punctuation with at least this many digits also looks in
#: phone numbers (fewer would match nearly every number).
MIN_PHONE_DIGITS = 3
_PHONE_TYPED = re.compile(r"[\d\s()+.\-/]+")


@dataclass
class RequestFilter:
    """The requests list's filters, from the query string (unknown values are ignored)."""

    outcome: str = ""
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[RequestFilter, dict[str, str]]:
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

    def branches(self) -> list[tuple[list[ColumnElement[bool]], bool]]:
        """(WHERE clauses, whether submissions must be joined) of each query: one, or with a
        search one for the request's own details and one for its submission's reference."""
        conditions: list[ColumnElement[bool]] = []
        if self.outcome:
            conditions.append(Submission.outcome == self.outcome)
        if self.status:
            conditions.append(BookingRequest.status == self.status)
        if self.date_from:
            conditions.append(BookingRequest.created_at >= _start_of(self.date_from))
        if self.date_to:
            end = _start_of(self.date_to + dt.timedelta(days=1))
            conditions.append(BookingRequest.created_at < end)
        if not self.search:
            return [(conditions, bool(self.outcome))]
        details, reference = search_conditions(self.search)
        return [([*conditions, details], bool(self.outcome)), ([*conditions, reference], True)]

    def matching(
        self,
        *columns: Any,
        where: tuple[ColumnElement[bool], ...] = (),
        order: str = "newest",
        limit: int | None = None,
        offset: int = 0,
    ) -> Select | CompoundSelect:
        """SELECT columns (of booking_requests; with created_at and id unless `order` is
        "none") of the matching requests that also meet `where`, "newest" or "oldest" first
        when limited. A search unites its per-table queries, each limited on its own so each
        stops early."""
        by = order_by(order, BookingRequest.created_at, BookingRequest.id)
        queries = []
        for conditions, with_submission in self.branches():
            query = select(*columns).select_from(BookingRequest)
            if with_submission:
                query = query.join(Submission, Submission.id == BookingRequest.submission_id)
            query = query.where(*conditions, *where)
            if limit is not None:
                query = query.order_by(*by).limit(offset + limit)
            queries.append(query)
        if len(queries) == 1:
            return queries[0].offset(offset or None)
        # each part as a subquery: SQLite allows no ORDER BY or LIMIT in a UNION's parts
        united = union(*(select(*query.subquery().c) for query in queries))
        if limit is None:
            return united
        by = order_by(order, literal_column("created_at"), literal_column("id"))
        return united.order_by(*by).limit(limit).offset(offset or None)

    @property
    def count_cap(self) -> int:
        """Where counting these matches stops."""
        return SEARCH_COUNT_CAP if self.search else COUNT_CAP

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


def order_by(order: str, created_at: Any, row_id: Any) -> tuple[Any, ...]:
    """ORDER BY for "newest" first, "oldest" first or "none"; the id breaks ties, so the order
    is total and a cursor names an exact place."""
    if order == "none":
        return ()
    if order == "oldest":
        return created_at.asc(), row_id.asc()
    return created_at.desc(), row_id.desc()


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _escape_like(typed: str) -> str:
    return typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def phone_digits(typed: str) -> str:
    """The digits to look for in stored (E.164) numbers when the search looks like part of a
    phone number: "07412 345" gives "7412345" and "+44 7412" gives "447412" (leading zeros, a
    trunk or international prefix, are dropped). "" when it does not look like a number."""
    if not _PHONE_TYPED.fullmatch(typed):
        return ""
    digits = re.sub(r"\D", "", typed).lstrip("0")
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def search_conditions(typed: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(on booking_requests: name, email or phone digits contain `typed`; on submissions: the
    reference does). Each expression is that of a trigram index in intake/models.py."""
    pattern = f"%{_escape_like(typed.lower())}%"
    details = [
        func.lower(BookingRequest.name).like(pattern, escape="\\"),
        func.lower(BookingRequest.email).like(pattern, escape="\\"),
    ]
    digits = phone_digits(typed)
    if digits:
        # literal '+' and '': the planner matches the index's expression only with constants
        digits_of_phone = func.replace(BookingRequest.phone, text("'+'"), text("''"))
        details.append(digits_of_phone.like(f"%{digits}%"))
    reference = func.lower(Submission.reference).like(pattern, escape="\\")
    return or_(*details), reference


def restrict(filters: RequestFilter, query: Select) -> Select:
    """`query` (of booking_requests joined to submissions) limited to the matching requests."""
    branches = filters.branches()
    if len(branches) == 1:
        return query.where(*branches[0][0])
    return query.where(BookingRequest.id.in_(filters.matching(BookingRequest.id)))


def count_all(filters: RequestFilter) -> int:
    """How many requests match, uncapped (the export audits it; a month is a quick count)."""
    ids = filters.matching(BookingRequest.id).subquery()
    return db.session.scalar(select(func.count()).select_from(ids))


def capped_count(filters: RequestFilter) -> Any:
    """count(*) of the first count_cap + 1 matches, unordered: a count that stops."""
    limit = filters.count_cap + 1
    ids = filters.matching(BookingRequest.id, order="none", limit=limit).subquery()
    return select(func.count()).select_from(ids).scalar_subquery()


def count_new() -> int:
    """How many requests nobody has contacted yet, up to COUNT_CAP + 1."""
    return db.session.scalar(select(capped_count(RequestFilter(status="new"))))


def in_words(count: int, cap: int | None = None) -> str:
    """A capped count as a page says it: "1,234", or "more than 10,000"."""
    cap = COUNT_CAP if cap is None else cap
    return f"more than {cap:,}" if count > cap else f"{count:,}"
