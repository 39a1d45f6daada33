"""What the SFTP pull and the drop inbox share: which listed files are complete, the store, the report.

A file is judged complete from a listing (its signature: size and mtime, unchanged for
``stable_seconds``, or closed by its writer where that can be seen), then read. What was read
is stored only if it is the file judged complete: as many bytes as listed, and the same
signature after the read (``changed_while_read``). Otherwise the file is left where it was,
the reason is reported as a problem (so ``gateway status`` shows it), and a later poll tries again.
``Intake`` holds those steps for one partner: ``complete_files`` sorts a listing, ``store`` commits
what was read, ``record_problems`` tells the poll's problems to the transport status.
"""

from __future__ import annotations

import fnmatch
import stat
import tempfile
import time
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import IO
from typing import Protocol
from typing import TypeVar

from gateway.inbound.pipeline import IngestOutcome
from gateway.inbound.pipeline import Pipeline
from gateway.outbound.transport_status import record_outcome
from gateway.outbound.transport_status import status_transaction

SPOOL_BYTES = 8 << 20  # a file read larger than this spills from memory to a temporary file
Signature = TypeVar("Signature", bound=Hashable)


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


class Globs(Protocol):
    """Which names a folder's settings take (``partners.SftpPull``, ``partners.DropInbox``)."""

    @property
    def patterns(self) -> Sequence[str]: ...

    @property
    def ignore(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Intake:
    """One partner's files into the pipeline: stored under ``channel``, problems told to ``status_channel``."""

    pipeline: Pipeline
    partner: str
    settings: Globs
    clock: Callable[[], datetime]
    channel: str  # the stored documents' channel
    status_channel: str  # the transport status row ``gateway status`` shows

    def complete_files(
        self,
        names: Sequence[str],
        report: IntakeReport,
        *,
        gate: StabilityGate,
        look: Callable[[str], tuple[int, Signature] | None],
        refused: Callable[[str, int], str],
        complete: Callable[[str, Signature], bool],
    ) -> list[tuple[str, Signature]]:
        """The files of a listing (``names``, in the order to take them) that are whole now, with their signatures.

        Only wanted names are looked at: ``look`` gives a file's mode and signature, or None for one
        gone or not to be taken (``look`` reports why, if anyone should know). A folder is passed
        over; any other file that is not a regular one is left alone and reported (``refused``
        words it); a regular file waits until ``complete`` says so. ``gate`` forgets what is no
        longer listed.
        """
        ready: list[tuple[str, Signature]] = []
        for name in names:
            if not wanted(name, self.settings.patterns, self.settings.ignore):
                continue
            seen = look(name)
            if seen is None:
                continue
            mode, signature = seen
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                report.problems.append(refused(name, mode))
            elif complete(name, signature):
                ready.append((name, signature))
            else:
                report.waiting.append(name)
        gate.keep_only(names)
        return ready

    def spool(self) -> IO[bytes]:
        """Where a file is read before it is stored: memory, or a temporary file past ``SPOOL_BYTES``."""
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)

    def store(
        self, spool: IO[bytes], name: str, size: int, report: IntakeReport, *, gate: StabilityGate
    ) -> IngestOutcome:
        """Store the ``size`` bytes read into ``spool`` (checked: the file judged complete) as the partner's
        file ``name``; committed when this returns, so the caller may then remove the file."""
        spool.seek(0)
        outcome = self.pipeline.ingest_stream(
            spool, channel=self.channel, filename=name, partner=self.partner
        )
        report.taken.append(TakenFile(name, size, outcome))
        gate.forget(name)
        return outcome

    def record_problems(self, report: IntakeReport) -> None:
        """The poll's problems as failures on its status row, so ``gateway status`` shows them: in one
        transaction (each under its own savepoint); a store that is down is only logged, the report stands."""
        if not report.problems:
            return
        with status_transaction(self.pipeline.sessions, self.partner, self.status_channel) as session:
            for problem in report.problems:
                record_outcome(
                    session, partner=self.partner, channel=self.status_channel, at=self.clock(), error=problem
                )
