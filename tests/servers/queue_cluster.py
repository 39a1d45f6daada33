"""A scaled-out gateway for tests and benchmarks: a PostgreSQL store, `gateway worker` processes,
and a stream of distinct, mixed documents (X12 batches, PDFs, xlsx, CSV, emails) made from the
fixtures."""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import openpyxl
import psycopg
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from bench.generate import write_interchange
from gateway import jobs
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.servers.postgres import Postgres

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
GATEWAY = Path(sys.executable).parent / "gateway"
EMAILS = ("typed-lines", "pasted-table-and-csv", "forwarded", "xlsx-attachment", "pdf-attachment")
X12_FIXTURES = ("acme-4500012345", "globex-GX-778812", "initech-INI-2026-0042")


@dataclass(frozen=True, slots=True)
class Inbound:
    """One document to ingest: its bytes, a name, and the customer when the document names none."""

    name: str
    content: bytes
    partner: str | None = None


def _renumbered_x12(text: str, number: int) -> str:
    """The interchange with its own ISA13/GS06 and PO numbers, so each copy is a new document."""
    element, terminator = text[3], text[105]
    segments = [s for s in text.split(terminator) if s.strip()]
    out = []
    for raw in segments:
        lead = raw[: len(raw) - len(raw.lstrip())]
        parts = raw.strip().split(element)
        tag = parts[0]
        if tag == "ISA":
            parts[13] = f"{number:09d}"
        elif tag == "IEA":
            parts[2] = f"{number:09d}"
        elif tag in ("GS", "GE"):
            parts[6 if tag == "GS" else 2] = str(number)
        elif tag == "BEG":
            parts[3] = f"{parts[3]}-{number}"
        out.append(lead + element.join(parts))
    return terminator.join(out) + terminator + "\n"


def _x12_batch(number: int) -> bytes:
    """A generated acme interchange of 2 to 6 orders with PO numbers of its own."""
    out = io.StringIO()
    write_interchange(out, orders=2 + number % 5, lines=3, control=number)
    return out.getvalue().replace("BEG*00*SA*PO", f"BEG*00*SA*B{number}-").encode("ascii")


def _unique_pdf(path: Path, number: int) -> bytes:
    return path.read_bytes() + f"\n% copy {number}\n".encode()  # after %%EOF: readers ignore it


def _unique_xlsx(path: Path, number: int) -> bytes:
    book = openpyxl.load_workbook(path)
    book.properties.identifier = f"copy-{number}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _unique_email(path: Path, number: int) -> bytes:
    raw = path.read_bytes()
    return f"X-Copy: {number}\r\n".encode() + raw.replace(
        b"Message-ID: <", f"Message-ID: <{number}.".encode(), 1
    )


def mixed_documents(count: int, *, seed: int = 8) -> list[Inbound]:
    """``count`` distinct documents: about half X12 (generated batches and renumbered partner
    files), the rest PDFs, xlsx and CSV order forms, and emails, in a shuffled order."""
    pdfs = sorted((FIXTURES / "pdfs").glob("*.pdf"))
    sheets = sorted((FIXTURES / "sheets").glob("*.xlsx"))
    csvs = sorted((FIXTURES / "sheets").glob("*.csv"))
    x12 = [(FIXTURES / "inbox" / f"{name}.edi").read_text("ascii") for name in X12_FIXTURES]
    makers: list[Callable[[int], Inbound]] = [
        lambda n: Inbound(f"batch-{n}.edi", _x12_batch(n)),
        lambda n: Inbound(f"batch-{n}.edi", _x12_batch(n)),
        lambda n: Inbound(f"partner-{n}.edi", _renumbered_x12(x12[n % len(x12)], n).encode("ascii")),
        lambda n: Inbound(f"partner-{n}.x12", _renumbered_x12(x12[n % len(x12)], n).encode("ascii")),
        lambda n: Inbound(f"form-{n}.pdf", _unique_pdf(pdfs[n % len(pdfs)], n), "acme"),
        lambda n: Inbound(f"form-{n}.xlsx", _unique_xlsx(sheets[n % len(sheets)], n), "acme"),
        lambda n: Inbound(
            f"form-{n}.csv", csvs[n % len(csvs)].read_bytes() + f"\n# copy {n}\n".encode(), "acme"
        ),
        lambda n: Inbound(f"mail-{n}.eml", _unique_email(FIXTURES / "emails" / f"{EMAILS[n % 5]}.eml", n)),
    ]
    documents = [makers[n % len(makers)](n + 1000) for n in range(count)]
    random.Random(seed).shuffle(documents)
    return documents


def fresh_database(postgres: Postgres, name: str) -> str:
    """A new database, migrated and with the demo master data (a clone of the server's seeded
    template, ``Postgres.seeded_database``); returns its SQLAlchemy URL."""
    return postgres.seeded_database(name)


@dataclass
class Cluster:
    """``gateway worker`` processes on one store, each with its own log file."""

    url: str
    logs: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: itertools.count[int] = field(default_factory=itertools.count)
    started_at: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        self.env = {
            **base,
            "PYTHONPATH": str(ROOT),  # the workers run this checkout's code, not the installed one
            "GATEWAY_DATABASE_URL": self.url,
            "GATEWAY_HOME": str(self.logs),
            "GATEWAY_WORKER_HEARTBEAT_SECONDS": "1",
            "GATEWAY_WORKER_STALLED_SECONDS": "4",
            "GATEWAY_WORKER_RECOVER_SECONDS": "2",  # a stopped worker's job is rescued within its pause
            "GATEWAY_SHUTDOWN_SECONDS": "10",
            # A worker stopped (SIGSTOP, or a loaded machine) while it waits for a pooled connection
            # wakes past the pool's 30 s and drops the queue; the tests want the queue's behaviour.
            "GATEWAY_WORKER_POOL_TIMEOUT_SECONDS": "600",
            **self.env,
        }

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            log = (self.logs / f"worker-{next(self.started)}.log").open("wb")
            worker = subprocess.Popen(
                [str(GATEWAY), "worker"], env=self.env, stdout=log, stderr=log, cwd=ROOT
            )
            self.workers.append(worker)
            self.started_at[worker.pid] = time.monotonic()

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def kill_one(self, rng: random.Random, *, up_for: float) -> bool:
        """SIGKILL a worker that has been up ``up_for`` seconds (so it is at work), wherever it is."""
        now = time.monotonic()
        working = [w for w in self.alive() if now - self.started_at[w.pid] >= up_for]
        if not working:
            return False
        victim = rng.choice(working)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        return True

    def stop(self) -> list[int | None]:
        for worker in self.alive():
            worker.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for worker in self.workers:
            try:
                codes.append(worker.wait(timeout=600))  # only ends a hung stop: the tests want code 0
            except subprocess.TimeoutExpired:
                worker.kill()
                codes.append(worker.wait())
        return codes

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self._log_text().splitlines()[-lines:])

    def reruns(self) -> int:
        """How many jobs the recovery pass has run again for workers judged dead."""
        return self._log_text().count(RERUN)

    def _log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("worker-*.log")))


RERUN = "was left by a dead worker: running it again"  # gateway.jobs.tasks logs it per job


class Starver:
    """CPU starvation, made deterministic. ``starving`` SIGSTOPs a worker caught holding a document
    for longer than the stalled threshold (its heartbeat stops, so it is judged dead and its job runs
    again elsewhere while it still holds it), and meanwhile a random database backend of the store
    for a moment (a slow database, holding whatever locks it holds); everything runs again after."""

    def __init__(self, cluster: Cluster, *, worker_pause: tuple[float, float], seed: int) -> None:
        self.cluster = cluster
        self.worker_pause = worker_pause
        self.rng = random.Random(seed)
        self.worker_pauses = 0
        self.database_pauses = 0
        self.caught_mid_job = 0

    @contextmanager
    def starving(self) -> Iterator[None]:
        """Starve once while the body queues a wave of documents. The starver watches from the
        wave's start, so the stop lands mid-job however fast the machine works the wave off; only
        when the body is done and no worker has held a document for 5 s is any worker stopped."""
        body_done = threading.Event()
        failures: list[BaseException] = []

        def starve() -> None:
            try:
                self._starve_once(body_done)
            except BaseException as error:  # re-raised in the test's thread
                failures.append(error)

        thread = threading.Thread(target=starve, name="starver", daemon=True)
        thread.start()
        try:
            yield
        finally:
            body_done.set()
            thread.join()
        if failures:
            raise failures[0]

    def _starve_once(self, body_done: threading.Event) -> None:
        """The pause is fixed, not "until its job has run again": the other workers may all be
        waiting on the row locks it holds, and then no recovery pass can run until it goes on.
        With the cluster's 2 s recovery interval a pause still sees several passes."""
        worker = self._worker_mid_job(body_done)
        if worker is not None:
            self.caught_mid_job += 1
        else:
            worker = self.rng.choice(self.cluster.alive())
        seconds = self.rng.uniform(*self.worker_pause)
        started = time.monotonic()
        with _stopped(worker.pid):
            self.worker_pauses += 1
            time.sleep(1.0)
            if (backend := self._backend()) is not None:
                with _stopped(backend):
                    self.database_pauses += 1
                    time.sleep(self.rng.uniform(0.5, 3.0))
            time.sleep(max(seconds - (time.monotonic() - started), 0.0))

    def _worker_mid_job(self, body_done: threading.Event) -> subprocess.Popen[bytes] | None:
        """A worker whose connection holds a document's row lock (processing locks it first),
        found by matching the backend's client port to the worker's own sockets; None once the
        body is done and no worker has held one for 5 s (the wave is worked off)."""
        dsn = self.cluster.url.replace("postgresql+psycopg://", "postgresql://")
        idle_since = time.monotonic()
        with psycopg.connect(dsn, autocommit=True) as connection:
            while not body_done.is_set() or time.monotonic() - idle_since < 5.0:
                ports = {
                    int(port)
                    for (port,) in connection.execute(
                        "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                        " WHERE l.relation = 'document'::regclass AND l.mode = 'RowShareLock'"
                        " AND l.granted AND a.datname = current_database()"
                    )
                }
                holders = [w for w in self.cluster.alive() if ports & _local_ports(w.pid)]
                if holders:
                    return self.rng.choice(holders)
                if ports or not body_done.is_set():
                    idle_since = time.monotonic()
                time.sleep(0.01)
        return None

    def _backend(self) -> int | None:
        dsn = self.cluster.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as connection:
            pids = [
                pid
                for (pid,) in connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
            ]
        return self.rng.choice(pids) if pids else None


def _local_ports(pid: int) -> set[int]:
    """The local TCP ports of the sockets process ``pid`` holds (Linux /proc)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.scandir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(fd.path)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@contextmanager
def _stopped(pid: int) -> Iterator[None]:
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


@contextmanager
def queued_pipeline(url: str) -> Iterator[Pipeline]:
    """A pipeline that stores and queues, as the pollers and the web do on PostgreSQL.

    Its clock is the fixtures' day: the fixtures' requested dates would be past on the real one.
    """
    queue = jobs.queue_for(url)
    assert queue is not None
    engine = storage.make_engine(url)
    try:
        yield Pipeline(
            storage.make_sessionmaker(engine),
            PartnerRegistry.from_directory(),
            clock=lambda: FIXED_NOW,
            queue=queue,
        )
    finally:
        queue.close()
        engine.dispose()


def _count(sessions: sessionmaker[Session], status: str) -> int | None:
    """Documents in ``status``; None while the store is unreachable (it may be restarting)."""
    try:
        with sessions() as session:
            return session.scalar(
                select(func.count()).select_from(storage.Document).where(storage.Document.status == status)
            )
    except OperationalError:
        return None


def waiting_documents(sessions: sessionmaker[Session]) -> int | None:
    return _count(sessions, "received")


def processed_count(sessions: sessionmaker[Session]) -> int:
    return _count(sessions, "processed") or 0


def wait_until_processed(
    sessions: sessionmaker[Session],
    cluster: Cluster,
    *,
    patience: float = 180.0,
    during: Callable[[], Any] | None = None,
    at_most: int = 0,
) -> float:
    """Seconds until no more than ``at_most`` documents wait (``during`` runs every half second
    meanwhile).

    However slow the machine, this waits while documents keep getting processed; it fails only
    when none has been for ``patience`` seconds, naming the documents left and their jobs.
    """
    started = last_progress = time.monotonic()
    done = -1
    while (waiting := waiting_documents(sessions)) is None or waiting > at_most:
        now_done = _done_count(sessions)
        if now_done is not None and now_done != done:
            done, last_progress = now_done, time.monotonic()
        if time.monotonic() - last_progress > patience:
            raise AssertionError(
                f"{waiting} documents still waiting, none processed in the last {patience:.0f} s:\n"
                f"{stuck_report(sessions, cluster.url)}\n{cluster.log_tail()}"
            )
        if during is not None:
            during()
        time.sleep(0.5)
    return time.monotonic() - started


def _done_count(sessions: sessionmaker[Session]) -> int | None:
    try:
        with sessions() as session:
            return session.scalar(
                select(func.count())
                .select_from(storage.Document)
                .where(storage.Document.status != "received")
            )
    except OperationalError:
        return None


def heartbeats(url: str) -> dict[int, float]:
    """Seconds since each registered worker's last heartbeat."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        rows = connection.execute(
            "SELECT id, extract(epoch FROM now() - last_heartbeat) FROM procrastinate_workers"
        ).fetchall()
    return {worker: float(age) for worker, age in rows}


def stuck_report(sessions: sessionmaker[Session], url: str) -> str:
    """The documents still ``received`` and every job that names them, with its worker's heartbeat."""
    with sessions() as session:
        waiting = list(
            session.scalars(
                select(storage.Document.id).where(storage.Document.status == "received").limit(20)
            )
        )
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        jobs_of = connection.execute(
            "SELECT j.id, (j.args->>'document_id')::int, j.status::text, j.attempts, j.scheduled_at,"
            " j.worker_id, now() - w.last_heartbeat FROM procrastinate_jobs j"
            " LEFT JOIN procrastinate_workers w ON w.id = j.worker_id"
            " WHERE j.task_name = 'process_document' AND (j.args->>'document_id')::int = ANY(%s)",
            (waiting,),
        ).fetchall()
        workers = connection.execute(
            "SELECT id, now() - last_heartbeat FROM procrastinate_workers"
        ).fetchall()
        others = connection.execute(
            "SELECT task_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    return f"waiting documents {waiting}\ntheir jobs {jobs_of}\nworkers {workers}\nall jobs {others}"


def ingest_all(pipeline: Pipeline, documents: list[Inbound]) -> Iterator[int]:
    """Store (and queue) each document; yields document ids."""
    for item in documents:
        outcome = pipeline.ingest_stream(
            io.BytesIO(item.content), channel="file", filename=item.name, partner=item.partner
        )
        yield outcome.document_id


def exactly_once_problems(
    sessions: sessionmaker[Session], documents: list[Inbound], document_ids: list[int], *, erp: bool
) -> list[str]:
    """Everything that shows a document, order or ack lost or doubled; empty when all is well."""
    problems: list[str] = []
    document, order, outbound = storage.Document, storage.PurchaseOrder, storage.OutboundRecord
    with sessions() as session:
        stored: dict[int, str] = {i: s for i, s in session.execute(select(document.id, document.status))}
        if sorted(stored) != sorted(set(document_ids)) or len(set(document_ids)) != len(documents):
            problems.append(f"{len(documents)} documents sent, {len(stored)} stored")
        for status in ("received", "failed"):
            if (n := sum(s == status for s in stored.values())) > 0:
                problems.append(f"{n} documents {status}")
        errors = session.scalars(select(document.error).where(document.status == "failed").limit(3))
        problems.extend(f"failed: {error}" for error in errors)
        orders = session.execute(select(order.id, order.document_id, order.status, order.channel)).all()
        per_document: dict[int, int] = {}
        for row in orders:
            per_document[row.document_id] = per_document.get(row.document_id, 0) + 1
        for item, document_id in zip(documents, document_ids, strict=True):
            if item.name.startswith("batch-"):
                expected = 2 + int(item.name.split("-")[1].split(".")[0]) % 5
                if per_document.get(document_id) != expected:
                    problems.append(
                        f"{item.name}: {per_document.get(document_id)} orders, expected {expected}"
                    )
            elif stored.get(document_id) == "processed" and not per_document.get(document_id):
                problems.append(f"{item.name}: processed without orders")
        rows = session.execute(
            select(outbound.partner, outbound.kind, outbound.document_id, outbound.order_id,
                   outbound.interchange_control_number, outbound.group_control_number,
                   outbound.transaction_control_numbers, outbound.status)
        ).all()  # fmt: skip
    x12 = [r for r in rows if not r.kind.startswith("erp.")]
    for label, key in (
        ("ISA13", lambda r: (r.partner, r.interchange_control_number)),
        ("GS06", lambda r: (r.partner, r.group_control_number)),
    ):
        keys = [key(r) for r in x12 if key(r)[1] is not None]  # a TA1 has no group
        if len(keys) != len(set(keys)):
            problems.append(f"{label} used twice: {sorted(k for k in set(keys) if keys.count(k) > 1)[:5]}")
    functional = [r.document_id for r in x12 if r.kind in ("997", "999")]
    if len(functional) != len(set(functional)):
        problems.append(f"{len(functional) - len(set(functional))} extra 997/999s for the same document")
    x12_documents = {i for i, s in stored.items() if s in ("processed", "rejected")} & set(
        d for item, d in zip(documents, document_ids, strict=True) if item.name.endswith((".edi", ".x12"))
    )
    if missing := x12_documents - set(functional):
        problems.append(f"{len(missing)} X12 documents without their 997/999")
    answered = [r.order_id for r in x12 if r.kind == "855"]
    if len(answered) != len(set(answered)):
        problems.append(f"{len(answered) - len(set(answered))} extra 855s for the same order")
    if erp:
        payloads = [r.order_id for r in rows if r.kind.startswith("erp.")]
        accepted = {r.id for r in orders if r.status == "accepted"}
        if sorted(payloads) != sorted(accepted):
            problems.append(f"{len(payloads)} ERP payloads for {len(accepted)} accepted orders")
    return problems
