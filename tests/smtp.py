"""Real SMTP servers on 127.0.0.1 for tests: a sink (that can refuse), one that never answers."""

from __future__ import annotations

import email
import socket
import threading
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An aiosmtpd handler that keeps every message, or answers with a set reply.

    `reply` answers DATA; `refuse` maps a recipient address to the reply its RCPT gets (a
    refusal); `mail_options` keeps the MAIL FROM parameters of each accepted message.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.mail_options: list[list[str]] = []
        self.reply = "250 OK"
        self.refuse: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.reply.startswith("250"):
            return self.reply
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
            self.mail_options.append(list(envelope.mail_options))
        return "250 OK"

    def received_by(self, address: str) -> list[EmailMessage]:
        """Messages whose envelope included `address`."""
        return [m for _, rcpt_tos, m in self.messages if address in rcpt_tos]

    def by_subject(self, fragment: str) -> list[EmailMessage]:
        """Received messages whose subject contains `fragment`."""
        return [m for _, _, m in self.messages if fragment in m["Subject"]]


class SmtpServer:
    """An aiosmtpd server on a fixed port that can be stopped and started again."""

    def __init__(self, port: int | None = None, *, smtputf8: bool = False, sink=None) -> None:
        self.port = port or free_port()
        self.sink = sink or Sink()
        #: offer SMTPUTF8 (internationalised addresses); aiosmtpd does not by default
        self.smtputf8 = smtputf8
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(
            self.sink, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class SilentServer:
    """Accepts TCP connections and never says a word (a hung mail server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.connections:
            connection.close()
