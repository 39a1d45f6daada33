"""``gateway worker`` on PostgreSQL: a procrastinate worker that survives losing its database.

When the store goes away (a restart, a failover) the worker stops, waits with a growing
delay and starts again; jobs it was running when the connection broke are retried, and the
recovery job runs again any job whose worker stopped beating. SIGTERM finishes the jobs in
hand (up to ``GATEWAY_SHUTDOWN_SECONDS``) and exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time

import procrastinate

from ._app import make_app
from .services import WorkerServices

log = logging.getLogger(__name__)
_MAX_DELAY = 30.0
# A worker starting deletes the rows of workers silent this long. Judging a worker dead (its
# jobs run again) goes by GATEWAY_WORKER_STALLED_SECONDS and needs no deletion; deleting a worker
# that was only starved of CPU made its next job fetch fail, and it stopped and started again.
_FORGET_SILENT_WORKERS_AFTER = 3600.0


def run_queue_worker(url: str, services: WorkerServices, stop: threading.Event) -> None:
    """Run jobs until ``stop`` is set, starting again after every lost connection."""
    logging.getLogger("procrastinate").setLevel(logging.WARNING)  # not a line per job
    log.info("queue worker: %d jobs at once", services.settings.concurrency)
    delay = 1.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            asyncio.run(_serve(make_app(url, services.settings), services, stop))
        except Exception as exc:
            if not stop.is_set():
                cause = exc.__cause__ or exc.__context__  # procrastinate's errors wrap psycopg's
                log.error("worker lost the job queue: %s: %s (%r)", type(exc).__name__, exc, cause)
        else:
            if not stop.is_set():
                log.error("worker lost the job queue (procrastinate stopped: a lost connection)")
        if stop.is_set():
            break
        if time.monotonic() - started > 2 * _MAX_DELAY:
            delay = 1.0  # it had been up a while: this is a fresh outage
        log.warning("worker starts again in %.0f s", delay)
        stop.wait(delay)
        delay = min(delay * 2, _MAX_DELAY)
    services.client.close()


async def _serve(app: procrastinate.App, services: WorkerServices, stop: threading.Event) -> None:
    settings = services.settings
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                concurrency=settings.concurrency,
                additional_context={"services": services, "stop": stop},  # a stopping worker takes no more
                delete_jobs="successful",
                # LISTEN/NOTIFY wakes the event loop hundreds of times a second, and each wake
                # takes the GIL from the job's thread: polling every 0.5 s processed 150
                # documents in 7.3-8.0 s instead of 9.2-10.4 s on one worker.
                listen_notify=False,
                fetch_job_polling_interval=0.5,
                install_signal_handlers=False,
                update_heartbeat_interval=settings.heartbeat_seconds,
                stalled_worker_timeout=max(settings.stalled_seconds, _FORGET_SILENT_WORKERS_AFTER),
                shutdown_graceful_timeout=settings.shutdown_seconds,
            )
        )
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm() -> None:
            stop.set()
            worker.cancel()  # procrastinate stops fetching and lets running jobs finish

        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        if stop.is_set():  # asked to stop before the handler was in place
            worker.cancel()
        try:
            await worker
        except asyncio.CancelledError:
            if not stop.is_set():
                raise
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            signal.signal(signal.SIGTERM, previous)
