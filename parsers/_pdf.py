"""PDF purchase orders -> canonical orders, read from the layout alone with pdfplumber.

Words are grouped into lines by position. The line table's header row is found by fuzzy
column synonyms (as for sheets), its columns by the header words' x-ranges; later rows are
assigned to columns by position, wrapped text joins the line above, a repeated header on
the next page is skipped, and the table ends at a total. Every value keeps its page and
bounding box, and a confidence; failed cross-checks become findings.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from partners import LayoutHint
from partners import PartnerProfile
from partners import learned_layout

from ._events import FoundOrders
from ._pdf_budget import OverBudget
from ._pdf_budget import PdfBudget
from ._pdf_budget import pdf_inflation_refusal
from .layout._reader import read_order
from .layout._template import PdfTemplate
from .layout._words import Row
from .layout._words import Word
from .layout._words import rows_of

MAX_PAGES = 300


def pdf_template(partner: PartnerProfile | None, learned: Sequence[LayoutHint] = ()) -> PdfTemplate | None:
    """The partner's PDF template: its profile's ``pdf_anchors`` and ``sheet_columns``, then the
    layout hints learned on the desk for its PDFs that the profile does not override."""
    layout = learned_layout(partner, learned, "pdf")
    if not (layout.anchors or layout.columns):
        return None
    return PdfTemplate(anchors=layout.anchors, columns=layout.columns)


def parse_pdf_order(
    data: bytes, *, partner: str | None, document_id: str | None, template: PdfTemplate | None = None
) -> FoundOrders:
    """The order in a PDF, or a specific error: encrypted, corrupt, too long, too costly to read, no text.

    A partner's ``template`` is applied first; the generic layout reading fills in the rest.
    """
    refusal = pdf_inflation_refusal(data)
    if refusal is not None:
        return FoundOrders.failed("pdf.too_large", f"the PDF is refused: {refusal}")
    budget = PdfBudget()
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                return FoundOrders.failed(
                    "pdf.too_many_pages", f"the PDF has {len(pdf.pages)} pages; refused above {MAX_PAGES}"
                )
            rows = [
                row for number, page in enumerate(pdf.pages, start=1) for row in _rows(page, number, budget)
            ]
    except OverBudget as exc:
        return FoundOrders.failed("pdf.too_complex", f"{exc}: send it as EDI or a sheet, or split it")
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        return FoundOrders.failed(
            "pdf.encrypted", f"the PDF is encrypted or password-protected ({type(exc).__name__})"
        )
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            return FoundOrders.failed("pdf.encrypted", "the PDF is encrypted or password-protected")
        return FoundOrders.failed("pdf.corrupt", f"the PDF cannot be read: {type(cause).__name__}: {cause}")
    except (PDFSyntaxError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        return FoundOrders.failed("pdf.corrupt", f"the PDF cannot be read: {type(exc).__name__}: {exc}")
    if not rows:
        return FoundOrders.failed(
            "pdf.no_text", "the PDF has no text layer (a scanned image); it needs OCR, which is not done here"
        )
    return read_order(rows, partner=partner, document_id=document_id, template=template or PdfTemplate())


def _rows(page: Any, number: int, budget: PdfBudget) -> list[Row]:
    budget.layout(page)  # pdfminer's reading of the page, paid for as it goes
    return rows_of(
        Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]), number)
        for w in page.extract_words(keep_blank_chars=False, x_tolerance=1.5, y_tolerance=2)
    )


def pdf_rows(data: bytes) -> list[Row]:
    """Every page's rows of words as the reader sees them (for the desk to find a corrected value).

    Raises what pdfplumber raises on a PDF it cannot read, and ``OverBudget``.
    """
    budget = PdfBudget()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = pdf.pages[:MAX_PAGES]
        return [row for number, page in enumerate(pages, start=1) for row in _rows(page, number, budget)]
