"""What the order screen shows: the order, its findings placed beside the fields they concern,
the original document's view, what was sent, and the order's history. Reads only: functions take
a session and never commit; the web's ``/orders`` views parse the request and render.

A finding names its field (``sku``, ``quantity``, ``unit_price``, ``date_002``, ``po_number``,
``ship_to``, ``total``...) and, for a line, its ``line_no``. Header findings whose field the
screen shows sit on that field's row; the rest (a syntax error in ``PO102``, a low-confidence
read) are listed at the top of the order. Line findings sit under their line, with the fix
that answers each one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm import defer

from gateway import storage
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus

from ._actions import order_history
from ._catalog import CatalogHit
from .sources import LINE_COLUMNS
from .sources import MAX_LINES
from .sources import Highlight
from .sources import SourceView
from .sources import answers
from .sources import mark_findings
from .sources import source_view

HEADER_FIELDS = ("po_number", "po_date", "customer", "currency", "ship_to", "total")
BLOCKING = ("hold", "reject")
ITEM_PATHS = ("vendor_sku", "buyer_part", "upc", "sku")
LISTED = 50  # findings about the whole order shown at most (a broken set can have hundreds)
LINES_PER_PAGE = MAX_LINES  # order lines shown at once; the source view highlights as many
WHY_LISTED = 12  # findings named under "Why it stopped"


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


@dataclass(frozen=True, slots=True)
class LinePaging:
    """Which lines of the order the page shows: a page of all lines, or of the lines with findings."""

    total: int  # lines in the order
    with_findings: int  # of them, lines a finding that holds the order names
    only_findings: bool  # the page lists only lines with findings
    page: int  # 1-based
    listed: int  # lines in what is paged: ``total``, or ``with_findings``
    shown: int  # lines on this page

    @property
    def pages(self) -> int:
        return max(1, -(-self.listed // LINES_PER_PAGE))

    @property
    def first(self) -> int:
        return (self.page - 1) * LINES_PER_PAGE + 1

    @property
    def last(self) -> int:
        return self.first + self.shown - 1

    @property
    def paged(self) -> bool:
        return self.total > LINES_PER_PAGE


@dataclass(frozen=True, slots=True)
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
    paging: LinePaging | None = None
    blocking_count: int = 0
    why: list[storage.Finding] = field(default_factory=list)  # the first blocking findings
    line_pages: dict[str, int] = field(default_factory=dict)  # line_no -> page of all lines

    @property
    def in_exception(self) -> bool:
        return self.stored.status == OrderStatus.EXCEPTION

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
        """The blocking findings the page shows (``blocking_count`` counts them all)."""
        return [f for f in self.findings if f.action in BLOCKING]

    def paging_args(self) -> dict[str, str]:
        """The query arguments that show this page of lines again (after a fix, a catalog search)."""
        return paging_args(
            self.paging.page if self.paging and self.paging.paged else None,
            "findings" if self.paging and self.paging.only_findings else None,
        )

    def shown_line(self, line_no: str | None) -> bool:
        return any(view.line.line_no == line_no for view in self.lines)

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


def paging_args(page: int | None, lines: str | None) -> dict[str, str]:
    """``?page=N&lines=findings`` as a dict, the arguments left out that are not given."""
    found = {"page": str(page)} if page is not None else {}
    return found | ({"lines": lines} if lines in ("all", "findings") else {})


def order_for_page(session: Session, order_id: int) -> storage.PurchaseOrder | None:
    """The stored order, its canonical JSON left unread: ``order_page`` reads the page's part of it."""
    return session.get(storage.PurchaseOrder, order_id, options=[defer(storage.PurchaseOrder.canonical)])


def order_page(
    session: Session, stored: storage.PurchaseOrder, *, page: int | None = None, lines: str | None = None
) -> OrderPage:
    """Everything the order screen shows of ``stored``: its lines a page at a time.

    An order longer than a page opens on the lines whose findings hold it, if any; ``page`` (from 1) pages
    through all its lines, or through the lines with findings when ``lines`` is ``"findings"``. Only the shown lines are read (SQL LIMIT/OFFSET on
    ``order_line``) and validated, and only their findings are loaded.
    """
    finding = storage.Finding
    record = storage.OrderLineRecord
    mine = finding.order_id == stored.id
    total = stored.line_count
    holding = mine & finding.line_no.is_not(None) & finding.action.in_(BLOCKING)
    flagged = select(finding.line_no).where(holding).distinct().scalar_subquery()
    has_findings = (record.order_id == stored.id) & record.line_no.in_(flagged)
    with_findings = session.scalar(select(func.count()).select_from(record).where(has_findings)) or 0
    wants = lines if lines in ("all", "findings") else ("findings" if page is None else "all")
    only_findings = total > LINES_PER_PAGE and with_findings > 0 and wants == "findings"
    listed = with_findings if only_findings else total
    pages = max(1, -(-listed // LINES_PER_PAGE))
    number = min(max(page or 1, 1), pages)
    query = select(record.ordinal).where(has_findings if only_findings else record.order_id == stored.id)
    ordinals = list(
        session.scalars(
            query.order_by(record.ordinal).limit(LINES_PER_PAGE).offset((number - 1) * LINES_PER_PAGE)
        )
    )
    order, problem, part = _canonical(session, stored, ordinals)
    shown = [LineView(i, line) for i, line in zip(ordinals, order.lines, strict=True)] if order else []
    by_no = {view.line.line_no: view for view in shown}
    rows = list(
        session.scalars(
            select(finding)
            .where(
                mine,
                finding.line_no.is_(None)
                | finding.line_no.in_(list(by_no))
                | finding.line_no.not_in(select(record.line_no).where(record.order_id == stored.id)),
            )
            .order_by(finding.id)
        )
    )
    header: dict[str, list[storage.Finding]] = {}
    general: list[storage.Finding] = []
    for row in rows:
        if row.line_no is not None and row.line_no in by_no:
            by_no[row.line_no].findings.append(row)
        elif row.line_no is None and _header_key(row) is not None:
            header.setdefault(_header_key(row) or "", []).append(row)
        else:
            general.append(row)
    blocking = select(finding).where(mine, finding.action.in_(BLOCKING))
    why = list(session.scalars(blocking.order_by(finding.id).limit(WHY_LISTED)))
    outbound = storage.OutboundRecord
    document = session.get(storage.Document, stored.document_id)
    return OrderPage(
        stored=stored,
        order=order,
        problem=problem,
        document=document,
        header_findings=header,
        order_findings=general,
        lines=shown,
        source=_source(session, stored, part, ordinals, rows) if document is not None else None,
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
        paging=LinePaging(total, with_findings, only_findings, number, listed, len(shown)),
        blocking_count=session.scalar(select(func.count()).select_from(blocking.subquery())) or 0,
        why=why,
        line_pages=_line_pages(session, stored.id, [f.line_no for f in why if f.line_no]),
    )


def holding_counts(session: Session, order_id: int) -> dict[str, int]:
    """Line findings holding the order, by code, that a bulk action answers (a pack size only on a quantity)."""
    finding = storage.Finding
    rows = session.execute(
        select(finding.code, func.count())
        .where(
            finding.order_id == order_id,
            finding.action.in_(BLOCKING),
            finding.line_no.is_not(None),
            finding.code.in_(("price_mismatch", "unknown_item", "pack_multiple")),
            (finding.code != "pack_multiple") | (finding.field == "quantity"),
        )
        .group_by(finding.code)
    )
    return {code: count for code, count in rows}


def drafted_reply_count(session: Session, outbound_ids: list[int]) -> int:
    """How many of ``outbound_ids`` are replies drafted for the clerk to send."""
    if not outbound_ids:
        return 0
    record = storage.OutboundRecord
    found = select(func.count()).where(record.id.in_(outbound_ids), record.status == OutboxStatus.DRAFT)
    return session.scalar(found) or 0


def _source(
    session: Session,
    stored: storage.PurchaseOrder,
    part: dict[str, Any],
    ordinals: list[int],
    findings: list[storage.Finding],
) -> SourceView:
    """The original document with the shown findings marked, and, for X12, what answered it."""
    view = mark_findings(source_view(session, stored.document_id, part, ordinals), findings)
    if view.format != "x12":
        return view
    control = str(part["control_number"]) if part.get("control_number") else None
    found = answers(session, stored.document_id, order_id=stored.id, control_number=control)
    return replace(view, answers=found)


def _line_pages(session: Session, order_id: int, line_nos: list[str]) -> dict[str, int]:
    """The page of all lines each of ``line_nos`` is on."""
    if not line_nos:
        return {}
    record = storage.OrderLineRecord
    found = session.execute(
        select(record.line_no, func.min(record.ordinal))
        .where(record.order_id == order_id, record.line_no.in_(line_nos))
        .group_by(record.line_no)
    )
    return {line_no: ordinal // LINES_PER_PAGE + 1 for line_no, ordinal in found}


def _column(name: str | None) -> str:
    if name and name.startswith("date_"):
        return "dates"
    return LINE_COLUMNS.get(name or "", "")


def _header_key(row: storage.Finding) -> str | None:
    name = row.field or ""
    if name in HEADER_FIELDS or name.startswith("date_"):
        return name
    return None


def _canonical(
    session: Session, stored: storage.PurchaseOrder, ordinals: list[int]
) -> tuple[Order | None, str | None, dict[str, Any]]:
    """The order with only the lines at ``ordinals``, and that part of its canonical JSON."""
    part = _canonical_part(session, stored, ordinals)
    try:
        return Order.model_validate(part), None, part
    except ValidationError as exc:
        return (
            None,
            f"the stored order cannot be read back ({exc.error_count()} problems); see its raw JSON",
            part,
        )


# The canonical JSON without its lines, and the lines at some positions, read in SQL so that
# an order of 100,000 lines is not decoded whole to show 100 of them.
_PARTS = {
    "sqlite": (
        "SELECT json_remove(canonical, '$.lines') FROM purchase_order WHERE id = :id",
        "SELECT CAST(j.key AS INTEGER), j.value FROM purchase_order AS p, json_each(p.canonical, '$.lines') AS j "
        "WHERE p.id = :id AND j.key IN :ordinals",
    ),
    "postgresql": (
        "SELECT (canonical::jsonb - 'lines')::text FROM purchase_order WHERE id = :id",
        "SELECT CAST(t.ord - 1 AS INTEGER), t.line::text FROM purchase_order AS p, "
        "json_array_elements(p.canonical -> 'lines') WITH ORDINALITY AS t(line, ord) "
        "WHERE p.id = :id AND t.ord - 1 IN :ordinals",
    ),
}


def _canonical_part(session: Session, stored: storage.PurchaseOrder, ordinals: list[int]) -> dict[str, Any]:
    """``stored.canonical`` with only the lines at ``ordinals``, in that order."""
    statements = _PARTS.get(session.get_bind().dialect.name)
    if statements is None or "canonical" in stored.__dict__:  # already loaded: slice it
        canonical = stored.canonical or {}
        found_lines = canonical.get("lines")
        lines: list[Any] = found_lines if isinstance(found_lines, list) else []
        return {**canonical, "lines": [lines[i] for i in ordinals if i < len(lines)]}
    head, lines_at = statements
    raw = session.execute(text(head), {"id": stored.id}).scalar()
    header = json.loads(raw) if raw else {}
    found: dict[int, Any] = {}
    if ordinals:
        query = text(lines_at).bindparams(bindparam("ordinals", expanding=True))
        found = {
            int(index): json.loads(line)
            for index, line in session.execute(query, {"id": stored.id, "ordinals": ordinals})
        }
    return {
        **(header if isinstance(header, dict) else {}),
        "lines": [found[i] for i in ordinals if i in found],
    }


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
