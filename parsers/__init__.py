"""Bytes -> canonical orders. ``parse`` is the front door; ``parse_stream`` streams large input."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from partners import PartnerRegistry

from ._detect import X12 as X12
from ._detect import detect_format as detect_format
from ._result import ParseResult as ParseResult
from .x12 import DocumentIssue as DocumentIssue
from .x12 import ParsedInterchange as ParsedInterchange
from .x12 import ParsedOrder as ParsedOrder
from .x12 import X12Event as X12Event
from .x12 import read_x12


def parse_stream(
    stream: BinaryIO, *, partners: PartnerRegistry, document_id: str | None = None
) -> tuple[str | None, Iterator[X12Event]]:
    """The document's format and a stream of its events; ``stream`` must be seekable."""
    head = stream.read(4096)
    stream.seek(0)
    fmt = detect_format(head)
    # Only X12 is read so far; its pre-pass explains precisely why other bytes are not X12.
    return fmt, read_x12(stream, partners=partners, document_id=document_id)


def parse(
    document: bytes | BinaryIO, *, partners: PartnerRegistry, document_id: str | None = None
) -> ParseResult:
    """Parse a whole document into orders, interchange receipts and document issues."""
    stream = io.BytesIO(document) if isinstance(document, bytes) else document
    fmt, events = parse_stream(stream, partners=partners, document_id=document_id)
    result = ParseResult(format=fmt)
    for event in events:
        result.add(event)
    return result
