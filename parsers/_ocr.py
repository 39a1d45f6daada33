"""OCR of scanned and faxed pages: page images -> ``Word``s in PDF points, with Tesseract's confidences.

Pure but for one thing: pytesseract runs Debian's ``tesseract`` binary as a child process, one per
page, through a temporary image file it deletes. Everything else (rendering a PDF page with PDFium,
decoding a TIFF, PNG or JPEG with Pillow) happens in memory. Every run is bounded, and each bound
that is hit is a ``OcrRefusal`` with its own code:

- ``ocr.too_many_pages``: more than ``MAX_PAGES`` pages to read;
- ``ocr.too_large``: a page image over ``MAX_PAGE_PIXELS`` (a huge PDF page, a decompression bomb);
- ``ocr.timeout``: Tesseract took more than ``PAGE_SECONDS`` on one page (the process is killed);
- ``ocr.unavailable``: no ``tesseract`` binary or no language data;
- ``ocr.failed``: Tesseract ran and failed; ``image.corrupt``: the image cannot be decoded.

Measured on the two real scans (200 dpi originals, letter size, 2 cores): 300 dpi gives fewer
low-confidence words than 200 dpi for about 0.3 s more a page; ``--psm 3`` (automatic layout)
keeps a line that ``--psm 4`` loses on a ruled form, with fewer doubtful words than ``--psm 6``.
"""

from __future__ import annotations

import io
import math
import os
import struct
import threading
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
import pytesseract
from PIL import Image
from PIL import ImageChops
from PIL import ImageFilter
from PIL import ImageSequence
from PIL import UnidentifiedImageError

from gateway.errors import InboundError

from .layout._words import Row
from .layout._words import Word

DPI = 300  # pages are read at this resolution; images are resampled to it
MIN_DPI = 100  # a page so large that it fits the pixel cap only below this is refused
LANGUAGES = "eng"  # Tesseract's language data (the Debian packages install eng, spa, deu, fra, nld)
PAGE_SEGMENTATION = 3  # --psm: Tesseract finds the blocks and columns itself
MAX_PAGES = 20
MAX_PAGE_PIXELS = 36_000_000  # one page image; an A3 page at 300 dpi is 17 million
MAX_SOURCE_PIXELS = 200_000_000  # one picture inside a PDF page, as stored (PDFium decodes it whole)
PAGE_SECONDS = 30.0  # Tesseract's time on one page
UNKNOWN_DPI_PAGE_INCHES = (8.5, 11.0)  # an image that states no resolution is taken as a letter page
RULE_RUN = 60  # pixels at 300 dpi (0.2 in): a dark run this long, horizontal or vertical, is a ruled line
RULE_GLYPHS = "|{}"  # a table's ruled lines, as Tesseract reads them; never part of a word
# Tesseract's OpenMP threads cost more than they gain when cores are shared (measured on a scan:
# 5.3 s a page with them, 1.7 s without); one thread per tesseract child, unless set already.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
# PDFium is not thread-safe: every use in this process (here and in the desk) holds this lock.
PDFIUM_LOCK = threading.Lock()


class OcrRefusal(InboundError):
    """OCR could not be done, or was stopped at a bound; ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class OcrSettings:
    """The bounds and choices of one OCR run (the defaults are the module's constants)."""

    languages: str = LANGUAGES
    dpi: int = DPI
    max_pages: int = MAX_PAGES
    max_page_pixels: int = MAX_PAGE_PIXELS
    page_seconds: float = PAGE_SECONDS


@dataclass(slots=True)
class PageImage:
    """A page to read: a grayscale image at ``dpi``, and where the page's top left lies in points."""

    image: Image.Image
    dpi: float
    page: int
    x0: float = 0.0
    top: float = 0.0


def ocr_words(page: PageImage, settings: OcrSettings) -> list[Word]:
    """The words Tesseract reads on ``page``, in points, each with its confidence (0..1).

    Words Tesseract puts on one text line share that line's top and bottom, so that they
    form one row. Ruled lines read as ``|`` split a word and are dropped.
    """
    try:
        data = pytesseract.image_to_data(
            without_rules(without_shading(page.image), round(RULE_RUN * page.dpi / DPI)),
            lang=settings.languages,
            config=f"--psm {PAGE_SEGMENTATION}",
            timeout=settings.page_seconds,
            output_type=pytesseract.Output.DICT,
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrRefusal(
            "ocr.unavailable", "OCR is not available: the tesseract program is not installed"
        ) from exc
    except pytesseract.TesseractError as exc:
        if "Failed loading language" in str(exc.message) or "load any languages" in str(exc.message):
            raise OcrRefusal(
                "ocr.unavailable",
                f"OCR is not available: Tesseract has no language data for {settings.languages}",
            ) from exc
        raise OcrRefusal("ocr.failed", f"Tesseract failed on page {page.page}: {exc.message}") from exc
    except RuntimeError as exc:  # pytesseract's timeout, the child killed
        if "timeout" not in str(exc):
            raise OcrRefusal("ocr.failed", f"Tesseract failed on page {page.page}: {exc}") from exc
        raise OcrRefusal(
            "ocr.timeout", f"OCR of page {page.page} took more than {settings.page_seconds:g} s; stopped"
        ) from exc
    scale = 72.0 / page.dpi
    lines: dict[tuple[int, int, int], tuple[int, int]] = {}
    found: list[tuple[tuple[int, int, int], str, int, int, float]] = []
    for i, text in enumerate(data["text"]):
        confidence = float(data["conf"][i])
        if confidence < 0 or not text.strip():
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        left, top, width, height = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        above, below = lines.get(key, (top, top + height))
        lines[key] = (min(above, top), max(below, top + height))
        for start, piece in _pieces(text):
            x0 = left + width * start / len(text)
            found.append((key, piece, round(x0), round(x0 + width * len(piece) / len(text)), confidence))
    words = []
    for key, text, x0, x1, confidence in found:
        above, below = lines[key]
        words.append(
            Word(text, page.x0 + x0 * scale, page.x0 + x1 * scale, page.top + above * scale,
                 page.top + below * scale, page.page, confidence=min(max(confidence / 100, 0.0), 1.0))
        )  # fmt: skip
    return words


def without_shading(gray: Image.Image) -> Image.Image:
    """``gray`` with shaded bands (a table header in white on gray) made black text on white.

    Tesseract reads nothing of light text on a mid-gray band (measured: a whole header row lost).
    A band is found at a fifth of the resolution: mid-gray there, closed over the text inside it,
    opened to drop the gray edges of ordinary black text, and gray over at least 30% of 0.1-inch
    blocks (bold titles are not). In a band, light and dark pixels become black, the gray white.
    """
    width, height = gray.size
    small = gray.resize((max(1, width // 5), max(1, height // 5)), Image.Resampling.BOX)
    mid = small.point(lambda v: 255 if 100 <= v < 225 else 0)
    mid = mid.filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.MinFilter(3))  # close over the text
    mid = mid.filter(ImageFilter.MinFilter(7)).filter(ImageFilter.MaxFilter(7))  # open: drop thin gray
    blocks = gray.point(lambda v: 255 if 100 <= v < 225 else 0).resize(
        (max(1, width // 30), max(1, height // 30)), Image.Resampling.BOX
    )
    shaded = blocks.point(lambda v: 255 if v >= 77 else 0).resize(small.size, Image.Resampling.NEAREST)
    band = ImageChops.multiply(mid, shaded).resize(gray.size, Image.Resampling.NEAREST)
    if band.getbbox() is None:
        return gray
    return Image.composite(gray.point(lambda v: 0 if v >= 230 or v < 100 else 255), gray, band)


def without_rules(gray: Image.Image, run: int) -> Image.Image:
    """``gray`` with its ruled lines (dark runs of ``run`` pixels or more) painted white.

    A table's rules touching its text make Tesseract misread or drop whole cells (measured on a
    ruled scan: half the cells lost); text strokes are far shorter than a rule. Done with Pillow's
    C resampling: the dark pixels are averaged over windows of ``run`` pixels along each axis
    (at two offsets), nearly all-dark windows are rules, grown a window along the rule (its ends and
    corners) and a few pixels across it (its edges).
    """
    dark = gray.point(lambda v: 255 if v < 160 else 0)
    mask = Image.new("L", gray.size, 0)
    for turned in (False, True):
        image = dark.transpose(Image.Transpose.TRANSPOSE) if turned else dark
        width, height = image.size
        found = Image.new("L", image.size, 0)
        for offset in (0, run // 2):
            windows = (width - offset) // run
            if windows <= 0 or run < 2:
                continue
            box = (offset, 0, offset + windows * run, height)
            averaged = image.crop(box).resize((windows, height), Image.Resampling.BOX)
            rules = (
                averaged.point(lambda v: 255 if v >= 230 else 0)
                .filter(ImageFilter.MaxFilter(3))  # one window on: the rule's ends, to its corners
                .resize((windows * run, height), Image.Resampling.NEAREST)
            )
            found.paste(ImageChops.lighter(found.crop(box), rules), box[:2])
        mask = ImageChops.lighter(mask, found.transpose(Image.Transpose.TRANSPOSE) if turned else found)
    mask = mask.filter(ImageFilter.BoxBlur(3)).point(lambda v: 255 if v > 10 else 0)
    return ImageChops.lighter(gray, mask)


def ocr_rows(pages: Iterable[PageImage], settings: OcrSettings) -> list[Row]:
    """Every page's OCR words clustered into rows, page by page."""
    return [row for page in pages for row in _rows(ocr_words(page, settings))]


def _rows(words: list[Word]) -> list[Row]:
    """One page's OCR words in rows by their vertical centres, each row's words sharing its top and bottom.

    OCR boxes of one printed row differ in top by more than a text layer's do (a quote mark, a
    slight tilt, a word Tesseract puts in a block of its own), so words join the row whose centre
    lies within half a typical word height of theirs.
    """
    if not words:
        return []
    heights = sorted(w.bottom - w.top for w in words)
    reach = heights[len(heights) // 2] / 2
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        centre = (word.top + word.bottom) / 2
        if rows and centre - sum((w.top + w.bottom) / 2 for w in rows[-1]) / len(rows[-1]) <= reach:
            rows[-1].append(word)
        else:
            rows.append([word])
    found = []
    for members in rows:
        top, bottom = min(w.top for w in members), max(w.bottom for w in members)
        for word in members:
            word.top, word.bottom = top, bottom
        found.append(Row(sorted(members, key=lambda w: w.x0)))
    return found


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """The parts of an OCR word between ruled-line glyphs, with their offsets in it."""
    start = None
    for at, char in enumerate(f"{text} "):
        if char in RULE_GLYPHS or char.isspace():
            if start is not None:
                yield start, text[start:at]
            start = None
        elif start is None:
            start = at


def pdf_page_images(
    data: bytes, pages: list[tuple[int, tuple[float, float, float, float]]], settings: OcrSettings
) -> Iterator[PageImage]:
    """The pages ``pages`` (number from 1, crop box as pdfplumber gives it) of a PDF, drawn in gray.

    A page too large to draw within the pixel cap at ``MIN_DPI`` is refused; a larger one is drawn
    at a lower resolution than ``settings.dpi``. Drawn one at a time, under ``PDFIUM_LOCK``.
    """
    if len(pages) > settings.max_pages:
        raise OcrRefusal(
            "ocr.too_many_pages",
            f"the PDF has {len(pages)} scanned pages; OCR reads at most {settings.max_pages}",
        )
    for number, (x0, top, _, _) in pages:
        with PDFIUM_LOCK:
            try:
                document = pdfium.PdfDocument(data)
            except pdfium.PdfiumError as exc:
                raise OcrRefusal("ocr.failed", f"page {number} cannot be drawn for OCR: {exc}") from exc
            try:
                page = document[number - 1]
                width, height = page.get_size()
                dpi = _fitting_dpi(width / 72, height / 72, settings, f"page {number}")
                image = page.render(scale=dpi / 72, grayscale=True, may_draw_forms=True).to_pil()
                page.close()
            except pdfium.PdfiumError as exc:
                raise OcrRefusal("ocr.failed", f"page {number} cannot be drawn for OCR: {exc}") from exc
            finally:
                document.close()
        # PDFium draws the crop box; pdfplumber's boxes (and the desk's) count from the media box
        yield PageImage(image.convert("L"), dpi, number, x0, top)


def picture_refusal(source_sizes: list[tuple[int, int]], page: int) -> None:
    """Refuses (``ocr.too_large``) a page whose stored pictures PDFium would decode beyond the cap."""
    for width, height in source_sizes:
        if width * height > MAX_SOURCE_PIXELS:
            raise OcrRefusal(
                "ocr.too_large",
                f"page {page} holds a {width:,} x {height:,} pixel picture; OCR decodes at most "
                f"{MAX_SOURCE_PIXELS:,} pixels",
            )


def image_pages(data: bytes, settings: OcrSettings) -> Iterator[PageImage]:
    """Each frame of a TIFF (a multi-page fax), PNG or JPEG as a gray page at ``settings.dpi``.

    A frame's stated size is checked before it is decoded (decompression bombs); a frame
    stored at another resolution (a fax's 204 x 98 dpi) is resampled to square pixels.
    """
    try:
        picture = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own cap, far above ours
        raise OcrRefusal("ocr.too_large", f"the image is refused unread: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error) as exc:
        raise OcrRefusal("image.corrupt", f"the image cannot be read: {type(exc).__name__}: {exc}") from exc
    with picture:
        number = 0
        try:
            _count_pages(picture, settings.max_pages)
            for frame in ImageSequence.Iterator(picture):
                number += 1
                yield _image_page(frame, number, settings)
        except OcrRefusal:
            raise
        except Exception as exc:  # Pillow has no one error for a damaged image (struct.error, KeyError...)
            raise OcrRefusal(
                "image.corrupt", f"page {number} of the image cannot be decoded: {type(exc).__name__}: {exc}"
            ) from exc


def _count_pages(picture: Image.Image, limit: int) -> None:
    """Refuses an image of more than ``limit`` pages before any is read (seeking decodes nothing)."""
    try:
        picture.seek(limit)
    except EOFError:
        picture.seek(0)
        return
    raise OcrRefusal(
        "ocr.too_many_pages", f"the image has more than {limit} pages; OCR reads at most {limit}"
    )


def _image_page(frame: Image.Image, number: int, settings: OcrSettings) -> PageImage:
    width, height = frame.size
    if width * height > settings.max_page_pixels:
        raise OcrRefusal(
            "ocr.too_large",
            f"page {number} of the image is {width:,} x {height:,} pixels; OCR reads at most "
            f"{settings.max_page_pixels:,}",
        )
    xdpi, ydpi = _stated_dpi(frame)
    if xdpi is None or ydpi is None:
        xdpi = ydpi = max(width / UNKNOWN_DPI_PAGE_INCHES[0], height / UNKNOWN_DPI_PAGE_INCHES[1])
    dpi = _fitting_dpi(width / xdpi, height / ydpi, settings, f"page {number} of the image")
    size = (max(1, round(width * dpi / xdpi)), max(1, round(height * dpi / ydpi)))
    gray = frame.convert("L")
    if size != gray.size:
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return PageImage(gray, dpi, number)


def _stated_dpi(frame: Image.Image) -> tuple[float | None, float | None]:
    stated = frame.info.get("dpi")
    try:
        xdpi, ydpi = (float(v) for v in stated) if stated else (0.0, 0.0)
    except (TypeError, ValueError):
        return None, None
    plausible = 50 <= xdpi <= 2400 and 50 <= ydpi <= 2400
    return (xdpi, ydpi) if plausible else (None, None)


def _fitting_dpi(inches_wide: float, inches_high: float, settings: OcrSettings, what: str) -> float:
    """``settings.dpi``, lowered so the page fits the pixel cap; refused below ``MIN_DPI``."""
    area = max(inches_wide, 1e-6) * max(inches_high, 1e-6)
    dpi = min(float(settings.dpi), math.sqrt(settings.max_page_pixels / area))
    if dpi < MIN_DPI:
        raise OcrRefusal(
            "ocr.too_large",
            f"{what} measures {inches_wide:,.0f} x {inches_high:,.0f} inches; at {MIN_DPI} dpi that is more "
            f"than the {settings.max_page_pixels:,} pixels OCR reads",
        )
    return dpi
