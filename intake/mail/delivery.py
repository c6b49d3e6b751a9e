"""Outbox messages handed to the mail server: built, sent, and what went wrong in words.

Each message is built with the standard library's `email` package (Flask-Mail cannot write an
internationalised address such as ``josé@example.com``) and sent, to the recipients that do not
have it yet, by a `Mailer`: one SMTP connection per batch of messages, with a timeout on every
socket operation. An address whose local part is not ASCII needs SMTPUTF8: it is used when the
server offers it; otherwise that message fails on its own with `NO_SMTPUTF8`. Errors become a
`Failure` the outbox can act on, with every address in it masked (``j***@example.com``).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import smtplib
import ssl
import traceback
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from flask import current_app

from intake.models import OutboxMessage

log = logging.getLogger("intake.outbox")

NO_SMTPUTF8 = "the mail server does not accept international addresses"


class _Headers(HeaderRegistry):
    """The standard header registry, but it makes each header class once: the standard one
    makes a new class for every header of every email (about a tenth of the time building)."""

    def __init__(self) -> None:
        super().__init__()
        self.made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if key not in self.made:
            self.made[key] = super().__getitem__(name)
        return self.made[key]


#: Headers are UTF-8 with SMTPUTF8, else RFC 2047; bodies are 7-bit (quoted-printable or
#: base64 when needed), so any server takes them.
ASCII_POLICY = policy.SMTP.clone(cte_type="7bit", header_factory=_Headers())
UTF8_POLICY = policy.SMTPUTF8.clone(cte_type="7bit", header_factory=_Headers())

#: What a failure means for the message: back off and retry; count towards
#: OUTBOX_MAX_PERMANENT_FAILURES; or give up now.
TEMPORARY, PERMANENT, FINAL = "temporary", "permanent", "final"


class BadHeaderError(ValueError):
    """A header value with a line break (an injection attempt): never queued or sent."""


class InternationalAddressError(Exception):
    """An address needs SMTPUTF8 and the mail server does not offer it."""


@dataclass(frozen=True)
class Failure:
    """Why an attempt failed (addresses masked), and whether trying again can help."""

    reason: str
    kind: str = TEMPORARY

    @property
    def permanent(self) -> bool:
        """A refusal of this message (5xx) or a message that cannot be built."""
        return self.kind == PERMANENT


# Addresses ---------------------------------------------------------------------------------

_LOCAL = r"[^\s<>()\[\]{},;:\"'@]+"
_DOMAIN = r"[\w-]+(?:\.[\w-]+)+"
ADDRESS = re.compile(rf"({_LOCAL})@({_DOMAIN})")


def mask_address(address: str) -> str:
    """``jose@example.com`` → ``j***@example.com``: enough to tell addresses apart in a log."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_addresses(text: str) -> str:
    """The text with every email address in it masked."""
    return ADDRESS.sub(lambda found: f"{found.group(1)[:1]}***@{found.group(2)}", text)


def smtp_address(address: str) -> str:
    """The address as it goes on the wire: an international domain in IDNA (punycode)."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def needs_smtputf8(address: str) -> bool:
    """Whether the address cannot be written in ASCII (a non-ASCII local part)."""
    return not smtp_address(address).isascii()


def check_headers(*values: str | None) -> None:
    """Refuse a line break in any header value (raises BadHeaderError)."""
    if any(value and ("\n" in value or "\r" in value) for value in values):
        raise BadHeaderError("refusing an email with a line break in a header")


# Building ----------------------------------------------------------------------------------


def _sender() -> tuple[Address | str, str]:
    """(From header, envelope address) from MAIL_DEFAULT_SENDER: 'addr', 'Name <addr>' or a pair."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return _parse_sender(tuple(sender) if isinstance(sender, list) else sender)


@functools.lru_cache(maxsize=8)
def _parse_sender(sender: str | tuple[str, str]) -> tuple[Address | str, str]:
    """Parsed once per setting, not twice per email (that was about a tenth of the time
    building one)."""
    name, address = sender if isinstance(sender, tuple) else parseaddr(sender)
    return Address(display_name=name or "", addr_spec=smtp_address(address)), smtp_address(address)


def build(message: OutboxMessage, *, utf8: bool, reply_to: bool = True) -> EmailMessage:
    """The MIME email: text and (if any) HTML alternatives, with the queued Message-ID."""
    check_headers(message.subject, message.reply_to, message.unsubscribe_url, *message.recipients)
    mail = EmailMessage(policy=UTF8_POLICY if utf8 else ASCII_POLICY)
    mail["Subject"] = message.subject
    mail["From"] = _sender()[0]
    mail["To"] = ", ".join(smtp_address(address) for address in message.recipients)
    if message.reply_to and reply_to:
        mail["Reply-To"] = smtp_address(message.reply_to)
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message.message_id
    if message.unsubscribe_url:  # mail apps show an "Unsubscribe" button that POSTs to it
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.text_body)
    if message.html_body:
        # A random boundary of our own: 128 bits no body can hold by chance, and it spares the
        # generator a search of both bodies with a regular expression compiled for each email.
        mail.make_alternative(boundary=f"=_{secrets.token_hex(16)}")
        mail.add_alternative(message.html_body, subtype="html")
    return mail


# Sending -----------------------------------------------------------------------------------


class Unreachable(Exception):
    """The mail server could not be reached for an earlier message of this batch."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class _PatientData:
    """An SMTP connection that waits `data_timeout` seconds, not its usual timeout, while it
    hands over an email and for the answer after it: a server that scans mail answers late
    (RFC 5321 §4.5.3.2 allows 10 minutes), and giving up then leaves it unknown whether the
    server has the email."""

    data_timeout: float | None = None

    def data(self, msg):
        if self.sock is not None and self.data_timeout is not None:
            self.sock.settimeout(self.data_timeout)
        try:
            return super().data(msg)
        finally:
            if self.sock is not None:
                self.sock.settimeout(self.timeout)


class _SMTP(_PatientData, smtplib.SMTP):
    pass


class _SMTP_SSL(_PatientData, smtplib.SMTP_SSL):
    pass


class Mailer:
    """Sends one batch of messages over one SMTP connection, then closes it (``with``).

    The connection opens at the first message and is reused for the next ones. After a refusal
    (4xx or 5xx) or any other failure it is reset (RSET) and stays, so one message's failure is
    its own. When the connection drops, the message in hand is tried once more on a new
    connection if the old one had carried earlier messages (a server that closes idle or busy
    connections is not the message's fault), unless it timed out: a slow server would keep the
    batch waiting twice, and it may have the email already (it goes again later, with the
    outbox's backoff); later messages use the new connection. When
    connecting fails, the rest of the batch fails with the same reason without trying: one
    timeout per batch against a hung server, not one per message. Without MAIL_SERVER emails
    go to MAIL_DIR.
    """

    def __init__(self) -> None:
        self.state = current_app.extensions["mail"]
        self.timeout = current_app.config["MAIL_TIMEOUT"]
        self.data_timeout = max(current_app.config["MAIL_DATA_TIMEOUT"], self.timeout)
        self.host: smtplib.SMTP | None = None
        self.unreachable: Failure | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """QUIT the connection, if one is open."""
        if self.host is not None:
            _close(self.host)
            self.host = None

    def send(self, message: OutboxMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
        """Send to `recipients`; returns those refused (address → reply) when others accepted.

        Raises when nothing was accepted.
        """
        international = any(needs_smtputf8(address) for address in recipients)
        reply_international = bool(message.reply_to) and needs_smtputf8(message.reply_to)
        if not current_app.config.get("MAIL_SERVER"):
            _write_eml(message, build(message, utf8=international or reply_international))
            return {}
        if self.state.suppress:  # TESTING without MAIL_SUPPRESS_SEND=False: Flask-Mail's rule
            build(message, utf8=True)
            return {}
        reused = self.host is not None
        try:
            return _transact(self._open(), message, recipients, reply_international)
        except Exception as error:
            if not self._recover() or not reused or timed_out(error):
                raise
        try:  # once more, on a new connection: the old one may have been closed as idle or busy
            return _transact(self._open(), message, recipients, reply_international)
        except Exception:
            self._recover()
            raise

    def _open(self) -> smtplib.SMTP:
        if self.unreachable is not None:
            raise Unreachable(self.unreachable)
        if self.host is None:
            try:
                self.host = _connect(self.state, self.timeout, self.data_timeout)
            except Exception as error:
                self.unreachable = classify(error)
                raise
        return self.host

    def _recover(self) -> bool:
        """After a failed message: RSET, so the next one starts clean; True when the connection
        is gone instead (smtplib closes it on 421, timeouts and resets), and the next message
        opens a new one."""
        if self.host is None:  # connecting failed
            return False
        if self.host.sock is not None:
            try:
                self.host.rset()
                return False
            except (OSError, smtplib.SMTPException):
                pass
        self.host.close()
        self.host = None
        return True


def _transact(
    host: smtplib.SMTP, message: OutboxMessage, recipients: list[str], reply_international: bool
) -> dict[str, tuple[int, bytes]]:
    """One SMTP transaction (MAIL, RCPT, DATA) on an open connection."""
    offers_utf8 = host.has_extn("smtputf8")
    international = any(needs_smtputf8(address) for address in recipients)
    if international and not offers_utf8:
        raise InternationalAddressError(NO_SMTPUTF8)
    if reply_international and not offers_utf8:
        # The clinic must still hear of the booking; the address is in the request.
        log.warning("outbox message=%s goes without its Reply-To: %s", message.id, NO_SMTPUTF8)
    utf8 = offers_utf8 and (international or reply_international)
    mail = build(message, utf8=utf8, reply_to=offers_utf8 or not reply_international)
    options = ["SMTPUTF8", *(["BODY=8BITMIME"] if host.has_extn("8bitmime") else [])]
    wire = {smtp_address(address): address for address in recipients}
    refused = host.sendmail(
        _sender()[1], list(wire), mail.as_bytes(), mail_options=options if utf8 else []
    )
    return {wire.get(address, address): reply for address, reply in refused.items()}


def _connect(state, timeout: float, data_timeout: float) -> smtplib.SMTP:
    """Connect (and STARTTLS, log in) with a timeout on every socket operation."""
    if state.use_ssl:
        context = ssl.create_default_context()
        host = _SMTP_SSL(state.server, state.port, timeout=timeout, context=context)
    else:
        host = _SMTP(state.server, state.port, timeout=timeout)
    host.data_timeout = data_timeout
    try:
        if state.use_tls:
            host.starttls(context=ssl.create_default_context())
        host.ehlo_or_helo_if_needed()  # once: its answer (SMTPUTF8, 8BITMIME) serves the batch
        if state.username and state.password:
            host.login(state.username, state.password)
    except BaseException:
        _close(host)
        raise
    return host


def _close(host: smtplib.SMTP) -> None:
    """QUIT, or just close: once the server has the message, a failing goodbye changes nothing."""
    try:
        host.quit()
    except (OSError, smtplib.SMTPException):
        host.close()


def _write_eml(message: OutboxMessage, mail: EmailMessage) -> None:
    directory = Path(current_app.config["MAIL_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{message.created_at:%Y%m%d-%H%M%S}-{message.id:06d}-{message.kind}.eml"
    path.write_bytes(mail.as_bytes())
    log.info("outbox wrote message=%s to %s (no MAIL_SERVER set)", message.id, path)


# Errors ------------------------------------------------------------------------------------


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _clean(text: str) -> str:
    """Masked, one line, short: stored in last_error and shown to staff."""
    text = mask_addresses(text)
    return "".join(c if c.isprintable() else " " for c in text)[:300]


def refusal(refused: dict[str, tuple[int, bytes | str]]) -> Failure:
    """Recipients refused at RCPT: permanent only when every refusal is a 5xx."""
    parts = [
        f"SMTP {code} for {mask_address(address)}: {_reply_text(reply)}"
        for address, (code, reply) in refused.items()
    ]
    permanent = all(500 <= code < 600 for code, _ in refused.values())
    return Failure(_clean("; ".join(parts)), PERMANENT if permanent else TEMPORARY)


def timed_out(error: BaseException) -> bool:
    """Whether the mail server did not answer in time. smtplib reports a reply that never
    came as SMTPServerDisconnected("... timed out"); socket.timeout is included."""
    return isinstance(error, OSError) and "timed out" in str(error)


def classify(error: BaseException) -> Failure:
    """What an exception from `send` means for the message (any exception, not only SMTP's)."""
    if isinstance(error, Unreachable):
        return error.failure
    if isinstance(error, InternationalAddressError):
        return Failure(NO_SMTPUTF8, FINAL)
    if isinstance(error, BadHeaderError):
        return Failure(_clean(str(error)), FINAL)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return refusal(error.recipients)
    if isinstance(error, smtplib.SMTPDataError):  # the message itself was refused
        permanent = 500 <= error.smtp_code < 600
        reason = f"SMTP {error.smtp_code}: {_reply_text(error.smtp_error)}"
        return Failure(_clean(reason), PERMANENT if permanent else TEMPORARY)
    if isinstance(error, smtplib.SMTPResponseException):
        # The sender, the login or the greeting refused: the server's settings, not this
        # message, so it is retried until OUTBOX_MAX_AGE like a 4xx.
        return Failure(_clean(f"SMTP {error.smtp_code}: {_reply_text(error.smtp_error)}"))
    if timed_out(error):
        return Failure("Timed out waiting for the mail server")
    if isinstance(error, ConnectionRefusedError):
        return Failure("Connection refused by the mail server")
    if isinstance(error, OSError | smtplib.SMTPException):
        return Failure(_clean(f"{type(error).__name__}: {error}"))
    # Anything else is this message's own problem (it cannot be built): a few tries, then failed.
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return Failure(_clean(f"{type(error).__name__}{where}: {error}"), PERMANENT)
