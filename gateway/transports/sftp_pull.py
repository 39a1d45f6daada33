"""SFTP pull: fetch each complete file from a partner's server, store it, only then delete or move it.

One poll lists ``remote_dir``, takes the files whose name matches the profile's patterns (and
no ignore glob) and whose size and mtime have not changed for ``stable_seconds`` (so a file
still being uploaded waits), downloads each into a spool, commits it to the store, and only
then deletes it or moves it to ``move_to``. A crash or a lost connection at any instant leaves
each file either on the server or stored; one stored and still on the server is fetched again
next time, found to be the same bytes (one document), and then removed.

A remote writer cannot be seen, only its file, so a file is stored only if the download has
the size the listing showed and the file still has that size and mtime after the download; and
it is deleted or moved only if it still has them after the store. Otherwise it is left on the
server, the reason goes to ``gateway status``, and a later poll takes it once it is stable again.
An upload that pauses longer than ``stable_seconds`` and goes on before either check is thus
never lost; one that goes on only after the delete cannot be seen by any SFTP client, which is
why ``stable_seconds`` should exceed the partner's longest pause (or the partner should upload
under a temporary name, which ``ignore`` skips).

Remote names are hostile: they only ever name remote paths (never local ones), a name holding
``/`` is refused, and the store sanitises what it records. Paths on the server are relative to
the login folder unless absolute, as in any SFTP client.
"""

from __future__ import annotations

import stat
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime

import paramiko

from gateway.errors import TransportError
from gateway.inbound.pipeline import Pipeline
from gateway.transports._intake import IntakeReport
from gateway.transports._intake import StabilityGate
from gateway.transports._intake import TakenFile
from gateway.transports._intake import changed_while_read
from gateway.transports._intake import record_problems
from gateway.transports._intake import wanted
from gateway.transports._sftp_connect import Connect
from gateway.transports._sftp_connect import SftpConnection
from gateway.transports._sftp_connect import open_sftp
from gateway.transports._sftp_connect import remote_path
from partners import PartnerProfile
from partners import SftpPull

CHANNEL = "sftp"  # the stored documents' channel
STATUS_CHANNEL = "sftp-pull"
SPOOL_BYTES = 8 << 20  # larger downloads spill from memory to a temporary file
PREFETCH_REQUESTS = 64  # read requests in flight per file (32 KiB each)


class PullReport(IntakeReport):
    """One SFTP poll: ``taken`` (stored, then removed remotely), ``waiting``, ``problems``."""


class SftpPuller:
    """Takes every complete file waiting on one partner's SFTP server into the pipeline."""

    def __init__(
        self,
        profile: PartnerProfile,
        pipeline: Pipeline,
        *,
        clock: Callable[[], datetime],
        connect: Connect | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``connect`` opens the session (default: ``open_sftp``, keys relative to the profiles folder)."""
        if profile.sftp_pull is None:
            raise ValueError(f"partner {profile.name} has no [sftp_pull] table")
        self._profile = profile
        self._settings: SftpPull = profile.sftp_pull
        self._pipeline = pipeline
        self._clock = clock
        self._connect = connect or open_sftp
        self._gate = StabilityGate(self._settings.stable_seconds, monotonic)

    def poll_once(self, stop: threading.Event | None = None) -> PullReport:
        """One pass, ended early between files once ``stop`` is set.

        Raises TransportError when the server cannot be reached or the connection drops.
        """
        report = PullReport()
        with self._connect(self._settings) as conn:
            for entry in self._complete_files(conn, report):
                if stop is not None and stop.is_set():
                    break
                self._take(conn, entry, report)
        record_problems(
            self._pipeline.sessions, self._profile.name, STATUS_CHANNEL, report.problems, clock=self._clock
        )
        return report

    def _complete_files(self, conn: SftpConnection, report: PullReport) -> list[paramiko.SFTPAttributes]:
        settings = self._settings
        folder = settings.remote_dir
        try:
            entries = conn.sftp.listdir_attr(folder)
        except UnicodeDecodeError as exc:
            raise TransportError(
                f"{conn.where}: a file name in {folder} is not UTF-8, so the folder cannot be listed",
                retryable=False,
            ) from exc
        except Exception as exc:
            raise conn.failure(exc, f"listing {folder}") from exc
        ready = []
        for entry in sorted(entries, key=lambda e: (e.st_mtime or 0, e.filename)):
            name = entry.filename
            if not wanted(name, settings.patterns, settings.ignore):
                continue
            if "/" in name or "\0" in name:
                report.problems.append(f"refused a remote file name holding '/': {name!r}")
                continue
            mode = entry.st_mode or 0
            if stat.S_ISDIR(mode):
                continue  # e.g. the move_to folder inside remote_dir
            if not stat.S_ISREG(mode):
                report.problems.append(f"{remote_path(folder, name)} is not a regular file: left alone")
                continue
            if self._gate.ready(name, (entry.st_size, entry.st_mtime)):
                ready.append(entry)
            else:
                report.waiting.append(name)
        self._gate.keep_only(e.filename for e in entries)
        return ready

    def _take(self, conn: SftpConnection, entry: paramiko.SFTPAttributes, report: PullReport) -> None:
        name = entry.filename
        path = remote_path(self._settings.remote_dir, name)
        listed = (entry.st_size, entry.st_mtime)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            try:
                size = conn.sftp.getfo(path, spool, max_concurrent_prefetch_requests=PREFETCH_REQUESTS)
                after = conn.sftp.stat(path)
            except Exception as exc:
                failure = conn.failure(exc, f"downloading {path}")
                if conn.broken(exc):
                    raise failure from exc
                self._gate.forget(name)
                report.problems.append(str(failure))
                return
            changed = changed_while_read(
                listed=listed,
                listed_size=entry.st_size or 0,
                size_read=size,
                after=(after.st_size, after.st_mtime),
            )
            if changed:
                self._gate.forget(name)  # not finished after all: stable again from now on
                self._gate.ready(name, (after.st_size, after.st_mtime))
                report.waiting.append(name)
                report.problems.append(
                    f"{path}: {changed}; left on the server, taken once it is stable again"
                )
                return
            spool.seek(0)
            outcome = self._pipeline.ingest_stream(
                spool, channel=CHANNEL, filename=name, partner=self._profile.name
            )
        report.taken.append(TakenFile(name, size, outcome))
        self._gate.forget(name)
        if self._changed_since(conn, path, name, listed, outcome.document_id, report):
            return
        self._release(conn, path, name, outcome.document_id, report)  # only now: the bytes are committed

    def _changed_since(
        self,
        conn: SftpConnection,
        path: str,
        name: str,
        listed: tuple[int | None, int | None],
        document_id: int,
        report: PullReport,
    ) -> bool:
        """True (and reported) when the file changed after its download was checked: it stays on the server."""
        try:
            now = conn.sftp.stat(path)
        except Exception as exc:
            if isinstance(exc, FileNotFoundError):
                return True  # already gone: what matters is that it is stored
            failure = conn.failure(exc, f"checking {path} before removing it")
            if conn.broken(exc):
                raise failure from exc
            report.problems.append(str(failure))
            return True
        if (now.st_size, now.st_mtime) == listed:
            return False
        self._gate.ready(name, (now.st_size, now.st_mtime))  # stable again from now on
        report.problems.append(
            f"{path} changed after it was stored as document {document_id}, which may be incomplete: "
            "left on the server, taken again once it is stable"
        )
        return True

    def _release(
        self, conn: SftpConnection, path: str, name: str, document_id: int, report: PullReport
    ) -> None:
        """Delete the stored file remotely, or move it to ``move_to``."""
        settings = self._settings
        try:
            if settings.after == "delete":
                doing = f"deleting {path}"
                conn.sftp.remove(path)
            else:
                assert settings.move_to is not None
                target = remote_path(settings.move_to, name)
                doing = f"moving {path} to {target}"
                _move(conn.sftp, path, target)
        except Exception as exc:
            failure = conn.failure(exc, doing)
            if conn.broken(exc):
                raise failure from exc
            if isinstance(exc, FileNotFoundError) and settings.after == "delete":
                return  # already gone: what matters is that it is stored
            report.problems.append(
                f"{failure} (stored as document {document_id}; it will be fetched again as a duplicate)"
            )


def _move(sftp: paramiko.SFTPClient, path: str, target: str) -> None:
    """Rename over any earlier file of that name (posix-rename), else rename beside it."""
    try:
        sftp.posix_rename(path, target)
        return
    except OSError as exc:
        if exc.errno is not None or "unsupported" not in str(exc).lower():
            raise
    try:
        sftp.rename(path, target)
    except OSError as exc:
        if exc.errno is not None:
            raise
        sftp.rename(path, f"{target}.{int(time.time())}")  # plain rename refuses an existing target
