"""Poll scheduling with backoff, the status it records, `gateway status`, and the worker's crash recovery."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli.commands import main
from gateway.errors import TransportError
from gateway.inbound.pipeline import Pipeline
from gateway.jobs.inline import Worker
from gateway.outbound import transport_status
from gateway.run.schedule import PollJob
from gateway.run.schedule import run_one
from gateway.run.schedule import run_polls
from gateway.transports.drop_inbox import DropWatcher
from partners import DropInbox
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failing_poll_backs_off_up_to_its_interval_and_success_resets_it(
    sessions: sessionmaker[Session],
) -> None:
    outcomes: list[Exception | str] = [*[TransportError("connection refused")] * 6, "3 files taken"]
    monotonic = FakeClock()

    def poll() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    job = PollJob("acme", "sftp-pull", 30.0, poll)
    delays = []
    for _ in range(6):
        assert not run_one(job, sessions, clock=lambda: FIXED_NOW, monotonic=monotonic)
        delays.append(job.due - monotonic.now)
    assert delays == [2, 4, 8, 16, 30, 30]
    with sessions() as session:
        [row] = transport_status.status_report(session, PartnerRegistry())
    assert row["failures_in_a_row"] == 6 and "TransportError: connection refused" in row["last_error"]
    assert row["last_success_at"] is None
    assert run_one(job, sessions, clock=lambda: FIXED_NOW + timedelta(minutes=1), monotonic=monotonic)
    assert job.due - monotonic.now == 30 and job.failures == 0
    with sessions() as session:
        [row] = transport_status.status_report(session, PartnerRegistry())
    assert row["failures_in_a_row"] == 0 and row["last_success"] == "3 files taken"
    assert row["last_error"], "the last error stays visible after a success"


def test_run_polls_returns_promptly_when_stopped(sessions: sessionmaker[Session]) -> None:
    stop = threading.Event()
    calls: list[int] = []

    def poll() -> str:
        calls.append(1)
        if len(calls) == 3:
            stop.set()
        return "nothing waiting"

    run_polls([PollJob("acme", "drop", 0.01, poll)], sessions, stop, clock=lambda: FIXED_NOW)
    assert len(calls) == 3


def test_a_drop_inbox_is_polled_the_moment_a_writer_closes_a_file(
    pipeline: Pipeline, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Neither poll_seconds nor stable_seconds (an hour each) is waited for: the close wakes the poll."""
    acme = PartnerRegistry.from_directory().get("acme")
    assert acme is not None
    inbox = DropInbox(path=str(tmp_path), stable_seconds=3600, poll_seconds=3600)
    watcher = DropWatcher(acme.model_copy(update={"drop": inbox}), pipeline, clock=lambda: FIXED_NOW)
    stop, first_poll, reports = threading.Event(), threading.Event(), []

    def poll() -> object:
        report = watcher.poll_once(stop)
        reports.append(report)
        first_poll.set()
        if report.taken:
            stop.set()
        return report

    job = PollJob("acme", "drop", inbox.poll_seconds, poll, wake_fd=watcher.fileno())
    polls = threading.Thread(
        target=run_polls, args=([job], sessions, stop), kwargs={"clock": lambda: FIXED_NOW}
    )
    polls.start()
    try:
        assert first_poll.wait(timeout=600)  # a ceiling that only ends a hung run
        content = (INBOX / "acme-4500012345.edi").read_bytes()
        with (tmp_path / "po.edi").open("wb") as upload:
            upload.write(content)
        polls.join(timeout=600)
    finally:
        stop.set()
        polls.join()
        watcher.close()
    assert [t.name for t in reports[-1].taken] == ["po.edi"] and reports[0].taken == []
    with sessions() as session:
        [document] = session.scalars(select(storage.Document)).all()
        assert storage.document_bytes(session, document.id) == content


def test_status_lists_configured_channels_that_never_ran(sessions: sessionmaker[Session]) -> None:
    registry = PartnerRegistry()
    for profile in PartnerRegistry.from_directory():
        if profile.name == "globex":
            data = profile.model_dump()
            data["drop"] = {"path": "/srv/sftp/globex/inbox"}
            profile = PartnerProfile.model_validate(data)
        registry.add(profile)
    with sessions() as session:
        rows = transport_status.status_report(session, registry)
    assert [(r["partner"], r["channel"], r["last_success_at"]) for r in rows] == [
        ("globex", "drop", None),
        ("northwind-shop", "shopify-in", None),  # the demo shop's webhook
    ]


def test_status_command_shows_success_and_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_HOME", str(tmp_path))
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    engine = storage.make_engine(storage.database_url())
    storage.upgrade(engine)
    job = PollJob("(imap)", "imap", 60.0, lambda: (_ for _ in ()).throw(OSError("[Errno 111] refused")))
    run_one(job, storage.make_sessionmaker(engine), clock=lambda: FIXED_NOW)
    engine.dispose()
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    assert "(imap)" in result.output and "never succeeded" in result.output
    assert "OSError: [Errno 111] refused" in result.output


def test_the_worker_processes_documents_a_crash_left_unprocessed(
    master_sessions: sessionmaker[Session],
) -> None:
    pipeline = Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    with master_sessions() as session, session.begin():  # stored, then the process died
        document, _ = storage.store_document(
            session,
            io.BytesIO((INBOX / "acme-4500012345.edi").read_bytes()),
            channel="sftp",
            filename="acme.edi",
            received_at=FIXED_NOW,
        )
        stranded = document.id
    now = FIXED_NOW + timedelta(minutes=1)
    worker = Worker(pipeline, {}, None, clock=lambda: now)
    with httpx.Client() as client:
        assert worker.work_once(client).recovered == 0, "too fresh: it may be in processing right now"
        now = FIXED_NOW + timedelta(minutes=6)
        assert worker.work_once(client).recovered == 1
        assert worker.work_once(client).recovered == 0
    with master_sessions() as session:
        assert session.get(storage.Document, stranded).status != "received"  # type: ignore[union-attr]
