"""Taking the next document job from a job's own thread, as procrastinate's worker takes one.

A taken job is marked ``doing`` under the worker's id by procrastinate's own fetch function (its
per-document lock and order hold), so a worker that dies holding it leaves it to the recovery
job; it is deleted once its document is processed, or put back to wait if that fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from procrastinate import sql
from sqlalchemy import Connection
from sqlalchemy import text

from ._names import DOCUMENTS_QUEUE

# Nothing is taken while a job of another queue is due (a send or recovery pass): those go
# ahead of documents, so the job ends and the worker fetches by priority.
_TAKE = text(
    """
    SELECT id, args FROM procrastinate_fetch_job_v2(
        CASE WHEN EXISTS (
            SELECT 1 FROM procrastinate_jobs
            WHERE status = 'todo' AND queue_name <> :documents
                AND (scheduled_at IS NULL OR scheduled_at <= now())
        ) THEN ARRAY[]::varchar[] ELSE ARRAY[:documents]::varchar[] END,
        :worker_id
    )
    """
)


@dataclass(frozen=True, slots=True)
class TakenJob:
    id: int
    document_id: int


def take_document_job(connection: Connection, worker_id: int) -> TakenJob | None:
    """The next waiting document job, now ``doing`` under ``worker_id``; None when none waits or
    another queue's job is due. ``connection`` is in autocommit: the claim is durable at once."""
    row = connection.execute(_TAKE, {"documents": DOCUMENTS_QUEUE, "worker_id": worker_id}).one()
    if row.id is None:  # procrastinate's fetch answers a row of NULLs when it finds nothing
        return None
    return TakenJob(int(row.id), int(row.args["document_id"]))


def finish_document_job(connection: Connection, job: TakenJob) -> None:
    """Its document is processed: the job goes, as a successful job of this worker goes."""
    connection.exec_driver_sql(
        sql.queries["finish_job"], {"job_id": job.id, "status": "succeeded", "delete_job": True}
    )


def put_back(connection: Connection, job: TakenJob) -> None:
    """Back to the queue, to run now on any worker (this one is alive: recovery would not)."""
    connection.exec_driver_sql(
        sql.queries["retry_job"],
        {"job_id": job.id, "retry_at": None, "new_priority": None, "new_queue_name": None, "new_lock": None},
    )
