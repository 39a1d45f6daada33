"""The jobs' bodies. Each is safe to run twice: processing skips a document already processed,
sends are leased per row, and recovery only queues what has no job (a race can queue a
document twice; its second job finds it processed and does nothing). A worker judged dead may
only be starved of CPU and still finish its job: the row lock on the document makes the second
run find it processed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator

import psycopg
from procrastinate import App
from procrastinate import JobContext
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.exceptions import ConnectorException
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Job
from procrastinate.jobs import Status
from procrastinate.manager import JobManager

from ._names import PROCESS_DOCUMENT
from ._names import SEND_OUTBOUND
from ._names import document_lock
from .services import WorkerServices

log = logging.getLogger(__name__)
_WAITING = (Status.TODO.value, Status.DOING.value)  # procrastinate's job statuses, not ours


def _services(context: JobContext) -> WorkerServices:
    return context.additional_context["services"]


async def process_document(context: JobContext, document_id: int) -> str:
    """Process one stored document, and the documents waiting behind it (``process_run``); their
    acks then go out without waiting for the next send pass (none is queued when nothing they
    wrote has a way out: that pass would be a job for nothing)."""
    services = _services(context)
    stop = context.additional_context.get("stop") or threading.Event()  # never set: not stopping
    run = await asyncio.to_thread(services.process_run, document_id, context.job.worker_id, stop)
    if run.sendable:
        await send_soon(context.app)
    return run.summary(document_id)


async def send_outbound(context: JobContext, timestamp: int) -> str:
    """Every X12 send and ERP post that is due (rows are leased, so workers never send one twice)."""
    report = await asyncio.to_thread(_services(context).send_due)
    return str(report)


async def recover(context: JobContext, timestamp: int) -> str:
    """Run again the jobs of workers that stopped beating (SIGKILL, a lost machine), and queue
    stored documents that have no job (the queue was down when they were stored)."""
    services = _services(context)
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=services.settings.stalled_seconds))
    retried = 0
    for job in stalled:
        if job.id != context.job.id:  # its own worker was silent, but it is running now
            retried += await _run_again(manager, job)
    received = await asyncio.to_thread(services.received)  # read first: a document stored later has its job
    queued: set[int] = set()
    for status in _WAITING:
        for job in await manager.list_jobs_async(task=PROCESS_DOCUMENT, status=status):
            queued.add(int(str(job.task_kwargs["document_id"])))
    stranded = [d for d in received if d not in queued]
    for document_id in stranded:
        await defer_document(context.app, document_id)
    if stranded:
        log.warning("queued %d stored documents that had no job", len(stranded))
    return f"{retried} jobs of dead workers retried, {len(stranded)} stranded documents queued"


async def _run_again(manager: JobManager, job: Job) -> bool:
    """Back to the queue with a stalled job; False when that is not needed, and never an error
    that would stop the recovery of the other jobs."""
    try:
        with _ended_meanwhile():  # a worker only starved of CPU finished or retried it meanwhile
            await manager.retry_job(job)
            log.warning("job %s (%s) was left by a dead worker: running it again", job.id, job.call_string)
            return True
    except UniqueViolation:
        # A send or recovery pass, and its like is already waiting (one per queueing lock):
        # that one does the work. Ending this one frees its lock.
        with _ended_meanwhile():
            await manager.finish_job(job, status=Status.ABORTED, delete_job=False)
        log.info("job %s of a dead worker ended: a %s already waits", job.id, job.task_name)
    return False


@contextlib.contextmanager
def _ended_meanwhile() -> Iterator[None]:
    """Passes over procrastinate's "job not found, or in a status that cannot change so"."""
    try:
        yield
    except ConnectorException as exc:
        if not isinstance(exc.__cause__, psycopg.errors.RaiseException):  # a RAISE in its SQL
            raise


async def defer_document(app: App, document_id: int) -> None:
    await app.configure_task(PROCESS_DOCUMENT, lock=document_lock(document_id)).defer_async(
        document_id=document_id
    )


async def send_soon(app: App) -> None:
    """A send pass now, unless one is already waiting."""
    with contextlib.suppress(AlreadyEnqueued):
        await app.configure_task(SEND_OUTBOUND, queueing_lock=SEND_OUTBOUND).defer_async(timestamp=0)
