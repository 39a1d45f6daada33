"""Order sheets of any layout (issue 15): flat exports with a PO column, titles in five languages,
headerless CSV, and every value a sheet does not give named by an issue."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from gateway.model.receipts import Issue
from parsers._events import FoundOrders
from parsers._excel import parse_csv_order
from parsers._excel import parse_excel_order
from tests.conftest import ROOT

DOCUMENTS = ROOT.parent / "shared" / "corpus" / "documents"


def xlsx(rows: list[list[object]], title: str = "Export") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def named(issues: list[Issue], field: str) -> list[Issue]:
    return [i for i in issues if i.field == field]


def test_flat_export_with_three_pos_becomes_three_orders() -> None:
    rows: list[list[object]] = [
        [
            "PO Number",
            "Order Date",
            "Customer",
            "Currency",
            "material_id",
            "Description",
            "Qty",
            "Price/unit",
        ],
        ["4500001", datetime(2026, 1, 5), "Globex", "EUR", "NW-1", "Widget", 10, 2.5],
        ["4500002", datetime(2026, 1, 6), "Initech", "USD", "NW-2", "Bolt", 3, 1.25],
        ["4500001", datetime(2026, 1, 5), "Globex", "EUR", "NW-3", "Nut", 4, 0.5],
        [4500003, datetime(2026, 1, 7), "Umbrella", "usd", "NW-4", "Key", 1, 9],
        [None, None, None, None, "NW-5", "Hex key", 2, 3],  # no PO: continues the PO above
    ]
    found = parse_excel_order(xlsx(rows), partner="acme", document_id="1")
    assert [o.po_number for o in found.orders] == ["4500001", "4500002", "4500003"]
    assert [[line.vendor_sku for line in o.lines] for o in found.orders] == [
        ["NW-1", "NW-3"],
        ["NW-2"],
        ["NW-4", "NW-5"],
    ]
    first, second, third = found.orders
    assert (str(first.po_date), first.currency, first.buyer and first.buyer.name) == (
        "2026-01-05",
        "EUR",
        "Globex",
    )
    assert (str(second.po_date), second.currency, second.buyer and second.buyer.name) == (
        "2026-01-06",
        "USD",
        "Initech",
    )
    assert third.currency == "USD"
    assert first.provenance["po_number"].cell == "A2" and first.provenance["po_number"].sheet == "Export"
    assert first.lines[1].provenance["quantity"].cell == "G4"
    assert first.lines[1].unit_price is not None and str(first.lines[1].unit_price) == "0.5"
    # Each order's issues are its own: the units and the total the export lacks, no PO, date or currency gap.
    for index in range(3):
        codes = {i.code for i in found.issues_of(index)}
        assert codes == {"sheet.no_uom_column", "sheet.no_total"}, codes


@pytest.mark.parametrize(
    ("titles", "language"),
    [
        (["Article", "Description", "Qty ordered", "Unit", "Price/unit", "Amount"], "english"),
        (["Artículo", "Descripción", "Cantidad", "Unidad", "Precio", "Importe"], "spanish"),
        (["Artikel", "Bezeichnung", "Menge", "Einheit", "Preis", "Betrag"], "german"),
        (["Référence", "Désignation", "Quantité", "Unité", "Prix unitaire", "Montant"], "french"),
        (["Artikelcode", "Omschrijving", "Aantal", "Eenheid", "Prijs", "Bedrag"], "dutch"),
        (
            ["default_code", "name", "product_uom_qty", "product_uom", "price_unit", "price_subtotal"],
            "identifiers",
        ),
    ],
)
def test_column_titles_in_each_language(titles: list[str], language: str) -> None:
    data = ",".join(titles).encode() + b"\nNW-10042,Widget,12,BX,4.50,54.00\n"
    [order] = parse_csv_order(data, partner="acme", document_id="1").orders
    [line] = order.lines
    assert line.quantity is not None
    assert (
        line.vendor_sku,
        line.description,
        str(line.quantity.value),
        line.quantity.uom,
        str(line.unit_price),
    ) == (
        "NW-10042",
        "Widget",
        "12",
        "BX",
        "4.50",
    ), language
    assert line.provenance["uom"].cell == "D2"


def test_headerless_semicolon_csv_is_inferred_and_says_so() -> None:
    found = parse_csv_order(b"AB-100;4\nAB-200;12\nCD_300;1\n", partner="acme", document_id="1")
    [order] = found.orders
    assert [(line.vendor_sku, str(line.quantity.value)) for line in order.lines if line.quantity] == [
        ("AB-100", "4"),
        ("AB-200", "12"),
        ("CD_300", "1"),
    ]
    [inferred] = [i for i in found.issues_of(0) if i.code == "sheet.columns_inferred"]
    assert not inferred.is_error and "column A as vendor_sku, column B as quantity" in inferred.message
    confidences = {where.confidence for line in order.lines for where in line.provenance.values()}
    assert confidences and all(c is not None and c < 0.85 for c in confidences)


def test_headerless_with_a_row_of_unknown_titles_skips_it() -> None:
    found = parse_csv_order(b"Teil;Stueckzahl\nAB-100;4\nAB-200;12\n", partner="acme", document_id="1")
    [order] = found.orders
    assert [line.vendor_sku for line in order.lines] == ["AB-100", "AB-200"]
    assert any("row 1 taken for titles" in i.message for i in found.issues_of(0))


def test_text_with_no_codes_or_numbers_is_still_refused() -> None:
    found = parse_csv_order(b"hello there;how are you\nfine;thanks\n", partner="acme", document_id="1")
    assert found.orders == [] and [i.code for i in found.issues] == ["sheet.no_line_table"]


def test_no_price_column_is_named_for_every_line() -> None:
    found = parse_excel_order(
        xlsx(
            [
                ["PO", "Date", "Item", "Qty", "UOM"],
                ["P-1", "2026-02-01", "A-1", 2, "EA"],
                ["P-1", None, "A-2", 3, "CA"],
            ]
        ),
        partner="acme",
        document_id="1",
    )
    [order] = found.orders
    assert all(line.unit_price is None for line in order.lines)
    [price] = named(found.issues_of(0), "unit_price")
    assert price.code == "sheet.no_price_column" and price.line_no is None
    assert "line(s) 2, 3" in price.message
    assert named(found.issues_of(0), "uom") == []  # the sheet gives the units


def test_missing_po_number_date_and_unit_are_each_named() -> None:
    found = parse_csv_order(b"Item,Qty,Price,UOM\nA-1,2,1.00,\nA-2,3,,EA\n", partner="acme", document_id="1")
    issues = found.issues_of(0)
    assert [i.code for i in named(issues, "po_number")] == ["sheet.no_po_number"]
    assert [i.code for i in named(issues, "po_date")] == ["sheet.no_po_date"]
    assert [(i.code, i.line_no) for i in named(issues, "unit_price")] == [("sheet.no_unit_price", "3")]
    assert [(i.code, i.line_no) for i in named(issues, "uom")] == [("sheet.no_uom", "2")]


def test_negative_and_zero_quantities_are_flagged_as_read() -> None:
    found = parse_csv_order(
        b"Item,Qty,Price\nA-1,-1,2.00\nA-2,0,1.00\nA-3,5,1.00\n", partner="acme", document_id="1"
    )
    [order] = found.orders
    assert [str(line.quantity.value) for line in order.lines if line.quantity] == ["-1", "0", "5"]
    flagged = [(i.code, i.line_no, i.is_error) for i in named(found.issues_of(0), "quantity")]
    assert flagged == [("sheet.bad_quantity", "2", True), ("sheet.bad_quantity", "3", True)]


def test_a_flat_export_attached_to_an_email_gives_one_order_per_po() -> None:
    from email.message import EmailMessage

    from parsers import parse
    from partners import PartnerRegistry

    message = EmailMessage()
    message["From"] = "orders@acme-retail.example"
    message["To"] = "orders@northwind.example"
    message["Subject"] = "orders"
    message.set_content("Please see the attached orders.")
    csv = b"PO Number;Item;Qty;Price\nA-1;NW-10042;2;4,50\nA-2;NW-10043;3;3,25\n"
    message.add_attachment(csv, maintype="text", subtype="csv", filename="orders.csv")
    partners = PartnerRegistry.from_directory()
    result = parse(message.as_bytes(), partners=partners, partner=partners.get("acme"))
    assert [o.order.po_number for o in result.orders] == ["A-1", "A-2"]
    assert [str(o.order.lines[0].unit_price) for o in result.orders] == ["4.50", "3.25"]


def corpus_sheets() -> list[Path]:
    if not DOCUMENTS.is_dir():
        return []
    return sorted(p for p in DOCUMENTS.rglob("*") if p.suffix.lower() in (".xlsx", ".csv"))


@pytest.mark.skipif(not DOCUMENTS.is_dir(), reason="../shared/corpus/documents is not there")
@pytest.mark.parametrize("path", corpus_sheets(), ids=lambda p: p.name)
def test_real_corpus_sheets_have_no_silent_value(path: Path) -> None:
    """Each expected value is read right, or an issue names its field (and line) on its order."""
    expected = json.loads((DOCUMENTS / "expected.json").read_text())[str(path.relative_to(DOCUMENTS))]
    reader = parse_csv_order if path.suffix.lower() == ".csv" else parse_excel_order
    found: FoundOrders = reader(path.read_bytes(), partner="acme", document_id="1")
    assert len(found.orders) == len(expected["orders"])
    for index, (order, wanted) in enumerate(zip(found.orders, expected["orders"], strict=True)):
        issues = found.issues_of(index)

        def flagged(field: str, line_no: str | None = None, issues: list[Issue] = issues) -> bool:
            return any(i.field == field and i.line_no in (None, line_no) for i in issues)

        for field in ("po_number", "po_date", "currency"):
            read = getattr(order, field)
            assert (str(read) if read is not None else None) == wanted[field] or flagged(field), field
        assert len(order.lines) == len(wanted["lines"])
        for line, want in zip(order.lines, wanted["lines"], strict=True):
            assert line.vendor_sku == want["vendor_sku"]
            assert line.quantity is not None and line.quantity.value == int(want["quantity"])
            if line.quantity.value <= 0:
                assert flagged("quantity", line.line_no)
            assert line.unit_price is None and want["unit_price"] is None
            assert flagged("unit_price", line.line_no)
            assert want["uom"] == line.quantity.uom or flagged("uom", line.line_no)


def test_units_and_currencies_fused_into_cells_are_read() -> None:
    data = b"Item;Qty;Price;Amount\nA-1;520 EA;3,07 EUR;1.596,40 EUR\nA-2;10/CS;12,00 EUR;120,00 EUR\n"
    found = parse_csv_order(data, partner="acme", document_id="1")
    [order] = found.orders
    assert [(str(line.quantity.value), line.quantity.uom) for line in order.lines if line.quantity] == [
        ("520", "EA"),
        ("10", "CS"),
    ]
    assert [str(line.unit_price) for line in order.lines] == ["3.07", "12.00"]
    assert order.currency == "EUR" and order.provenance["currency"].cell == "C2"
    assert named(found.issues_of(0), "currency") == [] and named(found.issues_of(0), "uom") == []


def test_a_currency_label_above_the_table_is_read() -> None:
    found = parse_excel_order(
        xlsx([["Währung", "CHF"], [], ["Artikel", "Menge", "Preis"], ["A-1", 2, 5]]),
        partner="acme",
        document_id="1",
    )
    [order] = found.orders
    assert order.currency == "CHF" and order.provenance["currency"].cell == "B1"


def test_the_total_row_is_read_and_checked_against_the_lines() -> None:
    rows: list[list[object]] = [
        ["Item", "Qty", "Unit Price", "Amount"],
        ["A-1", 2, 5, 10],
        ["A-2", 1, 7.5, 7.5],
        [None, "Subtotal", None, 17.5],
        [None, "Sales tax", None, 1.4],
        [None, "Total", None, 18.9],
    ]
    found = parse_excel_order(xlsx(rows), partner="acme", document_id="1")
    [order] = found.orders
    assert [line.vendor_sku for line in order.lines] == ["A-1", "A-2"]
    assert str(order.stated_total) == "18.9" and order.provenance["stated_total"].cell == "D6"
    assert named(found.issues_of(0), "total") == []  # the subtotal carries the lines' sum
    rows[5][3] = 25
    rows[3][3] = 20
    found = parse_excel_order(xlsx(rows), partner="acme", document_id="1")
    [mismatch] = named(found.issues_of(0), "total")
    assert mismatch.code == "sheet.total_mismatch" and "add up to 17.5" in mismatch.message


def test_no_currency_and_no_total_are_named() -> None:
    found = parse_csv_order(b"Item,Qty,Price,UOM\nA-1,2,1.00,EA\n", partner="acme", document_id="1")
    issues = found.issues_of(0)
    assert [i.code for i in named(issues, "currency")] == ["sheet.no_currency"]
    assert [i.code for i in named(issues, "total")] == ["sheet.no_total"]


def test_every_sheet_with_ordered_lines_is_read() -> None:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Read me"
    notes.append(["Fill in the quantities and send the workbook back"])
    for title, po, item in (("Plant 1", "P-100", "A-1"), ("Plant 2", "P-200", "B-2")):
        sheet = workbook.create_sheet(title)
        rows: list[list[object]] = [["PO Number", po], [], ["Item", "Qty", "Price"], [item, 3, 1.5]]
        for row in rows:
            sheet.append(row)
    catalog = workbook.create_sheet("Catalog")
    listed: list[list[object]] = [
        ["Item", "Description", "Qty"],
        ["A-1", "Widget", None],
        ["B-2", "Bolt", None],
    ]
    for row in listed:
        catalog.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    found = parse_excel_order(buffer.getvalue(), partner="acme", document_id="1")
    assert [o.po_number for o in found.orders] == ["P-100", "P-200"]
    assert [o.lines[0].provenance["quantity"].sheet for o in found.orders] == ["Plant 1", "Plant 2"]
    [several] = [i for i in found.issues if i.code == "excel.several_sheets"]
    assert not several.is_error and "'Plant 1'" in several.message and "Catalog" not in several.message


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig"])
def test_csv_saved_by_a_european_spreadsheet_program_is_read(encoding: str) -> None:
    data = "Référence;Désignation;Quantité;Prix unitaire\nAB-1;Écrou;5;0,75\n".encode(encoding)
    [order] = parse_csv_order(data, partner="acme", document_id="1").orders
    [line] = order.lines
    assert (line.vendor_sku, line.description, str(line.unit_price)) == ("AB-1", "Écrou", "0.75")


def test_column_titles_over_two_rows_are_read_as_one_header() -> None:
    rows: list[list[object]] = [
        ["Purchase Order", "PO-77"],
        [],
        ["Part", None, "Qty", "Unit", "Extended"],
        ["Number", "Description", "Ordered", "Price", "Price"],
        ["NW-1", "Widget", 4, 2.5, 10],
    ]
    found = parse_excel_order(xlsx(rows), partner="acme", document_id="1")
    [order] = found.orders
    [line] = order.lines
    assert line.quantity is not None
    assert (
        order.po_number,
        line.vendor_sku,
        line.description,
        str(line.quantity.value),
        str(line.unit_price),
    ) == (
        "PO-77",
        "NW-1",
        "Widget",
        "4",
        "2.5",
    )
    assert [i.code for i in found.issues_of(0) if i.code == "sheet.extension_mismatch"] == []


@pytest.mark.parametrize("order_of_columns", [("Article", "material_id"), ("material_id", "Article")])
def test_of_two_item_columns_the_one_with_codes_is_the_item(order_of_columns: tuple[str, str]) -> None:
    values = {"Article": "Widget blue 10 mm", "material_id": "MAT-4711"}
    titles: list[object] = [*order_of_columns, "Qty", "Price/unit"]
    found = parse_excel_order(
        xlsx([titles, [values[order_of_columns[0]], values[order_of_columns[1]], 3, 2]]),
        partner="a",
        document_id="1",
    )
    [line] = found.orders[0].lines
    assert (line.vendor_sku, line.description) == ("MAT-4711", "Widget blue 10 mm")
