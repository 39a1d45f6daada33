"""Excel and CSV order sheets: layouts from fixtures/sheets, the corpus forms, and bad input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from parsers._excel import MAX_ROWS
from parsers._excel import parse_csv_order
from parsers._excel import parse_excel_order
from tests.conftest import CORPUS
from tests.conftest import ROOT

SHEETS = ROOT / "fixtures" / "sheets"
SAMPLES = sorted(p for p in SHEETS.iterdir() if p.suffix in (".xlsx", ".csv"))


def parse(path: Path):  # type: ignore[no-untyped-def]
    parser = parse_csv_order if path.suffix == ".csv" else parse_excel_order
    return parser(path.read_bytes(), partner="acme", document_id="9")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_sheet_reads_as_expected(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text())
    result = parse(path)
    assert [i.message for i in result.issues if i.is_error] == []
    [order] = result.orders
    assert order.po_number == expected["po_number"]
    assert str(order.po_date) == expected["po_date"]
    lines = [
        [line.vendor_sku, line.buyer_part, str(line.quantity.value) if line.quantity else None,
         line.quantity.uom if line.quantity else None, str(line.unit_price)]
        for line in order.lines
    ]  # fmt: skip
    assert lines == expected["lines"]
    assert order.provenance["po_number"].sheet and order.provenance["po_number"].cell
    for line in order.lines:
        where = line.provenance["quantity"]
        assert where.sheet and where.cell and where.confidence is not None and 0.85 <= where.confidence <= 1


def test_provenance_names_the_cell() -> None:
    [order] = parse(SHEETS / "formatted-form.xlsx").orders
    assert order.provenance["po_number"].cell == "F4"
    assert order.lines[0].provenance["quantity"].cell == "E12"
    assert order.lines[0].provenance["quantity"].sheet == "Purchase Order"


@pytest.mark.parametrize(
    "path",
    sorted((CORPUS / "pypi__odoo-addon-excel-import-export-demo").rglob("*.xlsx")),
    ids=lambda p: p.name,
)
def test_corpus_forms_are_empty_templates_with_a_specific_error(path: Path) -> None:
    result = parse_excel_order(path.read_bytes(), partner="acme", document_id="1")
    assert result.orders == []
    assert [i.code for i in result.issues] == ["sheet.no_lines"]
    assert "header but no order lines" in result.issues[0].message


def test_extension_mismatch_is_reported() -> None:
    result = parse_csv_order(b"Item,Qty,Unit Price,Amount\nA-1,10,2.00,25.00\n", partner="a", document_id="1")
    issues = result.issues_of(0)
    assert [i.code for i in issues] == [
        "sheet.extension_mismatch",
        "sheet.no_po_number",
        "sheet.no_po_date",
        "sheet.no_currency",
        "sheet.no_total",
        "sheet.no_uom_column",
    ]
    assert "10 x unit price 2.00 is 20.00, but the line says 25.00" in issues[0].message
    assert [i.is_error for i in issues] == [True, False, False, False, False, False]


def zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "excel.legacy_xls"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64,
            "excel.encrypted",
        ),
        (zipped("xl/worksheets/sheet1.xml", b"\0" * 20_000_000), "excel.too_large"),
        (b"PK\x03\x04 this is not really a zip", "excel.corrupt"),
        (zipped("hello.txt", b"not a workbook"), "excel.corrupt"),
        (b"%PDF-1.7 nope", "excel.not_a_workbook"),
    ],
    ids=["legacy-xls", "encrypted", "zip-bomb", "corrupt-zip", "zip-without-workbook", "not-a-zip"],
)
def test_bad_workbooks_get_a_specific_error(data: bytes, code: str) -> None:
    result = parse_excel_order(data, partner="a", document_id="1")
    assert result.orders == []
    assert [i.code for i in result.issues] == [code]


def test_oversized_csv_is_refused() -> None:
    data = b"Item,Qty\n" + b"A,1\n" * (MAX_ROWS + 5)
    result = parse_csv_order(data, partner="a", document_id="1")
    assert [i.code for i in result.issues] == ["csv.too_large"]


def test_a_partner_can_pin_its_own_column_titles() -> None:
    data = b"Teil,Stueckzahl,Kosten\nNW-10042,12,4.50\n"
    [guessed] = parse_csv_order(data, partner="a", document_id="1").orders  # no title is known: inferred
    assert guessed.lines[0].unit_price is None
    pinned = {"Teil": "vendor_sku", "Stueckzahl": "quantity", "Kosten": "unit_price"}
    [order] = parse_csv_order(data, partner="a", document_id="1", pinned=pinned).orders
    line = order.lines[0]
    assert line.quantity is not None
    assert (line.vendor_sku, str(line.quantity.value), str(line.unit_price)) == ("NW-10042", "12", "4.50")


def test_profile_rejects_an_unknown_pinned_field() -> None:
    from pydantic import ValidationError

    from partners import PartnerProfile

    base = {
        "name": "x",
        "customer_account": "C",
        "isa": {"qualifier": "ZZ", "id": "X"},
        "us": {"qualifier": "ZZ", "id": "Y"},
    }
    PartnerProfile.model_validate({**base, "sheet_columns": {"Menge": "quantity"}})
    with pytest.raises(ValidationError):
        PartnerProfile.model_validate({**base, "sheet_columns": {"Menge": "qty"}})
