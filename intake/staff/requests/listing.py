"""What the requests list shows (issue 13): a page of requests as the desk reads them (how long
each has waited, whether it is past the promise, who it is assigned to), the filter fields, and
the links that sort it. The rows are paging.py's; the filters finding.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from intake import clinic_time
from intake.extensions import db
from intake.forms import FieldView
from intake.models import User
from intake.staff.requests import finding, paging
from intake.staff.requests.forms import filter_fields


@dataclass(frozen=True)
class Listed:
    """One row of the list, with what the desk needs to know about it."""

    row: Row
    #: still new past the promised response time
    overdue: bool
    #: "3 days", for requests still open; "" otherwise
    waiting: str
    #: "You", a colleague's email, or ""
    assignee: str
    #: after "Call back": "today", "since Mon 07 Dec", … for "tried to call"; "" otherwise
    call_back: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def listed(rows: list[Row], context: finding.Context) -> list[Listed]:
    """The rows of a page as the list shows them."""
    return [
        Listed(
            row,
            overdue=context.is_overdue(row.status, row.created_at),
            waiting=(
                clinic_time.waiting_words(row.created_at, context.now)
                if row.status in finding.OPEN
                else ""
            ),
            assignee=(
                "You"
                if row.assigned_to_id is not None and row.assigned_to_id == context.user_id
                else row.assigned_email or ""
            ),
            call_back=context.call_back_words(row.status, row.call_back_on),
        )
        for row in rows
    ]


def staff_users() -> list[tuple[int, str, bool]]:
    """(id, email, active) of every staff user, by email: whom a request may be assigned to."""
    rows = db.session.execute(select(User.id, User.email, User.active).order_by(User.email))
    return [(user_id, email, active) for user_id, email, active in rows]


def fields_for(
    args: Mapping[str, str], filters: finding.RequestFilter, errors: Mapping[str, str]
) -> list[FieldView]:
    """The filter fields: what was typed, dates as the date pickers show them (2026-11-23)."""
    shown = dict(args.items())
    for key in ("date_from", "date_to"):
        day = getattr(filters, key)
        if day and key not in errors:
            shown[key] = day.isoformat()
    return filter_fields(shown, errors, staff_users(), filters.seen.user_id)


def list_page(args: Mapping[str, str], page: int, size: int) -> dict[str, Any]:
    """Everything the list's template needs, from the query string and the page number."""
    filters, errors = finding.RequestFilter.from_args(args)
    position = paging.Position.from_args(args, page)
    found = paging.find_page(filters, position, size)
    fields = fields_for(args, filters, errors)
    return {
        "page": found,
        "rows": listed(found.rows, filters.seen),
        "filters": filters,
        "fields": fields,
        "errors": [f for f in fields if f.error],
        "total_words": finding.in_words(found.total, found.cap),
        "new_words": finding.in_words(found.new_count),
        "open_statuses": finding.OPEN,
    }
