"""SFTP in both directions against a real OpenSSH sshd on 127.0.0.1: pull, drop inbox and push.

One sshd serves the module; each test starts from empty folders. ``gwtest-remote`` plays
the partner's server (we pull from /outbox, push to /inbox); ``gwtest-acme`` is a partner
uploading into our drop inbox. The store is a fresh SQLite database per test.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.errors import TransportError
from gateway.inbound.pipeline import Pipeline
from gateway.outbound.dispatch import send_due
from gateway.outbound.transport_status import status_rows
from gateway.transports._sftp_connect import SftpConnection
from gateway.transports._sftp_connect import open_sftp
from gateway.transports.drop_inbox import CLAIM_DIR
from gateway.transports.drop_inbox import DropWatcher
from gateway.transports.sftp_pull import SftpPuller
from gateway.transports.sftp_push import SftpSender
from partners import Delivery
from partners import DropInbox
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import SftpPull
from partners import SftpPush
from partners import SftpServer
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.servers.sshd import DROP_USER
from tests.servers.sshd import PASSWORD
from tests.servers.sshd import REMOTE_USER
from tests.servers.sshd import Sshd
from tests.servers.sshd import start_sshd

EDI = sorted(INBOX.glob("*.edi"))
HOSTILE = [
    "..\\..\\etc\\passwd.edi",
    "x" * 251 + ".edi",
    "zamówienie-注文-🧾.edi",
    "-rf .edi",
    "line\nbreak\tand\x1bescape.edi",
    "...",
]


@pytest.fixture(scope="module")
def sshd_server() -> Iterator[Sshd]:
    server = start_sshd()
    yield server
    server.remove()


@pytest.fixture
def sshd(sshd_server: Sshd) -> Sshd:
    """The module's server with every user's folders emptied."""
    for user, folders in sshd_server.users.items():
        for folder in folders:
            for child in (sshd_server.chroot(user) / folder).iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    return sshd_server


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def acme(**update: Any) -> PartnerProfile:
    profile = PartnerRegistry.from_directory().get("acme")
    assert profile is not None
    return profile.model_copy(update=update)


def login(sshd: Sshd, **settings: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "host": "127.0.0.1", "port": sshd.port, "username": REMOTE_USER, "key_file": str(sshd.client_key),
        "host_key_sha256": sshd.host_key_sha256(), "timeout_seconds": 10,
    }  # fmt: skip
    values.update(settings)
    return values


def pull_profile(sshd: Sshd, **settings: Any) -> PartnerProfile:
    return acme(
        sftp_pull=SftpPull(**login(sshd, **{"remote_dir": "/outbox", "stable_seconds": 0, **settings}))
    )


def puller(
    sshd: Sshd, pipeline: Pipeline, monotonic: Callable[[], float] | None = None, **settings: Any
) -> SftpPuller:
    extra: dict[str, Any] = {"monotonic": monotonic} if monotonic else {}
    return SftpPuller(pull_profile(sshd, **settings), pipeline, clock=lambda: FIXED_NOW, **extra)


def put(sshd: Sshd, files: dict[str, bytes], folder: str = "/outbox", user: str = REMOTE_USER) -> None:
    with sshd.client(user) as sftp:
        for name, content in files.items():
            sftp.putfo(io.BytesIO(content), f"{folder}/{name}")


def remote(sshd: Sshd, folder: str = "outbox", user: str = REMOTE_USER) -> dict[str, bytes]:
    base = sshd.chroot(user) / folder
    return {p.name: p.read_bytes() for p in base.iterdir() if p.is_file() and not p.is_symlink()}


def stored(sessions: sessionmaker[Session]) -> list[tuple[str | None, bytes, str]]:
    """(filename, bytes, channel) of every stored document."""
    with sessions() as session:
        documents = session.scalars(select(storage.Document).order_by(storage.Document.id)).all()
        return [(d.filename, storage.document_bytes(session, d.id), d.channel) for d in documents]


def count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(storage.Document)) or 0)


def sample_files() -> dict[str, bytes]:
    files = {path.name: path.read_bytes() for path in EDI[:3]}
    files["order.pdf"] = b"%PDF-1.4 not really a pdf\n" + os.urandom(2000)
    return files


# --- pull ---------------------------------------------------------------------------------


def test_pull_by_key_stores_every_file_then_deletes_it(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    files = sample_files()
    put(sshd, files)
    report = puller(sshd, pipeline).poll_once()
    assert sorted(t.name for t in report.taken) == sorted(files) and report.new_documents == len(files)
    assert remote(sshd) == {}
    assert sorted((name, raw) for name, raw, _ in stored(sessions)) == sorted(files.items())
    assert {channel for _, _, channel in stored(sessions)} == {"sftp"}
    again = puller(sshd, pipeline).poll_once()
    assert again.taken == [] and str(again) == "0 files taken, 0 new documents"


def test_pull_by_password_moves_each_file_after_the_store(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GWTEST_SFTP_PASSWORD", PASSWORD)
    files = sample_files()
    put(sshd, files)
    put(sshd, {"order.pdf": b"an older copy, replaced by the move"}, folder="/archive")
    poller = puller(
        sshd, pipeline, key_file=None, password_env="GWTEST_SFTP_PASSWORD", after="move", move_to="/archive"
    )
    assert poller.poll_once().new_documents == len(files)
    assert remote(sshd) == {} and remote(sshd, "archive") == files
    assert count(sessions) == len(files)


def test_a_wrong_pinned_host_key_is_refused_before_logging_in(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    put(sshd, {"a.edi": EDI[0].read_bytes()})
    wrong = "SHA256:" + "A" * 43
    with pytest.raises(TransportError) as refused:
        puller(sshd, pipeline, host_key_sha256=wrong).poll_once()
    message = str(refused.value)
    assert not refused.value.retryable and "host key mismatch" in message and f"expected {wrong}" in message
    assert sshd.host_key_sha256("ed25519") in message and sshd.host_key_sha256("ecdsa") in message
    assert count(sessions) == 0 and list(remote(sshd)) == ["a.edi"]
    # The server's other key (not the one a handshake shows first) is found and accepted.
    assert (
        puller(sshd, pipeline, host_key_sha256=sshd.host_key_sha256("ecdsa")).poll_once().new_documents == 1
    )


def test_each_failure_says_what_went_wrong(
    sshd: Sshd, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def failure(**settings: Any) -> TransportError:
        with pytest.raises(TransportError) as raised:
            puller(sshd, pipeline, **settings).poll_once()
        return raised.value

    monkeypatch.setenv("GWTEST_WRONG_PASSWORD", "not-the-password")
    wrong = failure(key_file=None, password_env="GWTEST_WRONG_PASSWORD")
    assert "login refused for gwtest-remote (password)" in str(wrong) and not wrong.retryable
    unset = failure(key_file=None, password_env="GWTEST_UNSET_VARIABLE")
    assert "GWTEST_UNSET_VARIABLE (the password) is not set" in str(unset) and not unset.retryable
    other_key = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    assert "login refused for gwtest-remote (key ssh-ed25519" in str(failure(key_file=str(other_key)))
    assert "not found" in str(failure(key_file=str(tmp_path / "missing")))
    with socket_closed() as port:
        refused = failure(port=port)
    assert "connection refused" in str(refused) and refused.retryable
    missing = failure(remote_dir="/no-such-folder")
    assert "no such file or folder while listing /no-such-folder" in str(missing)


@contextlib.contextmanager
def socket_closed() -> Iterator[int]:
    """A loopback port that is bound but not listening: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield int(probe.getsockname()[1])


def test_an_encrypted_key_is_opened_with_the_passphrase_its_profile_names(
    sshd: Sshd, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = tmp_path / "encrypted"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "open sesame", "-f", str(key)], check=True)
    with (sshd.home / "authorized_keys" / REMOTE_USER).open("a") as authorized:
        authorized.write(key.with_suffix(".pub").read_text())
    put(sshd, {"a.edi": EDI[0].read_bytes()})
    with pytest.raises(TransportError, match="is encrypted: name its passphrase with key_passphrase_env"):
        puller(sshd, pipeline, key_file=str(key)).poll_once()
    monkeypatch.setenv("GWTEST_KEY_PASSPHRASE", "not it")
    poller = puller(sshd, pipeline, key_file=str(key), key_passphrase_env="GWTEST_KEY_PASSPHRASE")
    with pytest.raises(TransportError, match="wrong passphrase"):
        poller.poll_once()
    monkeypatch.setenv("GWTEST_KEY_PASSPHRASE", "open sesame")
    assert poller.poll_once().new_documents == 1


def test_a_file_still_being_written_waits_until_it_is_stable(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    ticker = Ticker()
    poller = puller(sshd, pipeline, monotonic=ticker, stable_seconds=10)
    with sshd.client(REMOTE_USER) as sftp:
        growing = sftp.open("/outbox/big.edi", "wb")
        growing.write(b"ISA*00*" + b"x" * 5000)
        growing.flush()
        sftp.putfo(io.BytesIO(b"half an upload"), "/outbox/next.edi.part")
        first = poller.poll_once()
        ticker.now += 5
        growing.write(b"y" * 5000)
        growing.flush()
        second = poller.poll_once()
        growing.close()
    ticker.now += 9
    third = poller.poll_once()  # unchanged for 9 s: not yet
    ticker.now += 1
    fourth = poller.poll_once()
    assert [r.waiting for r in (first, second, third)] == [["big.edi"]] * 3
    assert [len(r.taken) for r in (first, second, third, fourth)] == [0, 0, 0, 1]
    assert [(name, len(raw)) for name, raw, _ in stored(sessions)] == [("big.edi", 10_007)]
    assert list(remote(sshd)) == ["next.edi.part"]  # ignored, however long it sits


# paramiko's prefetch thread dies on the closed socket and says so (paramiko/paramiko#2379).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_connection_killed_mid_transfer_loses_and_duplicates_nothing(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    files = {"a.edi": EDI[0].read_bytes(), "b-big.pdf": os.urandom(8 << 20), "c.edi": EDI[1].read_bytes()}
    put(sshd, files)
    killed: list[int] = []

    def killing_connect(server: SftpServer) -> SftpConnection:
        connection = open_sftp(server)
        real_getfo = connection.sftp.getfo

        def getfo(path: str, target: Any, **options: Any) -> int:
            def progress(done: int, total: int) -> None:
                if total > 1 << 20 and not killed:
                    killed.append(sshd.kill_sessions())  # the server side dies under the read

            return real_getfo(path, target, callback=progress, **options)

        connection.sftp.getfo = getfo  # type: ignore[method-assign,assignment]  # a test double in paramiko's place
        return connection

    poller = SftpPuller(pull_profile(sshd), pipeline, clock=lambda: FIXED_NOW, connect=killing_connect)
    with pytest.raises(TransportError, match=r"connection lost while downloading /outbox/b-big\.pdf") as lost:
        poller.poll_once()
    assert killed and killed[0] > 0 and lost.value.retryable
    assert [name for name, _, _ in stored(sessions)] == ["a.edi"]  # nothing partial was stored
    assert sorted(remote(sshd)) == ["b-big.pdf", "c.edi"]
    report = puller(sshd, pipeline).poll_once()
    assert sorted(t.name for t in report.taken) == ["b-big.pdf", "c.edi"] and report.duplicates == 0
    assert sorted((name, raw) for name, raw, _ in stored(sessions)) == sorted(files.items())
    assert remote(sshd) == {}


def test_a_gateway_killed_between_store_and_delete_fetches_a_duplicate_next_time(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    files = {"1.edi": EDI[0].read_bytes(), "2.edi": EDI[1].read_bytes()}
    put(sshd, files)
    profile = pull_profile(sshd)
    worker = subprocess.run(
        [sys.executable, "-m", "tests.workers.sftp_worker", f"sqlite:///{tmp_path / 'gateway.db'}", profile.model_dump_json()],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert worker.returncode == -9, worker.stderr
    assert [name for name, _, _ in stored(sessions)] == ["1.edi"]  # stored, and still on the server
    assert remote(sshd) == files
    report = puller(sshd, pipeline).poll_once()
    assert [(t.name, t.outcome.duplicate) for t in report.taken] == [("1.edi", True), ("2.edi", False)]
    assert remote(sshd) == {} and count(sessions) == len(files)


def test_hostile_remote_names_are_stored_under_safe_names(
    sshd: Sshd,
    pipeline: Pipeline,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    files = {name: f"order {n}\n".encode() for n, name in enumerate(HOSTILE)}
    put(sshd, files)
    report = puller(sshd, pipeline, ignore=[]).poll_once()
    assert report.new_documents == len(files) and report.problems == [] and remote(sshd) == {}
    names = [name for name, _, _ in stored(sessions)]
    assert all(
        n is None or ("/" not in n and "\\" not in n and n.isprintable() and len(n) <= 255) for n in names
    )
    assert "zamówienie-注文-_.edi" in names
    assert list(cwd.iterdir()) == []  # nothing was written locally under any of those names


# --- drop inbox ---------------------------------------------------------------------------


def drop_watcher(
    sshd: Sshd, pipeline: Pipeline, monotonic: Callable[[], float] | None = None, **settings: Any
) -> DropWatcher:
    inbox = DropInbox(path=str(sshd.chroot(DROP_USER) / "inbox"), **{"stable_seconds": 0, **settings})
    extra: dict[str, Any] = {"monotonic": monotonic} if monotonic else {}
    return DropWatcher(acme(drop=inbox), pipeline, clock=lambda: FIXED_NOW, **extra)


def test_a_partner_upload_into_its_chroot_is_stored_then_removed(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    files = sample_files()
    with sshd.client(DROP_USER, password=True) as sftp:
        assert sftp.listdir("/") == ["inbox"]  # the chroot is all the partner sees
        with pytest.raises(PermissionError):
            sftp.putfo(io.BytesIO(b"outside"), "/escape.edi")
        for name, content in files.items():
            sftp.putfo(io.BytesIO(content), f"/inbox/{name}.part")
            sftp.posix_rename(f"/inbox/{name}.part", f"/inbox/{name}")
    report = drop_watcher(sshd, pipeline).poll_once()
    assert report.new_documents == len(files) and report.problems == []
    assert sorted((name, raw) for name, raw, _ in stored(sessions)) == sorted(files.items())
    assert {channel for _, _, channel in stored(sessions)} == {"drop"}
    inbox = sshd.chroot(DROP_USER) / "inbox"
    assert [p.name for p in inbox.iterdir()] == [CLAIM_DIR] and list((inbox / CLAIM_DIR).iterdir()) == []
    assert (inbox / CLAIM_DIR).stat().st_mode & 0o777 == 0o700
    with sshd.client(DROP_USER) as sftp, pytest.raises(PermissionError):
        sftp.listdir(f"/inbox/{CLAIM_DIR}")  # the partner cannot reach what we claimed


def test_a_drop_file_being_written_waits_and_hostile_names_are_safe(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    ticker = Ticker()
    watcher = drop_watcher(sshd, pipeline, monotonic=ticker, stable_seconds=5, ignore=[])
    files = {name: f"drop {n}\n".encode() for n, name in enumerate(HOSTILE)}
    put(sshd, files, folder="/inbox", user=DROP_USER)
    inbox = sshd.chroot(DROP_USER) / "inbox"
    (inbox / os.fsdecode(b"latin-1-\xe9.edi")).write_bytes(b"not utf-8 named\n")  # as a client could send it
    first = watcher.poll_once()
    ticker.now += 5
    second = watcher.poll_once()
    assert first.taken == [] and len(first.waiting) == len(files) + 1
    assert second.new_documents == len(files) + 1 and second.problems == []
    names = [name for name, _, _ in stored(sessions)]
    assert all(n is None or ("/" not in n and "\\" not in n and n.isprintable()) for n in names)
    assert sorted(p.name for p in inbox.iterdir()) == [CLAIM_DIR]


def test_symlinks_and_fifos_in_the_inbox_are_refused_and_recorded(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    inbox = sshd.chroot(DROP_USER) / "inbox"
    with sshd.client(DROP_USER) as sftp:
        sftp.symlink(
            "/etc/passwd", "/inbox/passwd.edi"
        )  # resolved outside the chroot by us, were we to follow it
    os.mkfifo(inbox / "pipe.edi")
    put(sshd, {"real.edi": EDI[0].read_bytes()}, folder="/inbox", user=DROP_USER)
    report = drop_watcher(sshd, pipeline).poll_once()
    assert [t.name for t in report.taken] == ["real.edi"]
    assert any("refused a symlink 'passwd.edi'" in p for p in report.problems)
    assert any("refused a FIFO 'pipe.edi'" in p for p in report.problems)
    assert (inbox / "passwd.edi").is_symlink() and (inbox / "pipe.edi").exists()
    assert [name for name, _, _ in stored(sessions)] == ["real.edi"]
    with sessions() as session:
        status = session.get(storage.TransportStatus, ("acme", "drop"))
        assert (
            status is not None and status.failures_in_a_row == 2 and "pipe.edi" in (status.last_error or "")
        )


def test_a_crash_after_claiming_is_resumed_by_the_next_poll(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    watcher = drop_watcher(sshd, pipeline)
    watcher.poll_once()  # makes the claim folder
    claimed = sshd.chroot(DROP_USER) / "inbox" / CLAIM_DIR
    (claimed / "claimed-not-stored.edi").write_bytes(EDI[0].read_bytes())
    already = EDI[1].read_bytes()
    pipeline.ingest_stream(io.BytesIO(already), channel="drop", filename="stored-not-removed.edi")
    (claimed / "stored-not-removed.edi").write_bytes(already)
    report = watcher.poll_once()
    assert sorted((t.name, t.outcome.duplicate) for t in report.taken) == [
        ("claimed-not-stored.edi", False),
        ("stored-not-removed.edi", True),
    ]
    assert list(claimed.iterdir()) == [] and count(sessions) == 2
    # A symlink that got claimed (swapped in just before the rename) goes back, refused.
    (claimed / "swapped.edi").symlink_to("/etc/passwd")
    refused = watcher.poll_once()
    assert refused.taken == [] and refused.problems == [
        f"refused a symlink 'swapped.edi' in {claimed.parent}: put back and left alone",
        f"refused a symlink 'swapped.edi' in {claimed.parent}: left alone",
    ]
    assert (claimed.parent / "swapped.edi").is_symlink() and list(claimed.iterdir()) == []


def test_a_claim_folder_planted_by_the_partner_stops_the_watcher(sshd: Sshd, pipeline: Pipeline) -> None:
    with sshd.client(DROP_USER) as sftp:
        sftp.symlink("/etc", f"/inbox/{CLAIM_DIR}")
    with pytest.raises(TransportError, match="is not a folder") as planted:
        drop_watcher(sshd, pipeline).poll_once()
    assert not planted.value.retryable
    (sshd.chroot(DROP_USER) / "inbox" / CLAIM_DIR).unlink()
    with sshd.client(DROP_USER) as sftp:
        sftp.mkdir(f"/inbox/{CLAIM_DIR}")
    with pytest.raises(TransportError, match="is not the gateway's private folder"):
        drop_watcher(sshd, pipeline).poll_once()


# --- uploads that pause ------------------------------------------------------------------

ORDER_CSV = b"po,line,sku,qty,price\n" + b"".join(
    b"PO-9001,%d,SKU-%04d,%d,%d.50\n" % (n, n * 7, n, n) for n in range(1, 40)
)
STABLE = 2.0


class PausingUpload:
    """A partner's client uploading over real SFTP in a thread: half the bytes, a pause, the rest, close.

    ``paused`` is set once the first half is on disk; the upload goes on when ``resume`` is set,
    and ``done`` is set once the file is closed (the server has closed its handle).
    """

    def __init__(self, sshd: Sshd, user: str, path: str, content: bytes, cut: int) -> None:
        self.paused, self.resume, self.done = threading.Event(), threading.Event(), threading.Event()
        self.failure: BaseException | None = None
        self._thread = threading.Thread(
            target=self._upload, args=(sshd, user, path, content, cut), daemon=True
        )

    def _upload(self, sshd: Sshd, user: str, path: str, content: bytes, cut: int) -> None:
        try:
            with sshd.client(user) as sftp:
                upload = sftp.open(path, "wb")
                upload.write(content[:cut])
                upload.flush()
                self.paused.set()
                if not self.resume.wait(timeout=600):  # only ends a hung run
                    raise TimeoutError("never told to resume")
                upload.write(content[cut:])
                upload.close()
        except BaseException as exc:  # reported by finish()
            self.failure = exc
        finally:
            self.paused.set()
            self.done.set()

    def __enter__(self) -> PausingUpload:
        self._thread.start()
        assert self.paused.wait(timeout=600) and self.failure is None, self.failure  # a ceiling only
        return self

    def finish(self) -> None:
        """Let the upload go on, and wait until its file is closed."""
        self.resume.set()
        assert self.done.wait(timeout=600) and self.failure is None, self.failure

    def __exit__(self, *exc: object) -> None:
        self.resume.set()
        self._thread.join(timeout=600)


def test_a_drop_upload_that_pauses_is_taken_only_once_its_writer_closes_it(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    """Issue 14: 566 of 1,154 bytes, a pause longer than stable_seconds, the rest: stored whole."""
    ticker = Ticker()
    watcher = drop_watcher(sshd, pipeline, monotonic=ticker, stable_seconds=STABLE)
    inbox = sshd.chroot(DROP_USER) / "inbox"
    with PausingUpload(sshd, DROP_USER, "/inbox/orders.csv", ORDER_CSV, 566) as upload:
        first = watcher.poll_once()
        ticker.now += 3 * STABLE  # the pause: unchanged three times longer than stable_seconds
        second = watcher.poll_once()
        assert (inbox / "orders.csv").stat().st_size == 566  # still the partner's, still half
        upload.finish()
    third = watcher.poll_once()  # closed: taken at once, without waiting stable_seconds again
    assert [r.waiting for r in (first, second)] == [["orders.csv"]] * 2
    assert [len(r.taken) for r in (first, second, third)] == [0, 0, 1]
    assert stored(sessions) == [("orders.csv", ORDER_CSV, "drop")]
    assert sorted(p.name for p in inbox.iterdir()) == [CLAIM_DIR] and not list((inbox / CLAIM_DIR).iterdir())


def test_a_drop_upload_already_there_when_the_watcher_starts_waits_for_its_writer(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    """No close event was seen: stable is not enough while a writer holds the file open."""
    ticker = Ticker()
    with PausingUpload(sshd, DROP_USER, "/inbox/orders.csv", ORDER_CSV, 566) as upload:
        watcher = drop_watcher(sshd, pipeline, monotonic=ticker, stable_seconds=STABLE)
        waiting = [watcher.poll_once()]
        for _ in range(3):
            ticker.now += STABLE
            waiting.append(watcher.poll_once())
        upload.finish()
    ticker.now += STABLE
    last = watcher.poll_once()
    assert all(r.taken == [] and r.waiting == ["orders.csv"] for r in waiting)
    assert [t.name for t in last.taken] == ["orders.csv"]
    assert stored(sessions) == [("orders.csv", ORDER_CSV, "drop")]


def test_an_upload_held_open_but_stalled_is_reported_and_never_taken(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    """A hung session keeps its file open: gateway status says so each poll; the file stays put."""
    ticker = Ticker()
    watcher = drop_watcher(sshd, pipeline, monotonic=ticker, stable_seconds=STABLE, stalled_seconds=60)
    with PausingUpload(sshd, DROP_USER, "/inbox/orders.csv", ORDER_CSV, 566) as upload:
        watcher.poll_once()
        ticker.now += 59
        early = watcher.poll_once()
        ticker.now += 1
        stalled = watcher.poll_once()
        upload.finish()
    after = watcher.poll_once()
    assert early.problems == [] and early.waiting == ["orders.csv"]
    [problem] = stalled.problems
    assert "'orders.csv'" in problem and "held open for writing by pid" in problem and "not taken" in problem
    assert stalled.taken == [] and stalled.waiting == ["orders.csv"]
    with sessions() as session:
        status = session.get(storage.TransportStatus, ("acme", "drop"))
        assert status is not None and status.last_error == problem
    assert [t.name for t in after.taken] == ["orders.csv"]
    assert stored(sessions) == [("orders.csv", ORDER_CSV, "drop")]


def test_without_cap_lease_the_watcher_says_it_cannot_see_writers_and_still_takes_closed_files(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    put(sshd, {"po.edi": EDI[0].read_bytes()}, folder="/inbox", user=DROP_USER)  # owned by the partner
    inbox = DropInbox(path=str(sshd.chroot(DROP_USER) / "inbox"), stable_seconds=0)
    worker = subprocess.run(
        ["setpriv", "--bounding-set=-lease", sys.executable, "-m", "tests.workers.drop_worker",
         f"sqlite:///{tmp_path / 'gateway.db'}", acme(drop=inbox).model_dump_json()],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr
    report = json.loads(worker.stdout)
    assert report["taken"] == ["po.edi"] and report["waiting"] == []
    [problem] = report["problems"]
    assert "cannot ask whether uploads in" in problem and "CAP_LEASE" in problem
    assert stored(sessions) == [("po.edi", EDI[0].read_bytes(), "drop")]
    with sessions() as session:
        status = session.get(storage.TransportStatus, ("acme", "drop"))
        assert status is not None and status.last_error == problem


def test_a_claimed_file_still_held_open_for_writing_is_not_stored(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    """A file claimed while its writer still had it open (its writer paused) waits in the claim folder."""
    ticker = Ticker()
    watcher = drop_watcher(sshd, pipeline, monotonic=ticker, stable_seconds=STABLE)
    watcher.poll_once()  # makes the claim folder
    claimed = sshd.chroot(DROP_USER) / "inbox" / CLAIM_DIR / "orders.csv"
    with claimed.open("wb") as writer:
        writer.write(ORDER_CSV[:566])
        writer.flush()
        waiting = [watcher.poll_once()]
        ticker.now += 3 * STABLE
        waiting.append(watcher.poll_once())
        writer.write(ORDER_CSV[566:])
    ticker.now += STABLE
    watcher.poll_once()
    ticker.now += STABLE
    last = watcher.poll_once()
    assert all(r.taken == [] and r.waiting == ["orders.csv"] for r in waiting)
    assert [t.name for t in last.taken] == ["orders.csv"] and not claimed.exists()
    assert stored(sessions) == [("orders.csv", ORDER_CSV, "drop")]


def pull_with_writer_resuming(
    sshd: Sshd, pipeline: Pipeline, upload: PausingUpload, ticker: Ticker, when: str
) -> SftpPuller:
    """A puller whose first download lets ``upload`` finish ``when`` "downloading" or "storing"."""

    def connect(server: SftpServer) -> SftpConnection:
        connection = open_sftp(server)
        real_getfo = connection.sftp.getfo

        def getfo(path: str, target: Any, **options: Any) -> int:
            def progress(done: int, total: int) -> None:
                if when == "downloading" and not upload.done.is_set():
                    upload.finish()  # the writer goes on under the read

            return real_getfo(path, target, callback=progress, **options)

        connection.sftp.getfo = getfo  # type: ignore[method-assign,assignment]  # a test double in paramiko's place
        return connection

    real_ingest = pipeline.ingest_stream

    def ingest_stream(source: Any, **options: Any) -> Any:
        if when == "storing" and not upload.done.is_set():
            upload.finish()  # the writer goes on after the download was checked
        return real_ingest(source, **options)

    pipeline.ingest_stream = ingest_stream  # type: ignore[method-assign]
    return SftpPuller(
        pull_profile(sshd, stable_seconds=STABLE),
        pipeline,
        clock=lambda: FIXED_NOW,
        connect=connect,
        monotonic=ticker,
    )


@pytest.mark.parametrize("when", ["downloading", "storing"])
def test_a_pulled_file_whose_writer_pauses_is_left_on_the_server_until_whole(
    sshd: Sshd, pipeline: Pipeline, sessions: sessionmaker[Session], when: str
) -> None:
    ticker = Ticker()
    with PausingUpload(sshd, REMOTE_USER, "/outbox/orders.csv", ORDER_CSV, 566) as upload:
        poller = pull_with_writer_resuming(sshd, pipeline, upload, ticker, when)
        first = poller.poll_once()
        ticker.now += 3 * STABLE  # paused three times longer than stable_seconds
        second = poller.poll_once()
        assert upload.done.is_set()
    assert first.waiting == ["orders.csv"]
    assert remote(sshd) == {"orders.csv": ORDER_CSV}  # left on the server, whole now
    [problem] = second.problems
    assert "/outbox/orders.csv" in problem and "left on the server" in problem
    with sessions() as session:
        status = session.get(storage.TransportStatus, ("acme", "sftp-pull"))
        assert status is not None and "/outbox/orders.csv" in (status.last_error or "")
    third = poller.poll_once()
    ticker.now += STABLE
    fourth = poller.poll_once()
    assert third.taken == [] and [t.name for t in fourth.taken] == ["orders.csv"]
    assert ("orders.csv", ORDER_CSV, "sftp") in stored(sessions) and remote(sshd) == {}


# --- push ---------------------------------------------------------------------------------


def push_profile(sshd: Sshd, **settings: Any) -> PartnerProfile:
    return acme(sftp_push=SftpPush(**login(sshd, **{"remote_dir": "/inbox", **settings})))


def test_push_uploads_under_a_temporary_name_then_renames(sshd: Sshd) -> None:
    seen_before_rename = []

    def watching_connect(server: SftpServer) -> SftpConnection:
        connection = open_sftp(server)
        real = connection.sftp.posix_rename

        def posix_rename(old: str, new: str) -> None:
            seen_before_rename.append(sorted(connection.sftp.listdir("/inbox")))
            real(old, new)

        connection.sftp.posix_rename = posix_rename  # type: ignore[method-assign,assignment]  # a test double in paramiko's place
        return connection

    profile = push_profile(sshd)
    sender = SftpSender(connect=watching_connect)
    sent = sender.send(content=b"ISA*first", filename="855-1.edi", profile=profile, outbound_id=7)
    assert sent.confirmed and "outbound 7: 9 bytes to sftp://gwtest-remote@127.0.0.1" in sent.detail
    assert seen_before_rename == [["855-1.edi.part"]]
    assert remote(sshd, "inbox") == {"855-1.edi": b"ISA*first"}
    sender.send(content=b"ISA*second", filename="855-1.edi", profile=profile, outbound_id=8)
    assert remote(sshd, "inbox") == {"855-1.edi": b"ISA*second"}  # a resend replaces the older file


def test_push_without_posix_rename_replaces_the_stale_target(sshd: Sshd) -> None:
    def old_server(server: SftpServer) -> SftpConnection:
        connection = open_sftp(server)

        def unsupported(old: str, new: str) -> None:
            raise OSError("Operation unsupported")

        connection.sftp.posix_rename = unsupported  # type: ignore[method-assign,assignment]  # a test double in paramiko's place
        return connection

    put(sshd, {"810-1.edi": b"stale"}, folder="/inbox")
    SftpSender(connect=old_server).send(
        content=b"fresh", filename="810-1.edi", profile=push_profile(sshd), outbound_id=1
    )
    assert remote(sshd, "inbox") == {"810-1.edi": b"fresh"}


def test_a_failed_rename_leaves_no_partial_file(sshd: Sshd) -> None:
    target = sshd.chroot(REMOTE_USER) / "inbox" / "856-1.edi"
    target.mkdir()  # the final name is taken by a folder: the rename must fail
    with pytest.raises(
        TransportError, match=r"renaming /inbox/856-1\.edi\.part to /inbox/856-1\.edi"
    ) as failed:
        SftpSender().send(content=b"ISA*x", filename="856-1.edi", profile=push_profile(sshd), outbound_id=3)
    assert failed.value.retryable
    assert [p.name for p in target.parent.iterdir()] == ["856-1.edi"] and target.is_dir()


def test_push_failures_that_repeating_cannot_cure_are_not_retryable(sshd: Sshd) -> None:
    sender = SftpSender()
    with pytest.raises(TransportError, match=r"permission denied while uploading /855\.edi\.part") as denied:
        sender.send(
            content=b"x", filename="855.edi", profile=push_profile(sshd, remote_dir="/"), outbound_id=1
        )
    assert not denied.value.retryable
    pinned = sshd.host_key_sha256("ecdsa")
    wrong = push_profile(sshd, host_key_sha256=pinned[:-1] + ("B" if pinned.endswith("A") else "A"))
    with pytest.raises(TransportError, match="host key mismatch") as mismatch:
        sender.send(content=b"x", filename="855.edi", profile=wrong, outbound_id=1)
    assert not mismatch.value.retryable
    with pytest.raises(TransportError, match="not a plain file name"):
        sender.send(content=b"x", filename="../855.edi", profile=push_profile(sshd), outbound_id=1)
    assert remote(sshd, "inbox") == {}


def test_paramiko_reports_the_fingerprint_ssh_keygen_prints(sshd: Sshd) -> None:
    key = paramiko.PKey.from_path(sshd.home / "ssh_host_ecdsa_key")
    assert key.fingerprint == sshd.host_key_sha256("ecdsa")


# --- round trip ---------------------------------------------------------------------------


def test_an_850_pulled_by_sftp_is_answered_by_sftp(
    sshd: Sshd, master_sessions: sessionmaker[Session]
) -> None:
    """Pull the PO, process it, and the dispatcher pushes its 997 and 855 to the partner."""
    pulled = pull_profile(sshd)
    profile = pulled.model_copy(
        update={"sftp_push": push_profile(sshd).sftp_push, "delivery": Delivery(via="sftp", max_attempts=3)}
    )
    registry = PartnerRegistry([profile, *(p for p in PartnerRegistry.from_directory() if p.name != "acme")])
    pipeline = Pipeline(master_sessions, registry, clock=lambda: FIXED_NOW)
    put(sshd, {"po.edi": (INBOX / "acme-4500012345.edi").read_bytes()})
    report = SftpPuller(profile, pipeline, clock=lambda: FIXED_NOW).poll_once()
    assert report.new_documents == 1 and remote(sshd) == {}
    sent = send_due(master_sessions, registry, {"sftp": SftpSender()}, now=FIXED_NOW)
    assert (sent.sent, sent.retrying, sent.dead) == (2, 0, 0)
    delivered = remote(sshd, "inbox")
    assert sorted(name.split("-")[1] for name in delivered) == ["855", "997"]
    assert all(body.startswith(b"ISA*") for body in delivered.values())
    with master_sessions() as session:
        rows = session.scalars(select(storage.OutboundRecord)).all()
        assert {r.status for r in rows} == {"sent"} and all(r.delivered_at for r in rows)
        [status] = status_rows(session)
    assert (status.channel, status.failures_in_a_row) == ("sftp-push", 0)
