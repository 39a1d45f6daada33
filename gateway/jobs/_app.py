"""The procrastinate app: its connection to the store's PostgreSQL and the gateway's jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import procrastinate
from procrastinate import RetryStrategy
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError

from gateway.config import QueueSettings

from . import tasks
from ._names import DOCUMENTS_QUEUE
from ._names import OUTBOUND_QUEUE
from ._names import PROCESS_DOCUMENT
from ._names import RECOVER
from ._names import SEND_OUTBOUND

JOB_NAMES = (PROCESS_DOCUMENT, SEND_OUTBOUND, RECOVER)

# A store that is restarting: try again for about five minutes; the recovery pass takes over after.
_STORE_DOWN = RetryStrategy(
    max_attempts=12, linear_wait=5, retry_exceptions={OperationalError, InterfaceError}
)

# Jobs run by priority, then oldest first: the sends and the recovery go ahead of any backlog of
# documents, or a burst would hold back the acks already due and the rescue of dead workers' jobs.
_AHEAD_OF_DOCUMENTS = 10


def conninfo(url: str) -> str:
    """The libpq connection string for the store's SQLAlchemy URL (any ``+driver`` dropped)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(url: str, settings: QueueSettings | None = None) -> procrastinate.App:
    """An app on the store's database, with the gateway's three jobs registered on it.

    - ``process_document``: one document, locked per document so two never run at once;
    - ``send_outbound``: every 5 s, the X12 sends and ERP posts that are due;
    - ``recover``: every ``settings.recover_seconds`` (10 s), jobs of workers that died, and
      stored documents with no job.

    A connection is waited for up to ``settings.pool_timeout_seconds`` (30 s).
    """
    settings = settings or QueueSettings()
    recover_seconds = settings.recover_seconds
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(url),
        min_size=1,
        max_size=4,
        timeout=settings.pool_timeout_seconds,
        kwargs={"connect_timeout": 10},
    )
    app = procrastinate.App(connector=connector)
    app.task(name=PROCESS_DOCUMENT, queue=DOCUMENTS_QUEUE, pass_context=True, retry=_STORE_DOWN)(
        tasks.process_document
    )
    _every(app, 5, SEND_OUTBOUND, tasks.send_outbound)
    _every(app, recover_seconds, RECOVER, tasks.recover)
    return app


def _every(app: procrastinate.App, seconds: int, name: str, task: Callable[..., Any]) -> None:
    """Register ``task`` as ``name`` on the outbound queue, ahead of documents, at most one
    waiting at a time, deferred every ``seconds``."""
    registered = app.task(
        name=name,
        queue=OUTBOUND_QUEUE,
        pass_context=True,
        queueing_lock=name,
        priority=_AHEAD_OF_DOCUMENTS,
    )(task)
    app.periodic(cron=f"* * * * * */{seconds}", periodic_id=name)(registered)
