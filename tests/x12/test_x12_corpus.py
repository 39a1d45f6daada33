"""Every file in ../shared/corpus ends as orders or as a specific, stored rejection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.inbound.pipeline import Pipeline
from tests.conftest import CORPUS

EXPECTED_FILE = Path(__file__).with_name("x12_corpus.expected.json")
_FIELDS = {"status", "orders", "document_errors", "order_errors", "acks"}


class Expected(NamedTuple):
    """What one corpus file must end as: document status, order statuses, document error codes,
    order error codes (severity error), and the kinds of the acks written, in order."""

    status: str
    orders: list[str]
    document_errors: list[str]
    order_errors: list[str]
    acks: list[str]


def _no_repeats(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object whose keys are unique: a repeated path would hide one of its two outcomes."""
    keys = [key for key, _ in pairs]
    assert len(set(keys)) == len(keys), f"repeated keys: {sorted({k for k in keys if keys.count(k) > 1})}"
    return dict(pairs)


def load_expected(path: Path = EXPECTED_FILE) -> dict[str, Expected]:
    """x12_corpus.expected.json: one entry per corpus file, keyed by its path under ../shared/corpus.
    Non-850 files from senders with no profile are stored as unknown_partner; known senders'
    855/856/810 sets get a 997 that rejects them as not supported. "note" says why, where it is not plain."""
    expected: dict[str, Expected] = {}
    for name, entry in json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_repeats).items():
        assert set(entry) - {"note"} == _FIELDS, f"{name}: fields {sorted(entry)}"
        expected[name] = Expected(**{field: entry[field] for field in _FIELDS})
    return expected


EXPECTED = load_expected()


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
