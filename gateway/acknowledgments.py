"""From a decided order to its 855: what each finding means to the partner, line by line.

An accepted order with nothing changed is acknowledged AD; one whose quantities or prices
were changed on the way (an auto-fix, a partial or backordered line) AC, with an ACK per
change; a rejected one RD, every line IR, with the reasons. Orders still in the exception
queue get no 855 until the order desk decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from gateway.model import Order
from gateway.model import OrderLine
from gateway.outbound_model import AckLine
from gateway.outbound_model import AckType
from gateway.outbound_model import LineAck
from gateway.outbound_model import LineStatus
from gateway.outbound_model import OrderAcknowledgment

ACCEPTED = "accepted"
REJECTED = "rejected"
_DEFAULT_UOM = "EA"


def acknowledgment_for(
    order: Order, findings: Sequence[Mapping[str, Any]], status: str, today: date
) -> OrderAcknowledgment:
    """The 855 for an order the gateway (or the order desk) accepted or rejected."""
    if status not in (ACCEPTED, REJECTED):
        raise ValueError(f"an order {status!r} is not decided; only accepted or rejected orders get an 855")
    by_line: dict[str, list[Mapping[str, Any]]] = {}
    for finding in findings:
        if finding.get("line_no") is not None:
            by_line.setdefault(str(finding["line_no"]), []).append(finding)
    rejected = status == REJECTED
    lines = [_line(line, by_line.get(line.line_no, []), rejected) for line in order.lines]
    changed = any(a.status != LineStatus.ACCEPTED for line in lines for a in line.acks)
    if rejected:
        ack_type = AckType.REJECTED
        reasons = [f["message"] for f in findings if f.get("action") == "reject"]
    else:
        ack_type = AckType.CHANGED if changed else AckType.ACCEPTED
        reasons = [
            f["message"] for f in findings if f.get("action") in ("auto_fix", "warn") and changes_line(f)
        ]
    return OrderAcknowledgment(
        po_number=order.po_number or "",
        po_date=order.po_date,
        ack_type=ack_type,
        ack_date=today,
        currency=order.currency,
        ship_to=order.ship_to,
        reasons=reasons,
        lines=lines,
    )


def changes_line(finding: Mapping[str, Any]) -> bool:
    """Whether a non-blocking finding changed what the partner gets (quantity or price)."""
    code, action = finding.get("code"), finding.get("action")
    if code == "short_stock":
        return (finding.get("details") or {}).get("disposition") in ("backorder", "partial")
    return action == "auto_fix" and code in ("price_mismatch", "pack_multiple")


def _line(line: OrderLine, findings: list[Mapping[str, Any]], rejected: bool) -> AckLine:
    uom = (line.quantity.uom if line.quantity else None) or _DEFAULT_UOM
    now = line.quantity.value if line.quantity else Decimal(0)
    ordered = now
    statuses: list[LineStatus] = []
    backordered = Decimal(0)
    for finding in findings:
        if not changes_line(finding):
            continue
        code = finding["code"]
        if code == "price_mismatch":
            statuses.append(LineStatus.PRICE_CHANGED)
        elif code == "pack_multiple" or (finding.get("details") or {}).get("disposition") == "partial":
            ordered = _decimal(finding.get("received"), ordered)
            statuses.append(LineStatus.QUANTITY_CHANGED)
        else:  # backorder: what cannot ship now is still owed
            available = _decimal(finding.get("expected"), now)
            backordered = now - available
            now = available
    acks: list[LineAck] = []
    if rejected:
        acks.append(LineAck(status=LineStatus.REJECTED, quantity=ordered, uom=uom))
    else:
        status = (
            statuses[0] if len(statuses) == 1 else LineStatus.CHANGED if statuses else LineStatus.ACCEPTED
        )
        if now > 0 or not backordered:
            acks.append(LineAck(status=status, quantity=now, uom=uom))
        if backordered > 0:
            acks.append(LineAck(status=LineStatus.BACKORDERED, quantity=backordered, uom=uom))
    return AckLine(
        line_no=line.line_no,
        ordered=ordered,
        uom=uom,
        unit_price=line.unit_price,
        sku=line.sku or line.vendor_sku,
        buyer_part=line.buyer_part,
        upc=line.upc,
        description=line.description,
        acks=acks,
    )


def _decimal(text: Any, default: Decimal) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return default
