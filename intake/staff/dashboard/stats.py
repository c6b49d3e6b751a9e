"""Dashboard figures: requests per week by outcome, the funnel, where questionnaires stop."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import BookingRequest, Draft, Submission, utcnow
from intake.screening.rules import OUTCOMES


def weekly_outcomes(weeks: int = 12, today: dt.date | None = None):
    """(week labels, {outcome: counts per week}) of booking requests, oldest week first."""
    today = today or utcnow().date()
    monday = today - dt.timedelta(days=today.weekday())
    starts = [monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    rows = db.session.execute(
        select(BookingRequest.created_at, Submission.outcome)
        .join(BookingRequest.submission)
        .where(BookingRequest.created_at >= dt.datetime.combine(starts[0], dt.time()))
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
