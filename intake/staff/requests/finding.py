"""Finding booking requests among a million: the requests list's filters and search, and
counts that stop at a cap. (Pages of the list are paging.py.)

The filters speak the desk's language (issue 13): open or not yet reached, see a doctor or
emergency, overdue (still new past the promised RESPONSE_WORKING_DAYS), call-backs due, assigned
to me or nobody, and dates as clinic days. What "me", "overdue" and "today" mean is a Context
(desk_clock.py): who is looking, and when.

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
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    union,
)

from intake import clinic_time
from intake.extensions import db
from intake.models import BookingRequest, Submission
from intake.screening.rules import OUTCOMES
from intake.staff.requests.appointments import EXAMPLE, parse_date
from intake.staff.requests.bookings import STATUSES, WAITING
from intake.staff.requests.desk_clock import Context

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

#: statuses of requests still being worked on: not yet booked, declined or closed
OPEN = ("new", "tried_to_call", "contacted")
#: statuses of requests whose patient nobody has spoken to yet
UNREACHED = ("new", "tried_to_call")
#: the status filter's groups: value -> (label, statuses)
STATUS_GROUPS = {
    "open": ("Still open (new, tried to call, contacted)", OPEN),
    "unreached": ("Not reached yet (new, tried to call)", UNREACHED),
}
#: the outcome filter's groups: value -> (label, outcomes). Emergencies are never offered a
#: booking, but one made before a rule changed would belong here.
OUTCOME_GROUPS = {"urgent": ("See a doctor or emergency", ("emergency", "see_doctor"))}
#: the "Show" filter: requests past the promise, and call-backs due today or earlier
DUE = {"overdue": "Overdue only", "call_back": "Call-backs due"}
#: the list's orders (newest first is the default)
SORTS = ("newest", "oldest")


@dataclass
class RequestFilter:
    """The requests list's filters, from the query string (unknown values are ignored)."""

    #: an outcome, or a key of OUTCOME_GROUPS
    outcome: str = ""
    #: a status, or a key of STATUS_GROUPS
    status: str = ""
    #: clinic days, both included
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str = ""
    #: a key of DUE
    due: str = ""
    #: "me", "nobody", or a user's id
    assigned: str = ""
    #: one of SORTS
    sort: str = "newest"
    #: what "me", "overdue", "today" and days mean; the current one when None
    context: Context | None = None

    @classmethod
    def from_args(
        cls, args: Mapping[str, str], context: Context | None = None
    ) -> tuple[RequestFilter, dict[str, str]]:
        """Filters and the errors of fields that could not be read."""
        errors: dict[str, str] = {}
        dates = {key: _read_date(args, key, errors) for key in ("date_from", "date_to")}
        if dates["date_from"] and dates["date_to"] and dates["date_to"] < dates["date_from"]:
            errors["date_to"] = "Enter a date on or after the date in “Received from”"
            dates["date_to"] = None
        outcome = args.get("outcome", "")
        status = args.get("status", "")
        assigned = (args.get("assigned") or "").strip()
        if not (assigned in ("me", "nobody") or (assigned.isdigit() and len(assigned) < 10)):
            assigned = ""
        return cls(
            outcome=outcome if outcome in OUTCOMES or outcome in OUTCOME_GROUPS else "",
            status=status if status in STATUSES or status in STATUS_GROUPS else "",
            date_from=dates["date_from"],
            date_to=dates["date_to"],
            search=(args.get("q") or "").strip()[:100],
            due=args.get("due", "") if args.get("due", "") in DUE else "",
            assigned=assigned,
            sort=args.get("sort", "") if args.get("sort", "") in SORTS else "newest",
            context=context or Context.current(),
        ), errors

    @property
    def seen(self) -> Context:
        """The context the filters are read in (the current one when none was given)."""
        if self.context is None:
            self.context = Context.current()
        return self.context

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses of every filter but the search and the statuses (statuses())."""
        conditions: list[ColumnElement[bool]] = []
        if self.outcome:
            group = OUTCOME_GROUPS.get(self.outcome)
            conditions.append(
                Submission.outcome.in_(group[1]) if group else Submission.outcome == self.outcome
            )
        if self.date_from:
            start = clinic_time.start_of_day(self.date_from, self.seen.zone)
            conditions.append(BookingRequest.created_at >= start)
        if self.date_to:
            end = clinic_time.start_of_day(self.date_to + dt.timedelta(days=1), self.seen.zone)
            conditions.append(BookingRequest.created_at < end)
        return conditions + self._work_conditions()

    def _work_conditions(self) -> list[ColumnElement[bool]]:
        """Overdue, call-backs due, and who the requests are assigned to."""
        conditions: list[ColumnElement[bool]] = []
        if self.due == "overdue":
            conditions.append(BookingRequest.created_at < self.seen.overdue_before)
        elif self.due == "call_back":
            # no call-back day given: the next try is due now
            conditions.append(
                or_(
                    BookingRequest.call_back_on.is_(None),
                    BookingRequest.call_back_on <= self.seen.today,
                )
            )
        if self.assigned == "nobody":
            conditions.append(BookingRequest.assigned_to_id.is_(None))
        elif self.assigned == "me":
            conditions.append(BookingRequest.assigned_to_id == (self.seen.user_id or 0))
        elif self.assigned:
            conditions.append(BookingRequest.assigned_to_id == int(self.assigned))
        return conditions

    def statuses(self) -> tuple[str, ...] | None:
        """The statuses the filters allow (the status filter, overdue's WAITING, call-backs'
        "tried to call"), or None for any."""
        allowed: tuple[str, ...] | None = None
        wanted = []
        if self.status:
            group = STATUS_GROUPS.get(self.status)
            wanted.append(group[1] if group else (self.status,))
        if self.due == "overdue":
            wanted.append(WAITING)
        elif self.due == "call_back":
            wanted.append(("tried_to_call",))
        for statuses in wanted:
            allowed = statuses if allowed is None else tuple(s for s in allowed if s in statuses)
        return allowed

    def branches(self) -> list[tuple[list[ColumnElement[bool]], bool]]:
        """(WHERE clauses, whether submissions must be joined) of each query: one per status
        allowed, and with a search one for the request's own details and one for its
        submission's reference. One query per status, because each is then read in order from
        the (status, created_at, id) index: `status IN (…)` ordered by created_at walks the
        whole created_at index when the statuses are rare among old requests (open ones)."""
        conditions = self.conditions()
        statuses = self.statuses()
        if statuses is None:
            per_status: list[list[ColumnElement[bool]]] = [[]]
        else:
            per_status = [[BookingRequest.status == status] for status in statuses] or [[false()]]
        joined = bool(self.outcome)
        if not self.search:
            return [([*conditions, *status], joined) for status in per_status]
        details, reference = search_conditions(self.search)
        return [([*conditions, *status, details], joined) for status in per_status] + [
            ([*conditions, *status, reference], True) for status in per_status
        ]

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
            "due": self.due,
            "assigned": self.assigned,
            "sort": "" if self.sort == "newest" else self.sort,
        }
        return {key: value for key, value in args.items() if value}

    def sorted_by(self, sort: str) -> dict[str, str]:
        """as_args() in another order (for the links that choose it); "newest" is the default."""
        args = {key: value for key, value in self.as_args().items() if key != "sort"}
        return {**args, "sort": sort} if sort != "newest" else args


def order_by(order: str, created_at: Any, row_id: Any) -> tuple[Any, ...]:
    """ORDER BY for "newest" first, "oldest" first or "none"; the id breaks ties, so the order
    is total and a cursor names an exact place."""
    if order == "none":
        return ()
    if order == "oldest":
        return created_at.asc(), row_id.asc()
    return created_at.desc(), row_id.desc()


def _read_date(args: Mapping[str, str], key: str, errors: dict[str, str]) -> dt.date | None:
    """A date filter as a date picker sends it (2026-11-23) or as staff type it (23/11/2026,
    23 Nov 2026); None and an error ("Enter a date like 4/12/2026") for anything else."""
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    try:
        day = parse_date(raw)
    except ValueError:
        errors[key] = f"Enter a date like {EXAMPLE}"
        return None
    if not 2000 <= day.year <= 2999:
        errors[key] = f"Enter a date like {EXAMPLE}"
        return None
    return day


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
