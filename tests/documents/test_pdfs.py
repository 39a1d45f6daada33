"""PDF purchase orders: the generated layouts in fixtures/pdfs, provenance, and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fpdf import FPDF

from parsers._pdf import MAX_PAGES
from parsers._pdf import parse_pdf_order
from parsers._pdf import pdf_template
from parsers.layout._template import PdfTemplate
from partners import PartnerRegistry
from tests.conftest import ROOT

PDFS = sorted((ROOT / "fixtures" / "pdfs").glob("*.pdf"))


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.stem)
def test_pdf_layout_reads_as_expected(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text())
    result = parse_pdf_order(path.read_bytes(), partner="acme", document_id="3")
    assert [i.code for i in result.issues] == expected["errors"]
    [order] = result.orders
    assert order.po_number == expected["po_number"]
    assert (str(order.po_date) if order.po_date else None) == expected["po_date"]
    assert (order.ship_to.name if order.ship_to else None) == expected["ship_to"]
    assert all(ln.quantity is not None for ln in order.lines)
    found = [
        [ln.vendor_sku, str(ln.quantity.value), ln.quantity.uom, str(ln.unit_price)]
        for ln in order.lines
        if ln.quantity is not None
    ]
    assert found == expected["lines"]
    if "descriptions" in expected:
        assert [line.description for line in order.lines] == expected["descriptions"]


def test_values_carry_page_bbox_and_confidence() -> None:
    [order] = parse_pdf_order(
        (ROOT / "fixtures/pdfs/multipage.pdf").read_bytes(), partner="a", document_id="1"
    ).orders
    last = order.lines[-1].provenance["quantity"]
    assert last.page == 2 and last.bbox is not None and last.confidence is not None
    x0, top, x1, bottom = last.bbox
    assert 0 < x0 < x1 and 0 < top < bottom
    assert order.provenance["po_number"].page == 1


def pdf_bytes(pdf: FPDF) -> bytes:
    buffer = io.BytesIO()
    pdf.output(buffer)
    return buffer.getvalue()


def test_encrypted_pdf() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, "PO Number: 1")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    result = parse_pdf_order(pdf_bytes(pdf), partner="a", document_id="1")
    assert [i.code for i in result.issues] == ["pdf.encrypted"]


def test_drawing_without_text_or_pictures() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # drawn shapes: no text, and no picture for OCR (test_ocr.py)
    result = parse_pdf_order(pdf_bytes(pdf), partner="a", document_id="1")
    assert [i.code for i in result.issues] == ["pdf.no_text"]
    assert "no pictures to read by OCR" in result.issues[0].message


def test_too_many_pages_is_refused() -> None:
    pdf = FPDF()
    for _ in range(MAX_PAGES + 1):
        pdf.add_page()
    result = parse_pdf_order(pdf_bytes(pdf), partner="a", document_id="1")
    assert [i.code for i in result.issues] == ["pdf.too_many_pages"]


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nxref\ntrailer\n%%EOF", b"\x00" * 64]
)
def test_corrupt_pdf(data: bytes) -> None:
    result = parse_pdf_order(data, partner="a", document_id="1")
    assert [i.code for i in result.issues] == ["pdf.corrupt"]


def unusual_layout() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for text in ("Initech GmbH", "Vorgang XK-4410", "Bestellt am 21.11.2026"):
        pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for row in (["Kennung", "Text", "Stückzahl", "EP"], ["NW-50010", "DECKBLATT", "100", "0,85"]):
        for value in row:
            pdf.cell(40, 7, value)
        pdf.ln()
    return pdf_bytes(pdf)


def test_partner_template_reads_a_layout_the_generic_reader_cannot() -> None:
    data = unusual_layout()
    generic = parse_pdf_order(data, partner="initech", document_id="1")
    assert generic.orders == [] and [i.code for i in generic.issues] == ["pdf.no_line_table"]
    template = PdfTemplate(
        anchors={"po_number": "Vorgang", "po_date": "Bestellt am"},
        columns={
            "Kennung": "vendor_sku",
            "Text": "description",
            "Stückzahl": "quantity",
            "EP": "unit_price",
        },
    )
    [order] = parse_pdf_order(data, partner="initech", document_id="1", template=template).orders
    assert (order.po_number, str(order.po_date)) == ("XK-4410", "2026-11-21")
    line = order.lines[0]
    assert line.quantity is not None
    assert (line.vendor_sku, line.description, str(line.quantity.value), str(line.unit_price)) == (
        "NW-50010",
        "DECKBLATT",
        "100",
        "0.85",
    )
    assert order.provenance["po_number"].confidence == 1.0


def test_template_comes_from_the_profile(partners: PartnerRegistry) -> None:
    initech = partners.get("initech")
    assert initech is not None
    assert pdf_template(initech) is None
    profiled = initech.model_copy(update={"pdf_anchors": {"po_number": "Vorgang"}})
    assert pdf_template(profiled) == PdfTemplate(anchors={"po_number": "Vorgang"}, columns={})
