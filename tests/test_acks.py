"""Every 997 and 999 the gateway writes passes pyx12's own bundled maps; TA1s are well formed."""

from __future__ import annotations

import io
import json
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
import pyx12.params
import pyx12.x12n_document
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from emitters import x12_997
from emitters import x12_999
from emitters import x12_ta1
from gateway import storage
from gateway.pipeline import Pipeline
from gateway.receipts import GroupReceipt
from gateway.receipts import InterchangeReceipt
from gateway.receipts import Issue
from gateway.receipts import Level
from gateway.receipts import TransactionReceipt
from parsers.x12._map_dir import MAP_DIR
from partners import PartnerRegistry
from tests.conftest import CORPUS
from tests.conftest import INBOX

WHEN = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)


class Counter:
    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def next(self, kind: str) -> int:
        self.last[kind] = self.last.get(kind, 0) + 1
        return self.last[kind]


def pyx12_errors(content: bytes) -> tuple[bool, str]:
    """Validate with pyx12's own 997/999 maps (codes for POs added, see _mapgen): (valid, errors)."""
    errors = io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        pyx12.params.params(),
        io.StringIO(content.decode("ascii")),
        None,
        None,
        fd_json=errors,
        map_path=str(MAP_DIR),
    )
    return valid, errors.getvalue()


def test_the_pyx12_check_can_fail(partners: PartnerRegistry) -> None:
    acme = partners.get("acme")
    assert acme is not None
    content = x12_997.emit(receipt(), acme, numbers=Counter(), when=WHEN).content
    assert pyx12_errors(content.replace(b"AK9*P*3*2*1", b"AK9*Q*3*2*1"))[0] is False
    assert pyx12_errors(content.replace(b"AK5*A~", b"AK5~"))[0] is False


def receipt(version: str = "004010") -> InterchangeReceipt:
    clean = TransactionReceipt(set_id="850", control_number="0001")
    broken = TransactionReceipt(
        set_id="850",
        control_number="0002",
        issues=[
            Issue(code="x12.segment", message="unexpected", level=Level.SEGMENT, x12_code="2", segment="ZZZ",
                  position=4),
            Issue(code="x12.element", message="bad code", level=Level.ELEMENT, x12_code="7", segment="PO1",
                  position=5, loop_id="PO1", element=3, element_ref="355", bad_value="X*X"),
            Issue(code="x12.element", message="too long", level=Level.ELEMENT, x12_code="5", segment="PO1",
                  position=5, loop_id="PO1", element=7, element_ref="234", bad_value="A" * 120),
            Issue(code="x12.st", message="SE count", level=Level.TRANSACTION, x12_code="4"),
        ],
    )  # fmt: skip
    group = GroupReceipt(
        functional_id="PO",
        sender="ACMERETAIL",
        receiver="NORTHWIND",
        control_number="1001",
        version=version,
        declared_count=3,
        transactions=[clean, broken],
        issues=[Issue(code="x12.gs", message="GE count", level=Level.GROUP, x12_code="5")],
    )
    return InterchangeReceipt(
        sender_qualifier="ZZ",
        sender_id="ACMERETAIL",
        receiver_qualifier="ZZ",
        receiver_id="NORTHWINDDIST",
        control_number="000001001",
        version="00401",
        date="261120",
        time="0930",
        groups=[group, group.model_copy(update={"control_number": "1002", "issues": []})],
    )


def segments(content: bytes, element: str = "*") -> list[list[str]]:
    return [s.split(element) for s in content.decode().replace("\n", "").split("~") if s]


def test_997_reports_every_error_and_passes_pyx12(partners: PartnerRegistry) -> None:
    acme = partners.get("acme")
    assert acme is not None
    document = x12_997.emit(receipt(), acme, numbers=Counter(), when=WHEN)
    found = segments(document.content)
    ids = [s[0] for s in found]
    assert ids.count("ST") == 2 and ids.count("AK1") == 2
    assert ["AK3", "ZZZ", "4", "", "2"] in found
    assert ["AK3", "PO1", "5", "PO1", "8"] in found
    assert ["AK4", "3", "355", "7", "X X"] in found
    assert ["AK4", "7", "234", "5", "A" * 99] in found
    assert ["AK5", "R", "4", "5"] in found
    assert ["AK9", "P", "3", "2", "1", "5"] in found
    assert found[1][8] == "004010"
    valid, errors = pyx12_errors(document.content)
    assert valid, errors


def test_999_passes_pyx12_with_other_separators(partners: PartnerRegistry) -> None:
    initech = partners.get("initech")
    assert initech is not None
    custom = initech.model_copy(
        update={"separators": initech.separators.model_copy(update={"element": "|", "component": "<"})}
    )
    document = x12_999.emit(receipt("005010"), custom, numbers=Counter(), when=WHEN)
    found = segments(document.content, "|")
    assert found[1][8] == "005010X231A1"
    assert ["IK4", "3", "355", "7", "X*X"] in found
    assert ["AK1", "PO", "1001", "005010"] in found
    valid, errors = pyx12_errors(document.content)
    assert valid, errors


def test_ta1_is_a_lone_interchange(partners: PartnerRegistry) -> None:
    acme = partners.get("acme")
    assert acme is not None
    broken = receipt().model_copy(
        update={
            "issues": [Issue(code="x12.isa", message="IEA count", level=Level.INTERCHANGE, x12_code="021")]
        }
    )
    document = x12_ta1.emit(broken, acme, numbers=Counter(), when=WHEN)
    found = segments(document.content)
    assert [s[0] for s in found] == ["ISA", "TA1", "IEA"]
    assert found[1] == ["TA1", "000001001", "261120", "0930", "E", "021"]
    assert found[2] == ["IEA", "0", "000000001"]
    assert len("*".join(found[0])) == 105  # the ISA is fixed width: 106 with its terminator


def test_control_numbers_are_never_reused(partners: PartnerRegistry) -> None:
    acme = partners.get("acme")
    assert acme is not None
    counter = Counter()
    first = x12_997.emit(receipt(), acme, numbers=counter, when=WHEN)
    second = x12_997.emit(receipt(), acme, numbers=counter, when=WHEN)
    assert first.interchange_control_number != second.interchange_control_number
    assert set(first.transaction_control_numbers).isdisjoint(second.transaction_control_numbers)


CORPUS_850S = sorted(
    line.split("\t")[0]
    for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
    if line.split("\t")[3].startswith(("850", "810+850", "940"))
)


def test_every_ack_written_for_inbox_and_corpus_passes_pyx12(
    corpus_pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    paths = sorted(INBOX.iterdir()) + [CORPUS / p for p in CORPUS_850S]
    for path in paths:
        corpus_pipeline.ingest_path(Path(path))
    with sessions() as session:
        acks = session.execute(
            select(
                storage.OutboundRecord.kind, storage.OutboundRecord.content, storage.Document.filename
            ).join(storage.Document, storage.Document.id == storage.OutboundRecord.document_id)
        ).all()
    kinds = {kind for kind, _, _ in acks}
    assert {"997", "999", "TA1"} <= kinds
    for kind, content, filename in acks:
        if kind == "TA1":
            continue
        valid, errors = pyx12_errors(content)
        assert valid, f"{kind} for {filename} fails pyx12:\n{content.decode()}\n{json.dumps(errors)}"


@pytest.mark.parametrize("kind", ["ISA", "GS", "ST"])
def test_outbound_numbers_are_unique_per_partner(
    kind: str, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    for path in sorted(INBOX.iterdir()):
        pipeline.ingest_path(path)
    with sessions() as session:
        rows = session.execute(
            select(
                storage.OutboundRecord.partner,
                storage.OutboundRecord.interchange_control_number,
                storage.OutboundRecord.group_control_number,
                storage.OutboundRecord.transaction_control_numbers,
            )
        ).all()
    seen: set[tuple[str, int]] = set()
    for partner, isa, gs, sts in rows:
        values = {"ISA": [isa], "GS": [gs] if gs else [], "ST": sts}[kind]
        for value in values:
            assert (partner, value) not in seen
            seen.add((partner, value))
