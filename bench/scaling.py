"""Scale-out: documents/s with 1, 2 and 4 ``gateway worker`` processes on a loopback PostgreSQL.

Each run gets a fresh database with the same mixed documents (X12 batches and partner files,
PDFs, xlsx and CSV forms, emails) stored and queued first; then the workers start, and the
rate is counted from the first document processed to the last (worker start-up, warm-up
included, is left out). Over the same window the CPU is counted, per document: the workers'
(user + system, from /proc) and PostgreSQL's (the server and its backends, reaped ones
included), and the workers' CPU by thread: the main thread is procrastinate's event loop, the
others run the jobs. The baseline is the same documents, stored the same way, processed one after
another in this process on the same PostgreSQL: the pipeline with no queue (its CPU from
``time.process_time``), warmed up as a worker is. It runs again just before each worker count,
and that count is compared with it: on a shared machine the load moves between runs.

The workers run with the deployed queue settings (``QueueSettings``' defaults). The end is found
by asking PostgreSQL how many documents wait, every half second, and more often as the estimated
end nears: asking 20 times a second, as before, cost a PostgreSQL backend 3 to 5 ms of CPU per
document on two cores, which the inline baseline did not pay.
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
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from bench._cpu import process_cpu
from bench._cpu import server_cpu
from bench._cpu import thread_cpu
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
from tests.servers.queue_cluster import queued_pipeline
from tests.servers.queue_cluster import waiting_documents

WORKERS = (1, 2, 4)
_FIRST_POLL = 0.05  # seconds between looks for the first document processed (start-up, not measured)
_POLL = (0.05, 0.5)  # the shortest and longest wait between looks for the end


def deployed_timing() -> dict[str, str]:
    """The workers' heartbeat, stall window, recovery cadence, pool wait and shutdown as deployed
    (QueueSettings' defaults), not the test cluster's: its 1 s heartbeat cost a row update per
    second per worker, and its recovery pass every 2 s listed every waiting job and ended a
    document job's run five times as often."""
    deployed = QueueSettings()
    return {
        "GATEWAY_WORKER_HEARTBEAT_SECONDS": str(deployed.heartbeat_seconds),
        "GATEWAY_WORKER_STALLED_SECONDS": str(deployed.stalled_seconds),
        "GATEWAY_WORKER_RECOVER_SECONDS": str(deployed.recover_seconds),
        "GATEWAY_SHUTDOWN_SECONDS": str(deployed.shutdown_seconds),
        "GATEWAY_WORKER_POOL_TIMEOUT_SECONDS": str(deployed.pool_timeout_seconds),
    }


@dataclass(frozen=True, slots=True)
class Window:
    """One run, from the first document processed to the last."""

    rate: float  # documents per second
    cpu: float  # the gateway's CPU seconds per document (the workers, or the inline process)
    database_cpu: float  # PostgreSQL's CPU seconds per document
    event_loop_cpu: float = 0.0  # of ``cpu``: the workers' main threads (procrastinate's event loop)
    load: tuple[float, float] = (0.0, 0.0)  # the 1-minute load average at the start and at the end

    @property
    def job_cpu(self) -> float:
        """Of ``cpu``: the threads that run the jobs (all of it, inline)."""
        return self.cpu - self.event_loop_cpu

    @property
    def load_range(self) -> str:
        low, high = sorted(self.load)
        return f"{low:.1f}-{high:.1f}"


@dataclass(slots=True)
class Result:
    documents: int
    runs: dict[int, Window] = field(default_factory=dict)  # by number of workers
    baselines: dict[int, Window] = field(default_factory=dict)  # inline, run just before each count
    server: str = ""

    @property
    def inline(self) -> Window:
        """The first inline run."""
        return next(iter(self.baselines.values()))

    @property
    def inline_rate(self) -> float:
        return self.inline.rate

    @property
    def rates(self) -> dict[int, float]:
        return {n: run.rate for n, run in self.runs.items()}

    def lines(self) -> list[str]:
        out = [f"scaling: {self.documents} mixed documents, {os.cpu_count()} CPUs, PostgreSQL {self.server}"]
        for workers, run in self.runs.items():
            inline = self.baselines[workers]
            out.append(
                f"  inline, one process (baseline): {inline.rate:.1f} docs/s, {inline.cpu * 1000:.1f} ms CPU/doc "
                f"(+ PostgreSQL {inline.database_cpu * 1000:.1f} ms), load {inline.load_range}"
            )
            out.append(
                f"  {workers} workers: {run.rate:.1f} docs/s ({run.rate / inline.rate:.2f}x inline), "
                f"{run.cpu * 1000:.1f} ms CPU/doc ({run.cpu / inline.cpu:.2f}x inline: "
                f"jobs {run.job_cpu * 1000:.1f}, event loop {run.event_loop_cpu * 1000:.1f}) "
                f"(+ PostgreSQL {run.database_cpu * 1000:.1f} ms), load {run.load_range}"
            )
        return out

    def markdown(self) -> str:
        def row(label: str, run: Window, inline: Window) -> list[str]:
            return [
                label,
                f"{run.rate:.1f}",
                f"{run.rate / inline.rate:.2f}x",
                f"{run.cpu * 1000:.1f}",
                f"{run.cpu / inline.cpu:.2f}x",
                f"{run.job_cpu * 1000:.1f}",
                f"{run.event_loop_cpu * 1000:.1f}",
                f"{run.database_cpu * 1000:.1f}",
                run.load_range,
            ]

        rows = []
        for workers, run in self.runs.items():
            inline = self.baselines[workers]
            rows.append(row("inline, one process (baseline)", inline, inline))
            rows.append(row(f"{workers} `gateway worker`", run, inline))
        headers = ["", "docs/s", "vs inline", "CPU ms/doc", "CPU vs inline", "jobs' threads", "event loop"]
        return "\n\n".join(
            [
                f"{self.documents} mixed documents (X12, PDF, xlsx, CSV, email), queued before the "
                f"workers start; rate and CPU from the first document processed to the last. Each worker "
                f"count is compared with the inline run just before it. {os.cpu_count()} CPUs: more "
                f"workers than CPUs cannot add speed.",
                table([*headers, "PostgreSQL CPU ms/doc", "load"], rows),
            ]
        )

    def headlines(self) -> list[Headline]:
        top, least = max(self.runs), min(self.runs)
        one, inline_one, inline_top = self.runs[least], self.baselines[least], self.baselines[top]
        return [
            Headline(
                f"scale-out: {top} workers on PostgreSQL",
                f"{self.runs[top].rate:.1f} docs/s",
                f"{self.runs[top].rate / inline_top.rate:.2f}x",
                f"inline, one process, {inline_top.rate:.1f} docs/s",
            ),
            Headline(
                f"CPU per document, {least} worker",
                f"{one.cpu * 1000:.0f} ms",
                f"{one.cpu / inline_one.cpu:.2f}x",
                f"inline, {inline_one.cpu * 1000:.0f} ms",
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


def _inline(server: Postgres, documents: list[Inbound], name: str) -> Window:
    url = fresh_database(server, name)
    engine = storage.make_engine(url)
    pipeline = Pipeline(
        storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), queue=_StoreOnly()
    )
    stored = list(ingest_all(pipeline, documents))
    pipeline.warm_up()  # as `gateway worker` does before its first job
    load = os.getloadavg()[0]
    started, cpu, database = time.perf_counter(), time.process_time(), server_cpu(_postmaster(server))
    for document_id in stored:
        pipeline.process(document_id, again=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    database = server_cpu(_postmaster(server)) - database
    engine.dispose()
    count = len(documents)
    return Window(count / seconds, cpu / count, database / count, load=(load, os.getloadavg()[0]))


def _event_loops(cluster: Cluster) -> float:
    """CPU seconds of the workers' main threads, where procrastinate's event loop runs."""
    return sum(thread_cpu(w.pid).get(w.pid, 0.0) for w in cluster.workers)


def _wait_until_none_waits(sessions: sessionmaker[Session], started: float, count: int) -> None:
    """Until no document waits: a look every half second, more often as the end nears (each
    look is a query, which costs PostgreSQL CPU the inline baseline does not pay)."""
    while (waiting := waiting_documents(sessions)) != 0:
        done = count - (waiting or count)
        rate = done / (time.perf_counter() - started)
        end_in = waiting / rate if rate and waiting else _POLL[1]
        time.sleep(min(max(end_in / 2, _POLL[0]), _POLL[1]))


def _workers(server: Postgres, documents: list[Inbound], workers: int, logs: Path) -> Window:
    url = fresh_database(server, f"scaling_{workers}")
    cluster = Cluster(url, logs / f"workers-{workers}", env=deployed_timing())
    with queued_pipeline(url) as pipeline:
        for _ in ingest_all(pipeline, documents):
            pass
        cluster.start(workers)
        try:
            while (count := waiting_documents(pipeline.sessions)) == len(documents) or count is None:
                time.sleep(_FIRST_POLL)
            load_before = os.getloadavg()[0]
            first = time.perf_counter()
            cpu = process_cpu(w.pid for w in cluster.workers)
            loops = _event_loops(cluster)
            database = server_cpu(_postmaster(server))
            _wait_until_none_waits(pipeline.sessions, first, count)
            seconds = time.perf_counter() - first
            cpu = process_cpu(w.pid for w in cluster.workers) - cpu
            loops = _event_loops(cluster) - loops
            database = server_cpu(_postmaster(server)) - database
            load = (load_before, os.getloadavg()[0])
        finally:
            cluster.stop()
    if not count:
        raise RuntimeError(f"{workers} workers processed every document before the first look")
    return Window(count / seconds, cpu / count, database / count, loops / count, load)


def run(documents: int = 400, workers: tuple[int, ...] = WORKERS) -> Result:
    server = Postgres().start()
    try:
        with psycopg.connect(server.dsn("postgres")) as connection:
            version = connection.execute("SHOW server_version").fetchone()
            assert version is not None  # SHOW always answers one row
            result = Result(documents, server=str(version[0]))
        items = mixed_documents(documents)
        with tempfile.TemporaryDirectory(prefix="gateway-scaling-") as logs:
            for count in workers:
                result.baselines[count] = _inline(server, items, f"scaling_inline_{count}")
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
