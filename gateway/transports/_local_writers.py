"""Is a local upload finished? Close events from inotify, and the kernel's word on open writers.

``CloseEvents`` remembers, per name in one folder, that a writer closed the file
(``IN_CLOSE_WRITE``) or that it was renamed in (``IN_MOVED_TO``), until the name is taken,
made again or removed. ``open_for_writing`` asks whether any process, in any namespace,
still holds a file open for writing: Linux grants a read lease only while none does
(fcntl(2) ``F_SETLEASE``). A lease on a file another user owns needs ``CAP_LEASE`` (root has
it); without it, or on a file system without leases, the answer is "cannot tell".
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
from pathlib import Path

from inotify_simple import INotify
from inotify_simple import flags

log = logging.getLogger(__name__)
_DONE = flags.CLOSE_WRITE | flags.MOVED_TO
_GONE = flags.CREATE | flags.DELETE | flags.MOVED_FROM  # a new file of that name, or none
_MASK = _DONE | _GONE | flags.DELETE_SELF | flags.MOVE_SELF | flags.ONLYDIR
_WRITE_MODES = (os.O_WRONLY, os.O_RDWR)


class CloseEvents:
    """The names in one folder whose writer has closed them since they were last made."""

    def __init__(self) -> None:
        self._inotify: INotify | None = None
        self._watch: int | None = None
        self._closed: set[str] = set()
        try:
            self._inotify = INotify(nonblocking=True)
        except OSError as exc:  # e.g. fs.inotify.max_user_instances reached
            log.warning("no inotify instance (%s): closed uploads are found by stable_seconds", exc)

    def fileno(self) -> int | None:
        """Readable when something happened in the folder: a poller can wake on it."""
        return None if self._inotify is None else self._inotify.fileno()

    def watch(self, folder: Path) -> None:
        """Watch ``folder`` from now on (again after it was removed); a failure only costs speed."""
        if self._inotify is None or self._watch is not None:
            return
        try:
            self._watch = self._inotify.add_watch(folder, _MASK)
        except OSError as exc:
            log.warning("cannot watch %s for closed uploads (%s): stable_seconds decides", folder, exc)

    def drain(self) -> None:
        """Read what happened since the last call."""
        if self._inotify is None:
            return
        for event in self._inotify.read(timeout=0):
            if event.mask & flags.Q_OVERFLOW:
                self._closed.clear()  # events were lost: stability decides for everything open now
            elif event.mask & flags.IGNORED:
                self._watch, self._closed = None, set()  # the folder went away: watch it anew
            elif event.mask & _GONE:
                self._closed.discard(event.name)
            elif event.mask & _DONE:
                self._closed.add(event.name)

    def closed(self, name: str) -> bool:
        return name in self._closed

    def forget(self, name: str) -> None:
        self._closed.discard(name)

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()


def open_for_writing(fd: int) -> bool | None:
    """Whether any process holds the file behind ``fd`` (opened read-only) open for writing.

    None when this process may not ask: no ``CAP_LEASE`` for a file it does not own, or a
    file system without leases. The lease is released at once.
    """
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        if exc.errno == errno.EAGAIN:
            return True
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EINVAL, errno.ENOLCK):
            return None
        raise
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    return False


def writers(info: os.stat_result) -> list[str]:
    """``pid N (name)`` of each process this one can see holding the file open for writing.

    For the report only: processes of other users need root (or ``CAP_SYS_PTRACE``) to be seen.
    """
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.stat(f"/proc/{pid}/fd/{fd}")
                    if (target.st_dev, target.st_ino) != (info.st_dev, info.st_ino):
                        continue
                    with open(f"/proc/{pid}/fdinfo/{fd}") as fdinfo:
                        mode = next((line.split()[1] for line in fdinfo if line.startswith("flags:")), "0")
                    if int(mode, 8) & os.O_ACCMODE in _WRITE_MODES:
                        with open(f"/proc/{pid}/comm") as comm:
                            found.append(f"pid {pid} ({comm.read().strip()})")
                        break
    return found
