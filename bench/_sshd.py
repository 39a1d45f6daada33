"""A real OpenSSH sshd on 127.0.0.1, SFTP only, one chroot per user: for the tests and the SFTP bench.

Needs root (chroots, OS users). Everything lives in a fresh folder under ``/var/lib``: sshd
refuses a chroot with any group- or world-writable component, which rules out ``/tmp``. The
OS users (``gwtest-*``) are created once with ``useradd`` and left in place, so concurrent
runs never pull a user from under each other; every user gets the same known password.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko

from bench._server_process import ServerProcess

SSHD = Path("/usr/sbin/sshd")
PASSWORD = "gwtest-Pw-7d3f"
REMOTE_USER = "gwtest-remote"  # our login on a partner's server: we pull from and push to it
DROP_USER = "gwtest-acme"  # a partner that uploads into our drop inbox
_PARENT = Path("/var/lib/gateway-test-sshd")
_PRIVSEP_DIR = Path("/run/sshd")
CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {home}/ssh_host_ed25519_key
HostKey {home}/ssh_host_ecdsa_key
PidFile none
UsePAM no
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
AuthorizedKeysFile {home}/authorized_keys/%u
StrictModes no
AllowUsers {users}
MaxStartups 50:30:100
LogLevel VERBOSE
Subsystem sftp internal-sftp
Match User {users_csv}
    ChrootDirectory {home}/chroot/%u
    ForceCommand internal-sftp
    AllowTcpForwarding no
    X11Forwarding no
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_user(name: str) -> pwd.struct_passwd:
    """The OS user ``name``, created if missing (SFTP only: no home, no shell), with ``PASSWORD``.

    One run at a time (parallel test processes start their servers at once): useradd and
    chpasswd each lock /etc/passwd and /etc/shadow and give up after a while when another holds it.
    """
    _PARENT.mkdir(mode=0o755, exist_ok=True)
    with (_PARENT / ".users.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_user(name)


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/",
             "--shell", "/usr/sbin/nologin", name],
            capture_output=True, text=True,
        )  # fmt: skip
        try:
            entry = pwd.getpwnam(name)  # a run racing this one may have made it
        except KeyError:
            raise RuntimeError(f"cannot create the OS user {name}: {made.stderr.strip()}") from None
    # A set password also unlocks the account, which sshd requires even for key logins.
    subprocess.run(["chpasswd"], input=f"{name}:{PASSWORD}\n".encode(), check=True, capture_output=True)
    return entry


def _keygen(path: Path, kind: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", path.name, "-f", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip


def fingerprint(public_key: Path) -> str:
    """``SHA256:...`` as ``ssh-keygen -lf`` prints it."""
    out = subprocess.run(["ssh-keygen", "-lf", str(public_key)], check=True, capture_output=True, text=True)
    return out.stdout.split()[1]


class Sshd(ServerProcess):
    """One sshd with chrooted SFTP users; each user's chroot holds folders it owns."""

    def __init__(self, users: dict[str, tuple[str, ...]] | None = None) -> None:
        """``users`` maps each user to the folders made (owned by it) inside its chroot."""
        if os.geteuid() != 0:
            raise RuntimeError("the sshd harness needs root (chroots and OS users); CI runs as root")
        if not SSHD.exists():
            raise RuntimeError(f"{SSHD} is missing: scripts/system-packages.sh installs openssh-server")
        self.users = users or {REMOTE_USER: ("outbox", "inbox", "archive"), DROP_USER: ("inbox",)}
        _PARENT.mkdir(mode=0o755, exist_ok=True)
        _PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="sshd-", dir=_PARENT))
        self.home.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.home / "sshd.log"
        for kind in ("ed25519", "ecdsa"):
            _keygen(self.home / f"ssh_host_{kind}_key", kind)
        self.client_key = self.home / "client_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gateway-test", "-f", str(self.client_key)],
            check=True, capture_output=True,
        )  # fmt: skip
        authorized = self.home / "authorized_keys"
        authorized.mkdir(mode=0o755)
        public = self.client_key.with_suffix(".pub").read_text()
        for user, folders in self.users.items():
            entry = ensure_user(user)
            (authorized / user).write_text(public)
            root = self.chroot(user)
            root.mkdir(mode=0o755, parents=True)
            for folder in folders:
                (root / folder).mkdir(mode=0o755)
                os.chown(root / folder, entry.pw_uid, entry.pw_gid)
        names = sorted(self.users)
        (self.home / "sshd_config").write_text(
            CONFIG.format(port=self.port, home=self.home, users=" ".join(names), users_csv=",".join(names))
        )

    def chroot(self, user: str) -> Path:
        """The folder ``user`` sees as ``/``."""
        return self.home / "chroot" / user

    def host_key_sha256(self, kind: str = "ed25519") -> str:
        return fingerprint(self.home / f"ssh_host_{kind}_key.pub")

    def start(self) -> Sshd:
        config = str(self.home / "sshd_config")
        check = subprocess.run([str(SSHD), "-t", "-f", config], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"sshd refused its config: {check.stderr.strip()}")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SSHD), "-f", config, "-D", "-e"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 600  # only ends a hung start; a server that exits fails at once
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"sshd did not start on port {self.port}: {self.log.read_text()[-2000:]}")

    def sessions(self) -> list[int]:
        """Process ids of the sshd children serving connections (not the listener itself)."""
        if self.process is None:
            return []
        found: list[int] = []
        frontier = [self.process.pid]
        while frontier:
            pid = frontier.pop()
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    children = (task / "children").read_text().split()
                    found.extend(int(c) for c in children)
                    frontier.extend(int(c) for c in children)
        return found

    def kill_sessions(self) -> int:
        """SIGKILL every connection's processes, as a crash of the server side would; returns how many."""
        pids = self.sessions()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    @contextlib.contextmanager
    def client(self, user: str, *, password: bool = False) -> Iterator[paramiko.SFTPClient]:
        """A plain paramiko SFTP session as ``user`` (by key, or password), for putting files in place."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as gateway.transports connects
        transport = paramiko.Transport(sock)
        try:
            transport.connect()
            if password:
                transport.auth_password(user, PASSWORD)
            else:
                transport.auth_publickey(user, paramiko.PKey.from_path(self.client_key))
            sftp = paramiko.SFTPClient.from_transport(transport)
            assert sftp is not None
            yield sftp
        finally:
            transport.close()
