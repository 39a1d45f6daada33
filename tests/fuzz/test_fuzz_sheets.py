"""Fuzzing the xlsx and CSV readers: damaged zips and XML parts, generated workbooks, odd CSV.

A short deterministic run; ``python -m bench.fuzz`` runs longer. Inputs that once broke a
reader live in ``tests/fuzz/fuzz_regressions/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example
from hypothesis import given

from gateway.inbound.pipeline import Pipeline
from parsers import parse_csv_order
from tests.fuzz.fuzz_inputs import REGRESSIONS
from tests.fuzz.fuzz_inputs import check_ingest
from tests.fuzz.fuzz_inputs import check_sheet
from tests.fuzz.fuzz_inputs import regression_files
from tests.fuzz.fuzz_inputs import sheet_documents
from tests.fuzz.fuzz_inputs import short_run

UNCLOSED_QUOTE = b'Item,Qty\nA-1,"' + b"x" * 140_000  # one field over the csv module's limit


@short_run(80)
@given(data=sheet_documents())
@example(data=b"Item,Qty\rA-1,2\rB-2,3\r")  # lone CRs: csv.reader over a StringIO that split on LF only
@example(data=UNCLOSED_QUOTE)
def test_sheet_readers_never_raise(data: bytes) -> None:
    check_sheet(data)


@short_run(60)
@given(data=sheet_documents())
@example(data=b"Item,Qty\rA-1,2\rB-2,3\r")
def test_every_sheet_is_stored_with_a_specific_outcome(data: bytes, pipeline: Pipeline) -> None:
    check_ingest(pipeline, data, channel="file", filename="fuzz.xlsx", partner="acme")


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl warns about the parts these break
@pytest.mark.parametrize("path", regression_files("sheet"), ids=lambda p: p.name)
def test_sheet_regressions(path: Path, pipeline: Pipeline) -> None:
    data = path.read_bytes()
    check_sheet(data)
    check_ingest(pipeline, data, channel="file", filename=path.name, partner="acme")


def test_old_mac_line_ends_are_rows() -> None:
    found = parse_csv_order(
        (REGRESSIONS / "sheet-lone-cr.csv").read_bytes(), partner="acme", document_id=None
    )
    assert [line.vendor_sku for line in found.orders[0].lines] == ["A-1", "B-2"]


def test_a_field_over_the_csv_limit_is_a_specific_error() -> None:
    found = parse_csv_order(UNCLOSED_QUOTE, partner="acme", document_id=None)
    assert not found.orders and [i.code for i in found.issues] == ["csv.unreadable"]


@pytest.mark.parametrize(
    "data",
    [
        b"PO Number,PO-1\nItem,Qty,UOM\nA-1,2,CARTONS-OF-TWELVE\n",  # order_line.uom is String(8)
        b"PO Number,PO-1\nItem,Qty\nA-1,1E+20\n",  # order_line.quantity is Numeric(18, 4)
        b"PO Number," + b"P" * 80 + b"\nItem,Qty\nA-1,2\n",  # purchase_order.po_number is String(64)
    ],
    ids=["uom", "quantity", "po_number"],
)
def test_sheet_values_fit_the_postgresql_columns(data: bytes, pipeline: Pipeline) -> None:
    """Found by fuzzing: on PostgreSQL these failed the insert; now what fits is stored and the order held."""
    check_ingest(pipeline, data, channel="file", filename="order.csv", partner="acme", postgres_widths=True)
