"""Header fields of laid-out PDF orders: PO number, PO date and currency by label and value geometry.

The documents are our own, written here with fpdf2 in the shapes real purchase orders take
(issue 15, patterns 4 and 6); the last test reads the visible real corpus in place.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from fpdf import FPDF

from gateway.model.order import Channel
from gateway.model.order import Order
from parsers._confidence import REVIEW_BELOW
from parsers._events import FoundOrders
from parsers._pdf import parse_pdf_order
from parsers._values import date_readings
from parsers._values import parse_date
from parsers._vocabulary import match_label
from parsers.layout._header_fields import read_header_fields
from parsers.layout._template import PdfTemplate
from parsers.layout._words import Row
from parsers.layout._words import Word
from parsers.layout._words import rows_of
from tests.conftest import CORPUS

Text = tuple[float, float, str]  # x, y (mm from the top left), text
Texts = Sequence[Text]


def order_pdf(texts: Texts, *, table_y: float = 110, size: float = 10) -> bytes:
    """A one-page order: ``texts`` placed where given, then a small line table."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=size)
    for x, y, text in texts:
        pdf.text(x, y, text)
    pdf.set_font("Helvetica", size=10)
    pdf.set_xy(10, table_y)
    for row in (("Item", "Description", "Qty", "Unit Price"), ("NW-100", "WIDGET", "5", "2.00")):
        for value in row:
            pdf.cell(40, 7, value)
        pdf.ln()
    buffer = io.BytesIO()
    pdf.output(buffer)
    return buffer.getvalue()


def read(texts: Texts, template: PdfTemplate | None = None, **layout: float) -> tuple[Order, FoundOrders]:
    result = parse_pdf_order(order_pdf(texts, **layout), partner="acme", document_id="1", template=template)
    [order] = result.orders
    return order, result


def fields_flagged(result: FoundOrders, name: str) -> list[str]:
    return [i.code for i in result.issues if i.field == name]


# --- value under its label, value right of it ---------------------------------------------------------


def test_values_under_their_labels_in_header_boxes() -> None:
    order, result = read(
        [(10, 40, "P.O.DATE"), (45, 40, "PO NUMBER"), (90, 40, "TERMS"),
         (10, 46, "3/17/26"), (45, 46, "77120045"), (90, 46, "NET 30")]
    )  # fmt: skip
    assert (order.po_number, order.po_date) == ("77120045", date(2026, 3, 17))
    where = order.provenance["po_number"]
    assert where.page == 1 and where.bbox is not None and where.confidence is not None
    assert where.confidence >= REVIEW_BELOW
    assert not fields_flagged(result, "po_number") and not fields_flagged(result, "po_date")


def test_purchase_order_title_top_right_with_its_number_and_the_must_appear_notice() -> None:
    order, _ = read(
        [(20, 20, "Acme Foods Inc."), (120, 20, "PURCHASE ORDER"), (120, 27, "4500876123"),
         (120, 33, "P.O. NUMBER MUST APPEAR ON ALL INVOICES AND PACKAGES"), (20, 50, "Order Date: 02/27/2026")]
    )  # fmt: skip
    assert order.po_number == "4500876123"
    assert order.po_date == date(2026, 2, 27)


def test_purchase_order_number_right_of_the_title_with_the_notice_below() -> None:
    order, _ = read([(110, 20, "PURCHASE ORDER  ---->  | 45000632 |"),
                     (110, 27, "P.O. NUMBER MUST APPEAR ON ALL DOCUMENTS"), (20, 40, "DATE 01/27/2026")])  # fmt: skip
    assert (order.po_number, order.po_date) == ("45000632", date(2026, 1, 27))


def test_combined_po_number_and_date_label() -> None:
    order, _ = read([(110, 30, "PO number/date"), (110, 36, "4512000001 / 03/15/2026")])
    assert (order.po_number, order.po_date) == ("4512000001", date(2026, 3, 15))


@pytest.mark.parametrize(
    ("number_label", "value", "expected"),
    [("PO #:", "1497", "1497"), ("P.O. No.", "A-20931", "A-20931"), ("Purchase Order No.", "IL005561", "IL005561"),
     ("PO Number", "14283001 - 001 OP", "14283001"), ("P.O. Number:", "RS0012697", "RS0012697")],
)  # fmt: skip
def test_po_number_label_shapes(number_label: str, value: str, expected: str) -> None:
    order, _ = read([(110, 30, f"{number_label} {value}"), (110, 36, "PO Date: 01/14/2026")])
    assert order.po_number == expected


def test_label_fused_with_its_value() -> None:
    order, _ = read([(100, 20, "Pedido de Compra No.4300004732"), (100, 28, "Fecha: 21/01/2026")])
    assert (order.po_number, order.po_date) == ("4300004732", date(2026, 1, 21))


@pytest.mark.parametrize(
    ("texts", "number", "day"),
    [
        (
            [(100, 30, "Pedido de Compra No. 88120"), (100, 36, "Fecha: 05/03/2026")],
            "88120",
            date(2026, 3, 5),
        ),
        (
            [(100, 30, "Numero de Orden: 88121"), (100, 36, "Fecha de pedido: 8 de enero de 2026")],
            "88121",
            date(2026, 1, 8),
        ),
        (
            [(100, 30, "Bestellnummer: 4711-26"), (100, 36, "Bestelldatum: 05.03.26")],
            "4711-26",
            date(2026, 3, 5),
        ),
        ([(100, 30, "Bestellnummer 4712"), (100, 36, "Datum: 8. M\u00e4rz 2026")], "4712", date(2026, 3, 8)),
        (
            [(100, 30, "N\u00b0 de commande : C-88122"), (100, 36, "Date de commande : 8 janvier 2026")],
            "C-88122",
            date(2026, 1, 8),
        ),
        ([(100, 30, "Bestelnummer: 88123"), (100, 36, "Besteldatum: 05/03/2026")], "88123", date(2026, 3, 5)),
        ([(100, 30, "Bestelnummer: 88124"), (100, 36, "Datum: 3 mei 2026")], "88124", date(2026, 5, 3)),
    ],
    ids=["es", "es-long-date", "de", "de-month-name", "fr", "nl", "nl-month-name"],
)
def test_labels_in_spanish_german_french_and_dutch(texts: Texts, number: str, day: date) -> None:
    order, result = read(texts)
    assert (order.po_number, order.po_date) == (number, day)
    assert not fields_flagged(result, "po_date")  # their language says day first: no doubt left


# --- choosing among candidates -------------------------------------------------------------------------


def test_vendor_customer_phone_and_other_dates_are_not_the_po_fields() -> None:
    order, _ = read(
        [(10, 20, "Vendor No.: 300213"), (10, 26, "Customer Number 556677"), (10, 32, "Phone: 419-446-2711"),
         (10, 38, "Delivery Date: 02/02/2026"), (10, 44, "Ship Date: 02/01/2026"),
         (110, 20, "Order No. 4500248591"), (110, 26, "Date: 01/27/2026")]
    )  # fmt: skip
    assert (order.po_number, order.po_date) == ("4500248591", date(2026, 1, 27))


def test_boxes_of_date_and_po_number_side_by_side() -> None:
    order, _ = read([(120, 30, "Date"), (160, 30, "P.O. No."), (120, 36, "1/14/2026"), (160, 36, "1023")])
    assert (order.po_number, order.po_date) == ("1023", date(2026, 1, 14))


def test_a_date_label_followed_by_other_words_is_another_date() -> None:
    order, result = read([(110, 20, "PO Number: 600131"), (110, 26, "Date of Shipment: 01/22/2026"),
                          (110, 32, "01/23/2026")])  # fmt: skip
    assert order.po_date is None
    assert fields_flagged(result, "po_date") == ["pdf.no_po_date"]


def test_your_order_number_is_a_sure_label() -> None:
    order, _ = read([(110, 20, "Your Order No.: 55120"), (110, 26, "Order Date: 01/14/2026")])
    assert order.po_number == "55120"
    confidence = order.provenance["po_number"].confidence
    assert confidence is not None and confidence >= REVIEW_BELOW


def test_a_po_box_is_not_a_po_number() -> None:
    order, result = read(
        [(10, 20, "PO Box 156"), (10, 26, "502 Middle Street"), (110, 20, "Order Date: 01/14/2026")]
    )
    assert order.po_number is None
    assert fields_flagged(result, "po_number") == ["pdf.no_po_number"]


@pytest.mark.parametrize("written", ["P.O. #12345", "PO: 12345", "PO# 12345"])
def test_po_with_a_number_sign_or_colon_is_sure(written: str) -> None:
    order, _ = read([(110, 20, written), (110, 26, "PO Date: 01/14/2026")])
    assert order.po_number == "12345"
    confidence = order.provenance["po_number"].confidence
    assert confidence is not None and confidence >= REVIEW_BELOW


def test_a_label_misread_by_ocr_is_matched_fuzzily() -> None:
    order = words_order(["P0 Number: 4500123", "Order Dat: 01/14/2026"])
    assert (order.po_number, order.po_date) == ("4500123", date(2026, 1, 14))
    confidence = order.provenance["po_number"].confidence  # read as "PO Number", not the bare "Number"
    assert confidence is not None and confidence >= REVIEW_BELOW


def test_a_bare_number_label_is_a_guess_flagged_for_review() -> None:
    order, _ = read([(110, 20, "No. 55102"), (110, 26, "PO Date: 01/14/2026")])
    assert order.po_number == "55102"
    confidence = order.provenance["po_number"].confidence
    assert confidence is not None and confidence < REVIEW_BELOW


def test_two_strong_labels_that_disagree_lower_the_confidence() -> None:
    order, _ = read(
        [(10, 20, "PO Number: 1111111"), (110, 20, "PO Number: 2222222"), (10, 28, "PO Date: 1/14/26")]
    )
    confidence = order.provenance["po_number"].confidence
    assert confidence is not None and confidence < REVIEW_BELOW


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["14.01.26", "14.01.2026", "01/14/2026", "1/14/26", "14-Jan-2026", "14-JAN-2026", "Jan 14, 2026",
     "14 janvier 2026", "2026-01-14", "01/14/2026 10:32:11", "2026-01-14T10:32"],
)  # fmt: skip
def test_each_date_shape_on_a_document(written: str) -> None:
    order, result = read([(110, 20, "PO Number: 600123"), (110, 26, f"PO Date: {written}")])
    assert order.po_date == date(2026, 1, 14)
    assert not fields_flagged(result, "po_date")


def test_ambiguous_day_and_month_is_flagged_naming_both_readings() -> None:
    order, result = read([(110, 20, "PO Number: 600124"), (110, 26, "PO Date: 04/05/2026")])
    assert order.po_date == date(2026, 4, 5)
    [issue] = [i for i in result.issues if i.field == "po_date"]
    assert issue.code == "pdf.ambiguous_date"
    assert "2026-04-05" in issue.message and "2026-05-04" in issue.message


def test_the_documents_other_dates_settle_day_and_month() -> None:
    order, result = read(
        [
            (110, 20, "PO Number: 600125"),
            (110, 26, "PO Date: 04/05/2026"),
            (10, 40, "Delivery Date: 04/25/2026"),
        ]
    )
    assert order.po_date == date(2026, 4, 5)
    assert not fields_flagged(result, "po_date")
    order, result = read(
        [
            (110, 20, "PO Number: 600126"),
            (110, 26, "PO Date: 04/05/2026"),
            (10, 40, "Delivery Date: 25/05/2026"),
        ]
    )
    assert order.po_date == date(2026, 5, 4)
    assert not fields_flagged(result, "po_date")


def test_a_format_note_settles_day_and_month() -> None:
    order, result = read([(110, 20, "PO Number: 600127"), (110, 26, "PO Issue Date: 04/05/2026"),
                          (141, 31, "DD/MM/YYYY")])  # fmt: skip
    assert order.po_date == date(2026, 5, 4)
    assert not fields_flagged(result, "po_date")


def test_language_and_other_dates_that_disagree_leave_the_date_flagged() -> None:
    _, result = read([(110, 20, "Pedido No. 600128"), (110, 26, "Fecha: 02/01/2026"),
                      (10, 40, "F.Ent: 02/26/2026")])  # fmt: skip
    assert fields_flagged(result, "po_date") == ["pdf.ambiguous_date"]


def test_missing_po_date_and_number_get_findings() -> None:
    _, result = read([(10, 20, "Acme Foods Inc."), (10, 26, "Please deliver by truck")])
    assert fields_flagged(result, "po_date") == ["pdf.no_po_date"]
    assert fields_flagged(result, "po_number") == ["pdf.no_po_number"]
    assert "no PO date found" in next(i.message for i in result.issues if i.field == "po_date")


def test_delivery_date_alone_is_not_the_po_date() -> None:
    order, result = read([(110, 20, "PO Number: 600129"), (110, 26, "Required Date: 01/20/2026")])
    assert order.po_date is None
    assert fields_flagged(result, "po_date") == ["pdf.no_po_date"]


# --- a partner's template anchors ----------------------------------------------------------------------


def test_template_anchor_with_the_value_under_the_label() -> None:
    template = PdfTemplate(anchors={"po_number": "Vorgangsnummer", "po_date": "Erfasst"})
    texts = [(120, 20, "Vorgangsnummer"), (120, 26, "XK-4410"), (60, 20, "Erfasst"), (60, 26, "21.11.2026")]
    order, _ = read(texts, template=template)
    assert (order.po_number, order.po_date) == ("XK-4410", date(2026, 11, 21))
    assert order.provenance["po_number"].confidence == 1.0


def test_template_anchor_is_not_found_inside_a_longer_label() -> None:
    template = PdfTemplate(anchors={"po_date": "Date"})
    order, _ = read([(10, 20, "Delivery Date: 02/20/2026"), (110, 20, "PO Number: 600132"),
                     (110, 26, "Date: 01/14/2026")], template=template)  # fmt: skip
    assert order.po_date == date(2026, 1, 14)
    assert order.provenance["po_date"].confidence == 1.0


def test_template_anchor_wins_over_the_generic_labels() -> None:
    template = PdfTemplate(anchors={"po_number": "Kommission"})
    order, _ = read([(10, 20, "PO Number: 1234567"), (110, 20, "Kommission: KM-7781")], template=template)
    assert order.po_number == "KM-7781"


# --- currency ------------------------------------------------------------------------------------------


def words_order(lines: list[str]) -> Order:
    """An order read from plain rows of words (as OCR hands them in), one row per text line."""
    words: list[Word] = []
    for n, line in enumerate(lines):
        x = 20.0
        for text in line.split():
            words.append(Word(text, x, x + 5 * len(text), 20.0 + 14 * n, 29.0 + 14 * n, 1))
            x += 5 * len(text) + 3  # a space apart
    order = Order(partner=None, channel=Channel.PDF, po_number=None)
    read_header_fields(order, rows_of(words), {})
    return order


@pytest.mark.parametrize(
    ("lines", "currency", "sure"),
    [
        (["Currency: CAD", "Total 1,234.00"], "CAD", True),
        (["Moneda MXN", "Total 1,234.00"], "MXN", True),
        (["W\u00e4hrung: CHF"], "CHF", True),
        (["Total 1.250 KWD"], "KWD", True),
        (["Price \u20ac 12,50"], "EUR", True),
        (["Price \u00a312.50"], "GBP", True),
        (["Price $12.50", "Total $1,234.00"], "USD", False),
        (["Price $12.50", "Total 1,234.00 CAD"], "CAD", True),
        (["Total 1,234.00"], None, False),
        (["ATTN: RON SMITH", "Total 1,234.00"], None, False),
        (["Currency: RON", "Total 1,234.00"], "RON", True),
        (["Currency: US Dollars", "Total 1,234.00"], "USD", True),
        (["Devise: Euros"], "EUR", True),
    ],
)
def test_currency_from_labels_codes_and_signs(lines: list[str], currency: str | None, sure: bool) -> None:
    order = words_order(lines)
    assert order.currency == currency
    if currency is not None:
        confidence = order.provenance["currency"].confidence
        assert confidence is not None and (confidence >= REVIEW_BELOW) is sure


def test_currency_under_its_column_label_on_a_document() -> None:
    order, _ = read([(110, 20, "PO Number: 600130"), (110, 26, "PO Date: 01/14/2026"), (60, 40, "Curr"),
                     (60, 46, "EUR")])  # fmt: skip
    assert order.currency == "EUR"
    assert order.provenance["currency"].page == 1


# --- the value readers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [("14.01.26", date(2026, 1, 14)), ("14.01.2026", date(2026, 1, 14)), ("01/14/2026", date(2026, 1, 14)),
     ("1/14/26", date(2026, 1, 14)), ("24-Jan-2026", date(2026, 1, 24)), ("24-JAN-2026", date(2026, 1, 24)),
     ("Jan 08, 2021", date(2021, 1, 8)), ("8 janvier 2026", date(2026, 1, 8)), ("8. M\u00e4rz 2026", date(2026, 3, 8)),
     ("8 de enero de 2026", date(2026, 1, 8)), ("3 mei 2026", date(2026, 5, 3)), ("2026-01-14", date(2026, 1, 14)),
     ("01/14/2021 10:32:11", date(2021, 1, 14)), ("2021-01-14T10:32", date(2021, 1, 14)),
     ("1/14/21 9:15 AM", date(2021, 1, 14)), ("20260114", date(2026, 1, 14)), ("Sept 3, 2020", date(2020, 9, 3)),
     ("21/01/2021", date(2021, 1, 21)), ("février 2026", None), ("MM/DD/YYYY", None), ("31/31/2026", None),
     ("1/3", None), ("", None), ("4500-01-12", None)],
)  # fmt: skip
def test_parse_date_shapes(written: str, expected: date | None) -> None:
    assert parse_date(written) == expected


def test_parse_date_day_and_month_that_could_swap() -> None:
    assert date_readings("04/05/2026") == [date(2026, 4, 5), date(2026, 5, 4)]
    assert parse_date("04/05/2026") == date(2026, 4, 5)
    assert parse_date("04/05/2026", day_first=True) == date(2026, 5, 4)
    assert date_readings("04.05.2026") == [date(2026, 5, 4)]  # dotted dates are day first
    assert date_readings("13/05/2026") == [date(2026, 5, 13)]


def test_parse_date_other_values() -> None:
    assert parse_date(date(2026, 1, 2)) == date(2026, 1, 2)
    assert parse_date(45000) == date(2023, 3, 15)
    assert parse_date(None) is None and parse_date(True) is None


@pytest.mark.parametrize(
    ("label", "name"),
    [("P.O. No.", "po_number"), ("PO #:", "po_number"), ("P.O.DATE", "po_date"), ("PO number/date", "po_number_date"),
     ("Numero de Ordem", "po_number"), ("Vendor Number:", "other_number"), ("Delivery date:", "delivery_date"),
     ("Facture n\u00b0", "other_number")],
)  # fmt: skip
def test_match_label(label: str, name: str) -> None:
    found = match_label(label)
    assert found is not None and found[0] == name


def test_bare_short_labels_only_when_asked() -> None:
    assert match_label("No.") is None
    assert match_label("No.", generic=True) == ("po_number", 60.0)


# --- the visible real corpus, read in place --------------------------------------------------------------

DOCUMENTS = CORPUS / "documents"


def _corpus_rows(path: Path) -> list[Row]:
    with pdfplumber.open(path) as pdf:
        return rows_of(
            Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]), number)
            for number, page in enumerate(pdf.pages, start=1)
            for w in page.extract_words(x_tolerance=1.5, y_tolerance=2)
        )


@pytest.mark.skipif(not DOCUMENTS.is_dir(), reason="the shared corpus (../shared) is not here")
def test_real_corpus_po_numbers_and_dates_floor() -> None:
    expected = json.loads((DOCUMENTS / "expected.json").read_text())
    right = {"po_number": 0, "po_date": 0, "currency": 0}
    silent: list[str] = []
    documents = [(key, doc) for key, doc in expected.items() if doc["kind"] == "pdf"]
    for key, doc in documents:
        rows = _corpus_rows(DOCUMENTS / key)
        order = Order(partner=None, channel=Channel.PDF, po_number=None)
        issues = read_header_fields(order, rows, {})
        [want] = doc["orders"]
        got = {"po_number": order.po_number, "po_date": order.po_date and order.po_date.isoformat(),
               "currency": order.currency}  # fmt: skip
        for name in right:
            if got[name] in [want[name], *want.get(f"{name}_accept", [])]:
                right[name] += 1
            else:
                doubted = any(i.field == name for i in issues) or (
                    name in order.provenance and (order.provenance[name].confidence or 1) < REVIEW_BELOW
                )
                if not doubted:
                    silent.append(f"{key}: {name} {got[name]!r}")
    assert len(documents) >= 13
    assert right["po_number"] >= 12 and right["po_date"] >= 12 and right["currency"] >= 12, right
    assert silent == []
