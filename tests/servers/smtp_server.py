"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), keeping every message it takes.

``answer`` is what it says to DATA: ``"250 OK"`` takes the message; a ``5xx`` refuses it for good.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from aiosmtpd.smtp import LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpServer:
    host: str
    port: int
    answer: str = "250 OK"
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.answer.startswith("250"):
            return self.answer
        with self.arrived:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            self.arrived.notify_all()
        return self.answer

    def settings(self, **more: str) -> dict[str, str]:
        """``GATEWAY_SMTP_*`` for this server (plain SMTP on loopback)."""
        return {
            "GATEWAY_SMTP_HOST": self.host,
            "GATEWAY_SMTP_PORT": str(self.port),
            "GATEWAY_SMTP_SECURITY": "none",
            "GATEWAY_SMTP_FROM": "Northwind order desk <orders@northwind.example>",
            **more,
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def running_smtp_server(
    users: Mapping[str, str] | None = None, *, port: int | None = None
) -> Iterator[SmtpServer]:
    """Start the server on a free loopback port (or ``port``: a server that comes back after an
    outage); stop it when the generator is closed.

    With ``users`` (name to password), it requires AUTH LOGIN/PLAIN (over plain SMTP: loopback only)."""
    server = SmtpServer("127.0.0.1", port or free_port())
    extra: dict[str, Any] = {}
    if users is not None:

        def authenticate(
            _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and users.get(_text(data.login)) == _text(data.password)
            return AuthResult(success=ok, handled=False)  # not handled: the server answers 235 or 535

        extra = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    controller = Controller(server, hostname=server.host, port=server.port, decode_data=False, **extra)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
