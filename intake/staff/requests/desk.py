"""The top of the request page (issue 13): when it came in, in clinic time; how long it has
waited and whether it is past the promised response time; and what to do first, from its
status, its screening outcome and what fired. (The clinic email says the same things in its
own words: intake/mail/first_steps.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake import clinic_time
from intake.staff.requests import bookings

#: outcome -> (what to do, why) before booking, while the request is open
OUTCOME_STEPS = {
    "see_doctor": (
        "Check they have seen a doctor",
        "see-a-doctor advice was given, before any dry needling",
    ),
    "not_advised": ("Offer a physiotherapy assessment", "dry needling was not advised"),
    "not_indicated": (
        "Answer their enquiry",
        "their answers do not show the muscle pain dry needling treats",
    ),
}
URGENT = (
    "Urgent: phone them today",
    "the patient was told to seek urgent medical help now. Check they did; no dry needling "
    "until a doctor has seen them",
)
#: statuses that still need something done before booking
OPEN = ("new", "tried_to_call", "contacted")


@dataclass(frozen=True)
class Step:
    """One thing to do: `lead` in bold, then why."""

    lead: str
    why: str = ""


@dataclass(frozen=True)
class Desk:
    """What the top of the request page says."""

    received: dt.datetime
    #: how long it has waited ("3 hours"), while nobody has reached the patient
    waiting: str
    #: past the promised response time (only while waiting)
    overdue: bool
    #: the clinic day by the end of which the patient was promised a reply
    respond_by: dt.date
    #: what to do first, most pressing first
    steps: list[Step]


def day_words(day: dt.date) -> str:
    """ "Tue 8 Dec 2026", as every date on the staff pages (clinic_time.day_text)."""
    return clinic_time.day_text(day)


def status_step(
    booking: Any, today: dt.date, respond_by: dt.date, overdue: bool, promise: str = ""
) -> Step:
    """What the request's status asks for next (`promise`: "2 working days")."""
    status, promised = booking.status, f"a reply was promised by {day_words(respond_by)}"
    if status == "new" and overdue:
        return Step("Overdue: call them back today", promised)
    if status == "new":
        why = f"the patient was promised a reply within {promise}" if promise else ""
        if respond_by == today:
            return Step("Call them back today", f"{why}, by the end of today" if why else "")
        return Step(f"Call them back by {day_words(respond_by)}", why)
    if status == "tried_to_call":
        day = booking.call_back_on
        if day is None:
            return Step("Try calling again", "nobody answered last time")
        if day <= today:
            return Step("Call them back today", f"a call back was planned for {day_words(day)}")
        return Step(f"Call them back on {day_words(day)}", "nobody answered last time")
    if status == "contacted":
        return Step("Book the first appointment", "or decline the request if it is not going ahead")
    if status == "booked":
        first = booking.first_appointment_on
        return Step(
            "Close the request when treatment ends",
            f"the first appointment is on {day_words(first)}" if first else "",
        )
    if status == "declined":
        return Step("Close the request", "when nothing more is needed")
    return Step("Nothing more to do", f"the request is {bookings.label(status).lower()}")


def review_step(fired: Sequence[Mapping[str, Any]]) -> Step | None:
    """A clinician's review of the red flags and precautions that fired, if any did."""
    red_flags = sum(1 for rule in fired if rule.get("safety"))
    precautions = sum(1 for rule in fired if rule.get("outcome") == "review")
    found = [_count(red_flags, "red flag"), _count(precautions, "precaution")]
    listed = " and ".join(words for words in found if words)
    if not listed:
        return None
    return Step("A clinician should review before booking", f"{listed}, under Clinical detail")


def desk(
    booking: Any,
    submission: Any,
    now: dt.datetime,
    config: Mapping[str, Any] | None = None,
) -> Desk:
    """The top of the page for a request screened as `submission`, at `now` (naive UTC)."""
    waiting = booking.status in bookings.WAITING
    overdue = waiting and booking.created_at < clinic_time.overdue_cutoff(now, config)
    respond_by = clinic_time.clinic_respond_by(booking.created_at, config)
    today = clinic_time.clinic_today(now, config)
    promise = clinic_time.promise_words(config)
    steps = [status_step(booking, today, respond_by, overdue, promise)]
    if booking.status in OPEN:
        if submission.outcome == "emergency":
            steps.insert(0, Step(*URGENT))
        if submission.outcome in OUTCOME_STEPS:
            steps.append(Step(*OUTCOME_STEPS[submission.outcome]))
        if review := review_step(submission.fired or []):
            steps.append(review)
    if booking.status == "contacted":  # the checks come before "Book the first appointment"
        steps.append(steps.pop(0))
    return Desk(
        received=booking.created_at,
        waiting=_waited(booking.created_at, now) if waiting else "",
        overdue=overdue,
        respond_by=respond_by,
        steps=steps,
    )


def _waited(received: dt.datetime, now: dt.datetime) -> str:
    words = clinic_time.waiting_words(received, now)
    return "less than a minute" if words == "0 minutes" else words


def _count(count: int, noun: str) -> str:
    if not count:
        return ""
    return f"1 {noun}" if count == 1 else f"{count} {noun}s"
