"""The rows an order is stored as: its ``purchase_order`` row, its ``order_line`` rows, its ``finding`` rows.

Every builder of those rows lives here, for the pipeline, a partner's change (``amendments``) and
the order desk alike, and so does replacing an order's lines or findings: a finding is stored in
one shape whether a parser, a validator, a change or the desk made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

import validators
from gateway import storage
from gateway.model.order import Order
from gateway.model.order import po_key
from gateway.model.receipts import Issue
from gateway.storage._bulk import insert_rows
from gateway.storage._fit import fit_to_columns
from parsers import ParsedOrder

FINDING_FIELDS = (
    "code",
    "severity",
    "action",
    "message",
    "field",
    "line_no",
    "expected",
    "received",
    "suggestions",
    "details",
)


def order_row(
    order: Order,
    parsed: ParsedOrder,
    *,
    document_id: int,
    status: str,
    customer_account: str | None,
    total: Decimal | None,
    created_at: datetime,
    layout_learned_from: int | None,
    received_canonical: dict[str, Any] | None,
    allocations: dict[str, str] | None,
) -> dict[str, Any]:
    """The ``purchase_order`` row of ``order``, read as ``parsed`` from stored document ``document_id``."""
    return {
        "document_id": document_id,
        "ordinal": parsed.ordinal,
        "partner": order.partner,
        "customer_account": customer_account,
        "channel": order.channel.value,
        "po_number": order.po_number,
        "po_key": po_key(order.po_number),
        "po_date": order.po_date,
        "purpose": order.purpose.value,
        "status": status,
        "currency": order.currency,
        "order_total": total,
        "control_number": parsed.transaction.control_number if parsed.transaction else None,
        "group_control_number": parsed.group_control_number,
        "interchange_control_number": parsed.interchange_control_number,
        "line_count": len(order.lines),
        # written by pydantic as JSON text, stored as written (``storage.JsonText``)
        "canonical": storage.JsonText(order.model_dump_json(exclude_none=True, exclude_defaults=True)),
        "created_at": created_at,
        "layout_learned_from": layout_learned_from,
        "received_canonical": received_canonical,
        "allocations": allocations,
    }


def order_line_rows(order_id: int, order: Order) -> list[dict[str, Any]]:
    """The ``order_line`` rows of a stored order."""
    return [
        {
            "order_id": order_id,
            "ordinal": ordinal,
            "line_no": line.line_no,
            "buyer_part": line.buyer_part,
            "vendor_sku": line.vendor_sku,
            "sku": line.sku,
            "upc": line.upc,
            "description": line.description,
            "quantity": line.quantity.value if line.quantity else None,
            "uom": line.quantity.uom if line.quantity else None,
            "unit_price": line.unit_price,
        }
        for ordinal, line in enumerate(order.lines)
    ]


def fit_order(row: dict[str, Any], lines: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Fit an order's row and its line rows to their columns, in place; the finding saying what did not fit, or None."""
    changed = fit_to_columns(storage.PurchaseOrder.__table__, row)
    for line in lines:
        changed += [
            (f"line {line['line_no']} {column}", what)
            for column, what in fit_to_columns(storage.OrderLineRecord.__table__, line)
        ]
    return _too_wide_finding(changed) if changed else None


def _too_wide_finding(changed: list[tuple[str, str]]) -> dict[str, Any]:
    where = "; ".join(f"{column}: {what}" for column, what in changed[:5])
    return {
        "code": validators.FindingCode.SYNTAX.value,
        "severity": "error",
        "action": "hold",
        "message": f"values too large to store as they are (the original document keeps them whole): {where}",
        "field": changed[0][0][:64],
        "line_no": None,
        "expected": None,
        "received": None,
        "suggestions": [],
        "details": {"reason": "value.too_large", "columns": [c for c, _ in changed]},
    }


def issue_finding(issue: Issue, *, rejected: bool) -> dict[str, Any]:
    """A parser's issue as a finding: its stable code, and its own code kept as ``reason``."""
    action = ("reject" if rejected else "hold") if issue.is_error else "warn"
    return {
        "code": validators.code_for_parse_issue(issue.code).value,
        "severity": issue.severity.value,
        "action": action,
        "message": issue.message,
        "field": issue.field or _x12_place(issue),
        "line_no": issue.line_no,
        "expected": None,
        "received": None,
        "suggestions": [],
        "details": {"reason": issue.code, **issue.model_dump(mode="json", exclude_none=True)},
    }


def _x12_place(issue: Issue) -> str | None:
    """An X12 issue's place as a field name: ``BEG03``, or the segment alone."""
    return f"{issue.segment}{issue.element:02d}" if issue.segment and issue.element else issue.segment


def finding_row(finding: validators.Finding) -> dict[str, Any]:
    """A validation finding, whether the pipeline or the desk's re-validation made it."""
    action = finding.action
    return {
        "code": str(finding.code),  # a StrEnum: its value
        "severity": finding.severity,
        "action": action,
        "message": finding.message,
        "field": finding.field,
        "line_no": finding.line_no,
        "expected": finding.expected,
        "received": finding.received,
        "suggestions": [s.model_dump(mode="json") for s in finding.suggestions]
        if finding.suggestions
        else [],
        "details": finding.details,
    }


def change_finding(
    code: str, action: str, message: str, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    """A finding carrying a partner's change's difference, before and after."""
    return {
        "code": code,
        "severity": "error" if action == "hold" else "warning",
        "action": action,
        "message": message,
        "field": None,
        "line_no": None,
        "expected": None,
        "received": None,
        "suggestions": [],
        "details": {"before": before, "after": after},
    }


def stored_finding_row(finding: storage.Finding) -> dict[str, Any]:
    """A stored finding as a row again (without its order and document)."""
    row = {name: getattr(finding, name) for name in FINDING_FIELDS}
    row["suggestions"], row["details"] = list(row["suggestions"] or []), dict(row["details"] or {})
    return row


def finding_rows(session: Session, order_id: int) -> list[dict[str, Any]]:
    """The order's findings as rows to store again (with the document each came from)."""
    finding = storage.Finding
    columns = (*FINDING_FIELDS, "document_id")
    rows = session.execute(
        select(*(getattr(finding, name) for name in columns))
        .where(finding.order_id == order_id)
        .order_by(finding.id)
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


def of_order(
    findings: Sequence[Mapping[str, Any]], *, order_id: int, document_id: int | None
) -> list[dict[str, Any]]:
    """Finding rows as one order stores them: with its id, and the document each came from
    (``document_id``, unless the row names its own: a finding kept from an earlier version)."""
    return [{"document_id": document_id, **f, "order_id": order_id} for f in findings]


def insert_findings(session: Session, rows: Sequence[dict[str, Any]], when: datetime) -> None:
    """Store finding rows (``of_order``'s, made for it), made at ``when``; a value too long for its
    column is cut in the row itself."""
    table = storage.Finding.__table__
    for row in rows:
        fit_to_columns(table, row)  # a quoted value may be long
    insert_rows(session, table, rows, same={"created_at": when})


def replace_lines(session: Session, order_id: int, order: Order) -> None:
    """The stored order's line rows, replaced by ``order``'s."""
    line = storage.OrderLineRecord
    session.execute(delete(line).where(line.order_id == order_id))
    if order.lines:
        session.execute(insert(line), order_line_rows(order_id, order))


def replace_findings(
    session: Session,
    order_id: int,
    findings: Sequence[Mapping[str, Any]],
    *,
    document_id: int | None,
    when: datetime,
) -> None:
    """The stored order's findings, replaced by ``findings`` (see ``of_order`` for ``document_id``)."""
    session.execute(delete(storage.Finding).where(storage.Finding.order_id == order_id))
    insert_findings(session, of_order(findings, order_id=order_id, document_id=document_id), when)
