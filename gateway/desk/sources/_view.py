"""The front door: a stored document plus an order's canonical JSON -> a ``SourceView``.

The view is told by the document's format: PDF, xlsx, CSV and a channel's JSON are read whole (up
to ``MAX_VIEW_BYTES``, the parsers' own limit), X12 is streamed, and an email is split into
its body and the attachments its order's values came from. Whatever goes wrong (a missing
document, an unknown format, a corrupt or encrypted file) becomes a ``CannotShow`` in the
view, never an exception.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from typing import BinaryIO

from sqlalchemy.orm import Session

from gateway.storage import Document
from gateway.storage import document_bytes
from gateway.storage import open_document
from parsers import CSV
from parsers import EMAIL
from parsers import IMAGE
from parsers import JSON
from parsers import PDF
from parsers import X12
from parsers import XLSX
from parsers import detect_format

from ._edi_view import segment_pane
from ._email_view import email_view
from ._email_view import part_payload
from ._highlights import CELL
from ._highlights import LINE
from ._highlights import POINTER
from ._highlights import SEGMENT
from ._highlights import Wanted
from ._highlights import collect
from ._json_view import json_pane
from ._ocr_words import PageWords
from ._ocr_words import page_words
from ._panes import CannotShow
from ._panes import Highlight
from ._panes import Pane
from ._panes import RenderedPage
from ._panes import SourceView
from ._panes import Unplaced
from ._pdf_view import DEFAULT_SCALE
from ._pdf_view import pdf_pane
from ._pdf_view import render_pdf_page
from ._sheet_view import sheet_panes

MAX_VIEW_BYTES = 50 * 1024 * 1024
MAX_LINES = 100  # an order's lines whose sources are highlighted at once: the order desk's page
FORMATS = (PDF, IMAGE, XLSX, CSV, X12, EMAIL, JSON)
_KIND_OF_FORMAT = {PDF: "pdf", IMAGE: "pdf", XLSX: CELL, CSV: CELL, X12: SEGMENT, JSON: POINTER}
_KIND_NAMES = {"pdf": "a box on a PDF page", CELL: "a sheet cell", LINE: "a line of an email body",
               SEGMENT: "an X12 segment", "part": "a MIME part", POINTER: "a JSON pointer"}  # fmt: skip
_FORMAT_NAMES = {PDF: "a PDF", IMAGE: "a scanned image", XLSX: "an xlsx workbook", CSV: "a CSV file",
                 X12: "X12", JSON: "JSON"}  # fmt: skip
NO_PROVENANCE = "None of this order's values records where it came from, so nothing can be highlighted."


class _Keys:
    """Pane keys in the order panes are made: ``src-1``, ``src-2``..."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"src-{self.count}"


def source_view(
    session: Session,
    document_id: int,
    canonical: dict[str, Any] | None = None,
    line_indexes: Sequence[int] | None = None,
) -> SourceView:
    """What the desk shows of stored document ``document_id``, highlighted for ``canonical``.

    ``canonical`` is ``PurchaseOrder.canonical`` (or None to show the document alone), or a part
    of it whose lines are those at ``line_indexes`` in the whole order. The sources of at most
    ``MAX_LINES`` lines are highlighted, so the view of a long order stays bounded.
    """
    canonical, line_indexes, cut = _bounded(canonical, line_indexes)
    view = _source_view(session, document_id, canonical, line_indexes)
    return replace(view, notices=(*view.notices, cut)) if cut else view


def _source_view(
    session: Session,
    document_id: int,
    canonical: dict[str, Any] | None,
    line_indexes: Sequence[int] | None,
) -> SourceView:
    document = session.get(Document, document_id)
    if document is None:
        return SourceView(
            document_id,
            None,
            None,
            problem=CannotShow("document.missing", f"document {document_id} is not stored"),
        )
    fmt = document.format if document.format in FORMATS else None
    if fmt is None:
        fmt = detect_format(open_document(session, document_id).read(8192))
    if fmt == X12:
        return build_view(
            open_document(session, document_id),
            fmt=fmt,
            canonical=canonical,
            line_indexes=line_indexes,
            document_id=document_id,
            filename=document.filename,
        )
    if fmt in FORMATS and document.size > MAX_VIEW_BYTES:
        problem = CannotShow(
            "document.too_large",
            f"the document is {document.size / 1e6:.0f} MB; documents over {MAX_VIEW_BYTES >> 20} MB "
            "are not shown here (download the raw bytes instead)",
        )
        return SourceView(document_id, document.filename, fmt, problem=problem)
    return build_view(
        document_bytes(session, document_id) if fmt in FORMATS else b"",
        fmt=fmt,
        canonical=canonical,
        line_indexes=line_indexes,
        document_id=document_id,
        filename=document.filename,
    )


def build_view(
    source: bytes | BinaryIO,
    *,
    fmt: str | None = None,
    canonical: dict[str, Any] | None = None,
    line_indexes: Sequence[int] | None = None,
    document_id: int | None = None,
    filename: str | None = None,
) -> SourceView:
    """The view of a document's bytes (or a rewindable stream, for X12); ``fmt`` is told if not given."""
    if fmt is None:
        head = source[:8192] if isinstance(source, bytes) else _peek(source)
        fmt = detect_format(head)
    if fmt not in FORMATS:
        problem = CannotShow(
            "format.unknown",
            "the document is not X12, a PDF or scanned image, an xlsx or CSV sheet, an email or a channel's JSON, "
            "so it cannot be shown here; download the raw bytes instead",
        )
        return SourceView(document_id, filename, fmt, problem=problem)
    collected = collect(canonical, line_indexes)
    wanted, foreign = _own(collected.wanted, document_id)
    missed = list(collected.unplaced) + foreign
    notices = [NO_PROVENANCE] if canonical and not collected.any_provenance else []
    keys = _Keys()
    control = str(canonical["control_number"]) if canonical and canonical.get("control_number") else None
    panes: list[Pane] = []
    placed: list[Highlight] = []
    summary = None
    if fmt == EMAIL:
        result = email_view(_bytes(source), wanted, control_number=control, next_key=keys)
        if result.problem is not None:
            return SourceView(
                document_id, filename, fmt, unplaced=tuple(missed + result.missed), problem=result.problem
            )
        panes, placed, summary = result.panes, result.placed, result.summary
        missed += result.missed
        notices += result.notices
    else:
        fitting = [w for w in wanted if w.kind == _KIND_OF_FORMAT[fmt]]
        missed += [_misfit(w, fmt) for w in wanted if w.kind != _KIND_OF_FORMAT[fmt]]
        title = filename or (f"document {document_id}" if document_id is not None else "the document")
        if fmt in (PDF, IMAGE):
            pane, placed, more = pdf_pane(_bytes(source), fitting, key=keys(), title=title, mime_part=None)
            panes = [pane]
        elif fmt == X12:
            stream = io.BytesIO(source) if isinstance(source, bytes) else source
            edi, placed, more = segment_pane(
                stream, fitting, key=keys(), title=title, mime_part=None, control_number=control
            )
            panes = [edi]
        elif fmt == JSON:
            shown, placed, more = json_pane(_bytes(source), fitting, key=keys(), title=title, mime_part=None)
            panes = [shown]
        else:
            sheets, placed, more = sheet_panes(
                _bytes(source), fmt, fitting, key=keys(), title=title, mime_part=None
            )
            panes = list(sheets)
        missed += more
    problems = [p.problem for p in panes if p.problem is not None]
    if panes and len(problems) == len(panes):
        return SourceView(
            document_id, filename, fmt, unplaced=tuple(missed), problem=problems[0], email=summary
        )
    order = {w.key: n for n, w in enumerate(collected.wanted)}
    return SourceView(
        document_id=document_id,
        filename=filename,
        format=fmt,
        panes=tuple(panes),
        highlights=tuple(sorted(placed, key=lambda h: order.get(h.key, 0))),
        unplaced=tuple(missed),
        notices=tuple(notices),
        email=summary,
    )


def render_document_page(
    session: Session,
    document_id: int,
    page: int,
    *,
    mime_part: str | None = None,
    scale: float = DEFAULT_SCALE,
) -> RenderedPage | CannotShow:
    """A page of a stored PDF, or of the PDF in MIME part ``mime_part`` of a stored email, as a PNG.

    ``etag`` is made from the document's SHA-256, so a response can be cached for good.
    """
    found = _page_source(session, document_id, mime_part)
    if isinstance(found, CannotShow):
        return found
    data, sha256 = found
    rendered = render_pdf_page(data, page, scale)
    if isinstance(rendered, CannotShow):
        return rendered
    etag = f"{sha256[:32]}-{mime_part or 0}-{rendered.page}-{rendered.scale}"
    return RenderedPage(rendered.page, rendered.width, rendered.height, rendered.scale, rendered.png, etag)


def document_page_words(
    session: Session, document_id: int, page: int, *, mime_part: str | None = None
) -> PageWords | CannotShow:
    """The words OCR read on a scanned page of a stored PDF or image (or one in an email's MIME part)."""
    found = _page_source(session, document_id, mime_part)
    if isinstance(found, CannotShow):
        return found
    data, sha256 = found
    return page_words(data, page, key=(sha256, mime_part))


def _page_source(session: Session, document_id: int, mime_part: str | None) -> tuple[bytes, str] | CannotShow:
    """The bytes of a stored document, or of its MIME part ``mime_part``, and the document's SHA-256."""
    document = session.get(Document, document_id)
    if document is None:
        return CannotShow("document.missing", f"document {document_id} is not stored")
    if document.size > MAX_VIEW_BYTES:
        return CannotShow("document.too_large", f"the document is over {MAX_VIEW_BYTES >> 20} MB; not shown")
    data = document_bytes(session, document_id)
    if mime_part is not None:
        is_email = (document.format or detect_format(data[:8192])) == EMAIL
        part = part_payload(data, mime_part) if is_email else None
        if part is None:
            return CannotShow("email.no_part", f"document {document_id} has no MIME part {mime_part}")
        data = part
    return data, document.sha256


def _bounded(
    canonical: dict[str, Any] | None, line_indexes: Sequence[int] | None
) -> tuple[dict[str, Any] | None, Sequence[int] | None, str | None]:
    """At most ``MAX_LINES`` lines to highlight, and a note saying so when an order has more."""
    lines = (canonical or {}).get("lines") or []
    if canonical is None or len(lines) <= MAX_LINES:
        return canonical, line_indexes, None
    note = (
        f"The order has {len(lines):,} lines; only where its first {MAX_LINES} lines came from is "
        "highlighted here."
    )
    indexes = list(line_indexes[:MAX_LINES]) if line_indexes is not None else list(range(MAX_LINES))
    return {**canonical, "lines": lines[:MAX_LINES]}, indexes, note


def _own(wanted: Sequence[Wanted], document_id: int | None) -> tuple[list[Wanted], list[Unplaced]]:
    """Values from this document, and the others (a source may name another document)."""
    own: list[Wanted] = []
    foreign: list[Unplaced] = []
    for item in wanted:
        other = item.source.document_id
        if other is not None and document_id is not None and str(other) != str(document_id):
            foreign.append(item.miss(f"it came from another document ({other})"))
        else:
            own.append(item)
    return own, foreign


def _misfit(item: Wanted, fmt: str) -> Unplaced:
    if item.kind is None and item.source.keyed:  # typed on the desk, not read from the document
        return item.miss(f"not read from the document: {item.source.keyed}")
    if item.kind is None:
        return item.miss("its recorded source names no place")
    return item.miss(f"its source is {_KIND_NAMES[item.kind]}, but the document is {_FORMAT_NAMES[fmt]}")


def _bytes(source: bytes | BinaryIO) -> bytes:
    return source if isinstance(source, bytes) else source.read(MAX_VIEW_BYTES + 1)


def _peek(stream: BinaryIO) -> bytes:
    head = stream.read(8192)
    stream.seek(0)
    return head
