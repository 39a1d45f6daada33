"""The job queue for scale-out: on PostgreSQL, procrastinate runs document processing and the
outbound sends as jobs, for any number of ``gateway worker`` processes on any machines.

The embedded SQLite default has no queue: it processes inline (gateway.jobs.inline).

Every export is imported on first use (``gateway._lazy``): a command on SQLite never loads
procrastinate or psycopg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway._lazy import front_door

if TYPE_CHECKING:
    from ._app import JOB_NAMES as JOB_NAMES
    from ._app import make_app as make_app
    from .queue import ProcrastinateQueue as ProcrastinateQueue
    from .queue import queue_for as queue_for
    from .queue import uses_job_queue as uses_job_queue
    from .services import WorkerServices as WorkerServices
    from .worker import run_queue_worker as run_queue_worker

__getattr__, __dir__ = front_door(__name__, __file__)
