"""Opens an SFTP session to a partner's server: pinned host key, then key or password login.

The server's host key must have the SHA256 fingerprint the profile pins (as ``ssh-keygen -lf``
prints it). A server usually holds several host keys and the handshake shows only one, so when
the first one is not the pinned one the other key types are asked for, one handshake each;
none matching is a mismatch, which is never retried. Every failure becomes a
``TransportError`` naming the server and what went wrong.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import paramiko

from gateway.config import partners_dir
from gateway.errors import TransportError
from partners import SftpServer

# Host key algorithms by key type: pinning one key means asking for its type.
_KEY_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("ssh-ed25519",),
    ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"),
    ("rsa-sha2-512", "rsa-sha2-256"),
)
_RSA_KEY_NAME = "ssh-rsa"  # what paramiko calls an RSA key, whichever signature was negotiated


def remote_path(folder: str, name: str) -> str:
    """``name`` inside ``folder`` on the server; ``name`` is one path component."""
    return f"{folder.rstrip('/')}/{name}" if folder.rstrip("/") else f"/{name}"


def where(server: SftpServer) -> str:
    return f"{server.username}@{server.host}:{server.port}"


@dataclass(slots=True)
class SftpConnection:
    """A logged-in SFTP session; close it (or use ``with``) when done."""

    server: SftpServer
    transport: paramiko.Transport
    sftp: paramiko.SFTPClient

    @property
    def where(self) -> str:
        return where(self.server)

    def broken(self, exc: BaseException) -> bool:
        """True when ``exc`` means the connection is gone, not that one file operation failed."""
        lost = (EOFError, paramiko.SSHException, ConnectionError, TimeoutError)
        return isinstance(exc, lost) or not self.transport.is_active()

    def failure(self, exc: BaseException, doing: str) -> TransportError:
        """``exc``, raised while ``doing`` something, as a TransportError that says which failure it was."""
        if isinstance(exc, TransportError):
            return exc
        if isinstance(exc, TimeoutError):
            seconds = self.server.timeout_seconds
            return TransportError(f"{self.where}: no answer within {seconds:g} s while {doing}")
        if self.broken(exc):
            return TransportError(f"{self.where}: connection lost while {doing} ({_describe(exc)})")
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            return TransportError(f"{self.where}: no such file or folder while {doing} (vanished?)")
        if isinstance(exc, OSError) and exc.errno == errno.EACCES:
            return TransportError(f"{self.where}: permission denied while {doing}", retryable=False)
        return TransportError(f"{self.where}: {doing} failed: {_describe(exc)}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sftp.close()
        self.transport.close()

    def __enter__(self) -> SftpConnection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


Connect = Callable[[SftpServer], SftpConnection]


def open_sftp(server: SftpServer, *, base_dir: Path | None = None) -> SftpConnection:
    """Connect, check the host key, log in and start SFTP; ``base_dir`` anchors a relative key_file."""
    credentials = _credentials(server, base_dir or partners_dir())
    transport = _pinned_transport(server)
    try:
        _login(transport, server, *credentials)
        try:
            sftp = paramiko.SFTPClient.from_transport(transport)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise TransportError(f"{where(server)}: the server refused SFTP ({_describe(exc)})") from exc
        if sftp is None:
            raise TransportError(f"{where(server)}: the server refused SFTP")
        channel = sftp.get_channel()
        if channel is not None:
            channel.settimeout(server.timeout_seconds)
        return SftpConnection(server, transport, sftp)
    except BaseException:
        transport.close()
        raise


def host_key_sha256(key: paramiko.PKey) -> str:
    """``SHA256:...`` without padding, as OpenSSH prints it."""
    return str(key.fingerprint)


def _same_fingerprint(pinned: str, got: str) -> bool:
    return pinned.rstrip("=") == got.rstrip("=")


def _pinned_transport(server: SftpServer) -> paramiko.Transport:
    """A transport whose server proved it holds the pinned host key."""
    transport = _handshake(server, None)
    key = transport.get_remote_server_key()
    if _same_fingerprint(server.host_key_sha256, host_key_sha256(key)):
        return transport
    transport.close()
    offered = [f"{key.get_name()} {host_key_sha256(key)}"]
    for family in _KEY_FAMILIES:
        if key.get_name() in family or (key.get_name() == _RSA_KEY_NAME and family == _KEY_FAMILIES[-1]):
            continue
        try:
            transport = _handshake(server, family)
        except TransportError:
            continue  # the server holds no key of this type
        other = transport.get_remote_server_key()
        if _same_fingerprint(server.host_key_sha256, host_key_sha256(other)):
            return transport
        transport.close()
        offered.append(f"{other.get_name()} {host_key_sha256(other)}")
    raise TransportError(
        f"{where(server)}: host key mismatch: expected {server.host_key_sha256}, "
        f"the server has {', '.join(offered)}; if the partner changed its key, pin the new one "
        "in the profile after checking it with them",
        retryable=False,
    )


def _handshake(server: SftpServer, key_types: tuple[str, ...] | None) -> paramiko.Transport:
    address = f"{server.host}:{server.port}"
    try:
        sock = socket.create_connection((server.host, server.port), timeout=server.timeout_seconds)
    except ConnectionRefusedError as exc:
        raise TransportError(f"{address}: connection refused (is the SFTP server up?)") from exc
    except TimeoutError as exc:
        raise TransportError(f"{address}: no answer within {server.timeout_seconds:g} s") from exc
    except socket.gaierror as exc:
        raise TransportError(f"{server.host}: cannot resolve the host name ({exc.strerror})") from exc
    except OSError as exc:
        raise TransportError(f"{address}: cannot connect ({_describe(exc)})") from exc
    # SFTP is request and reply: without this, Nagle and delayed ACKs stall many replies by milliseconds.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transport = paramiko.Transport(sock)
    transport.banner_timeout = transport.handshake_timeout = server.timeout_seconds
    if key_types is not None:
        transport.get_security_options().key_types = key_types
    try:
        transport.start_client(timeout=server.timeout_seconds)
    except (paramiko.SSHException, EOFError, OSError) as exc:
        transport.close()
        raise TransportError(f"{address}: SSH handshake failed ({_describe(exc)})") from exc
    return transport


def _credentials(server: SftpServer, base_dir: Path) -> tuple[paramiko.PKey | None, str | None]:
    """The private key and the password the profile names; a missing one is a configuration error."""
    password = None
    if server.password_env:
        password = os.environ.get(server.password_env)
        if not password:
            raise TransportError(
                f"{where(server)}: environment variable {server.password_env} (the password) is not set",
                retryable=False,
            )
    if not server.key_file:
        return None, password
    path = Path(server.key_file).expanduser()
    path = path if path.is_absolute() else base_dir / path
    passphrase = os.environ.get(server.key_passphrase_env) if server.key_passphrase_env else None
    try:
        # paramiko hands the passphrase to cryptography, which takes bytes only.
        return paramiko.PKey.from_path(path, passphrase.encode() if passphrase else None), password  # type: ignore[arg-type]
    except FileNotFoundError as exc:
        raise TransportError(f"{where(server)}: key file {path} not found", retryable=False) from exc
    except (TypeError, paramiko.PasswordRequiredException) as exc:  # encrypted, and no passphrase given
        raise TransportError(
            f"{where(server)}: key file {path} is encrypted: name its passphrase with key_passphrase_env",
            retryable=False,
        ) from exc
    except (paramiko.SSHException, OSError, ValueError) as exc:
        why = "wrong passphrase, or not a private key" if passphrase else _describe(exc)
        raise TransportError(
            f"{where(server)}: cannot read key file {path} ({why})", retryable=False
        ) from exc


def _login(
    transport: paramiko.Transport, server: SftpServer, key: paramiko.PKey | None, password: str | None
) -> None:
    """Log in by key, else (or when the key is refused) by password."""
    tried = []
    try:
        if key is not None:
            tried.append(f"key {key.get_name()} {host_key_sha256(key)}")
            try:
                transport.auth_publickey(server.username, key)
                return
            except paramiko.AuthenticationException:
                if password is None:
                    raise
        if password is not None:
            tried.append("password")
            transport.auth_password(server.username, password)
    except paramiko.BadAuthenticationType as exc:
        allowed = ", ".join(exc.allowed_types) or "nothing"
        raise TransportError(
            f"{where(server)}: login refused: the server does not accept {' or '.join(tried)} "
            f"(it allows {allowed})",
            retryable=False,
        ) from exc
    except paramiko.AuthenticationException as exc:
        raise TransportError(
            f"{where(server)}: login refused for {server.username} ({' then '.join(tried)})", retryable=False
        ) from exc
    except (paramiko.SSHException, EOFError, OSError) as exc:
        raise TransportError(f"{where(server)}: connection lost during login ({_describe(exc)})") from exc


def _describe(exc: BaseException) -> str:
    text = str(exc) if not isinstance(exc, OSError) or not exc.strerror else exc.strerror
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
