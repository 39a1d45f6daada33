"""The codes our 997/999 give, checked on small 850s written here (issue 17, section 4).

AK304/IK304: 1 only for a segment id the standard does not have; a segment of the standard that
the transaction set does not hold is 6; one the set holds but not there is 2 (it belongs further
on) or 7 (it belongs earlier: out of sequence). Too many elements is an AK4 with AK403 3. A segment
with no elements is in error (8). A CTT01 that miscounts the PO1s holds the order (no 997 code names
it). A reused ISA13 is flagged.
"""

from __future__ import annotations

import io
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from emitters import x12_997
from emitters import x12_999
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from parsers import parse
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.x12.test_acks import Counter

ACME = (INBOX / "acme-4500012345.edi").read_text()
INITECH = (INBOX / "initech-INI-2026-0042.edi").read_text()
ACK_IDS = ("AK3", "AK4", "AK5", "IK3", "IK4", "IK5")


def ack_lines(text: str, partners: PartnerRegistry) -> list[str]:
    """The AK3/AK4/AK5 (IK3/IK4/IK5) lines of the 997/999 we answer ``text`` with."""
    [interchange] = parse(text.encode(), partners=partners).interchanges
    partner = interchange.partner
    assert partner is not None
    emitter = x12_999 if partner.functional_ack == "999" else x12_997
    document = emitter.emit(
        interchange.receipt, partner, numbers=Counter(), when=datetime(2026, 11, 23, tzinfo=UTC)
    )
    segments = document.content.decode("ascii").replace("~\n", "~").split("~")
    return [s for s in segments if s.startswith(ACK_IDS)]


def with_segment(text: str, after: str, added: str) -> str:
    """``text`` with ``added`` right after the segment ``after``, SE01 counted again."""
    head, tail = text.split(after + "~\n", 1)
    text = head + after + "~\n" + added + "~\n" + tail
    count = text.split("ST*850*0001~\n", 1)[1].split("SE*", 1)[0].count("~") + 2
    body, se = text.rsplit("SE*", 1)
    return body + "SE*" + str(count) + "*" + se.split("*", 1)[1]


def test_a_segment_id_the_standard_does_not_have_is_unrecognized(partners: PartnerRegistry) -> None:
    text = with_segment(ACME, "CUR*BY*USD", "ZZZ*1")
    assert ack_lines(text, partners) == ["AK3*ZZZ*4**1", "AK5*R*5"]


def test_a_segment_of_the_standard_foreign_to_the_set_is_not_in_the_set(partners: PartnerRegistry) -> None:
    text = with_segment(ACME, "CUR*BY*USD", "CLM*A37YH556*500")  # a claim segment (837)
    assert ack_lines(text, partners) == ["AK3*CLM*4**6", "AK5*R*5"]


def test_a_detail_segment_in_the_header_is_unexpected(partners: PartnerRegistry) -> None:
    text = with_segment(ACME, "CUR*BY*USD", "PO4*12*1*EA")  # PO4 is only in the PO1 loop
    assert ack_lines(text, partners) == ["AK3*PO4*4**2", "AK5*R*5"]


def test_a_header_pid_after_the_n1_loop_is_out_of_sequence(partners: PartnerRegistry) -> None:
    # The header holds PID (position 050), before N1 (310): this one came too late.
    text = with_segment(ACME, "N1*BT*ACME RETAIL AP*92*AP01", "PID*F****X")
    assert ack_lines(text, partners) == ["AK3*PID*13*N1*7", "AK5*R*5"]


def test_a_header_segment_after_the_lines_is_out_of_sequence(partners: PartnerRegistry) -> None:
    text = with_segment(ACME, "PO4*12*1*EA", "CUR*BY*USD")
    [ak3, ak5] = ack_lines(text, partners)
    assert ak3.startswith("AK3*CUR*16*") and ak3.endswith("*7"), ak3
    assert ak5 == "AK5*R*5"


def test_a_known_segment_out_of_place_in_a_999_is_not_unrecognized(partners: PartnerRegistry) -> None:
    text = with_segment(INITECH, "N1*ST*INITECH HQ*92*HQ1", "PID*F****X")
    assert ack_lines(text, partners) == ["IK3*PID*7*N1*7", "IK5*R*5"]


def test_too_many_elements_is_an_ak4_with_code_3(partners: PartnerRegistry) -> None:
    # CTP has 11 elements in both versions; the twelfth is one too many.
    text = with_segment(
        ACME, "PO1*1*24*EA*4.50*PE*VN*NW-10042*UP*012345678905*BP*AC-778", "CTP*RS*RES*144" + "*" * 9 + "7"
    )
    assert ack_lines(text, partners) == ["AK3*CTP*14*CTP*8", "AK4*12**3*7", "AK5*R*5"]


def test_a_segment_with_no_elements_is_in_error(partners: PartnerRegistry) -> None:
    text = ACME.replace("N4*Columbus*OH*43219*US~", "N4~")
    assert ack_lines(text, partners) == ["AK3*N4*11*N1*8", "AK5*R*5"]


def test_a_ctt01_that_miscounts_the_po1s_holds_the_order_and_is_no_997_error(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    """AK502 4 says SE01 miscounts the set's segments (X12 element 718; pyx12 sends it for SE01 only), and
    no AK5/AK3/AK4 code names CTT01's line count, an application check that pyx12's own 997 accepts. So
    the 997 accepts the set, as pyx12's does, and the order waits on the desk with ``x12.ctt_count``."""
    text = ACME.replace("CTT*3~", "CTT*5~")
    assert ack_lines(text, partners) == ["AK5*A"]
    [parsed] = parse(text.encode(), partners=partners).orders
    assert parsed.transaction is not None and not parsed.transaction.issues and not parsed.rejected
    [issue] = [i for i in parsed.issues if i.is_error]
    assert (issue.code, issue.segment, issue.element, issue.bad_value) == ("x12.ctt_count", "CTT", 1, "5")
    assert "3 PO1" in issue.message and issue.x12_code is None and parsed.needs_review

    path = tmp_path / "ctt.edi"
    path.write_text(text)
    outcome = Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW).ingest_path(path)
    with master_sessions() as session:
        [order] = session.scalars(select(storage.PurchaseOrder)).all()
        codes = {f.code: f.action for f in session.scalars(select(storage.Finding))}
        kinds = [session.get(storage.OutboundRecord, i).kind for i in outcome.outbound_ids]  # type: ignore[union-attr]
    assert order.status == "exception" and codes == {"syntax": "hold"} and kinds == ["997"]


def test_a_right_ctt01_and_a_set_without_ctt_are_accepted(partners: PartnerRegistry) -> None:
    assert ack_lines(ACME, partners) == ["AK5*A"]
    without = ACME.replace("CTT*3~\n", "").replace("SE*22*0001", "SE*21*0001")
    assert ack_lines(without, partners) == ["AK5*A"]


@pytest.fixture
def acme_pipeline(sessions: sessionmaker[Session], partners: PartnerRegistry) -> Pipeline:
    return Pipeline(sessions, partners, clock=lambda: FIXED_NOW, validate=False)


def _ingest(pipeline: Pipeline, text: str, name: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The document's outbound kinds and TA1 segments, and its orders' (code, message) findings."""
    outcome = pipeline.ingest_stream(io.BytesIO(text.encode()), channel="sftp", filename=name)
    with pipeline._sessions() as session:
        sent = session.scalars(
            select(storage.OutboundRecord.content).where(
                storage.OutboundRecord.document_id == outcome.document_id
            )
        ).all()
        findings = session.execute(
            select(storage.Finding.code, storage.Finding.message).where(
                storage.Finding.document_id == outcome.document_id
            )
        ).all()
    ta1 = [s for c in sent for s in c.decode().replace("~\n", "~").split("~") if s.startswith("TA1")]
    assert len(outcome.order_ids) == 1
    return ta1, [(code, message) for code, message in findings]


def test_a_reused_isa13_with_other_content_is_flagged_and_still_processed(acme_pipeline: Pipeline) -> None:
    ta1, findings = _ingest(acme_pipeline, ACME, "first.edi")
    assert ta1 == [] and not [m for _, m in findings if "duplicate interchange" in m]
    other = ACME.replace("4500012345", "4500099999")  # same ISA13 000001001, another PO
    ta1, findings = _ingest(acme_pipeline, other, "second.edi")
    assert ta1 and ta1[0].split("*")[1] == "000001001" and ta1[0].split("*")[4:] == ["E", "025"], ta1
    [(code, message)] = [(c, m) for c, m in findings if "possible duplicate interchange" in m]
    assert code == "syntax" and "000001001" in message and "first.edi" in message


def test_the_same_interchange_again_stays_a_duplicate_document(acme_pipeline: Pipeline) -> None:
    first = acme_pipeline.ingest_stream(io.BytesIO(ACME.encode()), channel="sftp", filename="a.edi")
    again = acme_pipeline.ingest_stream(io.BytesIO(ACME.encode()), channel="sftp", filename="b.edi")
    assert again.duplicate and again.document_id == first.document_id
