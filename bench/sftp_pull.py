"""SFTP pull throughput: ``SftpPuller`` against a real OpenSSH sshd on 127.0.0.1, into a fresh SQLite store.

The remote folder holds ``files`` small files: half X12 850 interchanges (one PO of five lines,
each with its own control number, under 1 KB) and half PDF-sized opaque blobs (30-120 KB). One
``poll_once`` downloads each, stores it (the pipeline runs, parse-only) and deletes it on the
server. The in-process baseline is raw paramiko: ``getfo`` of the same files into memory over
one session, with nothing stored. A third figure, the pipeline alone storing the same bytes
from memory into another fresh store, shows how much of the pull is the store, not SFTP.
"""

from __future__ import annotations

import io
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

from bench._markdown import Headline
from bench._markdown import table
from bench._memory import peak_rss_mb
from bench._sshd import REMOTE_USER
from bench._sshd import Sshd
from bench.generate import write_interchange
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.transports.sftp_pull import SftpPuller
from partners import PartnerRegistry
from partners import SftpPull

PARTNER = "acme"
WHEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@dataclass(slots=True)
class Report:
    files: int
    megabytes: float
    puller_seconds: float
    baseline_seconds: float
    store_seconds: float
    new_documents: int
    left_on_server: int
    peak_rss_mb: float

    def lines(self) -> list[str]:
        def rate(seconds: float) -> str:
            return f"{seconds:8.2f} s  {self.files / seconds:8,.0f} files/s  {self.megabytes / seconds:7.1f} MB/s"

        transport_ms = (self.puller_seconds - self.store_seconds) / self.files * 1000
        return [
            f"SFTP pull: {self.files:,} files ({self.files - self.files // 2:,} X12 850s under 1 KB, "
            f"{self.files // 2:,} PDF-sized blobs of 30-120 KB), {self.megabytes:.1f} MB, OpenSSH on 127.0.0.1",
            f"  SftpPuller (download, store in SQLite, delete): {rate(self.puller_seconds)}",
            f"  paramiko getfo into memory (baseline):         {rate(self.baseline_seconds)}",
            f"  pipeline alone, same bytes from memory:        {rate(self.store_seconds)}",
            f"  ratio SftpPuller / paramiko getfo: {self.baseline_seconds / self.puller_seconds:.2f}x; "
            f"the pull takes {transport_ms:.1f} ms per file more than the pipeline alone",
            f"  {self.new_documents:,} new documents stored, {self.left_on_server} files left on the server; "
            f"peak RSS {self.peak_rss_mb:.0f} MB",
        ]

    def markdown(self) -> str:
        def row(label: str, seconds: float) -> list[str]:
            return [
                label,
                f"{seconds:.2f}",
                f"{self.files / seconds:,.0f}",
                f"{self.megabytes / seconds:.1f}",
            ]

        transport_ms = (self.puller_seconds - self.store_seconds) / self.files * 1000
        rows = [
            row("SftpPuller: download, store in SQLite, delete", self.puller_seconds),
            row("paramiko `getfo` into memory (baseline)", self.baseline_seconds),
            row("pipeline alone, same bytes from memory", self.store_seconds),
        ]
        return "\n\n".join(
            [
                f"{self.files:,} files ({self.files - self.files // 2:,} X12 850s under 1 KB, {self.files // 2:,} "
                f"PDF-sized blobs of 30-120 KB), {self.megabytes:.1f} MB, OpenSSH on 127.0.0.1.",
                table(["", "seconds", "files/s", "MB/s"], rows),
                f"Ratio SftpPuller / paramiko: **{self.baseline_seconds / self.puller_seconds:.2f}x**; the pull "
                f"takes {transport_ms:.1f} ms per file more than the pipeline alone. "
                f"{self.new_documents:,} new documents stored, {self.left_on_server} files left on the server; "
                f"peak RSS {self.peak_rss_mb:.0f} MB.",
            ]
        )

    def headlines(self) -> list[Headline]:
        return [
            Headline(
                "pull: download, store, delete",
                f"{self.files / self.puller_seconds:,.0f} files/s",
                f"{self.baseline_seconds / self.puller_seconds:.2f}x",
                f"paramiko getfo, {self.files / self.baseline_seconds:,.0f} files/s",
            )
        ]


def sample_files(count: int, seed: int = 11) -> dict[str, bytes]:
    rng = random.Random(seed)
    files = {}
    for n in range(count):
        if n % 2 == 0:
            out = io.StringIO()
            write_interchange(out, orders=1, control=n + 1)
            files[f"850-{n:05d}.edi"] = out.getvalue().encode()
        else:
            files[f"po-{n:05d}.pdf"] = b"%PDF-1.4\n" + rng.randbytes(rng.randint(30_000, 120_000))
    return files


def _pipeline(folder: Path, name: str) -> Pipeline:
    """A fresh store, warmed by one document outside the measured set (first-use costs are not SFTP's)."""
    engine = storage.make_engine(f"sqlite:///{folder / name}")
    storage.upgrade(engine)
    pipeline = Pipeline(
        storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), lambda: WHEN, validate=False
    )
    warm = io.StringIO()
    write_interchange(warm, orders=1, control=999_999_999)
    pipeline.ingest_stream(io.BytesIO(warm.getvalue().encode()), channel="sftp", filename="warm.edi")
    return pipeline


def _baseline(sshd: Sshd, folder: str) -> tuple[float, dict[str, bytes]]:
    """Seconds for raw paramiko to log in, list and fetch every file into memory."""
    started = time.perf_counter()
    fetched = {}
    with sshd.client(REMOTE_USER) as sftp:
        for entry in sftp.listdir_attr(folder):
            buffer = io.BytesIO()
            sftp.getfo(f"{folder}/{entry.filename}", buffer)
            fetched[entry.filename] = buffer.getvalue()
    return time.perf_counter() - started, fetched


def run(files: int = 1000) -> Report:
    sshd = Sshd({REMOTE_USER: ("outbox",)}).start()
    try:
        outbox = sshd.chroot(REMOTE_USER) / "outbox"
        content = sample_files(files)
        for name, raw in content.items():
            (outbox / name).write_bytes(raw)
        baseline, fetched = _baseline(sshd, "/outbox")
        if fetched != content:
            raise RuntimeError("the baseline fetched other bytes than were put on the server")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            store_only = _pipeline(folder, "memory.db")
            started = time.perf_counter()
            for name, raw in content.items():
                store_only.ingest_stream(io.BytesIO(raw), channel="sftp", filename=name, partner=PARTNER)
            store_seconds = time.perf_counter() - started

            pipeline = _pipeline(folder, "pulled.db")
            profile = PartnerRegistry.from_directory().get(PARTNER)
            assert profile is not None
            settings = SftpPull(
                host="127.0.0.1", port=sshd.port, username=REMOTE_USER, key_file=str(sshd.client_key),
                host_key_sha256=sshd.host_key_sha256(), remote_dir="/outbox", stable_seconds=0,
            )  # fmt: skip
            puller = SftpPuller(
                profile.model_copy(update={"sftp_pull": settings}), pipeline, clock=lambda: WHEN
            )
            started = time.perf_counter()
            report = puller.poll_once()
            puller_seconds = time.perf_counter() - started
        return Report(
            files=files,
            megabytes=sum(len(raw) for raw in content.values()) / 1e6,
            puller_seconds=puller_seconds,
            baseline_seconds=baseline,
            store_seconds=store_seconds,
            new_documents=report.new_documents,
            left_on_server=len(list(outbox.iterdir())),
            peak_rss_mb=peak_rss_mb(),
        )
    finally:
        sshd.remove()
