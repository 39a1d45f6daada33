"""Purchase orders in one sender's own layout, written with fpdf2 and openpyxl (this module holds no tests).

The PO number and date sit right of labels no generic vocabulary knows ("Vorgangskennung",
"Vorgangsdatum"), and the part number column is titled "Teilekennung": the generic readers miss them, so the desk's
corrections have something to teach. Every call with other values gives another document of
the same layout.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import openpyxl
from fpdf import FPDF

PO_LABEL = "Vorgangskennung"
DATE_LABEL = "Vorgangsdatum"
PART_TITLE = "Teilekennung"
Line = tuple[str, str, int, Decimal]  # part, description, quantity, unit price
_COLUMNS = [(PART_TITLE, 34), ("Description", 70), ("Qty", 18), ("Unit Price", 28), ("Amount", 28)]


def layout_pdf(po_number: str, po_date: str, lines: Sequence[Line], delivery: str = "12/01/2026") -> bytes:
    """A one-page PDF order: the PO number right of ``PO_LABEL``, the parts under ``PART_TITLE``, and
    the PO date right of ``DATE_LABEL``, below a delivery date that a generic reader may take for it."""
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 11, 20, tzinfo=UTC))  # the same values give the same bytes
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, "Northwind Supply Requisition", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"{PO_LABEL}: {po_number}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Delivery date: {delivery}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"{DATE_LABEL}: {po_date}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(style="B")
    for title, width in _COLUMNS:
        pdf.cell(width, 7, title, border=1)
    pdf.ln()
    pdf.set_font(style="")
    total = Decimal(0)
    for part, description, quantity, price in lines:
        amount = quantity * price
        total += amount
        for (_, width), value in zip(_COLUMNS, [part, description, str(quantity), f"{price:.2f}", f"{amount:.2f}"],
                                     strict=True):  # fmt: skip
            pdf.cell(width, 7, value, border=1)
        pdf.ln()
    pdf.cell(0, 8, f"Total {total:.2f}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def layout_sheet(po_number: str, lines: Sequence[Line]) -> bytes:
    """The same layout as an xlsx sheet: label and PO number side by side, then the line table."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Northwind Supply Requisition"])
    sheet.append(["PO number", po_number])
    sheet.append([])
    sheet.append([PART_TITLE, "Description", "Qty", "Unit Price"])
    for part, description, quantity, price in lines:
        sheet.append([part, description, quantity, float(price)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
