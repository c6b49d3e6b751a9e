"""Patient operations: drafts, saving steps, screening, booking requests. Flush, never commit."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Update, bindparam, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from intake.extensions import db
from intake.mail import emails
from intake.models import BookingRequest, Draft, Submission, utcnow
from intake.patient import results, rules_in_force
from intake.screening import branching, questionnaire, rules
from intake.screening.answers import first_unanswered_step, parse_step

#: Reference characters: no 0/O, 1/I/L or other look-alikes.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "DN-"


class DraftMissing(LookupError):
    """The draft does not exist or has expired."""


class ResumeLinkInvalid(DraftMissing):
    """A 'carry on later' link that is unknown, used or expired."""


class QuestionnaireIncomplete(ValueError):
    """A required question is still unanswered."""

    def __init__(self, step: questionnaire.Step):
        super().__init__(step.id)
        self.step = step


def new_token() -> str:
    """An opaque, unguessable id for drafts and submissions."""
    return secrets.token_urlsafe(24)


def new_reference() -> str:
    """A fresh reference like DN-7K3F9Q that no submission uses yet."""
    while True:
        reference = REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        taken = db.session.scalars(
            select(Submission.id).where(Submission.reference == reference)
        ).first()
        if taken is None:
            return reference


def start_draft(ttl_seconds: int) -> Draft:
    """A new, empty draft."""
    now = utcnow()
    draft = Draft(
        id=new_token(),
        answers={},
        created_at=now,
        updated_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_seconds),
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def get_draft(draft_id: str | None) -> Draft:
    """The live draft with this id; raises DraftMissing when it is gone or expired."""
    draft = db.session.get(Draft, draft_id) if isinstance(draft_id, str) else None
    return _live(draft, draft_id)


@dataclass
class DraftValues:
    """A draft's values, not a database object: a question page reads and saves its draft this
    way, which costs SQLAlchemy a fraction of the ORM's work (no identity map, no unit of
    work; on a question page's POST the ORM was about a fifth of the request). `save_step`
    and `Journey.hold` change it in place and `store_draft` writes it with one UPDATE.
    The check page, which screens and completes the draft, uses the Draft itself."""

    id: str
    answers: dict[str, Any]
    held: dict[str, Any] | None
    purpose: str
    completed_at: dt.datetime | None
    expires_at: dt.datetime
    last_step: str | None
    updated_at: dt.datetime


#: The columns a DraftValues is read from.
_READ = tuple(DraftValues.__dataclass_fields__)


AnyDraft = TypeVar("AnyDraft", Draft, DraftValues)


def draft_and_rules(
    draft_id: str | None, *, values: bool = False
) -> tuple[Draft | DraftValues, int | None]:
    """The live draft with this id and the id of the rule set in force (None when nothing is
    published), read in one query: a question page needs both on every request. `values`: for
    a request that only shows the draft or writes it and nothing else (a question page), its
    values (DraftValues) read outside the session, on PostgreSQL outside any transaction;
    `store_draft` writes them. Otherwise the Draft itself (which `complete` needs). Raises
    DraftMissing when the draft is gone or expired."""
    row = draft = None
    if isinstance(draft_id, str) and values:
        with _on_its_own() as connection:
            row = connection.execute(_values_query(), {"draft_id": draft_id}).first()
        draft = DraftValues(*row[: len(_READ)]) if row else None
    elif isinstance(draft_id, str):
        row = db.session.execute(_draft_and_rules_query(), {"draft_id": draft_id}).first()
        draft = row[0] if row else None
    return _live(draft, draft_id), row[-1] if row else None


@cache
def _draft_and_rules_query() -> Select:
    """Built once: making the statement costs more CPU than SQLite takes to run it."""
    published = rules_in_force.published_id_column()
    return select(Draft, published).where(Draft.id == bindparam("draft_id"))


@cache
def _values_query() -> Select:
    """The DraftValues' columns and the id of the rules in force, built once."""
    table = Draft.__table__
    columns = [table.c[name] for name in _READ]
    published = rules_in_force.published_id_column()
    return select(*columns, published).where(table.c.id == bindparam("draft_id"))


def store_draft(draft: Draft | DraftValues) -> None:
    """Write what `save_step` or `Journey.hold` changed. DraftValues: one UPDATE that is its own
    transaction, committed at once (on PostgreSQL a single round trip that need not wait for
    the disk, `_no_wait`); the session flushes a Draft by itself."""
    if isinstance(draft, DraftValues):
        with _on_its_own() as connection:
            statement = _store_statement(connection.dialect.name == "postgresql")
            connection.execute(
                statement,
                {"draft_id": draft.id, **{name: getattr(draft, name) for name in _WRITTEN}},
            )


#: What saving a page changes.
_WRITTEN = ("answers", "held", "last_step", "updated_at", "expires_at")


@cache
def _store_statement(no_wait: bool) -> Update:
    table = Draft.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("draft_id"))
        .values({name: bindparam(name) for name in _WRITTEN})
    )
    return statement.where(_no_wait() == "off") if no_wait else statement


def _no_wait() -> ColumnElement[str]:
    """PostgreSQL: the commit of the statement this is part of does not wait for its write to
    reach the disk (synchronous_commit off, for that transaction only). Used in the UPDATE of
    a draft, which is a transaction of its own (autocommit), so it costs no round trip and
    touches nothing else: should the database server itself crash within a fraction of a
    second after (3 x wal_writer_delay, 0.6 s by default), the draft comes back as it was one
    page earlier, never half written, and the patient answers that page again. Submissions,
    booking requests and everything staff do still wait for the disk. It spares a question
    page's POST the wait for a disk flush, which queues when many patients answer at once
    (README, Benchmarks)."""
    return func.set_config("synchronous_commit", "off", True)


@contextmanager
def _on_its_own() -> Iterator[Connection]:
    """A connection of the pool for one statement, outside the session: no Session to set up
    and close (a fifth of a question page's GET). On PostgreSQL in autocommit: the statement
    is its own transaction, with no BEGIN and COMMIT or ROLLBACK round trips (a read sees
    committed data, as in READ COMMITTED). Elsewhere a write is committed on leaving."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection
        if connection.in_transaction():
            connection.commit()


def _live(draft: AnyDraft | None, draft_id: str | None) -> AnyDraft:
    if draft is None or draft.completed_at is not None or draft.expires_at <= utcnow():
        raise DraftMissing(draft_id)
    return draft


def live_draft(draft_id: str | None) -> Draft | None:
    """The live draft with this id, or None when it is gone or expired."""
    try:
        return get_draft(draft_id)
    except DraftMissing:
        return None


def save_step(
    draft: Draft,
    step: questionnaire.Step,
    form: Mapping[str, list[str]],
    ruleset: rules.RuleSet,
    ttl_seconds: int,
    *,
    partial: bool = False,
    deferred: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply one page's answers: (answers as entered, errors).

    Saved only when error-free, or with `partial` (save and come back later) the valid
    answers are saved and the rest is asked again on return. `deferred`: follow-ups the
    patient could not see, asked next rather than refused.
    """
    min_age = ruleset.min_age_self_consent
    answers, errors = parse_step(step, form, draft.answers, min_age, deferred)
    if not errors or partial:
        draft.held = None
        draft.answers = branching.prune(answers, ruleset.min_age_self_consent, keep_waiting=True)
        draft.last_step = step.id
        draft.updated_at = utcnow()
        draft.expires_at = max(
            draft.expires_at, draft.updated_at + dt.timedelta(seconds=ttl_seconds)
        )
        store_draft(draft)
    return answers, errors


def complete(draft: Draft, version_id: int, pain_band_cuts: tuple[int, int]) -> Submission:
    """Screen a finished draft with the published rule-set version `version_id` and store it
    as a submission; the draft is closed and emptied."""
    ruleset = rules_in_force.compiled(version_id)
    answers = branching.prune(draft.answers, ruleset.min_age_self_consent)
    missing = first_unanswered_step(answers, ruleset.min_age_self_consent)
    if missing is not None:
        raise QuestionnaireIncomplete(missing)
    screening = rules.screen(answers, ruleset, pain_band_cuts=pain_band_cuts)
    submission = Submission(
        token=new_token(),
        reference=new_reference(),
        answers=answers,
        scores=screening.scores,
        fired=[rule.to_dict() for rule in screening.fired],
        outcome=screening.outcome,
        questionnaire_version=questionnaire.VERSION,
        ruleset_version_id=version_id,
    )
    db.session.add(submission)
    draft.completed_at = utcnow()
    draft.answers = {}  # the submission holds them now
    db.session.flush()
    return submission


def revoke_patient_token(submission: Submission) -> None:
    """The session's token no longer opens this submission: a device that sent the request or
    finished (perhaps a waiting-room tablet) shows the result to no one, even from a copy."""
    submission.token = new_token()


def get_submission(token: str | None) -> Submission | None:
    """The submission with this opaque token, if any."""
    if not isinstance(token, str):
        return None
    return db.session.scalars(select(Submission).where(Submission.token == token)).first()


def reasons(submission: Submission, context: Mapping[str, str]) -> list[str]:
    """Why the result is what it is, for the patient: the fired rules' patient messages filled
    in from `context`, as the result page shows them (results.reason_groups: the tiers that
    page shows, each thing said once; rules that are notes for staff say nothing)."""
    groups = results.reason_groups(submission.fired, submission.outcome, context)
    return [reason for group in groups for reason in group.reasons]


def booking_allowed(submission: Submission) -> bool:
    """Emergencies get urgent advice instead of a booking form."""
    return submission.outcome != "emergency"


def request_booking(submission: Submission, details: Mapping[str, Any]) -> BookingRequest:
    """Store the booking request and queue its emails; a second request returns the first."""
    if submission.booking is not None:
        return submission.booking
    booking = BookingRequest(
        submission=submission,
        name=details["name"],
        email=details["email"],
        phone=details["phone"],
        preferred_days=list(details.get("preferred_days") or []),
        preferred_times=list(details.get("preferred_times") or []),
        message=details.get("message") or "",
        # One box on the form agrees to both (the privacy notice and being contacted).
        consent_privacy=bool(details.get("consent")),
        consent_contact=bool(details.get("consent")),
        followup_consent=details.get("followup_consent") is True,
    )
    db.session.add(booking)
    db.session.flush()
    emails.queue_booking_emails(booking)
    return booking


def booking_for_psfs(booking_id: Any) -> BookingRequest | None:
    """The request whose PSFS page this session may show: one that opted in to follow-up and
    has not answered or skipped it yet (None otherwise)."""
    if type(booking_id) is not int:
        return None
    booking = db.session.get(BookingRequest, booking_id)
    if booking is None or not booking.followup_consent or booking.psfs_baseline is not None:
        return None
    return booking


def store_psfs(booking: BookingRequest, activities: list[dict[str, Any]]) -> None:
    """The PSFS baseline (an empty list: skipped); what was held for the page goes."""
    booking.psfs_baseline = [
        {"activity": str(item["activity"]), "score": int(item["score"])} for item in activities
    ]
    booking.submission.held_booking = None


def hold_psfs(booking: BookingRequest, raw: Mapping[str, list[str]]) -> None:
    """The PSFS page as last sent with errors, shown again by the GET it redirects to."""
    booking.submission.held_booking = {"psfs": {key: list(raw[key])[:1] for key in raw}}


def held_psfs(booking: BookingRequest) -> dict[str, list[str]] | None:
    """What hold_psfs kept, or None."""
    held = booking.submission.held_booking
    return held.get("psfs") if isinstance(held, dict) else None
