"""PDF purchase orders -> canonical orders, read from the layout alone with pdfplumber.

Words are grouped into lines by position. The line table's header row is found by fuzzy
column synonyms (as for sheets), its columns by the header words' x-ranges; later rows are
assigned to columns by position, wrapped text joins the line above, a repeated header on
the next page is skipped, and the table ends at a total. Every value keeps its page and
bounding box, and a confidence; failed cross-checks become findings.

A page with no text but a picture (a scan, a fax) is read by OCR (``_ocr``): its words, in the
same points as pdfplumber's, with Tesseract's confidences, go to the same layout reader.
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

from ._detect import IMAGE
from ._detect import detect_format
from ._events import FoundOrders
from ._ocr import OcrRefusal
from ._ocr import OcrSettings
from ._ocr import image_pages
from ._ocr import ocr_rows
from ._ocr import ocr_words
from ._ocr import pdf_page_images
from ._ocr import picture_refusal
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
    data: bytes,
    *,
    partner: str | None,
    document_id: str | None,
    template: PdfTemplate | None = None,
    ocr: OcrSettings | None = None,
) -> FoundOrders:
    """The order in a PDF, or a specific error: encrypted, corrupt, too long, too costly to read, no text.

    Scanned pages are read by OCR within ``ocr``'s bounds (its ``ocr.*`` errors say which was hit).
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
            rows: list[Row] = []
            scanned: list[tuple[int, tuple[float, float, float, float]]] = []
            for number, page in enumerate(pdf.pages, start=1):
                found = _rows(page, number, budget)
                rows += found
                if not found and page.images:  # a picture of a page: read by OCR below
                    picture_refusal([_source_size(image) for image in page.images], number)
                    x0, top, x1, bottom = (float(v) for v in page.cropbox)
                    scanned.append((number, (x0, top, x1, bottom)))
            if scanned:
                settings = ocr or OcrSettings()
                rows += ocr_rows(pdf_page_images(data, scanned, settings), settings)
                rows.sort(key=lambda row: row.page)  # stable: each page's rows keep their order
    except OcrRefusal as exc:
        return FoundOrders.failed(exc.code, exc.message)
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
            "pdf.no_text",
            f"the PDF has no text layer, and OCR found no words on its {len(scanned)} scanned page(s)"
            if scanned
            else "the PDF has no text layer and no pictures to read by OCR: its pages are blank or drawn",
        )
    return read_order(rows, partner=partner, document_id=document_id, template=template or PdfTemplate())


def _source_size(image: dict[str, Any]) -> tuple[int, int]:
    """A picture's size in pixels as stored in the PDF (pdfplumber's ``srcsize``)."""
    try:
        width, height = image["srcsize"]
        return int(width), int(height)
    except (KeyError, TypeError, ValueError):
        return 0, 0


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


def ocr_page_words(data: bytes, page: int, settings: OcrSettings | None = None) -> list[Word] | None:
    """The words OCR reads on page ``page`` (from 1) of a scanned PDF or image, read as the order
    was read (same resolution, same cleaning), in the points its values' boxes are in.

    None when the page has a text layer, so that it was read as text and not by OCR. Raises
    ``OcrRefusal`` at the OCR reader's bounds (``image.corrupt``, ``ocr.no_page`` for a page
    beyond the last), and what pdfplumber raises on a PDF it cannot read.
    """
    settings = settings or OcrSettings()
    if detect_format(data[:8192]) == IMAGE:
        for found in image_pages(data, settings):
            if found.page == page:
                return ocr_words(found, settings)
        raise OcrRefusal("ocr.no_page", f"the image has no page {page}")
    budget = PdfBudget()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        if not 1 <= page <= min(len(pdf.pages), MAX_PAGES):
            raise OcrRefusal("ocr.no_page", f"the PDF has no page {page}")
        shown = pdf.pages[page - 1]
        if _rows(shown, page, budget) or not shown.images:
            return None
        picture_refusal([_source_size(image) for image in shown.images], page)
        x0, top, x1, bottom = (float(v) for v in shown.cropbox)
    [image] = pdf_page_images(data, [(page, (x0, top, x1, bottom))], settings)
    return ocr_words(image, settings)
