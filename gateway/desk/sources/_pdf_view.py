"""PDF pages as PNG images (pypdfium2), with the boxes order values came from (pdfplumber's).

The parsers record a box as pdfplumber reports it: points from the top left of the page as
displayed (rotation applied), in the frame of the page's boxes. A box becomes image pixels
through the page's crop box in that same frame, since PDFium renders the crop box, rotated.

A scanned image (TIFF, PNG, JPEG) is shown as the image-only PDF ``parsers.image_as_pdf`` makes of
it, whose points are those its OCR boxes were read in.

PDFium is not thread-safe; every call into it holds one process-wide lock (the parsers' too). Hostile input is
bounded: at most ``MAX_PAGES`` pages are listed, and a page image is at most ``MAX_SIDE``
pixels on its long side and ``MAX_PIXELS`` pixels in all, whatever the page claims to measure.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.pdftypes import PDFStream
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import LIT
from pdfplumber.utils.exceptions import PdfminerException

from parsers import IMAGE
from parsers import PDFIUM_LOCK
from parsers import OcrRefusal
from parsers import detect_format
from parsers import image_as_pdf
from parsers import pdf_drawing_refusal
from parsers import pdf_inflation_refusal

from ._highlights import Wanted
from ._panes import CannotShow
from ._panes import Highlight
from ._panes import PdfBox
from ._panes import PdfPage
from ._panes import PdfPane
from ._panes import RenderedPage
from ._panes import Unplaced

DEFAULT_SCALE = 1.5
SHARP_SCALE = 3.0  # the page drawn again for zooming in (within MAX_SIDE and MAX_PIXELS)
SCALES = (DEFAULT_SCALE, SHARP_SCALE)  # the only scales the desk's page route draws
MAX_SCALE = 4.0
SCAN_CHECK_PAGES = 20  # pages told text or picture (OCR reads at most as many scanned pages)
MAX_PAGES = 300
MAX_SIDE = 2400
MAX_PIXELS = 6_000_000
_PDFIUM = PDFIUM_LOCK
PDFPLUMBER_ERRORS = (
    PdfminerException,
    PDFSyntaxError,
    PDFPasswordIncorrect,
    PDFEncryptionError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
)


@dataclass(frozen=True, slots=True)
class _Geometry:
    """A page's displayed size in points, from PDFium."""

    width: float
    height: float
    scanned: bool = False


def page_scale(width: float, height: float, scale: float = DEFAULT_SCALE) -> float:
    """``scale``, lowered so that the image of a ``width`` x ``height`` point page stays bounded."""
    scale = min(max(scale, 0.1), MAX_SCALE)
    if width <= 0 or height <= 0:
        return scale
    scale = min(scale, MAX_SIDE / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))
    return math.floor(scale * 1000) / 1000


def _pixels(geometry: _Geometry, scale: float) -> tuple[int, int]:
    """The bitmap size PDFium makes: it rounds each side up."""
    return math.ceil(geometry.width * scale), math.ceil(geometry.height * scale)


def _as_pdf(data: bytes) -> tuple[bytes, CannotShow | None]:
    """``data`` itself, or a scanned image's pages as a PDF (or why they cannot be shown)."""
    if detect_format(data[:8192]) != IMAGE:
        return data, None
    try:
        return image_as_pdf(data), None
    except OcrRefusal as exc:
        return b"", CannotShow(exc.code, f"the image is not shown: {exc.message}")


def _open(data: bytes) -> tuple[pdfium.PdfDocument | None, CannotShow | None]:
    """Call with ``_PDFIUM`` held."""
    if b"%PDF-" not in data[:1024]:
        return None, CannotShow("pdf.not_a_pdf", "the file is not a PDF (no %PDF- header at its start)")
    refusal = pdf_inflation_refusal(data)  # PDFium would inflate it whole, as pdfminer would
    if refusal is not None:
        return None, CannotShow("pdf.too_large", f"the PDF is not shown: {refusal}")
    try:
        return pdfium.PdfDocument(data), None
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            return None, CannotShow("pdf.encrypted", "the PDF is password-protected, so it cannot be shown")
        return None, CannotShow("pdf.corrupt", f"the PDF cannot be read: {exc}")


def _geometries(data: bytes) -> tuple[list[_Geometry], int, CannotShow | None]:
    with _PDFIUM:
        document, problem = _open(data)
        if document is None:
            return [], 0, problem
        try:
            count = len(document)
            sizes = [document.get_page_size(i) for i in range(min(count, MAX_PAGES))]
        except pdfium.PdfiumError as exc:
            return [], 0, CannotShow("pdf.corrupt", f"the PDF's pages cannot be read: {exc}")
        finally:
            document.close()
    if count == 0:
        return [], 0, CannotShow("pdf.no_pages", "the PDF has no pages")
    scanned = _scanned_pages(data) if count <= SCAN_CHECK_PAGES else set()
    return [_Geometry(float(w), float(h), i + 1 in scanned) for i, (w, h) in enumerate(sizes)], count, None


def _scanned_pages(data: bytes) -> set[int]:
    """The pages (from 1) that hold a picture and use no font: scans, read by OCR.

    Told from each page's resources alone, never by running its content, so that a hostile page
    costs nothing here (the OCR words route says so if such a page has text after all).
    """
    found: set[int] = set()
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        for number, page in enumerate(PDFPage.create_pages(document), start=1):
            if number > SCAN_CHECK_PAGES:
                break
            resources = resolve1(page.resources) or {}
            fonts = resolve1(resources.get("Font")) if isinstance(resources, dict) else None
            objects = resolve1(resources.get("XObject")) if isinstance(resources, dict) else None
            pictures = [resolve1(x) for x in objects.values()] if isinstance(objects, dict) else []
            images = any(isinstance(x, PDFStream) and x.get("Subtype") == LIT("Image") for x in pictures)
            if images and not fonts:
                found.add(number)
    except Exception:  # pdfminer has no one error for a damaged file; the pane says what PDFium found
        return set()
    return found


def _crop_boxes(data: bytes, pages: set[int]) -> dict[int, tuple[float, float, float, float]]:
    """pdfplumber's crop box (x0, top, x1, bottom) for each of ``pages``; empty if it cannot say."""
    boxes: dict[int, tuple[float, float, float, float]] = {}
    if not pages:
        return boxes
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number in sorted(pages):
                if number <= len(pdf.pages):
                    x0, top, x1, bottom = pdf.pages[number - 1].cropbox
                    boxes[number] = (float(x0), float(top), float(x1), float(bottom))
    except PDFPLUMBER_ERRORS:
        return {}
    return boxes


def page_frame(data: bytes, page: int) -> tuple[float, float, float, float] | None:
    """The frame the readers' boxes on ``page`` are in and its image shows: pdfplumber's crop box
    (x0, top, x1, bottom) in points; None if the page cannot be read. A scan is its image-only PDF."""
    data, problem = _as_pdf(data)
    return None if problem is not None else _crop_boxes(data, {page}).get(page)


def pdf_pane(
    data: bytes,
    wanted: Sequence[Wanted],
    *,
    key: str,
    title: str,
    mime_part: str | None,
    scale: float = DEFAULT_SCALE,
) -> tuple[PdfPane, list[Highlight], list[Unplaced]]:
    """The PDF's pages (size and boxes); the images come from ``render_pdf_page`` at each page's scale."""
    picture = detect_format(data[:8192]) == IMAGE
    data, problem = _as_pdf(data)
    geometries, count, problem = _geometries(data) if problem is None else ([], 0, problem)
    if problem is not None:
        pane = PdfPane(key=key, title=title, mime_part=mime_part, problem=problem)
        return pane, [], [w.miss(problem.message) for w in wanted]
    crops = _crop_boxes(data, {w.source.page for w in wanted if w.source.page is not None})
    placed: list[Highlight] = []
    missed: list[Unplaced] = []
    on_page: dict[int, list[Highlight]] = {}
    for item in wanted:
        number, bbox = item.source.page, item.source.bbox
        if number is None or bbox is None:
            missed.append(item.miss("its source is not a box on a PDF page"))
            continue
        if not 1 <= number <= len(geometries):
            missed.append(item.miss(f"page {number} is not among the {len(geometries)} pages shown"))
            continue
        geometry = geometries[number - 1]
        box = _box(
            number, bbox, geometry, crops.get(number), page_scale(geometry.width, geometry.height, scale)
        )
        if box is None:
            missed.append(item.miss(f"its box lies outside page {number}"))
            continue
        highlight = item.place(key, f"{key}-{item.key}", box)
        placed.append(highlight)
        on_page.setdefault(number, []).append(highlight)
    pages = []
    for number, geometry in enumerate(geometries, start=1):
        page_at = page_scale(geometry.width, geometry.height, scale)
        width, height = _pixels(geometry, page_at)
        pages.append(
            PdfPage(
                number,
                width,
                height,
                page_at,
                f"{key}-page-{number}",
                tuple(on_page.get(number, ())),
                scanned=picture or geometry.scanned,
            )
        )
    pane = PdfPane(
        key=key,
        title=title,
        mime_part=mime_part,
        page_count=count,
        pages=tuple(pages),
        sharp_scale=SHARP_SCALE,
    )
    return pane, placed, missed


def _box(
    page: int,
    bbox: tuple[float, float, float, float],
    geometry: _Geometry,
    crop: tuple[float, float, float, float] | None,
    scale: float,
) -> PdfBox | None:
    width, height = _pixels(geometry, scale)
    cx0, ctop, cx1, cbottom = crop or (0.0, 0.0, geometry.width, geometry.height)
    if cx1 <= cx0 or cbottom <= ctop or width <= 0 or height <= 0:
        return None
    sx, sy = width / (cx1 - cx0), height / (cbottom - ctop)
    x0, top, x1, bottom = bbox
    px0 = max(0.0, min(width, (min(x0, x1) - cx0) * sx))
    px1 = max(0.0, min(width, (max(x0, x1) - cx0) * sx))
    py0 = max(0.0, min(height, (min(top, bottom) - ctop) * sy))
    py1 = max(0.0, min(height, (max(top, bottom) - ctop) * sy))
    if px1 <= px0 or py1 <= py0:
        return None
    return PdfBox(
        page=page,
        x0=round(px0, 1),
        y0=round(py0, 1),
        x1=round(px1, 1),
        y1=round(py1, 1),
        left=round(100 * px0 / width, 3),
        top=round(100 * py0 / height, 3),
        width=round(100 * (px1 - px0) / width, 3),
        height=round(100 * (py1 - py0) / height, 3),
    )


def render_pdf_page(data: bytes, page: int, scale: float = DEFAULT_SCALE) -> RenderedPage | CannotShow:
    """Page ``page`` (from 1) as a PNG at ``scale`` (lowered for huge pages, as the pane says).

    A page beyond the reader's budgets (``parsers.pdf_drawing_refusal``) is not drawn: PDFium,
    though faster, also draws forms drawing forms, and holds every inflated stream.
    """
    data, problem = _as_pdf(data)
    if problem is not None:
        return problem
    refusal = pdf_drawing_refusal(data, page)
    if refusal is not None:
        return CannotShow("pdf.too_complex", f"page {page} is not shown: {refusal}")
    with _PDFIUM:
        document, problem = _open(data)
        if document is None:
            return problem or CannotShow("pdf.corrupt", "the PDF cannot be read")
        try:
            count = len(document)
            if not 1 <= page <= min(count, MAX_PAGES):
                return CannotShow("pdf.no_page", f"the PDF has no page {page} to show (it has {count})")
            width, height = document.get_page_size(page - 1)
            geometry = _Geometry(float(width), float(height))
            if geometry.width <= 0 or geometry.height <= 0:
                return CannotShow("pdf.bad_page", f"page {page} has no area ({width} x {height} points)")
            at = page_scale(geometry.width, geometry.height, scale)
            pdf_page = document[page - 1]
            try:
                bitmap = pdf_page.render(scale=at, may_draw_forms=False)
                image = bitmap.to_pil()
            finally:
                pdf_page.close()
        except (pdfium.PdfiumError, ValueError) as exc:
            return CannotShow("pdf.render_failed", f"page {page} cannot be drawn: {exc}")
        finally:
            document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", compress_level=6)
    digest = hashlib.sha256(data).hexdigest()[:24]
    return RenderedPage(page, image.width, image.height, at, out.getvalue(), f"{digest}-{page}-{at}")
