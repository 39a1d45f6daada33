"""What a PDF may cost to read: checked before and while pdfminer reads it, so a small hostile file
cannot take minutes or gigabytes.

pdfminer inflates a stream whole in memory and interprets every operator in Python (about
10 s per MB of drawing operators, and 85 µs per glyph once pdfplumber has made it a char).
Two checks keep that bounded:

- ``pdf_inflation_refusal(data)``, before opening: every zlib stream in the file is inflated in C,
  counting the output and keeping none of it. Refused: a stream over ``MAX_STREAM_BYTES``,
  more than ``MAX_INFLATED_BYTES`` in all, or a damaged stream pdfminer would re-inflate byte
  by byte (its fallback is quadratic) for too long. This covers the streams pdfminer decodes
  before any page is drawn: object streams, fonts, cmaps.
- ``PdfBudget.layout(page)``, per page: pdfplumber's own interpretation of the page, but each
  content stream (a form XObject every time it is drawn, so a form drawing a form drawing a
  form... counts each time, against ``MAX_DRAWS``) is decoded here within what is left of
  ``MAX_CONTENT_BYTES`` before it is run, and glyphs are counted against ``MAX_GLYPHS`` as
  they are made. The budget is the document's: more pages spend more of it.
"""

from __future__ import annotations

import io
import re
import zlib
from typing import Any

from pdfminer.ascii85 import ascii85decode
from pdfminer.ascii85 import asciihexdecode
from pdfminer.lzw import LZWDecoder
from pdfminer.pdfdevice import PDFTextDevice
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdfinterp import PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import LITERALS_ASCII85_DECODE
from pdfminer.pdftypes import LITERALS_ASCIIHEX_DECODE
from pdfminer.pdftypes import LITERALS_DCT_DECODE
from pdfminer.pdftypes import LITERALS_FLATE_DECODE
from pdfminer.pdftypes import LITERALS_LZW_DECODE
from pdfminer.pdftypes import LITERALS_RUNLENGTH_DECODE
from pdfminer.pdftypes import PDFStream
from pdfminer.pdftypes import stream_value
from pdfminer.runlength import rldecode
from pdfminer.utils import MATRIX_IDENTITY
from pdfminer.utils import Matrix
from pdfplumber.page import Page
from pdfplumber.page import PDFPageAggregatorWithMarkedContent
from pdfplumber.utils.exceptions import PdfminerException

from gateway.errors import InboundError

MAX_STREAM_BYTES = 64 << 20  # one stream, inflated
MAX_INFLATED_BYTES = 512 << 20  # every stream of the file, inflated
MAX_CORRUPT_WORK = 1 << 30  # input x output bytes of a damaged stream (pdfminer's fallback is quadratic)
MAX_CONTENT_BYTES = 1 << 20  # decoded drawing operators run, repeats included (about 10 s)
MAX_GLYPHS = 100_000  # characters drawn (about 10 s, most of it pdfplumber's)
MAX_DRAWS = 3_000  # content streams run: a page's own, and each form XObject each time it is drawn (1.5 s)
# pdfminer takes the data from the line after the keyword, whatever follows it on its own line
_STREAM = re.compile(rb"(?<!end)stream[^\r\n]*(?:\r\n|\n|\r)")
_CHUNK = 1 << 20


class OverBudget(InboundError):
    """The PDF costs more to read than the budget allows; the message says what."""


def pdf_inflation_refusal(data: bytes) -> str | None:
    """Why the zlib streams in ``data`` are too much to inflate, or None."""
    view = memoryview(data)
    total = 0
    for found in _STREAM.finditer(data):
        inflated, consumed, damaged = _inflated_size(view[found.end() :], MAX_STREAM_BYTES + 1)
        if inflated > MAX_STREAM_BYTES:
            return f"a compressed stream at byte {found.end()} inflates beyond {MAX_STREAM_BYTES >> 20} MB"
        total += inflated
        if total > MAX_INFLATED_BYTES:
            return f"its compressed streams inflate beyond {MAX_INFLATED_BYTES >> 20} MB in all"
        if damaged and consumed * inflated > MAX_CORRUPT_WORK:
            return f"a damaged compressed stream at byte {found.end()} ({inflated >> 10} KB) is too large to repair"
    return None


def _inflated_size(data: memoryview, limit: int) -> tuple[int, int, bool]:
    """(bytes out, bytes in, damaged) of the zlib stream that starts ``data``, counted up to ``limit``."""
    inflater = zlib.decompressobj()
    size = offset = 0
    try:
        while size < limit and not inflater.eof and offset < len(data):
            pending: bytes | memoryview = data[offset : offset + _CHUNK]
            offset += len(pending)
            while pending and size < limit and not inflater.eof:  # a chunk out at a time: none kept
                size += len(inflater.decompress(pending, min(_CHUNK, limit - size)))
                pending = inflater.unconsumed_tail
    except zlib.error:  # not zlib at all (size 0), or damaged part-way
        return size, offset, size > 0
    return size, offset, size > 0 and size < limit and not inflater.eof  # truncated


class PdfBudget:
    """What reading one document may still cost: content bytes run, glyphs drawn."""

    def __init__(self) -> None:
        self.content_left = MAX_CONTENT_BYTES
        self.glyphs_left = MAX_GLYPHS
        self.draws_left = MAX_DRAWS

    def layout(self, page: Page) -> None:
        """Interpret ``page`` as pdfplumber does, within the budget; pdfplumber then uses the result.

        Raises ``OverBudget`` as soon as the budget is spent, and ``PdfminerException`` where
        pdfplumber would.
        """
        pdf = page.pdf
        device = _CountingAggregator(pdf.rsrcmgr, pageno=page.page_number, laparams=pdf.laparams)
        device.budget = self
        try:
            _BudgetedInterpreter(pdf.rsrcmgr, device).process_page(page.page_obj)
        except OverBudget:
            raise
        except Exception as exc:  # as pdfplumber's own Page.layout wraps it
            raise PdfminerException(exc) from exc
        page._layout = device.get_result()  # pdfplumber's cache of exactly this

    def spend_content(self, stream: PDFStream) -> None:
        self.draws_left -= 1
        if self.draws_left < 0:
            raise OverBudget(f"the PDF draws more than {MAX_DRAWS:,} pages and forms; refused")
        self.content_left -= len(_decode_within(stream, self.content_left))

    def spend_glyph(self) -> None:
        self.glyphs_left -= 1
        if self.glyphs_left < 0:
            raise OverBudget(f"the PDF draws more than {MAX_GLYPHS:,} characters; refused")


class _CountingAggregator(PDFPageAggregatorWithMarkedContent):
    budget: PdfBudget

    def render_char(self, *args: Any, **kwargs: Any) -> float:
        self.budget.spend_glyph()
        return super().render_char(*args, **kwargs)


class _BudgetedInterpreter(PDFPageInterpreter):
    """pdfminer's interpreter; each content stream is paid for before it runs (forms each time)."""

    device: _CountingAggregator | _CountingDevice

    def render_contents(
        self, resources: dict[object, object], streams: Any, ctm: Matrix = MATRIX_IDENTITY
    ) -> None:
        for stream in streams:
            self.device.budget.spend_content(stream_value(stream))
        super().render_contents(resources, streams, ctm=ctm)


def _decode_within(stream: PDFStream, limit: int) -> bytes:
    """The stream's decoded bytes, never decoding more than ``limit`` (``OverBudget`` beyond).

    What it decodes it hands to the stream, so pdfminer does not decode it again; a filter it
    does not know, or a predictor, is left to pdfminer once the size is known to fit.
    """
    too_much = OverBudget(f"the PDF's drawing instructions exceed {MAX_CONTENT_BYTES >> 20} MB; refused")
    if stream.data is not None:
        if len(stream.data) > limit:
            raise too_much
        return stream.data
    data = stream.rawdata or b""
    if stream.decipher is not None and stream.objid is not None and stream.genno is not None:
        data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
    complete = True
    for name, params in stream.get_filters():
        if name in LITERALS_FLATE_DECODE:
            data = _inflate(data, limit)
        elif name in LITERALS_LZW_DECODE:
            data = _unlzw(data, limit)
        elif name in LITERALS_ASCII85_DECODE:
            data = ascii85decode(data)
        elif name in LITERALS_ASCIIHEX_DECODE:
            data = asciihexdecode(data)
        elif name in LITERALS_RUNLENGTH_DECODE and len(data) * 128 <= limit:
            data = rldecode(data)  # at most 128 bytes out per 2 in
        elif name in LITERALS_RUNLENGTH_DECODE:
            raise too_much
        elif name not in LITERALS_DCT_DECODE:
            complete = False  # pdfminer knows it, or says it does not
        if isinstance(params, dict) and "Predictor" in params:
            complete = False
        if len(data) > limit:
            raise too_much
    if len(data) > limit:  # no filter at all
        raise too_much
    if complete:
        stream.data, stream.rawdata = data, None
    return data


def _inflate(data: bytes, limit: int) -> bytes:
    """zlib-inflate at most ``limit`` + 1 bytes; a damaged end keeps what came before it, as pdfminer does."""
    inflater = zlib.decompressobj()
    try:
        return inflater.decompress(data, limit + 1)
    except zlib.error:
        out = io.BytesIO()
        inflater = zlib.decompressobj()
        for start in range(0, len(data), 1024):  # as far as the data is good
            try:
                out.write(inflater.decompress(data[start : start + 1024], limit + 1 - out.tell()))
            except zlib.error:
                break
            if out.tell() > limit:
                break
        return out.getvalue()


def _unlzw(data: bytes, limit: int) -> bytes:
    out = io.BytesIO()
    for piece in LZWDecoder(io.BytesIO(data)).run():
        out.write(piece)
        if out.tell() > limit:
            break
    return out.getvalue()


def pdf_drawing_refusal(data: bytes, page: int) -> str | None:
    """Why page ``page`` (from 1) of the PDF ``data`` is beyond the reader's budgets, or None: for
    another renderer of the same untrusted bytes (the desk draws pages with PDFium).

    The streams are checked as ``pdf_inflation_refusal`` does, and the page is run through pdfminer's
    interpreter with a device that only counts, against a fresh ``PdfBudget``. A PDF pdfminer
    cannot read at all is not refused here: the renderer says what is wrong with it.
    """
    refusal = pdf_inflation_refusal(data)
    if refusal is not None:
        return refusal
    budget = PdfBudget()
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        for number, found in enumerate(PDFPage.create_pages(document), start=1):
            if number == page:
                manager = PDFResourceManager()
                device = _CountingDevice(manager)
                device.budget = budget
                _BudgetedInterpreter(manager, device).process_page(found)
                break
    except OverBudget as exc:
        return str(exc)
    except Exception:  # unreadable to pdfminer: the renderer's own error says why
        return None
    return None


class _CountingDevice(PDFTextDevice):
    """Draws nothing; counts glyphs against the budget."""

    budget: PdfBudget

    def render_char(self, *args: Any, **kwargs: Any) -> float:
        self.budget.spend_glyph()
        return 0.0
