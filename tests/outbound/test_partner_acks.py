"""The 997s partners send about our 855/856/810: matched to what we sent, overdue when they don't come."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.inbound.pipeline import Pipeline
from gateway.outbound.dispatch import send_due
from gateway.outbound.records import submit_shipment
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.outbound.test_dispatch import ScriptedSender
from tests.outbound.test_dispatch import routed

SHIPMENT = ROOT / "fixtures" / "shipments" / "acme-SH-26001.json"


def acme_997(group: int, st02: str, verdict: str, control: str = "000007001") -> bytes:
    """A 997 as acme would send it about our group ``group``."""
    segments = [
        f"ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDDIST  *261124*1600*U*00401*{control}*0*P*>",
        f"GS*FA*ACMERETAIL*NORTHWIND*20261124*1600*{int(control)}*X*004010",
        "ST*997*0001",
        f"AK1*SH*{group}",
        f"AK2*856*{st02}",
        f"AK5*{verdict}" + ("*5" if verdict == "R" else ""),
        f"AK9*{verdict}*1*1*{1 if verdict == 'A' else 0}",
        "SE*6*0001",
        f"GE*1*{int(control)}",
        f"IEA*1*{control}",
    ]
    return "~\n".join(segments).encode() + b"~\n"


def shipped(sessions: sessionmaker[Session]) -> tuple[Pipeline, storage.OutboundRecord]:
    pipeline = Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    pipeline.ingest_path(INBOX / "acme-4500012345.edi")
    outcome = submit_shipment(sessions, pipeline.partners, SHIPMENT.read_bytes(), when=FIXED_NOW)
    with sessions() as session:
        row = session.get(storage.OutboundRecord, outcome["outbound_id"])
        assert row is not None and row.group_control_number is not None
        return pipeline, row


def receive(pipeline: Pipeline, tmp_path: Path, content: bytes, name: str) -> dict:
    path = tmp_path / name
    path.write_bytes(content)
    outcome = pipeline.ingest_path(path)
    with pipeline._sessions() as session:
        return reports.document_report(session, outcome)


def test_a_997_marks_our_asn_acknowledged_and_gets_no_ack_back(
    master_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    pipeline, asn = shipped(master_sessions)
    st02 = f"{asn.transaction_control_numbers[0]:04d}"
    doc = receive(pipeline, tmp_path, acme_997(asn.group_control_number or 0, st02, "A"), "997.edi")
    assert doc["status"] == "processed" and doc["errors"] == [] and doc["outbound"] == []
    with master_sessions() as session:
        row = session.get(storage.OutboundRecord, asn.id)
        assert row is not None and row.ack_code == "A" and row.ack_received_at is not None
        assert reports.alert_list(session) == []


def test_a_rejecting_997_raises_an_alert(master_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    pipeline, asn = shipped(master_sessions)
    st02 = f"{asn.transaction_control_numbers[0]:04d}"
    receive(pipeline, tmp_path, acme_997(asn.group_control_number or 0, st02, "R"), "997-r.edi")
    with master_sessions() as session:
        [alert] = reports.alert_list(session)
    assert alert["kind"] == "ack_rejected" and alert["outbound_id"] == asn.id
    assert "acme rejected our 856 SH-26001" in alert["message"] and f"set {st02} R" in alert["message"]


def test_a_997_for_something_we_never_sent_is_kept_with_an_error(
    master_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    pipeline, _ = shipped(master_sessions)
    doc = receive(pipeline, tmp_path, acme_997(987654, "0001", "A"), "997-unknown.edi")
    assert doc["status"] == "processed"
    [warning] = doc["errors"]
    assert warning["reason"] == "x12.ack_unmatched" and "never sent" in warning["message"]


def test_an_asn_without_a_997_in_its_window_is_overdue(
    master_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    pipeline, asn = shipped(master_sessions)

    def overdue(hours: float) -> list[int]:
        with master_sessions() as session:
            rows = reports.outbox_list(session, now=FIXED_NOW + timedelta(hours=hours), overdue_only=True)
        return [r["id"] for r in rows]

    assert overdue(24 * 365) == [], "nothing was sent yet"
    assert send_due(master_sessions, routed("sftp"), {"sftp": ScriptedSender()}, now=FIXED_NOW).sent == 3
    assert asn.id not in overdue(23.9)
    assert asn.id in overdue(24.1), "acme's window is 24 hours"
    with master_sessions() as session:
        kinds = {
            row.kind
            for row in session.scalars(
                select(storage.OutboundRecord).where(storage.OutboundRecord.id.in_(overdue(24.1)))
            )
        }
    assert kinds == {"855", "856"}, "997s we send are not themselves acknowledged"
    st02 = f"{asn.transaction_control_numbers[0]:04d}"
    receive(pipeline, tmp_path, acme_997(asn.group_control_number or 0, st02, "A"), "997.edi")
    assert asn.id not in overdue(48)


def test_parse_keeps_a_received_997() -> None:
    """parse() gathers every event: a partner's 997 is kept in ``acks``, not dropped."""
    from parsers import parse

    result = parse(acme_997(7, "0001", "A"), partners=PartnerRegistry.from_directory())
    assert [(a.partner, a.functional_id, a.group_control_number, a.code) for a in result.acks] == [
        ("acme", "SH", "7", "A")
    ]
