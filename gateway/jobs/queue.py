"""Deferring documents to the queue from any process that stores them (pollers, web, CLI).

On SQLite there is no queue, and procrastinate is not imported: the app is reached through the
package's lazy front door (``jobs.make_app``) only for a PostgreSQL store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from gateway import jobs

from ._names import PROCESS_DOCUMENT
from ._names import document_lock

if TYPE_CHECKING:
    import procrastinate


def uses_job_queue(url: str) -> bool:
    """PostgreSQL stores run work through the queue; SQLite processes inline."""
    return make_url(url).get_backend_name() == "postgresql"


class ProcrastinateQueue:
    """A ``gateway.inbound.pipeline.DocumentQueue`` on procrastinate, with a small synchronous pool."""

    def __init__(self, app: procrastinate.App) -> None:
        self._app = app

    def defer(self, document_id: int) -> None:
        self._app.configure_task(PROCESS_DOCUMENT, lock=document_lock(document_id)).defer(
            document_id=document_id
        )

    def close(self) -> None:
        self._app.close()


def queue_for(url: str) -> ProcrastinateQueue | None:
    """The queue when the store is PostgreSQL; None (process inline) for SQLite."""
    if not uses_job_queue(url):
        return None
    return ProcrastinateQueue(jobs.make_app(url).open())
