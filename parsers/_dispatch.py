"""The dispatch behind ``parsers.parse``: a document's format, told from its bytes, picks its reader.

Readers are reached through the package's lazy front door (``parsers.parse_pdf_order``...), so
a reader and its library are imported when the first document of its format arrives.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import BinaryIO

import parsers
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from partners import LayoutHint
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import learned_layout

from ._detect import CSV
from ._detect import EMAIL
from ._detect import IMAGE
from ._detect import JSON
from ._detect import PDF
from ._detect import XLSX
from ._detect import detect_format
from ._events import DocumentIssue
from ._events import ParsedOrder
from ._events import ReceivedAck
from ._result import ParseResult
from .x12 import ParsedInterchange
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
    topic: str | None = None,
) -> tuple[str | None, Iterator[ParseEvent]]:
    """The document's format and a stream of its events; ``stream`` must be seekable.

    X12 names its own partner in the ISA; other formats are read for ``partner``. ``learned``
    holds the layout hints learned on the desk, by partner name: a PDF or sheet is read with its
    sender's, under what its profile says. ``topic`` is a shop webhook's topic (JSON orders only).
    """
    head = stream.read(8192)
    stream.seek(0)
    fmt = detect_format(head)
    if fmt in (XLSX, CSV, PDF, IMAGE, JSON):
        hints = learned.get(partner.name, ()) if learned and partner else ()
        return fmt, _sheet_events(fmt, stream, partner, document_id, hints, topic)
    if fmt == EMAIL:
        return fmt, parsers.read_email(
            stream.read(), partners=partners, document_id=document_id, learned=learned
        )
    # X12, or bytes of no known format: the X12 pre-pass says precisely why they are not X12.
    return fmt, read_x12(stream, partners=partners, document_id=document_id)


def _sheet_events(
    fmt: str,
    stream: BinaryIO,
    partner: PartnerProfile | None,
    document_id: str | None,
    learned: Sequence[LayoutHint],
    topic: str | None = None,
) -> Iterator[ParseEvent]:
    data = stream.read(MAX_SHEET_BYTES + 1)
    if len(data) > MAX_SHEET_BYTES:
        message = f"the document is larger than {MAX_SHEET_BYTES // 1024 // 1024} MB; refused"
        yield DocumentIssue(Issue(code=f"{fmt}.too_large", message=message, level=Level.DOCUMENT))
        return
    name = partner.name if partner else None
    if fmt == PDF:
        template = parsers.pdf_template(partner, learned)
        found = parsers.parse_pdf_order(data, partner=name, document_id=document_id, template=template)
    elif fmt == JSON:
        found = parsers.parse_channel_order(data, profile=partner, document_id=document_id, topic=topic)
    elif fmt == IMAGE:
        template = parsers.pdf_template(partner, learned)
        found = parsers.parse_image_order(data, partner=name, document_id=document_id, template=template)
    else:
        reader = parsers.parse_csv_order if fmt == CSV else parsers.parse_excel_order
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
    topic: str | None = None,
) -> ParseResult:
    """Parse a whole document into orders, interchange receipts and document issues (see ``parse_stream``)."""
    stream = io.BytesIO(document) if isinstance(document, bytes) else document
    fmt, events = parse_stream(
        stream, partners=partners, document_id=document_id, partner=partner, learned=learned, topic=topic
    )
    result = ParseResult(format=fmt)
    for event in events:
        result.add(event)
    return result
