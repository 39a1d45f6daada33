"""IMAP intake: fetch new messages by UID, store each durably, only then mark it taken.

A message is moved to the processed folder (or flagged \\Seen) after its raw bytes are
committed, so a crash at any instant leaves it either untaken or stored; fetching it again
after a crash finds the same bytes, which are one document. Connection failures are
retried with exponential backoff.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from gateway.config import ImapSettings
from gateway.inbound.pipeline import IngestOutcome
from gateway.inbound.pipeline import Pipeline

log = logging.getLogger(__name__)
RETRYABLE = (OSError, socket.error, IMAPClientError, ssl.SSLError, EOFError)


@dataclass(slots=True)
class PollReport:
    taken: list[IngestOutcome] = field(default_factory=list)

    @property
    def new_documents(self) -> int:
        return sum(not o.duplicate for o in self.taken)


class ImapPoller:
    """Takes every message waiting in one IMAP folder into the pipeline."""

    def __init__(
        self,
        settings: ImapSettings,
        pipeline: Pipeline,
        *,
        connect: Callable[[ImapSettings], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._pipeline = pipeline
        self._connect = connect or _connect
        self._sleep = sleep

    def poll_once(self) -> PollReport:
        """One pass: store and mark every waiting message. Raises on connection failure."""
        settings = self._settings
        report = PollReport()
        client = self._connect(settings)
        try:
            client.login(settings.username, settings.password)
            status = client.select_folder(settings.folder)
            validity = status.get(b"UIDVALIDITY", 0)
            if settings.mark == "move" and not client.folder_exists(settings.processed_folder):
                client.create_folder(settings.processed_folder)
            criteria = ["UNSEEN"] if settings.mark == "seen" else ["ALL"]
            for uid in sorted(client.search(criteria)):
                fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
                raw = fetched.get(b"BODY[]")
                if raw is None:
                    continue
                outcome = self._pipeline.ingest_stream(
                    io.BytesIO(raw), channel="imap", filename=f"imap-{settings.folder}-{validity}-{uid}.eml"
                )
                report.taken.append(outcome)
                self._mark(client, uid)  # only after the store committed
            return report
        finally:
            _close(client)

    def run(self, *, cycles: int | None = None) -> None:
        """Poll forever (or ``cycles`` times), backing off exponentially while the server fails."""
        failures = 0
        done = 0
        while cycles is None or done < cycles:
            try:
                report = self.poll_once()
            except RETRYABLE as exc:
                failures += 1
                delay = min(self._settings.max_backoff_seconds, 2.0 ** min(failures, 16))
                log.warning("IMAP poll failed (%s: %s); retrying in %.0f s", type(exc).__name__, exc, delay)
                self._sleep(delay)
                continue
            failures = 0
            done += 1
            log.info("IMAP: %d messages taken, %d new documents", len(report.taken), report.new_documents)
            if cycles is None or done < cycles:
                self._sleep(self._settings.poll_seconds)

    def _mark(self, client: Any, uid: int) -> None:
        if self._settings.mark == "seen":
            client.add_flags([uid], [b"\\Seen"])
        elif client.has_capability("MOVE"):
            client.move([uid], self._settings.processed_folder)
        else:
            client.copy([uid], self._settings.processed_folder)
            client.delete_messages([uid])
            client.uid_expunge([uid])


def _connect(settings: ImapSettings) -> IMAPClient:
    """A connection over TLS or STARTTLS (certificates verified), or plain when configured."""
    context = ssl.create_default_context(cafile=settings.ca_file)
    if settings.security == "tls":
        return IMAPClient(settings.host, port=settings.port, ssl=True, ssl_context=context, timeout=30)
    client = IMAPClient(settings.host, port=settings.port, ssl=False, timeout=30)
    if settings.security == "starttls":
        client.starttls(context)
    return client


def _close(client: Any) -> None:
    with contextlib.suppress(*RETRYABLE):
        client.logout()
