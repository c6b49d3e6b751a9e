"""When follow-ups are due, and sending them.

`plan` makes a booked request's follow-ups (FOLLOWUP_SCHEDULE weeks after the first
appointment, at FOLLOWUP_SEND_HOUR clinic time) or moves the ones not yet sent when the date
changes; `cancel_open` ends them when the request closes without treatment. `run_due` is
called by the outbox worker about once a minute (and by `flask followups run`): it sends what
is due, one reminder FOLLOWUP_REMINDER_DAYS later to those still unanswered, and marks as
missed what expired unanswered. Each email is claimed by a conditional UPDATE
(`WHERE status='scheduled'`, `WHERE reminded_at IS NULL`), so workers running at once never
send one twice. Every function takes `now` (naive UTC), the clock tests control.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import exists, select, update

from intake import clinic_time
from intake.extensions import db
from intake.followup import links
from intake.followup.models import OPEN_STATUSES, FollowUp
from intake.mail import emails
from intake.models import BookingRequest, utcnow

log = logging.getLogger("intake.followup")

#: A follow-up whose link would work for less than this when it could first be sent (the
#: worker was down, or the appointment was moved back) is marked missed instead; a reminder
#: is not sent with less than this left either.
MIN_WINDOW = dt.timedelta(days=1)


@dataclass(frozen=True)
class Slot:
    """When one follow-up of a schedule is due and until when its links work."""

    number: int
    weeks: int
    due_at: dt.datetime
    expires_at: dt.datetime


@dataclass
class RunCounts:
    """What one `run_due` did."""

    sent: int = 0
    reminded: int = 0
    missed: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, reminded {self.reminded}, missed {self.missed}, "
            f"failed {self.failed}"
        )


def timetable(first_appointment: dt.date, config: Mapping[str, Any] | None = None) -> list[Slot]:
    """The follow-ups of a first appointment on that day: each due FOLLOWUP_SCHEDULE weeks
    after it at FOLLOWUP_SEND_HOUR in the clinic's time zone (the same hour in summer and
    winter), each link working until the next is due (the last for
    FOLLOWUP_LAST_WINDOW_DAYS). Times as stored: naive UTC."""
    config = config or current_app.config
    weeks = sorted(int(w) for w in config["FOLLOWUP_SCHEDULE"])
    zone, hour = clinic_time.clinic_zone(config), dt.time(int(config["FOLLOWUP_SEND_HOUR"]))

    def at_send_hour(day: dt.date) -> dt.datetime:
        return clinic_time.to_utc(dt.datetime.combine(day, hour, tzinfo=zone))

    days = [first_appointment + dt.timedelta(weeks=w) for w in weeks]
    dues = [at_send_hour(day) for day in days]
    last = at_send_hour(days[-1] + dt.timedelta(days=int(config["FOLLOWUP_LAST_WINDOW_DAYS"])))
    return [
        Slot(number, w, due, expires)
        for number, (w, due, expires) in enumerate(
            zip(weeks, dues, [*dues[1:], last], strict=True), 1
        )
    ]


def followups_of(booking: BookingRequest) -> list[FollowUp]:
    """A request's follow-ups in schedule order."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.booking_request_id == booking.id)
            .order_by(FollowUp.number)
        )
    )


def wanted(booking: BookingRequest) -> bool:
    """Whether a request gets follow-ups: booked with a first appointment date, the patient
    opted in and has not stopped them."""
    return (
        booking.status == "booked"
        and booking.first_appointment_on is not None
        and bool(booking.followup_consent)
        and booking.followups_stopped_at is None
    )


def plan(booking: BookingRequest, now: dt.datetime | None = None) -> int:
    """Create a booked request's follow-ups, move the ones still scheduled to its (new) first
    appointment date, and bring back cancelled ones (it was closed untreated or un-booked by
    mistake, and is booked again): one never sent is scheduled again, one sent is open again
    until its expiry (missed after it). Answered, missed and sent ones keep their history.
    Returns how many were created, moved or brought back (0 when the request gets none).
    Flushes; the caller commits."""
    if not wanted(booking):
        return 0
    now = now or utcnow()
    existing = {f.number: f for f in followups_of(booking)}
    changed = 0
    for slot in timetable(booking.first_appointment_on):
        followup = existing.get(slot.number)
        if followup is not None and followup.status == "cancelled":
            _restore(followup, slot, now)
            changed += 1
        elif followup is None:
            db.session.add(
                FollowUp(
                    booking_request_id=booking.id,
                    number=slot.number,
                    weeks=slot.weeks,
                    due_at=slot.due_at,
                    expires_at=slot.expires_at,
                    status="scheduled",
                    flags=[],
                )
            )
            changed += 1
        elif followup.status == "scheduled" and (
            (followup.weeks, followup.due_at, followup.expires_at)
            != (slot.weeks, slot.due_at, slot.expires_at)
        ):
            # conditional: a worker may have sent it a moment ago; then it keeps its times
            changed += db.session.execute(
                update(FollowUp)
                .where(FollowUp.id == followup.id, FollowUp.status == "scheduled")
                .values(weeks=slot.weeks, due_at=slot.due_at, expires_at=slot.expires_at)
                .execution_options(synchronize_session="fetch")
            ).rowcount
    db.session.flush()
    return changed


def _restore(followup: FollowUp, slot: Slot, now: dt.datetime) -> None:
    """A cancelled follow-up back as it would be had it never been cancelled."""
    if followup.sent_at is None:
        followup.status = "scheduled"
        followup.weeks, followup.due_at, followup.expires_at = (
            slot.weeks,
            slot.due_at,
            slot.expires_at,
        )
    else:  # its email went: its link works again until it expires
        followup.status = "sent" if followup.expires_at > now else "missed"


def cancel_open(booking: BookingRequest) -> int:
    """Cancel a request's follow-ups not yet sent or answered (closed without treatment);
    returns how many. Their links stop working. Flushes; the caller commits."""
    result = db.session.execute(
        update(FollowUp)
        .where(FollowUp.booking_request_id == booking.id, FollowUp.status.in_(OPEN_STATUSES))
        .values(status="cancelled")
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    return result.rowcount


def _not_stopped():
    return ~exists().where(
        BookingRequest.id == FollowUp.booking_request_id,
        BookingRequest.followups_stopped_at.is_not(None),
    )


def _due(now: dt.datetime):
    return (FollowUp.status == "scheduled", FollowUp.due_at <= now, _not_stopped())


def _remindable(now: dt.datetime):
    days = dt.timedelta(days=current_app.config["FOLLOWUP_REMINDER_DAYS"])
    return (
        FollowUp.status == "sent",
        FollowUp.reminded_at.is_(None),
        FollowUp.sent_at <= now - days,
        FollowUp.expires_at > now + MIN_WINDOW,
        _not_stopped(),
    )


def mark_missed(now: dt.datetime | None = None) -> int:
    """Sent follow-ups past their expiry unanswered, and due ones that would expire within
    MIN_WINDOW of being sent (never sent), become missed; returns how many. Commits."""
    now = now or utcnow()
    missed = 0
    for conditions in (
        (FollowUp.status == "sent", FollowUp.expires_at <= now, _not_stopped()),
        (*_due(now), FollowUp.expires_at <= now + MIN_WINDOW),
    ):
        missed += db.session.execute(
            update(FollowUp)
            .where(*conditions)
            .values(status="missed")
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.commit()
    return missed


def _send(followup_id: int, now: dt.datetime, reminder: bool) -> bool:
    """Claim one follow-up for its email (or its reminder), make a fresh link and queue the
    email, in one transaction. False when another worker had claimed it first."""
    if reminder:
        claim = update(FollowUp).where(FollowUp.id == followup_id, *_remindable(now))
        claim = claim.values(reminded_at=now)
    else:
        claim = update(FollowUp).where(FollowUp.id == followup_id, *_due(now))
        claim = claim.values(status="sent", sent_at=now)
    if db.session.execute(claim.execution_options(synchronize_session=False)).rowcount != 1:
        db.session.rollback()
        return False
    followup = db.session.get(FollowUp, followup_id, populate_existing=True)
    token = links.new_link(followup)
    emails.queue_followup(followup, token, reminder=reminder)
    db.session.commit()
    log.info("followup %s followup=%s", "reminded" if reminder else "sent", followup_id)
    return True


def run_due(now: dt.datetime | None = None) -> RunCounts:
    """Mark the expired ones missed, then send what is due and the reminders; the counts.

    One transaction per email, so one that cannot be queued (logged with its id and the
    error's name only) holds up no other and is tried again at the next run."""
    now = now or utcnow()
    counts = RunCounts(missed=mark_missed(now))
    for reminder, conditions in ((False, _due(now)), (True, _remindable(now))):
        ids = list(
            db.session.scalars(
                select(FollowUp.id).where(*conditions).order_by(FollowUp.due_at, FollowUp.id)
            )
        )
        db.session.rollback()  # end the read; each claim is its own transaction
        for followup_id in ids:
            try:
                done = _send(followup_id, now, reminder)
            except Exception as error:  # this email only; the others still go
                db.session.rollback()
                log.error(
                    "followup could not be queued followup=%s error=%s",
                    followup_id,
                    type(error).__name__,
                )
                counts.failed += 1
                continue
            if done and reminder:
                counts.reminded += 1
            elif done:
                counts.sent += 1
    return counts
