"""Bytes -> canonical orders. ``parse`` is the front door; ``parse_stream`` streams large input.

The format is told from the content: X12 is streamed; xlsx and CSV order sheets, PDF
purchase orders and scanned images (TIFF, PNG, JPEG; read by OCR) are read whole (up to
``MAX_SHEET_BYTES``); email messages are read with their attachments.

Every export is imported on first use (see ``gateway._lazy``): a format's reader, and the
library it reads with, load when the first document of that format arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway._lazy import front_door

from ._compiled import refuse_stale_build

if TYPE_CHECKING:
    from ._cell_locate import column_title as column_title
    from ._channel_json import pointer_token as pointer_token
    from ._channels import channel_kind as channel_kind
    from ._channels import parse_channel_order as parse_channel_order
    from ._compiled import StaleBuild as StaleBuild
    from ._detect import CSV as CSV
    from ._detect import EMAIL as EMAIL
    from ._detect import IMAGE as IMAGE
    from ._detect import JSON as JSON
    from ._detect import PDF as PDF
    from ._detect import X12 as X12
    from ._detect import XLSX as XLSX
    from ._detect import detect_format as detect_format
    from ._dispatch import MAX_SHEET_BYTES as MAX_SHEET_BYTES
    from ._dispatch import ParseEvent as ParseEvent
    from ._dispatch import parse as parse
    from ._dispatch import parse_stream as parse_stream
    from ._email import body_text as body_text
    from ._email import is_attachment as is_attachment
    from ._email import nesting_refusal as nesting_refusal
    from ._email import read_email as read_email
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
    from ._pyx12 import MapStore as MapStore
    from ._pyx12 import check_interchange as check_interchange
    from ._pyx12 import preload_x12_maps as preload_x12_maps
    from ._pyx12 import use_map_store as use_map_store
    from ._result import ParseResult as ParseResult
    from ._topic_check import TopicCheck as TopicCheck
    from ._topic_check import cancel_topic_check as cancel_topic_check
    from ._vocabulary import match_column as match_column
    from ._vocabulary import match_sheet_column as match_sheet_column
    from .layout._words import Word as Word
    from .x12 import ParsedInterchange as ParsedInterchange
    from .x12 import read_x12 as read_x12

__getattr__, __dir__ = front_door(__name__, __file__)
refuse_stale_build()  # before any compiled module of the X12 reading path is imported
