"""Scale-out: documents/s with 1, 2 and 4 ``gateway worker`` processes on a loopback PostgreSQL.

Each run gets a fresh database with the same mixed documents (X12 batches and partner files,
PDFs, xlsx and CSV forms, emails) stored and queued first; then the workers start, and the
rate is counted from the first document processed to the last (worker start-up, warm-up
included, is left out). Over the same window the CPU is counted, per document: the workers'
(user + system, from /proc) and PostgreSQL's (the server and its backends, reaped ones
included). The baseline is the same documents, stored the same way, processed one after
another in this process on the same PostgreSQL: the pipeline with no queue (its CPU from
``time.process_time``), warmed up as a worker is.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import psycopg

from bench._cpu import process_cpu
from bench._cpu import server_cpu
from bench._markdown import Headline
from bench._markdown import table
from gateway import storage
from gateway.config import QueueSettings
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.servers.postgres import Postgres
from tests.servers.queue_cluster import Cluster
from tests.servers.queue_cluster import Inbound
from tests.servers.queue_cluster import fresh_database
from tests.servers.queue_cluster import ingest_all
from tests.servers.queue_cluster import mixed_documents
from tests.servers.queue_cluster import processed_count
from tests.servers.queue_cluster import queued_pipeline
from tests.servers.queue_cluster import waiting_documents

WORKERS = (1, 2, 4)
# The workers' heartbeat and stall window as deployed (QueueSettings' defaults), not the test
# suite's 1 s heartbeat, which cost a heartbeat row update per second per worker.
PRODUCTION_TIMING = {
    "GATEWAY_WORKER_HEARTBEAT_SECONDS": str(QueueSettings().heartbeat_seconds),
    "GATEWAY_WORKER_STALLED_SECONDS": str(QueueSettings().stalled_seconds),
}


@dataclass(frozen=True, slots=True)
class Window:
    """One run, from the first document processed to the last."""

    rate: float  # documents per second
    cpu: float  # the gateway's CPU seconds per document (the workers, or the inline process)
    database_cpu: float  # PostgreSQL's CPU seconds per document


@dataclass(slots=True)
class Result:
    documents: int
    inline: Window = Window(0.0, 0.0, 0.0)
    runs: dict[int, Window] = field(default_factory=dict)  # by number of workers
    server: str = ""

    @property
    def inline_rate(self) -> float:
        return self.inline.rate

    @property
    def rates(self) -> dict[int, float]:
        return {n: run.rate for n, run in self.runs.items()}

    def lines(self) -> list[str]:
        inline = self.inline
        out = [f"scaling: {self.documents} mixed documents, {os.cpu_count()} CPUs, PostgreSQL {self.server}"]
        out.append(
            f"  inline, one process (baseline): {inline.rate:.1f} docs/s, {inline.cpu * 1000:.0f} ms CPU/doc "
            f"(+ PostgreSQL {inline.database_cpu * 1000:.0f} ms)"
        )
        for workers, run in self.runs.items():
            out.append(
                f"  {workers} workers: {run.rate:.1f} docs/s ({run.rate / inline.rate:.2f}x inline), "
                f"{run.cpu * 1000:.0f} ms CPU/doc ({run.cpu / inline.cpu:.2f}x inline) "
                f"(+ PostgreSQL {run.database_cpu * 1000:.0f} ms)"
            )
        return out

    def markdown(self) -> str:
        inline = self.inline

        def row(label: str, run: Window) -> list[str]:
            return [
                label,
                f"{run.rate:.1f}",
                f"{run.rate / inline.rate:.2f}x",
                f"{run.cpu * 1000:.0f}",
                f"{run.cpu / inline.cpu:.2f}x",
                f"{run.database_cpu * 1000:.0f}",
            ]

        rows = [row("inline, one process (baseline)", inline)]
        rows += [row(f"{n} `gateway worker`", run) for n, run in self.runs.items()]
        return "\n\n".join(
            [
                f"{self.documents} mixed documents (X12, PDF, xlsx, CSV, email), queued before the "
                f"workers start; rate and CPU from the first document processed to the last. "
                f"{os.cpu_count()} CPUs: more workers than CPUs cannot add speed.",
                table(
                    ["", "docs/s", "vs inline", "CPU ms/doc", "CPU vs inline", "PostgreSQL CPU ms/doc"], rows
                ),
            ]
        )

    def headlines(self) -> list[Headline]:
        top = max(self.runs)
        one = self.runs[min(self.runs)]
        return [
            Headline(
                f"scale-out: {top} workers on PostgreSQL",
                f"{self.runs[top].rate:.1f} docs/s",
                f"{self.runs[top].rate / self.inline.rate:.2f}x",
                f"inline, one process, {self.inline.rate:.1f} docs/s",
            ),
            Headline(
                f"CPU per document, {min(self.runs)} worker",
                f"{one.cpu * 1000:.0f} ms",
                f"{one.cpu / self.inline.cpu:.2f}x",
                f"inline, {self.inline.cpu * 1000:.0f} ms",
            ),
        ]

    def environment(self) -> dict[str, str]:
        return {"PostgreSQL server": self.server}


class _StoreOnly:
    """A queue that takes nothing: the documents are stored, and processed by the baseline itself."""

    def defer(self, document_id: int) -> None:
        pass


def _postmaster(server: Postgres) -> int:
    assert server.process is not None
    return server.process.pid


def _inline(server: Postgres, documents: list[Inbound]) -> Window:
    url = fresh_database(server, "scaling_inline")
    engine = storage.make_engine(url)
    pipeline = Pipeline(
        storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), queue=_StoreOnly()
    )
    stored = list(ingest_all(pipeline, documents))
    pipeline.warm_up()  # as `gateway worker` does before its first job
    started, cpu, database = time.perf_counter(), time.process_time(), server_cpu(_postmaster(server))
    for document_id in stored:
        pipeline.process(document_id, again=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    database = server_cpu(_postmaster(server)) - database
    engine.dispose()
    return Window(len(documents) / seconds, cpu / len(documents), database / len(documents))


def _workers(server: Postgres, documents: list[Inbound], workers: int, logs: Path) -> Window:
    url = fresh_database(server, f"scaling_{workers}")
    cluster = Cluster(url, logs / f"workers-{workers}", env=dict(PRODUCTION_TIMING))
    with queued_pipeline(url) as pipeline:
        for _ in ingest_all(pipeline, documents):
            pass
        cluster.start(workers)
        try:
            while not processed_count(pipeline.sessions) and waiting_documents(pipeline.sessions):
                time.sleep(0.05)
            first = time.perf_counter()
            cpu = process_cpu(w.pid for w in cluster.workers)
            database = server_cpu(_postmaster(server))
            while waiting_documents(pipeline.sessions) != 0:
                time.sleep(0.05)
            seconds = time.perf_counter() - first
            cpu = process_cpu(w.pid for w in cluster.workers) - cpu
            database = server_cpu(_postmaster(server)) - database
        finally:
            cluster.stop()
    count = len(documents)
    return Window(count / seconds, cpu / count, database / count)


def run(documents: int = 400, workers: tuple[int, ...] = WORKERS) -> Result:
    server = Postgres().start()
    try:
        with psycopg.connect(server.dsn("postgres")) as connection:
            version = connection.execute("SHOW server_version").fetchone()
            assert version is not None  # SHOW always answers one row
            result = Result(documents, server=str(version[0]))
        items = mixed_documents(documents)
        result.inline = _inline(server, items)
        with tempfile.TemporaryDirectory(prefix="gateway-scaling-") as logs:
            for count in workers:
                result.runs[count] = _workers(server, items, count, Path(logs))
    finally:
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    parser.add_argument("--documents", type=int, default=400)
    for line in run(parser.parse_args().documents).lines():
        print(line)


if __name__ == "__main__":
    main()
