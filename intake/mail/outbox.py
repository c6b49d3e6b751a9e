"""The outbox: emails are queued in the caller's transaction and delivered by a worker.

``enqueue`` only adds a row (the caller commits with the change that caused it), so a request
never waits for the SMTP server. ``deliver_due`` claims a batch of due messages
(OUTBOX_BATCH_SIZE; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, plus a conditional update that
works on every database, so each message is claimed by one worker), sends them over one SMTP
connection (``delivery.Mailer``) and records every outcome in one commit. Whatever one message
raises ends that message alone in ``sent``, back in ``pending`` with exponential backoff and
jitter, or ``failed`` (after OUTBOX_MAX_PERMANENT_FAILURES refusals, at OUTBOX_MAX_AGE, or at
once when it can never go), always with a reason. Recipients that accepted it are kept in
``delivered_to``; a retry goes to the others only. A batch left in ``sending`` by a killed
worker is taken over after OUTBOX_LEASE, with the same Message-IDs: at least once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
    message_id: str | None = None,
    unsubscribe_url: str | None = None,
) -> OutboxMessage:
    """Queue an email in the current transaction; the caller commits. Flushes.

    A `message_id` given by the caller makes the email unique (the column is): a second one
    with it raises IntegrityError (the morning digest is sent once a day that way). An
    `unsubscribe_url` (https, answering RFC 8058's one-click POST) goes in List-Unsubscribe."""
    message = OutboxMessage(
        kind=kind,
        recipients=list(recipients),
        subject=subject,
        text_body=fold_long_lines(text_body),
        html_body=fold_long_lines(html_body) if html_body else None,
        reply_to=reply_to,
        booking_request_id=booking_request_id,
        message_id=message_id or make_msgid(domain=message_id_domain()),
        unsubscribe_url=unsubscribe_url,
        status=PENDING,
        next_attempt_at=utcnow(),
        give_up_at=utcnow() + dt.timedelta(seconds=current_app.config["OUTBOX_MAX_AGE"]),
    )
    delivery.check_headers(
        message.subject, message.reply_to, message.unsubscribe_url, *message.recipients
    )
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


def message_id_domain() -> str:
    """The domain of Message-IDs: MAIL_DEFAULT_SENDER's."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender[1] if isinstance(sender, tuple | list) else sender
    return address.rpartition("@")[2] or "intake.invalid"


@dataclass
class RunResult:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: claimed but not tried (the worker was stopping, or the batch ran long): due again now
    put_back: int = 0

    @property
    def claimed(self) -> int:
        """Messages this run attempted."""
        return self.sent + self.retried + self.failed

    def add(self, other: RunResult) -> None:
        """Count `other`'s messages in this one."""
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.put_back += other.put_back


@dataclass
class Outcome:
    """What sending one message did, held until the batch is recorded."""

    message_id: int
    attempts: int
    delivered: list[str] = field(default_factory=list)
    failure: Failure | None = None
    tried: bool = True


def claim_due(limit: int | None = None, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Claim up to `limit` (OUTBOX_BATCH_SIZE) due messages for this worker; commits the claim.

    On PostgreSQL the due rows are locked with SKIP LOCKED, so two workers take different
    ones; the UPDATE checks again that each is still due, which is what makes the claim safe
    on SQLite (one writer at a time). One SELECT, one UPDATE, one commit, one SELECT.
    """
    now = now or utcnow()
    limit = limit or current_app.config["OUTBOX_BATCH_SIZE"]
    lease = dt.timedelta(seconds=current_app.config["OUTBOX_LEASE"])
    due = or_(
        (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_at < now - lease),
    )
    query = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(db.session.scalars(query))
    claimed_ids = []
    if candidates:
        claimed_ids = list(
            db.session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(candidates), due)
                .values(
                    status=SENDING,
                    claimed_at=now,
                    attempts=OutboxMessage.attempts + 1,
                    updated_at=now,
                )
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
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


def deliver_due(limit: int | None = None, stop: Callable[[], bool] | None = None) -> RunResult:
    """Claim a batch, send it over one SMTP connection, record it in one commit; the counts.

    Nothing one message raises reaches another: each ends ``sent``, back in ``pending`` or
    ``failed``, none in ``sending``. Messages not tried, because `stop()` turned true (a worker
    asked to stop) or half of OUTBOX_LEASE went by, go back to ``pending``, due now. Outcomes
    are committed once, after the batch: a worker killed in between leaves the batch
    ``sending``, and after OUTBOX_LEASE it is sent again, so delivery is at least once (a crash
    can repeat up to a batch of emails; none is lost).
    """
    messages = claim_due(limit)
    if not messages:
        return RunResult()
    deadline = time.monotonic() + current_app.config["OUTBOX_LEASE"] / 2
    outcomes = []
    with delivery.Mailer() as mailer:
        for message in messages:
            if (stop is not None and stop()) or time.monotonic() > deadline:
                outcomes.append(Outcome(message.id, message.attempts, tried=False))
            else:
                outcomes.append(_attempt(mailer, message))
    return _record(messages, outcomes)


def _attempt(mailer: delivery.Mailer, message: OutboxMessage) -> Outcome:
    """Send to the recipients that do not have it yet."""
    outcome = Outcome(message.id, message.attempts, list(message.delivered_to or []))
    waiting = [address for address in message.recipients if address not in outcome.delivered]
    try:
        refused = mailer.send(message, waiting) if waiting else {}
    except Exception as error:  # any exception: this message's outcome, never the batch's
        outcome.failure = delivery.classify(error)
        return outcome
    outcome.delivered += [address for address in waiting if address not in refused]
    if refused:
        outcome.failure = delivery.refusal(refused)
    return outcome


def _record(messages: list[OutboxMessage], outcomes: list[Outcome]) -> RunResult:
    """Write every outcome and commit once; if that commit fails, one message at a time, so a
    row the database refuses costs only its own outcome (released to retry)."""
    result, logs = RunResult(), []
    try:
        for message, outcome in zip(messages, outcomes, strict=True):
            logs.append(_apply(message, outcome, result))
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.error(
            "outbox could not record a batch of %s (%s); recording one at a time",
            len(outcomes),
            _unrecorded(error).reason,
        )
        return _record_each(outcomes)
    for line in logs:
        line()
    return result


def _record_each(outcomes: list[Outcome]) -> RunResult:
    total = RunResult()
    for outcome in outcomes:
        result = RunResult()
        try:
            line = _apply(db.session.get(OutboxMessage, outcome.message_id), outcome, result)
            db.session.commit()
        except Exception as error:  # recording failed (say a value the database refuses)
            db.session.rollback()
            _release((outcome.message_id, outcome.attempts), _unrecorded(error), total)
            continue
        line()
        total.add(result)
    return total


def _unrecorded(error: Exception) -> Failure:
    """The database error's name only: PostgreSQL's message can quote the whole row (the
    email's subject and text), which must not reach the log or the staff page."""
    return Failure(type(getattr(error, "orig", None) or error).__name__)


def _apply(message: OutboxMessage, outcome: Outcome, result: RunResult) -> Callable[[], None]:
    """Set the message's state from its outcome; returns its log line, written once committed."""
    if not outcome.tried:
        message.status = PENDING
        message.attempts -= 1  # the claim counted an attempt that did not happen
        message.next_attempt_at = message.updated_at = utcnow()
        result.put_back += 1
        return lambda: None
    message.delivered_to = outcome.delivered
    if outcome.failure is not None:
        return _record_failure(message, outcome.failure, result)
    message.status = SENT
    message.sent_at = message.updated_at = utcnow()
    message.last_error = None
    result.sent += 1
    args = (message.id, message.kind, message.attempts)
    return lambda: log.info("outbox sent message=%s kind=%s attempt=%s", *args)


def _record_failure(
    message: OutboxMessage, failure: Failure, result: RunResult
) -> Callable[[], None]:
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
    args = (message.id, message.kind, message.attempts)
    if failure.kind == delivery.FINAL or now >= message.give_up_at or refusals_left <= 0:
        message.status = FAILED
        result.failed += 1
        reason = message.last_error
        return lambda: log.error(
            "outbox gave up message=%s kind=%s attempts=%s error=%s", *args, reason
        )
    delay = _backoff(message.attempts)
    message.status = PENDING
    message.next_attempt_at = now + dt.timedelta(seconds=delay)
    result.retried += 1
    reason = message.last_error
    return lambda: log.warning(
        "outbox retry message=%s kind=%s attempt=%s in=%.0fs error=%s", *args, delay, reason
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
