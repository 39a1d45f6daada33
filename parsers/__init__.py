"""Bytes -> canonical orders. ``parse`` is the front door; ``parse_stream`` streams large input.

The format is told from the content: X12 is streamed; xlsx and CSV order sheets, PDF
purchase orders and scanned images (TIFF, PNG, JPEG; read by OCR) are read whole (up to
``MAX_SHEET_BYTES``); email messages are read with their attachments.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import BinaryIO

from gateway.receipts import Issue
from gateway.receipts import Level
from partners import LayoutHint
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import learned_layout

from ._cell_locate import column_title as column_title
from ._detect import CSV as CSV
from ._detect import EMAIL as EMAIL
from ._detect import IMAGE as IMAGE
from ._detect import PDF as PDF
from ._detect import X12 as X12
from ._detect import XLSX as XLSX
from ._detect import detect_format as detect_format
from ._email import body_text as body_text
from ._email import is_attachment as is_attachment
from ._email import nesting_refusal as nesting_refusal
from ._email import read_email
from ._events import DocumentIssue as DocumentIssue
from ._events import ParsedOrder as ParsedOrder
from ._events import ReceivedAck as ReceivedAck
from ._excel import WORKBOOK_ERRORS as WORKBOOK_ERRORS
from ._excel import parse_csv_order as parse_csv_order
from ._excel import parse_excel_order as parse_excel_order
from ._excel import sheet_grids as sheet_grids
from ._excel import workbook_refusal as workbook_refusal
from ._image import image_as_pdf as image_as_pdf
from ._image import parse_image_order as parse_image_order
from ._ocr import PDFIUM_LOCK as PDFIUM_LOCK
from ._ocr import OcrRefusal as OcrRefusal
from ._ocr import OcrSettings as OcrSettings
from ._pdf import ocr_page_words as ocr_page_words
from ._pdf import parse_pdf_order as parse_pdf_order
from ._pdf import pdf_rows as pdf_rows
from ._pdf import pdf_template as pdf_template
from ._pdf_budget import pdf_drawing_refusal as pdf_drawing_refusal
from ._pdf_budget import pdf_inflation_refusal as pdf_inflation_refusal
from ._pyx12 import check_interchange as check_interchange
from ._pyx12 import preload_x12_maps as preload_x12_maps
from ._result import ParseResult as ParseResult
from ._vocabulary import match_column as match_column
from ._vocabulary import match_sheet_column as match_sheet_column
from .layout._words import Word as Word
from .x12 import ParsedInterchange as ParsedInterchange
from .x12 import read_x12

ParseEvent = ParsedOrder | ReceivedAck | ParsedInterchange | DocumentIssue
MAX_SHEET_BYTES = 50 * 1024 * 1024


def parse_stream(
    stream: BinaryIO,
    *,
    partners: PartnerRegistry,
    document_id: str | None = None,
    partner: PartnerProfile | None = None,
    learned: Mapping[str, Sequence[LayoutHint]] | None = None,
) -> tuple[str | None, Iterator[ParseEvent]]:
    """The document's format and a stream of its events; ``stream`` must be seekable.

    X12 names its own partner in the ISA; other formats are read for ``partner``. ``learned``
    holds the layout hints learned on the desk, by partner name: a PDF or sheet is read with its
    sender's, under what its profile says.
    """
    head = stream.read(8192)
    stream.seek(0)
    fmt = detect_format(head)
    if fmt in (XLSX, CSV, PDF, IMAGE):
        hints = learned.get(partner.name, ()) if learned and partner else ()
        return fmt, _sheet_events(fmt, stream, partner, document_id, hints)
    if fmt == EMAIL:
        return fmt, read_email(stream.read(), partners=partners, document_id=document_id, learned=learned)
    # X12, or bytes of no known format: the X12 pre-pass says precisely why they are not X12.
    return fmt, read_x12(stream, partners=partners, document_id=document_id)


def _sheet_events(
    fmt: str,
    stream: BinaryIO,
    partner: PartnerProfile | None,
    document_id: str | None,
    learned: Sequence[LayoutHint],
) -> Iterator[ParseEvent]:
    data = stream.read(MAX_SHEET_BYTES + 1)
    if len(data) > MAX_SHEET_BYTES:
        message = f"the document is larger than {MAX_SHEET_BYTES // 1024 // 1024} MB; refused"
        yield DocumentIssue(Issue(code=f"{fmt}.too_large", message=message, level=Level.DOCUMENT))
        return
    name = partner.name if partner else None
    if fmt == PDF:
        template = pdf_template(partner, learned)
        found = parse_pdf_order(data, partner=name, document_id=document_id, template=template)
    elif fmt == IMAGE:
        template = pdf_template(partner, learned)
        found = parse_image_order(data, partner=name, document_id=document_id, template=template)
    else:
        reader = parse_csv_order if fmt == CSV else parse_excel_order
        pinned = learned_layout(partner, learned, "sheet").columns or None
        found = reader(data, partner=name, document_id=document_id, pinned=pinned)
    if not found.orders:
        for issue in found.issues:
            yield DocumentIssue(issue)
    for ordinal, order in enumerate(found.orders):
        yield ParsedOrder(order=order, issues=found.issues_of(ordinal), ordinal=ordinal)


def parse(
    document: bytes | BinaryIO,
    *,
    partners: PartnerRegistry,
    document_id: str | None = None,
    partner: PartnerProfile | None = None,
    learned: Mapping[str, Sequence[LayoutHint]] | None = None,
) -> ParseResult:
    """Parse a whole document into orders, interchange receipts and document issues (see ``parse_stream``)."""
    stream = io.BytesIO(document) if isinstance(document, bytes) else document
    fmt, events = parse_stream(
        stream, partners=partners, document_id=document_id, partner=partner, learned=learned
    )
    result = ParseResult(format=fmt)
    for event in events:
        result.add(event)
    return result
