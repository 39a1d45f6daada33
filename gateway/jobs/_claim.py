"""Taking the next document job from a job's own thread, with procrastinate's own fetch
function (its per-document locks and its order hold).

The job is taken and deleted in one transaction that stays open while its document is
processed: its row stays locked, so other workers skip it, and a worker that dies or loses the
store meanwhile leaves it waiting again for any worker. (Taken and committed as ``doing``, it
waited for the recovery job, which never looks at a live worker's jobs: a store restart left one
stuck behind a worker that had lost the store while putting it back.)
"""

from __future__ import annotations

from dataclasses import dataclass

from procrastinate import sql
from procrastinate.jobs import Status
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
    """The next waiting document job, locked by ``connection``'s transaction; None when none
    waits or another queue's job is due."""
    row = connection.execute(_TAKE, {"documents": DOCUMENTS_QUEUE, "worker_id": worker_id}).one()
    if row.id is None:  # procrastinate's fetch answers a row of NULLs when it finds nothing
        return None
    return TakenJob(int(row.id), int(row.args["document_id"]))


def finish_document_job(connection: Connection, job: TakenJob) -> None:
    """Its document is processed: the job goes when the transaction that took it commits."""
    connection.exec_driver_sql(
        sql.queries["finish_job"], {"job_id": job.id, "status": Status.SUCCEEDED.value, "delete_job": True}
    )
