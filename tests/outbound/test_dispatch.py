"""The dispatcher's bookkeeping: leases, backoff, dead letters, async MDNs, per-channel status.

The channel here is a scripted sender; the real SFTP and AS2 senders have their own tests
against real servers.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.errors import TransportError
from gateway.inbound.pipeline import Pipeline
from gateway.model.status import OutboxStatus
from gateway.outbound import outbox
from gateway.outbound.dispatch import DispatchReport
from gateway.outbound.dispatch import Sent
from gateway.outbound.dispatch import outbound_filename
from gateway.outbound.dispatch import send_due
from gateway.outbound.retries import redeliver
from gateway.outbound.transport_status import status_rows
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX

T0 = FIXED_NOW


@dataclass
class ScriptedSender:
    """Answers each send with the next scripted outcome (the last one repeats)."""

    outcomes: list[Sent | TransportError] = field(default_factory=lambda: [Sent("uploaded")])
    calls: list[dict[str, Any]] = field(default_factory=list)

    def send(self, *, content: bytes, filename: str, profile: PartnerProfile, outbound_id: int) -> Sent:
        self.calls.append(
            {"content": content, "filename": filename, "partner": profile.name, "id": outbound_id}
        )
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, TransportError):
            raise outcome
        return outcome


def routed(via: str, **delivery: Any) -> PartnerRegistry:
    """The demo partners, with acme sending its X12 documents over ``via``."""
    registry = PartnerRegistry()
    for profile in PartnerRegistry.from_directory():
        if profile.name == "acme":
            data = profile.model_dump()
            data["delivery"] = {"via": via, "max_attempts": 3, "backoff_seconds": 60, **delivery}
            data["sftp_push"] = {
                "host": "127.0.0.1",
                "username": "acme",
                "password_env": "ACME_SFTP_PASSWORD",
                "host_key_sha256": "SHA256:" + "A" * 43,
            }
            data["as2"] = {"as2_id": "ACME", "url": "http://127.0.0.1:1/as2", "certificate": "acme.pem"}
            data["as2"]["mdn_mode"] = "async" if via == "as2" else "sync"
            data["as2"]["mdn_window_minutes"] = 20
            profile = PartnerProfile.model_validate(data)
        registry.add(profile)
    return registry


@pytest.fixture
def acme_outbox(master_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo acme PO ingested: its 997 and 855 wait in the outbox."""
    Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: T0).ingest_path(
        INBOX / "acme-4500012345.edi"
    )
    return master_sessions


def rows(sessions: sessionmaker[Session]) -> list[storage.OutboundRecord]:
    with sessions() as session:
        outbound = storage.OutboundRecord
        return list(session.scalars(select(outbound).where(outbound.partner == "acme").order_by(outbound.id)))


def run(
    sessions: sessionmaker[Session], registry: PartnerRegistry, sender: ScriptedSender, at: timedelta
) -> DispatchReport:
    return send_due(sessions, registry, {"sftp": sender, "as2": sender}, now=T0 + at)


def test_each_pending_x12_document_is_sent_once_under_a_stable_name(
    acme_outbox: sessionmaker[Session],
) -> None:
    sender, registry = ScriptedSender(), routed("sftp")
    assert run(acme_outbox, registry, sender, timedelta(0)).sent == 2
    kinds = {row.kind: row for row in rows(acme_outbox)}
    assert set(kinds) == {"997", "855"} and all(r.status == OutboxStatus.SENT for r in kinds.values())
    assert sorted(c["content"] for c in sender.calls) == sorted(r.content for r in kinds.values())
    row = kinds["855"]
    assert {c["filename"] for c in sender.calls} >= {
        outbound_filename("acme", "855", row.id, row.interchange_control_number)
    }
    assert run(acme_outbox, registry, sender, timedelta(hours=1)).sent == 0, "never sent twice"
    with acme_outbox() as session:
        [status] = status_rows(session)
    assert (status.partner, status.channel, status.last_success) == ("acme", "sftp-push", "uploaded")


def test_partners_without_a_route_keep_their_documents_in_the_outbox(
    acme_outbox: sessionmaker[Session],
) -> None:
    sender = ScriptedSender()
    assert run(acme_outbox, PartnerRegistry.from_directory(), sender, timedelta(0)) == DispatchReport()
    assert sender.calls == [] and {r.status for r in rows(acme_outbox)} == {OutboxStatus.PENDING}


def test_failures_back_off_then_dead_letter_with_an_alert_and_a_visible_status(
    acme_outbox: sessionmaker[Session],
) -> None:
    sender, registry = (
        ScriptedSender([TransportError("connection refused by 127.0.0.1:2222")]),
        routed("sftp"),
    )
    assert run(acme_outbox, registry, sender, timedelta(0)).retrying == 2
    assert {r.next_attempt_at and r.next_attempt_at.replace(tzinfo=T0.tzinfo) for r in rows(acme_outbox)} == {
        T0 + timedelta(seconds=60)
    }  # type: ignore[union-attr]
    assert run(acme_outbox, registry, sender, timedelta(seconds=30)) == DispatchReport(), "not due yet"
    assert run(acme_outbox, registry, sender, timedelta(seconds=60)).retrying == 2
    assert run(acme_outbox, registry, sender, timedelta(seconds=180)).dead == 2
    assert {r.status for r in rows(acme_outbox)} == {OutboxStatus.DEAD} and len(sender.calls) == 6
    with acme_outbox() as session:
        alerts = reports.alert_list(session)
        [status] = status_rows(session)
    assert len(alerts) == 2 and all("3 attempts failed" in a["message"] for a in alerts)
    assert "connection refused" in (status.last_error or "") and status.failures_in_a_row == 6
    assert status.last_success_at is None


def test_a_failure_repeating_cannot_cure_is_dead_at_once_and_redelivery_sends_it(
    acme_outbox: sessionmaker[Session],
) -> None:
    sender = ScriptedSender([TransportError("host key mismatch", retryable=False), Sent("uploaded")])
    registry = routed("sftp")
    report = run(acme_outbox, registry, sender, timedelta(0))
    assert (report.dead, report.sent) == (1, 1)
    [dead] = [r for r in rows(acme_outbox) if r.status == OutboxStatus.DEAD]
    with acme_outbox() as session:
        [alert] = reports.alert_list(session)
    assert "Acme Retail refused it" in alert["message"] and "host key mismatch" in alert["message"]
    with acme_outbox() as session, session.begin():
        assert redeliver(session, dead.id, now=T0 + timedelta(minutes=1))
    assert run(acme_outbox, registry, sender, timedelta(minutes=1)).sent == 1
    assert {r.status for r in rows(acme_outbox)} == {OutboxStatus.SENT}


def test_an_async_mdn_confirms_and_a_missing_one_resends_until_the_attempts_run_out(
    acme_outbox: sessionmaker[Session],
) -> None:
    sender, registry = ScriptedSender([Sent("posted; MDN due", confirmed=False)]), routed("as2")
    assert run(acme_outbox, registry, sender, timedelta(0)).awaiting_mdn == 2
    first, second = rows(acme_outbox)
    assert first.status == second.status == OutboxStatus.AWAITING_MDN
    with acme_outbox() as session, session.begin():
        assert outbox.confirm_delivery(session, first.id, at=T0 + timedelta(minutes=5))
    assert run(acme_outbox, registry, sender, timedelta(minutes=10)) == DispatchReport(), "window still open"
    assert run(acme_outbox, registry, sender, timedelta(minutes=20)).awaiting_mdn == 1, "resent: no MDN"
    resent = rows(acme_outbox)[1]
    assert resent.attempts == 2 and "no MDN came within 20 minutes" in (resent.last_error or "")
    assert run(acme_outbox, registry, sender, timedelta(minutes=40)).awaiting_mdn == 1
    assert run(acme_outbox, registry, sender, timedelta(minutes=60)) == DispatchReport()
    first, second = rows(acme_outbox)
    assert first.status == OutboxStatus.SENT and second.status == OutboxStatus.DEAD and len(sender.calls) == 4
    with acme_outbox() as session:
        [alert] = reports.alert_list(session)
    assert "3 attempts failed" in alert["message"] and "no MDN" in alert["message"]


def test_a_crash_mid_transfer_only_delays_the_document_until_its_lease_ends(
    acme_outbox: sessionmaker[Session],
) -> None:
    class Crash(BaseException):
        pass

    class CrashingSender(ScriptedSender):
        def send(self, **kwargs: Any) -> Sent:
            raise Crash

    registry = routed("sftp")
    with pytest.raises(Crash):
        send_due(acme_outbox, registry, {"sftp": CrashingSender()}, now=T0)
    assert {r.status for r in rows(acme_outbox)} == {OutboxStatus.PENDING}
    sender = ScriptedSender()
    assert run(acme_outbox, registry, sender, timedelta(minutes=5)) == DispatchReport(), "leased"
    assert run(acme_outbox, registry, sender, timedelta(minutes=10)).sent == 2


def acks(sessions: sessionmaker[Session], hours: float) -> dict[str, dict[str, Any]]:
    with sessions() as session:
        listed = reports.outbox_list(session, now=T0 + timedelta(hours=hours))
    return {row["kind"]: row for row in listed if row["partner"] == "acme"}


def test_the_997_clock_starts_when_our_855_is_sent_and_an_unsent_one_is_not_overdue(
    acme_outbox: sessionmaker[Session],
) -> None:
    year = 24 * 365
    unsent = acks(acme_outbox, year)["855"]
    assert unsent["ack"] == "not sent" and not unsent["overdue"] and unsent["ack_due_at"] is None
    assert acks(acme_outbox, year)["997"]["ack"] is None, "nobody answers our 997"
    with acme_outbox() as session:
        assert reports.outbox_list(session, now=T0 + timedelta(hours=year), overdue_only=True) == []
    sender, registry = ScriptedSender(), routed("sftp")
    assert run(acme_outbox, registry, sender, timedelta(hours=72)).sent == 2, "sent three days late"
    assert acks(acme_outbox, 72 + 23.9)["855"]["ack"] == "due"
    assert not acks(acme_outbox, 72 + 23.9)["855"]["overdue"], "acme's 24 h count from the send"
    late = acks(acme_outbox, 72 + 24.1)["855"]
    assert late["overdue"] and late["ack"] == "overdue"
    assert late["ack_due_at"].replace(tzinfo=None) == (T0 + timedelta(hours=96)).replace(tzinfo=None)


def test_an_async_mdn_transfer_starts_the_997_clock_when_it_leaves(
    acme_outbox: sessionmaker[Session],
) -> None:
    sender, registry = ScriptedSender([Sent("posted", confirmed=False)]), routed("as2")
    assert run(acme_outbox, registry, sender, timedelta(hours=2)).awaiting_mdn == 2
    assert acks(acme_outbox, 2 + 24.1)["855"]["overdue"]
    assert not acks(acme_outbox, 2 + 23.9)["855"]["overdue"]
