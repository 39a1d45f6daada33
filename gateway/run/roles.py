"""What each `gateway run` child does: serve the web app, run the pollers, or run the worker.

Everything is built from the environment, as the CLI builds it: the store
(``GATEWAY_DATABASE_URL`` or ``$GATEWAY_HOME``), the profiles (``GATEWAY_PARTNERS_DIR``), the ERP
route (``GATEWAY_ERP_*``), IMAP (``GATEWAY_IMAP_*``), the polled marketplaces (``GATEWAY_AMAZON_*``,
``GATEWAY_WALMART_*``) and our AS2 identity (``GATEWAY_AS2_*``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING

from gateway import storage
from gateway.config import AlertSettings
from gateway.config import ErpSettings
from gateway.config import QueueSettings
from gateway.config import RunSettings
from gateway.config import clock
from gateway.config import pipeline_from_environment
from gateway.inbound.pipeline import Pipeline

if TYPE_CHECKING:  # the roles' own machinery: imported by the role that runs it, not by `gateway ingest`
    from gateway.outbound.dispatch import Sender
    from gateway.run.schedule import PollJob

log = logging.getLogger(__name__)
IMAP_STATUS = "(imap)"  # the IMAP mailbox's status row: it belongs to no one partner
INVENTORY_ADVICE_STATUS = "(846)"  # the 846 job's status row: one job for every partner that wants one
INVENTORY_ADVICE_SECONDS = 60.0  # how often it looks; each partner's debounce_minutes spaces its 846s
ALERTS_STATUS = "(alerts)"  # the alert checks' status row


def poll_jobs(pipeline: Pipeline, stop: threading.Event) -> list[PollJob]:
    """One job per partner SFTP server, drop inbox and polled marketplace, one for 846s if a profile
    asks, plus IMAP when configured."""
    from gateway.config import ImapSettings
    from gateway.run.schedule import PollJob
    from gateway.transports.drop_inbox import DropWatcher
    from gateway.transports.imap import ImapPoller
    from gateway.transports.sftp_pull import SftpPuller

    jobs: list[PollJob] = []
    for profile in pipeline.partners:
        if profile.sftp_pull is not None:
            puller = SftpPuller(profile, pipeline, clock=clock())
            jobs.append(
                PollJob(
                    profile.name, "sftp-pull", profile.sftp_pull.poll_seconds, partial(puller.poll_once, stop)
                )
            )
        if profile.drop is not None:
            watcher = DropWatcher(profile, pipeline, clock=clock())
            poll = partial(watcher.poll_once, stop)
            jobs.append(
                PollJob(profile.name, "drop", profile.drop.poll_seconds, poll, wake_fd=watcher.fileno())
            )
    jobs.extend(marketplace_jobs(pipeline, stop))
    advised = [profile for profile in pipeline.partners if profile.inventory_advice is not None]
    if advised:
        from gateway.outbound.inventory_advice import advise_all

        jobs.append(
            PollJob(
                INVENTORY_ADVICE_STATUS,
                "846",
                INVENTORY_ADVICE_SECONDS,
                partial(advise_all, pipeline.sessions, advised, clock=clock()),
                lambda queued: f"{len(queued)} inventory advices (846) queued",
            )
        )
    jobs.append(alert_checks(pipeline))
    if os.environ.get("GATEWAY_IMAP_HOST"):
        settings = ImapSettings.from_environment()
        imap = ImapPoller(settings, pipeline)
        jobs.append(
            PollJob(
                IMAP_STATUS,
                "imap",
                settings.poll_seconds,
                imap.poll_once,
                lambda r: f"{len(r.taken)} messages taken, {r.new_documents} new documents",
            )
        )
    return jobs


def marketplace_jobs(pipeline: Pipeline, stop: threading.Event) -> list[PollJob]:
    """One job per polled marketplace account: each profile whose ``[channel]`` is Amazon or Walmart."""
    from gateway.run.schedule import PollJob
    from gateway.transports.marketplace_channel import marketplace_channels
    from gateway.transports.marketplaces import poller_for

    jobs: list[PollJob] = []
    for channel in marketplace_channels(pipeline.partners):
        poller = poller_for(channel, pipeline, clock=clock(), stop=stop)
        jobs.append(
            PollJob(channel.partner, poller.label, channel.poll_seconds, partial(poller.poll_once, stop))
        )
    return jobs


def alert_checks(pipeline: Pipeline) -> PollJob:
    """The time-based alerts (overdue 997/999, documents stuck in ``received``, refused profiles)
    and the daily digest, every ``GATEWAY_ALERT_CHECK_SECONDS``; its status row is ``(alerts)``."""
    from gateway.alerts.checks import run_checks
    from gateway.run.schedule import PollJob

    settings = AlertSettings.from_environment()
    now = clock()
    return PollJob(
        ALERTS_STATUS,
        "alerts",
        settings.check_seconds,
        lambda: run_checks(pipeline.sessions, pipeline.partners, settings, now=now()),
    )


def senders(pipeline: Pipeline) -> dict[str, Sender]:
    from gateway.transports.as2_send import As2Sender
    from gateway.transports.sftp_push import SftpSender

    return {"sftp": SftpSender(), "as2": As2Sender.from_environment(pipeline.sessions)}


def _stop_on_sigterm() -> threading.Event:
    stop = threading.Event()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    return stop


def warm_up(pipeline: Pipeline) -> None:
    """Load the maps and master data before the first document, not during it; a failure (the
    store still starting) only costs that first document the time."""
    started = time.process_time()
    try:
        maps = pipeline.warm_up()
    except Exception as exc:
        log.warning(
            "warm-up skipped (%s: %s): the first documents load what they need", type(exc).__name__, exc
        )
        return
    log.info(
        "warmed up: %d X12 maps and the master data in %.1f s CPU", len(maps), time.process_time() - started
    )


def run_pollers(settings: RunSettings) -> None:
    from gateway.run.schedule import run_polls

    pipeline = pipeline_from_environment()
    warm_up(pipeline)  # on SQLite the pollers process what they take: a 997 is due in a second
    stop = _stop_on_sigterm()  # only now: SIGTERM during the warm-up ends us at once, nothing is in hand
    jobs = poll_jobs(pipeline, stop)
    if not jobs:
        log.info(
            "no pollers configured (no sftp_pull or drop in any profile, no GATEWAY_IMAP_HOST, "
            "no GATEWAY_AMAZON_PARTNER or GATEWAY_WALMART_PARTNER)"
        )
    for job in jobs:
        log.info("polling %s every %.0f s", job.label, job.every)
    run_polls(jobs, pipeline.sessions, stop, clock=clock())


def run_worker(settings: RunSettings) -> None:
    """On PostgreSQL a job-queue worker (any number, on any machines); on SQLite the inline one."""
    from gateway import jobs
    from gateway.jobs.inline import Worker
    from gateway.outbound.mailer import SmtpSettings

    pipeline = pipeline_from_environment(queued=False)
    warm_up(pipeline)
    stop = _stop_on_sigterm()  # only now: SIGTERM during the warm-up ends us at once, nothing is in hand
    worker = Worker(
        pipeline,
        senders(pipeline),
        ErpSettings.from_environment(),
        clock(),
        smtp=SmtpSettings.from_environment(),
        alerts=AlertSettings.from_environment(),
    )
    url = storage.database_url()
    if jobs.uses_job_queue(url):
        services = jobs.WorkerServices.of(worker, QueueSettings.from_environment())
        jobs.run_queue_worker(url, services, stop)
    else:
        worker.run(stop, every=settings.worker_seconds)


def run_web(settings: RunSettings) -> None:
    from waitress.server import create_server

    from gateway.web import create_app
    from gateway.web.services import services

    app = create_app()  # from the environment (gateway.config.WebConfig)
    inbox = services(app).as2
    if inbox is not None:
        inbox.redeliver_mdns()  # async MDNs stored but not delivered before a restart
    server = create_server(app, host=settings.host, port=settings.port, threads=8)

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)  # waitress stops accepting and lets requests in flight finish

    signal.signal(signal.SIGTERM, handler)
    log.info("web server on http://%s:%s", settings.host, settings.port)
    server.run()
    deadline = time.monotonic() + settings.shutdown_seconds
    while server.task_dispatcher.threads and time.monotonic() < deadline:
        time.sleep(0.05)


ROLE_BODIES: dict[str, Callable[[RunSettings], None]] = {
    "web": run_web,
    "pollers": run_pollers,
    "worker": run_worker,
}
