"""Scanned and faxed pages sent as images (TIFF, also multi-page; PNG; JPEG) -> an order, by OCR.

Each page is read by Tesseract (``_ocr``) into words in points (72 per inch of the page as
scanned), and those go to the same layout reader as a PDF's text. A value's provenance is its
page and box in those points, so a desk showing the image at its resolution lines it up.
"""

from __future__ import annotations

import io

from ._events import FoundOrders
from ._ocr import MIN_DPI
from ._ocr import OcrRefusal
from ._ocr import OcrSettings
from ._ocr import image_pages
from ._ocr import ocr_rows
from .layout._reader import read_order
from .layout._template import PdfTemplate


def parse_image_order(
    data: bytes,
    *,
    partner: str | None,
    document_id: str | None,
    template: PdfTemplate | None = None,
    ocr: OcrSettings | None = None,
) -> FoundOrders:
    """The order on a scanned image's pages, or a specific error (``ocr.*``, ``image.*``)."""
    settings = ocr or OcrSettings()
    try:
        rows = ocr_rows(image_pages(data, settings), settings)
    except OcrRefusal as exc:
        return FoundOrders.failed(exc.code, exc.message)
    if not rows:
        return FoundOrders.failed("image.no_text", "OCR found no words on the image's pages")
    return read_order(rows, partner=partner, document_id=document_id, template=template or PdfTemplate())


def image_as_pdf(data: bytes) -> bytes:
    """The image's pages as an image-only PDF, for showing them: each page as many points wide as
    the scan is inches wide x 72, so the boxes OCR read (in points) lie on the same spots.

    Drawn in gray at ``MIN_DPI``, within the OCR reader's bounds (``OcrRefusal`` beyond them).
    """
    pages = list(image_pages(data, OcrSettings(dpi=MIN_DPI)))
    out = io.BytesIO()
    first, *rest = (page.image for page in pages)
    first.save(out, format="PDF", save_all=True, append_images=rest, resolution=pages[0].dpi)
    return out.getvalue()
