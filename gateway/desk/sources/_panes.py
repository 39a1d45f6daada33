"""The plain data a template needs to show an original document: panes, places and highlights.

Every type here is a frozen dataclass of strings and numbers. Nothing is HTML: the template
escapes every text. Each pane, page, row, cell, segment and line that can be scrolled to has
an ``anchor``, an ASCII id safe to use as an HTML ``id``; a highlight's ``anchor`` names the
place it points at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class CannotShow:
    """Why a document, a part of it, or a page cannot be shown: a stable code and a plain sentence."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class PdfBox:
    """A value's box on a rendered PDF page.

    ``x0, y0, x1, y1`` are pixels in the page image that ``render_pdf_page`` makes at the page's
    ``scale`` (origin top left); ``left, top, width, height`` are percentages of that image, for
    overlays that do not depend on how large the image is drawn.
    """

    kind: ClassVar[str] = "pdf"
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class CellRef:
    """A value's cell in a sheet; ``row`` and ``column`` count from 1, ``ref`` is like ``B6``."""

    kind: ClassVar[str] = "cell"
    sheet: str
    row: int
    column: int
    ref: str


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """A value's X12 segment (``segment_index`` counts from 1 over the document) and element."""

    kind: ClassVar[str] = "segment"
    segment_index: int
    segment_id: str
    element: str | None
    position: int | None


@dataclass(frozen=True, slots=True)
class LineRef:
    """A value's line in a text (an email body); ``line`` counts from 1."""

    kind: ClassVar[str] = "line"
    line: int


@dataclass(frozen=True, slots=True)
class PointerRef:
    """A value's place in a JSON document: its RFC 6901 ``pointer`` and the pretty-printed ``line`` (from 1)."""

    kind: ClassVar[str] = "pointer"
    pointer: str
    line: int


Target = PdfBox | CellRef | SegmentRef | LineRef | PointerRef


@dataclass(frozen=True, slots=True)
class Highlight:
    """One canonical value and the place in the original it came from.

    ``field_path`` is ``header.<name>`` for order-level values (``header.po_number``,
    ``header.parties[0].name``) and ``lines[<i>].<name>`` for line values, ``i`` counting
    from 0 over the canonical lines (``lines[2].quantity``). ``field`` is the last name
    (``quantity``) and ``line_no`` the line's own number, to match findings by.
    """

    key: str
    field_path: str
    label: str
    field: str
    value: str | None
    line_index: int | None
    line_no: str | None
    confidence: float | None
    pane: str
    anchor: str
    target: Target
    keyed_by: str | None = None  # a person keyed the value in on the desk, at ``keyed_at`` (ISO 8601)
    keyed_at: str | None = None


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A canonical value this view cannot point at, and why (no provenance, outside the window...)."""

    field_path: str
    label: str
    reason: str


@dataclass(frozen=True, slots=True)
class PdfPage:
    """One page of a PDF pane: its image size in pixels at ``scale``, and the boxes on it."""

    number: int
    width: int
    height: int
    scale: float
    anchor: str
    highlights: tuple[Highlight, ...] = ()
    scanned: bool = False  # a picture with no text layer: its words were read by OCR


@dataclass(frozen=True, slots=True)
class PdfPane:
    """A PDF shown as page images; fetch each with ``render_pdf_page`` or ``render_document_page``."""

    kind: ClassVar[str] = "pdf"
    key: str
    title: str
    mime_part: str | None
    page_count: int = 0
    pages: tuple[PdfPage, ...] = ()
    problem: CannotShow | None = None
    sharp_scale: float = 3.0  # the scale a page is drawn at again for zooming in


@dataclass(frozen=True, slots=True)
class GridColumn:
    """A shown column; ``gap_before`` columns are left out between it and the one before."""

    number: int
    letter: str
    gap_before: int = 0


@dataclass(frozen=True, slots=True)
class GridCell:
    column: int
    ref: str
    text: str
    anchor: str
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True, slots=True)
class GridRow:
    """A shown row with one cell per shown column; ``gap_before`` rows are left out above it."""

    number: int
    anchor: str
    cells: tuple[GridCell, ...]
    gap_before: int = 0


@dataclass(frozen=True, slots=True)
class SheetPane:
    """A window of one sheet (or CSV file) as a grid; ``sheets`` names every sheet in the workbook."""

    kind: ClassVar[str] = "sheet"
    key: str
    title: str
    mime_part: str | None
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    columns: tuple[GridColumn, ...] = ()
    rows: tuple[GridRow, ...] = ()
    more_rows: bool = False
    more_columns: bool = False
    problem: CannotShow | None = None


@dataclass(frozen=True, slots=True)
class SegmentElement:
    """An element of a segment; position 0 is the segment id."""

    position: int
    text: str
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True, slots=True)
class SegmentLine:
    """One X12 segment; show ``elements`` joined by ``separator``, then ``terminator``."""

    index: int
    segment_id: str
    separator: str
    terminator: str
    anchor: str
    elements: tuple[SegmentElement, ...]
    gap_before: int = 0
    highlights: tuple[Highlight, ...] = ()

    @property
    def text(self) -> str:
        return self.separator.join(e.text for e in self.elements)


@dataclass(frozen=True, slots=True)
class SegmentPane:
    """X12 one segment per line: the order's transaction set, its envelope, and gaps between."""

    kind: ClassVar[str] = "segments"
    key: str
    title: str
    mime_part: str | None
    segments: tuple[SegmentLine, ...] = ()
    more_after: bool = False
    problem: CannotShow | None = None


@dataclass(frozen=True, slots=True)
class TextLine:
    number: int
    text: str
    anchor: str
    gap_before: int = 0
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True, slots=True)
class TextPane:
    """Lines of a text, numbered as the parser numbered them (an email body after tags are removed)."""

    kind: ClassVar[str] = "text"
    key: str
    title: str
    mime_part: str | None
    lines: tuple[TextLine, ...] = ()
    more_lines: bool = False
    problem: CannotShow | None = None


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One pretty-printed line; ``pointer`` is the value it opens (None on a closing bracket)."""

    number: int
    text: str
    anchor: str
    pointer: str | None
    gap_before: int = 0
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True, slots=True)
class JsonPane:
    """A JSON order pretty-printed from its raw bytes, one member per line; ``note`` says when it is not JSON."""

    kind: ClassVar[str] = "json"
    key: str
    title: str
    mime_part: str | None
    lines: tuple[JsonLine, ...] = ()
    more_lines: bool = False
    note: str | None = None
    problem: CannotShow | None = None


Pane = PdfPane | SheetPane | SegmentPane | TextPane | JsonPane


@dataclass(frozen=True, slots=True)
class Attachment:
    """A MIME part of an email other than its body; ``format`` as told from its bytes, or None."""

    mime_part: str
    filename: str | None
    content_type: str
    size: int
    format: str | None


@dataclass(frozen=True, slots=True)
class EmailSummary:
    """An email's main headers (name, value) and its attachments."""

    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class FindingMark:
    """A finding as the document view marks it: in plain words, with where it points.

    ``message`` is for the clerk; ``technical`` is the reader's own words (a validator's loop
    path), kept for a tooltip, or None when the message says it all. ``anchor`` is the id of the
    place in the view it concerns (a segment, a box, a cell), or None when none is shown.
    """

    finding_id: int | None
    order_id: int | None
    code: str
    action: str | None
    message: str
    technical: str | None
    place: str | None
    anchor: str | None
    element: int | None = None

    @property
    def holds(self) -> bool:
        """Whether the finding holds or rejects the order (a warning does not)."""
        return self.action in ("hold", "reject")


@dataclass(frozen=True, slots=True)
class Answer:
    """An acknowledgement or 855 we sent in answer to the document, and what it says of the order."""

    outbound_id: int
    kind: str
    status: str
    code: str | None  # AK5/AK9 (997), IK5 (999), TA104, BAK02 (855)
    meaning: str
    segments: tuple[str, ...]  # the segments that concern the order's transaction set (or the start)


@dataclass(frozen=True, slots=True)
class SourceView:
    """Everything the order desk shows of one original document for one order.

    ``problem`` is set when nothing can be shown (then ``panes`` is empty); a pane can carry its
    own ``problem`` (one unreadable attachment). ``notices`` are plain sentences for the clerk.
    """

    document_id: int | None
    filename: str | None
    format: str | None
    panes: tuple[Pane, ...] = ()
    highlights: tuple[Highlight, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()
    notices: tuple[str, ...] = ()
    problem: CannotShow | None = None
    email: EmailSummary | None = None
    marks: dict[str, tuple[FindingMark, ...]] = field(default_factory=dict)  # by anchor or highlight key
    findings: dict[int, FindingMark] = field(default_factory=dict)  # by finding id
    answers: tuple[Answer, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None

    def marks_at(self, key: str) -> tuple[FindingMark, ...]:
        """The findings marked on a segment or highlight (by its anchor or key), or on ``<anchor>-e<n>``."""
        return self.marks.get(key, ())

    def marks_on(self, highlights: Sequence[Highlight]) -> tuple[FindingMark, ...]:
        """The findings marked on any of ``highlights`` (the values one element or cell shows)."""
        return tuple(m for h in highlights for m in self.marks.get(h.key, ()))

    def mark_for(self, finding_id: int | None) -> FindingMark | None:
        return self.findings.get(finding_id) if finding_id is not None else None

    def highlights_for(self, field_path: str) -> tuple[Highlight, ...]:
        """The highlights of one canonical field (``header.po_number``, ``lines[0].quantity``)."""
        return tuple(h for h in self.highlights if h.field_path == field_path)


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A PDF page as PNG bytes; the same bytes, page and scale always give the same ``png``."""

    page: int
    width: int
    height: int
    scale: float
    png: bytes
    etag: str
