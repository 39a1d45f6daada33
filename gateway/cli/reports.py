"""Read-side views of the store for the CLI: plain dicts, ready for JSON or text.

They query the Core tables (``gateway.storage.tables``), so a listing command runs them on a
read-only connection (``storage.reading``) without loading SQLAlchemy's ORM or the mapped classes;
a session works as well (``gateway ingest`` reports in its own).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Row
from sqlalchemy import func
from sqlalchemy import select

from gateway.outbound.ack_window import ack_overdue
from gateway.outbound.ack_window import ack_state
from gateway.outbound.ack_window import is_overdue
from gateway.storage import tables

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from gateway.inbound.pipeline import IngestOutcome

    Reader = Connection | Session  # a read-only connection, or the session a command works in


def document_report(session: Reader, outcome: IngestOutcome, *, orders: bool = True) -> dict[str, Any]:
    """The ``ingest --json`` object for one document.

    ``orders=False`` (the one-line summary) reads no order back: ``orders`` is then left out and
    ``order_count`` says how many orders the document made.
    """
    document = _document_row(session, outcome.document_id)
    assert document is not None
    made: dict[str, Any] = (
        {"orders": _orders_with_lines(session, outcome.order_ids)}
        if orders
        else {"order_count": len(set(outcome.order_ids))}
    )
    outbound = _outbound(session, tables.outbound_document.c.id.in_(outcome.outbound_ids))
    return {
        "document_id": document.id,
        "sha256": document.sha256,
        "status": document.status,
        "format": document.format,
        "partner": document.partner,
        "duplicate": outcome.duplicate,
        "errors": list(document.errors or []),
        **made,
        "outbound": outbound,
        **_provisional(document),
    }


def _document_row(session: Reader, document_id: int) -> Row[Any] | None:
    return session.execute(select(tables.document).where(tables.document.c.id == document_id)).first()


def _outbound(session: Reader, which: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Kind and id of the outbox rows ``which`` selects, in the order they were made."""
    return [
        {"kind": kind, "id": oid}
        for oid, kind in session.execute(
            select(tables.outbound_document.c.id, tables.outbound_document.c.kind)
            .where(which)
            .order_by(tables.outbound_document.c.id)
        )
    ]


def _provisional(document: Row[Any]) -> dict[str, Any]:
    """An unknown X12 sender's interchange as read provisionally, when it was (see gateway.inbound.provisional)."""
    reading = (document.meta or {}).get("provisional")
    return {"provisional": reading} if reading is not None else {}


def document_detail(session: Reader, document_id: int) -> dict[str, Any] | None:
    """One document for ``gateway show --document``: status, error, orders made, acks sent."""
    document = _document_row(session, document_id)
    if document is None:
        return None
    order_ids = list(
        session.scalars(
            select(tables.purchase_order.c.id)
            .where(tables.purchase_order.c.document_id == document_id)
            .order_by(tables.purchase_order.c.ordinal)
        )
    )
    outbound = _outbound(session, tables.outbound_document.c.document_id == document_id)
    return {
        "document_id": document.id,
        "sha256": document.sha256,
        "filename": document.filename,
        "received_at": document.received_at,
        "status": document.status,
        "format": document.format,
        "partner": document.partner,
        "error": document.error,
        "errors": list(document.errors or []),
        "order_ids": order_ids,
        "outbound": outbound,
        **_provisional(document),
    }


def render_document(detail: dict[str, Any]) -> str:
    out = [
        f"document {detail['document_id']}  {detail['status']}  format {detail['format'] or '-'}"
        f"  partner {detail['partner'] or '-'}",
        f"  received {detail['received_at']}  file {detail['filename'] or '-'}",
        f"  orders {', '.join(map(str, detail['order_ids'])) or 'none'}"
        f"  sent {', '.join(o['kind'] for o in detail['outbound']) or 'nothing'}",
    ]
    for error in detail["errors"][:20]:
        out.append(f"  {error['code']}: {error['message']}")
    if "provisional" in detail:
        from gateway.inbound.provisional import render_provisional  # the profiles and X12 reading: only here

        out.extend(render_provisional(detail["provisional"]))
    return "\n".join(out)


def _orders_with_lines(session: Reader, order_ids: list[int]) -> list[dict[str, Any]]:
    if not order_ids:
        return []
    order, finding = tables.purchase_order.c, tables.finding.c
    result: list[dict[str, Any]] = []
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        findings: dict[int, list[dict[str, Any]]] = {}
        for row in session.execute(  # the columns the report shows, not whole ORM objects
            select(*(finding[name] for name in _FINDING_COLUMNS))
            .where(finding.order_id.in_(chunk))
            .order_by(finding.id)
        ):
            findings.setdefault(row.order_id, []).append(_finding_json(row))
        for row in session.execute(
            select(order.id, order.po_number, order.status, order.canonical)
            .where(order.id.in_(chunk))
            .order_by(order.id)
        ):
            result.append(
                {
                    "order_id": row.id,
                    "po_number": row.po_number,
                    "status": row.status,
                    "lines": [_line_json(line) for line in row.canonical.get("lines", [])],
                    "findings": findings.get(row.id, []),
                }
            )
    return result


_FINDING_COLUMNS = (  # of tables.finding
    "order_id",
    "code",
    "severity",
    "action",
    "line_no",
    "field",
    "message",
    "expected",
    "received",
    "suggestions",
    "details",
)


def _line_json(line: dict[str, Any]) -> dict[str, Any]:
    """A line as parsed: values exactly as the document wrote them."""
    quantity = line.get("quantity") or {}
    return {
        "line_no": line.get("line_no"),
        "buyer_part": line.get("buyer_part"),
        "vendor_sku": line.get("vendor_sku"),
        "sku": line.get("sku"),
        "upc": line.get("upc"),
        "quantity": quantity.get("value"),
        "uom": quantity.get("uom"),
        "unit_price": line.get("unit_price"),
    }


def _finding_json(finding: Any) -> dict[str, Any]:
    """The finding contract of issue 4, plus what the policy did and, for parse issues, the reason."""
    details = finding.details or {}
    return {
        "code": finding.code,
        "severity": finding.severity,
        "action": finding.action,
        "line_no": finding.line_no,
        "field": finding.field,
        "message": finding.message,
        "expected": finding.expected,
        "received": finding.received,
        "suggestions": [{"sku": s["sku"], "score": s["score"]} for s in finding.suggestions or []],
        "reason": details.get("reason"),
        "location": details.get("segment_index") and f"segment {details['segment_index']}",
    }


def order_list(session: Reader, *, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    findings = (
        select(tables.finding.c.order_id, func.count().label("n"))
        .group_by(tables.finding.c.order_id)
        .subquery()
    )
    order = tables.purchase_order.c
    query = (
        select(
            order.id,
            order.document_id,
            order.partner,
            order.channel,
            order.po_number,
            order.po_date,
            order.status,
            order.order_total,
            order.line_count,
            func.coalesce(findings.c.n, 0).label("findings"),
        )
        .outerjoin_from(tables.purchase_order, findings, findings.c.order_id == order.id)
        .order_by(order.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(order.status == status)
    return [
        {
            "order_id": row.id,
            "document_id": row.document_id,
            "partner": row.partner,
            "channel": row.channel,
            "po_number": row.po_number,
            "po_date": row.po_date,
            "status": row.status,
            "total": row.order_total,
            "line_count": row.line_count,
            "findings": row.findings,
        }
        for row in session.execute(query)
    ]


def order_detail(session: Reader, order_id: int) -> dict[str, Any] | None:
    order = session.execute(
        select(
            tables.purchase_order.c.document_id,
            tables.purchase_order.c.partner,
            tables.purchase_order.c.channel,
            tables.purchase_order.c.po_date,
            tables.purchase_order.c.canonical,
        ).where(tables.purchase_order.c.id == order_id)
    ).first()
    if order is None:
        return None
    detail = _orders_with_lines(session, [order_id])[0]
    detail.update(
        {
            "document_id": order.document_id,
            "partner": order.partner,
            "channel": order.channel,
            "po_date": order.po_date,
            "canonical": order.canonical,
        }
    )
    return detail


def render_order(detail: dict[str, Any]) -> str:
    canonical = detail["canonical"]
    out = [
        f"order {detail['order_id']}  PO {detail['po_number']}  {detail['status']}",
        f"  partner {detail['partner']}  channel {detail['channel']}  document {detail['document_id']}",
        f"  po date {detail['po_date']}  currency {canonical.get('currency', '-')}",
    ]
    for party in canonical.get("parties", []):
        out.append(f"  party {party['role']}: {party.get('name', '')} {party.get('id', '')}".rstrip())
    provenance = canonical.get("provenance", {})
    if "po_number" in provenance:
        out.append(f"  po number from {provenance['po_number']}")
    out.append("  lines:")
    for line in detail["lines"]:
        out.append(
            f"    {line['line_no']:>4}  {line['quantity']} {line['uom'] or '-'}  {line['vendor_sku'] or '-'}"
            f"  buyer {line['buyer_part'] or '-'}  upc {line['upc'] or '-'}  @ {line['unit_price']}"
        )
    if detail["findings"]:
        out.append("  findings:")
        for finding in detail["findings"]:
            out.append(
                f"    [{finding['action'] or finding['severity']}] {finding['code']}: {finding['message']}"
            )
            if finding["suggestions"]:
                out.append(
                    "      suggestions: "
                    + ", ".join(f"{s['sku']} ({s['score']:g})" for s in finding["suggestions"])
                )
    return "\n".join(out)


def outbox_list(
    session: Reader, *, now: datetime, overdue_only: bool = False, limit: int = 500
) -> list[dict[str, Any]]:
    """Outbound documents, newest first; ``overdue`` when a 997/999 was due before ``now`` and none came.

    ``ack`` says where the partner's answer stands: ``not sent`` (its clock starts when the
    document leaves), ``due``, ``overdue``, ``received``, or None when none is expected.
    """
    query = select(tables.outbound_document).order_by(tables.outbound_document.c.id.desc()).limit(limit)
    if overdue_only:
        query = query.where(ack_overdue(now))
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "partner": row.partner,
            "erp_target": row.erp_target,
            "document_id": row.document_id,
            "order_id": row.order_id,
            "refers_to": row.refers_to,
            "interchange_control_number": row.interchange_control_number,
            "status": row.status,
            "errors": row.errors,
            "created_at": row.created_at,
            "delivered_at": row.delivered_at,
            "ack_due_at": row.ack_due_at,
            "ack_received_at": row.ack_received_at,
            "ack_code": row.ack_code,
            "ack": ack_state(row, now),
            "overdue": is_overdue(row, now),
            "content": row.content.decode("latin-1"),
        }
        for row in session.execute(query)
    ]


def document_ids(session: Reader, *, status: str) -> list[int]:
    return list(
        session.scalars(
            select(tables.document.c.id)
            .where(tables.document.c.status == status)
            .order_by(tables.document.c.id)
        )
    )


def alert_list(
    session: Reader,
    *,
    include_resolved: bool = False,
    limit: int = 500,
    kind: str | None = None,
    partner: str | None = None,
    public_url: str | None = None,
) -> list[dict[str, Any]]:
    """Alerts, newest first; open ones only unless ``include_resolved``; of one kind or partner if
    named. Each with the action to take, the repeat count, first and last seen, and its desk link
    (``public_url`` + the page; the page alone without one)."""
    from gateway.alerts import desk_path
    from gateway.alerts import title

    alert = tables.alert.c
    query = select(tables.alert).order_by(alert.id.desc()).limit(limit)
    if not include_resolved:
        query = query.where(alert.resolved_at.is_(None))
    if kind is not None:
        query = query.where(alert.kind == kind)
    if partner is not None:
        query = query.where(alert.partner == partner)
    return [
        {
            "id": row.id,
            "at": row.at,
            "kind": row.kind,
            "title": title(row.kind),
            "partner": row.partner,
            "outbound_id": row.outbound_id,
            "order_id": row.order_id,
            "document_id": row.document_id,
            "message": row.message,
            "action": row.action,
            "repeats": row.repeats,
            "first_seen": row.at,
            "last_seen": row.last_at or row.at,
            "link": f"{public_url or ''}{desk_path(row)}",
            "resolved_at": row.resolved_at,
        }
        for row in session.execute(query)
    ]
