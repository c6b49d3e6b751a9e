"""What the patient's side of follow-up does: keep a page of answers (or a page sent with
errors), store the finished answers with the flags for staff and what they showed (results.py),
and stop follow-up emails.

Operations flush; the view commits. `FollowUp.held` keeps the form between pages:
{"saved": {page: answers}, "sent": {page: form as last sent with errors}}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update

from intake.audit import audit
from intake.extensions import db
from intake.followup import alerts, forms, results
from intake.followup import measures as m
from intake.followup.models import OPEN_STATUSES, FollowUp
from intake.models import BookingRequest, utcnow

#: the most of one field's values kept of a page sent with errors
_HELD_VALUES = 10


def baseline(followup: FollowUp) -> m.Baseline:
    """The patient's baseline: the intake answers and the PSFS activities from booking (and the
    stored scores, as the outcomes report reads them)."""
    booking = followup.booking
    submission = booking.submission
    scores = submission.scores if isinstance(submission.scores, dict) else None
    return m.baseline_of(submission.answers or {}, booking.psfs_baseline, scores)


def _held(followup: FollowUp) -> dict[str, dict[str, Any]]:
    held = followup.held if isinstance(followup.held, dict) else {}
    return {
        "saved": dict(held.get("saved") or {}),
        "sent": dict(held.get("sent") or {}),
    }


def saved(followup: FollowUp, page: str) -> dict[str, Any] | None:
    """The answers kept of a page, or None when it has not been answered yet."""
    return _held(followup)["saved"].get(page)


def sent_with_errors(followup: FollowUp, page: str) -> dict[str, list[str]] | None:
    """The page as last sent with errors, or None."""
    return _held(followup)["sent"].get(page)


def form_of(raw: Mapping[str, list[str]], page: str, base: m.Baseline) -> dict[str, list[str]]:
    """The page's own fields of a request's form (anything else is not kept)."""
    names = [question.id for question in forms.questions(page, base)]
    return {name: list(raw.get(name, []))[:_HELD_VALUES] for name in names if name in raw}


def hold(followup: FollowUp, page: str, raw: Mapping[str, list[str]]) -> None:
    """Keep a page sent with errors, for the GET that the POST redirects to."""
    held = _held(followup)
    held["sent"][page] = dict(raw)
    followup.held = held


def keep_page(followup: FollowUp, page: str, answers: Mapping[str, Any]) -> None:
    """Keep a page's valid answers until the form is finished."""
    held = _held(followup)
    held["saved"][page] = dict(answers)
    held["sent"].pop(page, None)
    followup.held = held


def complete(followup: FollowUp, answers: Mapping[str, Any]) -> bool:
    """Store the finished answers with what a clinician should look at, once (a flag also
    queues an email to the clinic, alerts.py): False when the follow-up was answered (or
    closed) meanwhile, by another tab or device."""
    everything: dict[str, Any] = {}
    for page in forms.PAGES:
        everything.update(saved(followup, page) or {})
    everything.update(answers)
    base = baseline(followup)
    found = m.flags(base, everything)
    claimed = db.session.execute(
        update(FollowUp)
        .where(FollowUp.id == followup.id, FollowUp.status == "sent")
        .values(
            status="answered",
            answered_at=utcnow(),
            answers=everything,
            results=results.of(base, everything),
            flags=found,
            held=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    if claimed.rowcount != 1:
        return False
    alerts.queue_flag_alert(followup, found)
    return True


def stop(booking: BookingRequest) -> bool:
    """Stop follow-up emails for a request, at once: every open follow-up is unsubscribed.
    True the first time (audited), False when they were stopped already."""
    claimed = db.session.execute(
        update(BookingRequest)
        .where(BookingRequest.id == booking.id, BookingRequest.followups_stopped_at.is_(None))
        .values(followups_stopped_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if claimed.rowcount != 1:  # stopped already (perhaps by a second click just now)
        return False
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.booking_request_id == booking.id, FollowUp.status.in_(OPEN_STATUSES))
        .values(status="unsubscribed")
        .execution_options(synchronize_session="fetch")
    )
    audit("followup_unsubscribe", f"booking_request:{booking.id}", actor="patient")
    return True
