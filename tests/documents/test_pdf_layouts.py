"""Line tables of laid-out PDF orders in the shapes real senders print (issue 15, patterns 1-5).

Each document is written here with fpdf2 at explicit positions, one shape per test; the last
test reads the visible real corpus in place and holds a floor on the line fields read right.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

import pytest
from fpdf import FPDF

from bench._field_score import DocumentRead
from bench._field_score import Flag
from bench._field_score import ReadLine
from bench._field_score import ReadOrder
from bench._field_score import score_document
from parsers._events import FoundOrders
from parsers._pdf import parse_pdf_order
from parsers._values import Amount
from parsers._values import decimal_mark
from parsers._values import read_amount
from parsers.layout._template import PdfTemplate
from tests.conftest import CORPUS

Cells = Sequence[tuple[float, str]]  # (x in points, text) on one printed row
Page = Sequence[tuple[float, Cells]]


def _pdf(pages: Sequence[Page], size: int = 8) -> bytes:
    """A PDF with each page's rows of text at (x, y) points."""
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("Helvetica", size=size)
    for rows in pages:
        pdf.add_page()
        for y, cells in rows:
            for x, text in cells:
                pdf.text(x, y, text)
    return bytes(pdf.output())


def _read(pages: Sequence[Page]) -> tuple[list[list[str | None]], FoundOrders]:
    result = parse_pdf_order(_pdf(pages), partner=None, document_id="t")
    assert result.orders, [i.message for i in result.issues]
    [order] = result.orders
    lines = [
        [ln.vendor_sku or ln.buyer_part, str(ln.quantity.value) if ln.quantity else None,
         ln.quantity.uom if ln.quantity else None, str(ln.unit_price) if ln.unit_price is not None else None]
        for ln in order.lines
    ]  # fmt: skip
    return lines, result


_TOP = [(40.0, [(40, "ACME SUPPLY CO"), (400, "PURCHASE ORDER")]), (56.0, [(400, "PO Number: 7781")])]


def test_two_and_three_row_headers_read_their_columns() -> None:
    rows = [*_TOP,
            (120.0, [(300, "Order"), (360, "Unit"), (420, "Extended")]),
            (131.0, [(40, "Line"), (80, "Item"), (150, "Description"), (300, "Quantity"), (360, "Cost"),
                     (420, "Price")]),
            (150.0, [(40, "1"), (80, "AB-1001"), (150, "HEX BOLT M8"), (310, "40"), (362, "1.25"),
                     (425, "50.00")]),
            (165.0, [(40, "2"), (80, "AB-1002"), (150, "HEX NUT M8"), (310, "100"), (362, "0.10"),
                     (425, "10.00")]),
            (190.0, [(360, "Order Total"), (425, "60.00")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["AB-1001", "40", None, "1.25"], ["AB-1002", "100", None, "0.10"]]
    unprinted = [(i.field, i.line_no) for i in result.issues if i.code == "pdf.missing_value"]
    assert unprinted == [("uom", "1"), ("uom", "2")], "a unit not printed is named, not assumed"
    assert result.orders[0].stated_total == Decimal("60.00")


def test_spanish_header_over_two_rows_with_decimal_commas() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Articulo"), (120, "Descripción"), (300, "Cantidad"), (360, "Precio"),
                     (440, "Importe")]),
            (131.0, [(360, "Unitario sin IVA")]),
            (150.0, [(40, "TX-77"), (120, "Tornillo"), (300, "1.428,000"), (360, "2,50"), (440, "3.570,00")]),
            (180.0, [(360, "Total General"), (440, "3.570,00")])]  # fmt: skip
    lines, _ = _read([rows])
    assert lines == [["TX-77", "1428.000", None, "2.50"]]


def test_item_number_on_the_row_below_the_quantity_and_price() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (90, "Quantity"), (150, "UM"), (200, "Due Date"), (300, "Unit Cost"),
                     (400, "Extended Cost")]),
            (140.0, [(40, "010"), (100, "12"), (150, "EA"), (200, "02/01/2027"), (300, "4.50"), (400, "54.00")]),
            (151.0, [(60, "PN-4471")]),
            (162.0, [(60, "Quotation Q-7781 dated 01/15/2027")]),
            (176.0, [(40, "020"), (100, "3"), (150, "EA"), (200, "02/01/2027"), (300, "10.00"), (400, "30.00")]),
            (187.0, [(60, "PN-9902")]),
            (210.0, [(300, "Total"), (400, "84.00")])]  # fmt: skip
    lines, _ = _read([rows])
    assert lines == [["PN-4471", "12", "EA", "4.50"], ["PN-9902", "3", "EA", "10.00"]]


def test_sub_rows_are_never_lines_and_their_numbers_never_quantities() -> None:
    rows = [*_TOP,
            (120.0, [(40, "No."), (70, "Material"), (150, "Description"), (300, "Qty"), (340, "UoM"),
                     (380, "Price"), (460, "Amount")]),
            (140.0, [(40, "1"), (70, "702041"), (150, "Pallet block"), (300, "1,428.000"), (340, "UN"),
                     (380, "8.00000"), (460, "11,424.00")]),
            (151.0, [(150, "F.Ent:02/03/2027"), (300, "1,428.000")]),
            (162.0, [(150, "Customs tariff 84818099")]),
            (173.0, [(150, "Item Tax"), (380, "0"), (460, "0.00")]),
            (184.0, [(150, "Drawing 55012-77 rev B")]),
            (200.0, [(380, "Total"), (460, "11,424.00")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["702041", "1428.000", "UN", "8.00000"]]
    assert not [i for i in result.issues if i.code.endswith("mismatch")]


def test_amounts_with_currency_signs_and_fused_units() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Part No"), (150, "Description"), (260, "Qty/Unit"), (330, "Net price"),
                     (440, "Net Value")]),
            (140.0, [(40, "K-1"), (150, "Valve"), (260, "510/EA"), (330, "5.05 USD"), (440, "2,575.50 USD")]),
            (155.0, [(40, "K-2"), (150, "Seal"), (260, "4 BX"), (330, "USD 1,234.00"), (440, "USD 4,936.00")]),
            (180.0, [(330, "Total net value"), (440, "USD 7,511.50")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["K-1", "510", "EA", "5.05"], ["K-2", "4", "BX", "1234.00"]]
    assert result.orders[0].currency == "USD"
    assert result.orders[0].stated_total == Decimal("7511.50")


@pytest.mark.parametrize(
    ("price", "amount", "expected", "currency", "uom"),
    [("1.250 KWD", "12.500 KWD", "1.250", "KWD", None), ("12,50 EUR", "125,00 EUR", "12.50", "EUR", None),
     ("Rs. 99.50", "Rs. 995.00", "99.50", "INR", None), ("$4.61/Ea", "$46.10", "4.61", "USD", "EA")],
)  # fmt: skip
def test_currency_prefixes_and_suffixes(
    price: str, amount: str, expected: str, currency: str, uom: str | None
) -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (150, "Description"), (260, "Quantity"), (330, "Unit Price"),
                     (440, "Amount")]),
            (140.0, [(40, "Z-9"), (150, "Widget"), (270, "10"), (330, price), (440, amount)])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["Z-9", "10", uom, expected]]
    assert result.orders[0].currency == currency


@pytest.mark.parametrize(
    ("text", "value", "currency", "uom"),
    [("1.250 KWD", "1.250", "KWD", None), ("€ 12,50", "12.50", "EUR", None), ("USD 1,234.00", "1234.00", "USD", None),
     ("Rs. 99.50", "99.50", "INR", None), ("$4.61/Ea", "4.61", "USD", "EA"), ("3.0700 EA", "3.0700", None, "EA"),
     ("5.05 USD", "5.05", "USD", None), ("510/EA", "510", None, "EA"), ("1.00 kg", "1.00", None, "KG"),
     ("1,428.000", "1428.000", None, None), ("1.428,000", "1428.000", None, None), ("0,75 €", "0.75", "EUR", None)],
)  # fmt: skip
def test_amounts_read_with_what_is_printed_beside_them(text: str, value: str, currency: str | None,
                                                       uom: str | None) -> None:  # fmt: skip
    assert read_amount(text) == Amount(Decimal(value), currency, uom)


def test_an_ambiguous_number_follows_the_documents_decimal_mark() -> None:
    assert read_amount("3.881", decimal_mark(["1,956.02", "504"])) == Amount(Decimal("3.881"))
    assert read_amount("3.881", decimal_mark(["1.956,02"])) == Amount(Decimal("3881"))
    assert read_amount("504 1,956.02") is None  # two numbers side by side


def test_columns_run_together_are_split_by_the_arithmetic() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (150, "Description"), (262, "Qty"), (280, "Price"), (440, "Amount")]),
            (140.0, [(40, "R-5"), (150, "Rotor"), (262, "1212500.00"), (440, "150,000.00")]),
            (170.0, [(330, "Total"), (440, "150,000.00")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["R-5", "12", None, "12500.00"]]
    assert any(i.code == "pdf.columns_run_together" for i in result.issues)


def test_a_line_failing_both_checks_is_held_with_a_finding_naming_its_numbers() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (150, "Description"), (262, "Qty"), (330, "Unit Price"), (440, "Amount")]),
            (140.0, [(40, "Q-1"), (150, "Gear"), (262, "10"), (330, "5.00"), (440, "70.00")]),
            (155.0, [(40, "Q-2"), (150, "Shaft"), (262, "2"), (330, "3.00"), (440, "6.00")]),
            (180.0, [(330, "Total"), (440, "76.00")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines[0] == ["Q-1", "10", None, "5.00"]
    found = [i for i in result.issues if i.line_no == "1" and i.field in {"quantity", "unit_price"}]
    assert found and "10" in found[0].message and "5.00" in found[0].message and "70.00" in found[0].message
    assert not [i for i in result.issues if i.line_no == "2" and i.field != "uom"]


def test_table_over_pages_skips_repeated_headers_and_footers_and_may_start_on_page_two() -> None:
    header = (120.0, [(40, "Item"), (150, "Description"), (262, "Qty"), (330, "Unit Price"), (440, "Amount")])
    page1 = [
        *_TOP,
        (300.0, [(40, "Terms and conditions apply to this order.")]),
        (740.0, [(260, "Page 1 of 3")]),
    ]
    page2 = [*_TOP, header,
             (140.0, [(40, "M-1"), (150, "Motor"), (262, "2"), (330, "100.00"), (440, "200.00")]),
             (740.0, [(260, "Page 2 of 3")])]  # fmt: skip
    page3 = [*_TOP, header,
             (140.0, [(40, "M-2"), (150, "Mount"), (262, "4"), (330, "25.00"), (440, "100.00")]),
             (170.0, [(330, "Total"), (440, "300.00")]),
             (740.0, [(260, "Page 3 of 3")])]  # fmt: skip
    lines, result = _read([page1, page2, page3])
    assert lines == [["M-1", "2", None, "100.00"], ["M-2", "4", None, "25.00"]]
    assert result.orders[0].stated_total == Decimal("300.00")


def test_a_line_row_missing_its_price_gets_a_finding_naming_the_field() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (150, "Description"), (262, "Qty"), (330, "Unit Price"), (440, "Amount")]),
            (140.0, [(40, "N-1"), (150, "Nozzle"), (262, "3"), (440, "12.00")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["N-1", "3", "EA", "4.00"]] or any(
        i.field == "unit_price" and i.line_no == "1" for i in result.issues
    )


CORPUS_DOCS = CORPUS / "documents"


@pytest.mark.skipif(not (CORPUS_DOCS / "expected.json").exists(), reason="../shared corpus not present")
def test_real_corpus_line_fields_floor() -> None:
    expected = json.loads((CORPUS_DOCS / "expected.json").read_text())
    right: dict[str, int] = {}
    totals = 0
    for key, truth in expected.items():
        if truth.get("kind") != "pdf":
            continue
        path = CORPUS_DOCS / key  # the folder keeps the names as listed
        result = parse_pdf_order(path.read_bytes(), partner=None, document_id="c")
        flags = tuple(Flag(i.code, i.message, i.field, i.line_no, i.code) for i in result.issues)
        read = DocumentRead(orders=tuple(
            ReadOrder(po_number=o.po_number, currency=o.currency, total=o.stated_total, flags=flags, lines=tuple(
                ReadLine(ln.line_no, tuple(p for p in (ln.buyer_part, ln.vendor_sku) if p),
                         ln.quantity.value if ln.quantity else None, ln.quantity.uom if ln.quantity else None,
                         ln.unit_price) for ln in o.lines))
            for o in result.orders))  # fmt: skip
        score = score_document(truth, read)
        for _order, line, name, outcome in score.outcomes:
            if line is not None and outcome == "right":
                right[name] = right.get(name, 0) + 1
            totals += name == "total" and outcome == "right"
    # 43 labelled PDF lines; measured 43 / 43 / 43 / 39 (the base reader: 6 / 9 / 6 / 9)
    assert right.get("part", 0) >= 40
    assert right.get("quantity", 0) >= 40
    assert right.get("unit_price", 0) >= 40
    assert right.get("uom", 0) >= 36
    assert totals >= 12  # of 13 stated totals, measured 13


def test_a_partners_pinned_titles_match_also_when_they_span_two_rows() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Teil"), (150, "Text"), (262, "Stück"), (330, "Preis je"), (440, "Wert")]),
            (131.0, [(262, "zahl"), (330, "Einheit")]),
            (150.0, [(40, "W-10"), (150, "Welle"), (262, "6"), (330, "2,50"), (440, "15,00")])]  # fmt: skip
    pinned = {
        "Teil": "vendor_sku",
        "Text": "description",
        "Stück zahl": "quantity",
        "Preis je Einheit": "unit_price",
    }
    generic = parse_pdf_order(_pdf([rows]), partner=None, document_id="t")
    assert not generic.orders
    result = parse_pdf_order(
        _pdf([rows]), partner=None, document_id="t", template=PdfTemplate(columns=pinned)
    )
    [line] = result.orders[0].lines
    assert (line.vendor_sku, str(line.quantity.value if line.quantity else None), str(line.unit_price)) == (
        "W-10", "6", "2.50")  # fmt: skip


def test_a_part_number_printed_in_the_description_and_a_description_starting_with_total() -> None:
    rows = [*_TOP,
            (120.0, [(40, "QTY"), (80, "UNIT"), (130, "DESCRIPTION"), (390, "UNIT PRICE"), (480, "TOTAL")]),
            (140.0, [(45, "10"), (80, "BX"), (130, "GLOVES NITRILE L  PN 4471-L"), (395, "8.25"), (480, "82.50")]),
            (155.0, [(45, "1"), (80, "EA"), (130, "Total station tripod  P/N TS-900"), (395, "300.00"), (480, "300.00")]),
            (190.0, [(390, "SUBTOTAL"), (480, "382.50")]),
            (202.0, [(390, "TAX"), (480, "30.60")]),
            (214.0, [(390, "TOTAL"), (480, "413.10")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["4471-L", "10", "BX", "8.25"], ["TS-900", "1", "EA", "300.00"]]
    assert result.orders[0].stated_total == Decimal("413.10")
    assert not [i for i in result.issues if i.code.endswith("mismatch")]


@pytest.mark.parametrize("label_at", [165.0, 185.0])
def test_the_total_label_on_the_row_above_or_below_its_amount(label_at: float) -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (150, "Description"), (262, "Qty"), (330, "Unit Price"), (440, "Amount")]),
            (140.0, [(40, "Q-1"), (150, "Gear"), (262, "10"), (330, "5.00"), (440, "50.00")]),
            (label_at, [(380, "Total General / EUR")]),
            (175.0, [(440, "50.00")])]  # fmt: skip
    lines, result = _read([sorted(rows, key=lambda r: r[0])])
    assert lines == [["Q-1", "10", None, "5.00"]]
    assert (result.orders[0].stated_total, result.orders[0].currency) == (Decimal("50.00"), "EUR")


def test_a_price_per_thousand_passes_the_extension_check() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item#"), (100, "Matl/Desc"), (230, "Quantity"), (290, "UOM"), (330, "Price"),
                     (400, "Price"), (460, "Net")]),
            (131.0, [(400, "Unit"), (460, "Amount")]),
            (150.0, [(40, "10"), (100, "LBL-4x6"), (240, "5,000"), (290, "EA"), (330, "12.50"), (405, "1000"),
                     (460, "62.50")]),
            (161.0, [(100, "Label 4 x 6 thermal")]),
            (185.0, [(400, "Total Amount"), (460, "$62.50")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["LBL-4x6", "5000", "EA", "12.50"]]
    assert result.orders[0].lines[0].price_basis == "per 1000"
    assert not [i for i in result.issues if i.code.endswith("mismatch")]


def test_a_line_with_a_part_and_quantity_but_no_price_is_read_and_flagged() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (150, "Description"), (262, "Qty"), (330, "Unit Price"), (440, "Amount")]),
            (140.0, [(40, "G-1"), (150, "Gasket"), (262, "4"), (330, "2.00"), (440, "8.00")]),
            (155.0, [(40, "SMP-2"), (150, "Sample kit, no charge"), (262, "1")]),
            (180.0, [(330, "Total"), (440, "8.00")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["G-1", "4", None, "2.00"], ["SMP-2", "1", None, None]]
    assert [(i.field, i.line_no) for i in result.issues if i.code == "pdf.missing_value"] == [
        ("uom", "1"),
        ("uom", "2"),
        ("unit_price", "2"),
    ]


def test_a_title_word_that_names_nothing_qualifies_the_title_beside_it() -> None:
    """OCR and wide fonts set "Qty." and "Order" apart; "Order" alone is no column of its own."""
    rows = [*_TOP,
            (120.0, [(40, "Part"), (100, "Description"), (240, "Qty."), (261, "Order"), (330, "Unit Price"),
                     (440, "Amount")]),
            (140.0, [(40, "W-77"), (100, "Washer"), (262, "540.0000"), (330, "6.01348"), (440, "3,247.28")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["W-77", "540.0000", None, "6.01348"]]
    assert not [i for i in result.issues if i.field == "quantity"]


def test_a_total_of_goods_is_not_the_order_total() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (150, "Description"), (262, "Qty"), (330, "Unit Price"), (440, "Amount")]),
            (140.0, [(40, "Q-1"), (150, "Gear"), (262, "10"), (330, "5.00"), (440, "50.00")]),
            (170.0, [(40, "TOTAL"), (70, "ORDER"), (262, "10"), (366, "TOTAL"), (394, "AMOUNT"), (440, "50.00")]),
            (185.0, [(40, "TOTAL"), (70, "RECEIVED")]),
            (197.0, [(262, "0")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [["Q-1", "10", None, "5.00"]]
    assert result.orders[0].stated_total == Decimal("50.00")
    assert not [i for i in result.issues if i.code == "pdf.total_mismatch"]


def test_an_order_printed_without_prices_is_read_and_its_prices_flagged() -> None:
    """A faxed order with quantity, unit and a long description, no price; an address under the line."""
    rows = [*_TOP,
            (120.0, [(40, "Item No."), (110, "Ordered"), (175, "Unit"), (292, "Description"), (437, "Unit Price"),
                     (509, "Amount")]),
            (140.0, [(148, "120"), (168, "EACH"), (208, "CHEP PALLETS")]),
            (152.0, [(208, "40x48 Blue Stringer Pallets")]),
            (164.0, [(208, "We will arrange for pick up:")]),
            (176.0, [(208, "333 Penno Road")]),
            (188.0, [(208, "Kelowna BC")]),
            (260.0, [(436, "Total Amount")])]  # fmt: skip
    lines, result = _read([rows])
    assert lines == [[None, "120", "EACH", None]]
    [line] = result.orders[0].lines
    assert line.description is not None and line.description.startswith("CHEP PALLETS 40x48")
    flagged = {(i.field, i.line_no) for i in result.issues if i.code == "pdf.missing_value"}
    assert flagged == {("unit_price", "1"), ("vendor_sku", "1")}


def test_a_priced_table_does_not_take_a_priceless_row_for_a_line() -> None:
    rows = [*_TOP,
            (120.0, [(40, "Item"), (150, "Description"), (262, "Qty"), (300, "Unit"), (330, "Unit Price"),
                     (440, "Amount")]),
            (140.0, [(40, "Q-1"), (150, "Gear"), (262, "10"), (300, "EA"), (330, "5.00"), (440, "50.00")]),
            (152.0, [(150, "Schedule"), (262, "4"), (300, "EA"), (150, "")])]  # fmt: skip
    lines, _ = _read([rows])
    assert lines == [["Q-1", "10", "EA", "5.00"]]
