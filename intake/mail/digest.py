"""The morning digest (issue 13): once a clinic day, at or after DIGEST_HOUR in clinic time
(CLINIC_TIMEZONE), one email to CLINIC_EMAIL listing the requests nobody has reached yet (new,
and overdue: past the promised RESPONSE_WORKING_DAYS) and the call-backs due, each by
reference, outcome and waiting time only (no name, contact detail or health detail), with
links to the staff area. Off unless DIGEST_HOUR is set.

Once a day, however many workers run it: the email's Message-ID is fixed for the day
(``<digest-2026-12-03.…@…>``) and the outbox's message_id column is unique, so a second worker's
insert fails with IntegrityError; that worker rolls back and counts the day as done. A day with
nothing waiting sends nothing (a "nothing waiting" email teaches people to ignore the digest)
and is recorded in the audit log, like a sent one, so a request arriving later that day does
not set off a late digest: it has its own clinic email.

`run_due` is called by the outbox worker about once a minute and by `flask digest send`. It
commits (or rolls back) its own transaction: call it with nothing pending. Log lines: counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

from flask import current_app, render_template
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from intake import clinic_time
from intake.audit import audit
from intake.extensions import db
from intake.mail import emails, outbox
from intake.mail.first_steps import day_words
from intake.models import AuditEvent, BookingRequest, OutboxMessage, Submission, utcnow
from intake.screening.outcomes import OUTCOME_TEXT
from intake.staff.requests.bookings import WAITING

log = logging.getLogger("intake.digest")

KIND = "digest"
#: requests listed per section; the rest are counted and left to the staff area
MAX_LISTED = 50

#: what run_due did
OFF, EARLY, DONE, EMPTY, QUEUED, RACED = "off", "early", "done", "empty", "queued", "raced"


@dataclass(frozen=True)
class Line:
    """One request in the digest: nothing that names the patient or their health."""

    reference: str
    outcome: str
    waiting: str
    url: str
    #: for call-backs: "today", or the day it was due ("Monday 30 November")
    due: str = ""


@dataclass
class Section:
    """One list of the digest."""

    key: str
    title: str
    #: what the list means, after its title
    meaning: str
    #: the staff list showing the same requests
    list_url: str
    lines: list[Line] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        """Requests counted but not listed."""
        return self.total - len(self.lines)


@dataclass
class DigestResult:
    """What one run_due did, and the counts when it looked."""

    state: str
    day: dt.date | None = None
    new: int = 0
    overdue: int = 0
    call_backs: int = 0

    def __str__(self) -> str:
        day = f"{day_words(self.day)} {self.day.year}" if self.day else ""
        call_backs = "1 call-back" if self.call_backs == 1 else f"{self.call_backs} call-backs"
        counts = f"{self.overdue} overdue, {self.new} new, {call_backs} due"
        return {
            OFF: "DIGEST_HOUR is not set: no digest is sent.",
            EARLY: f"Not yet: the digest for {day} goes at {_hour()} clinic time.",
            DONE: f"The digest for {day} was already sent (or there was nothing to send).",
            EMPTY: f"Nothing waiting on {day}: no digest sent.",
            QUEUED: f"Digest for {day} queued: {counts}.",
            RACED: f"The digest for {day} was queued by another worker.",
        }[self.state]


def _hour() -> str:
    """DIGEST_HOUR as a time of day ("08:00")."""
    hour = current_app.config.get("DIGEST_HOUR")
    return "" if hour is None else f"{int(hour):02d}:00"


def due_day(now: dt.datetime) -> dt.date | None:
    """The clinic day whose digest is due at `now` (naive UTC): today in clinic time once it
    is DIGEST_HOUR there; None before then, or when DIGEST_HOUR is not set."""
    hour = current_app.config.get("DIGEST_HOUR")
    if hour is None:
        return None
    local = clinic_time.to_local(now, clinic_time.clinic_zone())
    return local.date() if local.hour >= int(hour) else None


def message_id(day: dt.date) -> str:
    """The digest's Message-ID for `day`: the same for every worker, different for each
    installation (BASE_URL), so mail clients never merge two clinics' digests."""
    install = hashlib.sha256(current_app.config["BASE_URL"].encode()).hexdigest()[:12]
    return f"<digest-{day.isoformat()}.{install}@{outbox.message_id_domain()}>"


def _target(day: dt.date) -> str:
    return f"digest:{day.isoformat()}"


def already_done(day: dt.date) -> bool:
    """Whether `day`'s digest was queued, or the day found nothing to send."""
    queued = exists().where(OutboxMessage.message_id == message_id(day))
    decided = exists().where(AuditEvent.action == KIND, AuditEvent.target == _target(day))
    return bool(db.session.scalar(select(or_(queued, decided))))


def run_due(now: dt.datetime | None = None) -> DigestResult:
    """Queue today's digest if it is due and not yet sent; commits. See the module docstring."""
    now = now or utcnow()
    if current_app.config.get("DIGEST_HOUR") is None:
        return DigestResult(OFF)
    day = due_day(now)
    if day is None:
        return DigestResult(EARLY, clinic_time.clinic_today(now))
    if already_done(day):
        db.session.commit()  # ends the read (PostgreSQL would otherwise sit in a transaction)
        return DigestResult(DONE, day)
    overdue, new, call_backs = sections(now, day)
    result = DigestResult(QUEUED, day, new.total, overdue.total, call_backs.total)
    counts = {"new": result.new, "overdue": result.overdue, "call_backs": result.call_backs}
    if not any(counts.values()):
        audit(KIND, _target(day), actor="digest", sent=False, **counts)
        db.session.commit()
        log.info("digest day=%s nothing waiting, none sent", day.isoformat())
        return DigestResult(EMPTY, day)
    try:
        _queue(day, now, [overdue, new, call_backs], result)
        audit(KIND, _target(day), actor="digest", sent=True, **counts)
        db.session.commit()
    except IntegrityError:  # another worker queued today's digest first
        db.session.rollback()
        log.info("digest day=%s already queued by another worker", day.isoformat())
        return DigestResult(RACED, day)
    log.info(
        "digest queued day=%s overdue=%s new=%s call_backs=%s",
        day.isoformat(),
        result.overdue,
        result.new,
        result.call_backs,
    )
    return result


def sections(now: dt.datetime, day: dt.date) -> tuple[Section, Section, Section]:
    """(overdue, new, call-backs due) at `now`, each oldest first, with its total."""
    cutoff = clinic_time.overdue_cutoff(now)
    promise = clinic_time.promise_words()
    waiting = BookingRequest.status.in_(WAITING)
    overdue = Section(
        "overdue",
        "Overdue",
        f"nobody has reached them yet, and the {promise} promised have passed",
        emails.public_url("staff.list_requests", due="overdue"),
    )
    new = Section(
        "new",
        "New",
        f"nobody has reached them yet; still within the {promise} promised",
        emails.public_url("staff.list_requests", status="new"),
    )
    call_backs = Section(
        "call_backs",
        "Call-backs due",
        "tried to call, and the day to call back is today or has passed",
        emails.public_url("staff.list_requests", due="call_back"),
    )
    call_back_due = (BookingRequest.status == "tried_to_call") & or_(
        BookingRequest.call_back_on.is_(None), BookingRequest.call_back_on <= day
    )
    _fill(overdue, now, day, waiting & (BookingRequest.created_at < cutoff))
    _fill(new, now, day, waiting & (BookingRequest.created_at >= cutoff))
    _fill(call_backs, now, day, call_back_due)
    return overdue, new, call_backs


def _fill(section: Section, now: dt.datetime, day: dt.date, where: ColumnElement[bool]) -> None:
    """Up to MAX_LISTED lines (one query) and, only when there are more, the total (another)."""
    rows = db.session.execute(
        select(
            BookingRequest.id,
            BookingRequest.created_at,
            BookingRequest.call_back_on,
            Submission.reference,
            Submission.outcome,
        )
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .where(where)
        .order_by(BookingRequest.created_at, BookingRequest.id)
        .limit(MAX_LISTED + 1)
    ).all()
    section.lines = [_line(row, now, day) for row in rows[:MAX_LISTED]]
    section.total = len(rows)
    if len(rows) > MAX_LISTED:
        section.total = db.session.scalar(
            select(func.count()).select_from(BookingRequest).where(where)
        )


def _line(row, now: dt.datetime, day: dt.date) -> Line:
    outcome = OUTCOME_TEXT.get(row.outcome)
    due = "today"  # a call-back with no day given is due now
    if row.call_back_on is not None and row.call_back_on < day:
        due = day_words(row.call_back_on)
    return Line(
        reference=row.reference,
        outcome=outcome.label if outcome else row.outcome,
        waiting=clinic_time.waiting_words(row.created_at, now),
        url=emails.public_url("staff.show_request", request_id=row.id),
        due=due,
    )


def _queue(day: dt.date, now: dt.datetime, parts: list[Section], result: DigestResult) -> None:
    """Queue the email with the day's Message-ID (IntegrityError when it is there already)."""
    zone = clinic_time.clinic_zone()
    local = clinic_time.to_local(now, zone)
    context = {
        "clinic_name": current_app.config["CLINIC_NAME"],
        "day": f"{day_words(day)} {day.year}",
        "at": f"{local:%H:%M} ({zone.key} time)",
        "hour": _hour(),
        "sections": parts,
        "dashboard_url": emails.public_url("staff.dashboard"),
        "promise": clinic_time.promise_words(),
    }
    counts = [
        f"{result.overdue} overdue" if result.overdue else "",
        f"{result.new} new" if result.new else "",
        f"{result.call_backs} to call back" if result.call_backs else "",
    ]
    outbox.enqueue(
        kind=KIND,
        recipients=current_app.config["CLINIC_EMAIL"],
        subject=f"Requests waiting, {day_words(day)}: {', '.join(c for c in counts if c)}",
        text_body=render_template("mail/digest.txt", **context),
        html_body=render_template("mail/digest.html", **context),
        message_id=message_id(day),
    )
