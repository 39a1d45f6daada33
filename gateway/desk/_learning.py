"""Learning a sender's layout from the desk's corrections: where in its document the corrected value sits.

After a clerk corrects a value on an order read from a PDF or a sheet, the value is looked for
in the document: on a PDF's pages, a header field's label (nearest left on its row, else right
above it) or a line value's column title; in a sheet, a line value's column title. That place
becomes a layout hint for the sender (``gateway.storage.learn_hint``, audited), and the
sender's next documents are read with it. A value that cannot be found, or a column the generic
vocabulary already reads as that field, teaches nothing; the correction stands either way.
Approving an order read with learned hints, their values as read, confirms them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.storage import DeskUser
from gateway.storage import PurchaseOrder
from parsers import CSV
from parsers import PDF
from parsers import XLSX
from parsers import column_title
from parsers import match_column
from parsers import match_sheet_column
from parsers import pdf_rows
from parsers import sheet_grids
from parsers.layout import Matches
from parsers.layout import Place
from parsers.layout import column_place
from parsers.layout import date_value
from parsers.layout import label_place
from parsers.layout import number_value
from parsers.layout import text_value
from partners import COLUMN_FIELDS
from partners import HintKind
from partners import LayoutHint

from . import _edits
from ._locking import SUBJECT
from .sources._highlights import split_cell

log = logging.getLogger(__name__)
MAX_LEARN_BYTES = 50 * 1024 * 1024  # the readers' own limit
_KINDS: dict[Channel, HintKind] = {Channel.PDF: "pdf", Channel.EXCEL: "sheet"}
_FORMATS: dict[str, tuple[str, ...]] = {"pdf": (PDF,), "sheet": (XLSX, CSV)}
_NAMES = {"po_number": "the PO number", "po_date": "the PO date", "vendor_sku": "the part number",
          "quantity": "the quantity"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Learned:
    """A hint learned (or supported once more) from one correction."""

    field: str
    label: str
    geometry: str
    support: int

    @property
    def message(self) -> str:
        where = {"right": "follows", "below": "sits under", "column": "is in the column"}[self.geometry]
        times = "once" if self.support == 1 else f"{self.support} times"
        return f"Learned for this sender: {_NAMES.get(self.field, self.field)} {where} “{self.label}” (seen {times})."


def learn_from_correction(
    session: Session,
    stored: PurchaseOrder,
    order: Order,
    *,
    field: str,
    value: str | Decimal | date,
    line_no: str | None,
    actor: DeskUser,
    when: datetime,
) -> Learned | None:
    """Remember where ``field``'s corrected ``value`` is in the order's PDF or sheet; None when not found there."""
    kind = _KINDS.get(order.channel)
    if stored.partner is None or kind is None or (kind == "sheet" and line_no is None):
        return None  # the sheet reader reads header fields by their generic labels only
    document = session.get(storage.Document, stored.document_id)
    if document is None or document.format not in _FORMATS[kind] or document.size > MAX_LEARN_BYTES:
        return None  # a PDF or sheet inside an email: its values keep no MIME part to find it by
    try:
        data = storage.document_bytes(session, document.id)
        place = (
            _pdf_place(data, order, value, line_no)
            if kind == "pdf"
            else _sheet_place(data, document.format == CSV, order, value, line_no or "")
        )
    except Exception:  # a document the reader read once; whatever fails now, the correction stands
        log.exception("cannot read document %s to learn from a correction", document.id)
        return None
    if place is None or (place.geometry == "column" and _generic_title(kind, place.label) == field):
        return None  # the generic reading already takes that column for that field
    hint = LayoutHint(kind, field, place.label, place.geometry)
    record, _ = storage.learn_hint(
        session, partner=stored.partner, hint=hint, document_id=document.id, actor=actor.username, at=when
    )
    return Learned(field, record.label, record.geometry, record.support)


def _pdf_place(data: bytes, order: Order, value: str | Decimal | date, line_no: str | None) -> Place | None:
    rows = pdf_rows(data)
    if line_no is None:
        return label_place(rows, _matcher(value))
    return column_place(rows, _matcher(value), _line_near(order, line_no))


def _sheet_place(
    data: bytes, is_csv: bool, order: Order, value: str | Decimal | date, line_no: str
) -> Place | None:
    """The column title over the value on the line's row, in the sheet the line was read from."""
    cell = next((w for w in _edits.find_line(order, line_no).provenance.values() if w.cell), None)
    at = split_cell(cell.cell or "") if cell is not None else None
    if cell is None or at is None:
        return None
    grid = next((g for g in sheet_grids(data, is_csv=is_csv) if g.name == cell.sheet), None)
    title = column_title(grid, at[0], value) if grid is not None else None
    return Place(title, "column") if title else None


def _generic_title(kind: str, title: str) -> str | None:
    """The field the generic reader of ``kind`` already takes a column of this title for."""
    found = (match_sheet_column if kind == "sheet" else match_column)(title, {})
    return found[0] if found else None


def _matcher(value: str | Decimal | date) -> Matches:
    if isinstance(value, date):
        return date_value(value)
    if isinstance(value, Decimal):
        return number_value(value)
    return text_value(value)


def _line_near(order: Order, line_no: str) -> tuple[int, float] | None:
    """Where the line was read: the page and top of its first value with a box."""
    line = _edits.find_line(order, line_no)
    for where in line.provenance.values():
        if where.page is not None and where.bbox is not None:
            return where.page, where.bbox[1]
    return None


def confirm_learned(
    session: Session, stored: PurchaseOrder, order: Order, *, actor: DeskUser, when: datetime
) -> int:
    """An order read with learned hints is approved: the hints of the values the desk left as read gain support.

    Returns how many hints were confirmed.
    """
    kind = _KINDS.get(order.channel)
    if stored.partner is None or not stored.layout_learned_from or kind is None:
        return 0
    audit = storage.AuditEntry
    changes = session.scalars(
        select(audit.after).where(audit.subject_type == SUBJECT, audit.subject_id == str(stored.id))
    )
    edited = {key.rsplit(".", 1)[-1] for after in changes for key in (after or {})}
    present = {name for name in ("po_number", "po_date") if getattr(order, name)}
    present |= {name for name in COLUMN_FIELDS for line in order.lines if getattr(line, name, None)}
    confirmed = storage.confirm_hints(
        session,
        partner=stored.partner,
        kind=kind,
        fields=sorted(present - edited),
        read_at=stored.created_at,
        document_id=stored.document_id,
        actor=actor.username,
        at=when,
    )
    return len(confirmed)
