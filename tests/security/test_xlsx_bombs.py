"""Hostile workbooks: zips that lie, sheets as large as Excel allows, tables openpyxl reads whole.

Each is ingested through the real pipeline (as the drop inbox does, for acme) and must end as a
stored, rejected document with a specific ``excel.*`` error, cheaply: within ``CALLS`` function
calls (work, not seconds: see ``tests.work``). The gigabyte bombs, and the memory they must not
take, are in ``test_bounded_memory``.
"""

from __future__ import annotations

import random
import zlib

import pytest
from sqlalchemy import select

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from parsers._excel import MAX_ROWS
from parsers._excel import MAX_WHOLE_PART
from tests.security import _hostile as hostile
from tests.security._stored import assert_refused
from tests.security._stored import ingest
from tests.work import counted_calls

# Each ingest, refused or read: under 80,000 calls here. Reading what the refusals keep out takes
# more: 1.07 million calls to pad 1,048,576 rows (without MAX_ROWS), 3.6 million for a million
# unsized rows, 4.1 million for 600,000 shared strings (each measured with its check taken out).
CALLS = 500_000


def _ingest_sheet(store_pipeline: Pipeline, data: bytes, name: str) -> storage.Document:
    with counted_calls() as calls:
        document = ingest(store_pipeline, data, filename=f"{name}.xlsx", channel="drop", partner="acme")
    assert calls.total < CALLS, (name, calls.total)
    return document


def test_the_builders_make_a_workbook_that_reads_as_an_order(store_pipeline: Pipeline) -> None:
    """The control: without the hostile part, the same workbook is an order (so refusals are not accidents)."""
    for data in (hostile.xlsx(), hostile.xlsx(shared_strings=hostile.shared_strings_xml())):
        document = ingest(store_pipeline, data, filename="order.xlsx", channel="drop", partner="acme")
        assert (document.status, document.error_code) == ("processed", None)


def _sheet_bomb(size_claimed: int | None, *, crc_of_claim: bool) -> bytes:
    """A 64 MiB sheet in a 70 KB workbook; its headers claim ``size_claimed`` (None: the truth)."""
    head, tail = hostile.sheet_xml().split(b"</sheetData>")
    deflated, size, crc = hostile.deflate_repeated(head, b" " * hostile.MIB, 64, b"</sheetData>" + tail)
    if size_claimed is not None:
        claimed = zlib.decompressobj(-15).decompress(deflated, size_claimed)
        size, crc = size_claimed, zlib.crc32(claimed) if crc_of_claim else crc
    return hostile.zip_with_raw_entry(
        hostile.xlsx_parts(), "xl/worksheets/sheet1.xml", deflated, size=size, crc=crc
    )


@pytest.mark.parametrize(
    ("claimed", "crc_of_claim", "reason", "says"),
    [
        (None, False, "excel.too_large", "ratio"),  # told truthfully: refused before it is opened
        (2048, False, "excel.corrupt", "Bad CRC-32"),  # lies about its size: zipfile stops there
        (2048, True, "excel.corrupt", "ParseError"),  # lies with a matching CRC: truncated XML
    ],
    ids=["truthful", "lying-size", "lying-size-and-crc"],
)
def test_a_sheet_bomb_is_refused_whatever_its_headers_claim(
    store_pipeline: Pipeline, claimed: int | None, crc_of_claim: bool, reason: str, says: str
) -> None:
    document = _ingest_sheet(store_pipeline, _sheet_bomb(claimed, crc_of_claim=crc_of_claim), "bomb")
    assert_refused(document, reason, says=says)


def test_malformed_sheet_xml_is_corrupt_not_a_crash(store_pipeline: Pipeline) -> None:
    broken = hostile.sheet_xml()[:-40]
    document = _ingest_sheet(store_pipeline, hostile.xlsx(sheet=broken), "broken")
    assert_refused(document, "excel.corrupt", says="ParseError")


def test_a_sheet_past_the_row_limit_is_refused(store_pipeline: Pipeline) -> None:
    """Its last cell is Excel's last: openpyxl pads every row in between, and reading stops at MAX_ROWS."""
    rows = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    data = hostile.xlsx(sheet=hostile.sheet_xml(rows=rows, dimension="A1:XFD1048576"))
    document = _ingest_sheet(store_pipeline, data, "huge")
    assert_refused(document, "excel.too_large", says=f"more than {MAX_ROWS} rows")


def test_a_million_empty_rows_without_a_dimension_are_refused_unread(store_pipeline: Pipeline) -> None:
    """Without <dimension>, openpyxl parses the whole sheet when it opens it (17 s for these 15 MB)."""
    rows = b"".join(b'<row r="%d"/>' % n for n in range(4, 1_000_000))
    data = hostile.xlsx(sheet=hostile.sheet_xml(rows=rows))
    assert len(data) < 3 * hostile.MIB  # small on the wire
    document = _ingest_sheet(store_pipeline, data, "unsized")
    assert_refused(document, "excel.too_large", says="does not say its size (no <dimension>)")


def test_a_huge_dimension_alone_costs_nothing(store_pipeline: Pipeline) -> None:
    """openpyxl pads rows only up to the last row present, not to what <dimension> claims."""
    data = hostile.xlsx(sheet=hostile.sheet_xml(dimension="A1:XFD1048576"))
    document = _ingest_sheet(store_pipeline, data, "claims-huge")
    assert (document.status, document.error_code) == ("processed", None)


def _random_texts(count: int) -> list[str]:
    """``count`` four-character strings that do not compress much (so no ratio check stops them)."""
    text = random.Random(8).randbytes(2 * count).hex()
    return [text[4 * n : 4 * n + 4] for n in range(count)]


def test_a_shared_strings_table_openpyxl_would_read_for_minutes_is_refused(store_pipeline: Pipeline) -> None:
    """openpyxl reads the whole table at open, about 60 µs a string: 600,000 is 12 MB (2 MB zipped), 40 s."""
    table = hostile.shared_strings_xml(tuple(_random_texts(600_000)))
    assert len(table) > MAX_WHOLE_PART
    document = _ingest_sheet(store_pipeline, hostile.xlsx(shared_strings=table), "strings")
    assert_refused(document, "excel.too_large", says="part 'xl/sharedStrings.xml' unpacks to 11 MB")


def test_a_styles_part_openpyxl_would_read_for_minutes_is_refused(store_pipeline: Pipeline) -> None:
    """xl/styles.xml is read whole, into a tree: 16 MB of cell formats take 30 s and 300 MB."""
    formats = "".join(f'<xf numFmtId="{len(t)}" borderId="{t[0]}"/>' for t in _random_texts(400_000))
    styles = f'<styleSheet xmlns="{hostile.SHEET_NS}"><cellXfs>{formats}</cellXfs></styleSheet>'.encode()
    assert len(styles) > MAX_WHOLE_PART
    data = hostile.zipped({**hostile.xlsx_parts(), "xl/styles.xml": styles})
    document = _ingest_sheet(store_pipeline, data, "styles")
    assert_refused(document, "excel.too_large", says="part 'xl/styles.xml' unpacks to")


def test_a_dimension_claiming_fewer_rows_hides_no_line(store_pipeline: Pipeline) -> None:
    """openpyxl (read-only) stops at the last row <dimension> names: a stale or hostile A1:C3 used
    to drop line 4 silently, and the order went on without it."""
    row = b'<row r="4"><c r="A4" t="inlineStr"><is><t>NW-10042</t></is></c><c r="B4"><v>7</v></c></row>'
    data = hostile.xlsx(sheet=hostile.sheet_xml(rows=row, dimension="A1:C3"))
    document = _ingest_sheet(store_pipeline, data, "stale-dimension")
    assert (document.status, document.error_code) == ("processed", None)
    with store_pipeline.sessions() as session:
        skus = session.scalars(
            select(storage.OrderLineRecord.vendor_sku)
            .join(storage.PurchaseOrder, storage.PurchaseOrder.id == storage.OrderLineRecord.order_id)
            .where(storage.PurchaseOrder.document_id == document.id)
            .order_by(storage.OrderLineRecord.ordinal)
        )
        assert list(skus) == ["NW-30555", "NW-10042"]
