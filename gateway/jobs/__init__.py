"""The job queue for scale-out: on PostgreSQL, procrastinate runs document processing and the
outbound sends as jobs, for any number of ``gateway worker`` processes on any machines.

The embedded SQLite default has no queue: it processes inline (gateway.worker).
"""

from ._app import JOB_NAMES as JOB_NAMES
from ._app import make_app as make_app
from ._app import uses_job_queue as uses_job_queue
from .queue import ProcrastinateQueue as ProcrastinateQueue
from .queue import queue_for as queue_for
from .queue import queue_from_environment as queue_from_environment
from .services import QueueSettings as QueueSettings
from .services import WorkerServices as WorkerServices
from .worker import run_queue_worker as run_queue_worker
