"""The requests list as CSV, streamed: any number of rows within a request's time limit.

Why (issue 16): the export used to load every request as an object and then, because the audit
commit had expired them, reload each one and its submission: two queries a row, 1.5 ms a row,
so gunicorn's 30 s limit ended exports above about 20,000 rows. Now the count and the audit
come first (an export is recorded even if the download breaks off), then one query of only the
exported columns is read in chunks (a server-side cursor on PostgreSQL) and sent as it is read.

Plain words (issue 13): outcome and status labels ("Tried to call"), who it is assigned to
(their email) and the day to call back, phones as the clinic writes them (PHONE_REGION), times
like "02 Dec 2026 14:05" in clinic time (CLINIC_TIMEZONE, named in the header), one yes/blank
column per day a patient can choose. The assignee comes from an outer join in the same query.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from typing import Any

from flask import current_app
from sqlalchemy import Row, select

from intake.audit import audit
from intake.clinic_time import clinic_zone, to_local
from intake.extensions import db
from intake.models import BookingRequest, RuleSetVersion, Submission, User
from intake.patient.availability import DAYS, in_words
from intake.plain_words import phone_for
from intake.screening.outcomes import OUTCOME_TEXT
from intake.staff.requests.bookings import label, safe_cell
from intake.staff.requests.finding import RequestFilter, count_all, restrict

#: rows read from the database and written out at a time
CHUNK_ROWS = 1000
#: one column per day a patient can choose (availability.DAYS, Monday to Saturday)
DAY_KEYS = tuple(day.value for day in DAYS)
#: the header; "{zone}" is the clinic's time zone (CLINIC_TIMEZONE), which every time is in
HEADER = (
    "Reference",
    "Received ({zone})",
    "Outcome",
    "Status",
    "Assigned to",
    "Call back on",
    "Name",
    "Email",
    "Phone",
    *(day.label[:3] for day in DAYS),
    "Preferred times",
    "Message",
    "Rule set version",
)


def start(filters: RequestFilter) -> int:
    """Count the matching requests and audit the export with its filters and size, before the
    first byte is sent; the caller commits. Returns the count."""
    rows = count_all(filters)
    audit("export", "booking_requests", filters=filters.as_args(), rows=rows)
    return rows


def csv_chunks(filters: RequestFilter) -> Iterator[str]:
    """The CSV text (every cell quoted, formula-looking text neutralised) in chunks of
    CHUNK_ROWS rows, from one query whatever the number of rows."""
    columns = select(
        Submission.reference,
        BookingRequest.created_at,
        Submission.outcome,
        BookingRequest.status,
        User.email.label("assignee"),
        BookingRequest.call_back_on,
        BookingRequest.name,
        BookingRequest.email,
        BookingRequest.phone,
        BookingRequest.preferred_days,
        BookingRequest.preferred_times,
        BookingRequest.message,
        RuleSetVersion.number,
    )
    query = restrict(
        filters,
        columns.select_from(BookingRequest)
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .join(RuleSetVersion, RuleSetVersion.id == Submission.ruleset_version_id)
        .outerjoin(User, User.id == BookingRequest.assigned_to_id)
        .order_by(BookingRequest.created_at.desc(), BookingRequest.id.desc()),
    )
    region, zone = current_app.config["PHONE_REGION"], clinic_zone()
    yield _csv_text([[column.format(zone=zone.key) for column in HEADER]])
    result = db.session.execute(query, execution_options={"yield_per": CHUNK_ROWS})
    try:
        for chunk in result.partitions():
            yield _csv_text(_cells(row, region, zone) for row in chunk)
    finally:
        result.close()


def _cells(row: Row, region: str, zone: tzinfo) -> list[str]:
    outcome = OUTCOME_TEXT.get(row.outcome)
    days = set(row.preferred_days or ())
    return [
        safe_cell(value)
        for value in (
            row.reference,
            to_local(row.created_at, zone).strftime("%d %b %Y %H:%M"),
            outcome.label if outcome else row.outcome,
            label(row.status),
            row.assignee,
            row.call_back_on.strftime("%d %b %Y") if row.call_back_on else "",
            row.name,
            row.email,
            phone_for(row.phone, region),
            *("yes" if key in days else "" for key in DAY_KEYS),
            in_words(row.preferred_times or []),
            row.message,
            row.number,
        )
    ]


def _csv_text(rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerows(rows)
    return out.getvalue()
