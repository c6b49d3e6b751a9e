"""'Carry on later' links: single-use tokens (only their hashes are stored), the emails that
carry them, and how many may go. Flush, never commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass

from flask import url_for
from limits import parse_many
from sqlalchemy import select, update

from intake.extensions import db, limiter
from intake.mail import emails
from intake.models import Draft, ResumeToken, utcnow
from intake.patient.submissions import ResumeLinkInvalid, get_draft, new_token


def create_resume_token(draft: Draft, ttl_seconds: int) -> str:
    """A single-use token for a 'carry on later' link; only its hash is stored. Flushes.

    The draft is kept at least as long as the link is valid.
    """
    token = new_token()
    now = utcnow()
    expires = now + dt.timedelta(seconds=ttl_seconds)
    db.session.add(ResumeToken(token_hash=_hash(token), draft_id=draft.id, expires_at=expires))
    draft.expires_at = max(draft.expires_at, expires)
    db.session.flush()
    return token


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ResumeLinkLimits:
    """How many 'carry on later' emails may go (limit strings such as "3 per hour")."""

    #: per questionnaire (draft), and separately per email address asked for
    per_draft_and_email: str
    #: per client address (the rate limits' key: the patient's IP address)
    per_client: str
    client: str


class ResumeLinksExhausted(Exception):
    """No more 'carry on later' emails for now; `retry_after` is in seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def limit_key_for_email(email: str) -> str:
    """The same key for every spelling of one mailbox: case, spaces and a `+tag` ignored."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _spend_resume_link_allowance(draft: Draft, email: str, limits: ResumeLinkLimits) -> None:
    """Count one email against each limit, or raise ResumeLinksExhausted and count nothing.

    Counted in the rate limiter's storage (shared by every worker); keys hold hashes, never
    the draft id (it is the patient's session id) or the email address."""
    if not limiter.enabled:
        return
    counts = [
        (limits.per_draft_and_email, "draft", _hash(draft.id)),
        (limits.per_draft_and_email, "email", _hash(limit_key_for_email(email))),
        (limits.per_client, "client", limits.client),
    ]
    checks = [
        (item, "resume_link", kind, key) for text, kind, key in counts for item in parse_many(text)
    ]
    strategy = limiter.limiter
    spent = [check for check in checks if not strategy.test(*check)]
    if spent:
        reset = max(strategy.get_window_stats(*check).reset_time for check in spent)
        raise ResumeLinksExhausted(max(1, math.ceil(reset - time.time())))
    for check in checks:
        strategy.hit(*check)


def email_resume_link(
    draft: Draft,
    email: str,
    ttl_seconds: int,
    base_url: str,
    limits: ResumeLinkLimits | None = None,
) -> int:
    """Queue a 'carry on later' email with a new single-use link; returns the hours it works.

    With `limits`, raises ResumeLinksExhausted when one is reached (nothing is queued)."""
    if limits is not None:
        _spend_resume_link_allowance(draft, email, limits)
    token = create_resume_token(draft, ttl_seconds)
    link = base_url.rstrip("/") + url_for("patient.resume", token=token)
    hours = max(1, ttl_seconds // 3600)
    emails.queue_resume_link(draft, email, link, hours=hours)
    return hours


def find_resume_token(token: str) -> ResumeToken:
    """The unused, unexpired token for a link; raises DraftMissing otherwise."""
    found = db.session.scalars(
        select(ResumeToken).where(ResumeToken.token_hash == _hash(token))
    ).first()
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        raise ResumeLinkInvalid(None)
    return found


def use_resume_token(token: str) -> Draft:
    """Spend a resume token and return its live draft; raises DraftMissing when invalid."""
    found = find_resume_token(token)
    claimed = db.session.execute(
        update(ResumeToken)
        .where(ResumeToken.id == found.id, ResumeToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # spent by a concurrent request
        raise ResumeLinkInvalid(None)
    return get_draft(found.draft_id)
