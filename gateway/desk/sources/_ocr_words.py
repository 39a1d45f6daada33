"""The words OCR read on a scanned page, placed on the page image the desk shows.

The page is read again as the order was read (``parsers.ocr_page_words``: same resolution,
same cleaning), on demand when the clerk asks to see the words, and the last pages read are
kept in memory (``CACHED`` of them, keyed by the document's SHA-256), since Tesseract takes
seconds a page. A page with a text layer was not read by OCR and has no OCR words to show.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from parsers import IMAGE
from parsers import OcrRefusal
from parsers import detect_format
from parsers import ocr_page_words
from parsers import pdf_drawing_refusal

from ._panes import CannotShow
from ._pdf_view import DEFAULT_SCALE
from ._pdf_view import PDFPLUMBER_ERRORS
from ._pdf_view import _as_pdf
from ._pdf_view import _box
from ._pdf_view import _crop_boxes
from ._pdf_view import _geometries
from ._pdf_view import page_scale

CACHED = 32
LOW_CONFIDENCE = 0.8  # as the readers flag a value (``low_confidence``)


@dataclass(frozen=True, slots=True)
class OcrWord:
    """A word as Tesseract read it; ``left, top, width, height`` in percent of the page image."""

    text: str
    confidence: float
    left: float
    top: float
    width: float
    height: float

    @property
    def low(self) -> bool:
        return self.confidence < LOW_CONFIDENCE


@dataclass(frozen=True, slots=True)
class PageWords:
    page: int
    words: tuple[OcrWord, ...]


_cache: OrderedDict[tuple[str, str | None, int], PageWords | CannotShow] = OrderedDict()
_cache_lock = threading.Lock()


def page_words(
    data: bytes, page: int, *, key: tuple[str, str | None] | None = None
) -> PageWords | CannotShow:
    """The OCR words of page ``page`` of a scanned PDF or image (``data``), or why there are none.

    ``key`` (the document's SHA-256 and MIME part) keeps the answer for the next asker.
    """
    cache_key = (*key, page) if key is not None else None
    if cache_key is not None:
        with _cache_lock:
            if cache_key in _cache:
                _cache.move_to_end(cache_key)
                return _cache[cache_key]
    found = _page_words(data, page)
    if cache_key is not None and not (isinstance(found, CannotShow) and found.code == "ocr.timeout"):
        with _cache_lock:
            _cache[cache_key] = found
            while len(_cache) > CACHED:
                _cache.popitem(last=False)
    return found


def _page_words(data: bytes, page: int) -> PageWords | CannotShow:
    if detect_format(data[:8192]) != IMAGE:
        refusal = pdf_drawing_refusal(data, page)
        if refusal is not None:
            return CannotShow("pdf.too_complex", f"page {page} is not read: {refusal}")
    try:
        words = ocr_page_words(data, page)
    except OcrRefusal as exc:
        return CannotShow(exc.code, exc.message)
    except PDFPLUMBER_ERRORS as exc:
        return CannotShow("pdf.corrupt", f"the PDF cannot be read: {type(exc).__name__}")
    if words is None:
        return CannotShow(
            "ocr.text_layer",
            f"page {page} has a text layer: it was read as text, not by OCR, so it has no OCR words",
        )
    shown, problem = _as_pdf(data)
    geometries, _, problem = _geometries(shown) if problem is None else ([], 0, problem)
    if problem is not None:
        return problem
    if not 1 <= page <= len(geometries):
        return CannotShow("pdf.no_page", f"the document has no page {page} to show")
    geometry = geometries[page - 1]
    crop = _crop_boxes(shown, {page}).get(page)
    scale = page_scale(geometry.width, geometry.height, DEFAULT_SCALE)
    placed: list[OcrWord] = []
    for word in words:
        box = _box(page, (word.x0, word.top, word.x1, word.bottom), geometry, crop, scale)
        if box is not None:
            placed.append(
                OcrWord(word.text, round(word.confidence, 3), box.left, box.top, box.width, box.height)
            )
    return PageWords(page, tuple(placed))
