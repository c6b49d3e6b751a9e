"""Database models (SQLAlchemy 2, typed). Timestamps are naive UTC on every database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    """Now, in naive UTC (what every timestamp column holds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class RuleSetVersion(db.Model):
    """A published, immutable version of the screening rules."""

    __tablename__ = "ruleset_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 1, 2, 3 … in publishing order
    number: Mapped[int] = mapped_column(unique=True)
    #: the rule-set data (settings, indication, rules), as in default_rules.yaml
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: why it was published
    note: Mapped[str] = mapped_column(Text, default="")
    #: who published it (staff email, or "system" for the shipped rules)
    author: Mapped[str] = mapped_column(String(254), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Draft(db.Model):
    """A questionnaire in progress, kept server-side under an opaque id held in the session."""

    __tablename__ = "drafts"

    #: opaque random id; the session cookie holds only this
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: answers so far, keyed by answer id
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: the last step the patient saved (where they left off; for the abandonment chart)
    last_step: Mapped[str | None] = mapped_column(String(64))
    #: a question page sent with errors: {"page", "form", "errors"}, shown again by the GET the
    #: POST redirects to (so Back never meets a form resubmission); cleared by the next save
    held: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: set when the answers were screened; the row stays for the funnel until purged
    completed_at: Mapped[dt.datetime | None]
    #: "patient", or "test_case" when staff fill the questionnaire to make a rule test case
    purpose: Mapped[str] = mapped_column(String(16), default="patient", server_default="patient")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: after this the draft is gone; each save moves it forward by DRAFT_TTL
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class Submission(db.Model):
    """A completed, screened questionnaire: answers, scores, fired rules and the outcome."""

    __tablename__ = "submissions"
    __table_args__ = (
        # the staff list's outcome filter counts from it without reading the rows (issue 16)
        Index("ix_submissions_outcome_id", "outcome", "id"),
        # the dashboard reads recent requests' outcomes from it as one range of ids
        Index("ix_submissions_id_outcome", "id", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: opaque random id; the session holds it so the patient can see their result
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: the patient-facing reference, like DN-7K3F9Q
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    scores: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: the fired rules with their messages and evidence, most severe first
    fired: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    outcome: Mapped[str] = mapped_column(String(20))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    ruleset_version_id: Mapped[int] = mapped_column(ForeignKey("ruleset_versions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: the booking form as last sent with errors, shown again by the GET the POST redirects to
    #: (so Back never meets a form resubmission); cleared when the request is sent
    held_booking: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    ruleset_version: Mapped[RuleSetVersion] = relationship()
    booking: Mapped[BookingRequest | None] = relationship(back_populates="submission")


class BookingRequest(db.Model):
    """A patient's request for an appointment, one per submission."""

    __tablename__ = "booking_requests"
    __table_args__ = (
        UniqueConstraint("submission_id"),
        # the staff list, newest first, paged by (created_at, id) cursors; dates filter on it;
        # with submission_id, the dashboard joins a date range to outcomes from indexes alone
        Index(
            "ix_booking_requests_created_at_id_submission_id", "created_at", "id", "submission_id"
        ),
        # the same, by status ("new" on the dashboard and the list's status filter)
        Index("ix_booking_requests_status_created_at_id", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    #: E.164, for example +447700900123
    phone: Mapped[str] = mapped_column(String(32))
    preferred_days: Mapped[list[str]] = mapped_column(JSONType, default=list)
    preferred_times: Mapped[list[str]] = mapped_column(JSONType, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    consent_privacy: Mapped[bool] = mapped_column(default=False)
    consent_contact: Mapped[bool] = mapped_column(default=False)
    #: the workflow in intake/staff/requests/bookings.py (new, tried_to_call, contacted, …)
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the patient ticked "send me a few short questions after treatment" (unticked by default)
    followup_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: the PSFS baseline, asked only of those who opt in: up to 3 activities the problem makes
    #: hard, each rated 0 (unable) to 10 (as before): [{"activity": "…", "score": 4}, …]
    psfs_baseline: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    #: given by staff when they mark the request booked; follow-ups are due counted from it
    first_appointment_on: Mapped[dt.date | None]
    #: the patient stopped follow-up emails (one-step unsubscribe); honoured at once
    followups_stopped_at: Mapped[dt.datetime | None]
    #: the clinician (a staff user) the request is assigned to
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: after "tried to call": the day (clinic time) to try again
    call_back_on: Mapped[dt.date | None]

    submission: Mapped[Submission] = relationship(back_populates="booking")
    assigned_to: Mapped[User | None] = relationship()


def _trigram_index(name: str, expression, label: str) -> Index:
    """A PostgreSQL GIN trigram index, so `expression LIKE '%…%'` is found without reading
    the table (staff search, intake/staff/requests/finding.py). SQLite has no such index and
    does without: search there reads the table, which a clinic's few thousand rows allow."""
    return Index(
        name,
        expression.label(label),
        postgresql_using="gin",
        postgresql_ops={label: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


_trigram_index("ix_booking_requests_name_trgm", func.lower(BookingRequest.name), "name_lower")
_trigram_index("ix_booking_requests_email_trgm", func.lower(BookingRequest.email), "email_lower")
_trigram_index(
    "ix_booking_requests_phone_trgm",
    func.replace(BookingRequest.phone, text("'+'"), text("''")),
    "phone_digits",
)
_trigram_index("ix_submissions_reference_trgm", func.lower(Submission.reference), "reference_lower")


@event.listens_for(db.metadata, "before_create")
def _trigram_ready(target, connection, **kw) -> None:
    """`create_all` on PostgreSQL: install pg_trgm if missing (in `public`, so it outlives any
    other schema), and put its schema on this transaction's search path for its operator class.
    The migration that adds the indexes does the same."""
    if connection.dialect.name != "postgresql":
        return
    schema_of = (
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    )
    schema = connection.exec_driver_sql(schema_of).scalar()
    if schema is None:
        public = connection.exec_driver_sql("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")
        in_public = " SCHEMA public" if public.scalar() else ""
        connection.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS pg_trgm{in_public}")
        schema = connection.exec_driver_sql(schema_of).scalar()
    connection.execute(
        text(
            "SELECT set_config('search_path', current_setting('search_path') || ', ' || :s, true)"
        ),
        {"s": schema},
    )


class OutboxMessage(db.Model):
    """An email waiting to be sent, or sent: every email goes through here first."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what it is: clinic_booking | patient_confirmation | resume_link
    kind: Mapped[str] = mapped_column(String(32))
    #: the booking request it belongs to, for the staff view of delivery state
    booking_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking_requests.id", ondelete="SET NULL"), index=True
    )
    recipients: Mapped[list[str]] = mapped_column(JSONType)
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    #: fixed when queued, so a retry after a crash carries the same Message-ID
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    #: pending → sending → sent, or back to pending (retry), or failed (gave up)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: when a worker claimed it; a claim older than the lease is taken over
    claimed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: retrying stops after this (OUTBOX_MAX_AGE from queueing, or from a staff retry)
    give_up_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    #: recipients that have accepted it (a partly refused message is retried for the rest only)
    delivered_to: Mapped[list[str] | None] = mapped_column(JSONType)
    #: permanent (5xx) refusals so far; after OUTBOX_MAX_PERMANENT_FAILURES it is failed
    permanent_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    #: the one-click unsubscribe address of an email a patient may stop (follow-ups): sent as
    #: List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), so mail apps offer the button
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))


class ResumeToken(db.Model):
    """A single-use link to carry on with a draft ("save and come back later")."""

    __tablename__ = "resume_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token in the link; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(UserMixin, db.Model):
    """A member of clinic staff who can log in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-case
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: argon2id hash (argon2-cffi)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: staff | admin
    role: Mapped[str] = mapped_column(String(16), default="staff")
    #: deactivated users cannot log in; their history stays
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    #: bumped by logout, password change and deactivation: sessions carrying an older one end
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_active(self) -> bool:
        """Flask-Login: deactivated users are logged out and cannot log in."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """Admins manage users, see the audit log and change safety rules."""
        return self.role == "admin"


class Note(db.Model):
    """A staff note on a booking request (the notes thread)."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_request_id: Mapped[int] = mapped_column(
        ForeignKey("booking_requests.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class StatusChange(db.Model):
    """One change of a request's status, by whom and when, with its reason: the history shown
    on the request page, and what "undo" reverts (an undo is itself a change, `undoes_id`)."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_request_id: Mapped[int] = mapped_column(
        ForeignKey("booking_requests.id", ondelete="CASCADE"), index=True
    )
    old: Mapped[str] = mapped_column(String(20))
    new: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: what the request held before the change that undo puts back (call_back_on, first
    #: appointment), as JSON-safe values
    before: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("status_changes.id"))

    user: Mapped[User | None] = relationship()


class AuditEvent(db.Model):
    """Who did what, when: logins, views, status changes, exports, user and rule changes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: the staff member (None for failed logins of unknown accounts and system jobs)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the email as typed or the user's email, so failed logins are attributable
    actor: Mapped[str] = mapped_column(String(254), default="")
    #: e.g. login, login_failed, view_request, change_status, export, user_create
    action: Mapped[str] = mapped_column(String(40), index=True)
    #: e.g. "booking_request:12"
    target: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")


class RuleSetDraft(db.Model):
    """The working copy of the rules staff are editing (one at a time); never used to screen."""

    __tablename__ = "ruleset_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: the published version it started from
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("ruleset_versions.id"))
    author: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    based_on: Mapped[RuleSetVersion | None] = relationship()


class TestCase(db.Model):
    """Saved answers with the outcome (and optionally the rules) the rules must give them."""

    __tablename__ = "test_cases"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    expected_outcome: Mapped[str] = mapped_column(String(20))
    #: rule ids that must fire (others may fire too); empty means "not checked"
    expected_rules: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: the submission it was made from, if any
    source_submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    author: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
