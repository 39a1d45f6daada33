"""Hostile file names: path traversal (``../../etc/passwd``, ``..\\..\\``, absolute paths), NUL and
control characters, names of 255 bytes, unicode tricks (right-to-left override, fullwidth
solidus, zero-width joiners), in email attachments, drop-inbox and SFTP file names, AS2 and
the desk's downloads.

No name ever becomes a local path: the drop inbox works on directory descriptors, SFTP names
name remote paths only, attachments are never written out. What is stored and shown is
``safe_filename``'s base name, and the original, escaped, in the document's ``meta``.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paramiko
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.storage import safe_filename
from gateway.transports.drop_inbox import CLAIM_DIR
from gateway.transports.drop_inbox import DropWatcher
from gateway.transports.sftp_pull import SftpPuller
from partners import DropInbox
from partners import PartnerRegistry
from partners import SftpPull
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.security import _hostile as hostile
from tests.security._stored import ingest

HOSTILE = [
    "../../etc/passwd",
    "../../../../../../tmp/evil.edi",
    "/etc/passwd",
    "..\\..\\windows\\system32\\drivers\\etc\\hosts.edi",
    "C:\\Windows\\evil.edi",
    "\\\\server\\share\\evil.edi",
    "order\x00.edi.exe",
    "evil\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>.edi",
    '"; filename=evil.exe; x=".edi',
    "invoice\u202egpj.exe",  # shows as "invoiceexe.jpg"
    "..\uff0f..\uff0fetc\uff0fpasswd",  # fullwidth solidus
    "\u2024\u2024/\u2024\u2024/evil",  # one-dot leaders
    "e\u200dvil\u200b.edi",  # zero-width joiner and space
    "..",
    ".",
    "   ",
    ".hidden.edi",
    "-rf .edi",
    "x" * 300 + ".edi",
    "ü" * 200 + ".edi",  # 400 bytes in UTF-8
    "CON.edi",
    "%2e%2e%2fetc%2fpasswd",
]


def _assert_safe(name: str | None) -> None:
    if name is None:
        return
    assert name and len(name) <= 255, name
    assert "/" not in name and "\\" not in name and "\x00" not in name, name
    assert name.isprintable() and name == name.strip(" ."), name
    assert name not in (".", "..") and not any(ord(c) in (0x200B, 0x200D, 0x202E) for c in name), name
    assert not any(c in name for c in ':*?"<>|'), name  # what Windows refuses or a header would misread


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_filename_keeps_a_plain_base_name(name: str) -> None:
    safe = safe_filename(name)
    _assert_safe(safe)
    assert safe_filename(safe) == safe  # stable: cleaning twice changes nothing


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=400))
def test_safe_filename_makes_any_text_safe(name: str) -> None:
    _assert_safe(safe_filename(name))


def test_each_hostile_name_is_stored_cleaned_with_the_original_kept_escaped(store_pipeline: Pipeline) -> None:
    for number, name in enumerate(HOSTILE):
        data = f"not an order {number}\n".encode()
        document = ingest(store_pipeline, data, filename=name, channel="drop", partner="acme")
        assert document.filename == safe_filename(name)
        if document.filename != name:
            original = document.meta["original_filename"]
            assert original.isascii() and original.isprintable() and len(original) <= 1000
            assert original == name.encode("unicode_escape").decode("ascii")[:1000]


@contextmanager
def _deep_working_folder(root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Work from ``root``/a/b/c: any name used as a path would land somewhere under ``root``."""
    cwd = root / "a" / "b" / "c"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    yield cwd
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == ["a", "a/b", "a/b/c"]


def test_email_attachment_names_never_reach_the_file_system(
    store_pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _deep_working_folder(tmp_path, monkeypatch):
        for number, name in enumerate(HOSTILE):
            broken_pdf = b"%PDF-1.7\n%broken " + str(number).encode()  # its error names the attachment
            document = ingest(
                store_pipeline, hostile.email_with_attachment(name, broken_pdf), filename=f"{number}.eml"
            )
            assert document.error_code != "internal_error", document.error
            quoted = f"attachment {name!r}" if name.strip() else "attachment 'part 1.2'"  # as read, escaped
            assert any(quoted in e["message"] for e in document.errors), name
            for error in document.errors:
                assert (
                    "\r" not in error["message"]
                    and "\n" not in error["message"]
                    and "\x00" not in error["message"]
                )


def test_a_drop_inbox_takes_hostile_names_and_writes_nothing_elsewhere(
    store_pipeline: Pipeline, tmp_path: Path
) -> None:
    """Linux names can hold anything but '/' and NUL; the inbox is read through directory descriptors."""
    inbox = tmp_path / "chroot" / "inbox"
    inbox.mkdir(parents=True)
    (tmp_path / "chroot" / "etc").mkdir()
    names = [
        n
        for n in HOSTILE
        if "/" not in n and "\x00" not in n and len(n.encode()) <= 255 and n not in (".", "..")
    ]
    names += ["ü" * 125 + ".edi", os.fsdecode(b"latin1-\xe9\xff.edi"), "..passwd", "a\x1b[31mred.edi"]
    for number, name in enumerate(names):
        (inbox / name).write_bytes(f"drop {number}\n".encode())
    profile = PartnerRegistry.from_directory().get("acme")
    assert profile is not None
    watcher_profile = profile.model_copy(
        update={"drop": DropInbox(path=str(inbox), stable_seconds=0, ignore=[])}
    )
    report = DropWatcher(watcher_profile, store_pipeline, clock=lambda: FIXED_NOW).poll_once()

    assert report.problems == [] and len(report.taken) == len(names)
    assert (
        sorted(p.name for p in inbox.iterdir()) == [CLAIM_DIR] and list((inbox / CLAIM_DIR).iterdir()) == []
    )
    assert sorted(p.name for p in (tmp_path / "chroot").iterdir()) == ["etc", "inbox"]
    assert list((tmp_path / "chroot" / "etc").iterdir()) == []
    with store_pipeline.sessions() as session:
        for taken in report.taken:
            stored = session.get(storage.Document, taken.outcome.document_id)
            assert stored is not None and stored.channel == "drop"
            _assert_safe(stored.filename)


class _HostileServer:
    """An SFTP server that lies: it lists names holding '/', NUL and '..'. The puller talks to it
    through the same connection interface as to a real server; only the server is fake."""

    def __init__(self, names: list[str], content: bytes) -> None:
        self.names = names
        self.content = content
        self.touched: list[str] = []
        self.where = "sftp://hostile.example"

    def listdir_attr(self, folder: str) -> list[paramiko.SFTPAttributes]:
        listing = []
        for name in self.names:
            entry = paramiko.SFTPAttributes()
            entry.filename, entry.st_mode, entry.st_size, entry.st_mtime = (
                name,
                stat.S_IFREG | 0o644,
                len(self.content),
                1,
            )
            listing.append(entry)
        return listing

    def getfo(self, path: str, target: io.BufferedIOBase, **_: Any) -> int:
        self.touched.append(path)
        target.write(self.content)
        return len(self.content)

    def stat(self, path: str) -> paramiko.SFTPAttributes:
        entry = paramiko.SFTPAttributes()
        entry.st_size, entry.st_mtime = len(self.content), 1
        return entry

    def remove(self, path: str) -> None:
        self.touched.append(path)

    @property
    def sftp(self) -> _HostileServer:
        return self

    def broken(self, exc: BaseException) -> bool:
        return False

    def failure(self, exc: BaseException, doing: str) -> Exception:
        return RuntimeError(f"{doing}: {exc}")

    def __enter__(self) -> _HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def test_names_a_hostile_sftp_server_lists_never_leave_its_folder(
    store_pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["../../etc/passwd", "/etc/shadow", "outbox/../../x.edi", "a\x00b.edi", *HOSTILE[3:]]
    content = (INBOX / "acme-4500012345.edi").read_bytes()
    server = _HostileServer(names, content)
    profile = PartnerRegistry.from_directory().get("acme")
    assert profile is not None
    pull = SftpPull(
        host="127.0.0.1",
        username="x",
        password_env="NONE",
        host_key_sha256="SHA256:" + "A" * 43,
        remote_dir="outbox",
        stable_seconds=0,
        ignore=[],
    )
    puller = SftpPuller(
        profile.model_copy(update={"sftp_pull": pull}),
        store_pipeline,
        clock=lambda: FIXED_NOW,
        connect=lambda _: server,  # type: ignore[arg-type,return-value]  # a fake server, duck-typed
    )
    with _deep_working_folder(tmp_path, monkeypatch):
        report = puller.poll_once()
    refused = [n for n in names if "/" in n or "\x00" in n]
    assert len(report.problems) == len(refused) and all(
        "refused a remote file name" in p for p in report.problems
    )
    assert {t.name for t in report.taken} == set(names) - set(refused)
    for path in server.touched:  # only ever "outbox/<one component>"
        folder, _, name = path.partition("/")
        assert folder == "outbox" and name in names and "/" not in name
