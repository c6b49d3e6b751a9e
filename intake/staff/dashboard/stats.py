"""Dashboard figures: requests per week by outcome, the funnel, where questionnaires stop.

Each is counted in the database (grouped and filtered by indexed dates), never by loading rows
into Python: with a million requests the dashboard still reads only recent ones (issue 16).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import case, func, literal_column, select

from intake.extensions import db
from intake.models import BookingRequest, Draft, Submission, utcnow
from intake.screening.rules import OUTCOMES


def weekly_outcomes(weeks: int = 12, today: dt.date | None = None):
    """(week labels, {outcome: counts per week}) of booking requests, oldest week first."""
    today = today or utcnow().date()
    monday = today - dt.timedelta(days=today.weekday())
    starts = [monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    bounds = [dt.datetime.combine(start, dt.time()) for start in starts]
    week = case(
        *((BookingRequest.created_at >= bounds[i], i) for i in range(weeks - 1, 0, -1)), else_=0
    )
    in_window = BookingRequest.created_at >= bounds[0]
    # A bound that changes nothing (every request's submission is at least the window's first)
    # but lets PostgreSQL read the window's outcomes as one range of the submissions'
    # (id, outcome) index and join them to the window's requests, (created_at, id,
    # submission_id) index, rather than look each up. "+ 0" keeps min() from walking the
    # whole submission_id index in order, which is far slower than reading the window.
    first_submission = select(func.min(BookingRequest.submission_id + 0)).where(in_window)
    rows = db.session.execute(
        select(week.label("week_index"), Submission.outcome, func.count())
        .select_from(BookingRequest)
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .where(in_window, Submission.id >= first_submission.scalar_subquery())
        .group_by(literal_column("week_index"), Submission.outcome)
    ).all()
    counts = {outcome: [0] * weeks for outcome in OUTCOMES}
    for index, outcome, number in rows:
        if outcome in counts:
            counts[outcome][index] += number
    # chart ticks: the day as every staff date shows it ("5 Oct"), without weekday (always a
    # Monday) or year, to fit twelve under the chart
    return [f"{start.day} {start:%b}" for start in starts], counts


def funnel(since: dt.datetime | None = None) -> list[tuple[str, int]]:
    """Started → completed → booking requested (created since `since`, when given)."""

    def count(model, *conditions) -> int:
        if since is not None:
            conditions = (*conditions, model.created_at >= since)
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))

    started = count(Draft, Draft.purpose == "patient")
    completed = count(Submission)
    booked = count(BookingRequest)
    return [("Started", started), ("Completed", completed), ("Booking requested", booked)]


#: the chart's row for drafts last saved on a page the questionnaire no longer has (it was
#: merged into another since: "goals" joined "How your pain affects you" in December 2026)
RETIRED_PAGE = "A page since merged into another"


def abandoned_rows(steps: Iterable) -> list[tuple[str, int]]:
    """The unfinished-questionnaires chart: (page title, drafts) for before the first page,
    each of `steps` (the questionnaire's pages, in order), and, when any, retired pages."""
    counts = abandoned_by_step()
    rows = [("Before the first page", counts.pop(None, 0))]
    rows += [(step.title, counts.pop(step.id, 0)) for step in steps]
    if retired := sum(counts.values()):
        rows.append((RETIRED_PAGE, retired))
    return rows


def abandoned_by_step() -> Counter:
    """Drafts never completed, by the last step they saved (None: left before saving one)."""
    now = utcnow()
    rows = db.session.execute(
        select(Draft.last_step, func.count(Draft.id))
        .where(Draft.completed_at.is_(None), Draft.expires_at <= now, Draft.purpose == "patient")
        .group_by(Draft.last_step)
    ).all()
    return Counter(dict(rows))
