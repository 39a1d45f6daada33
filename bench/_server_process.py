"""A real server run in its own process group under a scratch home: stopped as a crash would, then removed.

The base of the sshd the SFTP bench and tests start (``bench._sshd``) and of the tests' Dovecot
(``tests/servers/dovecot.py``): each starts its own process with ``start_new_session=True``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path


class ServerProcess:
    """Owns ``process`` (its own process group) and ``home`` (a scratch directory)."""

    home: Path
    process: subprocess.Popen[bytes] | None

    def stop(self) -> None:
        """Stop the server and every session it serves, as a crash or restart would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None

    def remove(self) -> None:
        """Stop the server and delete its home."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
