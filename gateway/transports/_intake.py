"""What the SFTP pull and the drop inbox share: which names to take, when a file is complete, the report.

A file is judged complete from a listing (its signature: size and mtime, unchanged for
``stable_seconds``, or closed by its writer where that can be seen), then read. What was read
is stored only if it is the file judged complete: as many bytes as listed, and the same
signature after the read (``changed_while_read``). Otherwise the file is left where it was,
the reason is reported as a problem (so ``gateway status`` shows it), and a later poll tries again.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.inbound.pipeline import IngestOutcome
from gateway.outbound.transport_status import log_unrecorded
from gateway.outbound.transport_status import record_outcome


def wanted(name: str, patterns: Iterable[str], ignore: Iterable[str]) -> bool:
    """Matches a pattern and no ignore glob (case-sensitive, as the file systems are)."""
    if any(fnmatch.fnmatchcase(name, glob) for glob in ignore):
        return False
    return any(fnmatch.fnmatchcase(name, glob) for glob in patterns)


@dataclass(slots=True)
class _Sighting:
    signature: Hashable
    since: float


class StabilityGate:
    """Says when a file is complete: the same size and mtime (its signature) for ``seconds``.

    Sightings are remembered between polls, in memory: after a restart every file waits one
    more poll, which costs time but never a half-written file.
    """

    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._monotonic = monotonic
        self._seen: dict[str, _Sighting] = {}

    def ready(self, name: str, signature: Hashable) -> bool:
        now = self._monotonic()
        seen = self._seen.get(name)
        if seen is None or seen.signature != signature:
            self._seen[name] = _Sighting(signature, now)
            return self._seconds <= 0
        return now - seen.since >= self._seconds

    def still_for(self, name: str) -> float:
        """Seconds since ``name``'s signature last changed (0 when not seen yet)."""
        seen = self._seen.get(name)
        return 0.0 if seen is None else self._monotonic() - seen.since

    def forget(self, name: str) -> None:
        self._seen.pop(name, None)

    def keep_only(self, names: Iterable[str]) -> None:
        """Drop what is no longer there, so memory stays bounded by the folder's size."""
        present = set(names)
        for gone in [n for n in self._seen if n not in present]:
            del self._seen[gone]


def changed_while_read(*, listed: Hashable, listed_size: int, size_read: int, after: Hashable) -> str | None:
    """Why the bytes read are not the file judged complete, or None when they are."""
    if size_read != listed_size:
        return f"{size_read} bytes read where the listing showed {listed_size}"
    if after != listed:
        return "it changed while it was read"
    return None


@dataclass(slots=True)
class TakenFile:
    name: str
    size: int
    outcome: IngestOutcome


@dataclass(slots=True)
class IntakeReport:
    """One poll: files stored (new or duplicate), files still being written, and per-file problems."""

    taken: list[TakenFile] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def new_documents(self) -> int:
        return sum(not t.outcome.duplicate for t in self.taken)

    @property
    def duplicates(self) -> int:
        return len(self.taken) - self.new_documents

    def __str__(self) -> str:
        text = f"{len(self.taken)} files taken, {self.new_documents} new documents"
        if self.duplicates:
            text += f", {self.duplicates} already stored"
        if self.waiting:
            text += f", {len(self.waiting)} still being written"
        if self.problems:
            text += f", {len(self.problems)} problems: " + "; ".join(self.problems[:3])
        return text


def record_problems(
    sessions: sessionmaker[Session],
    partner: str,
    channel: str,
    problems: list[str],
    *,
    clock: Callable[[], datetime],
) -> None:
    """A poll's problems as failures on its status row, in one transaction of the poll's (each
    under its own savepoint); a store that is down is only logged, the poll's report stands."""
    if not problems:
        return
    try:
        with sessions() as session, session.begin():
            for problem in problems:
                record_outcome(session, partner=partner, channel=channel, at=clock(), error=problem)
    except Exception:
        log_unrecorded(partner, channel)
