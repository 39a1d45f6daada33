"""SFTP push: upload one outbound document to the partner under a temporary name, then rename it.

The partner never sees a partial file under the final name: the bytes go to
``remote_dir/filename + temp_suffix`` (size checked after the upload), which is then renamed
with ``posix-rename@openssh.com`` (replacing an older file of that name), or, on a server
without that extension, with a plain rename after removing the stale target. One call is one
attempt; the dispatcher retries. On failure the temporary file is removed when the connection
still allows it, and a ``TransportError`` says what failed (not retryable for a refused login,
a host key mismatch or a denied permission).
"""

from __future__ import annotations

import contextlib
import io

import paramiko

from gateway.errors import TransportError
from gateway.outbound.dispatch import Sent
from gateway.transports._sftp_connect import Connect
from gateway.transports._sftp_connect import open_sftp
from gateway.transports._sftp_connect import remote_path
from partners import PartnerProfile


class SftpSender:
    """The ``Sender`` for partners whose ``[delivery]`` goes ``via = "sftp"``."""

    def __init__(self, *, connect: Connect | None = None) -> None:
        """``connect`` opens the session (default: ``open_sftp``, keys relative to the profiles folder)."""
        self._connect = connect or open_sftp

    def send(self, *, content: bytes, filename: str, profile: PartnerProfile, outbound_id: int) -> Sent:
        settings = profile.sftp_push
        if settings is None:
            raise TransportError(f"partner {profile.name} has no [sftp_push] table", retryable=False)
        if not filename or "/" in filename or "\0" in filename or filename in (".", ".."):
            raise TransportError(
                f"outbound {outbound_id}: {filename!r} is not a plain file name", retryable=False
            )
        final = remote_path(settings.remote_dir, filename)
        temp = final + settings.temp_suffix
        with self._connect(settings) as conn:
            doing = f"uploading {temp}"
            try:
                conn.sftp.putfo(io.BytesIO(content), temp, file_size=len(content), confirm=True)
                doing = f"renaming {temp} to {final}"
                _replace(conn.sftp, temp, final)
            except Exception as exc:
                failure = conn.failure(exc, doing)
                if not conn.broken(exc):
                    with contextlib.suppress(Exception):
                        conn.sftp.remove(temp)
                raise failure from exc
            return Sent(f"outbound {outbound_id}: {len(content)} bytes to sftp://{conn.where}{final}")


def _replace(sftp: paramiko.SFTPClient, temp: str, final: str) -> None:
    """Rename ``temp`` to ``final``, replacing an older ``final``."""
    try:
        sftp.posix_rename(temp, final)
        return
    except OSError as exc:
        if exc.errno is not None or "unsupported" not in str(exc).lower():
            raise
    with contextlib.suppress(FileNotFoundError):
        sftp.remove(final)  # a plain SFTP rename refuses an existing target
    sftp.rename(temp, final)
