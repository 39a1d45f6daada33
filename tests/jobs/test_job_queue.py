"""Scale-out on PostgreSQL: documents queued through procrastinate and processed by `gateway worker`
processes, each exactly once however many workers run and however often a job runs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from procrastinate import App
from procrastinate import JobContext
from procrastinate import PsycopgConnector
from procrastinate.jobs import Job
from procrastinate.jobs import Status
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from gateway import jobs
from gateway import storage
from gateway.config import ErpSettings
from gateway.config import QueueSettings
from gateway.inbound.pipeline import IngestOutcome
from gateway.inbound.pipeline import Pipeline
from gateway.jobs import tasks
from gateway.jobs._names import OUTBOUND_QUEUE
from gateway.jobs._names import PROCESS_DOCUMENT
from gateway.jobs._names import RECOVER
from gateway.jobs._names import SEND_OUTBOUND
from gateway.jobs.inline import Worker
from gateway.model.status import DocumentStatus
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import gateway_command
from tests.conftest import three_po_interchange
from tests.run.test_run import wait_for
from tests.servers.erp_server import ErpServer
from tests.servers.postgres import Postgres
from tests.servers.queue_cluster import X12_FIXTURES
from tests.servers.queue_cluster import Cluster
from tests.servers.queue_cluster import exactly_once_problems
from tests.servers.queue_cluster import fresh_database
from tests.servers.queue_cluster import heartbeats
from tests.servers.queue_cluster import ingest_all
from tests.servers.queue_cluster import mixed_documents
from tests.servers.queue_cluster import queued_pipeline
from tests.servers.queue_cluster import wait_until_processed
from tests.work import sql_statements

X12_FILES = [f"{name}.edi" for name in X12_FIXTURES[:2]]


def job_rows(postgres: Postgres, database: str) -> list[tuple[str, str, str | None, dict]]:
    with psycopg.connect(postgres.dsn(database)) as connection:
        return connection.execute(
            "SELECT task_name, status::text, lock, args FROM procrastinate_jobs ORDER BY id"
        ).fetchall()


def test_sqlite_has_no_queue_and_postgresql_has_one() -> None:
    assert not jobs.uses_job_queue("sqlite:////tmp/gateway.db")
    assert jobs.uses_job_queue("postgresql+psycopg://gateway@127.0.0.1:5432/gateway")


def test_ingest_on_postgresql_stores_and_queues_one_locked_job(postgres: Postgres) -> None:
    url = fresh_database(postgres, "queue_defer")
    with queued_pipeline(url) as pipeline:
        outcome = pipeline.ingest_path(INBOX / "acme-4500012345.edi")
        again = pipeline.ingest_path(INBOX / "acme-4500012345.edi")  # still waiting: queued again, harmlessly
    assert (outcome.status, outcome.order_ids, outcome.outbound_ids) == (DocumentStatus.RECEIVED, [], [])
    assert again.duplicate and again.document_id == outcome.document_id
    lock = f"document:{outcome.document_id}"
    assert (
        job_rows(postgres, "queue_defer")
        == [("process_document", "todo", lock, {"document_id": outcome.document_id})] * 2
    )


def test_a_document_processed_by_two_jobs_at_once_is_processed_once(postgres: Postgres) -> None:
    url = fresh_database(postgres, "queue_twice")
    outcomes: list[IngestOutcome] = []
    with queued_pipeline(url) as pipeline:
        document_id = pipeline.ingest_path(INBOX / "acme-4500012345.edi").document_id
        threads = [
            threading.Thread(target=lambda: outcomes.append(pipeline.process(document_id, again=False)))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with pipeline.sessions() as session:
            kinds = list(
                session.scalars(select(storage.OutboundRecord.kind).order_by(storage.OutboundRecord.kind))
            )
            orders = session.scalar(select(func.count()).select_from(storage.PurchaseOrder))
    assert sorted(o.duplicate for o in outcomes) == [False, True, True, True]
    assert {o.status for o in outcomes} == {DocumentStatus.PROCESSED}
    assert (kinds, orders) == (["855", "997"], 1)


def test_recovery_and_sends_go_ahead_of_a_backlog_of_documents(postgres: Postgres) -> None:
    """A burst of stored documents must not hold back the acks of those already processed, nor
    the rescue of a dead worker's jobs: the queue runs jobs by priority, then oldest first."""
    url = fresh_database(postgres, "queue_ahead")
    with queued_pipeline(url) as pipeline:
        list(ingest_all(pipeline, mixed_documents(5)))
    app = jobs.make_app(url)

    async def fetched_in_order() -> list[str]:
        async with app.open_async():
            await tasks.send_soon(app)
            await app.configure_task(RECOVER, queueing_lock=RECOVER).defer_async(timestamp=0)
            worker = await app.job_manager.register_worker()
            order = []
            while job := await app.job_manager.fetch_job(queues=None, worker_id=worker):
                order.append(job.task_name)
            return order

    assert asyncio.run(fetched_in_order()) == [SEND_OUTBOUND, RECOVER] + [PROCESS_DOCUMENT] * 5


@pytest.mark.parametrize(
    ("erp", "send_passes"),
    [(None, 0), (ErpSettings(url="http://127.0.0.1:9/erp"), 1)],
    ids=["nothing-can-leave", "to-the-erp"],
)
def test_a_processed_document_queues_a_send_pass_only_when_something_can_leave(
    postgres: Postgres, erp: ErpSettings | None, send_passes: int
) -> None:
    """acme has no [delivery] route: its 997 and 855 wait in the outbox. A send pass queued after
    each such document found nothing to send and cost the worker a whole job (a defer, a fetch,
    a pass, a finish) per document; with an ERP to post the accepted order to, one is queued."""
    database = f"queue_send_soon_{send_passes}"
    url = fresh_database(postgres, database)
    with queued_pipeline(url) as queued:
        document_id = queued.ingest_path(INBOX / X12_FILES[0]).document_id
    engine = storage.make_engine(url)
    pipeline = Pipeline(
        storage.make_sessionmaker(engine),
        PartnerRegistry.from_directory(),
        clock=lambda: FIXED_NOW,
        erp_kind=erp.kind if erp else None,
    )
    services = jobs.WorkerServices.of(Worker(pipeline, {}, erp, lambda: FIXED_NOW), QueueSettings())
    app = jobs.make_app(url)

    async def process() -> str:
        async with app.open_async():
            worker = await app.job_manager.register_worker()
            job = await app.job_manager.fetch_job(queues=None, worker_id=worker)
            assert job is not None and job.task_name == PROCESS_DOCUMENT
            context = job_context(app, job, {"services": services})
            return await tasks.process_document(context, document_id=document_id)

    try:
        assert asyncio.run(process()) == f"document {document_id}: processed"
    finally:
        services.client.close()
        engine.dispose()
    names = [name for name, _, _, _ in job_rows(postgres, database)]
    assert names.count(SEND_OUTBOUND) == send_passes, names


@pytest.mark.parametrize("erp", [None, ErpSettings(url="http://127.0.0.1:9/erp")], ids=["no-way-out", "erp"])
def test_a_worker_with_no_way_out_asks_the_store_nothing_after_a_document(
    pipeline: Pipeline, erp: ErpSettings | None
) -> None:
    """With no partner route, no ERP and no SMTP nothing a document wrote can leave: asking the
    store which of its rows could was a session and three round trips per document for nothing."""
    document_id = pipeline.ingest_path(INBOX / X12_FILES[0]).document_id
    worker = Worker(pipeline, {}, erp, lambda: FIXED_NOW)
    engine = pipeline.sessions.kw["bind"]
    with sql_statements(engine) as statements:
        sendable = worker.can_send_any(document_id)
    assert not sendable  # the pipeline wrote no ERP payload (it was made without an ERP kind)
    assert (statements == []) == (erp is None), statements


def test_recovery_carries_on_when_a_dead_workers_job_finishes_meanwhile(
    postgres: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker judged dead was only slow and finishes its job between recovery listing it and
    running it again: recovery still re-runs the others and queues documents that have no job."""
    url = fresh_database(postgres, "queue_recover_race")
    with queued_pipeline(url) as pipeline:
        first, second = (pipeline.ingest_path(INBOX / name).document_id for name in X12_FILES)
        services = jobs.WorkerServices.of(Worker(pipeline, {}, None, lambda: FIXED_NOW), QueueSettings())
        app = jobs.make_app(url)

        async def recover() -> str:
            async with app.open_async():
                manager = app.job_manager
                slow = await manager.register_worker()
                job = await manager.fetch_job(queues=None, worker_id=slow)
                assert job is not None and job.task_kwargs == {"document_id": first}
                await on_queue_database(
                    app,
                    (WORKERS_GONE_SILENT, ()),
                    # the second document was stored while the queue was down: it has no job
                    ("DELETE FROM procrastinate_jobs WHERE lock = %s", (f"document:{second}",)),
                )
                listed = manager.get_stalled_jobs

                async def listed_then_finished(**kwargs: Any) -> list[Job]:
                    stalled = list(await listed(**kwargs))
                    await manager.finish_job(job, status=Status.SUCCEEDED, delete_job=True)
                    return stalled

                monkeypatch.setattr(manager, "get_stalled_jobs", listed_then_finished)
                context = job_context(app, job, {"services": services})
                return await tasks.recover(context, timestamp=0)

        outcome = asyncio.run(recover())
        services.client.close()
    queued = [
        (args["document_id"], status) for _, status, _, args in job_rows(postgres, "queue_recover_race")
    ]
    assert outcome == "0 jobs of dead workers retried, 2 stranded documents queued"
    assert sorted(queued) == [(first, "todo"), (second, "todo")]


def test_a_dead_workers_send_pass_does_not_stop_recovery(postgres: Postgres) -> None:
    """A worker died in a send pass and another pass is already waiting: the dead one cannot go
    back to the queue (one waiting pass per queueing lock). Recovery used to fail there on every
    pass, so the dead worker's document job behind it was never run again: the document was stuck."""
    url = fresh_database(postgres, "queue_dead_send")
    with queued_pipeline(url) as pipeline:
        document_id = pipeline.ingest_path(INBOX / X12_FILES[0]).document_id
        services = jobs.WorkerServices.of(Worker(pipeline, {}, None, lambda: FIXED_NOW), QueueSettings())
        app = jobs.make_app(url)

        async def recover() -> str:
            async with app.open_async():
                manager = app.job_manager
                dead = await manager.register_worker()
                await tasks.send_soon(app)
                taken = [await manager.fetch_job(queues=None, worker_id=dead) for _ in range(2)]
                assert [job.task_name for job in taken if job] == [SEND_OUTBOUND, PROCESS_DOCUMENT]
                await on_queue_database(app, (WORKERS_GONE_SILENT, ()))
                await app.configure_task(RECOVER).defer_async(timestamp=0)
                alive = await manager.register_worker()
                this = await manager.fetch_job(queues=[OUTBOUND_QUEUE], worker_id=alive)
                assert this is not None and this.task_name == RECOVER
                await tasks.send_soon(app)  # the next pass waits
                context = job_context(app, this, {"services": services})
                return await tasks.recover(context, timestamp=0)

        outcome = asyncio.run(recover())
        services.client.close()
    rows = [(name, status, args) for name, status, _, args in job_rows(postgres, "queue_dead_send")]
    assert outcome == "1 jobs of dead workers retried, 0 stranded documents queued"
    assert sorted(rows) == [
        (PROCESS_DOCUMENT, "todo", {"document_id": document_id}),
        (RECOVER, "doing", {"timestamp": 0}),
        (SEND_OUTBOUND, "aborted", {"timestamp": 0}),
        (SEND_OUTBOUND, "todo", {"timestamp": 0}),
    ]


def _lock_waiters(postgres: Postgres, database: str) -> int:
    with psycopg.connect(postgres.dsn(database)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize(
    ("named", "code", "said"),
    [
        (False, 0, "already processed meanwhile (processed); left as it is"),
        (True, 1, "not processed again: Order"),
    ],
    ids=["pending", "named"],
)
def test_reprocess_does_not_answer_again_what_a_worker_is_processing(
    postgres: Postgres, tmp_path: Path, named: bool, code: int, said: str
) -> None:
    """The race of issue 14: reprocess takes a document a worker is processing at that moment.

    The worker holds the document's row lock; the reprocess has already listed it (or been
    given it) and checked it, and waits behind that lock. Then the worker finishes.
    """
    database = f"reprocess_race_{'named' if named else 'pending'}"
    url = fresh_database(postgres, database)
    path = tmp_path / "three-pos.edi"
    path.write_bytes(three_po_interchange())
    locked, release = threading.Event(), threading.Event()

    def held_clock() -> datetime:
        locked.set()  # the worker holds the document's row lock from here on...
        release.wait(600)  # ...until the reprocess is waiting behind it
        return FIXED_NOW

    with queued_pipeline(url) as pipeline:
        document_id = pipeline.ingest_path(path).document_id
        worker = Pipeline(pipeline.sessions, pipeline.partners, clock=held_clock)
        working = threading.Thread(target=lambda: worker.process(document_id, again=False))
        working.start()
        assert locked.wait(600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env |= {
            "GATEWAY_DATABASE_URL": url,
            "GATEWAY_HOME": str(tmp_path),
            "GATEWAY_NOW": FIXED_NOW.isoformat(),
        }
        which = str(document_id) if named else "--pending"
        reprocess = subprocess.Popen(
            gateway_command("reprocess", which),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = (
            time.monotonic() + 600
        )  # only ends a hung run: `gateway reprocess` may take minutes to start
        while reprocess.poll() is None and not _lock_waiters(postgres, database):
            assert time.monotonic() < deadline, "reprocess neither waited for the worker nor finished"
            time.sleep(0.05)
        release.set()
        working.join()
        out, err = reprocess.communicate(timeout=600)
        with pipeline.sessions() as session:
            sent = session.execute(
                select(storage.OutboundRecord.kind, storage.OutboundRecord.refers_to)
            ).all()
            orders = session.scalars(select(storage.PurchaseOrder.status)).all()
    assert reprocess.returncode == code, (out, err)
    assert f"document {document_id}: {said}" in (out + err).decode()
    assert Counter(kind for kind, _ in sent) == {"997": 1, "855": 3}, sent
    assert sorted(refers or "" for kind, refers in sent if kind == "855") == [
        "4500012346",
        "4500012347",
        "4500012348",
    ]
    assert orders == ["accepted"] * 3


@pytest.mark.slow
def test_four_workers_process_200_mixed_documents_exactly_once(
    postgres: Postgres, tmp_path: Path, x12_maps: Callable[[Path], None]
) -> None:
    url = fresh_database(postgres, "queue_four")
    erp = ErpServer()
    cluster = Cluster(url, tmp_path / "workers", env={"GATEWAY_ERP_URL": erp.url})
    x12_maps(cluster.logs)  # the workers' data home: they read the maps kept, not parse the XML
    # 200, not 2,000: 25 of each of the 8 kinds keep all four workers (registered before the first
    # document) taking jobs at once for the whole run, so job fetches, document locks and control
    # numbers still race hundreds of times; ten times as many only repeated that, for 10+ minutes.
    # Throughput at scale is the scaling bench's.
    documents = mixed_documents(200)
    cluster.start(4)
    try:
        wait_for(lambda: len(heartbeats(url)) >= 4, "four workers to register")
        with queued_pipeline(url) as pipeline:
            ids = list(ingest_all(pipeline, documents))  # the workers start on them as they arrive
            wait_until_processed(pipeline.sessions, cluster)
            problems = exactly_once_problems(pipeline.sessions, documents, ids, erp=True)
            with pipeline.sessions() as session:
                formats = set(session.scalars(select(storage.Document.format).distinct()))
    finally:
        codes = cluster.stop()
        erp.stop()
    assert not problems, problems
    assert codes == [0, 0, 0, 0], cluster.log_tail()
    assert {"x12", "pdf", "xlsx", "csv", "email"} <= formats, formats


def _run_first_document_job(
    app: Any, services: jobs.WorkerServices, *, before: Any = None, stop: threading.Event | None = None
) -> str:
    """Fetch the first job as a worker would and run it (``before`` runs once it is taken)."""

    async def run() -> str:
        async with app.open_async():
            worker = await app.job_manager.register_worker()
            job = await app.job_manager.fetch_job(queues=None, worker_id=worker)
            assert job is not None and job.task_name == PROCESS_DOCUMENT
            if before is not None:
                await before()
            extra: dict[str, Any] = {"services": services}
            if stop is not None:
                extra["stop"] = stop
            context = job_context(app, job, extra)
            return await tasks.process_document(context, document_id=job.task_kwargs["document_id"])

    return asyncio.run(run())


WORKERS_GONE_SILENT = "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"


async def on_queue_database(app: App, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Run ``statements`` (SQL, parameters) in one connection of the queue's own pool."""
    assert isinstance(app.connector, PsycopgConnector)
    async with app.connector.pool.connection() as connection:
        for sql, parameters in statements:
            await connection.execute(sql, parameters or None)


def job_context(app: App, job: Job, extra: dict[str, Any]) -> JobContext:
    """What procrastinate hands a task it runs ``job`` with; ``extra`` is its additional context."""
    return JobContext(
        app=app, job=job, start_timestamp=0.0, abort_reason=lambda: None, additional_context=extra
    )


def _statuses(pipeline: Pipeline, ids: list[int]) -> list[str]:
    with pipeline.sessions() as session:
        found = dict(
            session.execute(
                select(storage.Document.id, storage.Document.status).where(storage.Document.id.in_(ids))
            ).all()
        )
    return [found[i] for i in ids]


def test_a_document_job_takes_the_documents_waiting_behind_it(postgres: Postgres) -> None:
    """A job that holds a document goes on with the next waiting ones, each taken as the worker
    takes a job (marked as its own, so a worker dying leaves it to recovery) and its job deleted
    once processed: a job per document cost the worker a fetch, a finish and a thread hand-off."""
    url = fresh_database(postgres, "queue_batch")
    with queued_pipeline(url) as pipeline:
        ids = list(ingest_all(pipeline, mixed_documents(4)))
        services = jobs.WorkerServices.of(Worker(pipeline, {}, None, lambda: FIXED_NOW), QueueSettings())
        try:
            said = _run_first_document_job(jobs.make_app(url), services)
        finally:
            services.client.close()
        statuses = _statuses(pipeline, ids)
    assert said == f"document {ids[0]}: processed, and 3 documents waiting behind it"
    assert DocumentStatus.RECEIVED not in statuses, statuses
    # only the job being run is left; its worker finishes it
    assert job_rows(postgres, "queue_batch") == [
        (PROCESS_DOCUMENT, "doing", f"document:{ids[0]}", {"document_id": ids[0]})
    ]


@pytest.mark.parametrize("why", ["send-pass-waits", "worker-stopping", "something-can-leave"])
def test_a_document_job_takes_no_more_when_other_work_is_due(postgres: Postgres, why: str) -> None:
    """A send or recovery pass waiting goes ahead of documents (priority), a stopping worker takes
    no more, and a document whose acks can leave ends the job so its send pass runs next."""
    database = f"queue_batch_{why.replace('-', '_')}"
    url = fresh_database(postgres, database)
    with queued_pipeline(url) as pipeline:
        ids = [pipeline.ingest_path(INBOX / name).document_id for name in X12_FILES]
        erp = ErpSettings(url="http://127.0.0.1:9/erp") if why == "something-can-leave" else None
        worker_pipeline = Pipeline(
            pipeline.sessions,
            pipeline.partners,
            clock=lambda: FIXED_NOW,
            erp_kind=erp.kind if erp else None,
        )
        services = jobs.WorkerServices.of(
            Worker(worker_pipeline, {}, erp, lambda: FIXED_NOW), QueueSettings()
        )
        app = jobs.make_app(url)
        stop = threading.Event()
        if why == "worker-stopping":
            stop.set()
        try:
            said = _run_first_document_job(
                app,
                services,
                before=(lambda: tasks.send_soon(app)) if why == "send-pass-waits" else None,
                stop=stop,
            )
        finally:
            services.client.close()
        statuses = _statuses(pipeline, ids)
    assert said == f"document {ids[0]}: processed"
    assert statuses == [DocumentStatus.PROCESSED, DocumentStatus.RECEIVED]
    rows = [(name, status) for name, status, _, _ in job_rows(postgres, database)]
    assert (PROCESS_DOCUMENT, "todo") in rows
    assert (SEND_OUTBOUND, "todo") in rows or why == "worker-stopping"


def test_a_taken_document_whose_store_fails_goes_back_to_the_queue(
    postgres: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store going away (every connection of the worker cut) on a document the job took:
    that document's job waits again, not left as this live worker's, where recovery would never
    look (a store restart once left one so), and the error is the job's."""
    url = fresh_database(postgres, "queue_batch_fails")
    with queued_pipeline(url) as pipeline:
        ids = [pipeline.ingest_path(INBOX / name).document_id for name in X12_FILES]
        services = jobs.WorkerServices.of(Worker(pipeline, {}, None, lambda: FIXED_NOW), QueueSettings())
        process = Pipeline.process

        def failing(self: Pipeline, document_id: int, **kwargs: Any) -> IngestOutcome:
            if document_id == ids[1]:
                with psycopg.connect(postgres.dsn("queue_batch_fails"), autocommit=True) as connection:
                    connection.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                raise OperationalError("SELECT", {}, Exception("the store went away"))
            return process(self, document_id, **kwargs)

        monkeypatch.setattr(Pipeline, "process", failing)
        try:
            with pytest.raises(OperationalError):
                _run_first_document_job(jobs.make_app(url), services)
        finally:
            services.client.close()
        statuses = _statuses(pipeline, ids)
    assert statuses == [DocumentStatus.PROCESSED, DocumentStatus.RECEIVED]
    assert job_rows(postgres, "queue_batch_fails") == [
        (PROCESS_DOCUMENT, "doing", f"document:{ids[0]}", {"document_id": ids[0]}),
        (PROCESS_DOCUMENT, "todo", f"document:{ids[1]}", {"document_id": ids[1]}),
    ]


def test_the_recovery_pass_runs_as_often_as_the_settings_say(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every 10 s unless ``GATEWAY_WORKER_RECOVER_SECONDS`` says otherwise (the fault tests use 2 s,
    so a worker they stop is rescued well inside its pause, however slow the machine)."""
    assert QueueSettings.from_environment().recover_seconds == 10
    monkeypatch.setenv("GATEWAY_WORKER_RECOVER_SECONDS", "2")
    settings = QueueSettings.from_environment()
    crons = {
        name: task.cron
        for (name, _), task in jobs.make_app(
            "postgresql://u@127.0.0.1/db", settings
        ).periodic_registry.periodic_tasks.items()
    }
    assert crons == {"send_outbound": "* * * * * */5", "recover": "* * * * * */2"}
    for bad in ("0", "61", "1.5", "soon"):
        monkeypatch.setenv("GATEWAY_WORKER_RECOVER_SECONDS", bad)
        with pytest.raises(ValueError, match="GATEWAY_WORKER_RECOVER_SECONDS"):
            QueueSettings.from_environment()


def test_a_worker_waits_for_a_pooled_connection_as_long_as_the_settings_say(
    postgres: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """30 s unless ``GATEWAY_WORKER_POOL_TIMEOUT_SECONDS`` says otherwise: the fault tests give
    600 s, so a worker they stop while it waits for a connection does not wake to a timeout."""
    monkeypatch.delenv("GATEWAY_WORKER_POOL_TIMEOUT_SECONDS", raising=False)
    url = postgres.create_database("queue_pool_timeout")

    async def pool_timeout(settings: QueueSettings) -> float:
        app = jobs.make_app(url, settings)
        async with app.open_async():
            connector = app.connector
            assert isinstance(connector, PsycopgConnector)
            return connector.pool.timeout

    assert asyncio.run(pool_timeout(QueueSettings.from_environment())) == 30
    monkeypatch.setenv("GATEWAY_WORKER_POOL_TIMEOUT_SECONDS", "600")
    assert asyncio.run(pool_timeout(QueueSettings.from_environment())) == 600
