"""The documents screens' reads: every inbound document (also those that made no order), one document
with its orders, what was sent for it and its source view, and one outbound document.

The web's ``/documents`` and ``/outbound`` views parse the request and render; what they show is read
here. Functions take a session and never commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import replace

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage

from ._like import contains
from .sources import SourceView
from .sources import answers
from .sources import mark_findings
from .sources import source_view

PER_PAGE = 50
LISTED = 200  # orders and errors a document's page lists at most


@dataclass(frozen=True, slots=True)
class DocumentRow:
    document: storage.Document
    orders: int


@dataclass(frozen=True, slots=True)
class DocumentList:
    rows: list[DocumentRow]
    total: int
    page: int
    pages: int
    status: str
    search: str


@dataclass(frozen=True, slots=True)
class DocumentDetail:
    """What a document's page lists: its first orders (``LISTED``), how many it made, and what was sent for it."""

    orders: list[storage.PurchaseOrder]
    order_count: int
    outbound: list[storage.OutboundRecord]
    listed: int = LISTED


def document_list(session: Session, *, status: str, search: str, page: int) -> DocumentList:
    """Documents newest first, by status and by a search over id, file name and partner."""
    document = storage.Document
    where: list[ColumnElement[bool]] = []
    if status:
        where.append(document.status == status)
    if search:
        alternatives: list[ColumnElement[bool]] = [
            contains(document.filename, search),
            contains(document.partner, search),
        ]
        if search.isdigit():
            alternatives.append(document.id == int(search))
        where.append(or_(*alternatives))
    total = session.scalar(select(func.count()).select_from(document).where(*where)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    orders = (
        select(storage.PurchaseOrder.document_id, func.count().label("n"))
        .group_by(storage.PurchaseOrder.document_id)
        .subquery()
    )
    rows = session.execute(
        select(document, func.coalesce(orders.c.n, 0))
        .outerjoin(orders, orders.c.document_id == document.id)
        .where(*where)
        .order_by(document.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    return DocumentList([DocumentRow(d, n) for d, n in rows], total, page, pages, status, search)


def find_document(session: Session, document_id: int) -> storage.Document | None:
    return session.get(storage.Document, document_id)


def find_outbound(session: Session, outbound_id: int) -> storage.OutboundRecord | None:
    return session.get(storage.OutboundRecord, outbound_id)


def document_detail(session: Session, document_id: int) -> DocumentDetail:
    """The document's orders (first ``LISTED``, in the document's order), their count, and what was sent."""
    purchase_order = storage.PurchaseOrder
    outbound = storage.OutboundRecord
    orders = list(
        session.scalars(
            select(purchase_order)
            .where(purchase_order.document_id == document_id)
            .order_by(purchase_order.ordinal)
            .limit(LISTED)
        )
    )
    order_count = session.scalar(
        select(func.count()).select_from(purchase_order).where(purchase_order.document_id == document_id)
    )
    sent = list(
        session.scalars(
            select(outbound).where(outbound.document_id == document_id).order_by(outbound.id).limit(LISTED)
        )
    )
    return DocumentDetail(orders, order_count or 0, sent)


def document_source(
    session: Session, found: storage.Document, orders: list[storage.PurchaseOrder]
) -> SourceView:
    """The document's view, highlighted for its one order, its findings marked and, for X12, its answers."""
    finding = storage.Finding
    view = source_view(session, found.id, orders[0].canonical if len(orders) == 1 else None)
    rows = list(
        session.scalars(
            select(finding).where(finding.document_id == found.id).order_by(finding.id).limit(LISTED)
        )
    )
    view = mark_findings(view, rows)
    if view.format != "x12":
        return view
    control = orders[0].canonical.get("control_number") if len(orders) == 1 and orders[0].canonical else None
    one = orders[0].id if len(orders) == 1 else None
    return replace(
        view,
        answers=answers(session, found.id, order_id=one, control_number=str(control) if control else None),
    )
