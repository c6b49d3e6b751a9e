"""Who is looking at the requests desk, and when (issue 13): what "me", "overdue" and "today"
mean to the list's filters and the dashboard's "Today's work", and the clinic's zone in which
a date filter's days begin. Tests set the clock by replacing `utcnow` here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from intake import clinic_time
from intake.models import utcnow
from intake.staff.requests.bookings import WAITING


@dataclass(frozen=True)
class Context:
    """Who is looking, and when: what "me", "overdue" and "today" mean to the filters, and
    the clinic's zone, in which the date filters' days begin."""

    now: dt.datetime
    zone: dt.tzinfo
    #: the clinic's calendar day at `now`
    today: dt.date
    #: requests still waiting that were received before this (naive UTC) are overdue
    overdue_before: dt.datetime
    user_id: int | None = None

    @classmethod
    def current(cls, now: dt.datetime | None = None, user_id: int | None = None) -> Context:
        """The context of this moment (utcnow) and the logged-in user, with the app's
        CLINIC_TIMEZONE and RESPONSE_WORKING_DAYS."""
        now = now or utcnow()
        if user_id is None:
            user_id = _current_user_id()
        return cls(
            now=now,
            zone=clinic_time.clinic_zone(),
            today=clinic_time.clinic_today(now),
            overdue_before=clinic_time.overdue_cutoff(now),
            user_id=user_id,
        )

    def is_overdue(self, status: str, received: dt.datetime) -> bool:
        """Whether a request with this status, received then, is past the promise."""
        return status in WAITING and received < self.overdue_before

    def call_back_words(self, status: str, day: dt.date | None) -> str:
        """When to call back, after "call back": "today", "since Mon 7 Dec 2026", "on Fri 11
        Dec 2026", "no day given"; "" unless the status is "tried to call"."""
        if status != "tried_to_call":
            return ""
        if day is None:
            return "no day given"
        if day == self.today:
            return "today"
        shown = clinic_time.day_text(day)
        return f"since {shown}" if day < self.today else f"on {shown}"


def _current_user_id() -> int | None:
    from flask_login import current_user

    return current_user.id if current_user and current_user.is_authenticated else None
