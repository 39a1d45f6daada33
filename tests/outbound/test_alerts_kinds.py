"""Each alert kind the issue lists is raised by its real condition, names what to do, and queues a
notice; the ones a later event cures are resolved by it (and say so)."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.alerts.checks import CheckReport
from gateway.alerts.checks import run_checks
from gateway.config import AlertSettings
from gateway.config import ErpSettings
from gateway.inbound.pipeline import Pipeline
from gateway.model.order import Order
from gateway.model.status import AlertEvent
from gateway.model.status import AlertKind
from gateway.model.status import DocumentStatus
from gateway.outbound.delivery import deliver_due
from gateway.outbound.delivery import redeliver
from gateway.outbound.dispatch import send_due
from gateway.outbound.outbox import queue_erp_payload
from gateway.run.schedule import PollJob
from gateway.run.schedule import run_one
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.outbound.test_dispatch import ScriptedSender
from tests.outbound.test_dispatch import routed
from tests.outbound.test_partner_acks import acme_997
from tests.outbound.test_partner_acks import receive
from tests.outbound.test_partner_acks import shipped
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply
from tests.servers.smtp_server import free_port

T0 = FIXED_NOW
SETTINGS = AlertSettings(public_url="https://desk.example", stuck_minutes=30, digest_hour=23)


@pytest.fixture
def erp() -> Iterator[ErpServer]:
    server = ErpServer()
    yield server
    server.stop()


def open_alerts(sessions: sessionmaker[Session], kind: AlertKind | None = None) -> list[storage.Alert]:
    alert = storage.Alert
    query = select(alert).where(alert.resolved_at.is_(None)).order_by(alert.id)
    with sessions() as session:
        return [row for row in session.scalars(query) if kind is None or row.kind == kind]


def events(sessions: sessionmaker[Session], alert_id: int) -> list[str]:
    notice = storage.AlertNotification
    with sessions() as session:
        return list(
            session.scalars(select(notice.event).where(notice.alert_id == alert_id).order_by(notice.id))
        )


def checks(sessions: sessionmaker[Session], partners: PartnerRegistry, at: timedelta) -> CheckReport:
    return run_checks(sessions, partners, SETTINGS, now=T0 + at)


def test_a_dead_lettered_erp_payload_names_its_order_and_redelivery_resolves_it(
    master_sessions: sessionmaker[Session], erp: ErpServer
) -> None:
    pipeline = Pipeline(
        master_sessions, PartnerRegistry.from_directory(), clock=lambda: T0, erp_kind="erp.netsuite"
    )
    pipeline.ingest_path(INBOX / "acme-4500012345.edi")
    erp.replies = [Reply(400)]
    with httpx.Client() as client:
        assert deliver_due(master_sessions, ErpSettings(url=erp.url), now=T0, client=client).dead == 1
    [alert] = open_alerts(master_sessions)
    assert alert.kind == AlertKind.DELIVERY_DEAD and alert.partner == "acme" and alert.order_id is not None
    assert alert.outbound_id is not None and f"gateway alerts --redeliver {alert.outbound_id}" in (
        alert.action or ""
    )
    assert events(master_sessions, alert.id) == [AlertEvent.RAISED]
    with master_sessions() as session, session.begin():
        assert redeliver(session, alert.outbound_id, now=T0 + timedelta(hours=1))
    assert open_alerts(master_sessions) == []
    assert events(master_sessions, alert.id) == [AlertEvent.RAISED, AlertEvent.RESOLVED]


def test_a_rejecting_997_of_ours_raises_one_with_what_to_do(
    master_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    pipeline, asn = shipped(master_sessions)
    st02 = f"{asn.transaction_control_numbers[0]:04d}"
    receive(pipeline, tmp_path, acme_997(asn.group_control_number or 0, st02, "P"), "997-p.edi")
    [alert] = open_alerts(master_sessions)
    assert (
        alert.kind == AlertKind.ACK_REJECTED
        and alert.outbound_id == asn.id
        and alert.order_id == asn.order_id
    )
    assert "acme partially accepted our 856 SH-26001" in alert.message
    assert alert.action and "AK3/AK4" in alert.action
    assert events(master_sessions, alert.id) == [AlertEvent.RAISED]


def test_a_997_overdue_after_sending_is_raised_once_and_resolved_when_it_comes(
    master_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    pipeline, asn = shipped(master_sessions)
    partners = pipeline.partners
    assert checks(master_sessions, partners, timedelta(hours=25)).raised == 0, "nothing was sent yet"
    assert send_due(master_sessions, routed("sftp"), {"sftp": ScriptedSender()}, now=T0).sent == 3
    assert checks(master_sessions, partners, timedelta(hours=23.9)).raised == 0, "acme's window is 24 hours"
    assert checks(master_sessions, partners, timedelta(hours=24.1)).raised == 2, "the 855 and the 856"
    assert checks(master_sessions, partners, timedelta(hours=30)).raised == 0, "raised once, not every pass"
    overdue = {a.outbound_id: a for a in open_alerts(master_sessions, AlertKind.ACK_OVERDUE)}
    assert asn.id in overdue and "no 997/999 from acme for our 856 SH-26001" in overdue[asn.id].message
    st02 = f"{asn.transaction_control_numbers[0]:04d}"
    receive(pipeline, tmp_path, acme_997(asn.group_control_number or 0, st02, "A"), "997.edi")
    assert asn.id not in {a.outbound_id for a in open_alerts(master_sessions, AlertKind.ACK_OVERDUE)}
    assert events(master_sessions, overdue[asn.id].id) == [AlertEvent.RAISED, AlertEvent.RESOLVED]


def test_an_order_that_cannot_go_to_the_erp_raises_one_naming_the_order(
    master_sessions: sessionmaker[Session],
) -> None:
    partners = PartnerRegistry.from_directory()
    Pipeline(master_sessions, partners, clock=lambda: T0).ingest_path(INBOX / "acme-4500012345.edi")
    with master_sessions() as session, session.begin():
        row = session.scalars(select(storage.PurchaseOrder)).first()
        assert row is not None
        order = Order.model_validate(row.canonical)
        skuless = order.model_copy(
            update={
                "lines": [line.model_copy(update={"sku": None, "vendor_sku": None}) for line in order.lines]
            }
        )
        acme = partners.get("acme")
        assert acme is not None
        assert queue_erp_payload(session, "erp.netsuite", skuless, acme, order_id=row.id, when=T0) is None
    [alert] = open_alerts(master_sessions)
    assert alert.kind == AlertKind.ERP_PAYLOAD and alert.order_id == row.id and alert.partner == "acme"
    assert (
        "cannot go to the ERP" in alert.message and "neither a catalog SKU nor a vendor SKU" in alert.message
    )


def refused_poll() -> PollJob:
    closed = free_port()  # nobody listens: every poll is refused

    def poll() -> str:
        with socket.create_connection(("127.0.0.1", closed), timeout=5):
            return "connected"

    return PollJob("acme", "sftp-pull", 60.0, poll)


def test_a_poller_failing_n_times_in_a_row_raises_one_and_its_next_success_resolves_it(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEWAY_ALERT_POLLER_FAILURES", raising=False)  # the default: 3
    job = refused_poll()
    for attempt in range(1, 3):
        assert not run_one(job, sessions, clock=lambda: T0)
        assert open_alerts(sessions) == [], f"{attempt} failure(s) are not yet an alert"
    assert not run_one(job, sessions, clock=lambda: T0)
    assert not run_one(job, sessions, clock=lambda: T0)
    [alert] = open_alerts(sessions)
    assert alert.kind == AlertKind.POLLER_FAILING and alert.partner == "acme" and alert.repeats == 1
    assert (
        "sftp-pull of acme failed 4 times in a row" in alert.message
        and "ConnectionRefusedError" in alert.message
    )
    assert events(sessions, alert.id) == [AlertEvent.RAISED], "the repeat is counted, not sent again"
    job.poll = lambda: "3 files taken"
    assert run_one(job, sessions, clock=lambda: T0 + timedelta(minutes=5))
    assert open_alerts(sessions) == []
    assert events(sessions, alert.id) == [AlertEvent.RAISED, AlertEvent.RESOLVED]


def test_the_poller_threshold_is_gateway_alert_poller_failures(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_ALERT_POLLER_FAILURES", "5")
    job = refused_poll()
    for attempt in range(1, 5):
        assert not run_one(job, sessions, clock=lambda: T0)
        assert open_alerts(sessions) == [], f"{attempt} failure(s) are not yet an alert"
    assert not run_one(job, sessions, clock=lambda: T0)
    [alert] = open_alerts(sessions)
    assert "sftp-pull of acme failed 5 times in a row" in alert.message
    monkeypatch.setenv(
        "GATEWAY_ALERT_POLLER_FAILURES", "9"
    )  # raised since: the next success still resolves it
    job.poll = lambda: "3 files taken"
    assert run_one(job, sessions, clock=lambda: T0 + timedelta(minutes=5))
    assert open_alerts(sessions) == []


def test_a_document_stuck_in_received_is_raised_after_the_threshold_and_resolved_once_processed(
    master_sessions: sessionmaker[Session],
) -> None:
    partners = PartnerRegistry.from_directory()
    with master_sessions() as session, session.begin():
        document, _ = storage.store_document(
            session,
            io.BytesIO((INBOX / "acme-4500012345.edi").read_bytes()),
            channel="sftp",
            filename="acme-4500012345.edi",
            received_at=T0,
        )
        document_id = document.id  # stored; the worker that would process it never ran
    assert checks(master_sessions, partners, timedelta(minutes=29)).raised == 0
    assert checks(master_sessions, partners, timedelta(minutes=31)).raised == 1
    assert checks(master_sessions, partners, timedelta(minutes=45)).raised == 0
    [alert] = open_alerts(master_sessions)
    assert alert.kind == AlertKind.DOCUMENT_STUCK and alert.document_id == document_id
    assert f"gateway reprocess {document_id}" in (alert.action or "")
    Pipeline(master_sessions, partners, clock=lambda: T0 + timedelta(hours=1)).process(
        document_id, again=False
    )
    with master_sessions() as session:
        assert session.get(storage.Document, document_id).status == DocumentStatus.PROCESSED  # type: ignore[union-attr]
    assert checks(master_sessions, partners, timedelta(hours=1)).resolved == 1
    assert open_alerts(master_sessions, AlertKind.DOCUMENT_STUCK) == []


def test_a_profile_that_fails_to_load_raises_one_until_it_loads(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    (tmp_path / "broken.toml").write_text('name = "broken"\nversion = "004010"\n', encoding="utf-8")
    refused = PartnerRegistry.from_directory(tmp_path)
    assert [r.path.name for r in refused.refused] == ["broken.toml"]
    assert checks(sessions, refused, timedelta(0)).raised == 1
    assert checks(sessions, refused, timedelta(minutes=1)).raised == 0
    [alert] = open_alerts(sessions)
    assert alert.kind == AlertKind.PROFILE_REFUSED and alert.partner == "broken"
    assert "profile file broken.toml does not load" in alert.message and "broken.toml" in (alert.action or "")
    (tmp_path / "broken.toml").unlink()
    assert checks(sessions, PartnerRegistry.from_directory(tmp_path), timedelta(minutes=2)).resolved == 1
    assert open_alerts(sessions) == []
