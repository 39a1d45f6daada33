"""The IMAP poller's settings (``GATEWAY_IMAP_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class ImapSettings:
    host: str
    username: str
    password: str
    port: int = 993
    security: Literal["tls", "starttls", "plain"] = "tls"
    folder: str = "INBOX"
    mark: Literal["move", "seen"] = "move"
    processed_folder: str = "Processed"
    poll_seconds: float = 60.0
    max_backoff_seconds: float = 300.0
    ca_file: str | None = None

    @classmethod
    def from_environment(cls) -> ImapSettings:
        """From GATEWAY_IMAP_* variables; plain text only when asked for (a local server)."""
        env = os.environ
        missing = [n for n in ("HOST", "USER", "PASSWORD") if not env.get(f"GATEWAY_IMAP_{n}")]
        if missing:
            raise ValueError("set " + ", ".join(f"GATEWAY_IMAP_{n}" for n in missing) + " to poll IMAP")
        security = env.get("GATEWAY_IMAP_SECURITY", "tls")
        if security not in ("tls", "starttls", "plain"):
            raise ValueError(f"GATEWAY_IMAP_SECURITY must be tls, starttls or plain, not {security!r}")
        mark = env.get("GATEWAY_IMAP_MARK", "move")
        if mark not in ("move", "seen"):
            raise ValueError(f"GATEWAY_IMAP_MARK must be move or seen, not {mark!r}")
        return cls(
            host=env["GATEWAY_IMAP_HOST"],
            username=env["GATEWAY_IMAP_USER"],
            password=env["GATEWAY_IMAP_PASSWORD"],
            port=int(env.get("GATEWAY_IMAP_PORT", "993" if security == "tls" else "143")),
            security=security,  # type: ignore[arg-type]
            folder=env.get("GATEWAY_IMAP_FOLDER", "INBOX"),
            mark=mark,  # type: ignore[arg-type]
            processed_folder=env.get("GATEWAY_IMAP_PROCESSED_FOLDER", "Processed"),
            poll_seconds=float(env.get("GATEWAY_IMAP_POLL_SECONDS", "60")),
            ca_file=env.get("GATEWAY_IMAP_CA_FILE") or None,
        )
