"""Deferring documents to the queue from any process that stores them (pollers, web, CLI)."""

from __future__ import annotations

import procrastinate

from gateway import storage

from ._app import make_app
from ._app import uses_job_queue
from ._names import PROCESS_DOCUMENT
from ._names import document_lock


class ProcrastinateQueue:
    """A ``gateway.pipeline.DocumentQueue`` on procrastinate, with a small synchronous pool."""

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
    return ProcrastinateQueue(make_app(url).open())


def queue_from_environment() -> ProcrastinateQueue | None:
    return queue_for(storage.database_url())
