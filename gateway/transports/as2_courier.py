"""Delivers our asynchronous MDNs to the URL each partner named, in the background, with retries.

The MDN is stored before it is queued, so a restart loses nothing: ``pending_async_mdns``
finds the ones never delivered. Each job is tried at once, then after each of
``retry_delays``; a failed try is logged and kept on the message row, the last one is also
recorded as an ``as2-in`` failure of the partner.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.outbound.transport_status import record_failure
from gateway.outbound.transport_status import record_success

from .as2_messages import split_http_message
from .as2_messages import update

log = logging.getLogger(__name__)
CHANNEL = "as2-in"


@dataclass(frozen=True, slots=True)
class MdnJob:
    """One MDN to post: ``raw`` is its headers and body; ``row_id`` the message it answers, if stored."""

    partner: str
    url: str
    raw: bytes
    original_message_id: str
    row_id: int | None = None
    attempt: int = 0


class MdnCourier:
    """Background delivery of async MDNs; ``drain()`` waits until nothing is in flight."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        *,
        retry_delays: Sequence[float] = (5.0, 30.0, 120.0, 600.0),
        timeout: float = 30.0,
        workers: int = 2,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._delays = tuple(retry_delays)
        self._timeout = timeout
        self._workers = workers
        self._queue: queue.Queue[MdnJob] = queue.Queue()
        self._lock = threading.Condition()
        self._in_flight = 0
        self._threads: list[threading.Thread] = []

    def submit(self, job: MdnJob) -> None:
        with self._lock:
            self._in_flight += 1
            if not self._threads:
                self._start()
        self._queue.put(job)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted MDN is delivered or given up; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._in_flight == 0, timeout)

    def _start(self) -> None:
        for n in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"as2-mdn-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _work(self) -> None:
        with httpx.Client(timeout=self._timeout) as client:
            while True:
                job = self._queue.get()
                finished = True
                try:
                    finished = self._deliver(client, job)
                except Exception:  # a bug here must not kill the worker; the MDN stays pending
                    log.exception(
                        "async MDN for %s to %s failed unexpectedly", job.original_message_id, job.url
                    )
                finally:
                    if finished:
                        self._done()

    def _deliver(self, client: httpx.Client, job: MdnJob) -> bool:
        """Try once; False when a retry is scheduled, True when the job is over."""
        error = _post(client, job)
        if error is None:
            self._finish(job, None)
            return True
        log.warning(
            "async MDN for %s to %s, try %d: %s", job.original_message_id, job.url, job.attempt + 1, error
        )
        if job.attempt < len(self._delays):
            self._note(job, error)
            retry = MdnJob(
                job.partner, job.url, job.raw, job.original_message_id, job.row_id, job.attempt + 1
            )
            timer = threading.Timer(self._delays[job.attempt], self._queue.put, args=(retry,))
            timer.daemon = True
            timer.start()
            return False
        self._finish(job, f"{error} (gave up after {job.attempt + 1} tries)")
        return True

    def _note(self, job: MdnJob, error: str) -> None:
        if job.row_id is None:
            return
        with self._sessions() as session, session.begin():
            row = session.get(storage.As2Message, job.row_id)
            if row is not None:
                update(row, error=f"async MDN to {job.url}: {error}")

    def _finish(self, job: MdnJob, error: str | None) -> None:
        now = self._clock()
        with self._sessions() as session, session.begin():
            row = session.get(storage.As2Message, job.row_id) if job.row_id is not None else None
            what = f"async MDN for message {job.original_message_id} to {job.url}"
            if error is None:
                if row is not None:
                    update(row, mdn_at=now, error=None)
                record_success(
                    session, partner=job.partner, channel=CHANNEL, at=now, detail=f"{what} delivered"
                )
            else:
                if row is not None:
                    update(row, error=f"async MDN to {job.url}: {error}")
                record_failure(
                    session, partner=job.partner, channel=CHANNEL, at=now, error=f"{what}: {error}"
                )

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()


def _post(client: httpx.Client, job: MdnJob) -> str | None:
    """None when the partner took the MDN, else why not."""
    if urlsplit(job.url).scheme not in ("http", "https"):
        return f"Receipt-Delivery-Option {job.url!r} is not an http(s) URL"
    headers, body = split_http_message(job.raw)
    try:
        response = client.post(job.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.is_success:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"
