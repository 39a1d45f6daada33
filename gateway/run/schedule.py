"""Runs pollers on their own schedules until told to stop, recording each one's status.

A poll that succeeds is due again ``every`` seconds later. A poll that fails is recorded
(``gateway status`` shows it) and retried with exponential backoff starting at a few seconds
and never later than ``every``, so a brief outage heals quickly and a long one is not hammered.
A job with a ``wake_fd`` (the drop inbox's inotify descriptor) is also polled as soon as that
descriptor is readable, so a file is taken the moment its writer closes it, not a
``poll_seconds`` later. A stop request is honoured between polls (within a second); a poll in
progress runs to its end.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.outbound.transport_status import record_outcome
from gateway.outbound.transport_status import status_transaction

log = logging.getLogger(__name__)
_FIRST_RETRY_SECONDS = 2.0


@dataclass(slots=True)
class PollJob:
    """One poller: ``poll`` takes what is waiting once; ``describe`` turns its report into a line."""

    partner: str
    channel: str
    every: float
    poll: Callable[[], Any]
    describe: Callable[[Any], str] = str
    wake_fd: int | None = None  # readable: poll now (the poll must consume what made it readable)
    due: float = 0.0
    failures: int = 0

    @property
    def label(self) -> str:
        return f"{self.partner} {self.channel}"


def run_polls(
    jobs: list[PollJob],
    sessions: sessionmaker[Session],
    stop: threading.Event,
    *,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
) -> None:
    """Poll each job whenever it is due, until ``stop`` is set."""
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                return
            if job.due <= monotonic():
                run_one(job, sessions, clock=clock, monotonic=monotonic)
        next_due = min((job.due for job in jobs), default=monotonic() + 60)
        _wait(jobs, stop, min(max(next_due - monotonic(), 0.05), 1.0), monotonic)


def _wait(jobs: list[PollJob], stop: threading.Event, timeout: float, monotonic: Callable[[], float]) -> None:
    """Sleep until ``timeout``, a stop request, or a wake descriptor of a healthy job (due at once)."""
    waking = {job.wake_fd: job for job in jobs if job.wake_fd is not None and job.failures == 0}
    if not waking:
        stop.wait(timeout=timeout)
        return
    poller = select.poll()  # not select(): no limit on descriptor numbers
    for fd in waking:
        poller.register(fd, select.POLLIN)
    for fd, _event in poller.poll(timeout * 1000):
        waking[fd].due = min(waking[fd].due, monotonic())


def run_one(
    job: PollJob,
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
) -> bool:
    """Poll once and record the outcome; True when it worked."""
    try:
        report = job.poll()
    except Exception as exc:  # any failure is recorded and retried; the other pollers go on
        job.failures += 1
        delay = min(_FIRST_RETRY_SECONDS * 2 ** (job.failures - 1), job.every)
        job.due = monotonic() + delay
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        log.warning("%s failed (%s); next try in %.0f s", job.label, error, delay)
        _record(sessions, job, at=clock(), error=error)
        return False
    job.failures, job.due = 0, monotonic() + job.every
    detail = job.describe(report)
    log.info("%s: %s", job.label, detail)
    _record(sessions, job, at=clock(), detail=detail)
    return True


def _record(
    sessions: sessionmaker[Session],
    job: PollJob,
    *,
    at: datetime,
    detail: str | None = None,
    error: str | None = None,
) -> None:
    """The poll's status row, in a transaction of its own; a store that is down only gets logged."""
    with status_transaction(sessions, job.partner, job.channel) as session:
        record_outcome(session, partner=job.partner, channel=job.channel, at=at, detail=detail, error=error)
