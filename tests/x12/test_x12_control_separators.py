"""X12 whose delimiters are control characters (0x1D element, 0x1F component, 0x1C segment).

Several translators write the ASCII group/record/unit separators as delimiters; X12 allows any
character that does not occur in the data. The reader takes them from the ISA, the order is
read, and the 997 goes back in the delimiters the partner's profile names (here the same ones).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from emitters import x12_997
from gateway import storage
from gateway.desk.sources._edi_view import segment_pane
from gateway.inbound.pipeline import Pipeline
from parsers import X12
from parsers import check_interchange
from parsers import detect_format
from parsers import parse
from parsers.x12._map_dir import MAP_DIR
from parsers.x12._prepass import InterchangeHeader
from parsers.x12._prepass import RawSegment
from parsers.x12._prepass import ScanIssue
from parsers.x12._prepass import scan
from partners import PartnerRegistry
from partners import load_profile
from tests.conftest import FIXED_NOW
from tests.x12.test_acks import Counter

GS, US, FS = "\x1d", "\x1f", "\x1c"  # element, component, segment terminator
PROFILE = r"""
name = "gsrs"
customer_account = "C4040"
version = "004010"
acks = ["997"]
isa = { qualifier = "ZZ", id = "GSRSBUYER", gs_id = "GSRSBUYER" }
us = { qualifier = "ZZ", id = "NORTHWINDDIST", gs_id = "NORTHWIND" }
separators = { element = "\u001D", component = "\u001F", repetition = "\u001E", segment = "\u001C", line_break = false }
"""


def purchase_order(version: str = "004010", isa12: str = "00401") -> bytes:
    """A small 850 from GSRSBUYER written with control-character delimiters, as one line."""
    segments = [
        f"ISA*00*          *00*          *ZZ*GSRSBUYER      *ZZ*NORTHWINDDIST  *261120*0930*U*{isa12}*000000404*0*P*"
        + US,
        f"GS*PO*GSRSBUYER*NORTHWIND*20261120*0930*404*X*{version}",
        "ST*850*0001",
        "BEG*00*SA*GS-4404**20261118",
        "N1*ST*GSRS DC*92*DC1",
        "PO1*1*24*EA*4.50*PE*VN*NW-10042",
        "PID*F****WIDGET BLUE 10MM",
        "PO1*2*6*CA*52.80*PE*VN*NW-20017",
        "CTT*2",
        "SE*8*0001",
        "GE*1*404",
        "IEA*1*000000404",
    ]
    return "".join(s.replace("*", GS) + FS for s in segments).encode("ascii")


def test_control_character_delimiters_are_taken_from_the_isa() -> None:
    found = list(scan(io.BytesIO(purchase_order())))
    assert not [e.issue.code for e in found if isinstance(e, ScanIssue)]
    [header] = [e for e in found if isinstance(e, InterchangeHeader)]
    assert (header.separators.element, header.separators.component, header.separators.segment) == (GS, US, FS)
    assert header.value(6) == "GSRSBUYER" and header.value(13) == "000000404"
    assert [e.text.split(GS)[0] for e in found if isinstance(e, RawSegment)] == [
        "ISA", "GS", "ST", "BEG", "N1", "PO1", "PID", "PO1", "CTT", "SE", "GE", "IEA",
    ]  # fmt: skip
    assert detect_format(purchase_order()) == X12


def test_a_005010_repetition_separator_may_be_a_control_character() -> None:
    data = purchase_order("005010", "00501").replace(f"{GS}U{GS}".encode(), f"{GS}\x1e{GS}".encode())
    [header] = [e for e in scan(io.BytesIO(data)) if isinstance(e, InterchangeHeader)]
    assert header.separators.repetition == "\x1e"
    assert not [i.code for i in header.issues]


@pytest.mark.parametrize(
    "junk",
    [
        b"\x7fELF\x02\x01\x01\x00ISA\x1d\x00\x00\x03\x00>\x00\x01\x00\x00\x00" * 40,
        b"\x00\x1c\x1dISA\x1c\x1d\xff\xfe\x00\x00binary\x1d\x1d\x1d",
        b"PK\x03\x04ISA\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e",
    ],
    ids=["elf", "separators-in-junk", "zip-like"],
)
def test_binary_junk_with_isa_and_a_control_byte_is_still_not_x12(junk: bytes) -> None:
    found = list(scan(io.BytesIO(junk)))
    codes = [e.issue.code for e in found if isinstance(e, ScanIssue)]
    assert "x12.not_x12" in codes and not {"x12.garbage", "x12.isa_short"} & set(codes), codes
    assert not [e for e in found if isinstance(e, InterchangeHeader | RawSegment)]


@pytest.fixture
def gsrs(tmp_path: Path) -> PartnerRegistry:
    path = tmp_path / "gsrs.toml"
    path.write_text(PROFILE)
    return PartnerRegistry([load_profile(path)])


def test_the_order_is_read_with_its_lines(gsrs: PartnerRegistry) -> None:
    result = parse(purchase_order(), partners=gsrs)
    [parsed] = result.orders
    assert parsed.transaction is not None
    assert not parsed.rejected, parsed.transaction.issues
    assert parsed.order.po_number == "GS-4404"
    assert [(line.vendor_sku, str(line.unit_price)) for line in parsed.order.lines] == [
        ("NW-10042", "4.50"),
        ("NW-20017", "52.80"),
    ]
    assert not [i for i in result.all_issues if i.is_error]


def test_end_to_end_an_order_and_a_997_in_the_senders_delimiters(
    gsrs: PartnerRegistry, sessions: sessionmaker[Session]
) -> None:
    pipeline = Pipeline(sessions, gsrs, clock=lambda: FIXED_NOW, validate=False)
    outcome = pipeline.ingest_stream(io.BytesIO(purchase_order()), channel="sftp", filename="gs.x12")
    assert len(outcome.order_ids) == 1
    with sessions() as session:
        order = session.get(storage.PurchaseOrder, outcome.order_ids[0])
        assert order is not None and order.po_number == "GS-4404"
        [(kind, content)] = session.execute(
            select(storage.OutboundRecord.kind, storage.OutboundRecord.content).where(
                storage.OutboundRecord.document_id == outcome.document_id
            )
        ).all()
    assert kind == "997"
    text = content.decode("ascii")
    assert text.startswith(f"ISA{GS}00{GS}") and text[105] == FS and text[104] == US
    segments = text.rstrip(FS).split(FS)
    assert "\n" not in text and "*" not in text and "~" not in text
    acks = [s.split(GS) for s in segments if s.startswith(("AK1", "AK2", "AK5", "AK9"))]
    assert acks == [["AK1", "PO", "404"], ["AK2", "850", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"]]


def test_an_003040_interchange_is_read_with_only_the_version_warning(gsrs: PartnerRegistry) -> None:
    result = parse(purchase_order("003040", "00304"), partners=gsrs)
    [parsed] = result.orders
    assert not parsed.rejected and parsed.order.po_number == "GS-4404"
    assert {i.code for i in result.all_issues} == {"x12.version"}  # read with the 003050 map, said once


def test_the_desk_shows_control_character_delimiters_as_their_pictures() -> None:
    pane, _, _ = segment_pane(io.BytesIO(purchase_order()), [], key="edi", title="EDI", mime_part=None)
    assert pane.problem is None
    beg = next(line for line in pane.segments if line.segment_id == "BEG")
    assert (beg.separator, beg.terminator) == ("\u241d", "\u241c")
    assert beg.text == "BEG\u241d00\u241dSA\u241dGS-4404\u241d\u241d20261118"
    isa = pane.segments[0]
    assert isa.elements[-1].text == "\u241f"  # ISA16, the component separator


def test_the_997_in_0x1d_and_0x1c_passes_pyx12(tmp_path: Path) -> None:
    # pyx12 reads 0x1D/0x1C delimiters but calls a control character in ISA16 invalid, so the
    # component separator here is ">" (the inbound file keeps 0x1F: ours is checked by hand above).
    path = tmp_path / "gsrs.toml"
    path.write_text(PROFILE.replace(r'component = "\u001F"', 'component = ">"'))
    registry = PartnerRegistry([load_profile(path)])
    partner = registry.get("gsrs")
    assert partner is not None and partner.separators.element == GS
    [interchange] = parse(purchase_order(), partners=registry).interchanges
    ack = x12_997.emit(interchange.receipt, partner, numbers=Counter(), when=FIXED_NOW)
    assert ack.content.count(FS.encode()) == 10 and b"AK5\x1dA" in ack.content
    assert check_interchange(ack.content, MAP_DIR) == []
