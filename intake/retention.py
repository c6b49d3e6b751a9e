"""Data retention: `flask --app wsgi purge` deletes what the clinic no longer needs to keep.

- Booking requests older than RETENTION_DAYS go, with their screening, notes, emails and
  follow-ups (with their links; deleted here, not left to ON DELETE CASCADE, which SQLite
  honours only with a pragma this app does not set).
- Screenings never followed by a booking request go after UNBOOKED_RETENTION_DAYS.
- An unfinished questionnaire loses its answers as soon as it expires (DRAFT_TTL after its
  last save); the rest of the row (dates and the last page saved, which feed the dashboard's
  funnel and "where people stop" charts) goes after UNBOOKED_RETENTION_DAYS, with its resume
  links. Expired resume links go at once.
- Copies of sent or failed emails (the clinic email may hold every answer) go after
  OUTBOX_RETENTION_DAYS; emails still waiting are kept.
- Desk forms sent with problems (intake/staff/requests/held.py: what was typed, a reason or a
  note) go once they are no longer shown (held.HOLD), and with their request.
- Rule test cases saved from a request before "Save as a test case" made them anonymous (named
  "<reference> (<outcome>)", with the free text and a link to the request) go with their
  request: see `_legacy_test_cases`. Anonymous ones are nobody's record and stay.

Every purge is recorded in the audit log with its counts; `--dry-run` only counts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import and_, delete, or_, select, update

from intake.audit import audit
from intake.extensions import db
from intake.followup.models import FollowUp, FollowUpLink
from intake.models import (
    BookingRequest,
    Draft,
    Note,
    OutboxMessage,
    ResumeToken,
    StatusChange,
    Submission,
    TestCase,
    utcnow,
)
from intake.patient.submissions import REFERENCE_ALPHABET, REFERENCE_PREFIX
from intake.screening.rules import OUTCOMES
from intake.staff.requests import held

#: ids per statement, well under every database's limit on bound parameters
BATCH = 500

#: count name -> how `purge` describes it
LABELS = {
    "booking_requests": "booking requests past RETENTION_DAYS",
    "notes": "staff notes on those requests",
    "status_changes": "status history of those requests",
    "followups": "follow-ups of those requests (with their answers)",
    "followup_links": "links of those follow-ups",
    "submissions": "screenings (of those requests, and never booked)",
    "unbooked_submissions": "  of which never booked, past UNBOOKED_RETENTION_DAYS",
    "emails": "email copies (of those requests, or sent/failed past OUTBOX_RETENTION_DAYS)",
    "test_cases": "rule test cases copied whole from purged requests (saved before anonymity)",
    "drafts_emptied": "unfinished questionnaires past expiry: answers deleted",
    "drafts": "questionnaire records past UNBOOKED_RETENTION_DAYS",
    "resume_tokens": "resume links expired or of those questionnaires",
    "held_forms": "desk forms sent with problems: no longer shown, or of those requests",
}


@dataclass
class PurgePlan:
    """The rows one purge deletes (or empties), by id."""

    booking_ids: list[int] = field(default_factory=list)
    note_ids: list[int] = field(default_factory=list)
    status_change_ids: list[int] = field(default_factory=list)
    followup_ids: list[int] = field(default_factory=list)
    followup_link_ids: list[int] = field(default_factory=list)
    submission_ids: list[int] = field(default_factory=list)
    unbooked_submission_ids: list[int] = field(default_factory=list)
    email_ids: list[int] = field(default_factory=list)
    test_case_ids: list[int] = field(default_factory=list)
    emptied_draft_ids: list[str] = field(default_factory=list)
    draft_ids: list[str] = field(default_factory=list)
    resume_token_ids: list[int] = field(default_factory=list)
    held_form_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many rows of each kind, keyed as in LABELS."""
        return {
            "booking_requests": len(self.booking_ids),
            "notes": len(self.note_ids),
            "status_changes": len(self.status_change_ids),
            "followups": len(self.followup_ids),
            "followup_links": len(self.followup_link_ids),
            "submissions": len(self.submission_ids),
            "unbooked_submissions": len(self.unbooked_submission_ids),
            "emails": len(self.email_ids),
            "test_cases": len(self.test_case_ids),
            "drafts_emptied": len(self.emptied_draft_ids),
            "drafts": len(self.draft_ids),
            "resume_tokens": len(self.resume_token_ids),
            "held_forms": len(self.held_form_ids),
        }


def _ids(query) -> list:
    return list(db.session.scalars(query))


def plan(config: dict[str, Any], now: dt.datetime | None = None) -> PurgePlan:
    """What a purge at `now` removes under the retention settings in `config`."""
    now = now or utcnow()
    booking_cutoff = now - dt.timedelta(days=config["RETENTION_DAYS"])
    unbooked_cutoff = now - dt.timedelta(days=config["UNBOOKED_RETENTION_DAYS"])
    email_cutoff = now - dt.timedelta(days=config["OUTBOX_RETENTION_DAYS"])
    result = PurgePlan()

    old_bookings = select(BookingRequest.id).where(BookingRequest.created_at < booking_cutoff)
    result.booking_ids = _ids(old_bookings.order_by(BookingRequest.id))
    result.note_ids = _ids(
        select(Note.id).where(Note.booking_request_id.in_(old_bookings)).order_by(Note.id)
    )
    result.status_change_ids = _ids(
        select(StatusChange.id)
        .where(StatusChange.booking_request_id.in_(old_bookings))
        .order_by(StatusChange.id.desc())  # an undo before the change it undoes
    )
    old_followups = select(FollowUp.id).where(FollowUp.booking_request_id.in_(old_bookings))
    result.followup_ids = _ids(old_followups.order_by(FollowUp.id))
    result.held_form_ids = _ids(held.expired_or_of(old_bookings, now).order_by(held.HeldForm.id))
    result.followup_link_ids = _ids(
        select(FollowUpLink.id)
        .where(FollowUpLink.followup_id.in_(old_followups))
        .order_by(FollowUpLink.id)
    )
    booked_submissions = _ids(
        select(BookingRequest.submission_id).where(BookingRequest.created_at < booking_cutoff)
    )
    result.unbooked_submission_ids = _ids(
        select(Submission.id)
        .outerjoin(BookingRequest, BookingRequest.submission_id == Submission.id)
        .where(BookingRequest.id.is_(None), Submission.created_at < unbooked_cutoff)
        .order_by(Submission.id)
    )
    result.submission_ids = sorted({*booked_submissions, *result.unbooked_submission_ids})
    result.email_ids = _ids(
        select(OutboxMessage.id)
        .where(
            or_(
                OutboxMessage.booking_request_id.in_(old_bookings),
                and_(
                    OutboxMessage.status.in_(("sent", "failed")),
                    OutboxMessage.updated_at < email_cutoff,
                ),
            )
        )
        .order_by(OutboxMessage.id)
    )

    result.test_case_ids = _legacy_test_cases(set(result.submission_ids))

    old_drafts = select(Draft.id).where(
        or_(
            Draft.completed_at < unbooked_cutoff,
            and_(Draft.completed_at.is_(None), Draft.expires_at < unbooked_cutoff),
        )
    )
    result.draft_ids = _ids(old_drafts.order_by(Draft.id))
    going = set(result.draft_ids)
    # Completed drafts were emptied when screened; expired ones still hold their answers.
    result.emptied_draft_ids = [
        draft_id
        for draft_id, answers in db.session.execute(
            select(Draft.id, Draft.answers)
            .where(Draft.completed_at.is_(None), Draft.expires_at <= now)
            .order_by(Draft.id)
        )
        if answers and draft_id not in going
    ]
    result.resume_token_ids = _ids(
        select(ResumeToken.id)
        .where(or_(ResumeToken.expires_at <= now, ResumeToken.draft_id.in_(old_drafts)))
        .order_by(ResumeToken.id)
    )
    return result


#: The name the old "Save as a test case" gave: the request's reference and its outcome.
_LEGACY_NAME = re.compile(
    rf"{re.escape(REFERENCE_PREFIX)}[{REFERENCE_ALPHABET}]{{6}} \((?:{'|'.join(OUTCOMES)})\)"
)


def _legacy_test_cases(purged: set[int]) -> list[int]:
    """Test cases that hold a request that does not survive this purge.

    Only the old "Save as a test case" made such cases: a copy of every answer (free text too),
    the reference as the name and a link (`source_submission_id`). One goes when its link
    names a submission purged now or already gone (SQLite does not apply the link's ON DELETE
    SET NULL), or, its link cleared (PostgreSQL did, at an earlier purge), when its name is
    exactly "<reference> (<outcome>)" and no surviving submission has that reference.
    """
    rows = db.session.execute(
        select(TestCase.id, TestCase.name, TestCase.source_submission_id)
        .where(
            or_(
                TestCase.source_submission_id.is_not(None),
                TestCase.name.startswith(REFERENCE_PREFIX, autoescape=True),
            )
        )
        .order_by(TestCase.id)
    ).all()
    linked = {source for _, _, source in rows if source is not None}
    references = {name.split(" ")[0] for _, name, _ in rows if _LEGACY_NAME.fullmatch(name)}
    existing_ids = set(_ids(select(Submission.id).where(Submission.id.in_(linked))))
    existing_references = dict(
        db.session.execute(
            select(Submission.reference, Submission.id).where(Submission.reference.in_(references))
        ).all()
    )
    surviving_ids = existing_ids - purged
    surviving_references = {ref for ref, sid in existing_references.items() if sid not in purged}
    return [
        case_id
        for case_id, name, source in rows
        if (source is not None and source not in surviving_ids)
        or (
            source is None
            and _LEGACY_NAME.fullmatch(name)
            and name.split(" ")[0] not in surviving_references
        )
    ]


def _batches(ids: Sequence) -> Iterable[Sequence]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _delete(model: Any, ids: Sequence) -> None:
    for batch in _batches(ids):
        db.session.execute(
            delete(model).where(model.id.in_(batch)).execution_options(synchronize_session=False)
        )


def execute(found: PurgePlan) -> None:
    """Delete and empty the planned rows, children first. Flushes; the caller commits."""
    _delete(Note, found.note_ids)
    _delete(StatusChange, found.status_change_ids)
    _delete(FollowUpLink, found.followup_link_ids)
    _delete(FollowUp, found.followup_ids)
    _delete(OutboxMessage, found.email_ids)
    _delete(TestCase, found.test_case_ids)
    _delete(held.HeldForm, found.held_form_ids)
    _delete(BookingRequest, found.booking_ids)
    _delete(Submission, found.submission_ids)
    _delete(ResumeToken, found.resume_token_ids)
    _delete(Draft, found.draft_ids)
    for batch in _batches(found.emptied_draft_ids):
        db.session.execute(
            update(Draft)
            .where(Draft.id.in_(batch))
            .values(answers={})
            .execution_options(synchronize_session=False)
        )
    db.session.flush()


def settings(config: dict[str, Any]) -> dict[str, int]:
    """The retention settings a purge ran with (recorded in its audit event)."""
    return {
        name.lower(): config[name]
        for name in (
            "RETENTION_DAYS",
            "UNBOOKED_RETENTION_DAYS",
            "OUTBOX_RETENTION_DAYS",
            "DRAFT_TTL",
        )
    }


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; change nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Delete data past its retention period (see RETENTION_DAYS in the README)."""
    config = current_app.config
    found = plan(config)
    counts = found.counts()
    for key, label in LABELS.items():
        click.echo(f"{counts[key]:8d}  {label}")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was changed.")
        return
    execute(found)
    audit("purge", actor="cli", **counts, **settings(config))
    db.session.commit()
    click.echo("Purged; recorded in the audit log.")
