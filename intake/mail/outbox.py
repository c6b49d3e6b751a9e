"""The outbox: emails are queued in the caller's transaction and delivered by a worker.

``enqueue`` only adds a row (the caller commits with the change that caused it), so a request
never waits for the SMTP server. ``deliver_due`` claims due messages (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, plus a conditional update that works on every database, so each
message is claimed by one worker), sends them with a timeout, and records the result:
``sent``, back to ``pending`` with exponential backoff and jitter, or ``failed`` once the
message is older than OUTBOX_MAX_AGE. A message left in ``sending`` by a killed worker is
taken over after OUTBOX_LEASE, with the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import make_msgid
from pathlib import Path

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message
from sqlalchemy import or_, select, update

from intake.audit import audit
from intake.extensions import db
from intake.models import OutboxMessage, utcnow

log = logging.getLogger("intake.outbox")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class TimeoutConnection(Connection):
    """Flask-Mail's connection with a timeout: a silent server must not hang a worker."""

    def __init__(self, mail_state, timeout: float):
        super().__init__(mail_state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        """Connect (and STARTTLS/log in) with the timeout on every socket operation."""
        mail = self.mail
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(
                mail.server, mail.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        if mail.use_tls:
            host.starttls(context=ssl.create_default_context())
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


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
    _refuse_bad_headers(message)
    db.session.add(message)
    db.session.flush()
    return message


#: SMTP allows 998 characters a line (RFC 5321); Flask-Mail sends UTF-8 bodies unencoded.
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


def _refuse_bad_headers(message: OutboxMessage) -> None:
    """Queue nothing that Flask-Mail would refuse to send (newlines in headers)."""
    if _to_mail(message).has_bad_headers():
        raise BadHeaderError("refusing to queue an email with a line break in a header")


def _to_mail(message: OutboxMessage) -> Message:
    mail = Message(
        subject=message.subject,
        recipients=list(message.recipients),
        body=message.text_body,
        html=message.html_body,
        reply_to=message.reply_to,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    mail.msgId = message.message_id
    return mail


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
    """Send what is due once (`flask outbox send`); returns the counts."""
    result = RunResult()
    for message in claim_due(limit):
        try:
            transport_send(message)
        except (OSError, smtplib.SMTPException, BadHeaderError) as error:
            _record_failure(message, error, result)
        else:
            message.status = SENT
            message.sent_at = message.updated_at = utcnow()
            message.last_error = None
            result.sent += 1
            log.info(
                "outbox sent message=%s kind=%s attempt=%s",
                message.id,
                message.kind,
                message.attempts,
            )
        db.session.commit()
    return result


def _record_failure(message: OutboxMessage, error: Exception, result: RunResult) -> None:
    now = utcnow()
    config = current_app.config
    message.last_error = _describe(error)
    message.updated_at = now
    if now >= message.give_up_at or isinstance(error, BadHeaderError):
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
    delay = min(
        config["OUTBOX_RETRY_BASE"] * 2 ** (message.attempts - 1), config["OUTBOX_RETRY_MAX"]
    )
    delay *= random.uniform(0.5, 1.5)  # jitter: workers and messages do not retry in step
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


def _describe(error: Exception) -> str:
    """The error without message content (SMTP replies may echo addresses; keep it short)."""
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return f"SMTP {error.smtp_code}: {text[:200]}"
    # smtplib reports a reply that never came as SMTPServerDisconnected("... timed out").
    if isinstance(error, socket.timeout | TimeoutError) or "timed out" in str(error):
        return "Timed out waiting for the mail server"
    if isinstance(error, ConnectionRefusedError):
        return "Connection refused by the mail server"
    return f"{type(error).__name__}: {str(error)[:200]}"


def transport_send(message: OutboxMessage) -> None:
    """Send through SMTP, or write an .eml file when no MAIL_SERVER is configured."""
    mail = _to_mail(message)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        directory = Path(config["MAIL_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{message.created_at:%Y%m%d-%H%M%S}-{message.id:06d}-{message.kind}.eml"
        path.write_bytes(mail.as_bytes())
        log.info("outbox wrote message=%s to %s (no MAIL_SERVER set)", message.id, path)
        return
    state = current_app.extensions["mail"]
    with TimeoutConnection(state, config["MAIL_TIMEOUT"]) as connection:
        connection.send(mail)


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
    db.session.flush()
    return True
