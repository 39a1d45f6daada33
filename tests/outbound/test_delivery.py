"""ERP delivery against a real HTTP server on 127.0.0.1 that fails on purpose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.config import ErpSettings
from gateway.inbound.pipeline import Pipeline
from gateway.model.status import OutboxStatus
from gateway.outbound.delivery import deliver_due
from gateway.outbound.delivery import redeliver
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply

T0 = FIXED_NOW


@pytest.fixture
def erp() -> Iterator[ErpServer]:
    server = ErpServer()
    yield server
    server.stop()


@pytest.fixture
def queued(master_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo acme order accepted, with its NetSuite payload queued."""
    pipeline = Pipeline(
        master_sessions, PartnerRegistry.from_directory(), clock=lambda: T0, erp_kind="erp.netsuite"
    )
    pipeline.ingest_path(INBOX / "acme-4500012345.edi")
    return master_sessions


def payload(sessions: sessionmaker[Session]) -> storage.OutboundRecord:
    with sessions() as session:
        return session.scalars(
            select(storage.OutboundRecord).where(storage.OutboundRecord.kind == "erp.netsuite")
        ).one()


def run(sessions: sessionmaker[Session], settings: ErpSettings, at: timedelta) -> tuple[int, int, int]:
    with httpx.Client() as client:
        report = deliver_due(sessions, settings, now=T0 + at, client=client)
    return report.delivered, report.retrying, report.dead


def test_an_accepted_order_queues_its_payload_with_a_stable_key(queued: sessionmaker[Session]) -> None:
    row = payload(queued)
    assert row.status == OutboxStatus.PENDING and row.idempotency_key and row.order_id is not None
    assert json.loads(row.content)["otherRefNum"] == "4500012345"


def test_retries_back_off_and_the_same_key_and_body_are_sent_each_time(
    queued: sessionmaker[Session], erp: ErpServer
) -> None:
    erp.replies = [Reply(503), Reply(502), Reply(201)]
    settings = ErpSettings(url=erp.url, token="secret", backoff_seconds=30)
    assert run(queued, settings, timedelta(0)) == (0, 1, 0)
    assert payload(queued).next_attempt_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(seconds=30)  # type: ignore[union-attr]
    assert run(queued, settings, timedelta(seconds=10)) == (0, 0, 0), "not due yet: nothing is sent"
    assert run(queued, settings, timedelta(seconds=30)) == (0, 1, 0)
    assert payload(queued).next_attempt_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(seconds=90)  # type: ignore[union-attr]
    assert run(queued, settings, timedelta(seconds=90)) == (1, 0, 0)
    row = payload(queued)
    assert row.status == OutboxStatus.SENT and row.attempts == 3 and row.last_error is None
    keys = {headers["X-NetSuite-Idempotency-Key"] for headers, _ in erp.requests}
    assert keys == {row.idempotency_key} and {body for _, body in erp.requests} == {row.content}
    assert all(headers["Authorization"] == "Bearer secret" for headers, _ in erp.requests)
    assert run(queued, settings, timedelta(hours=1)) == (0, 0, 0), "a delivered payload is never sent again"


def test_a_refusal_is_dead_lettered_at_once_with_an_alert_and_can_be_redelivered(
    queued: sessionmaker[Session], erp: ErpServer
) -> None:
    erp.replies = [Reply(400)]
    settings = ErpSettings(url=erp.url)
    assert run(queued, settings, timedelta(0)) == (0, 0, 1)
    row = payload(queued)
    assert row.status == OutboxStatus.DEAD and "HTTP 400" in (row.last_error or "")
    with queued() as session:
        [alert] = reports.alert_list(session)
    assert (
        alert["kind"] == "delivery_dead"
        and alert["outbound_id"] == row.id
        and "the ERP refused it" in alert["message"]
    )
    erp.replies = [Reply(201)]
    with queued() as session, session.begin():
        assert redeliver(session, row.id, now=T0 + timedelta(minutes=5))
    assert run(queued, settings, timedelta(minutes=5)) == (1, 0, 0)
    with queued() as session:
        assert (
            reports.alert_list(session) == [] and len(reports.alert_list(session, include_resolved=True)) == 1
        )


def test_retries_run_out_into_the_dead_letter_state(queued: sessionmaker[Session], erp: ErpServer) -> None:
    erp.replies = [Reply(500)]
    settings = ErpSettings(url=erp.url, max_attempts=3, backoff_seconds=1)
    assert [run(queued, settings, timedelta(hours=h)) for h in range(3)] == [(0, 1, 0), (0, 1, 0), (0, 0, 1)]
    assert payload(queued).status == OutboxStatus.DEAD and len(erp.requests) == 3
    with queued() as session:
        [alert] = reports.alert_list(session)
    assert "3 attempts failed" in alert["message"] and "HTTP 500" in alert["message"]


def test_retry_after_is_honoured_and_409_means_already_delivered(
    queued: sessionmaker[Session], erp: ErpServer
) -> None:
    erp.replies = [Reply(429, {"Retry-After": "120"}), Reply(409)]
    settings = ErpSettings(url=erp.url, backoff_seconds=30)
    assert run(queued, settings, timedelta(0)) == (0, 1, 0)
    assert payload(queued).next_attempt_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(seconds=120)  # type: ignore[union-attr]
    assert run(queued, settings, timedelta(seconds=120)) == (1, 0, 0)


def test_a_server_that_is_down_or_too_slow_is_retried(queued: sessionmaker[Session], erp: ErpServer) -> None:
    erp.replies = [Reply(201, delay=1.0)]
    assert run(queued, ErpSettings(url=erp.url, timeout_seconds=0.2), timedelta(0)) == (0, 1, 0)
    assert "Timeout" in (payload(queued).last_error or "")
    erp.stop()
    assert run(queued, ErpSettings(url=erp.url), timedelta(hours=1)) == (0, 1, 0)
    assert "ConnectError" in (payload(queued).last_error or "")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_ERP_URL", raising=False)
    assert ErpSettings.from_environment() is None
    monkeypatch.setenv("GATEWAY_ERP_URL", "http://127.0.0.1:9/erp")
    monkeypatch.setenv("GATEWAY_ERP_KIND", "erp.sap")
    with pytest.raises(ValueError, match="GATEWAY_ERP_KIND"):
        ErpSettings.from_environment()
    monkeypatch.setenv("GATEWAY_ERP_KIND", "erp.business_central")
    settings = ErpSettings.from_environment()
    assert settings is not None and settings.kind == "erp.business_central" and settings.max_attempts == 8
