"""Every file in ../shared/corpus ends as orders or as a specific, stored rejection."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.inbound.pipeline import Pipeline
from tests.conftest import CORPUS

# path -> (document status, order statuses, document error codes, order error codes, acks written).
# Non-850 files from senders with no profile are stored as unknown_partner; known senders'
# 855/856/810 sets get a 997 that rejects them as not supported.
EXPECTED = {
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_850/Example1_PGWGlass.txt": (
        "processed",
        ["accepted"],
        [],
        [],
        ["997"],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_850/Example2_Adobe_TLP.txt": (
        "processed",
        ["accepted"],
        [],
        [],
        ["997"],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_850/Example3_Adobe_CLP.txt": (
        "processed",
        ["accepted"],
        [],
        [],
        ["997"],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_850/Example4_Adobe_ShrinkWrapped.txt": (
        "processed",
        ["accepted"],
        [],
        [],
        ["997"],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_850/From_aojuk.txt": (
        "processed",
        ["accepted"],
        [],
        [],
        ["997"],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_855/855SSimmons.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_855/Example1_Adobe.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_856/Example1.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_856/Example2.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_856/Example3.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_856/Example4.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_856/FromGregarican.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_856/edi1Source.txt": (
        "rejected",
        [],
        ["x12.unsupported"],
        [],
        ["997"],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_810/Example5_Walmart.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_810/Example3_MultiInvoice.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_810/2011110815164104.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_810/Example4_Adobe.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/Acknowledgments/TechnicalAcknowledgment_Sample1.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/Acknowledgments/TechnicalAcknowledgment_SampleFromJeffN825.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/Acknowledgments/_999/DHS_Wisconsin_Sample.txt": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "aaronhuggins__node-x12/test/test-data/850.edi": ("processed", ["accepted"], [], [], ["997"]),
    "aaronhuggins__node-x12/test/test-data/850_2.edi": ("processed", ["accepted"], [], [], ["997"]),
    "aaronhuggins__node-x12/test/test-data/850_3.edi": ("processed", ["accepted"], [], [], ["997"]),
    "aaronhuggins__node-x12/test/test-data/850_fat.edi": (
        "processed",
        ["accepted", "accepted"],  # parse-only; the repeated PO is a validation finding
        ["x12.duplicate_interchange"],
        [],
        ["997", "TA1", "997"],
    ),
    "aaronhuggins__node-x12/test/test-data/855.edi": ("unknown_partner", [], ["partner.unknown"], [], []),
    "aaronhuggins__node-x12/test/test-data/856.edi": ("rejected", [], ["x12.unsupported"], [], ["997"]),
    "kputnam__stupidedi/spec/fixtures/003010/PO850/fail/1.edi": (  # SE01 28 and CTT01 1, for 2 PO1s
        "rejected",
        ["rejected"],
        ["x12.all_rejected"],
        ["x12.ctt_count", "x12.st"],
        ["TA1", "997"],
    ),
    "kputnam__stupidedi/spec/fixtures/003050/PO850/fail/1.edi": (
        "processed",
        ["accepted"],
        [],
        [],
        ["TA1", "997"],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/PO850/pass/1.edi": ("processed", ["accepted"], [], [], ["997"]),
    "kputnam__stupidedi/spec/fixtures/004010/X357 SC850 Aerospace Industry Purchase Order/pass/basic-po.edi": (
        "processed",
        ["accepted"],
        [],
        [],
        ["997"],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/X357 SC850 Aerospace Industry Purchase Order/pass/taxexempt-po.edi": (
        "processed",
        ["accepted"],
        [],
        [],
        ["997"],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/FA997/pass/1.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/IN810/pass/1.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/PR855/pass/1.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/PR855/fail/2.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/X358 SC855 Aerospace Industry Purchase Order Acknowledgment/pass/po-ack-minor-changes.edi": (
        "rejected",
        [],
        ["x12.unsupported"],
        [],
        ["997"],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/SH856/fail/2.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "kputnam__stupidedi/spec/fixtures/002001/SH856/fail/1.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "kputnam__stupidedi/spec/fixtures/004010/X348 SC810 Aerospace Industry Invoice/pass/basic-invoice.edi": (
        "rejected",
        [],
        ["x12.unsupported"],
        [],
        ["997"],
    ),
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/850.OK.edi": ("processed", ["accepted"], [], [], ["997"]),
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/850.SyntaxNotes.ERR.edi": (
        "rejected",
        ["rejected"],
        ["x12.all_rejected"],
        ["x12.syntax"],
        ["997"],
    ),
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/850.Composite.SLN.OK.edi": (
        "processed",
        ["accepted"],
        [],
        [],
        ["997"],
    ),
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/856.Crossdock.OK.edi": (
        "rejected",
        [],
        ["x12.unsupported"],
        [],
        ["997"],
    ),
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/ControlNumbersMismatch.edi": (
        "rejected",
        [],
        ["x12.gs", "x12.isa", "x12.st", "x12.unsupported"],
        [],
        ["TA1", "997"],
    ),
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/WrongGroupsAndTranCount.edi": (
        "rejected",
        [],
        ["x12.element", "x12.gs", "x12.isa", "x12.unsupported"],
        [],
        ["TA1", "997"],
    ),
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/MultipleInterchangesAndGroups.edi": (
        "rejected",
        [],
        ["x12.element", "x12.isa", "x12.unsupported"],
        [],
        ["TA1", "997", "TA1", "997"],
    ),
    "olmelabs__EdiEngine/EdiEngine.Tests/TestData/NonEdi.edi": ("rejected", [], ["x12.not_x12"], [], []),
    "xlate__staedi/src/test/resources/x12/invoice810_po850_dual.edi": (
        "rejected",
        ["rejected"],
        ["x12.unsupported"],
        ["x12.syntax"],
        ["997"],
    ),
    "xlate__staedi/src/test/resources/x12/simple810.edi": ("rejected", [], ["x12.unsupported"], [], ["997"]),
    "xlate__staedi/src/test/resources/x12/simple997.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/extraDelimiter997.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/invalid997.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/invalid997_min.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/empty997.edi": ("unknown_partner", [], ["partner.unknown"], [], []),
    "xlate__staedi/src/test/resources/x12/simple997-multiple-interchanges.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/simple999.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/invalid999.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/issue128/ts210_80char.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/issue109/ts214_ellipses_segterm.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "xlate__staedi/src/test/resources/x12/issue590/multi-tx-transaction-type.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
    "Stedi-Demos__bootstrap-archived/src/resources/X12/5010/850/input.edi": (
        "processed",
        ["accepted"],
        [],
        [],
        ["999"],
    ),
    "Stedi-Demos__bootstrap-archived/src/resources/X12/5010/855/inbound.edi": (
        "unknown_partner",
        [],
        ["partner.unknown"],
        [],
        [],
    ),
}


X12_FILES = sorted(
    line.split("\t")[0]
    for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
    if line.split("\t")[3] != "license" and not line.split("\t")[0].endswith((".xlsx", ".xml"))
)


def test_every_x12_corpus_file_has_an_expected_outcome() -> None:
    assert sorted(EXPECTED) == X12_FILES


@pytest.mark.parametrize("path", X12_FILES)
def test_corpus_file_outcome(path: str, corpus_pipeline: Pipeline, sessions: sessionmaker[Session]) -> None:
    status, order_statuses, document_errors, order_errors, acks = EXPECTED[path]
    outcome = corpus_pipeline.ingest_path(CORPUS / path)
    with sessions() as session:
        report = reports.document_report(session, outcome)
        document = session.get(storage.Document, outcome.document_id)
        assert document is not None
        stored = storage.document_bytes(session, outcome.document_id)
    assert stored == (CORPUS / path).read_bytes(), "the raw bytes are kept exactly"
    assert report["status"] == status
    assert [o["status"] for o in report["orders"]] == order_statuses
    assert sorted({e["reason"] for e in report["errors"]}) == document_errors
    found = {f["reason"] for o in report["orders"] for f in o["findings"] if f["severity"] == "error"}
    assert sorted(found) == order_errors
    assert [o["kind"] for o in report["outbound"]] == acks
    if status == "rejected":
        assert document.error and document.error_code, "a rejection says why, on the stored document"
    for error in report["errors"]:
        assert error["message"] and len(error["message"]) > 20


def ack_segments(sessions: sessionmaker[Session], kind: str) -> list[list[str]]:
    with sessions() as session:
        content = session.scalars(
            select(storage.OutboundRecord.content).where(storage.OutboundRecord.kind == kind)
        )
        text = b"".join(content).decode()
    return [s.strip().split("*") for s in text.split("~") if s.strip()]


def test_rejected_syntax_shows_in_the_997(corpus_pipeline: Pipeline, sessions: sessionmaker[Session]) -> None:
    corpus_pipeline.ingest_path(
        CORPUS / "olmelabs__EdiEngine/EdiEngine.Tests/TestData/850.SyntaxNotes.ERR.edi"
    )
    found = ack_segments(sessions, "997")
    assert ["AK3", "PO1", "13", "PO1", "8"] in found
    assert ["AK4", "7", "234", "2"] in found  # PO106 CB given, PO107 missing
    assert ["AK5", "R", "5"] in found
    assert found[[s[0] for s in found].index("AK9")][:5] == ["AK9", "R", "1", "1", "0"]


def test_envelope_faults_show_in_the_ta1(corpus_pipeline: Pipeline, sessions: sessionmaker[Session]) -> None:
    corpus_pipeline.ingest_path(
        CORPUS / "olmelabs__EdiEngine/EdiEngine.Tests/TestData/ControlNumbersMismatch.edi"
    )
    [ta1] = [s for s in ack_segments(sessions, "TA1") if s[0] == "TA1"]
    assert ta1[1] == "000003438" and ta1[5] == "001"
    found = ack_segments(sessions, "997")
    ak9 = found[[s[0] for s in found].index("AK9")]
    assert "4" in ak9[5:]  # GE02 does not match GS06


def test_wrong_se_count_shows_in_the_997(corpus_pipeline: Pipeline, sessions: sessionmaker[Session]) -> None:
    corpus_pipeline.ingest_path(CORPUS / "kputnam__stupidedi/spec/fixtures/003010/PO850/fail/1.edi")
    assert ["AK5", "R", "4"] in ack_segments(sessions, "997")
