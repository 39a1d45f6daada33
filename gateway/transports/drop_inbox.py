"""Drop inbox: take what a partner uploads to our own SFTP server (its chroot) into the pipeline.

Each poll of the folder ``profile.drop.path`` (relative to the profiles folder unless absolute):

1. A name matching the patterns and no ignore glob is looked at without following links.
   Folders are passed over; symlinks, FIFOs and other non-regular files are refused (left
   where they are, and recorded as a ``drop`` failure), so an upload can never make us read
   outside the inbox.
2. A regular file is complete once its writer has closed it (inotify ``IN_CLOSE_WRITE``, or
   renamed in whole: ``IN_MOVED_TO``) or, for a file whose close was not seen (there before
   the watcher started), once its size and mtime have not changed for ``stable_seconds``; and
   in both cases only while no process holds it open for writing (a read lease, see
   ``_local_writers``). A paused upload is still open, so it waits however long it pauses; one
   held open but unchanged for ``stalled_seconds`` (a hung session) is reported as a problem
   each poll, so ``gateway status`` shows it, and still left where it is.
3. The complete file is *claimed*: renamed into ``.gateway-claimed/`` inside the inbox, a
   folder only the gateway's user may enter. From then on the partner cannot open it again;
   an upload of the same name is a new file, which is never removed unseen.
4. The claimed file is checked again (the same inode, size and mtime, and no writer: one that
   still had it open is given back to the inbox), read, checked once more, committed to the
   store, and only then removed. It is not moved to a processed folder: the store keeps the
   bytes and the original name. Since nobody can open it after the claim, "no writer" then
   stays true: no byte can land in it after the store.

A crash after the claim leaves the file in the claim folder, and the next poll stores it
(again, if the crash came after the store: the same bytes are one document) and removes it,
once it is stable and nobody writes to it.

Without ``CAP_LEASE`` (a gateway user that owns neither the uploads nor the capability) the
watcher cannot ask about writers: it says so once in ``gateway status`` and goes by close
events, and by ``stable_seconds`` alone for files it saw no close of.

Setup: OpenSSH with ``ChrootDirectory`` (root-owned) per partner and ``ForceCommand
internal-sftp``; the inbox inside it is writable by the partner's user and by the gateway's
(e.g. group-writable, setgid), and uploads must be readable by the gateway (``internal-sftp -u 0027``).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from gateway.config import partners_dir
from gateway.errors import TransportError
from gateway.inbound.pipeline import Pipeline
from gateway.transports._intake import IntakeReport
from gateway.transports._intake import StabilityGate
from gateway.transports._intake import TakenFile
from gateway.transports._intake import changed_while_read
from gateway.transports._intake import record_problems
from gateway.transports._intake import wanted
from gateway.transports._local_writers import CloseEvents
from gateway.transports._local_writers import open_for_writing
from gateway.transports._local_writers import writers
from partners import DropInbox
from partners import PartnerProfile

CHANNEL = "drop"  # the stored documents' channel, and the transport status channel
CLAIM_DIR = ".gateway-claimed"
SPOOL_BYTES = 8 << 20
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_Signature = tuple[int, int, int]  # inode, size, mtime in ns


class DropReport(IntakeReport):
    """One drop inbox poll: ``taken`` (stored, then removed), ``waiting``, ``problems``."""


class DropWatcher:
    """Takes every complete file in one partner's drop inbox into the pipeline."""

    def __init__(
        self,
        profile: PartnerProfile,
        pipeline: Pipeline,
        *,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if profile.drop is None:
            raise ValueError(f"partner {profile.name} has no [drop] table")
        self._profile = profile
        self._settings: DropInbox = profile.drop
        self._pipeline = pipeline
        self._clock = clock
        self._inbox_gate = StabilityGate(self._settings.stable_seconds, monotonic)
        self._claimed_gate = StabilityGate(self._settings.stable_seconds, monotonic)
        self._events = CloseEvents()
        self._blind_reported = False

    @property
    def inbox(self) -> Path:
        path = Path(self._settings.path).expanduser()
        return path if path.is_absolute() else partners_dir() / path

    def fileno(self) -> int | None:
        """Readable when something happened in the inbox: the poller's schedule wakes on it."""
        return self._events.fileno()

    def close(self) -> None:
        self._events.close()

    def poll_once(self, stop: threading.Event | None = None) -> DropReport:
        """One pass, ended early between files once ``stop`` is set. Raises TransportError when the inbox cannot be opened."""
        self._events.drain()  # first: what wakes the schedule is consumed even if the pass fails
        report = DropReport()
        inbox = self.inbox
        try:
            inbox_fd = os.open(inbox, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise TransportError(f"drop inbox {inbox}: cannot open it ({exc.strerror})") from exc
        try:
            self._events.watch(inbox)
            claim_fd = _claim_folder(inbox_fd, inbox)
            try:
                self._leftovers(inbox_fd, claim_fd, report)
                for name, signature in self._complete_files(inbox_fd, report):
                    if stop is not None and stop.is_set():
                        break
                    if self._claim(inbox_fd, claim_fd, name, signature, report):
                        self._store(inbox_fd, claim_fd, name, report, fresh=True)
            finally:
                os.close(claim_fd)
        finally:
            os.close(inbox_fd)
        record_problems(
            self._pipeline.sessions, self._profile.name, CHANNEL, report.problems, clock=self._clock
        )
        return report

    def _leftovers(self, inbox_fd: int, claim_fd: int, report: DropReport) -> None:
        """Files claimed by an earlier poll and not yet removed: store them once they are still."""
        names = sorted(os.listdir(claim_fd))
        for name in names:
            try:
                info = os.stat(name, dir_fd=claim_fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(info.st_mode):  # swapped in just before the claim
                self._give_back(inbox_fd, claim_fd, name, _kind(info.st_mode), report)
            elif self._claimed_gate.ready(name, _signature(info)):
                self._store(inbox_fd, claim_fd, name, report, fresh=False)
            else:
                report.waiting.append(name)
        self._claimed_gate.keep_only(names)

    def _complete_files(self, inbox_fd: int, report: DropReport) -> list[tuple[str, _Signature]]:
        settings = self._settings
        names = sorted(os.listdir(inbox_fd))
        ready = []
        for name in names:
            if name == CLAIM_DIR or not wanted(name, settings.patterns, settings.ignore):
                continue
            try:
                info = os.stat(name, dir_fd=inbox_fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                report.problems.append(f"refused {_kind(info.st_mode)} {name!r} in {self.inbox}: left alone")
                continue
            stable = self._inbox_gate.ready(name, _signature(info))
            if (stable or self._events.closed(name)) and self._nobody_writes(
                inbox_fd, name, self._inbox_gate, report
            ):
                ready.append((name, _signature(info)))
            else:
                report.waiting.append(name)
        self._inbox_gate.keep_only(names)
        return ready

    def _nobody_writes(self, folder_fd: int, name: str, gate: StabilityGate, report: DropReport) -> bool:
        """True unless a process holds ``name`` open for writing (a stalled one is reported)."""
        try:
            fd = os.open(name, _READ, dir_fd=folder_fd)
        except OSError:
            return False  # gone, or swapped for a link: the next listing says which
        try:
            return self._writer_check(fd, name, gate, report)
        finally:
            os.close(fd)

    def _writer_check(self, fd: int, name: str, gate: StabilityGate, report: DropReport) -> bool:
        writing = open_for_writing(fd)
        if writing is None:
            if not self._blind_reported:
                self._blind_reported = True
                report.problems.append(
                    f"cannot ask whether uploads in {self.inbox} are still open for writing (a read lease "
                    "was refused: the pollers need CAP_LEASE, on a local file system); a file is taken "
                    "when closed, or else after stable_seconds alone"
                )
            return True
        if writing:
            stalled = gate.still_for(name)
            if stalled >= self._settings.stalled_seconds:
                held_by = ", ".join(writers(os.fstat(fd))) or "a process this one cannot see"
                report.problems.append(
                    f"{name!r} in {self.inbox} is held open for writing by {held_by} yet unchanged for "
                    f"{stalled:.0f} s: not taken, it may be incomplete (end the stalled session to release it)"
                )
        return not writing

    def _claim(
        self, inbox_fd: int, claim_fd: int, name: str, signature: _Signature, report: DropReport
    ) -> bool:
        """Move the file into the claim folder; True when what arrived there is the file judged complete."""
        try:
            os.stat(name, dir_fd=claim_fd, follow_symlinks=False)
            report.waiting.append(name)  # an earlier upload of this name is still being taken
            return False
        except FileNotFoundError:
            pass
        try:
            os.rename(name, name, src_dir_fd=inbox_fd, dst_dir_fd=claim_fd)
        except FileNotFoundError:
            return False  # gone since the listing
        except OSError as exc:
            report.problems.append(f"cannot claim {name!r} in {self.inbox}: {exc.strerror}")
            return False
        self._inbox_gate.forget(name)
        self._events.forget(name)
        try:
            info = os.stat(name, dir_fd=claim_fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        if _signature(info) != signature:  # swapped or rewritten since: it waits in the claim folder
            report.waiting.append(name)
            return False
        return True

    def _store(self, inbox_fd: int, claim_fd: int, name: str, report: DropReport, *, fresh: bool) -> None:
        """Store one claimed file, then remove it; ``fresh``: claimed by this poll."""
        try:
            fd = os.open(name, _READ, dir_fd=claim_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._give_back(inbox_fd, claim_fd, name, "a symlink", report)
            elif exc.errno != errno.ENOENT:
                report.problems.append(f"cannot read claimed {name!r} in {self.inbox}: {exc.strerror}")
            return
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            os.close(fd)
            self._give_back(inbox_fd, claim_fd, name, _kind(before.st_mode), report)
            return
        with os.fdopen(fd, "rb") as source, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            if not self._writer_check(fd, name, self._claimed_gate, report):
                self._still_open(inbox_fd, claim_fd, name, report, fresh=fresh)
                return
            shutil.copyfileobj(source, spool, 1 << 20)
            size = spool.tell()
            changed = changed_while_read(
                listed=_signature(before),
                listed_size=before.st_size,
                size_read=size,
                after=_signature(os.fstat(fd)),
            )
            if changed or not self._writer_check(fd, name, self._claimed_gate, report):
                self._claimed_gate.forget(name)  # still being written: next poll
                report.waiting.append(name)
                return
            spool.seek(0)
            outcome = self._pipeline.ingest_stream(
                spool, channel=CHANNEL, filename=name, partner=self._profile.name
            )
        report.taken.append(TakenFile(name, size, outcome))
        self._claimed_gate.forget(name)
        try:
            os.unlink(name, dir_fd=claim_fd)  # only now: the bytes are committed
        except FileNotFoundError:
            pass
        except OSError as exc:
            report.problems.append(
                f"stored {name!r} as document {outcome.document_id} but cannot remove it: {exc.strerror}"
            )

    def _still_open(
        self, inbox_fd: int, claim_fd: int, name: str, report: DropReport, *, fresh: bool
    ) -> None:
        """A claimed file a writer still holds: a fresh claim goes back to the partner, whose upload goes on."""
        report.waiting.append(name)
        if fresh and _return_to_inbox(inbox_fd, claim_fd, name):
            self._claimed_gate.forget(name)
        # else it waits in the claim folder until its writer lets go

    def _give_back(self, inbox_fd: int, claim_fd: int, name: str, kind: str, report: DropReport) -> None:
        """Return a claimed entry that is not a regular file to the inbox, where it is refused and left alone."""
        if _return_to_inbox(inbox_fd, claim_fd, name):
            report.problems.append(f"refused {kind} {name!r} in {self.inbox}: put back and left alone")
        else:
            report.problems.append(
                f"refused {kind} {name!r} in {self.inbox}: kept in {CLAIM_DIR}/ (name taken)"
            )


def _return_to_inbox(inbox_fd: int, claim_fd: int, name: str) -> bool:
    """Move a claimed entry back under its name, unless the inbox has a new file of that name."""
    try:
        os.stat(name, dir_fd=inbox_fd, follow_symlinks=False)
        return False
    except FileNotFoundError:
        os.rename(name, name, src_dir_fd=claim_fd, dst_dir_fd=inbox_fd)
        return True


def _claim_folder(inbox_fd: int, inbox: Path) -> int:
    """Open (making it first) the gateway's private claim folder inside the inbox, never via a link."""
    try:
        os.mkdir(CLAIM_DIR, 0o700, dir_fd=inbox_fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise TransportError(f"drop inbox {inbox}: cannot make {CLAIM_DIR}/ ({exc.strerror})") from exc
    place = f"{inbox}/{CLAIM_DIR}"
    try:
        fd = os.open(CLAIM_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=inbox_fd)
    except OSError as exc:
        raise TransportError(
            f"{place} is not a folder ({exc.strerror}): remove it so the gateway can make its own",
            retryable=False,
        ) from exc
    info = os.fstat(fd)
    if info.st_uid != os.geteuid() or info.st_mode & 0o077:
        os.close(fd)
        raise TransportError(
            f"{place} is not the gateway's private folder (owner uid {info.st_uid}, mode "
            f"{stat.S_IMODE(info.st_mode):o}): remove it so the gateway can make its own",
            retryable=False,
        )
    return fd


def _signature(info: os.stat_result) -> _Signature:
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device or other non-regular file"
