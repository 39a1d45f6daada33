"""Order emails from fixtures/emails end to end through the pipeline, against their expected results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.cli import reports
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import ROOT

EMAILS = sorted((ROOT / "fixtures" / "emails").glob("*.eml"))


@pytest.mark.parametrize("path", EMAILS, ids=lambda p: p.stem)
def test_email_outcome(path: Path, pipeline: Pipeline, sessions: sessionmaker[Session]) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text())
    outcome = pipeline.ingest_path(path)
    with sessions() as session:
        report = reports.document_report(session, outcome)
    assert report["format"] == "email"
    assert report["status"] == expected["status"], report["errors"]
    assert [e["reason"] for e in report["errors"]] == expected["errors"]
    found = [
        {
            "po_number": order["po_number"],
            "lines": [
                [line["vendor_sku"], line["quantity"], line["uom"], line["unit_price"]]
                for line in order["lines"]
            ],
        }
        for order in report["orders"]
    ]
    assert found == expected["orders"]
    assert all(order["status"] == "accepted" for order in report["orders"])


def test_attachment_values_know_their_mime_part(pipeline: Pipeline, sessions: sessionmaker[Session]) -> None:
    outcome = pipeline.ingest_path(ROOT / "fixtures" / "emails" / "xlsx-attachment.eml")
    with sessions() as session:
        detail = reports.order_detail(session, outcome.order_ids[0])
    assert detail is not None
    where = detail["canonical"]["lines"][0]["provenance"]["quantity"]
    assert where["mime_part"] == "1.2" and where["sheet"] == "PO" and where["cell"] == "C6"


def _provenance(value: object) -> list[dict[str, object]]:
    """Every provenance entry anywhere in a canonical order's JSON."""
    if isinstance(value, dict):
        found = (
            list(value.get("provenance", {}).values()) if isinstance(value.get("provenance"), dict) else []
        )
        return found + [p for k, v in value.items() if k != "provenance" for p in _provenance(v)]
    if isinstance(value, list):
        return [p for item in value for p in _provenance(item)]
    return []


@pytest.mark.parametrize("name", ["pdf-attachment", "xlsx-attachment", "x12-attachment"])
def test_every_value_of_an_attachment_names_its_mime_part(
    name: str, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    outcome = pipeline.ingest_path(ROOT / "fixtures" / "emails" / f"{name}.eml")
    with sessions() as session:
        detail = reports.order_detail(session, outcome.order_ids[0])
    assert detail is not None
    entries = _provenance(detail["canonical"])
    assert len(entries) > 5 and all(entry.get("mime_part") for entry in entries), entries


def test_x12_attached_to_an_email_is_acknowledged(pipeline: Pipeline) -> None:
    outcome = pipeline.ingest_path(ROOT / "fixtures" / "emails" / "x12-attachment.eml")
    assert len(outcome.outbound_ids) == 1


def test_deeply_nested_mime_is_refused_without_a_crash(pipeline: Pipeline, tmp_path: Path) -> None:
    from email.message import EmailMessage

    inner = EmailMessage()
    inner["From"] = "orders@acme-retail.example"
    inner.set_content("5 x NW-10042")
    for depth in range(12):
        outer = EmailMessage()
        outer["From"] = "orders@acme-retail.example"
        outer["Subject"] = f"level {depth}"
        outer.set_content("see attached")
        outer.add_attachment(inner)
        inner = outer
    path = tmp_path / "deep.eml"
    path.write_bytes(inner.as_bytes())
    outcome = pipeline.ingest_path(path)
    assert outcome.status == "rejected"


def test_reply_to_identifies_the_customer_when_from_does_not(partners: PartnerRegistry) -> None:
    from email.message import EmailMessage

    from parsers._email import identify_sender

    mail = EmailMessage()
    mail["From"] = "noreply@portal.example"
    mail["Reply-To"] = "Jane <jane@acme-retail.example>"
    mail.set_content("10 x NW-10042")
    profile, address = identify_sender(mail, partners)
    assert profile is not None and profile.name == "acme" and address == "jane@acme-retail.example"
    del mail["Reply-To"]
    assert identify_sender(mail, partners) == (None, "noreply@portal.example")


def test_forwarded_sender_is_found_in_a_plain_message(partners: PartnerRegistry) -> None:
    """identify_sender takes any Message: one parsed with the default compat32 policy has no is_attachment."""
    import email

    from parsers._email import identify_sender

    raw = (
        b"From: Desk <desk@ourco.example>\r\nSubject: Fwd: PO\r\nContent-Type: text/plain\r\n\r\n"
        b"---------- Forwarded message ---------\r\nFrom: Jane <jane@acme-retail.example>\r\n\r\n10 x NW-10042\r\n"
    )
    mail = email.message_from_bytes(raw)
    profile, address = identify_sender(mail, partners)
    assert profile is not None and profile.name == "acme" and address == "jane@acme-retail.example"
