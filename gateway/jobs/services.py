"""What a queue worker's jobs work with: the pipeline, the senders, and the worker's settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from gateway.config import QueueSettings
from gateway.jobs.inline import Worker
from gateway.jobs.inline import WorkReport
from gateway.jobs.inline import received_documents

from ._claim import finish_document_job
from ._claim import take_document_job


@dataclass(frozen=True, slots=True)
class ProcessedDocument:
    status: str
    sendable: bool  # something it wrote can leave now: a send pass is worth queueing


@dataclass(frozen=True, slots=True)
class ProcessedRun:
    """A document job's run: its own document, and how many waiting behind it it took on."""

    first: ProcessedDocument
    taken: int = 0
    sendable: bool = False  # any of them wrote something that can leave

    def summary(self, document_id: int) -> str:
        said = f"document {document_id}: {self.first.status}"
        return f"{said}, and {self.taken} documents waiting behind it" if self.taken else said


@dataclass(slots=True)
class WorkerServices:
    """One per worker process, shared by its jobs (handed to them as procrastinate context)."""

    outbound: Worker
    settings: QueueSettings
    client: httpx.Client

    @classmethod
    def of(cls, outbound: Worker, settings: QueueSettings) -> WorkerServices:
        return cls(outbound, settings, httpx.Client())

    def process_and_check(self, document_id: int) -> ProcessedDocument:
        """Process one document (in the job's thread), and say whether a send pass would send any of what it wrote."""
        outcome = self.outbound.pipeline.process(document_id, again=False)
        if outcome.duplicate:  # processed earlier: that run queued its sends
            return ProcessedDocument(outcome.status, False)
        return ProcessedDocument(outcome.status, self.outbound.can_send_any(document_id))

    def process_run(self, document_id: int, worker_id: int | None, stop: threading.Event) -> ProcessedRun:
        """Process a job's document, then take the documents waiting behind it one by one
        (``gateway.jobs._claim``), in this thread: a job each cost the worker a fetch, a finish
        and a hand-off to this thread per document. It takes no more once the worker is
        stopping, a send or recovery pass is due, or a document wrote something that can leave
        (its send pass runs next, as after a job of its own)."""
        first = self.process_and_check(document_id)
        if worker_id is None or first.sendable:
            return ProcessedRun(first, sendable=first.sendable)
        taken, sendable = 0, False
        with self.outbound.sessions() as session:
            engine = session.get_bind()
        assert isinstance(engine, Engine)  # the store's sessions are bound to its engine
        with engine.connect() as connection:  # one connection for the run: a checkout pings the store
            while not sendable and not stop.is_set():
                with connection.begin():  # an error rolls back: the job waits again, for any worker
                    job = take_document_job(connection, worker_id)
                    if job is None:
                        break
                    sendable = self.process_and_check(job.document_id).sendable
                    finish_document_job(connection, job)
                taken += 1
        return ProcessedRun(first, taken, sendable)

    def send_due(self) -> WorkReport:
        return self.outbound.send_out(self.client)

    def received(self) -> list[int]:
        """Documents waiting to be processed; the recovery job queues those that have no job."""
        return received_documents(self.outbound.sessions, limit=500)
