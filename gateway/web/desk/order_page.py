"""What the order screen shows: the order, its findings placed beside the fields they concern,
the original document's view, what was sent, and the order's history. Reads only.

A finding names its field (``sku``, ``quantity``, ``unit_price``, ``date_002``, ``po_number``,
``ship_to``, ``total``...) and, for a line, its ``line_no``. Header findings whose field the
screen shows sit on that field's row; the rest (a syntax error in ``PO102``, a low-confidence
read) are listed at the top of the order. Line findings sit under their line, with the fix
that answers each one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.desk import CatalogHit
from gateway.desk import order_history
from gateway.desk.sources import Highlight
from gateway.desk.sources import SourceView
from gateway.desk.sources import source_view
from gateway.model import Order
from gateway.model import OrderLine

HEADER_FIELDS = ("po_number", "po_date", "customer", "currency", "ship_to", "total")
BLOCKING = ("hold", "reject")
EXCEPTION = "exception"
REJECTED = "rejected"
# The line column a finding's field belongs to.
LINE_COLUMNS = {
    "sku": "item",
    "vendor_sku": "item",
    "buyer_part": "item",
    "upc": "item",
    "description": "description",
    "quantity": "quantity",
    "uom": "quantity",
    "unit_price": "price",
}
ITEM_PATHS = ("vendor_sku", "buyer_part", "upc", "sku")
LISTED = 50  # findings about the whole order shown at most (a broken set can have hundreds)


@dataclass(slots=True)
class LineView:
    index: int
    line: OrderLine
    findings: list[storage.Finding] = field(default_factory=list)

    @property
    def columns(self) -> set[str]:
        """The columns of this line that a finding holding the order concerns."""
        return {_column(f.field) for f in self.findings if f.action in BLOCKING}

    @property
    def blocking(self) -> bool:
        return any(f.action in BLOCKING for f in self.findings)


@dataclass(slots=True)
class OrderPage:
    stored: storage.PurchaseOrder
    order: Order | None
    problem: str | None
    document: storage.Document | None
    header_findings: dict[str, list[storage.Finding]]
    order_findings: list[storage.Finding]
    lines: list[LineView]
    source: SourceView | None
    outbound: list[storage.OutboundRecord]
    history: list[storage.AuditEntry]
    duplicates: list[storage.PurchaseOrder]
    duplicate_of: storage.PurchaseOrder | None
    overrides: list[storage.OrderOverride] = field(default_factory=list)
    catalog: list[CatalogHit] = field(default_factory=list)
    catalog_line: str | None = None
    catalog_query: str = ""
    listed: int = LISTED

    @property
    def in_exception(self) -> bool:
        return self.stored.status == EXCEPTION

    @property
    def findings(self) -> list[storage.Finding]:
        out = list(self.order_findings)
        for found in self.header_findings.values():
            out += found
        for line in self.lines:
            out += line.findings
        return out

    @property
    def blocking(self) -> list[storage.Finding]:
        return [f for f in self.findings if f.action in BLOCKING]

    def override_for(self, finding: storage.Finding) -> storage.OrderOverride | None:
        """The desk's decision that answers ``finding`` (applied when the order is approved), if any.

        Not a credit release that approval found the order had outgrown (``details.released``)."""
        outgrown = (finding.details or {}).get("released")
        for found in reversed(self.overrides):
            if found.code == finding.code and found.line_no == finding.line_no:
                if isinstance(outgrown, dict) and outgrown.get("override_id") == found.id:
                    return None
                return found
        return None

    @property
    def changes_since_check(self) -> int:
        """Desk changes since the order was last validated (at intake or by an approval)."""
        count = 0
        for entry in self.history:
            count = 0 if entry.action == "order.approve" else count + 1
        return count

    def source_for(self, *paths: str) -> Highlight | None:
        """The first highlight of the first of ``paths`` that has one; a path ending in ``.`` is a prefix."""
        if self.source is None:
            return None
        for path in paths:
            for found in self.source.highlights:
                if found.field_path == path or (path.endswith(".") and found.field_path.startswith(path)):
                    return found
        return None

    def line_source(self, index: int, *names: str) -> Highlight | None:
        return self.source_for(*(f"lines[{index}].{name}" for name in names))

    def ship_to_index(self) -> int | None:
        if self.order is None:
            return None
        return next((i for i, p in enumerate(self.order.parties) if p.role == "ST"), None)

    def other_header_highlights(self) -> list[Highlight]:
        """Header values with a source that the header rows do not show themselves."""
        if self.source is None:
            return []
        shown = ("header.po_number", "header.po_date", "header.currency", "header.stated_total")
        ship_to = self.ship_to_index()
        prefixes = ["header.dates["] + ([f"header.parties[{ship_to}]."] if ship_to is not None else [])
        return [
            h
            for h in self.source.highlights
            if h.line_index is None
            and h.field_path not in shown
            and not any(h.field_path.startswith(p) for p in prefixes)
        ]

    def other_line_highlights(self, index: int) -> list[Highlight]:
        if self.source is None:
            return []
        shown = {f"lines[{index}].{name}" for name in (*ITEM_PATHS, "description", "quantity", "unit_price")}
        return [h for h in self.source.highlights if h.line_index == index and h.field_path not in shown]


def order_page(session: Session, stored: storage.PurchaseOrder) -> OrderPage:
    """Everything the order screen shows of ``stored``."""
    order, problem = _canonical(stored)
    finding = storage.Finding
    rows = list(session.scalars(select(finding).where(finding.order_id == stored.id).order_by(finding.id)))
    header: dict[str, list[storage.Finding]] = {}
    general: list[storage.Finding] = []
    lines = [LineView(i, line) for i, line in enumerate(order.lines)] if order else []
    by_no = {view.line.line_no: view for view in lines}
    for row in rows:
        if row.line_no is not None and row.line_no in by_no:
            by_no[row.line_no].findings.append(row)
        elif row.line_no is None and _header_key(row) is not None:
            header.setdefault(_header_key(row) or "", []).append(row)
        else:
            general.append(row)
    outbound = storage.OutboundRecord
    document = session.get(storage.Document, stored.document_id)
    return OrderPage(
        stored=stored,
        order=order,
        problem=problem,
        document=document,
        header_findings=header,
        order_findings=general,
        lines=lines,
        source=source_view(session, stored.document_id, stored.canonical) if document is not None else None,
        outbound=list(
            session.scalars(select(outbound).where(outbound.order_id == stored.id).order_by(outbound.id))
        ),
        history=order_history(session, stored.id),
        duplicates=_same_po(session, stored),
        duplicate_of=session.get(storage.PurchaseOrder, stored.duplicate_of) if stored.duplicate_of else None,
        overrides=list(
            session.scalars(
                select(storage.OrderOverride)
                .where(storage.OrderOverride.order_id == stored.id)
                .order_by(storage.OrderOverride.id)
            )
        ),
    )


def _column(name: str | None) -> str:
    if name and name.startswith("date_"):
        return "dates"
    return LINE_COLUMNS.get(name or "", "")


def _header_key(row: storage.Finding) -> str | None:
    name = row.field or ""
    if name in HEADER_FIELDS or name.startswith("date_"):
        return name
    return None


def _canonical(stored: storage.PurchaseOrder) -> tuple[Order | None, str | None]:
    try:
        return Order.model_validate(stored.canonical), None
    except ValidationError as exc:
        return None, f"the stored order cannot be read back ({exc.error_count()} problems); see its raw JSON"


def _same_po(session: Session, stored: storage.PurchaseOrder) -> list[storage.PurchaseOrder]:
    """The customer's other orders with this PO number (by ``po_key``), oldest first: what a duplicate may be merged into."""
    if not stored.po_key:
        return []
    purchase_order = storage.PurchaseOrder
    return list(
        session.scalars(
            select(purchase_order)
            .where(
                purchase_order.customer_account == stored.customer_account,
                purchase_order.po_key == stored.po_key,
                purchase_order.id != stored.id,
            )
            .order_by(purchase_order.id)
            .limit(20)
        )
    )


def audit_changes(entry: storage.AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) of one audit entry, the version bump left out."""
    before = entry.before or {}
    after = entry.after or {}
    keys: Iterable[str] = [k for k in after if k != "version"] + [
        k for k in before if k not in after and k != "version"
    ]
    return [(k, before.get(k), after.get(k)) for k in keys]
