"""The outbox: emails are queued in the caller's transaction and delivered by a worker.

``enqueue`` only adds a row (the caller commits with the change that caused it), so a request
never waits for the SMTP server. ``deliver_due`` claims due messages (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, plus a conditional update that works on every database, so each
message is claimed by one worker) and sends each on its own (``delivery``): whatever one
message raises ends that message alone in ``sent``, back in ``pending`` with exponential
backoff and jitter, or ``failed`` (after OUTBOX_MAX_PERMANENT_FAILURES refusals, at
OUTBOX_MAX_AGE, or at once when it can never go), always with a reason. Recipients that accepted
it are kept in ``delivered_to``; a retry goes to the others only. A message left in ``sending``
by a killed worker is taken over after OUTBOX_LEASE, with the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import or_, select, update

from intake.audit import audit
from intake.extensions import db
from intake.mail import delivery
from intake.mail.delivery import BadHeaderError, Failure  # noqa: F401 (callers catch it here)
from intake.models import OutboxMessage, utcnow

log = logging.getLogger("intake.outbox")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


def enqueue(
    *,
    kind: str,
    recipients: Iterable[str],
    subject: str,
    text_body: str,
    html_body: str | None = None,
    reply_to: str | None = None,
    booking_request_id: int | None = None,
) -> OutboxMessage:
    """Queue an email in the current transaction; the caller commits. Flushes."""
    message = OutboxMessage(
        kind=kind,
        recipients=list(recipients),
        subject=subject,
        text_body=fold_long_lines(text_body),
        html_body=fold_long_lines(html_body) if html_body else None,
        reply_to=reply_to,
        booking_request_id=booking_request_id,
        message_id=make_msgid(domain=_message_id_domain()),
        status=PENDING,
        next_attempt_at=utcnow(),
        give_up_at=utcnow() + dt.timedelta(seconds=current_app.config["OUTBOX_MAX_AGE"]),
    )
    delivery.check_headers(message.subject, message.reply_to, *message.recipients)
    db.session.add(message)
    db.session.flush()
    return message


#: SMTP allows 998 characters a line (RFC 5321). Bodies go out encoded when they need it;
#: folding when queued keeps the stored copy and .eml files readable in any tool too.
MAX_LINE = 900


def fold_long_lines(body: str) -> str:
    """Break lines longer than SMTP allows at spaces (harmless in text and in HTML)."""
    lines = []
    for line in body.splitlines():
        while len(line) > MAX_LINE:
            cut = line.rfind(" ", 0, MAX_LINE)
            cut = cut if cut > 0 else MAX_LINE
            lines.append(line[:cut])
            line = line[cut:].lstrip(" ") if line[cut : cut + 1] == " " else line[cut:]
        lines.append(line)
    return "\n".join(lines)


def _message_id_domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender[1] if isinstance(sender, tuple | list) else sender
    return address.rpartition("@")[2] or "intake.invalid"


@dataclass
class RunResult:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        """Messages this run attempted."""
        return self.sent + self.retried + self.failed


def claim_due(limit: int = 20, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Claim up to `limit` due messages for this worker and commit the claim."""
    now = now or utcnow()
    lease = dt.timedelta(seconds=current_app.config["OUTBOX_LEASE"])
    due = or_(
        (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_at < now - lease),
    )
    query = (
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed_ids = []
    for message_id, status, attempts in db.session.execute(query).all():
        # The conditional update makes the claim safe where SKIP LOCKED does not exist.
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == status,
                OutboxMessage.attempts == attempts,
            )
            .values(status=SENDING, claimed_at=now, attempts=attempts + 1, updated_at=now)
        )
        if result.rowcount == 1:
            claimed_ids.append(message_id)
    db.session.commit()
    if not claimed_ids:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed_ids))
            .order_by(OutboxMessage.id)
        )
    )


def deliver_due(limit: int = 20) -> RunResult:
    """Send what is due once (`flask outbox send`); returns the counts.

    Each message is attempted and recorded on its own: nothing one message raises reaches
    another, and none is left in ``sending``.
    """
    result = RunResult()
    for message in claim_due(limit):
        claim = (message.id, message.attempts)
        try:
            _attempt(message, result)
            db.session.commit()
        except Exception as error:  # recording failed (say a value the database refuses)
            db.session.rollback()
            _release(claim, delivery.classify(error), result)
    return result


def _attempt(message: OutboxMessage, result: RunResult) -> None:
    """Send to the recipients that do not have it yet and record what happened."""
    delivered = list(message.delivered_to or [])
    waiting = [address for address in message.recipients if address not in delivered]
    try:
        refused = delivery.send(message, waiting) if waiting else {}
    except Exception as error:  # any exception: this message's outcome, never the batch's
        _record_failure(message, delivery.classify(error), result)
        return
    message.delivered_to = delivered + [a for a in waiting if a not in refused]
    if refused:
        _record_failure(message, delivery.refusal(refused), result)
        return
    message.status = SENT
    message.sent_at = message.updated_at = utcnow()
    message.last_error = None
    result.sent += 1
    log.info(
        "outbox sent message=%s kind=%s attempt=%s", message.id, message.kind, message.attempts
    )


def _record_failure(message: OutboxMessage, failure: Failure, result: RunResult) -> None:
    now = utcnow()
    config = current_app.config
    message.last_error = failure.reason
    message.updated_at = now
    if failure.permanent:
        message.permanent_failures = (message.permanent_failures or 0) + 1
    refusals_left = config["OUTBOX_MAX_PERMANENT_FAILURES"] - (message.permanent_failures or 0)
    delivered = len(message.delivered_to or [])
    if delivered:
        message.last_error += f" ({delivered} of {len(message.recipients)} addresses have it)"
    if failure.kind == delivery.FINAL or now >= message.give_up_at or refusals_left <= 0:
        message.status = FAILED
        result.failed += 1
        log.error(
            "outbox gave up message=%s kind=%s attempts=%s error=%s",
            message.id,
            message.kind,
            message.attempts,
            message.last_error,
        )
        return
    delay = _backoff(message.attempts)
    message.status = PENDING
    message.next_attempt_at = now + dt.timedelta(seconds=delay)
    result.retried += 1
    log.warning(
        "outbox retry message=%s kind=%s attempt=%s in=%.0fs error=%s",
        message.id,
        message.kind,
        message.attempts,
        delay,
        message.last_error,
    )


def _backoff(attempts: int) -> float:
    """Seconds until the next attempt: doubling, capped, with ±50 % jitter so that workers and
    messages do not retry in step."""
    config = current_app.config
    delay = min(config["OUTBOX_RETRY_BASE"] * 2 ** (attempts - 1), config["OUTBOX_RETRY_MAX"])
    return delay * random.uniform(0.5, 1.5)


def _release(claim: tuple[int, int], failure: Failure, result: RunResult) -> None:
    """Put a message whose outcome could not be recorded back in the queue, in a fresh
    transaction; if even that fails, the lease hands it to a worker later."""
    message_id, attempts = claim
    now = utcnow()
    try:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == SENDING,
                OutboxMessage.attempts == attempts,
            )
            .values(
                status=PENDING,
                next_attempt_at=now + dt.timedelta(seconds=_backoff(attempts)),
                last_error=f"Could not record the outcome: {failure.reason}"[:300],
                updated_at=now,
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("outbox could not release message=%s (the lease will)", message_id)
        raise
    result.retried += 1
    log.error("outbox could not record message=%s error=%s", message_id, failure.reason)


def undelivered(limit: int = 500) -> list[OutboxMessage]:
    """Messages waiting, being sent or failed, for the staff outbox page."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_([PENDING, SENDING, FAILED]))
            .order_by(OutboxMessage.status, OutboxMessage.next_attempt_at)
            .limit(limit)
        )
    )


def retry(message: OutboxMessage) -> bool:
    """Put a failed (or pending) message back in the queue to be sent now (audited).

    Returns False for a message that is being sent or was sent: nothing to retry.
    """
    if message.status not in (PENDING, FAILED):
        return False
    audit("retry_email", f"outbox:{message.id}")
    now = utcnow()
    message.status = PENDING
    message.next_attempt_at = message.updated_at = now
    message.give_up_at = now + dt.timedelta(seconds=current_app.config["OUTBOX_MAX_AGE"])
    message.permanent_failures = 0  # a fresh start: the refusals so far are on the page
    db.session.flush()
    return True
