"""Scale-out: documents/s with 1, 2 and 4 ``gateway worker`` processes on a loopback PostgreSQL.

Each run gets a fresh database with the same mixed documents (X12 batches and partner files,
PDFs, xlsx and CSV forms, emails) stored and queued first; then the workers start, and the
rate is counted from the first document processed to the last (worker start-up is left
out), and so is the CPU the workers spend (user + system, from /proc), per document. The
baseline is the same documents, stored the same way, processed one after another in this
process on the same PostgreSQL: the pipeline with no queue (its CPU from ``time.process_time``).
PostgreSQL's own CPU is counted on neither side.
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
from bench._markdown import Headline
from bench._markdown import table
from gateway import storage
from gateway.pipeline import Pipeline
from partners import PartnerRegistry
from tests.postgres import Postgres
from tests.queue_cluster import Cluster
from tests.queue_cluster import Inbound
from tests.queue_cluster import fresh_database
from tests.queue_cluster import ingest_all
from tests.queue_cluster import mixed_documents
from tests.queue_cluster import processed_count
from tests.queue_cluster import queued_pipeline
from tests.queue_cluster import waiting_documents

WORKERS = (1, 2, 4)


@dataclass(slots=True)
class Result:
    documents: int
    inline_rate: float = 0.0
    inline_cpu: float = 0.0  # CPU seconds per document
    rates: dict[int, float] = field(default_factory=dict)
    cpu: dict[int, float] = field(default_factory=dict)  # the workers' CPU seconds per document
    server: str = ""

    def lines(self) -> list[str]:
        out = [f"scaling: {self.documents} mixed documents, {os.cpu_count()} CPUs, PostgreSQL {self.server}"]
        out.append(
            f"  inline, one process (baseline): {self.inline_rate:.1f} docs/s, "
            f"{self.inline_cpu * 1000:.0f} ms CPU/doc"
        )
        for workers, rate in self.rates.items():
            out.append(
                f"  {workers} workers: {rate:.1f} docs/s ({rate / self.inline_rate:.2f}x inline), "
                f"{self.cpu[workers] * 1000:.0f} ms CPU/doc ({self.cpu[workers] / self.inline_cpu:.2f}x inline)"
            )
        return out

    def markdown(self) -> str:
        rows = [
            [
                "inline, one process (baseline)",
                f"{self.inline_rate:.1f}",
                "1.00x",
                f"{self.inline_cpu * 1000:.0f}",
                "1.00x",
            ]
        ]
        rows += [
            [
                f"{n} `gateway worker`",
                f"{rate:.1f}",
                f"{rate / self.inline_rate:.2f}x",
                f"{self.cpu[n] * 1000:.0f}",
                f"{self.cpu[n] / self.inline_cpu:.2f}x",
            ]
            for n, rate in self.rates.items()
        ]
        return "\n\n".join(
            [
                f"{self.documents} mixed documents (X12, PDF, xlsx, CSV, email), queued before the "
                f"workers start; rate and the workers' CPU from the first document processed to the "
                f"last (PostgreSQL's CPU not counted). {os.cpu_count()} CPUs: more workers than CPUs "
                "cannot add speed.",
                table(["", "docs/s", "vs inline", "CPU ms/doc", "CPU vs inline"], rows),
            ]
        )

    def headlines(self) -> list[Headline]:
        top = max(self.rates)
        return [
            Headline(
                f"scale-out: {top} workers on PostgreSQL",
                f"{self.rates[top]:.1f} docs/s",
                f"{self.rates[top] / self.inline_rate:.2f}x",
                f"inline, one process, {self.inline_rate:.1f} docs/s",
            )
        ]

    def environment(self) -> dict[str, str]:
        return {"PostgreSQL server": self.server}


class _StoreOnly:
    """A queue that takes nothing: the documents are stored, and processed by the baseline itself."""

    def defer(self, document_id: int) -> None:
        pass


def _inline_rate(server: Postgres, documents: list[Inbound]) -> tuple[float, float]:
    """Documents per second, and CPU seconds per document, processed inline."""
    url = fresh_database(server, "scaling_inline")
    engine = storage.make_engine(url)
    pipeline = Pipeline(
        storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), queue=_StoreOnly()
    )
    stored = list(ingest_all(pipeline, documents))
    started, cpu = time.perf_counter(), time.process_time()
    for document_id in stored:
        pipeline.process(document_id, again=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return len(documents) / seconds, cpu / len(documents)


def _workers_rate(
    server: Postgres, documents: list[Inbound], workers: int, logs: Path
) -> tuple[float, float]:
    """Documents per second, and the workers' CPU seconds per document."""
    url = fresh_database(server, f"scaling_{workers}")
    cluster = Cluster(url, logs / f"workers-{workers}")
    with queued_pipeline(url) as pipeline:
        for _ in ingest_all(pipeline, documents):
            pass
        cluster.start(workers)
        try:
            while not processed_count(pipeline.sessions) and waiting_documents(pipeline.sessions):
                time.sleep(0.05)
            first, cpu = time.perf_counter(), process_cpu(w.pid for w in cluster.workers)
            while waiting_documents(pipeline.sessions) != 0:
                time.sleep(0.05)
            seconds = time.perf_counter() - first
            cpu = process_cpu(w.pid for w in cluster.workers) - cpu
        finally:
            cluster.stop()
    return len(documents) / seconds, cpu / len(documents)


def run(documents: int = 400, workers: tuple[int, ...] = WORKERS) -> Result:
    server = Postgres().start()
    try:
        with psycopg.connect(server.dsn("postgres")) as connection:
            version = connection.execute("SHOW server_version").fetchone()
            assert version is not None  # SHOW always answers one row
            result = Result(documents, server=str(version[0]))
        items = mixed_documents(documents)
        result.inline_rate, result.inline_cpu = _inline_rate(server, items)
        with tempfile.TemporaryDirectory(prefix="gateway-scaling-") as logs:
            for count in workers:
                result.rates[count], result.cpu[count] = _workers_rate(server, items, count, Path(logs))
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
