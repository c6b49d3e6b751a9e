"""Follow-up rows: one per questionnaire due after treatment, and the links that open it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models import BookingRequest, JSONType, utcnow

#: What a follow-up can be. scheduled → sent → answered, or missed once it expires unanswered;
#: cancelled when the request ends without treatment or the appointment moves and it is no
#: longer due; unsubscribed when the patient stops follow-up emails before it is answered.
STATUSES = ("scheduled", "sent", "answered", "missed", "cancelled", "unsubscribed")
#: statuses still waiting on something (sending, or the patient's answer)
OPEN_STATUSES = ("scheduled", "sent")


class FollowUp(db.Model):
    """One follow-up questionnaire of one booking request: when it is due, where it stands,
    and the patient's answers once given."""

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("booking_request_id", "number"),
        # the scheduler's "what is due now" (status, then time)
        Index("ix_followups_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_request_id: Mapped[int] = mapped_column(
        ForeignKey("booking_requests.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, 3 … in schedule order
    number: Mapped[int]
    #: weeks after the first appointment (FOLLOWUP_SCHEDULE), the time point it reports at
    weeks: Mapped[int]
    #: when it is sent (naive UTC)
    due_at: Mapped[dt.datetime]
    #: its link stops working then: when the next is due (the last: FOLLOWUP_LAST_WINDOW_DAYS)
    expires_at: Mapped[dt.datetime]
    #: one of STATUSES
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    sent_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    #: the patient's answers, keyed as measures.ANSWER_IDS
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: what the answers showed against the patient's baseline (results.of), stored when they
    #: were given; None for follow-ups answered before results were stored (worked out again)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: what a clinician should look at (measures.FLAG_TEXT keys); empty when nothing
    flags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: when staff marked the flags as seen
    flags_seen_at: Mapped[dt.datetime | None]
    #: the form as last sent with errors, shown again by the GET the POST redirects to
    held: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    booking: Mapped[BookingRequest] = relationship()


class FollowUpLink(db.Model):
    """A single-purpose link to one follow-up (one per email: the first and the reminder).

    Only the SHA-256 of the token is stored; the link works until the follow-up is answered or
    expires."""

    __tablename__ = "followup_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    followup: Mapped[FollowUp] = relationship()
