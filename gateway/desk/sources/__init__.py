"""What the order desk shows of an original document: PDF pages as images with boxes, sheets as grids, EDI as segments, email text, a channel's JSON pretty-printed; each with the places the order's values came from.

No Flask here: ``source_view`` returns plain data for a template, which escapes every text;
``render_document_page`` makes the PNG of one PDF page for an image route, ``document_page_words``
the words OCR read on a scanned page; ``mark_findings`` marks an order's findings on a view and
``answers`` lists the 997/999/TA1 and 855s sent in answer to an X12 document.
"""

from __future__ import annotations

from ._answers import answers as answers
from ._findings import LINE_COLUMNS as LINE_COLUMNS
from ._findings import mark_findings as mark_findings
from ._findings import plain_message as plain_message
from ._ocr_words import OcrWord as OcrWord
from ._ocr_words import PageWords as PageWords
from ._panes import Answer as Answer
from ._panes import Attachment as Attachment
from ._panes import CannotShow as CannotShow
from ._panes import CellRef as CellRef
from ._panes import EmailSummary as EmailSummary
from ._panes import FindingMark as FindingMark
from ._panes import GridCell as GridCell
from ._panes import GridColumn as GridColumn
from ._panes import GridRow as GridRow
from ._panes import Highlight as Highlight
from ._panes import JsonLine as JsonLine
from ._panes import JsonPane as JsonPane
from ._panes import LineRef as LineRef
from ._panes import Pane as Pane
from ._panes import PdfBox as PdfBox
from ._panes import PdfPage as PdfPage
from ._panes import PdfPane as PdfPane
from ._panes import PointerRef as PointerRef
from ._panes import RenderedPage as RenderedPage
from ._panes import SegmentElement as SegmentElement
from ._panes import SegmentLine as SegmentLine
from ._panes import SegmentPane as SegmentPane
from ._panes import SegmentRef as SegmentRef
from ._panes import SheetPane as SheetPane
from ._panes import SourceView as SourceView
from ._panes import Target as Target
from ._panes import TextLine as TextLine
from ._panes import TextPane as TextPane
from ._panes import Unplaced as Unplaced
from ._pdf_view import DEFAULT_SCALE as DEFAULT_SCALE
from ._pdf_view import SCALES as SCALES
from ._pdf_view import SHARP_SCALE as SHARP_SCALE
from ._pdf_view import page_frame as page_frame
from ._pdf_view import render_pdf_page as render_pdf_page
from ._view import MAX_LINES as MAX_LINES
from ._view import build_view as build_view
from ._view import document_page_words as document_page_words
from ._view import render_document_page as render_document_page
from ._view import source_view as source_view
